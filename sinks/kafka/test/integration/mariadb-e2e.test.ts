// End to end: MariaDB → ferry run → Ferry's Kafka → ferry sink (the task's `kafka` target) → a second Kafka broker
// started by the test, SASL_SSL with SCRAM-SHA-512. Every record of every source topic must be in its renamed target
// topic exactly once (read_committed, an independent consumer), with the same key, value and header bytes in the
// same per-key order; values decoded through the registry must equal the source's, and the latest state per key the
// table. Also: the TLS-only listener works, and TLS without SASL or a wrong password fail with clear messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { createProducer, readTopicToEnd, type IncomingRecord } from '../../../../runtime/src/kafka/kafka-client.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { decodeWire } from '../../../../test/helpers/topic-reader.ts';
import { quietLog, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { KafkaTargetSink } from '../../src/KafkaTargetSink.ts';
import { startSecureBroker, type SecureBroker } from '../helpers/secure-broker.ts';
import { readTarget, type TargetRecord } from '../helpers/target-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let broker: SecureBroker;

before(async () => { broker = await startSecureBroker(); });
after(async () => { await broker?.stop(); });

const hex = (b: Buffer | null) => (b ? b.toString('hex') : 'null');
const sig = (value: Buffer | null, headers: ReadonlyMap<string, Buffer | string>) =>
  `${hex(value)}|${[...headers].map(([k, v]) => `${k}=${v.toString()}`).sort().join(',')}`;

/** key → the list of (value, headers) in log order. */
function perKey(records: readonly { key: Buffer | null; value: Buffer | null; headers: ReadonlyMap<string, Buffer | string> }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const k = hex(r.key);
    let l = out.get(k);
    if (!l) out.set(k, (l = []));
    l.push(sig(r.value && r.value.length > 0 ? r.value : null, r.headers));
  }
  return out;
}

async function workload(c: mysql.Connection, db: string, from: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = from + i;
    await c.query(`INSERT INTO \`${db}\`.items (id, v, s, d) VALUES (?, ?, ?, ?)`, [id, id * 1000, `new ${id}`, (id % 1000) / 100]);
    if (i % 3 === 0) await c.query(`UPDATE \`${db}\`.items SET v = v + 1, s = CONCAT(s, ' upd') WHERE id = ?`, [1 + ((i * 7) % (from - 1))]);
    if (i % 10 === 0) await c.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [1 + ((i * 13) % (from - 1))]);
    if (i % 4 === 0) await c.query(`UPDATE \`${db}\`.customers SET name = CONCAT(name, '!') WHERE id = ?`, [1 + (i % 50)]);
  }
}

test('MariaDB → Ferry → Kafka target over SASL_SSL/SCRAM: every record once, renamed, same bytes and headers', { timeout: 240000 }, async () => {
  const db = uniqueName('ferry_kt');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', supportBigNumbers: true, bigNumberStrings: true });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL)`);
  await admin.query(`CREATE TABLE ${db}.customers (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL)`);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [Array.from({ length: 1500 }, (_, i) => [i + 1, i, `row ${i}`, (i % 1000) / 100])]);
  await admin.query(`INSERT INTO ${db}.customers VALUES ?`, [Array.from({ length: 50 }, (_, i) => [i + 1, `c${i}`])]);
  const prefix = db;
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2, topicPrefix: prefix },
    targets: [{
      type: 'kafka', name: 'mirror', brokers: [broker.saslSsl], tls: { ca: broker.caFile }, sasl: { mechanism: 'scram-sha-512', username: broker.user, password: broker.password },
      topic: 'mirror.{schema}.{table}', topics: { [`${db}.customers`]: `crm.${db}.customers` }, createTopics: { partitions: 3 }, maxBatchRecords: 700,
    }],
    settings: { metrics: { enabled: false }, stateDir: mkdtempSync(join(tmpdir(), 'ferry-kt-state-')), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const workers = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
  const src = { items: `${prefix}.${db}.items`, customers: `${prefix}.${db}.customers` };
  const dst = { items: `mirror.${db}.items`, customers: `crm.${db}.customers` };
  try {
    await sleep(1500);
    await workload(admin, db, 2001, 300);
    // Records with headers (Ferry's own records have none): copies of the latest record of a few keys, so the
    // table state is unchanged, with extra headers that must reach the target unchanged.
    const before = await readTopicToEnd({ brokers: services.brokers, clientId: 'kt-e2e', topic: src.customers, timeoutMs: 60000 });
    const lastByKey = new Map<string, IncomingRecord>();
    for (const r of before) if (r.value) lastByKey.set(hex(r.key), r);
    const p = createProducer({ brokers: services.brokers, clientId: 'kt-e2e-headers' });
    await p.send([...lastByKey.values()].slice(0, 5).map((r, i) => ({
      topic: r.topic, partition: r.partition, key: r.key, value: r.value, headers: new Map([['trace-id', Buffer.from(`t-${i}`)], ['bin', Buffer.from([0, 255, i])]]),
    })));
    await p.close();
    await workload(admin, db, 2301, 100);
    await sleep(2000);

    const source: Record<string, IncomingRecord[]> = {};
    for (const [k, t] of Object.entries(src)) source[k] = await readTopicToEnd({ brokers: services.brokers, clientId: 'kt-e2e', topic: t, timeoutMs: 60000 });
    const total = source.items!.length + source.customers!.length;
    assert.ok(source.items!.some((r) => r.value === null || r.value.length === 0), 'the source has tombstones');
    let target: TargetRecord[] = [];
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline) {
      target = await readTarget({ brokers: [broker.plain], topics: Object.values(dst), expect: total, timeoutMs: 8000, quietMs: 1000 });
      if (target.length >= total) break;
    }
    assert.equal(target.length, total, 'every source record is in the target exactly once');
    for (const k of ['items', 'customers'] as const) {
      const got = target.filter((r) => r.topic === dst[k]);
      assert.equal(got.length, source[k]!.length, `${dst[k]} has as many records as ${src[k]}`);
      assert.deepEqual(perKey(got), perKey(source[k]!), `${dst[k]}: same keys, values and headers, in per-key order`);
    }
    const withHeaders = target.filter((r) => r.headers.has('trace-id'));
    assert.equal(withHeaders.length, 5);
    assert.deepEqual([...withHeaders[0]!.headers.get('bin')!].length > 0, true);
    // Decoded through the registry: the target's values are the source's.
    for (const r of target.filter((x) => x.topic === dst.items).slice(0, 300)) {
      if (!r.value) continue;
      const v = await decodeWire(r.value);
      assert.ok(v.schemaId > 0 && typeof v.value === 'object');
    }
    // The latest state per key, decoded from the target, equals the table.
    const state = new Map<string, string>();
    for (const r of target.filter((x) => x.topic === dst.items)) {
      const key = (await decodeWire(r.key!)).value as { id: number };
      if (!r.value) continue;
      const env = (await decodeWire(r.value)).value as { after: { id: number; v: unknown; s: unknown } | null };
      if (env.after) state.set(String(key.id), `${env.after.v}|${env.after.s}`);
      else state.delete(String(key.id));
    }
    const [rows] = await admin.query(`SELECT id, v, s FROM ${db}.items`);
    const want = new Map((rows as { id: number; v: string; s: string }[]).map((r) => [String(r.id), `${r.v}|${r.s}`]));
    assert.deepEqual(new Map([...state].sort()), new Map([...want].sort()), 'the target rebuilds the table');
  } finally {
    stop.abort();
    await running.catch(() => {});
    await workers.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  }
});

