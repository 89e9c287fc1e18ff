// table-errors from `ferry sink`'s workers (Kafka mode; docs/notifications.md): a task loads its table to Kafka, a
// record of garbage bytes is appended to the data topic, and the sink worker (with the task's notifications, as
// `ferry sink` runs it) dead-letters it to <prefix>.dlq as before and sends a table-errors event for the table,
// read back by a webhook receiver that checks the HMAC itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createAdmin, createProducer, readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { TaskNotifications } from '../../app/src/task/task-notifications.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { startWebhookReceiver, waitFor } from '../helpers/notification-receivers.ts';

const SECRET = 's5b-sink-worker-secret-3';

test('a sink worker dead-letters an undecodable record to <prefix>.dlq and sends table-errors', { timeout: 90000 }, async (t) => {
  const db = uniqueName('s5b_sinkerr');
  const root = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await root.query(`CREATE DATABASE ${db}`);
  await root.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(10))`);
  await root.query(`INSERT INTO ${db}.t VALUES (1, 'a'), (2, 'b')`);
  const receiver = await startWebhookReceiver({ secret: SECRET });
  t.after(async () => {
    await root.query(`DROP DATABASE ${db}`);
    await root.end();
    await receiver.close();
    const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await admin.deleteTopics((await admin.listTopics()).filter((x) => x === db || x.startsWith(`${db}.`))).catch(() => undefined);
    await admin.close();
  });

  const dir = mkdtempSync(join(tmpdir(), 'ferry-s5b-sinkerr-'));
  process.env['S5B_SINKERR_SECRET'] = SECRET;
  const task = parseTask({
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    targets: [{ type: 'parquet', name: 'lake', location: join(dir, 'lake'), maxFileAgeMs: 500 }],
    settings: {
      metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite',
      notifications: { subscriptions: [{ name: 'ops', type: 'webhook', url: receiver.url, secret: '${env:S5B_SINKERR_SECRET}', categories: ['table-errors'] }] },
    },
  });
  const log = process.env['S5B_DEBUG'] ? createLogger({ level: 'debug' }) : createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  await runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }) }, new AbortController().signal);
  const topic = `${db}.${db}.t`;
  const p = createProducer({ brokers: services.brokers, clientId: 'ferry-test-raw' });
  await p.send([{ topic, key: Buffer.from('k'), value: Buffer.from('this is not Avro') }]);
  await p.close();

  // As `ferry sink` runs them (app/src/cli/commands/sink.ts).
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const notify = await TaskNotifications.open(task, { log, metrics, role: { sink: [] } });
  assert.ok(notify.active);
  const controller = new AbortController();
  const workers = runTaskSinkWorkers({ task, log, metrics, events: notify.bus }, controller.signal);
  const delivered = await waitFor(() => receiver.delivered().length > 0, 45000);
  controller.abort();
  await workers;
  await notify.close();
  assert.ok(delivered, 'table-errors delivered');

  const e = receiver.delivered()[0]!.json as { type: string; subject: string; data: { details: Record<string, unknown> } };
  assert.equal(e.type, 'io.ferry.task.table-errors');
  assert.equal(e.subject, `${db}.t`);
  assert.deepEqual([e.data.details['target'], e.data.details['records'], e.data.details['stage'], e.data.details['deadLetters']], ['lake', 1, 'decode', `Kafka topic ${db}.dlq`]);
  const dlq = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-reader', topic: `${db}.dlq`, timeoutMs: 20000 });
  assert.deepEqual(dlq.map((r) => r.value?.toString('utf8')), ['this is not Avro'], 'the original bytes are in the dead-letter topic');
});
