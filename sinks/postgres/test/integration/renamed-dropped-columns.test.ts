// RENAME and DROP COLUMN during CDC into PostgreSQL, through Kafka-mode records (the renames travel as Avro field
// aliases through the registry's schema): in one batch and in slices, both apply modes, droppedColumns drop and keep,
// a redelivery, a restart between the DDL and the first event that needs it, and a drop the target refuses.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapColumn, type MySqlColumnDef } from '../../../../connectors/mysql-binlog/src/type-mapping.ts';
import { makeConverter } from '../../../../connectors/mysql-binlog/src/value-conversion.ts';
import { toTableSchema } from '../../../../connectors/mysql-binlog/src/mysql-schema.ts';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../../core/src/types.ts';
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

interface Version {
  readonly schema: TableSchema;
  wire(row: Row): Row;
}

type Col = [name: string, columnType: string, renamedFrom?: string[]];

function version(cols: Col[], v: number): Version {
  const columns: MySqlColumnDef[] = cols.map(([name, columnType, renamedFrom]) => ({ name, columnType, nullable: name !== 'id', charset: columnType.startsWith('varchar') ? 'utf8mb4' : null, ...(renamedFrom ? { renamedFrom } : {}) }));
  const def = { schema: 'shop', table: 'ren', columns, primaryKey: ['id'], charset: 'utf8mb4' };
  const convs = def.columns.map((c) => makeConverter(mapColumn(c), c) ?? ((x: unknown) => x));
  return {
    schema: toTableSchema(def, v),
    wire: (row) => Object.fromEntries(def.columns.map((c, i) => [c.name, row[c.name] === null || row[c.name] === undefined ? null : convs[i]!(row[c.name])])),
  };
}

// v1 (id, b, gone, qty int) → v2 RENAME b TO c, qty widened to bigint → v3 DROP gone → v4 ADD a new b.
const V1 = version([['id', 'int(11)'], ['b', 'varchar(20)'], ['gone', 'int(11)'], ['qty', 'int(11)']], 1);
const V2 = version([['id', 'int(11)'], ['c', 'varchar(20)', ['b']], ['gone', 'int(11)'], ['qty', 'bigint(20)']], 2);
const V3 = version([['id', 'int(11)'], ['c', 'varchar(20)', ['b']], ['qty', 'bigint(20)']], 3);
const V4 = version([['id', 'int(11)'], ['c', 'varchar(20)', ['b']], ['qty', 'bigint(20)'], ['b', 'varchar(200)']], 4);

let pos = 4;
function ev(v: Version, op: Op, before: Row | null, after: Row | null, prefix: string): ChangeEvent {
  pos += 100;
  const img = after ?? before;
  return {
    op, key: img ? { id: img.id } : null, before: before && v.wire(before), after: after && v.wire(after), tsMs: 0, table: v.schema,
    source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: op === 'r' ? 'true' : 'false', db: 'shop', table: 'ren', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
  } as ChangeEvent;
}

function events(prefix: string): ChangeEvent[] {
  return [
    ev(V1, 'r', null, { id: 1, b: 'one', gone: 1, qty: 1 }, prefix),
    ev(V1, 'c', null, { id: 2, b: 'two', gone: 2, qty: 2 }, prefix),
    ev(V1, 'u', { id: 2, b: 'two', gone: 2, qty: 2 }, { id: 2, b: 'two-2', gone: 22, qty: 2 }, prefix),
    ev(V2, 'c', null, { id: 3, c: 'three', gone: 3, qty: 9_000_000_000 }, prefix),
    ev(V2, 'u', { id: 2, c: 'two-2', gone: 22, qty: 2 }, { id: 2, c: 'two-3', gone: 23, qty: 3 }, prefix),
    ev(V3, 'c', null, { id: 4, c: 'four', qty: 4 }, prefix),
    ev(V4, 'c', null, { id: 5, c: 'five', qty: 5, b: 'new b' }, prefix),
  ];
}

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

