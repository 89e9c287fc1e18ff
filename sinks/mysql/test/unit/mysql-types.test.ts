// The MySQL sink's type map, type-change rules and value checks (docs/sinks/mysql.md#type-map), without services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType, SinkTable } from '../../../../core/src/record-sink.ts';
import { decimalToBytes, unscaledToBytes } from '../../../../schemas/src/decimal.ts';
import { RejectedValue } from '../../../../runtime/src/relational/wire-values.ts';
import { mysqlColumns, mysqlType, normalizeType, serverInfo, textCollation, typeChange, upsertAlias } from '../../src/mysql-types.ts';
import { mysqlEncoder, quote, zonedToUtc, type TargetColumn } from '../../src/mysql-values.ts';
import { upsertTail } from '../../src/mysql-sql.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const D = 'org.apache.kafka.connect.data.Decimal';
const MARIA = serverInfo('10.11.19-MariaDB-0+deb12u1-log');
const OLD_MARIA = serverInfo('10.6.18-MariaDB');
const MYSQL = serverInfo('8.0.36');

test('the type map (docs/sinks/mysql.md#type-map)', () => {
  const cases: [SinkFieldType, string, string?][] = [
    [t('bytes', D, { scale: '2', 'connect.decimal.precision': '12' }), 'decimal(12,2)'],
    [t('bytes', D, { scale: '30', 'connect.decimal.precision': '65' }), 'decimal(65,30)'],
    [t('bytes', D, { scale: '0', 'connect.decimal.precision': '20' }), 'decimal(20,0)'],
    [t('bytes', D, { scale: '10', 'connect.decimal.precision': '100' }), 'decimal(65,30)'],
    [t('bytes', D, { scale: '40', 'connect.decimal.precision': '50' }), 'decimal(65,30)'],
    [t('bytes', D, { scale: '2' }), 'decimal(65,30)'],
    [t('bytes', D, { scale: '0', 'connect.decimal.precision': '20', '__debezium.source.column.type': 'BIGINT UNSIGNED' }), 'bigint unsigned'],
    [t('struct', 'io.debezium.data.VariableScaleDecimal'), 'decimal(65,30)'],
    [t('int8'), 'tinyint'], [t('int16'), 'smallint'], [t('int32'), 'int'], [t('int64'), 'bigint'],
    [t('int32', undefined, { '__debezium.source.column.type': 'SMALLINT UNSIGNED' }), 'smallint unsigned'],
    [t('int64', undefined, { '__debezium.source.column.type': 'INT UNSIGNED' }), 'int unsigned'],
    [t('float32'), 'float'], [t('float64'), 'double'], [t('boolean'), 'tinyint(1)'],
    [t('int32', 'io.debezium.time.Date'), 'date'],
    [t('int64', 'io.debezium.time.MicroTimestamp'), 'datetime(6)'],
    [t('int64', 'io.debezium.time.Timestamp'), 'datetime(3)'],
    [t('int64', 'io.debezium.time.NanoTimestamp'), 'datetime(6)'],
    [t('string', 'io.debezium.time.ZonedTimestamp'), 'datetime(6)'],
    [t('string', 'io.debezium.time.ZonedTime'), 'varchar(32)'],
    [t('int64', 'io.debezium.time.MicroTime'), 'time(6)'],
    [t('int32', 'io.debezium.time.Time'), 'time(3)'],
    [t('int64', 'io.debezium.time.MicroDuration'), 'varchar(64)'],
    [t('int32', 'io.debezium.time.Year'), 'year'],
    [t('string', 'io.debezium.data.Json'), 'json'],
    [t('string', 'io.debezium.data.Uuid'), 'uuid'],
    [t('string', 'io.debezium.data.Uuid'), 'char(36)', 'old'],
    [t('string', 'io.debezium.data.Uuid'), 'char(36)', 'mysql'],
    [t('string', 'io.debezium.data.Enum', { allowed: "a,b,it's" }), "enum('a','b','it''s')"],
    [t('string', 'io.debezium.data.EnumSet', { allowed: 'a,b' }), "set('a','b')"],
    [t('bytes', 'io.debezium.data.Bits', { length: '10' }), 'bit(10)'],
    [t('bytes', 'io.debezium.data.Bits', { length: '100' }), 'varchar(100)'],
    [t('struct', 'io.debezium.data.geometry.Geometry'), 'geometry'],
    [t('struct', 'io.debezium.data.geometry.Point'), 'point'],
    [t('bytes'), 'longblob'], [t('string'), 'longtext'], [t('array'), 'json'], [t('map'), 'json'],
    [t('string', undefined, { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '255' }), 'varchar(255)'],
    [t('string', undefined, { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '20000' }), 'longtext'],
    [t('bytes', undefined, { '__debezium.source.column.type': 'VARBINARY', '__debezium.source.column.length': '16' }), 'varbinary(16)'],
  ];
  for (const [type, want, server] of cases) {
    assert.equal(mysqlType(type, { server: server === 'old' ? OLD_MARIA : server === 'mysql' ? MYSQL : MARIA }), want, JSON.stringify(type));
  }
});

