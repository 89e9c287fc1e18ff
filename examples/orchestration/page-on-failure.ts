/**
 * Page someone when a Ferry task fails: receives the task's webhook notifications (settings.notifications, category
 * `failure`), checks their signature, and posts one page per failure to PAGER_URL in the layout of PagerDuty's
 * Events API v2 (routing_key, event_action "trigger", dedup_key = the event id, payload.summary/source/severity).
 * Any pager or chat webhook that takes JSON can be put behind PAGER_URL (adapt page() to its layout).
 *
 *   FERRY_WEBHOOK_SECRET=... PAGER_URL=https://events.pagerduty.com/v2/enqueue PAGER_ROUTING_KEY=... \
 *     scripts/node examples/orchestration/page-on-failure.ts
 *
 * Env: FERRY_WEBHOOK_SECRET (the subscription's `secret`), PAGER_URL, PAGER_ROUTING_KEY (optional), PORT (default
 * 8787; 0 = any free port), HOST (default 127.0.0.1). Prints "listening on <url>" on stdout when ready.
 */
import { requiredEnv, startReceiver, type FerryCloudEvent } from './webhook-receiver.ts';

const secret = requiredEnv('FERRY_WEBHOOK_SECRET', 'the HMAC secret of the task\'s webhook subscription');
const pagerUrl = requiredEnv('PAGER_URL', 'where pages are posted, e.g. https://events.pagerduty.com/v2/enqueue');

async function page(event: FerryCloudEvent): Promise<void> {
  const d = event.data;
  const body = {
    routing_key: process.env.PAGER_ROUTING_KEY ?? '',
    event_action: 'trigger',
    dedup_key: event.id, // a redelivered notification does not page twice
    payload: {
      summary: d.message.slice(0, 1024),
      source: `ferry task ${d.task}`,
      severity: 'critical',
      timestamp: event.time,
      custom_details: { task: d.task, category: d.dmsCategory, ...d.details },
    },
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fetch(pagerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10000) });
      if (r.ok) { process.stderr.write(`paged: ${d.message}\n`); return; }
      throw new Error(`HTTP ${r.status}`);
    } catch (e: unknown) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

const receiver = await startReceiver({
  secret, port: Number(process.env.PORT ?? 8787), host: process.env.HOST ?? '127.0.0.1',
  onEvent: (event) => (event.type === 'io.ferry.task.failure' ? page(event) : undefined),
});
process.stdout.write(`listening on http://${process.env.HOST ?? '127.0.0.1'}:${receiver.port}/\n`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void receiver.close().then(() => process.exit(0)); });
