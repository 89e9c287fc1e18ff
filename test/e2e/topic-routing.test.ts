// settings.topicRouting (Debezium's ByLogicalTableRouter): 16 MariaDB shards orders_01 … orders_16, the same ids in
// every shard, merged into one topic by `ferry run` (full load, then updates, deletes and inserts). Read back with the
// independent reader (Kafka client + registry by id + avsc): every row of every shard exactly once in the load, keys
// unique with the routing field, one key and one value schema for all shards named after the new topic, values
// exact, each key's changes in order, no per-shard topic, the records counted under the routed topic. A `ferry sink`
// worker writes each record to its own PostgreSQL table (each shard's table with its own key and rows).
// Then two shards whose schemas differ: the task stops with FERRY_SCHEMA_INCOMPATIBLE naming both tables; the
// registry refusing the routed subject's schema; and 4 PostgreSQL shards with the shard number as the key field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { planTask } from '../../app/src/plan/plan-task.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { createAdmin } from '../../runtime/src/kafka/kafka-client.ts';
import { quietLog, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { sleep } from '../helpers/ferry-process.ts';
import { latestState, readDecoded } from '../helpers/topic-reader.ts';
import { ConfluentRegistryClient } from '../../schemas/src/ConfluentRegistryClient.ts';

const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };
const SHARDS = 16;
const ROWS = 25;
const shardName = (i: number) => `orders_${String(i).padStart(2, '0')}`;
/** The row every shard starts with: the same ids 1..ROWS in every shard (their keys collide without the routing field). */
const amount = (s: number, id: number) => `${s * 1000 + id}.${String(id % 100).padStart(2, '0')}`;

async function dropTopics(prefix: string): Promise<void> {
  const kafka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-cleanup' });
  try {
    await kafka.deleteTopics((await kafka.listTopics()).filter((x) => x === prefix || x.startsWith(`${prefix}.`))).catch(() => undefined);
  } finally {
    await kafka.close();
  }
}

function routingTask(db: string, extra: Record<string, unknown> = {}) {
  return parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'shards', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': 'orders_%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-routing-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 20 },
      topicRouting: [{ topicRegex: '(.*)\\.orders_[0-9]+', topicReplacement: '$1.orders_all' }],
    },
    ...extra,
  });
}

