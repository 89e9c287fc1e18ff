// The MySQL sink beyond the conformance suite, against the local MariaDB, read back with mysql2: the created column
// types, a table without a primary key (full before-image matching, one row per change), schema changes during CDC
// (ADD COLUMN, widenings, a dropped column, an incompatible change that stops with FERRY_TARGET_SCHEMA_CHANGE), a
// truncate, poison values named in the dead letter (a 4-byte character into an existing utf8mb3 column, values out
// of the target's range), and both apply modes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapColumn } from '../../../../connectors/mysql-binlog/src/type-mapping.ts';
import { makeConverter } from '../../../../connectors/mysql-binlog/src/value-conversion.ts';
import { toTableSchema } from '../../../../connectors/mysql-binlog/src/mysql-schema.ts';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { MySqlSink } from '../../src/MySqlSink.ts';
import { dropDatabase, query, targetOptions } from '../helpers.ts';

const dbs: string[] = [];
after(async () => {
  for (const d of dbs) await dropDatabase(d);
});

interface Version {
  readonly schema: TableSchema;
  wire(row: Row): Row;
}

function version(table: string, cols: [string, string, boolean][], pk: string[], v: number): Version {
  const def = { schema: 'shop', table, columns: cols.map(([name, columnType, nullable]) => ({ name, columnType, nullable, charset: /char|text/.test(columnType) ? 'utf8mb4' : null })), primaryKey: pk, charset: 'utf8mb4' };
  const convs = def.columns.map((c) => makeConverter(mapColumn(c), c) ?? ((x: unknown) => x));
  return {
    schema: toTableSchema(def, v),
    wire: (row) => Object.fromEntries(def.columns.map((c, i) => [c.name, row[c.name] === null || row[c.name] === undefined ? null : convs[i]!(row[c.name])])),
  };
}

let pos = 4;
function ev(v: Version, op: Op, before: Row | null, after: Row | null, prefix: string): ChangeEvent {
  pos += 100;
  const pk = v.schema.primaryKey;
  const img = after ?? before;
  const wired = img && v.wire(img);
  return {
    op, key: pk.length > 0 && wired ? Object.fromEntries(pk.map((k) => [k, wired[k]])) : null, before: before && v.wire(before), after: after && v.wire(after), tsMs: 0, table: v.schema,
    source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: op === 'r' ? 'true' : 'false', db: 'shop', table: v.schema.id.table, position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
  } as ChangeEvent;
}

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

async function rows(db: string, table: string, expr: string): Promise<string[]> {
  return (await query<{ r: string }>(`SELECT ${expr} AS r FROM \`${db}\`.\`${table}\` ORDER BY 1`)).map((x) => x.r);
}

async function columnTypes(db: string, table: string): Promise<string[]> {
  return (await query<{ r: string }>("SELECT CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE, IF(IS_NULLABLE = 'YES', ' null', ''), IFNULL(CONCAT(' ', COLLATION_NAME), '')) AS r FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", [db, table])).map((x) => x.r);
}

