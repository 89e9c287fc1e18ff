// The PostgreSQL sink beyond the conformance suite, against the local PostgreSQL, read back with pg: a table without
// a primary key (full before-image matching, one row per change), schema changes during CDC (ADD COLUMN, widening,
// an incompatible change that stops with FERRY_TARGET_SCHEMA_CHANGE), MySQL TIME beyond 24 h into interval, a
// truncate, a redelivered full load, and both apply modes.
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
import { PostgresSink } from '../../src/PostgresSink.ts';
import { dropSchema, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

interface Version {
  readonly schema: TableSchema;
  wire(row: Row): Row;
}

function version(table: string, cols: [string, string, boolean][], pk: string[], v: number): Version {
  const def = { schema: 'shop', table, columns: cols.map(([name, columnType, nullable]) => ({ name, columnType, nullable, charset: columnType.startsWith('varchar') ? 'utf8mb4' : null })), primaryKey: pk, charset: 'utf8mb4' };
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

async function rows(schema: string, table: string, cols: string): Promise<string[]> {
  return withPg(async (c) => (await c.query(`SELECT ${cols} AS r FROM "${schema}"."${table}" ORDER BY 1`)).rows.map((x: { r: string }) => x.r));
}

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  test(`${applyMode}: a table without a primary key — updates and deletes touch one row matching the whole before-image`, async () => {
    const prefix = uniqueName('pgk');
    schemas.push(prefix);
    const v = version('nokey', [['a', 'int(11)', true], ['b', 'varchar(20)', true], ['d', 'decimal(10,2)', true]], [], 1);
    const r1 = { a: 1, b: 'x', d: '1.50' };
    const r2 = { a: 2, b: null, d: null };
    const events = [
      ev(v, 'c', null, r1, prefix), ev(v, 'c', null, r1, prefix), ev(v, 'c', null, r2, prefix),
      ev(v, 'u', r1, { a: 1, b: 'y', d: '1.50' }, prefix), ev(v, 'u', r2, { a: 2, b: 'n', d: '0.01' }, prefix), ev(v, 'd', r1, null, prefix),
    ];
    const batch = await kafkaRecords(events, { prefix, registry: new FakeRegistry() });
    const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode }) as never });
    try {
      assert.deepEqual((await sink.write(batch.records, ctx())).rejected, []);
      const want = ['1|y|1.50', '2|n|0.01'];
      assert.deepEqual(await rows(prefix, 'nokey', `concat_ws('|', a, coalesce(b, 'NULL'), coalesce(d::text, 'NULL'))`), want);
      // Redelivered (also split differently): nothing changes.
      await sink.write(batch.records.slice(0, 2), ctx());
      await sink.write(batch.records, ctx());
      assert.deepEqual(await rows(prefix, 'nokey', `concat_ws('|', a, coalesce(b, 'NULL'), coalesce(d::text, 'NULL'))`), want);
    } finally {
      await sink.close();
    }
  });

  test(`${applyMode}: schema changes during CDC — ADD COLUMN, widenings, TIME beyond 24 h, a truncate; an incompatible change stops the table`, async () => {
    const prefix = uniqueName('pgs');
    schemas.push(prefix);
    const v1 = version('evo', [['id', 'int(11)', false], ['qty', 'int(11)', true], ['amt', 'decimal(10,2)', true], ['t', 'time(6)', true]], ['id'], 1);
    const v2 = version('evo', [['id', 'int(11)', false], ['qty', 'bigint(20)', true], ['amt', 'decimal(14,4)', true], ['t', 'time(6)', true], ['extra', 'varchar(10)', true]], ['id'], 2);
    const v3 = version('evo', [['id', 'int(11)', false], ['qty', 'varchar(20)', true], ['amt', 'decimal(14,4)', true], ['t', 'time(6)', true], ['extra', 'varchar(10)', true]], ['id'], 3);
    const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode }) as never });
    // One Kafka log (offsets continue across the writes), written in slices as the worker would batch it.
    const all = await kafkaRecords([
      ev(v1, 'r', null, { id: 1, qty: 5, amt: '99999999.99', t: '-838:59:59.000000' }, prefix), ev(v1, 'r', null, { id: 2, qty: -1, amt: '0.01', t: '25:00:00.5' }, prefix),
      ev(v1, 'u', { id: 1, qty: 5, amt: '99999999.99', t: '-838:59:59.000000' }, { id: 1, qty: 6, amt: '1.00', t: '00:00:01' }, prefix),
      ev(v2, 'c', null, { id: 3, qty: 9_000_000_000_000, amt: '1234567890.1234', t: '12:00:00', extra: 'new' }, prefix),
      ev(v3, 'c', null, { id: 4, qty: 'text', amt: null, t: null, extra: null }, prefix),
      ev(v2, 't', null, null, prefix), ev(v2, 'c', null, { id: 7, qty: 1, amt: '1', t: '-00:00:01', extra: 'after' }, prefix),
    ], { prefix, partitions: 1 });
    const write = async (from: number, to: number) => sink.write(all.records.slice(from, to), ctx());
    try {
      await write(0, 2);
      await write(2, 4);
      const types = await withPg(async (c) => (await c.query(`SELECT column_name || ' ' || format_type(atttypid, atttypmod) AS r FROM information_schema.columns JOIN pg_attribute ON attrelid = '"${prefix}"."evo"'::regclass AND attname = column_name WHERE table_schema = $1 AND table_name = 'evo' ORDER BY ordinal_position`, [prefix])).rows.map((x: { r: string }) => x.r));
      assert.deepEqual(types, ['id integer', 'qty bigint', 'amt numeric(14,4)', 't interval', 'extra text']);
      const cols = `concat_ws('|', id, qty, amt, t::text, coalesce(extra, 'NULL'))`;
      assert.deepEqual(await rows(prefix, 'evo', cols), ['1|6|1.0000|00:00:01|NULL', '2|-1|0.0100|25:00:00.5|NULL', '3|9000000000000|1234567890.1234|12:00:00|new']);
      await assert.rejects(write(4, 5),
        (e: { code?: string; message?: string }) => e.code === 'FERRY_TARGET_SCHEMA_CHANGE' && /column qty is bigint and the source now sends text/.test(e.message ?? ''));
      assert.equal((await rows(prefix, 'evo', cols)).length, 3, 'nothing of the refused batch is written');
      await write(5, 7);
      assert.deepEqual(await rows(prefix, 'evo', cols), ['7|1|1.0000|-00:00:01|after']);
    } finally {
      await sink.close();
    }
  });
}