test('TLS only (SSL listener, CA as PEM text): check and a transactional write succeed', { timeout: 60000 }, async () => {
  const sink = new KafkaTargetSink({ name: 'tls', config: { brokers: [broker.ssl], tls: { ca: broker.caPem }, topic: 'tls-only.{table}' } });
  try {
    await sink.check();
    const raw = { topic: 'p.db.t', partition: 0, offset: 7n, key: Buffer.from('k'), value: Buffer.from('v'), timestampMs: 1700000000000, headers: new Map([['h', Buffer.from('x')]]) };
    const log = quietLog();
    await sink.write([], { signal: new AbortController().signal, log, metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file() {} }, input: [{ raw, record: null }] });
    const got = await readTarget({ brokers: [broker.plain], topics: ['tls-only.t'], expect: 1, timeoutMs: 20000, quietMs: 500 });
    assert.deepEqual(got.map((r) => [r.key?.toString(), r.value?.toString(), r.headers.get('h'), r.timestampMs]), [['k', 'v', 'x', 1700000000000]]);
  } finally {
    await sink.close();
  }
});

test('TLS without SASL on the SASL_SSL listener: an error that says to set sasl', { timeout: 60000 }, async () => {
  const sink = new KafkaTargetSink({ name: 'nosasl', config: { brokers: [broker.saslSsl], tls: { ca: broker.caFile }, timeoutMs: 5000 } });
  try {
    await assert.rejects(sink.check(), (e: Error) => {
      assert.match(e.message, /closed the connection/);
      assert.match(e.message, /set sasl/);
      return true;
    });
  } finally {
    await sink.close();
  }
});

test('wrong SCRAM password: a fatal error naming the credentials, without the password', { timeout: 60000 }, async () => {
  const wrong = 'Wr0ng-Passw0rd-42';
  const sink = new KafkaTargetSink({ name: 'badpw', config: { brokers: [broker.saslSsl], tls: { ca: broker.caFile }, sasl: { mechanism: 'scram-sha-512', username: broker.user, password: wrong }, timeoutMs: 5000 } });
  try {
    await assert.rejects(sink.check(), (e: Error & { disposition?: string }) => {
      assert.match(e.message, /rejected the SASL credentials/);
      assert.match(e.message, /sasl\.password/);
      assert.ok(!e.message.includes(wrong), 'the password is not in the message');
      assert.ok(!JSON.stringify((e as { details?: unknown }).details ?? {}).includes(wrong));
      assert.equal(e.disposition, 'fatal');
      return true;
    });
  } finally {
    await sink.close();
  }
});

test('a CA that did not sign the broker certificate: a TLS error pointing at tls.ca', { timeout: 60000 }, async () => {
  const sink = new KafkaTargetSink({ name: 'badca', config: { brokers: [broker.ssl], tls: true, timeoutMs: 5000 } });
  try {
    await assert.rejects(sink.check(), /tls\.ca/);
  } finally {
    await sink.close();
  }
});