test('the table created from the sink kit’s MariaDB table has the documented types, utf8mb4 and a binary no-pad collation', async () => {
  const db = uniqueName('myt');
  dbs.push(db);
  const kit = fixture();
  const w = workload(kit, { prefix: db, rows: 3, changesV1: 0, changesV2: 0 });
  const sink = new MySqlSink({ config: targetOptions(db) as never });
  try {
    assert.deepEqual((await sink.write((await kafkaRecords(w.events, { prefix: db, registry: new FakeRegistry() })).records, ctx())).rejected, []);
    assert.deepEqual(await columnTypes(db, 'orders'), [
      'id bigint(20)', 'customer longtext utf8mb4_nopad_bin', 'amount decimal(12,2)', 'big decimal(30,10) null', 'wide decimal(50,5) null',
      'ubig decimal(20,0) null', 'qty int(11)', 'small smallint(6) null', 'tiny smallint(6) null', 'ratio float null', 'score double null',
      'flag tinyint(1) null', 'bits bit(10) null', 'created datetime(6)', 'updated datetime(3) null', 'seen datetime(6) null', 'born date null',
      'alarm time(6) null', 'yr year(4) null', "color enum('red','green','blue') null utf8mb4_nopad_bin", "tags set('a','b','c') null utf8mb4_nopad_bin",
      'doc longtext null utf8mb4_bin', 'note longtext null utf8mb4_nopad_bin', 'bin longblob null', 'uid uuid null', 'loc point null',
    ]);
  } finally {
    await sink.close();
  }
});

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  test(`${applyMode}: a table without a primary key — updates and deletes touch one row matching the whole before-image`, async () => {
    const db = uniqueName('myk');
    dbs.push(db);
    const v = version('nokey', [['a', 'int(11)', true], ['b', 'varchar(20)', true], ['d', 'decimal(10,2)', true], ['f', 'float', true]], [], 1);
    const r1 = { a: 1, b: 'x', d: '1.50', f: 0.1 };
    const r2 = { a: 2, b: null, d: null, f: null };
    const events = [
      ev(v, 'c', null, r1, db), ev(v, 'c', null, r1, db), ev(v, 'c', null, r2, db),
      ev(v, 'u', r1, { a: 1, b: 'y', d: '1.50', f: 0.1 }, db), ev(v, 'u', r2, { a: 2, b: 'n', d: '0.01', f: 2.5 }, db), ev(v, 'd', r1, null, db),
    ];
    const batch = await kafkaRecords(events, { prefix: db, registry: new FakeRegistry() });
    const sink = new MySqlSink({ config: targetOptions(db, { applyMode }) as never });
    const expr = "CONCAT_WS('|', a, IFNULL(b, 'NULL'), IFNULL(d, 'NULL'), IFNULL(CAST(f AS CHAR), 'NULL'))";
    try {
      assert.deepEqual((await sink.write(batch.records, ctx())).rejected, []);
      const want = ['1|y|1.50|0.1', '2|n|0.01|2.5'];
      assert.deepEqual(await rows(db, 'nokey', expr), want);
      // Redelivered (also split differently): nothing changes.
      await sink.write(batch.records.slice(0, 2), ctx());
      await sink.write(batch.records, ctx());
      assert.deepEqual(await rows(db, 'nokey', expr), want);
    } finally {
      await sink.close();
    }
  });

  test(`${applyMode}: schema changes during CDC — ADD COLUMN, widenings, a dropped column, a truncate; an incompatible change stops the table`, async () => {
    const db = uniqueName('mys');
    dbs.push(db);
    const v1 = version('evo', [['id', 'int(11)', false], ['qty', 'int(11)', true], ['amt', 'decimal(10,2)', true], ['gone', 'int(11)', false]], ['id'], 1);
    const v2 = version('evo', [['id', 'int(11)', false], ['qty', 'bigint(20)', true], ['amt', 'decimal(14,4)', true], ['extra', 'varchar(10)', true]], ['id'], 2);
    const v3 = version('evo', [['id', 'int(11)', false], ['qty', 'varchar(20)', true], ['amt', 'decimal(14,4)', true], ['extra', 'varchar(10)', true]], ['id'], 3);
    // droppedColumns keep: `gone` stays, made nullable (drop is covered by renamed-dropped-columns.test.ts)
    const sink = new MySqlSink({ config: targetOptions(db, { applyMode, droppedColumns: 'keep' }) as never });
    const all = await kafkaRecords([
      ev(v1, 'r', null, { id: 1, qty: 5, amt: '99999999.99', gone: 1 }, db), ev(v1, 'r', null, { id: 2, qty: -1, amt: '0.01', gone: 2 }, db),
      ev(v1, 'u', { id: 1, qty: 5, amt: '99999999.99', gone: 1 }, { id: 1, qty: 6, amt: '1.00', gone: 1 }, db),
      ev(v2, 'c', null, { id: 3, qty: 9_000_000_000_000, amt: '1234567890.1234', extra: 'new 😀' }, db),
      ev(v3, 'c', null, { id: 4, qty: 'text', amt: null, extra: null }, db),
      ev(v2, 't', null, null, db), ev(v2, 'c', null, { id: 7, qty: 1, amt: '1', extra: 'after' }, db),
    ], { prefix: db, partitions: 1 });
    const write = async (from: number, to: number) => sink.write(all.records.slice(from, to), ctx());
    const expr = "CONCAT_WS('|', id, qty, amt, IFNULL(gone, 'NULL'), IFNULL(extra, 'NULL'))";
    try {
      await write(0, 2);
      await write(2, 4);
      assert.deepEqual(await columnTypes(db, 'evo'), ['id int(11)', 'qty bigint(20) null', 'amt decimal(14,4) null', 'gone int(11) null', 'extra longtext null utf8mb4_nopad_bin']);
      assert.deepEqual(await rows(db, 'evo', expr), ['1|6|1.0000|1|NULL', '2|-1|0.0100|2|NULL', '3|9000000000000|1234567890.1234|NULL|new 😀']);
      await assert.rejects(write(4, 5),
        (e: { code?: string; message?: string }) => e.code === 'FERRY_TARGET_SCHEMA_CHANGE' && /column qty is bigint\(20\) and the source now sends longtext/.test(e.message ?? ''));
      assert.equal((await rows(db, 'evo', expr)).length, 3, 'nothing of the refused batch is written');
      await write(5, 7);
      assert.deepEqual(await rows(db, 'evo', expr), ['7|1|1.0000|NULL|after']);
    } finally {
      await sink.close();
    }
  });
}

