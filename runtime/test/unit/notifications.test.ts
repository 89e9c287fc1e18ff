// Notifications' pure parts and local checks: the webhook signature and its verification (replay window, tampering),
// the settings' per-type rules, deterministic idempotency ids, the spool surviving a torn line, and the low-storage and
// retention-at-risk checks (task-watch.ts) on a real file system and a real metrics registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { signWebhook, verifyWebhookSignature } from '../../src/notifications/webhook.ts';
import { notificationSettingsSchema } from '../../src/config/notification-settings.ts';
import { TaskEventBus, taskEventId, type TaskEvent } from '../../src/events/task-events.ts';
import { NotificationSpool } from '../../src/notifications/spool.ts';
import { TaskWatch } from '../../src/events/task-watch.ts';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { createLogger } from '../../src/log/logger.ts';
import { withTableErrorEvents } from '../../src/events/dead-letter-events.ts';
import { fileDeadLetterQueue } from '../../src/sink-worker/dead-letter.ts';

const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

test('webhook signature: v1=HMAC-SHA256(secret, "<timestamp>.<body>"), verified within the replay window only', () => {
  const body = '{"id":"x"}';
  const sig = signWebhook('k3y-0123456789', 1700000000, body);
  assert.equal(sig, `v1=${createHmac('sha256', 'k3y-0123456789').update(`1700000000.${body}`).digest('hex')}`);
  const ok = { secret: 'k3y-0123456789', body, timestamp: '1700000000', signature: sig, now: 1700000100 };
  assert.deepEqual(verifyWebhookSignature(ok), { ok: true });
  assert.deepEqual(verifyWebhookSignature({ ...ok, body: '{"id":"y"}' }), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verifyWebhookSignature({ ...ok, secret: 'other-secret-0123' }), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verifyWebhookSignature({ ...ok, timestamp: '1700000001' }), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verifyWebhookSignature({ ...ok, now: 1700000301 }), { ok: false, reason: 'timestamp outside the replay window' });
  assert.deepEqual(verifyWebhookSignature({ ...ok, now: 1700000301, toleranceSeconds: 600 }), { ok: true });
  assert.deepEqual(verifyWebhookSignature({ ...ok, timestamp: undefined }), { ok: false, reason: 'missing or malformed timestamp' });
  assert.deepEqual(verifyWebhookSignature({ ...ok, signature: undefined }), { ok: false, reason: 'signature mismatch' });
});

test('settings: each subscription type needs its own keys and refuses the others’', () => {
  const parse = (sub: Record<string, unknown>) => notificationSettingsSchema.safeParse({ subscriptions: [sub] });
  assert.ok(parse({ name: 'a', type: 'webhook', url: 'https://h.example/x', secret: '${env:X}' }).success);
  const noSecret = parse({ name: 'a', type: 'webhook', url: 'https://h.example/x' });
  assert.ok(!noSecret.success && noSecret.error.issues.some((i) => i.path.join('.') === 'subscriptions.0.secret' && /needs "secret"/.test(i.message)));
  const mixed = parse({ name: 'a', type: 'webhook', url: 'https://h.example/x', secret: 'abcdefgh', topicArn: 'arn:aws:sns:us-east-1:1:t' });
  assert.ok(!mixed.success && mixed.error.issues.some((i) => /belongs to a sns subscription/.test(i.message)));
  const badCategory = parse({ name: 'a', type: 'kafka', topic: 't', categories: ['failures'] });
  assert.ok(!badCategory.success);
  const twice = notificationSettingsSchema.safeParse({ subscriptions: [{ name: 'a', type: 'kafka', topic: 't' }, { name: 'a', type: 'kafka', topic: 'u' }] });
  assert.ok(!twice.success && /share a name/.test(twice.error.issues[0]!.message));
  const d = notificationSettingsSchema.parse(undefined);
  assert.deepEqual([d.subscriptions, d.maxAttempts, d.initialBackoffMs, d.queueCapacity], [[], 8, 500, 1000]);
});

test('idempotency ids: the same task, category and key give the same UUID-shaped id; no key gives a fresh one', () => {
  const a = taskEventId('t', 'full-load-completed', 'pos');
  assert.equal(a, taskEventId('t', 'full-load-completed', 'pos'));
  assert.notEqual(a, taskEventId('t', 'schema-change', 'pos'));
  assert.notEqual(a, taskEventId('u', 'full-load-completed', 'pos'));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const seen: TaskEvent[] = [];
  const bus = new TaskEventBus({ task: 't' });
  bus.subscribe((e) => seen.push(e));
  bus.subscribe(() => { throw new Error('a broken listener'); });
  bus.emit({ category: 'failure', message: 'x' });
  bus.emit({ category: 'failure', message: 'x' });
  assert.equal(seen.length, 2, 'a throwing listener does not stop the others');
  assert.notEqual(seen[0]!.id, seen[1]!.id);
  assert.equal(seen[0]!.dmsCategory, 'Failure');
});

