// The type maps of docs/schema-conversion.md, table-driven: each source type (as the catalog spells it, parsed by the
// connectors' own parsers) → the exact target DDL type and outcome; defaults and check expressions likewise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogColumn } from '../../../../core/src/catalog.ts';
import { parseMySqlType } from '../../../../connectors/mysql-binlog/src/catalog-reader.ts';
import { parsePgType } from '../../../../connectors/postgres-logical/src/catalog-reader.ts';
import { mysqlDefaultToPg, mysqlTypeToPg } from '../../../src/schema-conversion/mysql-to-pg.ts';
import { pgCheckToMySql, pgDefaultToMySql, pgTypeToMySql } from '../../../src/schema-conversion/pg-to-mysql.ts';
import { mysqlCheckToPg } from '../../../src/schema-conversion/expressions.ts';

const MYSQL_TO_PG: readonly [string, string, string?][] = [
  ['tinyint(1)', 'smallint'],
  ['tinyint(4)', 'smallint'],
  ['tinyint(3) unsigned', 'smallint'],
  ['smallint(6)', 'smallint'],
  ['smallint(5) unsigned', 'integer'],
  ['mediumint(9)', 'integer'],
  ['mediumint(8) unsigned', 'integer'],
  ['int(11)', 'integer'],
  ['int(10) unsigned', 'bigint'],
  ['bigint(20)', 'bigint'],
  ['bigint(20) unsigned', 'numeric(20)'],
  ['decimal(10,2)', 'numeric(10,2)'],
  ['decimal(65,30)', 'numeric(65,30)'],
  ['decimal(10,2) unsigned', 'numeric(10,2)'],
  ['float', 'real'],
  ['double', 'double precision'],
  ['bit(1)', 'boolean'],
  ['bit(12)', 'bit varying(12)'],
  ['date', 'date'],
  ['datetime', 'timestamp(0)'],
  ['datetime(6)', 'timestamp(6)'],
  ['timestamp(3)', 'timestamptz(3)'],
  ['time', 'interval(0)'],
  ['time(6)', 'interval(6)'],
  ['year(4)', 'smallint'],
  ['char(2)', 'char(2)'],
  ['varchar(190)', 'varchar(190)'],
  ['tinytext', 'text'],
  ['mediumtext', 'text'],
  ['longtext', 'text'],
  ['binary(16)', 'bytea'],
  ['varbinary(64)', 'bytea'],
  ['blob', 'bytea'],
  ['longblob', 'bytea'],
  ['json', 'jsonb'],
  ["enum('a','it''s')", 'text'],
  ["set('x','y')", 'text'],
  ['uuid', 'uuid'],
  ['inet6', 'inet'],
  ['point', 'bytea', 'warning'],
  ['geometry', 'bytea', 'warning'],
  ['vector(3)', 'text', 'manual'],
];

test('MySQL/MariaDB → PostgreSQL types', () => {
  for (const [source, type, outcome = 'auto'] of MYSQL_TO_PG) {
    const c = mysqlTypeToPg(parseMySqlType(source), source);
    assert.deepEqual([c.type, c.outcome], [type, outcome], source);
  }
  const e = mysqlTypeToPg(parseMySqlType("enum('a','it''s')"));
  assert.equal(e.check!('"status"'), `"status" IN ('a', 'it''s')`);
});

