// Debezium's value-handling settings on the PostgreSQL source, through a running task to Kafka, read back with the
// independent reader (writer schemas from the registry by id, avsc): every type of the all-types fixture under each
// non-default mode (the defaults are tests/e2e/postgres-types-kafka.test.ts), snapshot and streaming, compared with
// the values the source rows hold, written out here per mode; numeric NaN and ±Infinity under decimal string and
// double; bytea under each text binary mode; the registered field schemas (connect.name, parameters) of each mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { services, uniqueName } from '../helpers/services.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import type { DecodedRecord } from '../helpers/topic-reader.ts';
import { norm, startModesRun, valueFieldTypes } from '../helpers/value-modes-run.ts';
import { createAllTypes, EXPECTED, INSERT_COLUMNS, rowsWithIds } from '../../connectors/postgres-logical/test/fixtures/all-types.ts';
import { skipWithoutNumericInfinity } from '../helpers/pg-version.ts';

/** PostgreSQL 13 (FERRY_POSTGRES_PORT at infra/pg-versions.sh's 13) has no numeric 'Infinity'. */
const noInfinity = await skipWithoutNumericInfinity();

const PG = { ...services.postgres, database: 'shop' };
const DAY_MS = 86400000;
const days = (y: number, m: number, d: number) => { const t = new Date(0); t.setUTCFullYear(y, m - 1, d); return Math.round(t.getTime() / DAY_MS); };

/** The columns each mode changes, per fixture row: the values the source rows hold in that representation. */
const DECIMAL_STRING = {
  1: { c_num: '-99999999999999999999999999999.999999999', c_numv: '12345678901234567890.000000000000000000000000123', c_money: '-92233720368547758.08', c_numarr: ['1.50', null, '-2.00'] },
  2: { c_num: '0.000000001', c_numv: '0.000', c_money: '0.00', c_numarr: [] },
  3: { c_num: '99999999999999999999999999999.999999999', c_numv: '-0.0500', c_money: '0.01', c_numarr: null },
};
const DECIMAL_DOUBLE = {
  1: { c_num: -1e29, c_numv: Number('12345678901234567890'), c_money: Number('-92233720368547758.08'), c_numarr: [1.5, null, -2] },
  2: { c_num: 1e-9, c_numv: 0, c_money: 0, c_numarr: [] },
  3: { c_num: 1e29, c_numv: -0.05, c_money: 0.01, c_numarr: null },
};
/** connect: Kafka Connect Date (days), Time (ms of the day), Timestamp (ms; -infinity is Debezium's µs sentinel / 1000). */
const TIME_CONNECT = {
  1: { c_time: DAY_MS, c_time3: 45296789, c_ts: days(2024, 2, 29) * DAY_MS + 86399123 },
  2: { c_time: 0, c_ts: -9223372036832400n },
  3: { c_time: DAY_MS - 1, c_time3: 0, c_ts: days(-43, 3, 15) * DAY_MS + 43200000 },
};
/** adaptive_time_microseconds: time(3) as MicroTime. */
const TIME_MICROS = { 1: { c_time3: 45296789000 }, 2: {}, 3: { c_time3: 0 } };
const INTERVAL_STRING = { 1: { c_interval: 'P1Y2M3DT4H5M6.789S' }, 2: { c_interval: 'P0Y0M-1DT2H3M4.5S' }, 3: { c_interval: 'P178000000Y0M0DT0H0M0S' } };
const HSTORE_MAP = { 1: { c_hstore: { a: '1', b: null } }, 2: { c_hstore: {} }, 3: { c_hstore: { 'k"q': 'v\\w' } } };
const bytea = (row1: string, row2: string) => ({ 1: { c_bytea: row1 }, 2: { c_bytea: row2 }, 3: { c_bytea: null } });

type Overrides = Record<number, Record<string, unknown>>;

/** The specials table: numeric NaN and ±Infinity (n; np is numeric(10,2), which has NaN but no infinity), bytea with + and / in base64. */
const SPECIALS_DDL = 'CREATE TABLE specials (id int PRIMARY KEY, n numeric, np numeric(10,2), b bytea); ALTER TABLE specials REPLICA IDENTITY FULL';
const specialsRows = (k: number, withSpecials: boolean) => `(${1 + k}, ${withSpecials ? "'NaN'" : 'NULL'}, ${withSpecials ? "'NaN'" : 'NULL'}, '\\xfbff'), (${2 + k}, ${withSpecials ? "'Infinity'" : 'NULL'}, 1.5, '\\xfbef01'), (${3 + k}, ${withSpecials ? "'-Infinity'" : 'NULL'}, NULL, NULL)`;

interface Case {
  readonly settings: Record<string, unknown>;
  readonly overrides: readonly Overrides[];
  /** The specials' n, np, b per id (1-3). */
  readonly specials: Record<number, Record<string, unknown>>;
  /** Field schemas to check, as registered (the non-null branch). */
  readonly fields: (schema: string) => Record<string, unknown>;
}

