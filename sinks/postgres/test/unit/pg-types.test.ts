import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkFieldType } from '../../../../core/src/record-sink.ts';
import { copyField, pgEncoder, pgType, typeChange } from '../../src/pg-types.ts';
import { createTable, inline, insertValues, paramType, updateOneRow } from '../../src/pg-sql.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const D = 'org.apache.kafka.connect.data.Decimal';

test('the type map (docs/sinks/postgres.md#type-map)', () => {
  const cases: [SinkFieldType, string, string?][] = [
    [t('bytes', D, { scale: '30', 'connect.decimal.precision': '65' }), 'numeric(65,30)'],
    [t('bytes', D, { scale: '0', 'connect.decimal.precision': '20' }), 'numeric(20,0)'],
    [t('bytes', D, { scale: '2' }), 'numeric'],
    [t('struct', 'io.debezium.data.VariableScaleDecimal'), 'numeric'],
    [t('int8'), 'smallint'], [t('int16'), 'smallint'], [t('int32'), 'integer'], [t('int64'), 'bigint'],
    [t('float32'), 'real'], [t('float64'), 'double precision'], [t('boolean'), 'boolean'],
    [t('int32', 'io.debezium.time.Date'), 'date'],
    [t('int64', 'io.debezium.time.MicroTimestamp'), 'timestamp(6) without time zone'],
    [t('int64', 'io.debezium.time.Timestamp'), 'timestamp(3) without time zone'],
    [t('int64', 'io.debezium.time.NanoTimestamp'), 'timestamp(6) without time zone'],
    [t('string', 'io.debezium.time.ZonedTimestamp'), 'timestamp with time zone'],
    [t('int64', 'io.debezium.time.MicroTime'), 'time(6) without time zone'],
    [t('int64', 'io.debezium.time.MicroTime'), 'interval', 'interval'],
    [t('int64', 'io.debezium.time.MicroDuration'), 'interval'],
    [t('int32', 'io.debezium.time.Year'), 'integer'],
    [t('string', 'io.debezium.data.Json'), 'jsonb'],
    [t('string', 'io.debezium.data.Uuid'), 'uuid'],
    [t('string', 'io.debezium.data.Enum', { allowed: 'a,b' }), 'text'],
    [t('string', 'io.debezium.data.EnumSet', { allowed: 'a,b' }), 'text'],
    [t('bytes', 'io.debezium.data.Bits', { length: '10' }), 'bit varying(10)'],
    [t('struct', 'io.debezium.data.geometry.Geometry'), 'bytea'],
    [t('struct', 'io.debezium.data.geometry.Point'), 'bytea'],
    [t('bytes'), 'bytea'], [t('string'), 'text'], [t('array'), 'jsonb'],
  ];
  for (const [type, want, mode] of cases) assert.equal(pgType(type, { interval: mode === 'interval' }), want, JSON.stringify(type));
});

test('type changes: widenings are applied, narrowings ignored, the rest refused', () => {
  assert.equal(typeChange('integer', 'bigint'), 'widen');
  assert.equal(typeChange('smallint', 'integer'), 'widen');
  assert.equal(typeChange('bigint', 'integer'), 'same');
  assert.equal(typeChange('numeric(10,2)', 'numeric(12,2)'), 'widen');
  assert.equal(typeChange('numeric(10,2)', 'numeric(12,4)'), 'widen');
  assert.equal(typeChange('numeric(10,2)', 'numeric(10,4)'), 'incompatible');
  assert.equal(typeChange('numeric(12,2)', 'numeric(10,2)'), 'same');
  assert.equal(typeChange('numeric(20,0)', 'bigint'), 'same');
  assert.equal(typeChange('bigint', 'numeric(20,0)'), 'widen');
  assert.equal(typeChange('real', 'double precision'), 'widen');
  assert.equal(typeChange('character varying(10)', 'character varying(20)'), 'widen');
  assert.equal(typeChange('character varying(10)', 'text'), 'widen');
  assert.equal(typeChange('timestamp(3) without time zone', 'timestamp(6) without time zone'), 'widen');
  assert.equal(typeChange('bit varying(10)', 'bit varying(12)'), 'widen');
  assert.equal(typeChange('time(6) without time zone', 'interval'), 'widen');
  assert.equal(typeChange('integer', 'text'), 'incompatible');
  assert.equal(typeChange('jsonb', 'bytea'), 'incompatible');
});

