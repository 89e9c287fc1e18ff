import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatColumnType, mapColumn, parseColumnType, snapshotSelectExpr } from '../../src/type-mapping.ts';
import { lowerOutsideQuotes } from '../../src/mysql-schema.ts';

const map = (columnType: string, json = false) => mapColumn({ columnType, json });

test('parseColumnType: arguments, unsigned/zerofill, quoted ENUM values with commas and quotes, MariaDB comments', () => {
  assert.deepEqual(parseColumnType('decimal(10,2) unsigned zerofill'), { base: 'decimal', args: ['10', '2'], unsigned: true, zerofill: true });
  assert.deepEqual(parseColumnType("enum('a,b','c''d','e\\\\f',' g ')"), { base: 'enum', args: ['a,b', "c'd", 'e\\f', ' g '], unsigned: false, zerofill: false });
  assert.deepEqual(parseColumnType('datetime(3) /* mariadb-5.3 */'), { base: 'datetime', args: ['3'], unsigned: false, zerofill: false });
  assert.deepEqual(parseColumnType('LONGTEXT'), { base: 'longtext', args: [], unsigned: false, zerofill: false });
  assert.equal(formatColumnType(parseColumnType("set('x','y''z')")), "set('x','y''z')");
  assert.equal(formatColumnType(parseColumnType('int(10) unsigned')), 'int(10) unsigned');
});

test('integers (Debezium: TINYINT → int16 even as TINYINT(1); unsigned widen; BIGINT UNSIGNED precise → Decimal(20,0))', () => {
  assert.deepEqual(map('tinyint(1)').fieldType, { type: 'int16' });
  assert.deepEqual(map('tinyint(4)').fieldType, { type: 'int16' });
  assert.deepEqual(map('tinyint(3) unsigned').fieldType, { type: 'int16' });
  assert.deepEqual(map('smallint(6)').fieldType, { type: 'int16' });
  assert.deepEqual(map('smallint(5) unsigned').fieldType, { type: 'int32' });
  assert.deepEqual(map('mediumint(9)').fieldType, { type: 'int32' });
  assert.deepEqual(map('mediumint(8) unsigned').fieldType, { type: 'int32' });
  assert.deepEqual(map('int(11)').fieldType, { type: 'int32' });
  assert.deepEqual(map('int(10) unsigned').fieldType, { type: 'int64' });
  assert.deepEqual(map('bigint(20)').fieldType, { type: 'int64' });
  assert.equal(map('bigint(20)').kind, 'int64');
  assert.deepEqual(map('bigint(20) unsigned').fieldType, { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '0', 'connect.decimal.precision': '20' } });
});

test('decimals and floating point (FLOAT → float32; FLOAT(M,D) → float64 as Debezium reads it)', () => {
  assert.deepEqual(map('decimal(65,30)').fieldType, { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '30', 'connect.decimal.precision': '65' } });
  assert.equal(map('decimal(65,30)').scale, 30);
  assert.deepEqual(map('decimal(10,0) unsigned').fieldType.params, { scale: '0', 'connect.decimal.precision': '10' });
  assert.deepEqual(map('float').fieldType, { type: 'float32' });
  assert.deepEqual(map('float unsigned').fieldType, { type: 'float32' });
  assert.deepEqual(map('float(7,2)').fieldType, { type: 'float64' });
  assert.deepEqual(map('double').fieldType, { type: 'float64' });
  assert.deepEqual(map('double(10,3)').fieldType, { type: 'float64' });
});

