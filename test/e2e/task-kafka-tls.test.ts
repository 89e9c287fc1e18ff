// Encryption in transit to the task's OWN Kafka cluster and its schema registry (issue #20, TLS-KAFKA). A throwaway
// secured broker (sinks/kafka/test/helpers/secure-broker.ts: SASL_SSL with SCRAM, SSL, and an MTLS listener that
// requires a client certificate) and an HTTPS proxy with a private CA in front of the local registry:
//   - SASL_SSL/SCRAM-SHA-256: `ferry run` (MariaDB, full load + CDC) writes its change events and its offsets to the
//     secured cluster and registers schemas over HTTPS; a `ferry sink` worker consumes them over SASL_SSL into
//     PostgreSQL; the PostgreSQL table equals the MariaDB table, and the topic read back through the broker's
//     plaintext listener (an independent reader) holds exactly the rows;
//   - mutual TLS: the same through the MTLS listener with a client certificate;
//   - failures: a wrong CA, a wrong host name, a missing client certificate and a wrong password each give a fatal
//     one-line error naming the brokers, the reason and the option to fix; verification off logs a warning;
//   - `ferry serve --kafka-security <file>`: the Kafka task store written and read back over SASL_SSL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { loadKafkaStoreSecurity } from '../../app/src/tasks-api/kafka-store-security.ts';
import { KafkaTaskStore } from '../../app/src/tasks-api/kafka-task-store.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { kafkaSchema } from '../../runtime/src/config/settings-schema.ts';
import { createAdmin, readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { logTaskKafkaSecurity, taskKafkaConnection } from '../../runtime/src/kafka/task-kafka.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { startSecureBroker, type SecureBroker } from '../../sinks/kafka/test/helpers/secure-broker.ts';
import { sleep } from '../helpers/ferry-process.ts';
import { quietLog, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { decodeWire } from '../helpers/topic-reader.ts';
import { makeTestPki, startHttpsProxy, type RunningProxy, type TestPki } from '../helpers/tls-test-proxy.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };
let broker: SecureBroker;
let pki: TestPki;
let registryProxy: RunningProxy;
let httpsRegistry: string;

before(async () => {
  pki = makeTestPki();
  registryProxy = await startHttpsProxy({ pki, target: services.registryUrl });
  httpsRegistry = `https://127.0.0.1:${registryProxy.port}${new URL(services.registryUrl).pathname}`;
  broker = await startSecureBroker();
});
after(async () => {
  await broker?.stop();
  await registryProxy?.close();
  pki?.remove();
});

const selectAll = (db: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] });

async function makeSource(db: string, rows: number): Promise<mysql.Connection> {
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL)`);
  await my.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: rows }, (_, i) => `(${i + 1}, 'item ${i + 1}', ${i * 3})`).join(',')}`);
  return my;
}

async function sourceRows(my: mysql.Connection, db: string): Promise<string[]> {
  const [rows] = await my.query(`SELECT id, name, qty FROM ${db}.items ORDER BY id`);
  return (rows as { id: number; name: string; qty: number }[]).map((r) => `${r.id}|${r.name}|${r.qty}`);
}

