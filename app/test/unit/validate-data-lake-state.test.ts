// The lake's latest state per key (app/src/validate-data/lake-state.ts) from hand-written Parquet files in a local
// lake folder: Kafka-mode order by offset within a partition (files read in any order), a repeated copy of a file (a
// redelivered batch), deletes, a truncate that drops its partition's older rows, a column only later files have, and
// direct mode ordered by source position and event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readLakeState } from '../../src/validate-data/lake-state.ts';
import type { StatePlan } from '../../../runtime/src/validation/state-compare.ts';

const col = (name: string, dataType: string) => ({ name, dataType, columnType: dataType, unsigned: false, array: false, enumType: false, json: false });

const plan: StatePlan = {
  source: { schema: 'shop', table: 'orders' }, target: { schema: 'shop', table: 'orders' }, keyCount: 1, skipped: [], sourceExprs: [],
  pairs: [
    { source: 'id', target: 'id', family: 'int', rtrim: false, sourceType: col('id', 'int') },
    { source: 'amount', target: 'amount', family: 'decimal', rtrim: false, sourceType: col('amount', 'decimal') },
    { source: 'note', target: 'note', family: 'text', rtrim: false, sourceType: col('note', 'varchar') },
    { source: 'added', target: 'added', family: 'int', rtrim: false, sourceType: col('added', 'int') },
  ],
};

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    for (const [name, select] of Object.entries(files)) await c.run(`COPY (${select}) TO '${join(dir, name)}' (FORMAT parquet)`);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

const kafkaRow = (op: string, p: number, o: number, id: number | null, amount: string | null, note: string | null, added?: number) =>
  `SELECT '${op}' AS "Op", TIMESTAMPTZ '2024-01-01 00:00:00+00' AS _commit_ts, NULL::VARCHAR AS _source_position, NULL::INTEGER AS _source_event, ${p}::INTEGER AS _kafka_partition, ${o}::BIGINT AS _kafka_offset, ` +
  `${id ?? 'NULL'}::INTEGER AS id, ${amount === null ? 'NULL' : `${amount}`}::DECIMAL(10,2) AS amount, ${note === null ? 'NULL' : `'${note}'`}::VARCHAR AS note${added !== undefined ? `, ${added}::INTEGER AS added` : ''}`;

test('Kafka mode: offsets order each key, copies and deletes apply, a truncate drops its partition’s older rows', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-lake-state-'));
  const dir = join(root, 'shop', 'orders', 'date=2024-01-01');
  mkdirSync(dir, { recursive: true });
  await writeFiles(dir, {
    // Partition 0: id 1 inserted then updated (in two files, read in name order: the later offsets come first), id 2 deleted.
    'part-0-0000000000000000002-0000000000000000003.parquet': [kafkaRow('U', 0, 2, 1, '1.50', 'second'), kafkaRow('D', 0, 3, 2, '2.00', 'b')].join(' UNION ALL '),
    'part-0-0000000000000000000-0000000000000000001.parquet': [kafkaRow('I', 0, 0, 1, '1.00', 'first'), kafkaRow('I', 0, 1, 2, '2.00', 'b')].join(' UNION ALL '),
    // The same change twice (a redelivered batch cut differently).
    'part-0-0000000000000000002-0000000000000000002.parquet': kafkaRow('U', 0, 2, 1, '1.50', 'second'),
    // Partition 1: id 3 before a truncate (dropped), id 4 after it; a later file with the added column.
    'part-1-0000000000000000000-0000000000000000002.parquet': [kafkaRow('I', 1, 0, 3, '3.00', 'c'), kafkaRow('T', 1, 1, null, null, null), kafkaRow('I', 1, 2, 4, '4.10', 'd')].join(' UNION ALL '),
    'part-1-0000000000000000003-0000000000000000003.parquet': kafkaRow('U', 1, 3, 4, '4.20', 'd', 7),
  });
  const s = await readLakeState(plan, { location: root, opColumn: 'Op' });
  assert.equal(s.records, 9);
  assert.deepEqual([...s.absent], []);
  assert.deepEqual([...s.rows.entries()].sort(), [
    ['["1"]', ['1', '1.5', 'second', null]],
    ['["4"]', ['4', '4.2', 'd', '7']],
  ]);
});

test('direct mode: the source position and event order each key; a column no file has is absent', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-lake-state-'));
  const dir = join(root, 'shop', 'orders');
  mkdirSync(dir, { recursive: true });
  const row = (op: string, pos: string, ev: number, id: number, note: string) =>
    `SELECT '${op}' AS "Op", '${pos}' AS _source_position, ${ev}::INTEGER AS _source_event, NULL::INTEGER AS _kafka_partition, NULL::BIGINT AS _kafka_offset, ${id}::INTEGER AS id, 1.00::DECIMAL(10,2) AS amount, '${note}' AS note`;
  await writeFiles(dir, {
    'part-d-b.parquet': [row('U', 'mysql:000001:000000000200:bin.000001', 1, 1, 'late'), row('D', 'mysql:000001:000000000200:bin.000001', 2, 2, 'x')].join(' UNION ALL '),
    'part-d-a.parquet': [row('I', 'mysql:000001:000000000100:bin.000001', 0, 1, 'early'), row('I', 'mysql:000001:000000000100:bin.000001', 0, 2, 'x'), row('U', 'mysql:000001:000000000200:bin.000001', 0, 1, 'middle')].join(' UNION ALL '),
  });
  const s = await readLakeState(plan, { location: root, opColumn: 'Op' });
  assert.deepEqual([...s.rows.entries()], [['["1"]', ['1', '1', 'late', null]]]);
  assert.deepEqual([...s.absent], [3]);
});