test('16 shards routed into one topic: every row once, unique keys, exact values, per-key order; each lands in its own PostgreSQL table', { timeout: 180_000 }, async (t) => {
  const db = uniqueName('routing');
  const topic = `${db}.${db}.orders_all`;
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  const target = new pg.Client(PG);
  await target.connect();
  await my.query(`CREATE DATABASE ${db}`);
  for (let s = 1; s <= SHARDS; s++) {
    await my.query(`CREATE TABLE ${db}.${shardName(s)} (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, note VARCHAR(40) NULL);
      INSERT INTO ${db}.${shardName(s)} VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${amount(s, i + 1)}, 'shard ${s} row ${i + 1}')`).join(',')}`);
  }
  const task = routingTask(db, { targets: [{ type: 'postgres', name: 'pg', ...PG, stateSchema: db }] });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const sinking = runTaskSinkWorkers({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }) }, stop.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  sinking.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    stop.abort();
    await Promise.allSettled([running, sinking]);
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await my.end();
    await target.end();
    await dropTopics(db);
  });
  // ferry plan: every shard on the routed topic, its subjects, the key with the routing field; the merge is no collision.
  const plan = await planTask(task);
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.checks.find((c) => c.check === 'tables.destinations')?.status, 'ok');
  assert.equal(plan.tables.length, SHARDS);
  for (const pt of plan.tables) {
    assert.equal(pt.topic, topic);
    assert.deepEqual(pt.subjects.map((x) => x.subject), [`${topic}-key`, `${topic}-value`]);
    assert.deepEqual((pt.subjects[0]!.schema as { fields: { name: string }[] }).fields.map((f) => f.name), ['id', '__dbz__physicalTableIdentifier']);
  }

  // Changes after the load, in an order per key: id 1 updated twice, id 2 deleted, id 3 deleted and inserted again, a new id.
  const counter = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []);
  for (let i = 0; i < 600 && !(await counter('ferry_events_total')).reduce((a, v) => a + v.value, 0); i++) { if (failure) throw failure; await sleep(100); }
  for (let s = 1; s <= SHARDS; s++) {
    const tb = `${db}.${shardName(s)}`;
    await my.query(`UPDATE ${tb} SET amount = amount + 1, note = 'first' WHERE id = 1; UPDATE ${tb} SET amount = amount + 1, note = 'second' WHERE id = 1;
      DELETE FROM ${tb} WHERE id = 2; DELETE FROM ${tb} WHERE id = 3; INSERT INTO ${tb} VALUES (3, 3.33, 'again'), (${ROWS + s}, ${s}.50, 'new')`);
  }
  // The expected final state of each shard, read from MariaDB itself.
  const expected = new Map<string, { id: number; amount: string; note: string | null }[]>();
  for (let s = 1; s <= SHARDS; s++) {
    const [rows] = await my.query(`SELECT id, CAST(amount AS CHAR) AS amount, note FROM ${db}.${shardName(s)} ORDER BY id`);
    expected.set(shardName(s), rows as { id: number; amount: string; note: string | null }[]);
  }
  const total = [...expected.values()].reduce((a, r) => a + r.length, 0);
  assert.equal(total, SHARDS * ROWS);

  // The sink: every shard's own table, with its own rows and key (no routing column).
  const pgRows = async (s: number) => (await target.query(`SELECT id, amount::text AS amount, note FROM "${db}".${shardName(s)} ORDER BY id`).catch(() => ({ rows: [] }))).rows;
  const done = async () => {
    for (let s = 1; s <= SHARDS; s++) if (JSON.stringify(await pgRows(s)) !== JSON.stringify(expected.get(shardName(s)))) return false;
    return true;
  };
  for (let i = 0; i < 900 && !(await done()); i++) { if (failure) throw failure; await sleep(100); }
  for (let s = 1; s <= SHARDS; s++) assert.deepEqual(await pgRows(s), expected.get(shardName(s)), shardName(s));
  const pk = await target.query(`SELECT t.relname AS table, string_agg(a.attname, ',') AS cols FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) WHERE i.indisprimary AND n.nspname = $1 AND t.relname LIKE 'orders%' GROUP BY t.relname`, [db]);
  assert.equal(pk.rows.length, SHARDS);
  assert.ok(pk.rows.every((r) => r.cols === 'id'), JSON.stringify(pk.rows));

  // The topic, read independently.
  const records = await readDecoded(topic);
  const shardOf = (r: (typeof records)[number]) => String(r.key!.__dbz__physicalTableIdentifier);
  for (const r of records) {
    assert.deepEqual(Object.keys(r.key!), ['id', '__dbz__physicalTableIdentifier']);
    if (r.value) assert.equal(shardOf(r), `${db}.${db}.${String(r.value.source.table)}`, 'the key names the record\'s own table');
  }
  // One key schema and one value schema for all shards, named after the new topic.
  assert.equal(new Set(records.map((r) => r.keySchemaId)).size, 1);
  assert.equal(new Set(records.filter((r) => r.value).map((r) => r.valueSchemaId)).size, 1);
  const schemaOf = async (subject: string) => JSON.parse(((await (await fetch(`${services.registryUrl}/subjects/${subject}/versions/latest`)).json()) as { schema: string }).schema);
  const versions = async (subject: string) => (await (await fetch(`${services.registryUrl}/subjects/${subject}/versions`)).json()) as number[];
  assert.deepEqual([await versions(`${topic}-key`), await versions(`${topic}-value`)].map((v) => v.length), [1, 1]);
  const keySchema = await schemaOf(`${topic}-key`);
  assert.equal(keySchema['connect.name'], `${topic}.Key`);
  assert.deepEqual(keySchema.fields, [{ name: 'id', type: 'int' }, { name: '__dbz__physicalTableIdentifier', type: 'string' }]);
  assert.equal((await schemaOf(`${topic}-value`))['connect.name'], `${topic}.Envelope`);

  // The load: every row of every shard exactly once.
  const reads = records.filter((r) => r.value?.op === 'r');
  assert.equal(reads.length, SHARDS * ROWS);
  const keys = new Set(reads.map((r) => JSON.stringify(r.key)));
  assert.equal(keys.size, SHARDS * ROWS, 'keys unique across shards with the routing field');
  for (let s = 1; s <= SHARDS; s++) {
    const mine = reads.filter((r) => r.value!.source.table === shardName(s)).sort((a, b) => Number(a.key!.id) - Number(b.key!.id));
    assert.deepEqual(mine.map((r) => r.value!.after), Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, amount: decimal(amount(s, i + 1)), note: `shard ${s} row ${i + 1}` })));
  }
  // The final state from the topic equals MariaDB's, shard by shard.
  const state = latestState(records);
  assert.equal(state.size, total);
  for (let s = 1; s <= SHARDS; s++) {
    for (const row of expected.get(shardName(s))!) {
      const k = JSON.stringify({ id: row.id, __dbz__physicalTableIdentifier: `${db}.${db}.${shardName(s)}` });
      assert.deepEqual(state.get(k), { id: row.id, amount: decimal(row.amount), note: row.note }, `${shardName(s)} id ${row.id}`);
    }
  }
  // Per key, in order: id 1 read, updated to 'first', then 'second'; id 3 read, deleted (and its tombstone), inserted again.
  for (let s = 1; s <= SHARDS; s++) {
    const of = (id: number) => records.filter((r) => r.key!.id === id && shardOf(r) === `${db}.${db}.${shardName(s)}`).map((r) => (r.value ? `${r.value.op}:${r.value.after?.note ?? ''}` : 'tombstone'));
    assert.deepEqual(of(1), [`r:shard ${s} row 1`, 'u:first', 'u:second']);
    assert.deepEqual(of(3), [`r:shard ${s} row 3`, 'd:', 'tombstone', 'c:again']);
  }
  // No per-shard topic; the records counted under the routed topic.
  const admin = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-routing' });
  const topics = (await admin.listTopics().finally(() => admin.close())).filter((x) => x.startsWith(`${db}.`));
  assert.deepEqual(topics.filter((x) => x !== `${db}.dlq`).sort(), [topic]);
  const produced = (await counter('ferry_kafka_records_total')).filter((v) => v.labels.topic !== undefined);
  assert.deepEqual(produced.map((v) => [v.labels.topic, v.value]), [[topic, records.filter((r) => r.value).length]]);
});

/** A DECIMAL(10,2) value as the Avro decimal bytes Debezium writes (unscaled, big-endian two's complement, shortest). */
function decimal(text: string): Buffer {
  let n = BigInt(text.replace('.', ''));
  const bytes: number[] = [];
  do { bytes.unshift(Number(n & 0xffn)); n >>= 8n; } while (n !== 0n && n !== -1n);
  if ((bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return Buffer.from(bytes);
}

test('shards whose schemas differ stop the task with FERRY_SCHEMA_INCOMPATIBLE naming both tables', { timeout: 120_000 }, async (t) => {
  const db = uniqueName('routing_bad');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await my.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.orders_01 (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL);
    CREATE TABLE ${db}.orders_02 (id INT PRIMARY KEY, amount VARCHAR(20) NOT NULL);
    INSERT INTO ${db}.orders_01 VALUES (1, 1.50); INSERT INTO ${db}.orders_02 VALUES (1, 'one fifty')`);
  t.after(async () => {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    await dropTopics(db);
  });
  const task = routingTask(db);
  // ferry plan names the difference first.
  const plan = await planTask(task);
  assert.equal(plan.ok, false);
  assert.deepEqual(plan.problems.map((p) => p.table), [`${db}.orders_02`]);
  assert.match(plan.problems[0]!.message, new RegExp(`routes ${db}\\.orders_01 and ${db}\\.orders_02 to topic ${db}\\.${db}\\.orders_all, but their schemas differ: column amount is `));
  const failed = await runTask({ task, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal).then(() => null, (e: unknown) => e);
  assert.ok(failed instanceof Error, 'the task stops');
  const e = failed as Error & { code?: string };
  assert.equal(e.code, 'FERRY_SCHEMA_INCOMPATIBLE');
  assert.match(e.message, new RegExp(`routes tables "${db}\\.orders_0[12]" and "${db}\\.orders_0[12]" to topic "${db}\\.${db}\\.orders_all", but their schemas differ: column amount is `));
  assert.ok(e.message.includes(`${db}.orders_01`) && e.message.includes(`${db}.orders_02`));
  // Nothing of the second table reached the topic (here both tables' loads were in the refused batch: nothing at all).
  const tables = new Set((await readDecoded(`${db}.${db}.orders_all`)).map((r) => r.value?.source.table));
  assert.ok(tables.size <= 1, [...tables].join());
});