/** The table rebuilt from the topic, read through the broker's plaintext listener and decoded with avsc. */
async function topicRows(topic: string): Promise<string[]> {
  const state = new Map<number, string>();
  for (const r of await readTopicToEnd({ brokers: [broker.plain], clientId: 'tlskafka-reader', topic, timeoutMs: 30000 })) {
    const key = (await decodeWire(r.key!)).value as { id: number };
    if (!r.value || r.value.length === 0) continue;
    const after = ((await decodeWire(r.value)).value as { after: { id: number; name: string; qty: number } | null }).after;
    if (after) state.set(key.id, `${after.id}|${after.name}|${after.qty}`);
    else state.delete(key.id);
  }
  return [...state.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

async function until(what: string, check: () => Promise<boolean>, failed: () => unknown, ms = 90000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (failed()) throw failed();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test('SASL_SSL (SCRAM-SHA-256) task cluster and HTTPS registry: ferry run and a ferry sink worker, offsets on the secured cluster', { timeout: 240000 }, async (t) => {
  const db = uniqueName('tlskafka_scram');
  const my = await makeSource(db, 300);
  const target = new pg.Client(PG);
  await target.connect();
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: selectAll(db),
    kafka: {
      brokers: [broker.saslSsl], tls: { ca: broker.caFile }, sasl: { mechanism: 'scram-sha-256', username: broker.user, password: broker.password },
      schemaRegistry: httpsRegistry, schemaRegistryTls: { ca: pki.caFile }, topicPrefix: db,
    },
    targets: [{ type: 'postgres', name: 'pg', ...PG, stateSchema: db }],
    settings: { metrics: { enabled: false }, stateDir: mkdtempSync(join(tmpdir(), 'tlskafka-state-')), batch: { maxDelayMs: 20 } },
  });
  assert.equal(task.settings.offsetStore, 'kafka', 'offsets go to the (secured) task cluster');
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  let failure: unknown;
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const sinking = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
  running.catch((e: unknown) => { failure = e; });
  sinking.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    stop.abort();
    await Promise.allSettled([running, sinking]);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await my.end();
    await target.end();
  });
  const pgRows = async () => (await target.query(`SELECT id, name, qty FROM "${db}".items ORDER BY id`).catch(() => ({ rows: [] }))).rows.map((r: { id: number; name: string; qty: number }) => `${r.id}|${r.name}|${r.qty}`);
  await until('the full load in PostgreSQL', async () => (await pgRows()).length === 300, () => failure);
  await my.query(`UPDATE ${db}.items SET qty = qty + 1000, name = CONCAT(name, ' é') WHERE id <= 20`);
  await my.query(`DELETE FROM ${db}.items WHERE id BETWEEN 290 AND 300`);
  await my.query(`INSERT INTO ${db}.items VALUES (1001, 'late', 7)`);
  const want = await sourceRows(my, db);
  assert.equal(want.length, 290);
  await until('the changes in PostgreSQL', async () => JSON.stringify(await pgRows()) === JSON.stringify(want), () => failure);
  assert.deepEqual(await pgRows(), want, 'the sink worker (SASL_SSL consumer) wrote exactly the source rows');
  assert.deepEqual(await topicRows(`${db}.${db}.items`), want, 'the topic on the secured cluster holds exactly the source rows');
  const offsets = await readTopicToEnd({ brokers: [broker.plain], clientId: 'tlskafka-reader', topic: task.settings.offsetsTopic, timeoutMs: 30000 });
  assert.ok(offsets.some((r) => r.key?.toString() === db), 'the task offset was committed to the secured cluster');
  assert.ok(registryProxy.count() > 0, 'schemas went through the HTTPS registry');
});

test('mutual TLS task cluster: ferry run (full load) with a client certificate', { timeout: 180000 }, async (t) => {
  const db = uniqueName('tlskafka_mtls');
  const my = await makeSource(db, 120);
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
    tableMappings: selectAll(db),
    kafka: { brokers: [broker.mtls], tls: { ca: broker.caPem, cert: broker.clientCertFile, key: broker.clientKeyFile }, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: mkdtempSync(join(tmpdir(), 'tlskafka-state-')), batch: { maxDelayMs: 20 } },
  });
  t.after(async () => {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
  });
  await runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
  assert.deepEqual(await topicRows(`${db}.${db}.items`), await sourceRows(my, db));
});

/** The task's kafka block as parsed, with the secure broker's listener and the given tls. */
const kafkaBlock = (brokers: string, tls: unknown, sasl?: unknown) =>
  ({ ...kafkaSchema.parse({ brokers: [brokers], schemaRegistry: services.registryUrl, tls, ...(sasl ? { sasl } : {}) }), clientId: 'tlskafka-check' });