async function runCase(c: Case, tag: string): Promise<void> {
  const name = uniqueName(`valmodes_pg_${tag}`);
  const admin = new pg.Client({ ...PG, user: 'postgres', password: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`SET search_path = ${name}, public`);
  const owner = new pg.Client({ ...PG, user: 'cdc', password: 'cdc' });
  await owner.connect();
  await createAllTypes(admin, owner, name);
  const withSpecials = c.settings.decimalHandlingMode !== undefined;
  await owner.query(SPECIALS_DDL);
  await owner.query(`INSERT INTO specials VALUES ${specialsRows(0, withSpecials)}`);
  const run = startModesRun({
    name, source: { engine: 'postgres', ...PG, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    settings: c.settings,
  });
  try {
    const types = `${name}.${name}.all_types`;
    const specials = `${name}.${name}.specials`;
    const ops = (rs: readonly DecodedRecord[], op: string) => rs.filter((r) => r.value?.op === op);
    await run.waitFor(types, (rs) => ops(rs, 'r').length >= 3);
    await run.waitFor(specials, (rs) => ops(rs, 'r').length >= 3);
    await owner.query(`INSERT INTO all_types (${INSERT_COLUMNS}) VALUES ${rowsWithIds(10).join(', ')}`);
    await owner.query(`INSERT INTO specials VALUES ${specialsRows(10, withSpecials)}`);
    const recs = await run.waitFor(types, (rs) => ops(rs, 'c').length >= 3);
    const specialRecs = await run.waitFor(specials, (rs) => ops(rs, 'c').length >= 3);
    for (const r of [...ops(recs, 'r'), ...ops(recs, 'c')]) {
      const after = r.value!.after!;
      const id = Number(after.id) % 10;
      const want: Record<string, unknown> = { ...EXPECTED[id]! };
      for (const o of c.overrides) Object.assign(want, o[id]);
      assert.deepEqual(Object.keys(after).sort(), ['id', ...Object.keys(want)].sort());
      for (const [col, v] of Object.entries(want)) assert.deepStrictEqual(norm(after[col]), norm(v), `${r.value!.op} row ${String(after.id)} ${col}`);
    }
    for (const r of [...ops(specialRecs, 'r'), ...ops(specialRecs, 'c')]) {
      const after = r.value!.after!;
      assert.deepStrictEqual(norm({ n: after.n, np: after.np, b: after.b }), norm(c.specials[Number(after.id) % 10]), `specials ${r.value!.op} row ${String(after.id)}`);
    }
    const fields = await valueFieldTypes(recs[0]!.valueSchemaId!);
    for (const [col, want] of Object.entries(c.fields(name))) {
      const t = fields[col] as unknown[];
      assert.deepEqual(t.find((x) => x !== 'null'), want, `registered schema of ${col}`);
    }
  } finally {
    await run.stop();
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
  }
}

test('decimal string, time connect, binary base64, interval string, hstore map, source types propagated', { timeout: 90_000, skip: noInfinity }, async () => {
  await runCase({
    settings: { decimalHandlingMode: 'string', timePrecisionMode: 'connect', binaryHandlingMode: 'base64', intervalHandlingMode: 'string', hstoreHandlingMode: 'map', columnPropagateSourceType: ['.*\\.all_types\\.c_(num|varchar|ts3)'] },
    overrides: [DECIMAL_STRING, TIME_CONNECT, INTERVAL_STRING, HSTORE_MAP, bytea('AP8KXAk=', '')],
    specials: { 1: { n: 'NaN', np: 'NaN', b: '+/8=' }, 2: { n: 'Infinity', np: '1.50', b: '++8B' }, 3: { n: '-Infinity', np: null, b: null } },
    fields: () => ({
      c_num: { type: 'string', 'connect.parameters': { '__debezium.source.column.name': 'c_num', '__debezium.source.column.type': 'NUMERIC', '__debezium.source.column.length': '38', '__debezium.source.column.scale': '9' } },
      c_varchar: { type: 'string', 'connect.parameters': { '__debezium.source.column.name': 'c_varchar', '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '10' } },
      c_ts3: { type: 'long', 'connect.version': 1, 'connect.parameters': { '__debezium.source.column.name': 'c_ts3', '__debezium.source.column.type': 'TIMESTAMP', '__debezium.source.column.scale': '3' }, 'connect.name': 'org.apache.kafka.connect.data.Timestamp', logicalType: 'timestamp-millis' },
      c_money: 'string',
      c_date: { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Date', logicalType: 'date' },
      c_time: { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Time', logicalType: 'time-millis' },
      c_ts: { type: 'long', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Timestamp', logicalType: 'timestamp-millis' },
      c_bytea: 'string',
      c_interval: { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.Interval' },
      c_hstore: { type: 'map', values: ['null', 'string'] },
      c_tstz: { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' },
    }),
  }, 'a');
});

test('decimal double (NaN, ±Infinity carried), time adaptive_time_microseconds, binary hex', { timeout: 90_000, skip: noInfinity }, async () => {
  await runCase({
    settings: { decimalHandlingMode: 'double', timePrecisionMode: 'adaptive_time_microseconds', binaryHandlingMode: 'hex' },
    overrides: [DECIMAL_DOUBLE, TIME_MICROS, bytea('00ff0a5c09', '')],
    specials: { 1: { n: NaN, np: NaN, b: 'fbff' }, 2: { n: Infinity, np: 1.5, b: 'fbef01' }, 3: { n: -Infinity, np: null, b: null } },
    fields: () => ({
      c_num: 'double', c_numv: 'double', c_money: 'double',
      c_time3: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' },
      c_ts3: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.Timestamp' },
      c_bytea: 'string',
    }),
  }, 'b');
});

test('binary base64-url-safe (URL alphabet, padded); everything else at the defaults', { timeout: 90_000 }, async () => {
  await runCase({
    settings: { binaryHandlingMode: 'base64-url-safe' },
    overrides: [bytea('AP8KXAk=', '')],
    specials: { 1: { n: null, np: null, b: '-_8=' }, 2: { n: null, np: Buffer.from([0x00, 0x96]), b: '--8B' }, 3: { n: null, np: null, b: null } },
    fields: () => ({ c_bytea: 'string', c_time3: { type: 'int', 'connect.version': 1, 'connect.name': 'io.debezium.time.Time' } }),
  }, 'c');
});
