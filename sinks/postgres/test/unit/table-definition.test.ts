// Which converted types the PostgreSQL sink keeps for the event values (takesEventType), the CREATE TABLE it builds
// from a definition (definedTableDdl), and the format_type spelling of the converter's types (formatType).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkColumn, SinkFieldType, SinkTable, TargetTableDefinition } from '../../../../core/src/record-sink.ts';
import { definedTableDdl, formatType, takesEventType } from '../../src/table-definition.ts';
import { pgType } from '../../src/pg-types.ts';

const t = (connect: SinkFieldType['connect'], logical?: string, params?: Record<string, string>): SinkFieldType => ({ connect, ...(logical ? { logical } : {}), ...(params ? { params } : {}) });
const col = (name: string, type: SinkFieldType, optional = true): SinkColumn => ({ name, type, optional });
const D = 'org.apache.kafka.connect.data.Decimal';

test('formatType: the converter\'s spellings as format_type() prints them', () => {
  const cases: [string, string][] = [
    ['numeric(20)', 'numeric(20,0)'], ['numeric(12,2)', 'numeric(12,2)'], ['timestamp(3)', 'timestamp(3) without time zone'], ['timestamptz(0)', 'timestamp(0) with time zone'],
    ['time(6)', 'time(6) without time zone'], ['varchar(40)', 'character varying(40)'], ['char(2)', 'character(2)'], ['interval(0)', 'interval(0)'],
    ['"shop"."mood"', 'shop.mood'], ['"My Schema"."mood"', '"My Schema".mood'], ['bit varying(5)', 'bit varying(5)'], ['double precision', 'double precision'],
  ];
  for (const [a, b] of cases) assert.equal(formatType(a), b, a);
});

test('takesEventType: the converted types kept, and those that get the event type', () => {
  const cases: [string, SinkFieldType, boolean][] = [
    ['smallint', t('int16'), true], ['integer', t('int32'), true], ['bigint', t('int32'), true], ['smallint', t('int32'), false],
    ['smallint', t('int32', 'io.debezium.time.Year'), true],
    ['numeric(20,0)', t('bytes', D, { scale: '0', 'connect.decimal.precision': '20' }), true],
    ['numeric(10,2)', t('bytes', D, { scale: '4', 'connect.decimal.precision': '12' }), false],
    ['money', t('bytes', D, { scale: '2' }), true],
    ['real', t('float32'), true], ['real', t('float64'), false], ['double precision', t('float32'), true],
    ['timestamp(0) without time zone', t('int64', 'io.debezium.time.Timestamp'), false],
    ['timestamp(3) without time zone', t('int64', 'io.debezium.time.Timestamp'), true],
    ['timestamp(6) without time zone', t('int64', 'io.debezium.time.MicroTimestamp'), true],
    ['timestamp(0) with time zone', t('string', 'io.debezium.time.ZonedTimestamp'), false],
    ['interval(0)', t('int64', 'io.debezium.time.MicroTime'), false], ['interval', t('int64', 'io.debezium.time.MicroTime'), true],
    ['character varying(20)', t('string'), true], ['character(6)', t('string'), true], ['uuid', t('string', 'io.debezium.data.Uuid'), true],
    ['inet', t('string'), true], ['shop.mood', t('string', 'io.debezium.data.Enum', { allowed: 'a,b' }), true], ['integer[]', t('array'), false],
    ['text[]', t('string'), false], ['date', t('string'), false],
    ['jsonb', t('string', 'io.debezium.data.Json'), true], ['json', t('string', 'io.debezium.data.Json'), true], ['hstore', t('string', 'io.debezium.data.Json'), false],
    ['bit varying(5)', t('bytes', 'io.debezium.data.Bits', { length: '5' }), true], ['bit(5)', t('bytes', 'io.debezium.data.Bits', { length: '5' }), true],
    ['bit(8)', t('bytes', 'io.debezium.data.Bits', { length: '5' }), false], ['bit(1)', t('boolean'), false], ['boolean', t('boolean'), true],
    ['bytea', t('bytes'), true], ['bytea', t('struct', 'io.debezium.data.geometry.Geometry'), true],
  ];
  for (const [have, type, want] of cases) {
    const interval = type.logical === 'io.debezium.time.MicroTime';
    assert.equal(takesEventType(have, col('c', type), pgType(type, { interval })), want, `${have} for ${JSON.stringify(type)}`);
  }
});