test('spool: pending events survive a reopen; a torn last line is skipped', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-s5b-spool-')), 'spool.jsonl');
  const ev = (id: string): TaskEvent => ({ id, category: 'failure', dmsCategory: 'Failure', task: 't', time: '2026-01-01T00:00:00.000Z', message: id, details: {} });
  const s1 = new NotificationSpool(file);
  s1.add('a', ev('1'));
  s1.add('a', ev('2'));
  s1.add('b', ev('1'));
  s1.done('a', ev('1').id);
  s1.close();
  appendFileSync(file, '{"op":"add","sub":"a","event":{"id":"3"'); // a crash mid-append
  const s2 = new NotificationSpool(file);
  assert.deepEqual(s2.pending().map((p) => `${p.sub}:${p.event.id}`), ['a:2', 'b:1']);
  assert.ok(s2.has('a', '2') && !s2.has('a', '1'));
  s2.close();
});

test('task watch: low storage and slot lag fire once when they start, again only after clearing', async () => {
  const emitted: { category: string; key?: string | undefined; details?: unknown }[] = [];
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const lag = metrics.gauge('pg_slot_lag_bytes', 'lag', ['slot']);
  const sourceLag = metrics.gauge('source_lag_ms', 'lag', ['task']);
  const watch = new TaskWatch({
    events: { emit: (e) => emitted.push(e) }, stateDir: tmpdir(), intervalMs: 3600000, log: quiet(),
    lowStorageFreeMb: 1000000000, slotLagBytesAtRisk: 1000, binlogExpireSeconds: 100, binlogRetentionAtRiskPercent: 50,
    readGauge: async (name) => ((await metrics.registry.getSingleMetric(`ferry_${name}`)?.get())?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string>, value: v.value })),
  });
  try {
    lag.set({ slot: 's5b_slot' }, 500);
    sourceLag.set({ task: 't' }, 10000);
    await watch.check();
    assert.deepEqual(emitted.map((e) => e.category), ['low-storage'], 'the free space is below a threshold of ~1 PB; the lags are below theirs');
    lag.set({ slot: 's5b_slot' }, 5000);
    sourceLag.set({ task: 't' }, 60000);
    await watch.check();
    await watch.check();
    assert.deepEqual(emitted.map((e) => e.category), ['low-storage', 'retention-at-risk', 'retention-at-risk'], 'each condition once while it lasts');
    assert.deepEqual(emitted.slice(1).map((e) => (e.details as { kind: string }).kind), ['postgres-slot', 'mysql-binlog']);
    lag.set({ slot: 's5b_slot' }, 100); // cleared
    await watch.check();
    lag.set({ slot: 's5b_slot' }, 2000); // and again
    await watch.check();
    assert.equal(emitted.filter((e) => (e.details as { kind?: string }).kind === 'postgres-slot').length, 2);
  } finally {
    await watch.close();
  }
});

test('table-errors: dead letters written through the wrapper give one event per table, after the letters are durable', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-s5b-dlq-')), 'dlq', 'pg.jsonl');
  const emitted: { category: string; table?: string | undefined; key?: string | undefined; details?: Readonly<Record<string, unknown>> | undefined }[] = [];
  const q = withTableErrorEvents(fileDeadLetterQueue(file), { emit: (e) => { emitted.push(e); assert.ok(existsSync(file), 'the letters are in the file before the event'); } }, { topicPrefix: 'app' });
  const letter = (topic: string, event: number, reason: string) => ({ stage: 'sink' as const, reason, topic, partition: null, offset: null, position: 'mysql:000001:100', event, key: null, value: null, headers: new Map(), timestampMs: 0 });
  await q.send([letter('app.shop.orders', 1, 'value too long for type character varying(5)'), letter('app.shop.orders', 2, 'x'), letter('app.shop.items', 3, 'y')], 'pg');
  await q.close();
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3);
  assert.deepEqual(emitted.map((e) => [e.category, e.table, (e.details as { records: number }).records]), [['table-errors', 'shop.orders', 2], ['table-errors', 'shop.items', 1]]);
  assert.equal((emitted[0]!.details as { reason: string }).reason, 'value too long for type character varying(5)');
  assert.equal(emitted[0]!.key, 'pg\u0000shop.orders\u0000mysql:000001:100/1');
});
