// PostgreSQL's special values into a PostgreSQL target: ±infinity (Debezium's sentinels) written back as
// 'infinity' / '-infinity', numeric NaN/±Infinity as text (decimalHandlingMode string or double), the ISO 8601
// interval (intervalHandlingMode string) and the exact bit string (bitVaryingHandlingMode string), with the types the
// sink creates for them. test/e2e/migration-postgres-to-postgres.test.ts reads them back from a real target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { RejectedValue } from '../../../../runtime/src/relational/wire-values.ts';
import { pgEncoder, pgType } from '../../src/pg-types.ts';
import { takesEventType } from '../../src/table-definition.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const col = (type: SinkFieldType) => ({ name: 'c', type, optional: true });

test('types: Interval → interval, BitString → bit varying(n)', () => {
  assert.equal(pgType(t('string', 'io.debezium.time.Interval'), { interval: false }), 'interval');
  assert.equal(pgType(t('string', 'io.ferry.data.BitString', { length: '16' }), { interval: false }), 'bit varying(16)');
  assert.equal(pgType(t('string', 'io.ferry.data.BitString'), { interval: false }), 'bit varying');
});

test('±infinity dates and timestamps are written as infinity / -infinity', () => {
  const date = pgEncoder(col(t('int32', 'io.debezium.time.Date')), 'date');
  assert.equal(date(-2147472692), 'infinity');
  assert.equal(date(-2147472691), '-infinity');
  assert.equal(date(19782), '2024-02-29');
  const ts = pgEncoder(col(t('int64', 'io.debezium.time.MicroTimestamp')), 'timestamp(6) without time zone');
  assert.equal(ts(9223372036825200000n), 'infinity');
  assert.equal(ts(-9223372036832400000n), '-infinity');
  const ms = pgEncoder(col(t('int64', 'io.debezium.time.Timestamp')), 'timestamp(3) without time zone');
  assert.equal(ms(9223372036825200n), 'infinity');
  assert.equal(pgEncoder(col(t('string', 'io.debezium.time.ZonedTimestamp')), 'timestamp(6) with time zone')('-infinity'), '-infinity');
});

test('numeric NaN and ±Infinity as text; ±Infinity refused by a numeric(p,s) column, naming the fix', () => {
  const text = pgEncoder(col(t('string')), 'numeric');
  for (const v of ['NaN', 'Infinity', '-Infinity', '-1.50']) assert.equal(text(v), v);
  assert.equal(pgEncoder(col(t('float64')), 'numeric')(-Infinity), '-Infinity');
  const p = pgEncoder(col(t('string')), 'numeric(10,2)');
  assert.equal(p('NaN'), 'NaN');
  assert.throws(() => text('1,5'), (e: unknown) => e instanceof RejectedValue && /column c: '1,5' is not a number; the target column is numeric/.test(e.message));
  assert.throws(() => p('Infinity'), (e: unknown) => e instanceof RejectedValue && /column c: Infinity does not fit numeric\(10,2\).*ALTER the target column to numeric/.test(e.message));
});

test('an ISO 8601 interval and a bit string pass as sent', () => {
  assert.equal(pgEncoder(col(t('string', 'io.debezium.time.Interval')), 'interval')('P1Y-2M3DT4H5M-6.78S'), 'P1Y-2M3DT4H5M-6.78S');
  assert.equal(pgEncoder(col(t('string', 'io.ferry.data.BitString', { length: '16' })), 'bit varying(16)')('01'), '01');
  assert.equal(pgEncoder(col(t('string', 'io.ferry.data.BitString', { length: '16' })), 'bit varying(16)')(''), '');
});

test('a numeric column from the source catalog keeps its type for numeric text (decimalHandlingMode string)', () => {
  assert.equal(takesEventType('numeric(65,30)', col(t('string')), 'text'), true);
  assert.equal(takesEventType('numeric', col(t('string')), 'text'), true);
  assert.equal(takesEventType('numeric(10,2)', col(t('string', 'io.debezium.data.Json')), 'jsonb'), false);
  assert.equal(takesEventType('bit varying(16)', col(t('string', 'io.ferry.data.BitString', { length: '16' })), 'bit varying(16)'), true);
  assert.equal(takesEventType('interval', col(t('string', 'io.debezium.time.Interval')), 'interval'), true);
});