test('text and binary primary-key columns share InnoDB’s 3072-byte key budget', () => {
  const table = (cols: [string, SinkFieldType][], pk: string[]): SinkTable => ({ columns: cols.map(([name, type]) => ({ name, type, optional: false })), primaryKey: pk } as unknown as SinkTable);
  assert.deepEqual(mysqlColumns(table([['k', t('string')], ['v', t('string')]], ['k']), MARIA).map((c) => c.type), ['varchar(768)', 'longtext']);
  assert.deepEqual(mysqlColumns(table([['a', t('string')], ['b', t('bytes')], ['n', t('int64')]], ['a', 'b', 'n']), MARIA).map((c) => c.type), ['varchar(382)', 'varbinary(1528)', 'bigint']);
});

test('server flavours: collation, upsert syntax', () => {
  assert.equal(textCollation(MARIA), 'utf8mb4_nopad_bin');
  assert.equal(textCollation(MYSQL), 'utf8mb4_0900_bin');
  assert.equal(upsertAlias(MARIA), false);
  assert.equal(upsertAlias(MYSQL), true);
  assert.equal(upsertTail(['id', 'v'], ['id'], false), ' ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)');
  assert.equal(upsertTail(['id', 'v'], ['id'], true), ' AS _ferry_new ON DUPLICATE KEY UPDATE `v` = _ferry_new.`v`');
  assert.equal(upsertTail(['id'], ['id'], false), ' ON DUPLICATE KEY UPDATE `id` = `id`');
});

test('type changes: widenings are applied, narrowings ignored, the rest refused', () => {
  const n = (x: string) => normalizeType(x, MARIA);
  assert.equal(typeChange(n('int(11)'), 'bigint'), 'widen');
  assert.equal(typeChange(n('bigint(20)'), 'int'), 'same');
  assert.equal(typeChange('decimal(10,2)', 'decimal(14,4)'), 'widen');
  assert.equal(typeChange('decimal(10,2)', 'decimal(10,4)'), 'incompatible');
  assert.equal(typeChange('varchar(20)', 'longtext'), 'widen');
  assert.equal(typeChange('datetime(3)', 'datetime(6)'), 'widen');
  assert.equal(typeChange("enum('a','b')", "enum('a','b','c')"), 'widen');
  assert.equal(typeChange("enum('a','b')", "enum('a')"), 'same');
  assert.equal(typeChange('float', 'double'), 'widen');
  assert.equal(typeChange(n('json'), n('longtext')), 'same');
  assert.equal(typeChange('bigint', 'longtext'), 'incompatible');
  assert.equal(typeChange('int unsigned', 'bigint'), 'widen');
  assert.equal(typeChange('int', 'int unsigned'), 'incompatible');
  assert.equal(n('TINYINT(1)'), 'tinyint(1)');
  assert.equal(n('year(4)'), 'year');
});

const col = (type: string, charset: string | null = null): TargetColumn => ({ name: 'c', type, nullable: true, charset });
const enc = (ft: SinkFieldType, type: string, charset: string | null = null) => mysqlEncoder(ft, col(type, charset), MARIA);
const rejects = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof RejectedValue && re.test(e.message));