test('bits, strings, binary, JSON, UUID', () => {
  assert.deepEqual(map('bit(1)').fieldType, { type: 'boolean' });
  assert.deepEqual(map('bit(10)').fieldType, { type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: '10' } });
  assert.equal(map('bit(10)').size, 2);
  assert.equal(map('bit(64)').size, 8);
  for (const t of ['char(3)', 'varchar(255)', 'tinytext', 'text', 'mediumtext', 'longtext', 'inet6', 'inet4']) assert.deepEqual(map(t).fieldType, { type: 'string' }, t);
  for (const t of ['binary(16)', 'varbinary(10)', 'tinyblob', 'blob', 'mediumblob', 'longblob']) assert.deepEqual(map(t).fieldType, { type: 'bytes' }, t);
  assert.deepEqual(map('json').fieldType, { type: 'string', logical: 'io.debezium.data.Json', version: 1 });
  assert.deepEqual(map('longtext', true).fieldType, { type: 'string', logical: 'io.debezium.data.Json', version: 1 });
  assert.deepEqual(map('uuid').fieldType, { type: 'string', logical: 'io.debezium.data.Uuid', version: 1 });
});

test('temporal types (adaptive_time_microseconds)', () => {
  assert.deepEqual(map('date').fieldType, { type: 'int32', logical: 'io.debezium.time.Date', version: 1 });
  for (const t of ['datetime', 'datetime(1)', 'datetime(3)']) assert.deepEqual(map(t).fieldType, { type: 'int64', logical: 'io.debezium.time.Timestamp', version: 1 }, t);
  for (const t of ['datetime(4)', 'datetime(6)']) assert.deepEqual(map(t).fieldType, { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 }, t);
  assert.deepEqual(map('timestamp(6)').fieldType, { type: 'string', logical: 'io.debezium.time.ZonedTimestamp', version: 1 });
  assert.equal(map('timestamp(6)').size, 6);
  assert.equal(map('timestamp').size, 0);
  for (const t of ['time', 'time(3)', 'time(6)']) assert.deepEqual(map(t).fieldType, { type: 'int64', logical: 'io.debezium.time.MicroTime', version: 1 }, t);
  assert.deepEqual(map('year(4)').fieldType, { type: 'int32', logical: 'io.debezium.time.Year', version: 1 });
});

test('ENUM / SET carry their values; spatial types are Debezium Geometry / Point', () => {
  assert.deepEqual(map("enum('a,b','c''d')").fieldType, { type: 'string', logical: 'io.debezium.data.Enum', version: 1, params: { allowed: "a,b,c'd" } });
  assert.deepEqual(map("set('x','y')").fieldType, { type: 'string', logical: 'io.debezium.data.EnumSet', version: 1, params: { allowed: 'x,y' } });
  assert.equal(map('point').fieldType.logical, 'io.debezium.data.geometry.Point');
  for (const t of ['geometry', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']) {
    assert.equal(map(t).fieldType.logical, 'io.debezium.data.geometry.Geometry', t);
  }
  assert.throws(() => map('frobnicate(3)'), /unsupported column type "frobnicate\(3\)"/);
});

test('snapshot select expressions: spatial as raw bytes, FLOAT with every stored digit', () => {
  const col = (columnType: string) => ({ name: 'c', columnType, nullable: true, charset: null });
  assert.equal(snapshotSelectExpr(col('point'), '`c`'), 'CAST(`c` AS BINARY)');
  const exact = "IF(`c` = 0 AND ATAN2(`c`, -1) < 0, '-0', CAST(`c` * 1E0 AS CHAR))";
  for (const t of ['float', 'float(10,4)', 'double', 'double(24,6)', 'real']) assert.equal(snapshotSelectExpr(col(t), '`c`'), exact, t);
  assert.equal(snapshotSelectExpr(col('int(11)'), '`c`'), '`c`');
});

test('information_schema COLUMN_TYPE is lower-cased outside quotes: ENUM and SET members keep their case', () => {
  assert.equal(lowerOutsideQuotes("ENUM('A','b,C','d''E','ẞ','x\\'Y') NOT NULL"), "enum('A','b,C','d''E','ẞ','x\\'Y') not null");
  assert.equal(lowerOutsideQuotes('INT(10) UNSIGNED ZEROFILL'), 'int(10) unsigned zerofill');
  assert.deepEqual(map(lowerOutsideQuotes("SET('X','y')")).fieldType.params, { allowed: 'X,y' });
  assert.deepEqual(parseColumnType(lowerOutsideQuotes("ENUM('A','ẞ')")).args, ['A', 'ẞ']);
});
