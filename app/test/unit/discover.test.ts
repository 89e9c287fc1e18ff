// `ferry discover` without a server: the HTML report escapes every value and loads nothing external, the JSON shape
// (model.ts) accepts a report and docs/discovery.schema.json is the schema generated from it, the connection is
// resolved from a URL or flags (never with a password on the command line), and the effort rules of
// docs/discovery.md pick the target they document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogColumn, CatalogTable, SourceCatalog } from '../../../core/src/catalog.ts';
import { resolveConnection } from '../../src/discover/connection.ts';
import { estimateEffort, levelOf } from '../../src/discover/effort.ts';
import type { DatabaseInventory } from '../../src/discover/inventory.ts';
import { discoveryJsonSchema, SCHEMA_FILE } from '../../src/discover/json-schema.ts';
import { discoveryReportSchema, emptyFeatures, type DiscoveryReport } from '../../src/discover/model.ts';
import { bytes, discoveryHtml, discoveryText } from '../../src/discover/report.ts';

const EVIL = `<script>alert("x")</script><img src=x onerror='y'>&amp;`;

function hostileReport(): DiscoveryReport {
  const features = emptyFeatures();
  features.views.push({ object: `db.${EVIL}` });
  features.triggers.push({ object: 'db.t.trg', detail: EVIL });
  return {
    ok: true, discoveredAt: '2026-12-06T00:00:00.000Z',
    server: { engine: 'mariadb', host: `h${EVIL}`, port: 3306, version: `10.11 ${EVIL}` },
    options: { exactCounts: false, sampleSeconds: 1, databases: [] },
    writeRate: { method: 'binlog', sampledSeconds: 1, logBytes: 10, logBytesPerSecond: 10, rowWritesPerSecond: 1, note: EVIL },
    databases: [{
      name: `db${EVIL}`, schemas: [`db${EVIL}`],
      tables: [{ schema: 'db', name: EVIL, rows: 5, rowsExact: false, dataBytes: 16384, indexBytes: 0, primaryKey: false, partitions: 0, engine: EVIL }],
      totals: { tables: 1, rows: 5, dataBytes: 16384, indexBytes: 0, tablesWithoutPrimaryKey: 1 },
      features, rowWritesPerSecond: null,
      effort: {
        recommendedTarget: 'mariadb', score: 2, level: 'low', reasons: [EVIL],
        candidates: [{ target: 'mariadb', score: 2, level: 'low', auto: 1, warning: 0, manual: 0, manualByKind: {}, topIssues: [{ kind: 'trigger', object: EVIL, reason: EVIL }] }],
      },
    }],
    totals: { databases: 1, tables: 1, rows: 5, dataBytes: 16384, indexBytes: 0 },
    notes: [EVIL],
  };
}

test('the HTML report escapes every value from the server and is self-contained', () => {
  const html = discoveryHtml(hostileReport());
  assert.equal(html.includes('<script'), false);
  assert.equal(html.includes('<img'), false);
  assert.equal(/<[^>]*\b(?:src|href)=/i.test(html), false, 'no external asset or link');
  assert.equal(/<link\b|@import|url\(/i.test(html), false);
  const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;amp;';
  // host, version, note, database name ×3, table, engine, view, trigger detail, reason, top issue ×2, notes
  assert.ok(html.split(escaped).length - 1 >= 12, `every value escaped (${html.split(escaped).length - 1})`);
  assert.match(html, /^<!doctype html>/);
});

test('the text report names the tables, features and the recommendation', () => {
  const text = discoveryText(hostileReport());
  assert.match(text, /recommended target: mariadb/);
  assert.match(text, /views \(1\): db\.<script>/);
  assert.match(text, /~5/);
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(3 * 1024 ** 3), '3.0 GiB');
});

test('the JSON shape accepts a report and refuses an unknown key; docs/discovery.schema.json is current', () => {
  assert.doesNotThrow(() => discoveryReportSchema.parse(hostileReport()));
  assert.throws(() => discoveryReportSchema.parse({ ...hostileReport(), extra: 1 }));
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), discoveryJsonSchema(), 'regenerate with: scripts/node app/src/discover/json-schema.ts --write');
});