test('definedTableDdl: converted clauses, event types where needed, deferrable unique keys, columns the events lack', () => {
  const def: TargetTableDefinition = {
    source: 'shop.t', schema: 's', table: 't', tableOptions: '', after: ['ALTER SEQUENCE "s"."t_id_seq" OWNED BY "s"."t"."id"'],
    before: ['CREATE SEQUENCE IF NOT EXISTS "s"."t_id_seq" AS integer START WITH 5 INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 NO CYCLE'],
    columns: [
      { name: 'id', type: 'integer', nullable: false, identity: ' GENERATED ALWAYS AS IDENTITY (START WITH 5)' },
      { name: 'at', type: 'timestamp(0)', nullable: false, default: 'CURRENT_TIMESTAMP' },
      { name: 'tags', type: 'text[]', nullable: true, default: "'{}'::text[]" },
      { name: 'st', type: 'text', nullable: false, default: "'new'", check: `"st" IN ('new', 'old')` },
      { name: 'calc', type: 'integer', nullable: false, generated: ' GENERATED ALWAYS AS (id * 2) STORED' },
      { name: 'gone', type: 'integer', nullable: false },
    ],
    primaryKey: ['id'], constraints: [{ kind: 'unique', sql: 'CONSTRAINT "t_st" UNIQUE ("st")' }, { kind: 'check', sql: 'CONSTRAINT "t_ck" CHECK ((id > 0))' }],
    indexes: ['CREATE INDEX "t_at" ON "s"."t" ("at")'],
  };
  const latest = {
    topic: 'x', schema: 'shop', table: 't', primaryKey: ['id'], version: 'v1', keySchema: null,
    valueSchema: { type: 'record', name: 'Envelope', fields: [{ name: 'source', type: { type: 'record', name: 'io.debezium.connector.postgresql.Source', fields: [] } }] },
    columns: [col('id', t('int32'), false), col('at', t('int64', 'io.debezium.time.Timestamp'), false), col('tags', t('array')), col('st', t('string'), false)],
  } as unknown as SinkTable;
  const ddl = definedTableDdl(def, { schema: 's', table: 't' }, latest, 'auto');
  assert.deepEqual(ddl.statements, [
    def.before[0],
    'CREATE TABLE "s"."t" (\n'
    + '  "id" integer GENERATED BY DEFAULT AS IDENTITY (START WITH 5) NOT NULL,\n'
    + '  "at" timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,\n'
    + '  "tags" jsonb,\n'
    + `  "st" text DEFAULT 'new' NOT NULL CHECK ("st" IN ('new', 'old')),\n`
    + '  "calc" integer GENERATED ALWAYS AS (id * 2) STORED NOT NULL,\n'
    + '  "gone" integer,\n'
    + '  PRIMARY KEY ("id"),\n'
    + '  CONSTRAINT "t_st" UNIQUE ("st") DEFERRABLE INITIALLY DEFERRED,\n'
    + '  CONSTRAINT "t_ck" CHECK ((id > 0))\n'
    + ')',
    def.after[0],
  ]);
  assert.deepEqual(ddl.indexes, def.indexes);
  assert.deepEqual(ddl.notes, ['at timestamp(3) without time zone (converted: timestamp(0))', 'tags jsonb (converted: text[])']);
});

test('definedTableDdl: a column whose events carry the Avro-adjusted name is created under that name, its keys and indexes too', () => {
  const def: TargetTableDefinition = {
    source: 'shop.odd', schema: 's', table: 'odd', tableOptions: '', before: [], after: [],
    columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'naïve ☃', type: 'varchar(10)', nullable: true }, { name: 'ok', type: 'integer', nullable: true }],
    primaryKey: ['id'], constraints: [{ kind: 'unique', sql: 'CONSTRAINT "odd_u" UNIQUE ("naïve ☃", "ok")' }],
    indexes: ['CREATE INDEX "odd_n" ON "s"."odd" ("naïve ☃")'],
  };
  const latest = {
    topic: 'x', schema: 'shop', table: 'odd', primaryKey: ['id'], version: 'v1', keySchema: null, valueSchema: { type: 'record', name: 'Envelope', fields: [] },
    columns: [col('id', t('int32'), false), col('na_ve__', t('string')), col('ok', t('int32'))],
  } as unknown as SinkTable;
  const ddl = definedTableDdl(def, { schema: 's', table: 'odd' }, latest, 'auto');
  assert.equal(ddl.statements[0], 'CREATE TABLE "s"."odd" (\n  "id" integer NOT NULL,\n  "na_ve__" varchar(10),\n  "ok" integer,\n  PRIMARY KEY ("id"),\n  CONSTRAINT "odd_u" UNIQUE ("na_ve__", "ok") DEFERRABLE INITIALLY DEFERRED\n)');
  assert.deepEqual(ddl.indexes, ['CREATE INDEX "odd_n" ON "s"."odd" ("na_ve__")']);
});
