// PostgreSQL's special values into MySQL/MariaDB, which cannot hold ±infinity or NaN: refused as RejectedValue (the
// record is dead-lettered) with the value, the column and the fix named; the ISO 8601 interval and the bit string
// (source options intervalHandlingMode / bitVaryingHandlingMode string) written as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { RejectedValue } from '../../../../runtime/src/relational/wire-values.ts';
import { mysqlType, serverInfo } from '../../src/mysql-types.ts';
import { mysqlEncoder } from '../../src/mysql-values.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const MARIA = serverInfo('10.11.19-MariaDB-0+deb12u1-log');
const enc = (ft: SinkFieldType, type: string) => mysqlEncoder(ft, { name: 'c', type, nullable: true, charset: /char|text/.test(type) ? 'utf8mb4' : null }, MARIA);
const rejects = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof RejectedValue && re.test(e.message));

test('types: Interval → varchar(64), BitString → bit(n)', () => {
  assert.equal(mysqlType(t('string', 'io.debezium.time.Interval'), { server: MARIA }), 'varchar(64)');
  assert.equal(mysqlType(t('string', 'io.ferry.data.BitString', { length: '16' }), { server: MARIA }), 'bit(16)');
  assert.equal(mysqlType(t('string', 'io.ferry.data.BitString', { length: '100' }), { server: MARIA }), 'varchar(100)');
});

test('±infinity dates and timestamps are refused, naming the value and the fix', () => {
  rejects(() => enc(t('int32', 'io.debezium.time.Date'), 'date')(-2147472692), /column c: PostgreSQL's infinity cannot be stored in MySQL date.*replace it at the source.*9999-12-31/);
  rejects(() => enc(t('int32', 'io.debezium.time.Date'), 'date')(-2147472691), /PostgreSQL's -infinity cannot be stored.*0001-01-01/);
  rejects(() => enc(t('int64', 'io.debezium.time.MicroTimestamp'), 'datetime(6)')(9223372036825200000n), /PostgreSQL's infinity cannot be stored in MySQL datetime\(6\)/);
  rejects(() => enc(t('string', 'io.debezium.time.ZonedTimestamp'), 'datetime(6)')('-infinity'), /PostgreSQL's -infinity cannot be stored in MySQL datetime\(6\)/);
  assert.equal(enc(t('int32', 'io.debezium.time.Date'), 'date')(19782), "'2024-02-29'");
});

test('numeric NaN and ±Infinity (decimalHandlingMode string or double) are refused, naming the value and the fix', () => {
  for (const v of ['NaN', 'Infinity', '-Infinity']) {
    rejects(() => enc(t('string'), 'decimal(65,30)')(v), new RegExp(`column c: ${v} cannot be stored in MySQL decimal\\(65,30\\).*replace it at the source.*varchar`));
  }
  rejects(() => enc(t('float64'), 'decimal(10,2)')(Number.NaN), /column c: NaN cannot be stored in MySQL decimal\(10,2\)/);
  rejects(() => enc(t('float64'), 'double')(Number.NEGATIVE_INFINITY), /column c: -Infinity cannot be stored in MySQL double/);
  assert.equal(enc(t('string'), 'decimal(10,2)')('-1.50'), '-1.5');
  assert.equal(enc(t('string'), 'varchar(20)')('NaN'), "'NaN'");
});

test('an ISO 8601 interval as text; a bit string as its value in BIT(n)', () => {
  assert.equal(enc(t('string', 'io.debezium.time.Interval'), 'varchar(64)')('P1Y2M3DT4H5M6.78S'), "'P1Y2M3DT4H5M6.78S'");
  assert.equal(enc(t('int64', 'io.debezium.time.MicroDuration'), 'varchar(64)')(-90061000001), "'-25:01:01.000001'");
  const bits = enc(t('string', 'io.ferry.data.BitString', { length: '16' }), 'bit(16)');
  assert.equal(bits('01'), "b'1'");
  assert.equal(bits(''), "b'0'");
  assert.equal(bits('1000000000000001'), "b'1000000000000001'");
  rejects(() => enc(t('string', 'io.ferry.data.BitString', { length: '16' }), 'bit(8)')('100000000'), /do not fit bit\(8\)/);
});
