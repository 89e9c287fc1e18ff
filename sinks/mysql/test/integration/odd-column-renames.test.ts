// Columns named outside [A-Za-z0-9_] into MariaDB through Kafka-mode records (registry schemas): the table is created
// under the source's column names, rows are written under them, and renames of such columns during CDC rename the
// target column (with droppedColumns: drop, the renamed column is never dropped and its values stay).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { ODD_FINAL_COLUMNS, ODD_FINAL_ROWS, oddColumnEvents } from '../../../../test/helpers/sink-kit/odd-columns.ts';
import { MySqlSink } from '../../src/MySqlSink.ts';
import { dropDatabase, query, targetOptions } from '../helpers.ts';

const databases: string[] = [];
after(async () => {
  for (const d of databases) await dropDatabase(d);
});

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  for (const slices of [[9], [1, 4, 5, 8, 9]]) {
    test(`${applyMode}, writes ending at ${slices.join(',')}: odd column names land under their source names and follow renames`, async () => {
      const prefix = uniqueName('myodd');
      databases.push(prefix);
      const all = await kafkaRecords(oddColumnEvents(prefix), { prefix, partitions: 1 });
      const sink = new MySqlSink({ config: targetOptions(prefix, { applyMode, droppedColumns: 'drop' }) as never });
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
      const cols = (await query<{ c: string }>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [prefix, 'odd cols'])).map((x) => x.c);
      assert.deepEqual(cols, ODD_FINAL_COLUMNS);
      const rows = (await query<{ r: string }>(`SELECT CONCAT(id, '|', COALESCE(\`b c\`, 'NULL'), '|', COALESCE(plain, 'NULL')) AS r FROM \`${prefix}\`.\`odd cols\` ORDER BY id`)).map((x) => x.r);
      assert.deepEqual(rows, ODD_FINAL_ROWS);
    });
  }
}
