// MariaDB → Ferry → Kafka, read back with an independent Avro decoder (writer schemas fetched from the registry by
// the id in each record): every column type with exact values, inserts/updates/deletes, and each DDL kind with the
// events before and after it carrying the right schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded, type DecodedRecord } from '../helpers/topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two's-complement big-endian bytes → bigint, written here independently of Ferry's schemas/decimal.ts. */
function unscaled(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b.length > 0 && (b[0]! & 0x80) ? v - (1n << BigInt(b.length * 8)) : v;
}
function decimal(b: unknown, scale: number): string {
  const v = unscaled(b as Uint8Array);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s}`;
}

/** Field names and Avro primitive of the row (Value) record in a registered envelope schema. */
async function schemaFields(id: number): Promise<string[]> {
  const res = await fetch(`${services.registryUrl}/schemas/ids/${id}`);
  const env = JSON.parse(((await res.json()) as { schema: string }).schema) as { fields: { name: string; type: unknown }[] };
  const f = env.fields.find((x) => x.name === 'before')!; // 'after' refers to the same record by name
  const rec = (f.type as unknown[]).find((t) => typeof t === 'object') as { fields: { name: string; type: unknown }[] };
  return rec.fields.map((x) => `${x.name}:${JSON.stringify(x.type).includes('"long"') ? 'long' : JSON.stringify(x.type).includes('"int"') ? 'int' : JSON.stringify(x.type).includes('"string"') ? 'string' : 'other'}`);
}

test('every MySQL/MariaDB type, I/U/D and each DDL reach Kafka exactly', { timeout: 300000 }, async (t) => {
  const db = uniqueName('ferry_types');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await admin.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4; USE ${db}; SET SESSION sql_mode = ''; SET time_zone = '+00:00'`);
  await admin.query(`CREATE TABLE alltypes (
    id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT, iu INT UNSIGNED,
    bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(65,30), d2 DECIMAL(10,2), f FLOAT, dbl DOUBLE, b1 BIT(1), b10 BIT(10),
    dt DATE, dt3 DATETIME(3), dt6 DATETIME(6), ts6 TIMESTAMP(6) NULL, tm TIME(6), y YEAR, e ENUM('x','y'), st SET('a','b','c'),
    j JSON, vc VARCHAR(20) CHARACTER SET utf8mb4, tx TEXT, lb LONGBLOB, vb VARBINARY(16), zd DATETIME NULL, pt POINT)`);
  const blob = randomBytes(1 << 20);
  const jsonText = '{"k": [1, 2.5, "😀"], "big": 12345678901234567890}';
  await admin.query(`INSERT INTO alltypes VALUES (1, -128, 255, -32768, 8388607, -2147483648, 4294967295,
    9223372036854775807, 18446744073709551615, '-12345678901234567890123456789012345.123456789012345678901234567890', '-0.01', 1.5, -1.7976931348623157e308,
    b'1', b'1000000001', '9999-12-31', '2024-02-29 23:59:59.123', '2024-02-29 23:59:59.123456', '2038-01-19 03:14:07.999999',
    '-838:59:59.000000', 2155, 'y', 'a,c', ?, '😀𝄞 héllo', 'plain text', ?, ?, '0000-00-00 00:00:00', ST_GeomFromText('POINT(1.5 -2.25)'))`,
  [jsonText, blob, Buffer.from([0, 1, 0, 255])]);
  await admin.query(`INSERT INTO alltypes (id, bi, dt, tm, vc) VALUES (2, -9223372036854775808, '1000-01-01', '838:59:59', NULL)`);

  const dir = mkdtempSync(join(tmpdir(), 'ferry-types-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5 } },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { writeFileSync(join(dir, 'ferry.log'), c, { flag: 'a' }); cb(); } }) });
  const controller = new AbortController();
  const running = runTask({ task, log, metrics, serveMetrics: false }, controller.signal);
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.end();
  });
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  const count = async () => {
    const m = await metrics.registry.getSingleMetric('ferry_events_total')?.get();
    return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
  };
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 600 && (await count()) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.ok((await count()) >= n, `expected ${n} events, saw ${await count()} (log ${dir}/ferry.log)`);
  };
  await waitEvents(2);

  // CDC on alltypes
  await admin.query(`UPDATE alltypes SET d2 = 99999999.99, vc = 'ü' WHERE id = 1`);
  await admin.query(`INSERT INTO alltypes (id, y, e) VALUES (3, 1901, 'x')`);
  await admin.query(`DELETE FROM alltypes WHERE id = 2`);
  // DDL, each followed by an insert
  await admin.query(`CREATE TABLE ddl_t (id INT PRIMARY KEY, a INT)`);
  await admin.query(`INSERT INTO ddl_t VALUES (1, 10)`);
  await admin.query(`ALTER TABLE ddl_t ADD COLUMN b VARCHAR(10) DEFAULT 'x'`);
  await admin.query(`INSERT INTO ddl_t VALUES (2, 20, 'y')`);
  await admin.query(`ALTER TABLE ddl_t MODIFY a BIGINT`);
  await admin.query(`INSERT INTO ddl_t VALUES (3, 30000000000, 'z')`);
  await admin.query(`ALTER TABLE ddl_t RENAME COLUMN b TO c`);
  await admin.query(`INSERT INTO ddl_t VALUES (4, 40, 'w')`);
  await admin.query(`ALTER TABLE ddl_t DROP COLUMN c`);
  await admin.query(`INSERT INTO ddl_t VALUES (5, 50)`);
  await admin.query(`TRUNCATE TABLE ddl_t`);
  await admin.query(`RENAME TABLE ddl_t TO ddl_t2`);
  await admin.query(`INSERT INTO ddl_t2 VALUES (6, 60)`);
  await admin.query(`DROP TABLE ddl_t2`);
  await waitEvents(2 + 3 + 5 + 1 + 1);
  controller.abort();
  await running;

  const types = await readDecoded(`${db}.${db}.alltypes`);
  const byOp = (op: string) => types.filter((r) => r.value?.op === op);
  const [r1, r2] = byOp('r').sort((a, b) => Number(a.key!.id) - Number(b.key!.id));
  const a = r1!.value!.after!;
  assert.deepEqual(r1!.key, { id: 1 });
  assert.equal(a.ti, -128);
  assert.equal(a.tiu, 255);
  assert.equal(a.si, -32768);
  assert.equal(a.mi, 8388607);
  assert.equal(a.i, -2147483648);
  assert.equal(BigInt(a.iu as number), 4294967295n);
  assert.equal(a.bi, 9223372036854775807n);
  assert.equal(decimal(a.bu, 0), '18446744073709551615');
  assert.equal(decimal(a.d, 30), '-12345678901234567890123456789012345.123456789012345678901234567890');
  assert.equal(decimal(a.d2, 2), '-0.01');
  assert.equal(a.f, 1.5);
  assert.equal(a.dbl, -1.7976931348623157e308);
  assert.equal(a.b1, true);
  assert.deepEqual([...(a.b10 as Uint8Array)], [0x01, 0x02]); // 513, little-endian as Debezium's Bits
  assert.equal(a.dt, 2932896); // days from 1970-01-01 to 9999-12-31
  assert.equal(Number(a.dt3), Date.UTC(2024, 1, 29, 23, 59, 59, 123));
  assert.equal(BigInt(a.dt6 as number), BigInt(Date.UTC(2024, 1, 29, 23, 59, 59)) * 1000n + 123456n);
  assert.equal(a.ts6, '2038-01-19T03:14:07.999999Z');
  assert.equal(BigInt(a.tm as number), -3020399000000n);
  assert.equal(a.y, 2155);
  assert.equal(a.e, 'y');
  assert.equal(a.st, 'a,c');
  assert.equal(a.j, jsonText);
  assert.equal(a.vc, '😀𝄞 héllo');
  assert.equal(a.tx, 'plain text');
  assert.ok(Buffer.from(a.lb as Uint8Array).equals(blob), 'LONGBLOB bytes differ');
  assert.deepEqual([...(a.vb as Uint8Array)], [0, 1, 0, 255]);
  assert.equal(a.zd, null, 'a zero DATETIME in a nullable column is null, as in Debezium');
  const pt = a.pt as { x: number; y: number; wkb: Uint8Array };
  assert.equal(pt.x, 1.5);
  assert.equal(pt.y, -2.25);
  const wkb = Buffer.alloc(21); wkb[0] = 1; wkb.writeUInt32LE(1, 1); wkb.writeDoubleLE(1.5, 5); wkb.writeDoubleLE(-2.25, 13);
  assert.ok(Buffer.from(pt.wkb).equals(wkb), `WKB ${Buffer.from(pt.wkb).toString('hex')}`);
  const b = r2!.value!.after!;
  assert.equal(b.bi, -9223372036854775808n);
  assert.equal(b.dt, -354285); // 1000-01-01
  assert.equal(BigInt(b.tm as number), 3020399000000n);
  assert.equal(b.vc, null);
  assert.deepEqual([r1!.value!.source.snapshot, r2!.value!.source.snapshot], ['first', 'last']); // Debezium's markers
  assert.equal(r1!.value!.source.connector, 'mariadb');

  const [u] = byOp('u');
  assert.equal(decimal(u!.value!.before!.d2, 2), '-0.01');
  assert.equal(decimal(u!.value!.after!.d2, 2), '99999999.99');
  assert.equal(u!.value!.after!.vc, 'ü');
  assert.equal(u!.value!.before!.vc, '😀𝄞 héllo');
  assert.equal(typeof u!.value!.source.gtid, 'string');
  assert.match(String(u!.value!.source.file), /^mariadb-bin\.\d+$/);
  const [c] = byOp('c');
  assert.deepEqual([c!.value!.after!.id, c!.value!.after!.y, c!.value!.after!.e, c!.value!.before], [3, 1901, 'x', null]);
  const [d] = byOp('d');
  assert.deepEqual([d!.key, d!.value!.before!.id, d!.value!.after], [{ id: 2 }, 2, null]);
  const tombstone = types[types.indexOf(d!) + 1]!;
  assert.deepEqual([tombstone.key, tombstone.value], [{ id: 2 }, null]);

  const ddl = (await readDecoded(`${db}.${db}.ddl_t`)).filter((r) => r.value !== null);
  const rows = ddl.filter((r) => r.value!.op === 'c');
  assert.deepEqual(rows.map((r) => r.value!.after), [
    { id: 1, a: 10 }, { id: 2, a: 20, b: 'y' }, { id: 3, a: 30000000000n, b: 'z' }, { id: 4, a: 40n, c: 'w' }, { id: 5, a: 50n },
  ]);
  const shapes = [];
  for (const r of rows) shapes.push((await schemaFields(r.valueSchemaId!)).join(','));
  assert.deepEqual(shapes, ['id:int,a:int', 'id:int,a:int,b:string', 'id:int,a:long,b:string', 'id:int,a:long,c:string', 'id:int,a:long']);
  assert.equal(new Set(rows.map((r: DecodedRecord) => r.valueSchemaId)).size, 5, 'each DDL registers a new schema version');
  assert.equal(ddl.at(-1)!.value!.op, 't');
  const renamed = (await readDecoded(`${db}.${db}.ddl_t2`)).filter((r) => r.value !== null);
  assert.deepEqual(renamed.map((r) => [r.value!.op, r.value!.after]), [['c', { id: 6, a: 60n }]]);
});

test('an event larger than kafka.maxMessageBytes stops the task with a clear error and commits nothing', { timeout: 120000 }, async () => {
  const db = uniqueName('ferry_big');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.docs (id INT PRIMARY KEY, body LONGBLOB)`);
  await admin.query(`INSERT INTO ${db}.docs VALUES (1, ?), (2, ?)`, [Buffer.alloc(10), randomBytes(300000)]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-big-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, maxMessageBytes: 100000 },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  await assert.rejects(runTask({ task, log, serveMetrics: false }, new AbortController().signal), (e: unknown) => {
    const err = e as { code?: string; message: string; details?: { bytes: number; limit: number } };
    return err.code === 'FERRY_EVENT_TOO_LARGE' && err.details?.limit === 100000 && err.details.bytes > 300000 && err.message.startsWith(`a record for topic ${db}.${db}.docs is `);
  });
  const { SqliteOffsetStore } = await import('../../runtime/src/offsets/SqliteOffsetStore.ts');
  const store = new SqliteOffsetStore({ path: join(dir, 'state', 'offsets.db') });
  assert.equal(await store.read(db), null, 'nothing may be committed past the oversize event');
  await store.close();
  await admin.query(`DROP DATABASE ${db}`);
  await admin.end();
});