test('values: exact literals, and values a column cannot hold rejected with the reason', () => {
  const dec = t('bytes', D, { scale: '3', 'connect.decimal.precision': '10' });
  assert.equal(enc(dec, 'decimal(10,3)')(decimalToBytes('-12.340', 3)), '-12.34');
  assert.equal(enc(dec, 'decimal(10,3)')(decimalToBytes('0.000', 3)), '0');
  rejects(() => enc(dec, 'decimal(6,2)')(decimalToBytes('1.255', 3)), /has 3 fraction digits; the target column is decimal\(6,2\) and would round it/);
  const vsd = t('struct', 'io.debezium.data.VariableScaleDecimal');
  assert.equal(enc(vsd, 'decimal(65,30)')({ scale: 30, value: unscaledToBytes(10n ** 64n + 1n) }), `1${'0'.repeat(34)}.${'0'.repeat(29)}1`);
  assert.equal(enc(vsd, 'decimal(65,30)')({ scale: 2, value: unscaledToBytes(123456n) }), '1234.56');
  rejects(() => enc(vsd, 'decimal(65,30)')({ scale: 31, value: unscaledToBytes(1n) }), /31 fraction digits/);
  rejects(() => enc(vsd, 'decimal(65,30)')({ scale: 0, value: unscaledToBytes(10n ** 36n) }), /out of range for decimal\(65,30\) \(37 integer digits, at most 35\)/);
  assert.equal(enc(t('int64'), 'bigint unsigned')(BigInt('18446744073709551615')), '18446744073709551615');
  assert.equal(enc(t('bytes', D, { scale: '0' }), 'bigint unsigned')(decimalToBytes('18446744073709551615', 0)), '18446744073709551615');
  rejects(() => enc(t('int32'), 'tinyint')(128), /128 is out of range for tinyint \(-128\.\.127\)/);
  rejects(() => enc(t('int32'), 'int unsigned')(-1), /out of range for int unsigned/);
  assert.equal(enc(t('float64'), 'double')(0.1), '0.1');
  assert.equal(enc(t('float64'), 'double')(3), '3e0');
  rejects(() => enc(t('float64'), 'double')(Number.NaN), /NaN or ±Infinity/);
  assert.equal(enc(t('boolean'), 'tinyint(1)')(true), '1');
  assert.equal(enc(t('bytes', 'io.debezium.data.Bits', { length: '10' }), 'bit(10)')(Buffer.from([0x05, 0x02])), "b'1000000101'");
  assert.equal(enc(t('int64', 'io.debezium.time.MicroTimestamp'), 'datetime(6)')(1_700_000_000_123_456), "'2023-11-14 22:13:20.123456'");
  rejects(() => enc(t('int64', 'io.debezium.time.MicroTimestamp'), 'datetime(3)')(1_700_000_000_123_456), /more fractional-second digits than datetime\(3\)/);
  rejects(() => enc(t('int32', 'io.debezium.time.Date'), 'date')(-800_000), /outside the range of date/);
  assert.equal(enc(t('string', 'io.debezium.time.ZonedTimestamp'), 'datetime(6)')('2024-03-01T01:30:00.25+02:00'), "'2024-02-29 23:30:00.250000'");
  assert.equal(zonedToUtc('0099-01-01T00:00:00Z', 'x'), '0099-01-01 00:00:00.000000');
  rejects(() => zonedToUtc('2024-01-01T00:00:00.123456789Z', 'x'), /sub-microsecond/);
  assert.equal(enc(t('int64', 'io.debezium.time.MicroTime'), 'time(6)')(-3_020_399_000_000), "'-838:59:59.000000'");
  rejects(() => enc(t('int64', 'io.debezium.time.MicroTime'), 'time(6)')(3_020_400_000_000), /out of range for time/);
  rejects(() => enc(t('int32', 'io.debezium.time.Year'), 'year')(1800), /1800 is out of range for year/);
  assert.equal(enc(t('string'), 'longtext', 'utf8mb4')("it's \\ 😀\n"), "'it\\'s \\\\ 😀\\n'");
  rejects(() => enc(t('string'), 'varchar(40)', 'utf8mb3')('a 😀'), /U\+1F600\), a 4-byte character that the target column's character set utf8mb3 cannot store/);
  rejects(() => enc(t('string'), 'varchar(3)', 'utf8mb4')('abcd'), /4 characters do not fit varchar\(3\)/);
  rejects(() => enc(t('string'), 'longtext', 'utf8mb4')('\ud800'), /unpaired UTF-16 surrogate/);
  rejects(() => enc(t('string', 'io.debezium.data.Enum', { allowed: 'a,b' }), "enum('a','b')", 'utf8mb4')('c'), /'c' is not a member/);
  assert.equal(enc(t('bytes'), 'longblob')(Buffer.from([0, 255])), "X'00ff'");
  rejects(() => enc(t('bytes'), 'varbinary(1)')(Buffer.from([0, 255])), /2 bytes do not fit varbinary\(1\)/);
  assert.equal(enc(t('array'), 'json')([1, 'a', null]), quote('[1,"a",null]'));
  assert.equal(enc(t('struct', 'io.debezium.data.geometry.Point'), 'point')({ x: 1, y: 2, wkb: Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'), srid: null }), "ST_GeomFromWKB(X'0101000000000000000000f03f0000000000000040')");
});