test('a connection from a URL or flags; a password only from the environment or a file', () => {
  process.env.FERRY_DISCOVER_TEST_PW = 'pw-from-env-123';
  const c = resolveConnection('postgres://me@db.example:6543/sales', { passwordEnv: 'FERRY_DISCOVER_TEST_PW' });
  assert.deepEqual({ engine: c.engine, host: c.source.host, port: c.source.port, user: c.source.user, database: c.database }, { engine: 'postgres', host: 'db.example', port: 6543, user: 'me', database: 'sales' });
  assert.equal(c.source.password.reveal(), 'pw-from-env-123');
  assert.equal(String(c.source.password), '***');
  const m = resolveConnection(undefined, { engine: 'mariadb', host: 'h', user: 'u' });
  assert.deepEqual({ port: m.source.port, connectTimeoutMs: m.source.connectTimeoutMs }, { port: 3306, connectTimeoutMs: 10000 });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-discover-'));
  writeFileSync(join(dir, 'pw'), 'file-password-456\n');
  assert.equal(resolveConnection('mysql://u@h', { passwordFile: join(dir, 'pw') }).source.password.reveal(), 'file-password-456');

  const refused = (target: string | undefined, flags: Parameters<typeof resolveConnection>[1], message: RegExp) => assert.throws(() => resolveConnection(target, flags), (e: Error) => {
    assert.equal(e.name, 'UsageError');
    assert.match(e.message, message);
    assert.equal(e.message.includes('s3cret-in-url'), false, 'the password is never echoed');
    return true;
  });
  refused('mysql://u:s3cret-in-url@h:3306', {}, /holds a password: pass it with --password-env/);
  refused(undefined, { engine: 'mysql', host: 'h', user: 'u', passwordEnv: 'FERRY_DISCOVER_UNSET_VAR' }, /FERRY_DISCOVER_UNSET_VAR.*not set/);
  refused(undefined, { host: 'h', user: 'u' }, /needs a task file, a connection URL, or --engine/);
  refused(undefined, { engine: 'postgres', user: 'u' }, /needs --host/);
  refused('postgres://u@h', { engine: 'mysql' }, /contradicts/);
  refused('no-such-file.yaml', {}, /neither a task file nor a connection URL/);
  refused(join(dir, 'pw'), { host: 'x' }, /drop --host/);
  refused(undefined, { engine: 'mysql', host: 'h', user: 'u', passwordEnv: 'FERRY_DISCOVER_TEST_PW', passwordFile: join(dir, 'pw') }, /not both/);
});

const col = (name: string, ordinal: number, type: string, sourceType = type): CatalogColumn => ({ name, ordinal, sourceType, type: { name: type }, nullable: true });
const table = (schema: string, name: string, columns: CatalogColumn[]): CatalogTable => ({
  schema, name, columns, primaryKey: { name: 'PRIMARY', columns: [columns[0]!.name] }, uniqueKeys: [], indexes: [], foreignKeys: [], checks: [],
});

function mysqlDb(withProcedure: boolean): { db: DatabaseInventory; catalog: SourceCatalog } {
  const tables = [
    table('app', 'docs', [col('id', 1, 'int'), col('a', 2, 'json'), col('b', 3, 'json')]),
    table('app', 'places', [col('id', 1, 'int'), col('g', 2, 'point')]),
    table('app', 'plain', [col('id', 1, 'int'), col('n', 2, 'varchar', 'varchar(10)')]),
  ];
  const catalog: SourceCatalog = {
    engine: 'mariadb', serverVersion: '10.11', tables, views: [], triggers: [], sequences: [],
    routines: withProcedure ? [{ schema: 'app', name: 'p', kind: 'procedure', definition: 'CREATE PROCEDURE p() SELECT 1', language: 'SQL' }] : [],
  };
  const features = emptyFeatures();
  features.jsonColumns.push({ object: 'app.docs.a' }, { object: 'app.docs.b' });
  features.spatialColumns.push({ object: 'app.places.g' });
  if (withProcedure) features.procedures.push({ object: 'app.p' });
  const db: DatabaseInventory = {
    name: 'app', schemas: ['app'], features,
    tables: tables.map((t) => ({ schema: t.schema, name: t.name, rows: 0, rowsExact: true, dataBytes: 0, indexBytes: 0, primaryKey: true, partitions: 0 })),
  };
  return { db, catalog };
}

test('effort: heavy JSON and spatial use recommends PostgreSQL; engine-specific code keeps the same engine', () => {
  const { db, catalog } = mysqlDb(false);
  const e = estimateEffort(db, catalog, 'mariadb');
  assert.equal(e.recommendedTarget, 'postgres');
  assert.match(e.reasons[0]!, /^2 JSON columns: PostgreSQL's jsonb/);
  assert.match(e.reasons[1]!, /^1 spatial column: PostGIS/);
  assert.deepEqual(e.candidates.map((c) => c.target), ['mariadb', 'postgres']);
  // MariaDB → MariaDB: nothing to convert; → PostgreSQL: the point column becomes WKB bytes (a warning).
  assert.deepEqual(e.candidates.map((c) => [c.score, c.manual]), [[0, 0], [1, 0]]);

  const withCode = mysqlDb(true);
  const f = estimateEffort(withCode.db, withCode.catalog, 'mariadb');
  assert.equal(f.recommendedTarget, 'mariadb');
  assert.match(f.reasons[0]!, /^engine-specific code: 1 procedure would have to be rewritten for PostgreSQL/);
  const pgCandidate = f.candidates.find((c) => c.target === 'postgres')!;
  assert.deepEqual(pgCandidate.manualByKind, { procedure: 1 });
  assert.equal(pgCandidate.score, 8 + 1);
  assert.deepEqual(pgCandidate.topIssues.map((i) => [i.kind, i.object]), [['procedure', 'app.p']]);

  assert.deepEqual([0, 1, 10, 11, 50, 51].map(levelOf), ['none', 'low', 'low', 'medium', 'medium', 'high']);
});
