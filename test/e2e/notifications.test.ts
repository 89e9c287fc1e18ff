// Event notifications end to end (docs/notifications.md): a MariaDB task with a kafka block and settings.notifications
// sends its full-load completion, a schema change and its failure to an SNS topic on moto (read back from a
// subscribed SQS queue), to a webhook that checks the HMAC itself, and to a Kafka topic of CloudEvents (read back with
// the Kafka client). A webhook down for good and one that never answers end in the dead letters, and the task's
// change events keep flowing meanwhile (read back from its data topic with the independent Avro reader). A low-storage
// threshold above the disk's size fires low-storage once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createAdmin } from '../../runtime/src/kafka/kafka-client.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { FerryError } from '../../core/src/errors.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded } from '../helpers/topic-reader.ts';
import { AWS_TEST, readCloudEvents, snsTopicWithQueue, startWebhookReceiver, waitFor } from '../helpers/notification-receivers.ts';

const SECRET = 's5b-e2e-webhook-secret-42';
const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/down`;
}

test('full load completed, schema change and task failure reach SNS, a signed webhook and a Kafka topic; broken webhooks end in the dead letters without holding up the task', { timeout: 120000 }, async (t) => {
  const db = uniqueName('s5b_notify');
  const eventsTopic = `${db}.events`;
  const root = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await root.query(`CREATE DATABASE ${db}`);
  await root.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, v TEXT)`);
  await root.query(`INSERT INTO ${db}.t VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
  const sns = await snsTopicWithQueue(db.replace(/[^A-Za-z0-9_-]/g, '-'));
  const webhook = await startWebhookReceiver({ secret: SECRET });
  const hanging = await startWebhookReceiver({ secret: SECRET, hang: true });
  t.after(async () => {
    await root.query(`DROP DATABASE IF EXISTS ${db}`);
    await root.end();
    await sns.cleanup();
    await webhook.close();
    await hanging.close();
    const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await admin.deleteTopics((await admin.listTopics()).filter((x) => x === db || x.startsWith(`${db}.`) || x.startsWith(`${db}-`))).catch(() => undefined);
    await admin.close();
  });

  const stateDir = join(mkdtempSync(join(tmpdir(), 'ferry-s5b-notify-e2e-')), 'state');
  process.env['S5B_WEBHOOK_SECRET'] = SECRET;
  const task = parseTask({
    name: db, migrationType: 'full-load-and-cdc',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, maxMessageBytes: 4096 },
    settings: {
      metrics: { enabled: false }, stateDir, offsetStore: 'sqlite',
      notifications: {
        initialBackoffMs: 100, maxBackoffMs: 400, maxAttempts: 3, timeoutMs: 2000, drainTimeoutMs: 30000,
        checkIntervalSeconds: 1, lowStorageFreeMb: 100000000, // ~95 TB: the state folder's file system is "low" at once
        subscriptions: [
          { name: 'sns', type: 'sns', topicArn: sns.topicArn, endpoint: AWS_TEST.endpoint, region: AWS_TEST.region, accessKeyId: 'test', secretAccessKey: 'test', categories: ['full-load-completed', 'schema-change', 'failure'] },
          { name: 'hook', type: 'webhook', url: webhook.url, secret: '${env:S5B_WEBHOOK_SECRET}', categories: ['full-load-completed', 'schema-change', 'failure'] },
          { name: 'kafka', type: 'kafka', topic: eventsTopic, categories: ['full-load-completed', 'schema-change', 'failure'] },
          { name: 'everything', type: 'kafka', topic: `${db}.all-events` },
          { name: 'down', type: 'webhook', url: await closedPortUrl(), secret: '${env:S5B_WEBHOOK_SECRET}', categories: ['full-load-completed', 'schema-change'] },
          { name: 'hang', type: 'webhook', url: hanging.url, secret: '${env:S5B_WEBHOOK_SECRET}', categories: ['full-load-completed', 'schema-change'] },
        ],
      },
    },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quiet(), metrics, serveMetrics: false }, new AbortController().signal);
  const outcome = running.then(() => null, (e: unknown) => e);

  const categories = {
    sns: async () => { await sns.poll(); return sns.messages.map((m) => m.message['Category'] as string); },
    hook: () => webhook.delivered().map((r) => (r.json.data as { category: string }).category),
    kafka: async () => (await readCloudEvents(eventsTopic)).map((r) => (r.event.data as { category: string }).category),
  };
  const reachedAll = async (category: string) => waitFor(async () => (await categories.sns()).includes(category) && categories.hook().includes(category) && (await categories.kafka()).includes(category), 30000, 300);

  // 1. Full load completed.
  assert.ok(await reachedAll('full-load-completed'), 'full-load-completed at SNS, the webhook and Kafka');
  // 2. A schema change, then rows streamed after it while the hanging webhook still holds its events.
  await root.query(`ALTER TABLE ${db}.t ADD COLUMN n INT NULL`);
  await root.query(`INSERT INTO ${db}.t VALUES (4, 'd', 4), (5, 'e', 5)`);
  assert.ok(await reachedAll('schema-change'), 'schema-change at SNS, the webhook and Kafka');
  assert.ok(await waitFor(async () => (await readDecoded(`${db}.${db}.t`)).length === 5, 20000), 'the 5 rows are on the data topic');
  assert.ok(hanging.requests.length >= 1 && hanging.delivered().length === 0, 'the hanging webhook was being tried meanwhile');
  // 3. A row larger than kafka.maxMessageBytes: the task fails (FERRY_EVENT_TOO_LARGE).
  await root.query(`INSERT INTO ${db}.t VALUES (6, REPEAT('x', 20000), 6)`);
  const err = await outcome;
  assert.ok(err instanceof FerryError && err.code === 'FERRY_EVENT_TOO_LARGE', `the task failed with FERRY_EVENT_TOO_LARGE (got ${String(err)})`);
  // The notifier drained before runTask returned: the failure is already everywhere.
  assert.ok(await reachedAll('failure'), 'failure at SNS, the webhook and Kafka');

  // Exact payloads, per destination, for the schema change.
  const snsMsg = sns.messages.find((m) => m.message['Category'] === 'schema-change')!;
  assert.equal(snsMsg.subject, `Ferry task ${db}: Schema change`);
  assert.deepEqual(snsMsg.attributes, { category: 'schema-change', task: db });
  assert.equal(snsMsg.message['Event Source'], 'replication-task');
  assert.equal(snsMsg.message['SourceId'], db);
  assert.deepEqual(snsMsg.message['Event Categories'], ['Schema change']);
  assert.equal(snsMsg.message['Table'], `${db}.t`);
  assert.equal((snsMsg.message['Details'] as { ddl: string }).ddl, `ALTER TABLE ${db}.t ADD COLUMN n INT NULL`);
  const hookMsg = webhook.delivered().find((r) => (r.json.data as { category: string }).category === 'schema-change')!;
  assert.equal(hookMsg.json.id, snsMsg.message['Event ID'], 'the same idempotency id at every destination');
  assert.equal(hookMsg.json.type, 'io.ferry.task.schema-change');
  assert.equal(hookMsg.json.subject, `${db}.t`);
  const kafkaEvents = await readCloudEvents(eventsTopic);
  const kafkaMsg = kafkaEvents.find((r) => (r.event.data as { category: string }).category === 'schema-change')!;
  assert.deepEqual(kafkaMsg.event, hookMsg.json, 'the webhook and Kafka carry the same CloudEvent');
  assert.equal(kafkaMsg.key, db);
  assert.equal(kafkaMsg.contentType, 'application/cloudevents+json');
  assert.deepEqual(kafkaEvents.map((r) => (r.event.data as { category: string }).category), ['full-load-completed', 'schema-change', 'failure'], 'each event once, in order');
  const failure = kafkaEvents[2]!.event.data as { details: { code: string; disposition: string } };
  assert.deepEqual([failure.details.code, failure.details.disposition], ['FERRY_EVENT_TOO_LARGE', 'fatal']);
  assert.ok(webhook.requests.every((r) => r.verified), 'every webhook request was signed correctly');

  // An unfiltered subscription sees the task's whole story, in order.
  const all = (await readCloudEvents(`${db}.all-events`)).map((r) => r.event.data as { category: string; details: Record<string, unknown> });
  const low = all.filter((e) => e.category === 'low-storage');
  assert.equal(low.length, 1, 'low storage: once while it lasts');
  assert.equal(low[0]!.details['thresholdMb'], 100000000);
  const story = all.filter((e) => e.category !== 'low-storage');
  assert.deepEqual(story.map((e) => e.category), ['state-change', 'full-load-completed', 'cdc-started', 'schema-change', 'failure']);
  assert.equal(story[0]!.details['state'], 'running');
  assert.equal(story[2]!.details['position'], story[1]!.details['position'], 'CDC starts where the full load ended');

  // The broken webhooks: each event dead-lettered after 3 attempts.
  const file = join(stateDir, 'notifications', 'dead-letters.jsonl');
  assert.ok(existsSync(file));
  const dead = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { subscription: string; attempts: number; event: { category: string } });
  assert.deepEqual(dead.filter((d) => d.subscription === 'down').map((d) => [d.event.category, d.attempts]), [['full-load-completed', 3], ['schema-change', 3]]);
  assert.deepEqual(dead.filter((d) => d.subscription === 'hang').map((d) => [d.event.category, d.attempts]), [['full-load-completed', 3], ['schema-change', 3]]);
});
