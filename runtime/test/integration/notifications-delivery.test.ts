// Notification delivery (runtime/src/notifications/, docs/notifications.md) against real HTTP receivers that check
// the HMAC themselves (test/helpers/notification-receivers.ts): retries with backoff then delivery, dead letters for a
// destination down for good or hanging (in the file and the dead-letter topic), emit() never waiting, filters by
// category, task and table, and the spool re-sending what a stopped run left undelivered with the same idempotency id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/log/logger.ts';
import { TaskEventBus, taskEventId } from '../../src/events/task-events.ts';
import { Notifier } from '../../src/notifications/Notifier.ts';
import { NotificationSpool } from '../../src/notifications/spool.ts';
import { notificationSettingsSchema } from '../../src/config/notification-settings.ts';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../../../test/helpers/notification-receivers.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { createAdmin, readTopicToEnd } from '../../src/kafka/kafka-client.ts';

const SECRET = 's5b-webhook-secret-0123456789';

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }) });
  return { log, text: () => lines.join('') };
}

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/down?token=abc`;
}

function settings(subscriptions: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return notificationSettingsSchema.parse({ subscriptions, initialBackoffMs: 50, maxBackoffMs: 200, timeoutMs: 1000, drainTimeoutMs: 5000, ...extra });
}

const hook = (name: string, url: string, more: Record<string, unknown> = {}) => ({ name, type: 'webhook', url, secret: SECRET, ...more });
const deadLetters = (stateDir: string) => {
  const f = join(stateDir, 'notifications', 'dead-letters.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
};

test('a webhook answering 500 three times is retried with backoff, then delivered once, signed at each attempt', { timeout: 30000 }, async (t) => {
  const receiver = await startWebhookReceiver({ secret: SECRET, failFirst: 3 });
  t.after(() => receiver.close());
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-s5b-notify-'));
  const { log } = capture();
  const bus = new TaskEventBus({ task: 's5b-task', log });
  const notifier = (await Notifier.open({ settings: settings([hook('ops', receiver.url, { headers: [{ name: 'X-Route', value: 'ops' }, { name: 'X-Ferry-Signature', value: 'forged' }] })]), task: 's5b-task', stateDir, log }))!;
  notifier.attach(bus);

  bus.emit({ category: 'full-load-completed', key: 'mysql:000001:42', message: 'full load completed', details: { position: 'mysql:000001:42' } });
  assert.ok(await waitFor(() => receiver.delivered().length === 1, 10000), 'delivered after the retries');
  await notifier.close();

  assert.equal(receiver.requests.length, 4);
  assert.deepEqual(receiver.requests.map((r) => r.status), [500, 500, 500, 204]);
  assert.ok(receiver.requests.every((r) => r.verified), 'every attempt carries a valid signature and a fresh timestamp');
  const id = taskEventId('s5b-task', 'full-load-completed', 'mysql:000001:42');
  assert.deepEqual(new Set(receiver.requests.map((r) => r.headers['x-ferry-event-id'])), new Set([id]));
  const got = receiver.delivered()[0]!;
  assert.equal(got.headers['content-type'], 'application/cloudevents+json');
  assert.equal(got.headers['x-route'], 'ops', 'extra headers are sent; a reserved one cannot override the signature');
  const { time, ...rest } = got.json;
  assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(rest, {
    specversion: '1.0', id, source: '/ferry/tasks/s5b-task', type: 'io.ferry.task.full-load-completed', datacontenttype: 'application/json',
    data: { task: 's5b-task', category: 'full-load-completed', dmsCategory: 'Full load completed', message: 'full load completed', details: { position: 'mysql:000001:42' } },
  });
  assert.deepEqual(deadLetters(stateDir), []);
  const spool = new NotificationSpool(join(stateDir, 'notifications', 'spool.jsonl'));
  assert.deepEqual(spool.pending(), [], 'nothing left in the spool');
  spool.close();
});

test('a webhook down for good and one that hangs end in the dead letters; emit() never waits; no secret or token in logs', { timeout: 30000 }, async (t) => {
  const hanging = await startWebhookReceiver({ secret: SECRET, hang: true });
  const healthy = await startWebhookReceiver({ secret: SECRET });
  t.after(async () => { await hanging.close(); await healthy.close(); });
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-s5b-notify-'));
  const { log, text } = capture();
  const bus = new TaskEventBus({ task: 's5b-task', log });
  const deadTopic = uniqueName('s5b_notify_dead');
  t.after(async () => { const a = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' }); await a.deleteTopics([deadTopic]).catch(() => undefined); await a.close(); });
  const s = settings([hook('down', await closedPortUrl()), hook('hang', hanging.url), hook('ok', healthy.url)], { maxAttempts: 3, timeoutMs: 400, deadLetterTopic: deadTopic });
  const notifier = (await Notifier.open({ settings: s, task: 's5b-task', stateDir, log, kafkaBrokers: services.brokers }))!;
  notifier.attach(bus);

  const started = performance.now();
  for (let i = 0; i < 3; i++) bus.emit({ category: 'schema-change', key: `pos-${i}`, table: 'db.t', message: `ddl ${i}`, details: { i } });
  const emitMs = performance.now() - started;
  assert.ok(emitMs < 300, `emit() took ${emitMs.toFixed(1)} ms for 3 events × 3 subscriptions (spool fsyncs only)`);
  // The healthy destination is not held up by the broken ones: all three arrive while the others are still retrying.
  assert.ok(await waitFor(() => healthy.delivered().length === 3, 5000), 'the healthy webhook got the 3 events');
  assert.ok(deadLetters(stateDir).filter((d) => d.subscription === 'hang').length < 3, 'the hanging webhook was still being retried meanwhile');

  assert.ok(await waitFor(() => deadLetters(stateDir).length === 6, 20000), `6 dead letters (got ${deadLetters(stateDir).length})`);
  await notifier.close();
  const dead = deadLetters(stateDir);
  for (const sub of ['down', 'hang']) {
    const mine = dead.filter((d) => d.subscription === sub);
    assert.deepEqual(mine.map((d) => (d.event as { id: string }).id), [0, 1, 2].map((i) => taskEventId('s5b-task', 'schema-change', `pos-${i}`)), `${sub}: every event, in order`);
    for (const d of mine) {
      assert.equal(d.attempts, 3);
      assert.equal(d.destination, 'webhook');
      assert.match(String(d.where), /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(String(d.reason), sub === 'down' ? /could not be reached/ : /no answer in time/);
    }
  }
  assert.equal(hanging.requests.length, 9, 'the hanging webhook got 3 attempts per event');
  const onTopic = (await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-reader', topic: deadTopic, timeoutMs: 20000 })).map((r) => JSON.parse(r.value!.toString('utf8')) as Record<string, unknown>);
  assert.deepEqual(onTopic, dead, 'the dead-letter topic holds the same letters as the file, in order');
  const all = `${text()}\n${readFileSync(join(stateDir, 'notifications', 'dead-letters.jsonl'), 'utf8')}`;
  assert.ok(!all.includes('token=abc') && !all.includes('/hooks/ferry') && !all.includes(SECRET), 'no URL path, token or secret in logs or dead letters');
});

test('subscriptions filter by category, task and table', { timeout: 30000 }, async (t) => {
  const receivers: Record<string, WebhookReceiver> = {};
  for (const n of ['all', 'failures', 'other', 'table']) receivers[n] = await startWebhookReceiver({ secret: SECRET });
  t.after(async () => { for (const r of Object.values(receivers)) await r.close(); });
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-s5b-notify-'));
  const { log } = capture();
  const bus = new TaskEventBus({ task: 's5b-task', log });
  const notifier = (await Notifier.open({
    settings: settings([
      hook('all', receivers.all!.url),
      hook('failures', receivers.failures!.url, { categories: ['failure', 'validation-mismatch'] }),
      hook('other', receivers.other!.url, { tasks: ['some-other-task'] }),
      hook('table', receivers.table!.url, { tables: ['db.t1'] }),
      hook('off', receivers.all!.url, { enabled: false }),
    ]),
    task: 's5b-task', stateDir, log,
  }))!;
  notifier.attach(bus);
  bus.emit({ category: 'schema-change', key: 'a', table: 'db.t1', message: 'ddl on t1' });
  bus.emit({ category: 'schema-change', key: 'b', table: 'db.t2', message: 'ddl on t2' });
  bus.emit({ category: 'failure', message: 'boom' });
  await notifier.close();
  const categoriesOf = (r: WebhookReceiver) => r.delivered().map((x) => `${(x.json.data as { category: string }).category}:${(x.json.subject as string | undefined) ?? '-'}`);
  assert.deepEqual(categoriesOf(receivers.all!), ['schema-change:db.t1', 'schema-change:db.t2', 'failure:-']);
  assert.deepEqual(categoriesOf(receivers.failures!), ['failure:-']);
  assert.deepEqual(categoriesOf(receivers.other!), []);
  assert.deepEqual(categoriesOf(receivers.table!), ['schema-change:db.t1', 'failure:-'], 'task-level events pass a table filter');
});

test('what a stopped run left undelivered is sent by the next one, with the same id; a redelivered event is queued once', { timeout: 30000 }, async (t) => {
  const receiver = await startWebhookReceiver({ secret: SECRET });
  t.after(() => receiver.close());
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-s5b-notify-'));
  const { log } = capture();
  // Run 1: the destination is down and the drain window is 0: the event stays spooled.
  const down = await closedPortUrl();
  const first = (await Notifier.open({ settings: settings([hook('ops', down)], { initialBackoffMs: 60000, drainTimeoutMs: 0 }), task: 's5b-task', stateDir, log }))!;
  const bus1 = new TaskEventBus({ task: 's5b-task', log });
  first.attach(bus1);
  bus1.emit({ category: 'full-load-completed', key: 'pg:0000000001000000', message: 'full load completed' });
  bus1.emit({ category: 'full-load-completed', key: 'pg:0000000001000000', message: 'full load completed' }); // the batch read again
  await first.close();
  // Run 2: the same subscription name, now reachable; the same event is emitted again (its batch was redelivered).
  const second = (await Notifier.open({ settings: settings([hook('ops', receiver.url)]), task: 's5b-task', stateDir, log }))!;
  const bus2 = new TaskEventBus({ task: 's5b-task', log });
  second.attach(bus2);
  bus2.emit({ category: 'full-load-completed', key: 'pg:0000000001000000', message: 'full load completed' });
  assert.ok(await waitFor(() => receiver.delivered().length >= 1, 10000));
  await second.close();
  const ids = receiver.delivered().map((r) => r.json.id);
  assert.deepEqual(ids, [taskEventId('s5b-task', 'full-load-completed', 'pg:0000000001000000')], 'delivered once, with the deterministic id');
  assert.deepEqual(deadLetters(stateDir), []);
});
