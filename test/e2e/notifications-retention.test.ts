// retention-at-risk end to end (docs/notifications.md): a PostgreSQL task whose replication slot holds back more WAL
// than settings.notifications.slotLagBytesAtRisk (1 byte here, while another table takes writes) sends the event,
// read back by a webhook receiver that checks the HMAC itself, with the slot's name and its lag from the source's
// pg_slot_lag_bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createAdmin } from '../../runtime/src/kafka/kafka-client.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { startWebhookReceiver, waitFor } from '../helpers/notification-receivers.ts';

const SECRET = 's5b-retention-secret-99';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a replication slot holding back more WAL than slotLagBytesAtRisk sends retention-at-risk', { timeout: 90000 }, async (t) => {
  const name = uniqueName('s5b_retention');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${name}.a (id INT PRIMARY KEY, v TEXT)`);
  await admin.query(`ALTER TABLE ${name}.a OWNER TO cdc`);
  await admin.query(`ALTER TABLE ${name}.a REPLICA IDENTITY FULL`);
  await admin.query(`INSERT INTO ${name}.a VALUES (1, 'x')`);
  await admin.query(`CREATE TABLE ${name}.noise (id SERIAL PRIMARY KEY, v TEXT)`); // not captured: WAL only
  const receiver = await startWebhookReceiver({ secret: SECRET });
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await receiver.close();
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [name]);
    await sleep(300);
    await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
    for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) await admin.query(`DROP PUBLICATION "${r.pubname}"`);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
    const kafka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
    await kafka.deleteTopics((await kafka.listTopics()).filter((x) => x === name || x.startsWith(`${name}.`))).catch(() => undefined);
    await kafka.close();
  });

  process.env['S5B_RETENTION_SECRET'] = SECRET;
  const task = parseTask({
    name, migrationType: 'full-load-and-cdc',
    source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': 'a' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-s5b-retention-')), 'state'), offsetStore: 'sqlite', heartbeatIntervalMs: 1000,
      notifications: {
        checkIntervalSeconds: 1, slotLagBytesAtRisk: 1, lowStorageFreeMb: 0,
        subscriptions: [{ name: 'ops', type: 'webhook', url: receiver.url, secret: '${env:S5B_RETENTION_SECRET}', categories: ['retention-at-risk'] }],
      },
    },
  });
  running = runTask({ task, log: process.env['S5B_DEBUG'] ? createLogger({ level: 'debug' }) : createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics: new PromMetrics({ collectProcessMetrics: false }) }, controller.signal);
  running.catch(() => undefined);

  const got = await waitFor(async () => {
    await admin.query(`INSERT INTO ${name}.noise (v) SELECT repeat('w', 200) FROM generate_series(1, 200)`);
    return receiver.delivered().length > 0;
  }, 45000, 500);
  assert.ok(got, 'retention-at-risk delivered');
  const e = receiver.delivered()[0]!.json as { type: string; data: { details: { kind: string; slot: string; lagBytes: number; thresholdBytes: number } } };
  assert.equal(e.type, 'io.ferry.task.retention-at-risk');
  assert.equal(e.data.details.kind, 'postgres-slot');
  assert.ok(e.data.details.slot.includes(name), `the task's slot (${e.data.details.slot})`);
  assert.ok(e.data.details.lagBytes > 1);
  assert.equal(e.data.details.thresholdBytes, 1);
  assert.ok(receiver.requests.every((r) => r.verified));
});
