// Debezium's value-handling settings on the MySQL/MariaDB source, through a running task to Kafka, read back with the
// independent reader (writer schemas from the registry by id, avsc): every type of the all-types fixture under each
// non-default mode, snapshot and binlog, compared with the values the source rows hold, written out here per mode;
// BIGINT UNSIGNED's maximum under precise and long; TIME and DATETIME with fractional seconds under each time mode
// (adaptive_time_microseconds and connect; adaptive is refused for MySQL, as by Debezium: app/test/unit/config);
// BINARY/VARBINARY/BLOB under each binary mode; the registered field schemas of each mode; and a TIME beyond what a
// mode can carry stops the task naming the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../helpers/services.ts';
import type { DecodedRecord } from '../helpers/topic-reader.ts';
import { norm, startModesRun, valueFieldTypes } from '../helpers/value-modes-run.ts';
import { ALL_TYPES_DDL, allTypesExpected, allTypesValues, COLUMNS } from '../../connectors/mysql-binlog/test/integration/fixtures.ts';

const NINES = '99999999999999999999999999999999999.999999999999999999999999999999';
type Overrides = Record<number, Record<string, unknown>>;

const DECIMAL_STRING: Overrides = { 1: { c_decimal: NINES, c_dec2: '99999999.99' }, 2: { c_decimal: `-${NINES}`, c_dec2: '-0.01' } };
const DECIMAL_DOUBLE: Overrides = { 1: { c_decimal: 1e35, c_dec2: 99999999.99 }, 2: { c_decimal: -1e35, c_dec2: -0.01 } };
const BIGINT_LONG: Overrides = { 1: { c_bigint_u: -1 }, 2: { c_bigint_u: 0 } };
/** TIME values within a day (set before the connect run: Kafka Connect Time is a time of day). */
const TIMES_IN_RANGE = "UPDATE all_types SET c_time = '23:59:59', c_time6 = '12:34:56.789012' WHERE id = 1; UPDATE all_types SET c_time6 = '00:00:00.000001' WHERE id = 2";
/** connect: Date (days, unchanged), Timestamp (ms; DATETIME(6) cut to ms, floor), Time (ms of the day). */
const TIME_CONNECT: Overrides = {
  1: { c_datetime6: 1709251199123, c_time: 86399000, c_time6: 45296789 },
  2: { c_datetime6: -30610224000000, c_time: 0, c_time6: 0 },
};
const binary = (b: [string, string, string], b2: [string, string, string]): Overrides => ({
  1: { c_binary: b[0], c_varbinary: b[1], c_blob: b[2] }, 2: { c_binary: b2[0], c_varbinary: b2[1], c_blob: b2[2] },
});

interface Case {
  readonly settings: Record<string, unknown>;
  readonly before?: string;
  readonly overrides: readonly Overrides[];
  readonly fields: Record<string, unknown>;
}