async function shape(schema: string): Promise<string[]> {
  return withPg(async (c) => (await c.query(`SELECT attname || ' ' || format_type(atttypid, atttypmod) AS r FROM pg_attribute WHERE attrelid = '"${schema}"."ren"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows.map((x: { r: string }) => x.r));
}

async function rows(schema: string, cols: string[]): Promise<string[]> {
  const expr = cols.map((c) => `coalesce("${c}"::text, 'NULL')`).join(`, '|', `);
  return withPg(async (c) => (await c.query(`SELECT concat(${expr}) AS r FROM "${schema}"."ren" ORDER BY id`)).rows.map((x: { r: string }) => x.r));
}

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  for (const droppedColumns of ['drop', 'keep'] as const) {
    for (const slices of [[7], [1, 3, 5, 6, 7]]) {
      test(`${applyMode}, droppedColumns ${droppedColumns}, writes ending at ${slices.join(',')}: renamed rows keep their values under the new name`, async () => {
        const prefix = uniqueName('pgren');
        schemas.push(prefix);
        const all = await kafkaRecords(events(prefix), { prefix, partitions: 1 });
        const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode, droppedColumns }) as never });
        try {
          let from = 0;
          for (const to of slices) {
            await sink.write(all.records.slice(from, to), ctx());
            from = to;
          }
          // a redelivery of everything changes nothing
          await sink.write(all.records, ctx());
        } finally {
          await sink.close();
        }
        if (droppedColumns === 'drop') {
          assert.deepEqual(await shape(prefix), ['id integer', 'c text', 'qty bigint', 'b text']);
          assert.deepEqual(await rows(prefix, ['id', 'c', 'qty', 'b']), ['1|one|1|NULL', '2|two-3|3|NULL', '3|three|9000000000|NULL', '4|four|4|NULL', '5|five|5|new b']);
        } else {
          assert.deepEqual(await shape(prefix), ['id integer', 'c text', 'gone integer', 'qty bigint', 'b text']);
          assert.deepEqual(await rows(prefix, ['id', 'c', 'gone', 'qty', 'b']), ['1|one|1|1|NULL', '2|two-3|23|3|NULL', '3|three|3|9000000000|NULL', '4|four|NULL|4|NULL', '5|five|NULL|5|new b']);
        }
      });
    }
  }
}

test('a restart between the DDL and the first event that needs it: the rename comes from the event schema; a drop is kept', async () => {
  const prefix = uniqueName('pgren');
  schemas.push(prefix);
  const all = await kafkaRecords(events(prefix), { prefix, partitions: 1 });
  const first = new PostgresSink({ config: targetOptions(prefix, { droppedColumns: 'drop' }) as never });
  try {
    await first.write(all.records.slice(0, 3), ctx());
  } finally {
    await first.close();
  }
  // A new sink (process) meets v2 first: the target has b, the event says c was b.
  const second = new PostgresSink({ config: targetOptions(prefix, { droppedColumns: 'drop' }) as never });
  try {
    await second.write(all.records.slice(3, 5), ctx());
    assert.deepEqual(await shape(prefix), ['id integer', 'c text', 'gone integer', 'qty bigint']);
    assert.deepEqual(await rows(prefix, ['id', 'c', 'gone']), ['1|one|1', '2|two-3|23', '3|three|3']);
  } finally {
    await second.close();
  }
  // Another one meets v3 first: nothing says `gone` came from the source, so it stays (made nullable).
  const third = new PostgresSink({ config: targetOptions(prefix, { droppedColumns: 'drop' }) as never });
  try {
    await third.write(all.records.slice(5), ctx());
    assert.deepEqual(await shape(prefix), ['id integer', 'c text', 'gone integer', 'qty bigint', 'b text']);
    assert.deepEqual(await rows(prefix, ['id', 'c', 'gone', 'b']), ['1|one|1|NULL', '2|two-3|23|NULL', '3|three|3|NULL', '4|four|NULL|NULL', '5|five|NULL|new b']);
  } finally {
    await third.close();
  }
});

test('a drop the target refuses (a view depends on the column) stops the table with FERRY_TARGET_SCHEMA_CHANGE naming the column and the fix', async () => {
  const prefix = uniqueName('pgren');
  schemas.push(prefix);
  const all = await kafkaRecords(events(prefix), { prefix, partitions: 1 });
  const sink = new PostgresSink({ config: targetOptions(prefix, { droppedColumns: 'drop' }) as never });
  try {
    await sink.write(all.records.slice(0, 5), ctx());
    await withPg((c) => c.query(`CREATE VIEW "${prefix}".ren_gone AS SELECT id, gone FROM "${prefix}"."ren"`));
    await assert.rejects(sink.write(all.records.slice(5), ctx()), (e: { code?: string; message?: string }) =>
      e.code === 'FERRY_TARGET_SCHEMA_CHANGE' && /column gone/.test(e.message ?? '') && /droppedColumns: keep/.test(e.message ?? ''));
    assert.deepEqual(await rows(prefix, ['id', 'c', 'gone']), ['1|one|1', '2|two-3|23', '3|three|3'], 'nothing of the refused batch is written');
  } finally {
    await sink.close();
  }
});

test('two partitions: rows of the old version that arrive after the other partition renamed the column keep their values', async () => {
  const prefix = uniqueName('pgren');
  schemas.push(prefix);
  const evs: ChangeEvent[] = [];
  for (let id = 1; id <= 6; id++) evs.push(ev(V1, 'c', null, { id, b: `b${id}`, gone: id, qty: id }, prefix));
  for (let id = 1; id <= 6; id += 2) evs.push(ev(V1, 'u', { id, b: `b${id}`, gone: id, qty: id }, { id, b: `b${id}-u`, gone: id, qty: id }, prefix));
  for (let id = 7; id <= 12; id++) evs.push(ev(V2, 'c', null, { id, c: `c${id}`, gone: id, qty: id }, prefix));
  const all = await kafkaRecords(evs, { prefix, partitions: 2 });
  const parts = [...new Set(all.records.map((r) => r.partition))].sort();
  assert.equal(parts.length, 2, 'the keys spread over both partitions');
  const sink = new PostgresSink({ config: targetOptions(prefix) as never });
  try {
    // the worker meets partition 0 first, whole (it renames b to c), then partition 1's older rows
    for (const p of parts) await sink.write(all.records.filter((r) => r.partition === p), ctx());
    assert.deepEqual(await rows(prefix, ['id', 'c']), ['1|b1-u', '2|b2', '3|b3-u', '4|b4', '5|b5-u', '6|b6', '7|c7', '8|c8', '9|c9', '10|c10', '11|c11', '12|c12']);
    assert.deepEqual(await shape(prefix), ['id integer', 'c text', 'gone integer', 'qty bigint']);
  } finally {
    await sink.close();
  }
});
