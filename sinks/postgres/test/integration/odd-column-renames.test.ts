// Columns named outside [A-Za-z0-9_] into PostgreSQL through Kafka-mode records (registry schemas): the table is
// created under the source's column names, rows are written under them, and renames of such columns during CDC
// rename the target column (with droppedColumns: drop, the renamed column is never dropped and its values stay).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { ODD_FINAL_COLUMNS, ODD_FINAL_ROWS, oddColumnEvents } from '../../../../test/helpers/sink-kit/odd-columns.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
import { dropSchema, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  for (const slices of [[9], [1, 4, 5, 8, 9]]) {
    test(`${applyMode}, writes ending at ${slices.join(',')}: odd column names land under their source names and follow renames`, async () => {
      const prefix = uniqueName('pgodd');
      schemas.push(prefix);
      const all = await kafkaRecords(oddColumnEvents(prefix), { prefix, partitions: 1 });
      assert.deepEqual(all.records[0]!.table.columns.map((c) => c.name), ['id', 'na_ve__', 'back_tick'], 'the events carry Avro-adjusted field names');
      const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode, droppedColumns: 'drop' }) as never });
      try {
        let from = 0;
        for (const to of slices) {
          await sink.write(all.records.slice(from, to), ctx());
          from = to;
        }
        await sink.write(all.records, ctx()); // a redelivery changes nothing
      } finally {
        await sink.close();
      }
      await withPg(async (c) => {
        const cols = (await c.query(`SELECT attname FROM pg_attribute WHERE attrelid = '"${prefix}"."odd cols"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows.map((x: { attname: string }) => x.attname);
        assert.deepEqual(cols, ODD_FINAL_COLUMNS);
        const rows = (await c.query(`SELECT concat(id, '|', coalesce("b c", 'NULL'), '|', coalesce(plain::text, 'NULL')) AS r FROM "${prefix}"."odd cols" ORDER BY id`)).rows.map((x: { r: string }) => x.r);
        assert.deepEqual(rows, ODD_FINAL_ROWS);
      });
    });
  }
}