async function withDatabase<T>(tag: string, fn: (db: string, conn: mysql.Connection) => Promise<T>): Promise<T> {
  const db = uniqueName(`valmodes_my_${tag}`);
  const conn = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await conn.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4; USE ${db}; SET SESSION sql_mode = ''; SET time_zone = '+00:00'`);
  try {
    return await fn(db, conn);
  } finally {
    await conn.query(`DROP DATABASE IF EXISTS ${db}`);
    await conn.end();
  }
}

const task = (db: string, settings: Record<string, unknown>) => ({
  name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
  settings,
});

async function runCase(c: Case, tag: string): Promise<void> {
  await withDatabase(tag, async (db, conn) => {
    await conn.query(ALL_TYPES_DDL);
    await conn.query(`INSERT INTO all_types VALUES ${allTypesValues(0)}`);
    if (c.before) await conn.query(c.before);
    const run = startModesRun(task(db, c.settings));
    try {
      const topic = `${db}.${db}.all_types`;
      const ops = (rs: readonly DecodedRecord[], op: string) => rs.filter((r) => r.value?.op === op);
      await run.waitFor(topic, (rs) => ops(rs, 'r').length >= 3);
      // the same rows again through the binlog
      await conn.query(`INSERT INTO all_types SELECT id + 10, ${COLUMNS.slice(1).join(', ')} FROM all_types WHERE id < 10`);
      const recs = await run.waitFor(topic, (rs) => ops(rs, 'c').length >= 3);
      const base = allTypesExpected(0);
      for (const r of [...ops(recs, 'r'), ...ops(recs, 'c')]) {
        const after = r.value!.after!;
        const id = Number(after.id) % 10;
        const want: Record<string, unknown> = { ...base[id - 1], id: Number(after.id) };
        if (c.before && id === 1) Object.assign(want, { c_time: 86399000000, c_time6: 45296789012 });
        if (c.before && id === 2) Object.assign(want, { c_time6: 1 });
        for (const o of c.overrides) Object.assign(want, o[id]);
        if (want.c_geom) want.c_geom = { ...want.c_geom, extensions: null }; // the Avro record's optional map, absent in MySQL
        assert.deepEqual(Object.keys(after).sort(), Object.keys(want).sort());
        for (const [col, v] of Object.entries(want)) assert.deepStrictEqual(norm(after[col]), norm(v), `${r.value!.op} row ${String(after.id)} ${col}`);
      }
      const fields = await valueFieldTypes(recs[0]!.valueSchemaId!);
      for (const [col, want] of Object.entries(c.fields)) {
        assert.deepEqual((fields[col] as unknown[]).find((x) => x !== 'null'), want, `registered schema of ${col}`);
      }
    } finally {
      await run.stop();
    }
  });
}

const DATE_CONNECT = { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Date', logicalType: 'date' };
const TS_CONNECT = { type: 'long', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Timestamp', logicalType: 'timestamp-millis' };

test('decimal string, time connect, binary base64, BIGINT UNSIGNED precise (its maximum exact), source types propagated', { timeout: 90_000 }, async () => {
  await runCase({
    settings: { decimalHandlingMode: 'string', timePrecisionMode: 'connect', binaryHandlingMode: 'base64', bigintUnsignedHandlingMode: 'precise', columnPropagateSourceType: ['.*\\.all_types\\.c_(dec2|bigint_u|varchar)'] },
    before: TIMES_IN_RANGE,
    overrides: [DECIMAL_STRING, TIME_CONNECT, binary(['AQIAAA==', 'AP8A', '3q2+7w=='], ['AAAAAA==', '', ''])],
    fields: {
      c_decimal: 'string',
      c_dec2: { type: 'string', 'connect.parameters': { '__debezium.source.column.name': 'c_dec2', '__debezium.source.column.type': 'DECIMAL', '__debezium.source.column.length': '10', '__debezium.source.column.scale': '2' } },
      c_bigint_u: { type: 'bytes', scale: 0, precision: 20, 'connect.version': 1, 'connect.parameters': { scale: '0', 'connect.decimal.precision': '20', '__debezium.source.column.name': 'c_bigint_u', '__debezium.source.column.type': 'BIGINT UNSIGNED', '__debezium.source.column.length': '20' }, 'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' },
      c_varchar: { type: 'string', 'connect.parameters': { '__debezium.source.column.name': 'c_varchar', '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '100' } },
      c_date: DATE_CONNECT, c_datetime: TS_CONNECT, c_datetime3: TS_CONNECT, c_datetime6: TS_CONNECT,
      c_time: { type: 'int', 'connect.version': 1, 'connect.name': 'org.apache.kafka.connect.data.Time', logicalType: 'time-millis' },
      c_timestamp: { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' },
      c_binary: 'string', c_varbinary: 'string', c_blob: 'string',
    },
  }, 'a');
});

test('decimal double, binary hex, BIGINT UNSIGNED long (the maximum wraps to -1, as Debezium), time adaptive_time_microseconds given explicitly', { timeout: 90_000 }, async () => {
  await runCase({
    settings: { decimalHandlingMode: 'double', timePrecisionMode: 'adaptive_time_microseconds', binaryHandlingMode: 'hex', bigintUnsignedHandlingMode: 'long' },
    overrides: [DECIMAL_DOUBLE, BIGINT_LONG, binary(['01020000', '00ff00', 'deadbeef'], ['00000000', '', ''])],
    fields: {
      c_decimal: 'double', c_dec2: 'double', c_bigint_u: 'long',
      // 838:59:59 and -838:59:59.000000 as MicroTime µs, fractions of DATETIME(3) / (6) as Timestamp ms / MicroTimestamp µs
      c_time: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' },
      c_time6: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' },
      c_datetime3: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.Timestamp' },
      c_datetime6: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' },
      c_blob: 'string',
    },
  }, 'b');
});

test('binary base64-url-safe (URL alphabet, padded); everything else at the defaults', { timeout: 90_000 }, async () => {
  await runCase({
    settings: { binaryHandlingMode: 'base64-url-safe' },
    overrides: [binary(['AQIAAA==', 'AP8A', '3q2-7w=='], ['AAAAAA==', '', ''])],
    fields: { c_blob: 'string', c_varbinary: 'string', c_binary: 'string', c_time: { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTime' } },
  }, 'c');
});

test('time connect with a TIME beyond a day stops the task, naming the column, the value and the fix', { timeout: 60_000 }, async () => {
  await withDatabase('d', async (db, conn) => {
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY, tm TIME)');
    await conn.query("INSERT INTO t VALUES (1, '25:00:00')");
    const run = startModesRun(task(db, { timePrecisionMode: 'connect' }));
    try {
      await assert.rejects(run.waitFor(`${db}.${db}.t`, () => false), (e: unknown) => {
        assert.equal((e as { code?: string }).code, 'FERRY_UNSUPPORTED', String(e));
        assert.match((e as Error).message, new RegExp(`${db}\\.t\\.tm \\(time\\): the TIME value of 90000 s cannot be carried under settings\\.timePrecisionMode: .*Fix: set settings\\.timePrecisionMode: adaptive_time_microseconds`));
        return true;
      });
    } finally {
      await run.stop();
    }
  });
});
