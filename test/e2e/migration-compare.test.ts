// The comparison the migration tests rely on (test/helpers/migration-kit/canonical.ts) is strict: the same values
// written into a MariaDB table and into its PostgreSQL counterpart by hand compare equal, and each one-unit change
// (a microsecond, a last decimal digit, a float32 ulp, a bit, a JSON number, a trailing space, a duplicated keyless
// row, NULL vs '') is reported, naming the column and both values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '../helpers/services.ts';
import { compareDatabases, format, type Side } from '../helpers/migration-kit/canonical.ts';
import { mariadbRoot, pgClient } from '../helpers/migration-kit/run.ts';

const MARIADB = `CREATE TABLE t (id BIGINT UNSIGNED PRIMARY KEY, d DECIMAL(65,30), f FLOAT, g DOUBLE, b BIT(8), ok BIT(1), tm TIME(6), dt DATETIME(6), ts TIMESTAMP(6) NULL,
  j JSON, c CHAR(4), v VARCHAR(20), bin VARBINARY(8), e ENUM('a','b'), p POINT)`;
const POSTGRES = `CREATE TABLE t (id numeric(20,0) PRIMARY KEY, d numeric(65,30), f real, g double precision, b bit varying(8), ok boolean, tm interval(6), dt timestamp(6),
  ts timestamptz(6), j jsonb, c char(4), v varchar(20), bin bytea, e text, p bytea)`;

test('canonical comparison: equal values across engines are equal; every one-unit difference is reported with the column and both values', { timeout: 60000 }, async (t) => {
  const name = uniqueName('ferry_cmp');
  const my = await mariadbRoot();
  const pgc = await pgClient('postgres');
  t.after(async () => {
    await my.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await my.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await pgc.end();
  });
  await my.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await my.query(`USE \`${name}\``);
  await my.query(MARIADB);
  await my.query('CREATE TABLE nokey (x INT, s VARCHAR(10))');
  await my.query(`INSERT INTO t VALUES (18446744073709551615, 12345678901234567890123456789012345.123456789012345678901234567890, 0.1, 0.30000000000000004, b'00000101', b'1',
    '-838:59:59.000001', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.000001', '{"b": [1, 2.50, 1e2], "a": "x"}', 'ab', 'v ', x'00ff', 'b', ST_GeomFromText('POINT(1.5 -2)'))`);
  await my.query("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)");
  await pgc.query(`CREATE SCHEMA "${name}"; SET search_path = "${name}"`);
  await pgc.query(POSTGRES);
  await pgc.query('CREATE TABLE nokey (x int, s text)');
  await pgc.query(`INSERT INTO t VALUES (18446744073709551615, 12345678901234567890123456789012345.12345678901234567890123456789, 0.1, 0.30000000000000004, B'00000101', true,
    '-838:59:59.000001', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.000001+00', '{"a": "x", "b": [1, 2.5, 100]}', 'ab', 'v ', '\\x00ff', 'b',
    '\\x0101000000000000000000f83f00000000000000c0')`);
  await pgc.query("INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, NULL)");
  const source: Side = { engine: 'mariadb', client: my, schema: name };
  const target: Side = { engine: 'postgres', client: pgc, schema: name };
  assert.deepEqual(await compareDatabases(source, target), [], 'the same values');

  const reported = async (change: string, undo: string): Promise<string> => {
    await pgc.query(change);
    const d = format(await compareDatabases(source, target));
    await pgc.query(undo);
    return d;
  };
  const column = async (col: string, value: string, was: string) => {
    const d = await reported(`UPDATE t SET ${col} = ${value}`, `UPDATE t SET ${col} = ${was}`);
    assert.match(d, new RegExp(`id 18446744073709551615: ${col} source `), `${col} = ${value}: ${d}`);
  };
  await column('d', '12345678901234567890123456789012345.123456789012345678901234567891', '12345678901234567890123456789012345.12345678901234567890123456789');
  await column('f', "'0.099999994'::real", '0.1');
  await column('g', '0.3', '0.30000000000000004');
  await column('b', "B'101'", "B'00000101'");
  await column('ok', 'false', 'true');
  await column('tm', "'-838:59:59'", "'-838:59:59.000001'");
  await column('dt', "'9999-12-31 23:59:59.999998'", "'9999-12-31 23:59:59.999999'");
  await column('ts', "'2038-01-19 03:14:07.000001+01'", "'2038-01-19 03:14:07.000001+00'");
  await column('j', `'{"a": "x", "b": [1, 2.51, 100]}'`, `'{"a": "x", "b": [1, 2.5, 100]}'`);
  await column('c', "'abc'", "'ab'");
  await column('v', "'v'", "'v '");
  await column('bin', "'\\x00fe'", "'\\x00ff'");
  await column('e', "'a'", "'b'");
  await column('p', "'\\x0101000000000000000000f83f01000000000000c0'", "'\\x0101000000000000000000f83f00000000000000c0'");
  assert.match(await reported("INSERT INTO nokey VALUES (1, 'x')", "DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey WHERE x = 1 LIMIT 1)"),
    /nokey: 3 source rows, 4 target rows; 0 only on the source, 1 only on the target \(1 of them extra copies of source rows\)/);
  assert.match(await reported("UPDATE nokey SET s = '' WHERE x = 2", 'UPDATE nokey SET s = NULL WHERE x = 2'), /x 2: s source ∅ target ""/);
  assert.match(await reported('ALTER TABLE t ADD COLUMN extra int', 'ALTER TABLE t DROP COLUMN extra'), /t: target has column\(s\) the source lacks: extra/);
});
