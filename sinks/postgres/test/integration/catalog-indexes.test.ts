// Secondary indexes of a table the PostgreSQL sink creates from its definition (the schema conversion's), read back
// with pg: `indexes: after-full-load` creates the table with its keys but without the index during the full load,
// keeps the index in _ferry_sink_indexes across a restart of the sink, and builds it when the snapshot's last event
// arrives (also when that event is redelivered after it was applied); `with-table` builds it with the table; without
// definitions (the runtime said why) the table comes from the event schema.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapColumn } from '../../../../connectors/mysql-binlog/src/type-mapping.ts';
import { makeConverter } from '../../../../connectors/mysql-binlog/src/value-conversion.ts';
import { toTableSchema } from '../../../../connectors/mysql-binlog/src/mysql-schema.ts';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { TargetTableDefinition } from '../../../../core/src/record-sink.ts';
import type { ChangeEvent, Op, Row } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
import { dropSchema, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

const COLS: [string, string, boolean][] = [['id', 'int(11)', false], ['code', 'varchar(10)', false], ['n', 'int(11)', true]];
const def = { schema: 'shop', table: 'idx', columns: COLS.map(([name, columnType, nullable]) => ({ name, columnType, nullable, charset: columnType.startsWith('varchar') ? 'utf8mb4' : null })), primaryKey: ['id'], charset: 'utf8mb4' };
const convs = def.columns.map((c) => makeConverter(mapColumn(c), c) ?? ((x: unknown) => x));
const schema = toTableSchema(def, 1);
const wire = (row: Row): Row => Object.fromEntries(def.columns.map((c, i) => [c.name, row[c.name] === null || row[c.name] === undefined ? null : convs[i]!(row[c.name])]));

let pos = 4;
function ev(op: Op, after: Row, prefix: string, snapshot: string): ChangeEvent {
  pos += 100;
  const w = wire(after);
  return {
    op, key: { id: w.id }, before: null, after: w, tsMs: 0, table: schema,
    source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot, db: 'shop', table: 'idx', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
  } as ChangeEvent;
}

function definition(prefix: string): TargetTableDefinition {
  return {
    source: 'shop.idx', schema: prefix, table: 'idx',
    columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'code', type: 'varchar(10)', nullable: false }, { name: 'n', type: 'integer', nullable: true, default: '7' }],
    primaryKey: ['id'], constraints: [{ kind: 'unique', sql: 'CONSTRAINT "idx_code" UNIQUE ("code")' }], tableOptions: '', before: [], after: [],
    indexes: [`CREATE INDEX "idx_n" ON "${prefix}"."idx" ("n")`],
  };
}

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

async function catalog(prefix: string): Promise<{ columns: string[]; indexes: string[]; pending: number; rows: number }> {
  return withPg(async (c) => ({
    columns: (await c.query(`SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS x FROM pg_attribute a
      JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace s ON s.oid = t.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE s.nspname = $1 AND t.relname = 'idx' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [prefix])).rows.map((r: { x: string }) => r.x),
    indexes: (await c.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'idx' ORDER BY 1`, [prefix])).rows.map((r: { indexname: string }) => r.indexname),
    pending: (await c.query(`SELECT count(*)::int AS n FROM "${prefix}"._ferry_sink_indexes`)).rows[0].n as number,
    rows: (await c.query(`SELECT count(*)::int AS n FROM "${prefix}".idx`)).rows[0].n as number,
  }));
}

test('after-full-load: no index during the load, kept across a restart, built at the snapshot\'s last event (and again when it is redelivered)', async () => {
  const prefix = uniqueName('pgidx');
  schemas.push(prefix);
  const all = await kafkaRecords([
    ev('r', { id: 1, code: 'a', n: 1 }, prefix, 'first'), ev('r', { id: 2, code: 'b', n: 2 }, prefix, 'true'),
    ev('r', { id: 3, code: 'c', n: 3 }, prefix, 'last'), ev('c', { id: 4, code: 'd', n: 4 }, prefix, 'false'),
  ], { prefix, partitions: 1 });
  const open = () => {
    const s = new PostgresSink({ name: 'pg', config: targetOptions(prefix, { indexes: 'after-full-load' }) as never });
    s.useTableDefinitions({ tables: [definition(prefix)], from: 'test' });
    return s;
  };
  let sink = open();
  try {
    await sink.write(all.records.slice(0, 2), ctx());
    assert.deepEqual(await catalog(prefix), { columns: ['id integer', 'code character varying(10)', 'n integer default 7'], indexes: ['idx_code', 'idx_pkey'], pending: 1, rows: 2 },
      'the definition\'s types, default and keys; the index waits');
    await sink.close();
    sink = open(); // a restart: the pending index is in the state table
    await sink.write(all.records.slice(0, 3), ctx());
    assert.deepEqual(await catalog(prefix), { columns: ['id integer', 'code character varying(10)', 'n integer default 7'], indexes: ['idx_code', 'idx_n', 'idx_pkey'], pending: 0, rows: 3 });
    // The index dropped by hand and the pending row put back (a crash between the data's commit and the build):
    // the redelivered last event, already applied, builds it.
    await withPg(async (c) => {
      await c.query(`DROP INDEX "${prefix}".idx_n`);
      await c.query(`INSERT INTO "${prefix}"._ferry_sink_indexes VALUES ('pg', $1, 'idx', 0, $2)`, [prefix, definition(prefix).indexes[0]]);
    });
    await sink.close();
    sink = open();
    await sink.write(all.records.slice(2, 4), ctx());
    assert.deepEqual(await catalog(prefix), { columns: ['id integer', 'code character varying(10)', 'n integer default 7'], indexes: ['idx_code', 'idx_n', 'idx_pkey'], pending: 0, rows: 4 });
  } finally {
    await sink.close();
  }
});

test('with-table: the index is created with the table; without definitions the table comes from the event schema', async () => {
  const a = uniqueName('pgidxw');
  const b = uniqueName('pgidxn');
  schemas.push(a, b);
  const withTable = new PostgresSink({ name: 'pg', config: targetOptions(a, { indexes: 'with-table' }) as never });
  withTable.useTableDefinitions({ tables: [definition(a)], from: 'test' });
  const none = new PostgresSink({ name: 'pg', config: targetOptions(b) as never });
  none.useTableDefinitions({ unavailable: 'the source is unreachable' });
  try {
    await withTable.write((await kafkaRecords([ev('r', { id: 1, code: 'a', n: 1 }, a, 'first')], { prefix: a })).records, ctx());
    assert.deepEqual(await catalog(a), { columns: ['id integer', 'code character varying(10)', 'n integer default 7'], indexes: ['idx_code', 'idx_n', 'idx_pkey'], pending: 0, rows: 1 });
    await none.write((await kafkaRecords([ev('r', { id: 1, code: 'a', n: 1 }, b, 'first')], { prefix: b })).records, ctx());
    assert.deepEqual(await catalog(b), { columns: ['id integer', 'code text', 'n integer'], indexes: ['idx_pkey'], pending: 0, rows: 1 });
  } finally {
    await withTable.close();
    await none.close();
  }
});