test('poison values are dead-lettered with the column and the reason: a 4-byte character into an existing utf8mb3 column, values out of range', async () => {
  const db = uniqueName('myp');
  dbs.push(db);
  await query(`CREATE DATABASE \`${db}\``);
  // An existing target table (do-nothing keeps it): note is utf8mb3, qty a SMALLINT.
  await query(`CREATE TABLE \`${db}\`.\`legacy\` (id INT PRIMARY KEY, note VARCHAR(40) CHARACTER SET utf8mb3, qty SMALLINT, amt DECIMAL(6,2)) CHARACTER SET utf8mb3`);
  const v = version('legacy', [['id', 'int(11)', false], ['note', 'varchar(40)', true], ['qty', 'int(11)', true], ['amt', 'decimal(10,3)', true]], ['id'], 1);
  const events = [
    ev(v, 'c', null, { id: 1, note: 'fine ü', qty: 7, amt: '1.250' }, db),
    ev(v, 'c', null, { id: 2, note: 'smile 😀', qty: 7, amt: '1.00' }, db),
    ev(v, 'c', null, { id: 3, note: 'big', qty: 100_000, amt: '1.00' }, db),
    ev(v, 'c', null, { id: 4, note: 'rounds', qty: 1, amt: '1.255' }, db),
    ev(v, 'c', null, { id: 5, note: 'too wide', qty: 1, amt: '12345.000' }, db),
    ev(v, 'c', null, { id: 6, note: 'last', qty: -32768, amt: '-9999.99' }, db),
    // Only the key of a before-image is written: an update whose before-image holds an emoji is applied.
    ev(v, 'u', { id: 6, note: 'was 😀', qty: 100_000, amt: '1.255' }, { id: 6, note: 'last ok', qty: -32768, amt: '-9999.99' }, db),
  ];
  const batch = await kafkaRecords(events, { prefix: db, registry: new FakeRegistry() });
  const sink = new MySqlSink({ config: targetOptions(db) as never });
  try {
    const res = await sink.write(batch.records, ctx());
    const reasons = (res.rejected ?? []).map((x) => `${String(x.record.key?.id)}: ${x.reason}`);
    assert.deepEqual(reasons, [
      `2: ${db}.legacy: column note holds 😀 (U+1F600), a 4-byte character that the target column's character set utf8mb3 cannot store; ALTER the column to CHARACTER SET utf8mb4`,
      `3: ${db}.legacy: column qty: 100000 is out of range for smallint (-32768..32767)`,
      `4: ${db}.legacy: column amt: 1.255 has 3 fraction digits; the target column is decimal(6,2) and would round it`,
      `5: ${db}.legacy: column amt: 12345.000 is out of range for decimal(6,2) (5 integer digits, at most 4)`,
    ]);
    assert.deepEqual(await rows(db, 'legacy', "CONCAT_WS('|', id, note, qty, amt)"), ['1|fine ü|7|1.25', '6|last ok|-32768|-9999.99']);
  } finally {
    await sink.close();
  }
});