test('a redelivered full load (rows already present, new offsets) falls back from COPY to upserts', async () => {
  const prefix = uniqueName('pgf');
  schemas.push(prefix);
  const v = version('fl', [['id', 'bigint(20) unsigned', false], ['s', 'varchar(20)', true]], ['id'], 1);
  const events = Array.from({ length: 200 }, (_, i) => ev(v, 'r', null, { id: i === 0 ? '18446744073709551615' : String(i), s: `row\t${i}\\` }, prefix));
  const sink = new PostgresSink({ config: targetOptions(prefix) as never });
  try {
    await sink.write((await kafkaRecords(events, { prefix: `${prefix}a`, registry: new FakeRegistry() })).records, ctx());
    // A restarted snapshot: the same rows under other topics/offsets (a new stream), so nothing is skipped.
    await sink.write((await kafkaRecords(events, { prefix: `${prefix}b`, registry: new FakeRegistry() })).records, ctx());
    const got = await rows(prefix, 'fl', `id::text || '|' || s`);
    assert.equal(got.length, 200);
    assert.ok(got.includes('18446744073709551615|row\t0\\'));
    assert.equal(await withPg(async (c) => (await c.query(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = '"${prefix}"."fl"'::regclass AND attname = 'id'`)).rows[0].t), 'numeric(20,0)');
  } finally {
    await sink.close();
  }
});

for (const preparation of ['truncate-before-load', 'drop-and-create'] as const) {
  test(`tablePreparation ${preparation}: runs once, on the first write; a restarted sink keeps the rows`, async () => {
    const prefix = uniqueName('pgp');
    schemas.push(prefix);
    await withPg(async (c) => {
      await c.query(`CREATE SCHEMA "${prefix}"; CREATE TABLE "${prefix}".prep (id int PRIMARY KEY, old text); INSERT INTO "${prefix}".prep VALUES (100, 'old')`);
    });
    const v = version('prep', [['id', 'int(11)', false], ['s', 'varchar(20)', true]], ['id'], 1);
    const all = await kafkaRecords([1, 2, 3, 4].map((id) => ev(v, 'c', null, { id, s: `s${id}` }, prefix)), { prefix });
    const config = targetOptions(prefix, { tablePreparation: preparation }) as never;
    let sink = new PostgresSink({ config });
    await sink.write(all.records.slice(0, 2), ctx());
    await sink.close();
    sink = new PostgresSink({ config }); // a restart: the table is not prepared again
    await sink.write(all.records.slice(2), ctx());
    await sink.close();
    const cols = preparation === 'drop-and-create' ? `id || '|' || s` : `id || '|' || coalesce(s, 'NULL')`;
    assert.deepEqual(await rows(prefix, 'prep', cols), ['1|s1', '2|s2', '3|s3', '4|s4']);
    const names = await withPg(async (c) => (await c.query(`SELECT attname FROM pg_attribute WHERE attrelid = '"${prefix}".prep'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows.map((r: { attname: string }) => r.attname));
    assert.deepEqual(names, preparation === 'drop-and-create' ? ['id', 's'] : ['id', 'old', 's'], 'drop-and-create builds the table from the event schema; truncate keeps it and adds the new column');
  });
}

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  test(`${applyMode}: a change a user-made table refuses (unique, check) is dead-lettered with PostgreSQL's reason, the rest written`, async () => {
    const prefix = uniqueName('pgr');
    schemas.push(prefix);
    await withPg(async (c) => {
      await c.query(`CREATE SCHEMA "${prefix}"; CREATE TABLE "${prefix}".narrow (id int PRIMARY KEY, s varchar(3) UNIQUE, n numeric(4,2) CHECK (n >= 0 AND n < 50))`);
    });
    const v = version('narrow', [['id', 'int(11)', false], ['s', 'varchar(20)', true], ['n', 'decimal(10,2)', true]], ['id'], 1);
    const events = [
      ev(v, 'r', null, { id: 1, s: 'ok', n: '1.00' }, prefix), ev(v, 'r', null, { id: 2, s: 'ok', n: '1.00' }, prefix),
      ev(v, 'c', null, { id: 3, s: 'too long', n: '9.99' }, prefix), ev(v, 'c', null, { id: 4, s: 'x', n: '50.00' }, prefix),
      ev(v, 'c', null, { id: 5, s: 'y', n: '-1.00' }, prefix), ev(v, 'u', { id: 1, s: 'ok', n: '1.00' }, { id: 1, s: 'upd', n: '2.00' }, prefix),
    ];
    const batch = await kafkaRecords(events, { prefix });
    const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode }) as never });
    try {
      const res = await sink.write(batch.records, ctx());
      const reasons = (res.rejected ?? []).map((x) => `${String(x.record.envelope.after!.id)}: ${x.reason}`).sort();
      // Transactional applies each source transaction as it was: id 2 takes s = 'ok' while id 1 still has it. Batch-
      // optimized applies the net state, where id 1 has moved on to 'upd': no conflict, as in the source's final state.
      const dup = applyMode === 'transactional';
      assert.equal(reasons.length, dup ? 3 : 2, reasons.join('\n'));
      if (dup) assert.match(reasons.shift()!, /^2: shop\.narrow: PostgreSQL refused the change.*duplicate key value violates unique constraint "narrow_s_key".*23505/);
      assert.match(reasons[0]!, /^4: shop\.narrow: PostgreSQL refused the change.*check constraint "narrow_n_check".*23514/);
      assert.match(reasons[1]!, /^5: .*check constraint "narrow_n_check".*23514/);
      // The narrower user-made types were widened to the source's (varchar(3) → text, numeric(4,2) → numeric(10,2)).
      assert.deepEqual(await rows(prefix, 'narrow', `id || '|' || s || '|' || n`), ['1|upd|2.00', ...(dup ? [] : ['2|ok|1.00']), '3|too long|9.99']);
      // Redelivery: nothing is applied twice, nothing rejected again.
      assert.deepEqual((await sink.write(batch.records, ctx())).rejected, []);
    } finally {
      await sink.close();
    }
  });
}