test('PostgreSQL: 4 shards of one schema routed into one topic, keys unique with the routing field, the shard number as its value', { timeout: 120_000 }, async (t) => {
  const name = uniqueName('routing_pg');
  const admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const owner = new pg.Client({ ...PG, user: 'cdc', password: 'cdc' });
  await owner.connect();
  for (let s = 1; s <= 4; s++) {
    await owner.query(`CREATE TABLE ${name}.orders_${s} (id BIGINT PRIMARY KEY, amount NUMERIC(10,2) NOT NULL, note TEXT)`);
    await owner.query(`ALTER TABLE ${name}.orders_${s} REPLICA IDENTITY FULL`);
    await owner.query(`INSERT INTO ${name}.orders_${s} SELECT g, ${s} * 1000 + g + 0.25, 'shard ${s} row ' || g FROM generate_series(1, 10) g`);
  }
  const task = parseTask({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': 'orders_%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-routing-pg-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 20 },
      topicRouting: [{ topicRegex: '(.*)\\.orders_([0-9]+)', topicReplacement: '$1.orders', keyFieldName: 'shard', keyFieldRegex: '.*\\.orders_([0-9]+)', keyFieldReplacement: '$1' }],
    },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    stop.abort();
    await running.catch(() => undefined);
    await owner.end();
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [name]);
    await sleep(300);
    await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
    for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) await admin.query(`DROP PUBLICATION "${r.pubname}"`);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
    await dropTopics(name);
  });
  const events = async () => ((await metrics.registry.getSingleMetric('ferry_events_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  for (let i = 0; i < 600 && (await events()) < 40; i++) { if (failure) throw failure; await sleep(100); }
  for (let s = 1; s <= 4; s++) await owner.query(`UPDATE ${name}.orders_${s} SET note = 'updated' WHERE id = 1`);
  for (let i = 0; i < 600 && (await events()) < 44; i++) { if (failure) throw failure; await sleep(100); }
  assert.equal(await events(), 44);

  const topic = `${name}.${name}.orders`;
  const records = await readDecoded(topic);
  assert.equal(records.length, 44);
  assert.equal(new Set(records.filter((r) => r.value!.op === 'r').map((r) => `${String(r.key!.id)}/${String(r.key!.shard)}`)).size, 40, 'keys unique across shards');
  for (const r of records) {
    assert.deepEqual(r.key, { id: r.value!.after!.id, shard: String(r.value!.source.table).replace('orders_', '') });
    assert.equal(r.value!.source.schema, name);
  }
  for (let s = 1; s <= 4; s++) {
    const mine = records.filter((r) => r.key!.shard === String(s));
    assert.deepEqual(mine.filter((r) => r.key!.id === 1n).map((r) => `${r.value!.op}:${String(r.value!.after!.note)}`), [`r:shard ${s} row 1`, 'u:updated']);
  }
  assert.equal(new Set(records.map((r) => r.valueSchemaId)).size, 1);
});

test('the registry refusing a routed topic\'s schema (BACKWARD against an earlier version) names the table, the topic and the rule', { timeout: 120_000 }, async (t) => {
  const db = uniqueName('routing_reg');
  const topic = `${db}.${db}.orders_all`;
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await my.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.orders_01 (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL);
    CREATE TABLE ${db}.orders_02 (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL); INSERT INTO ${db}.orders_01 VALUES (1, 1.50); INSERT INTO ${db}.orders_02 VALUES (1, 2.50)`);
  // An earlier, unrelated version of the topic's value subject, and the subject under BACKWARD compatibility.
  const registry = new ConfluentRegistryClient({ url: services.registryUrl });
  await registry.register(`${topic}-value`, { type: 'record', name: 'Envelope', namespace: topic, fields: [{ name: 'op', type: 'int' }] } as never);
  await registry.setCompatibility(`${topic}-value`, 'BACKWARD');
  t.after(async () => {
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
    await dropTopics(db);
  });
  const failed = await runTask({ task: routingTask(db), log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal).then(() => null, (e: unknown) => e);
  const e = failed as Error & { code?: string };
  assert.equal(e.code, 'FERRY_SCHEMA_INCOMPATIBLE');
  assert.match(e.message, new RegExp(`^table "${db}\\.orders_0[12]" is routed by settings\\.topicRouting\\[0\\] to topic "${topic.replaceAll('.', '\\.')}"( with "${db}\\.orders_0[12]")?, and the registry refused its schema: the new schema for subject ${topic.replaceAll('.', '\\.')}-value is incompatible`));
  assert.match(e.message, /Fix: give the routed tables compatible schemas, or route this one to another topic$/);
  assert.equal((await readDecoded(topic)).length, 0, 'nothing produced');
});