async function listFails(k: ReturnType<typeof kafkaBlock>, patterns: RegExp[], disposition = 'fatal'): Promise<void> {
  const admin = createAdmin({ ...taskKafkaConnection(k), timeoutMs: 8000 });
  try {
    await assert.rejects(admin.listTopics(), (e: Error & { disposition?: string }) => {
      assert.equal(e.disposition, disposition, e.message);
      assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
      assert.ok(e.message.includes(k.brokers[0]!), `names the broker: ${e.message}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

test('certificate failures on the task cluster name the broker, the reason and the option', { timeout: 90000 }, async () => {
  await listFails(kafkaBlock(broker.ssl, { ca: pki.caFile }), [/unknown CA/, /kafka\.tls\.ca/]);
  await listFails(kafkaBlock(broker.ssl, true), [/unknown CA/, /kafka\.tls\.ca/]);
  await listFails(kafkaBlock(broker.ssl, { ca: broker.caFile, servername: 'kafka.example.com' }), [/host name mismatch/, /kafka\.tls\.servername/]);
  // The broker closes the connection without an alert the client surfaces: retried, the message names the fix.
  await listFails(kafkaBlock(broker.mtls, { ca: broker.caFile }), [/requires a client certificate/, /kafka\.tls\.cert and kafka\.tls\.key/], 'retry');
  const wrong = 'Not-The-Password-77';
  await listFails(kafkaBlock(broker.saslSsl, { ca: broker.caFile }, { mechanism: 'scram-sha-512', username: broker.user, password: wrong }), [/rejected the SASL credentials/, /kafka\.sasl/, /^(?!.*Not-The-Password-77)/]);
});

test('verification off only by kafka.tls.rejectUnauthorized: false, with a warning at every start', { timeout: 60000 }, async () => {
  const k = kafkaBlock(broker.ssl, { ca: pki.otherCaFile, rejectUnauthorized: false });
  const lines: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
  logTaskKafkaSecurity({ ...k }, log);
  const warn = lines.map((l) => JSON.parse(l) as { level: number | string; msg: string }).find((l) => /verification is OFF/.test(l.msg));
  assert.ok(warn, lines.join(''));
  assert.match(warn.msg, /kafka\.tls\.rejectUnauthorized: false/);
  const admin = createAdmin({ ...taskKafkaConnection(k), timeoutMs: 8000 });
  try {
    assert.ok(Array.isArray(await admin.listTopics()), 'connects despite the wrong CA: verification is off');
  } finally {
    await admin.close();
  }
  lines.length = 0;
  logTaskKafkaSecurity(kafkaBlock(broker.ssl, { ca: broker.caFile }), log);
  assert.ok(!lines.some((l) => /verification is OFF/.test(l)), 'no warning with verification on');
});

test('ferry serve --kafka-security: the Kafka task store over SASL_SSL, the password from ${env:}', { timeout: 60000 }, async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tlskafka-serve-')), 'kafka-security.yaml');
  writeFileSync(file, `tls:\n  ca: ${broker.caFile}\nsasl:\n  mechanism: scram-sha-512\n  username: ${broker.user}\n  password: \${env:TLSKAFKA_STORE_PW}\n`);
  process.env.TLSKAFKA_STORE_PW = broker.password;
  const topic = uniqueName('tlskafka.tasks');
  const security = loadKafkaStoreSecurity(file, [broker.saslSsl], quietLog());
  delete process.env.TLSKAFKA_STORE_PW;
  const now = new Date().toISOString();
  const rec = { name: 'tlskafka-task', definition: { name: 'tlskafka-task' }, desired: 'stopped' as const, status: { state: 'stopped' as const, reason: null, since: now }, createdAt: now, updatedAt: now };
  const store = await KafkaTaskStore.open({ brokers: [broker.saslSsl], clientId: 'tlskafka-serve', ...security, topic, replicationFactor: 1 });
  try {
    await store.put(rec);
  } finally {
    await store.close();
  }
  const again = await KafkaTaskStore.open({ brokers: [broker.saslSsl], clientId: 'tlskafka-serve', ...security, topic, replicationFactor: 1 });
  try {
    assert.deepEqual((await again.list()).map((t) => t.name), ['tlskafka-task'], 'read back over SASL_SSL');
  } finally {
    await again.close();
  }
  const raw = await readTopicToEnd({ brokers: [broker.plain], clientId: 'tlskafka-reader', topic, timeoutMs: 30000 });
  assert.deepEqual(raw.map((r) => r.key?.toString()), ['tlskafka-task'], 'the record is on the secured cluster');
  writeFileSync(file, 'tls: {ca: 1}\n');
  assert.throws(() => loadKafkaStoreSecurity(file, [broker.saslSsl], quietLog()), /--kafka-security .*tls/);
});
