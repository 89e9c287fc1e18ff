// The shared sink conformance suite (test/conformance/sink-suite.ts) against the Iceberg sink with a REST catalog:
// Apache Iceberg's own REST server (infra/iceberg-rest.sh) holds the tables and writes their metadata files; a
// fresh namespace per test. PyIceberg reads each table back through the same REST catalog (not Ferry's client),
// applying the delete files itself, and DuckDB turns its rows into the kit's canonical text.
import { before } from 'node:test';
import { registerSinkTests, type SinkFixture } from '../../../../test/conformance/sink-suite.ts';
import { COLUMNS_V2, duckCanonicalSql, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import { icebergSink } from '../../src/descriptor.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';
import { readWithPyIcebergRest } from '../helpers/rest-pyiceberg.ts';

const canonicalColumns = COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) }));
const catalog = { type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } } as const;

before(async () => { await restServerUp(); });

const icebergRest: SinkFixture = {
  type: 'iceberg',
  target() {
    const namespace = uniqueName('ferry_rest_conf');
    return Promise.resolve({
      // warehouse is unused with a REST catalog (the catalog places the tables), but required by the schema
      options: { warehouse: '/unused', catalog, namespace, mode: 'upsert' },
      async read(t) {
        const r = await readWithPyIcebergRest({ uri: restServer.uri, token: restServer.token, table: `${namespace}.${t.table}`, columns: canonicalColumns });
        return { rows: r.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')) };
      },
      async cleanup() {
        const cat = new RestCatalog(catalog);
        for (const id of await cat.listTables([namespace])) await cat.dropTable(id, { purge: true });
      },
    });
  },
  poison: { after: (row) => ({ ...row, alarm: -36_000_000_000 }), reason: /outside one day/ },
};

registerSinkTests(icebergSink, icebergRest);
