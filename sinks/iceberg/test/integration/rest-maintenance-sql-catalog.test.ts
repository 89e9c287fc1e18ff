/**
 * Maintenance on the SQL catalog (SQLite, local warehouse), where a commit is a compare-and-swap of the metadata
 * file and Ferry writes the metadata files itself: the Iceberg sink writes 5 batches, then `ferry lake maintain
 * --compact --expire-older-than 0s --remove-orphans --orphan-older-than 0s` runs on the task file. PyIceberg reads the
 * table through the SQL catalog: the source's rows, one data file, no delete file, one snapshot; on disk, one data
 * file and no file that nothing references.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { COLUMNS_V2, duckCanonicalSql, expectedRows, fixture, normalizeRead, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { startFerry } from '../../../../test/helpers/ferry-process.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { icebergSink } from '../../src/descriptor.ts';
import { readWithPyIceberg, stopPyIceberg } from '../helpers/pyiceberg.ts';

const kit = fixture();
const dirs: string[] = [];
after(async () => {
  await stopPyIceberg();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('ferry lake maintain on a SQL catalog: compaction, expiry and orphan removal leave the source rows in one file and one snapshot', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-maint-sql-'));
  dirs.push(dir);
  const name = uniqueName('maint_sql');
  const options = { warehouse: join(dir, 'wh'), catalog: { type: 'sql', uri: `sqlite:${join(dir, 'catalog.db')}`, name: 'maint' }, mode: 'upsert' };
  const sink = await icebergSink.create({ name: 'maint', type: 'iceberg', options });
  const w = workload(kit, { prefix: name, rows: 50, changesV1: 150, changesV2: 0, seed: 3 });
  try {
    const batch = await kafkaRecords(w.events, { prefix: name, partitions: 2, registry: new FakeRegistry(), sourceFields: sink.sourceFields ?? 'all' });
    const size = Math.ceil(batch.records.length / 5);
    const ctx = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };
    for (let i = 0; i < 5; i++) await sink.write(batch.records.slice(i * size, (i + 1) * size), ctx);
  } finally {
    await sink.close();
  }
  const table = `${kit.v1.id.schema}.${kit.v1.id.table}`;
  const columns = COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) }));
  const read = async () => {
    const r = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'catalog.db')}`, catalogName: 'maint', table, columns });
    return { ...r, rows: r.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')).sort() };
  };
  const before = await read();
  assert.deepEqual(before.rows, expectedRows(w).sort());
  assert.ok(before.files > 1 && before.deletes > 0, `several data files and delete files (${before.files}, ${before.deletes})`);

  await writeFile(join(dir, 'task.yaml'), `name: ${name}
source: { engine: mariadb, host: 127.0.0.1, port: 3306, user: cdc, password: cdc, database: shop }
migrationType: cdc
tableMappings: { rules: [{ rule-type: selection, rule-id: "1", rule-name: all, rule-action: include, object-locator: { schema-name: ${kit.v1.id.schema}, table-name: "%" } }] }
targets:
  - ${JSON.stringify({ type: 'iceberg', name: 'lake', ...options })}
`);
  const p = startFerry(['lake', 'maintain', join(dir, 'task.yaml'), '--compact', '--expire-older-than', '0s', '--remove-orphans', '--orphan-older-than', '0s']);
  assert.equal(await p.exited, 0, p.stderr() + p.stdout());
  assert.match(p.stdout(), new RegExp(`^lake ${table}: rewrote ${before.files} data file\\(s\\) and \\d+ delete file\\(s\\) into 1; expired 5 snapshot\\(s\\), deleted \\d+ file\\(s\\), 1 snapshot\\(s\\) left; removed \\d+ orphan file\\(s\\)`));

  const after = await read();
  assert.deepEqual(after.rows, expectedRows(w).sort(), 'the same rows');
  assert.equal(after.files, 1);
  assert.equal(after.deletes, 0);
  assert.equal(after.summary?.operation, 'replace');
  const data = (await readdir(join(dir, 'wh'), { recursive: true })).filter((f) => f.endsWith('.parquet'));
  assert.equal(data.length, 1, `one data file left on disk: ${data.join(', ')}`);
});