test('a full load through LOAD DATA LOCAL INFILE stores exactly what multi-row INSERT stores, and a redelivered load replaces', async () => {
  const db = uniqueName('myl');
  dbs.push(db);
  const v = version('bulk', [['id', 'bigint(20) unsigned', false], ['s', 'varchar(40)', true], ['t', 'text', true], ['d', 'decimal(30,10)', true], ['ts', 'datetime(6)', true],
    ['tm', 'time(6)', true], ['f', 'double', true], ['b', 'varbinary(8)', true], ['j', 'json', true], ['e', "enum('a','b')", true], ['u', 'uuid', true], ['y', 'year(4)', true]], ['id'], 1);
  const nasty = ['', 'tab\there', 'line\nbreak\r\n', 'back\\slash \\N \\t', 'nul \u0000 inside', 'quote \' " `', '😀 ü €', 'ctrl-z \u001a', '\\'];
  const rowOf = (i: number): Row => ({
    id: i === 0 ? '18446744073709551615' : String(i), s: i % 11 === 0 ? null : nasty[i % nasty.length]!, t: i % 13 === 0 ? null : `${nasty[(i + 3) % nasty.length]!}${'x'.repeat(i % 50)}`,
    d: i % 7 === 0 ? null : `${i % 2 ? '-' : ''}${i}.${String(i).padStart(10, '0')}`, ts: `2024-02-29 23:59:59.${String(i % 1e6).padStart(6, '0')}`, tm: `${i % 2 ? '-' : ''}${100 + (i % 700)}:59:59.000001`,
    f: i % 5 === 0 ? null : i / 3, b: i % 9 === 0 ? null : Buffer.from([0, 9, 10, 13, 92, i & 255].slice(0, i % 7)), j: i % 4 === 0 ? null : JSON.stringify({ i, s: nasty[i % nasty.length] }),
    e: i % 3 === 0 ? null : i % 2 ? 'a' : 'b', u: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, y: i % 6 === 0 ? null : 1901 + (i % 254),
  });
  const events = Array.from({ length: 1200 }, (_, i) => ev(v, 'r', null, rowOf(i), db));
  const expr = "CONCAT_WS('|', id, IFNULL(HEX(s), 'NULL'), IFNULL(HEX(t), 'NULL'), IFNULL(d, 'NULL'), DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), TIME_FORMAT(tm, '%H:%i:%s.%f'), IFNULL(f, 'NULL'), IFNULL(HEX(b), 'NULL'), IFNULL(HEX(j), 'NULL'), IFNULL(e, 'NULL'), u, IFNULL(y, 'NULL'))";
  const write = async (database: string, bulkLoad: string, prefix: string) => {
    const sink = new MySqlSink({ config: targetOptions(database, { bulkLoad, maxBatchRecords: 5000 }) as never });
    try {
      assert.deepEqual((await sink.write((await kafkaRecords(events, { prefix, registry: new FakeRegistry() })).records, ctx())).rejected, []);
    } finally {
      await sink.close();
    }
  };
  const viaInsert = `${db}_i`;
  dbs.push(viaInsert);
  const loads = async () => Number((await query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Com_load'"))[0]!.Value);
  const before = await loads();
  await write(db, 'auto', `${db}a`);
  assert.ok((await loads()) > before, 'the full load went through LOAD DATA');
  await write(viaInsert, 'insert', `${db}a`);
  const loaded = await rows(db, 'bulk', expr);
  assert.equal(loaded.length, 1200);
  assert.deepEqual(loaded, await rows(viaInsert, 'bulk', expr), 'LOAD DATA and INSERT store the same values');
  const hex = (x: string) => Buffer.from(x).toString('hex').toUpperCase();
  assert.equal(loaded.find((r) => r.startsWith('18446744073709551615|')), '18446744073709551615|NULL|NULL|NULL|2024-02-29 23:59:59.000000|100:59:59.000001|NULL|NULL|NULL|NULL|00000000-0000-4000-8000-000000000000|NULL', 'row 0 exact');
  assert.equal(loaded.find((r) => r.startsWith('4|')), `4|${hex(nasty[4]!)}|${hex(`${nasty[7]!}xxxx`)}|4.0000000004|2024-02-29 23:59:59.000004|104:59:59.000001|1.3333333333333333|00090A0D|NULL|b|00000000-0000-4000-8000-000000000004|1905`, 'row 4 exact: NUL, Ctrl-Z, tab, CR, backslash bytes');
  // A restarted full load (new stream, same keys): replaced, not duplicated or failed.
  await write(db, 'auto', `${db}b`);
  assert.deepEqual(await rows(db, 'bulk', expr), loaded);
  const used = await query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'bulk'", [db]);
  assert.equal(Number(used[0]!.n), 12);
});
