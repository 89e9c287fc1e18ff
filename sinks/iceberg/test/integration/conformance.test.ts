// The shared sink conformance suite (test/conformance/sink-suite.ts) against the Iceberg sink in upsert mode: a
// SQLite SQL catalog and a local warehouse per test; PyIceberg (from PyPI, infra/pyiceberg.sh) reads the table back
// through the catalog, applying the delete files itself, and DuckDB turns its rows into the kit's canonical text.
import { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSinkTests, type SinkFixture } from '../../../../test/conformance/sink-suite.ts';
import { COLUMNS_V2, duckCanonicalSql, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { icebergSink } from '../../src/descriptor.ts';
import { readWithPyIceberg, stopPyIceberg } from '../helpers/pyiceberg.ts';

const canonicalColumns = COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) }));

const iceberg: SinkFixture = {
  type: 'iceberg',
  async target() {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-iceberg-conf-'));
    const catalogUri = `sqlite:${join(dir, 'catalog.db')}`;
    return {
      options: { warehouse: join(dir, 'warehouse'), catalog: { type: 'sql', uri: catalogUri, name: 'conf' }, mode: 'upsert' },
      async read(t) {
        const r = await readWithPyIceberg({ catalogUri: `sqlite:///${join(dir, 'catalog.db')}`, catalogName: 'conf', table: `${t.schema}.${t.table}`, columns: canonicalColumns });
        return { rows: r.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')) };
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  // A MySQL TIME used as a duration (-10:00:00) cannot be an Iceberg time (time of day).
  poison: { after: (row) => ({ ...row, alarm: -36_000_000_000 }), reason: /outside one day/ },
  // The first read may install PyIceberg from PyPI (infra/pyiceberg.sh).
  timeoutMs: 240_000,
};

registerSinkTests(icebergSink, iceberg);
after(stopPyIceberg);