const PG_TO_MYSQL: readonly [string, string, string?, object?][] = [
  ['smallint', 'smallint'],
  ['integer', 'int'],
  ['bigint', 'bigint'],
  ['numeric(10,2)', 'decimal(10,2)'],
  ['numeric(12,0)', 'decimal(12,0)'],
  ['numeric', 'decimal(65,30)', 'warning'],
  ['numeric(80,2)', 'decimal(65,30)', 'manual'],
  ['real', 'float'],
  ['double precision', 'double'],
  ['boolean', 'tinyint(1)'],
  ['character(2)', 'varchar(2)'],
  ['character(300)', 'varchar(300)'],
  ['character varying(40)', 'varchar(40)'],
  ['character varying', 'longtext'],
  ['character varying(20000)', 'longtext'],
  ['text', 'longtext'],
  ['bytea', 'longblob'],
  ['json', 'json'],
  ['jsonb', 'json'],
  ['uuid', 'char(36)'],
  ['date', 'date'],
  ['timestamp without time zone', 'datetime(6)'],
  ['timestamp(3) without time zone', 'datetime(3)'],
  ['timestamp with time zone', 'datetime(6)'],
  ['timestamp(0) with time zone', 'datetime(0)'],
  ['time(6) without time zone', 'time(6)'],
  ['time with time zone', 'time(6)', 'warning'],
  ['interval', 'varchar(64)', 'warning'],
  ['inet', 'varchar(43)'],
  ['cidr', 'varchar(43)'],
  ['macaddr', 'varchar(17)'],
  ['money', 'decimal(19,2)', 'warning'],
  ['bit(8)', 'bit(8)'],
  ['bit varying(5)', 'bit(5)', 'warning'],
  ['xml', 'longtext', 'warning'],
  ['integer[]', 'json', 'warning'],
  ['text[]', 'json', 'warning'],
  ['tsvector', 'longtext', 'manual'],
  ['hstore', 'json', 'warning', { userDefined: 'extension', name: 'hstore' }],
  ['mood', "enum('sad','ok')", 'auto', { userDefined: 'enum', name: 'mood', values: ['sad', 'ok'] }],
  ['positive_int', 'longtext', 'manual', { userDefined: 'domain', name: 'positive_int' }],
];

test('PostgreSQL → MySQL/MariaDB types', () => {
  for (const [source, type, outcome = 'auto', extra] of PG_TO_MYSQL) {
    const c = pgTypeToMySql({ ...parsePgType(source), ...extra }, source, 'mariadb');
    assert.deepEqual([c.type, c.outcome], [type, outcome], source);
  }
});

test('catalog type parsers', () => {
  assert.deepEqual(parseMySqlType('int(10) unsigned zerofill'), { name: 'int', unsigned: true, precision: 10 });
  assert.deepEqual(parseMySqlType("enum('a,b','c''d','e\\\\f')"), { name: 'enum', values: ['a,b', "c'd", 'e\\f'] });
  assert.deepEqual(parseMySqlType('decimal(65,30)'), { name: 'decimal', precision: 65, scale: 30 });
  assert.deepEqual(parsePgType('timestamp(3) with time zone'), { name: 'timestamp with time zone', fsp: 3 });
  assert.deepEqual(parsePgType('character varying(40)[][]'), { name: 'character varying', length: 40, arrayDims: 2 });
  assert.deepEqual(parsePgType('numeric(10,2)'), { name: 'numeric', precision: 10, scale: 2 });
  assert.deepEqual(parsePgType('numeric'), { name: 'numeric' });
});

const column = (sourceType: string, defaultExpression: string | undefined, type = parseMySqlType(sourceType)): CatalogColumn =>
  ({ name: 'c', ordinal: 1, sourceType, type, nullable: true, ...(defaultExpression !== undefined ? { defaultExpression } : {}) });