test('values the target cannot hold are refused with the column named', () => {
  const col = (type: SinkFieldType) => ({ name: 'c', type, optional: true });
  assert.throws(() => pgEncoder(col(t('string')), 'text')('a\u0000b'), /column c holds a NUL character/);
  assert.throws(() => pgEncoder(col(t('string')), 'text')('a\ud800b'), /unpaired UTF-16 surrogate/);
  assert.throws(() => pgEncoder(col(t('string', 'io.debezium.data.Json')), 'jsonb')('{"a":"\\u0000"}'), /jsonb cannot store/);
  const time = pgEncoder(col(t('int64', 'io.debezium.time.MicroTime')), 'time(6) without time zone');
  assert.equal(time(3600e6), '01:00:00.000000');
  assert.throws(() => time(-1), /outside 00:00–24:00.*timeType: interval/);
  assert.equal(pgEncoder(col(t('int64', 'io.debezium.time.MicroTime')), 'interval')(-1), '-00:00:00.000001');
  assert.equal(pgEncoder(col(t('bytes')), 'bytea')(Buffer.from([0, 255])), '\\x00ff');
  assert.equal(pgEncoder(col(t('float64')), 'double precision')(-0), '-0');
  assert.equal(pgEncoder(col(t('float64')), 'double precision')(Number.NaN), 'NaN');
  assert.equal(pgEncoder(col(t('boolean')), 'boolean')(false), 'f');
});

test('COPY text escaping', () => {
  assert.equal(copyField(null), '\\N');
  assert.equal(copyField('\\N'), '\\\\N');
  assert.equal(copyField('a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
});

test('statements', () => {
  assert.equal(createTable({ schema: 'S', table: 'T"x' }, [{ name: 'id', type: 'bigint', nullable: false }, { name: 'v', type: 'text', nullable: true }], ['id']),
    'CREATE TABLE "S"."T""x" (\n  "id" bigint NOT NULL,\n  "v" text,\n  PRIMARY KEY ("id")\n)');
  assert.equal(insertValues({ schema: 's', table: 't' }, [{ name: 'id', type: 'bigint', nullable: false }, { name: 'v', type: 'text', nullable: true }], 2, ['id']),
    'INSERT INTO "s"."t" ("id", "v") VALUES ($1::bigint, $2::text), ($3::bigint, $4::text) ON CONFLICT ("id") DO UPDATE SET "v" = EXCLUDED."v"');
  assert.equal(updateOneRow({ schema: 's', table: 't' }, [{ name: 'a', type: 'integer', nullable: true }]),
    'UPDATE "s"."t" SET "a" = $1::integer WHERE ctid = (SELECT ctid FROM "s"."t" WHERE "a" IS NOT DISTINCT FROM $2::integer LIMIT 1)');
});

test('inlined parameters (transactional scripts) and parameter casts without modifiers', () => {
  assert.equal(inline('INSERT INTO "s"."t" ("a", "b") VALUES ($1::text, $2::bytea), ($3::text, $4::bytea)', ["it's \\ $2", '\\x00ff', null, '$1']),
    `INSERT INTO "s"."t" ("a", "b") VALUES ('it''s \\ $2'::text, '\\x00ff'::bytea), (NULL::text, '$1'::bytea)`);
  assert.equal(paramType('character varying(3)'), 'character varying');
  assert.equal(paramType('numeric(4,2)'), 'numeric');
  assert.equal(paramType('timestamp(6) without time zone'), 'timestamp without time zone');
  assert.equal(paramType('character(5)'), 'text');
  assert.equal(paramType('bit(5)'), 'bit varying');
});
