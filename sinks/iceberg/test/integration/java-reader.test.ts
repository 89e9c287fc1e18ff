// The Iceberg tables Ferry writes, read by Apache Iceberg's own Java library (iceberg-core 1.10.0 from Maven
// Central: JdbcCatalog over the SQLite catalog, IcebergGenerics applying the delete files) in both delete modes:
// position deletes (the default) and equality deletes on the primary key (which PyIceberg refuses to read, as it
// says; that is why position deletes are the default). Inserts, updates, deletes and an added column in five commits,
// with manifests merged along the way; every row compared value by value with the source's state.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { COLUMNS_V2, expectedRows, fixture, normalizeRead, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { IcebergSink } from '../../src/index.ts';
import { readManifestList } from '../../src/metadata/manifests.ts';
import { readWithJava } from '../helpers/java-reader.ts';
import { readWithPyIceberg, stopPyIceberg } from '../helpers/pyiceberg.ts';

after(stopPyIceberg);
const kit = fixture();
const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

for (const deletes of ['position', 'equality'] as const) {
  test(`Java iceberg-core reads the ${deletes}-delete table${deletes === 'position' ? ' (partitioned)' : ''} as the source's state: inserts, updates, deletes, an added column, five commits, manifests merged`, { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), `ferry-iceberg-java-${deletes}-`));
    try {
      const warehouse = join(dir, 'wh');
      // Position deletes in a partitioned table: each delete file sits in the partition of the data files it names.
      const partitioning = deletes === 'position' ? [{ column: 'color', transform: 'identity' as const }] : [];
      // Manifests merged once more than 2 of a kind pile up: their entries listed as existing, sequence numbers kept.
      const sink = new IcebergSink({ config: { warehouse, catalog: { type: 'sql', uri: `sqlite:${join(dir, 'c.db')}`, name: 'java' }, deletes, partitioning, manifestMergeThreshold: 2 } });
      const w = workload(kit, { prefix: `java${deletes}`, rows: 50, changesV1: 80, changesV2: 60, snapshotRows: 20, seed: 21 });
      const batch = await kafkaRecords(w.events, { prefix: `java${deletes}`, partitions: 2, registry: new FakeRegistry(), sourceFields: sink.sourceFields });
      const rs = batch.records;
      const cut = [0, 1, 2, 3, 4, 5].map((i) => Math.floor((i * rs.length) / 5));
      for (let i = 0; i < 5; i++) assert.deepEqual((await sink.write(rs.slice(cut[i], cut[i + 1]), ctx())).rejected ?? [], []);
      const t = (await (await sink.catalog()).loadTable({ namespace: ['shop'], name: 'orders' }))!;
      const list = readManifestList(await sink.io.get(t.metadata.snapshots!.find((x) => x['snapshot-id'] === t.metadata['current-snapshot-id'])!['manifest-list']));
      assert.ok(list.some((m) => m.existingFilesCount > 0 && m.addedFilesCount === 0), 'a merged manifest is listed');
      assert.ok(list.filter((m) => m.content === 0).length <= 3, `few data manifests after ${t.metadata.snapshots!.length} commits (${list.length} manifests)`);
      await sink.close();
      const got = await readWithJava({ jdbcUri: `jdbc:sqlite:${join(dir, 'c.db')}`, catalogName: 'java', table: 'shop.orders', warehouse });
      const rows = got.rows.map((r) => COLUMNS_V2.map((c) => normalizeRead(c, r[c.name] ?? null)).join('|'));
      const want = expectedRows(w);
      const g = new Set(rows);
      assert.equal(rows.length, want.length, 'as many rows as the source');
      assert.deepEqual(want.filter((x) => !g.has(x)).slice(0, 2), [], 'every source row, value by value');
      const s = got.summary!;
      assert.ok(Number(s[deletes === 'position' ? 'added-position-deletes' : 'added-equality-deletes']) > 0, `the last commit wrote ${deletes} deletes`);
      assert.deepEqual(got.identifier, [1], 'id is the identifier field');
      if (deletes === 'position') {
        const py = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'java', table: 'shop.orders', columns: [{ name: 'id', sql: 'CAST(id AS VARCHAR)' }] });
        assert.deepEqual(py.rows.map((r) => String(r.id)).sort(), want.map((x) => x.split('|')[0]!).sort(), 'PyIceberg reads the same keys through the merged manifests');
      }
      if (deletes === 'equality') {
        await assert.rejects(readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'c.db')}`, catalogName: 'java', table: 'shop.orders' }), /does not yet support equality deletes/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