test('MySQL/MariaDB → PostgreSQL defaults', () => {
  const cases: readonly [string, string, string | undefined, string][] = [
    ['varchar(10)', "'it''s'", "'it''s'", 'auto'],
    ['varchar(10)', "'a\\\\b'", "'a\\b'", 'auto'],
    ['int(11)', '42', '42', 'auto'],
    ['decimal(5,2)', '-1.50', '-1.50', 'auto'],
    ['datetime(6)', 'current_timestamp(6)', 'CURRENT_TIMESTAMP', 'auto'],
    ['timestamp', 'CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP', 'auto'],
    ['bit(1)', "b'1'", 'true', 'auto'],
    ['bit(4)', "b'0101'", "B'0101'", 'auto'],
    ['varbinary(4)', "'ab'", "'\\x6162'::bytea", 'auto'],
    ['json', "'{}'", "'{}'::jsonb", 'auto'],
    ['datetime', "'0000-00-00 00:00:00'", undefined, 'manual'],
    ['char(36)', 'uuid()', 'gen_random_uuid()::text', 'warning'],
    ['int(11)', '(floor(rand() * 10))', undefined, 'manual'],
    ['varchar(10)', 'NULL', undefined, 'auto'],
  ];
  for (const [type, def, expected, outcome] of cases) {
    const target = mysqlTypeToPg(parseMySqlType(type)).type;
    const d = mysqlDefaultToPg(column(type, def), target);
    assert.deepEqual([d.expression, d.outcome], [expected, outcome], `${type} DEFAULT ${def}`);
  }
});

test('PostgreSQL → MySQL/MariaDB defaults', () => {
  const cases: readonly [string, string, string | undefined, string][] = [
    ['character varying(10)', "'it''s'::character varying", "'it''s'", 'auto'],
    ['text', "'x'::text", "('x')", 'auto'],
    ['text', "'a\\b'::text", "('a\\\\b')", 'auto'],
    ['boolean', 'true', '1', 'auto'],
    ['boolean', 'false', '0', 'auto'],
    ['numeric(5,2)', '0', '0', 'auto'],
    ['numeric(5,2)', "'1.5'::numeric", '1.5', 'auto'],
    ['integer', '(-1)', '-1', 'auto'],
    ['timestamp with time zone', 'now()', 'CURRENT_TIMESTAMP(6)', 'auto'],
    ['timestamp(3) without time zone', 'CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP(3)', 'auto'],
    ['date', 'CURRENT_DATE', '(CURRENT_DATE)', 'auto'],
    ['jsonb', "'{}'::jsonb", "('{}')", 'auto'],
    ['text[]', "'{}'::text[]", "('[]')", 'auto'],
    ['text[]', "'{a}'::text[]", undefined, 'manual'],
    ['uuid', 'gen_random_uuid()', '(uuid())', 'warning'],
    ['integer', 'my_fn()', undefined, 'manual'],
  ];
  for (const [type, def, expected, outcome] of cases) {
    const t = parsePgType(type);
    const target = pgTypeToMySql(t, type, 'mysql').type;
    const d = pgDefaultToMySql(column(type, def, t), target);
    assert.deepEqual([d.expression, d.outcome], [expected, outcome], `${type} DEFAULT ${def}`);
  }
});

test('check expressions across dialects', () => {
  assert.equal(pgCheckToMySql('(price >= (0)::numeric)'), '(price >= (0))');
  assert.equal(pgCheckToMySql("((kind)::text = ANY ((ARRAY['view'::character varying, 'like'::character varying])::text[]))"), "((kind) IN ('view', 'like'))");
  assert.equal(pgCheckToMySql('("Odd ""col""" > 0)'), '(`Odd "col"` > 0)');
  assert.equal(pgCheckToMySql("(name ~ '^[a-z]+$'::text)"), null);
  assert.equal(pgCheckToMySql('(a IS DISTINCT FROM b)'), null);
  assert.equal(mysqlCheckToPg('`price` >= 0 and `qty` between 1 and 10'), '"price" >= 0 and "qty" between 1 and 10');
  assert.equal(mysqlCheckToPg("`a``b` in ('x','y')"), `"a\`b" in ('x','y')`);
  assert.equal(mysqlCheckToPg('length(`name`) > 2'), 'octet_length("name") > 2');
  assert.equal(mysqlCheckToPg('json_valid(`doc`)'), null);
  assert.equal(mysqlCheckToPg("`s` regexp '^a'"), null);
});