test('session_replication_role: a user that may not set it gets a warning (if-permitted) or a clear error (required)', async () => {
  const prefix = uniqueName('pgu');
  const user = `${prefix}_user`;
  await withPg(async (c) => {
    await c.query(`CREATE ROLE "${user}" LOGIN PASSWORD 'pw'; GRANT CREATE ON DATABASE shop TO "${user}"`);
  });
  const v = version('t', [['id', 'int(11)', false]], ['id'], 1);
  const batch = await kafkaRecords([ev(v, 'c', null, { id: 1 }, prefix)], { prefix });
  const warnings: string[] = [];
  const log = { ...quietLog(), warn: (...a: unknown[]) => { warnings.push(String(a.at(-1))); } } as unknown as ReturnType<typeof quietLog>;
  try {
    const base = { ...targetOptions(prefix), user, password: 'pw' };
    const strict = new PostgresSink({ config: { ...base, disableTriggersAndForeignKeys: 'required' } as never });
    await assert.rejects(strict.write(batch.records, ctx()), /may not SET session_replication_role.*GRANT SET ON PARAMETER session_replication_role TO/);
    await strict.close();
    const lenient = new PostgresSink({ config: base as never });
    await lenient.write(batch.records, { ...ctx(), log });
    await lenient.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /triggers and foreign keys stay on/);
    assert.deepEqual(await rows(prefix, 't', 'id::text'), ['1']);
  } finally {
    await withPg(async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
      await c.query(`DROP OWNED BY "${user}"; DROP ROLE "${user}"`);
    });
  }
});
