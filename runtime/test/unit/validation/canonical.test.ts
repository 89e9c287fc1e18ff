// The canonical forms of docs/validation.md, run in both real servers: the same tricky values stored in a MariaDB
// column and in the PostgreSQL column the type maps give it (and the reverse direction) render the same canonical
// text, column by column, row by row; and a changed value renders differently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient } from '../../../../app/src/validate-data/clients.ts';
import { canonicalInNode, familyOf, render } from '../../../src/validation/canonical.ts';
import { readColumns } from '../../../src/validation/engine-sql.ts';
import { NODE_FAMILIES, type CatalogColumnType, type SqlClient } from '../../../src/validation/model.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';

/** [name, MariaDB type, PostgreSQL type, values as [MariaDB literal, PostgreSQL literal] per row]. */
type Case = readonly [string, string, string, readonly (readonly [string, string])[]];

const MYSQL_TO_PG: readonly Case[] = [
  ['ti', 'TINYINT', 'smallint', [['-128', '-128'], ['127', '127'], ['0', '0']]],
  ['iu', 'INT UNSIGNED', 'bigint', [['4294967295', '4294967295'], ['0', '0'], ['7', '7']]],
  ['bi', 'BIGINT', 'bigint', [['-9223372036854775808', '-9223372036854775808'], ['9223372036854775807', '9223372036854775807'], ['0', '0']]],
  ['bu', 'BIGINT UNSIGNED', 'numeric(20)', [['18446744073709551615', '18446744073709551615'], ['0', '0'], ['9007199254740993', '9007199254740993']]],
  ['de', 'DECIMAL(12,2)', 'numeric(12,2)', [['-0.50', '-0.50'], ['100.00', '100.00'], ['1234567890.12', '1234567890.12']]],
  ['d0', 'DECIMAL(20,0)', 'numeric(20,0)', [['12345678901234567890', '12345678901234567890'], ['-1', '-1'], ['0', '0']]],
  ['b1', 'BIT(1)', 'boolean', [["b'1'", 'true'], ["b'0'", 'false'], ["b'1'", 'true']]],
  ['b5', 'BIT(5)', 'bit varying(5)', [["b'00101'", "B'00101'"], ["b'11111'", "B'11111'"], ["b'0'", "B'00000'"]]],
  ['bo', 'BOOLEAN', 'smallint', [['1', '1'], ['0', '0'], ['1', '1']]],
  ['yr', 'YEAR', 'smallint', [['2024', '2024'], ['1901', '1901'], ['2155', '2155']]],
  ['ch', 'CHAR(5)', 'char(5)', [["'ab'", "'ab'"], ["''", "''"], ["'abcde'", "'abcde'"]]],
  ['vc', 'VARCHAR(40)', 'varchar(40)', [["'ü\\t\"q\"\\\\'", "E'ü\\t\"q\"\\\\'"], ["''", "''"], ["'😀 x '", "'😀 x '"]]],
  ['tx', 'TEXT', 'text', [["'a,b'", "'a,b'"], ["'~'", "'~'"], ["'12:ab'", "'12:ab'"]]],
  ['en', "ENUM('a','b b')", 'text', [["'b b'", "'b b'"], ["'a'", "'a'"], ["'a'", "'a'"]]],
  ['st', "SET('x','y')", 'text', [["'x,y'", "'x,y'"], ["''", "''"], ["'y'", "'y'"]]],
  ['vb', 'VARBINARY(8)', 'bytea', [['0x00ff10', "'\\x00ff10'"], ["''", "''"], ['0x41', "'\\x41'"]]],
  ['bl', 'BLOB', 'bytea', [['0xdeadbeef', "'\\xdeadbeef'"], ['0x00', "'\\x00'"], ["''", "''"]]],
  ['dt', 'DATE', 'date', [["'1999-12-31'", "'1999-12-31'"], ["'0001-01-01'", "'0001-01-01'"], ["'9999-12-31'", "'9999-12-31'"]]],
  ['ts', 'DATETIME(6)', 'timestamp(6)', [["'2024-01-02 03:04:05.654321'", "'2024-01-02 03:04:05.654321'"], ["'1000-01-01 00:00:00'", "'1000-01-01 00:00:00'"], ["'2024-02-29 23:59:59.000001'", "'2024-02-29 23:59:59.000001'"]]],
  ['tz', 'TIMESTAMP(6) NULL', 'timestamptz(6)', [["'2038-01-19 03:14:07.999999'", "'2038-01-19 03:14:07.999999+00'"], ["'1970-01-01 00:00:01'", "'1970-01-01 00:00:01+00'"], ["'2024-06-01 12:00:00.5'", "'2024-06-01 14:00:00.5+02'"]]],
  ['tm', 'TIME(6)', 'interval(6)', [["'-838:59:59.000000'", "'-838:59:59'"], ["'12:00:00.000001'", "'12:00:00.000001'"], ["'-00:00:00.5'", "'-00:00:00.5'"]]],
  ['uu', 'UUID', 'uuid', [["'123e4567-e89b-12d3-a456-426614174000'", "'123e4567-e89b-12d3-a456-426614174000'"], ["'00000000-0000-0000-0000-000000000000'", "'00000000-0000-0000-0000-000000000000'"], ["'FFFFFFFF-0000-0000-0000-00000000000A'", "'ffffffff-0000-0000-0000-00000000000a'"]]],
  ['i4', 'INET4', 'inet', [["'192.168.0.1'", "'192.168.0.1'"], ["'0.0.0.0'", "'0.0.0.0'"], ["'255.255.255.255'", "'255.255.255.255'"]]],
  ['i6', 'INET6', 'inet', [["'::1'", "'::1'"], ["'2001:db8::ff00:42:8329'", "'2001:0db8:0000:0000:0000:ff00:0042:8329'"], ["'::ffff:1.2.3.4'", "'::ffff:1.2.3.4'"]]],
  ['fl', 'FLOAT', 'real', [['0.1', '0.1'], ['-3.4e38', '-3.4e38'], ['333.66666', '333.66666']]],
  ['db', 'DOUBLE', 'double precision', [['1e20', '1e20'], ['1.5e-7', '1.5e-7'], ['0.30000000000000004', '0.30000000000000004']]],
  ['js', 'JSON', 'jsonb', [[`'{"b": 1, "a": [1, 2.5, "x"]}'`, `'{"b": 1, "a": [1, 2.5, "x"]}'`], ["'null'", "'null'"], [`'"é"'`, `'"é"'`]]],
];

const PG_TO_MYSQL: readonly Case[] = [
  ['bo', 'TINYINT(1)', 'boolean', [['1', 'true'], ['0', 'false'], ['1', 'true']]],
  ['nu', 'DECIMAL(65,30)', 'numeric', [['1.5', '1.5'], ['100', '100'], ['-0.000000000000000000000000000001', '-0.000000000000000000000000000001']]],
  ['ch', 'VARCHAR(5)', 'char(5)', [["'ab   '", "'ab'"], ["'     '", "''"], ["'abcde'", "'abcde'"]]],
  ['tx', 'LONGTEXT', 'text', [["'x'", "'x'"], ["''", "''"], ["'😀'", "'😀'"]]],
  ['ba', 'LONGBLOB', 'bytea', [['0x00', "'\\x00'"], ["''", "''"], ['0xff', "'\\xff'"]]],
  ['uu', 'CHAR(36)', 'uuid', [["'123e4567-e89b-12d3-a456-426614174000'", "'123E4567-E89B-12D3-A456-426614174000'"], ["'00000000-0000-0000-0000-000000000000'", "'00000000-0000-0000-0000-000000000000'"], ["'abcdef00-0000-0000-0000-000000000000'", "'abcdef00-0000-0000-0000-000000000000'"]]],
  ['tz', 'DATETIME(6)', 'timestamptz', [["'2024-01-01 22:00:00.123456'", "'2024-01-02 00:00:00.123456+02'"], ["'1970-01-01 00:00:00'", "'1970-01-01 00:00:00+00'"], ["'2000-02-29 12:00:00'", "'2000-02-29 12:00:00Z'"]]],
  ['ts', 'DATETIME(6)', 'timestamp', [["'2024-01-02 03:04:05.000001'", "'2024-01-02 03:04:05.000001'"], ["'1970-01-01 00:00:00'", "'1970-01-01 00:00:00'"], ["'2000-02-29 12:00:00'", "'2000-02-29 12:00:00'"]]],
  ['tm', 'TIME(6)', 'time', [["'23:59:59.999999'", "'23:59:59.999999'"], ["'00:00:00'", "'00:00:00'"], ["'12:34:56'", "'12:34:56'"]]],
  ['bt', 'BIT(5)', 'bit(5)', [["b'00101'", "B'00101'"], ["b'10000'", "B'10000'"], ["b'00000'", "B'00000'"]]],
  ['js', 'JSON', 'jsonb', [[`'{"b":1,"a":{"y":null,"x":[true]}}'`, `'{"b":1,"a":{"y":null,"x":[true]}}'`], ["'[]'", "'[]'"], ["'1.5'", "'1.5'"]]],
  ['ar', 'JSON', 'integer[]', [["'[1,2,3]'", "'{1,2,3}'"], ["'[]'", "'{}'"], ["'[null]'", "'{NULL}'"]]],
  ['re', 'FLOAT', 'real', [['0.1', '0.1'], ['1e10', '1e10'], ['1234.5677', '1234.5677']]],
  ['dp', 'DOUBLE', 'double precision', [['1e20', '1e20'], ['1.5e-7', '1.5e-7'], ['2.2250738585072014e-308', '2.2250738585072014e-308']]],
  ['ip', 'VARCHAR(43)', 'inet', [["'10.0.0.0/8'", "'10.0.0.0/8'"], ["'::1'", "'::1'"], ["'192.168.1.1'", "'192.168.1.1'"]]],
  ['mo', 'DECIMAL(19,2)', 'money', [['12.50', "'12.50'"], ['0.00', "'0'"], ['-1.05', "'-1.05'"]]],
];

const admin = () => openClient({ engine: 'mysql', ...services.mariadb, user: 'root', password: 'root', connectTimeoutMs: 5000, readOnly: false, connections: 1, label: 'mariadb', unreachable: 'FERRY_SOURCE_UNREACHABLE' });
const pgAdmin = (database = 'postgres') => openClient({ engine: 'postgres', ...services.postgres, user: 'postgres', password: 'postgres', database, connectTimeoutMs: 5000, readOnly: false, connections: 1, label: 'pg', unreachable: 'FERRY_SINK_ERROR' });

async function texts(client: SqlClient, table: string, families: { col: string; fam: ReturnType<typeof familyOf> }[], types: CatalogColumnType[], schema: string): Promise<string[][]> {
  const exprs = families.map(({ col, fam }) => {
    const t = types.find((x) => x.name === col)!;
    return render(client.engine, { family: fam as never, rtrim: col === 'ch', bits: 5 }, col, t);
  });
  const q = client.engine === 'mysql' ? `SELECT ${exprs.join(', ')} FROM \`${schema}\`.\`${table}\` ORDER BY id` : `SELECT ${exprs.join(', ')} FROM "${schema}"."${table}" ORDER BY id`;
  const rows = await client.query(q);
  return rows.map((r) => r.map((v, i) => {
    const fam = families[i]!.fam as never;
    return String(NODE_FAMILIES.has(fam) ? canonicalInNode(fam, v) : v);
  }));
}

async function direction(cases: readonly Case[], from: 'mysql' | 'postgres'): Promise<void> {
  const name = uniqueName('ferry_vcanon');
  const my = await admin();
  const pg = await pgAdmin();
  try {
    await my.execute(`CREATE DATABASE ${name}`);
    await pg.execute(`CREATE SCHEMA ${name}`);
    await my.execute(`CREATE TABLE ${name}.t (id INT PRIMARY KEY, ${cases.map(([c, m]) => `${c} ${m}`).join(', ')}) CHARACTER SET utf8mb4`);
    await pg.execute(`CREATE TABLE ${name}.t (id int PRIMARY KEY, ${cases.map(([c, , p]) => `${c} ${p}`).join(', ')})`);
    for (let row = 0; row < 3; row++) {
      await my.execute(`INSERT INTO ${name}.t VALUES (${row}, ${cases.map(([, , , v]) => v[row]![0]).join(', ')})`);
      await pg.execute(`INSERT INTO ${name}.t VALUES (${row}, ${cases.map(([, , , v]) => v[row]![1]).join(', ')})`);
    }
    // A row of NULLs: the NULL marker on both sides.
    await my.execute(`INSERT INTO ${name}.t (id) VALUES (3)`);
    await pg.execute(`INSERT INTO ${name}.t (id) VALUES (3)`);
    const mt = await readColumns(my, { schema: name, table: 't' });
    const pt = await readColumns(pg, { schema: name, table: 't' });
    const families = cases.map(([c]) => ({ col: c, fam: familyOf(from, (from === 'mysql' ? mt : pt).find((x) => x.name === c)!) }));
    for (const f of families) assert.equal(typeof f.fam, 'string', `${f.col} has a family`);
    const a = await texts(my, 't', families, mt, name);
    const b = await texts(pg, 't', families, pt, name);
    for (let r = 0; r < 4; r++) {
      for (let i = 0; i < cases.length; i++) {
        assert.equal(a[r]![i], b[r]![i], `row ${r} column ${cases[i]![0]} (${cases[i]![1]} ↔ ${cases[i]![2]}, family ${String(families[i]!.fam)})`);
      }
    }
    assert.ok(a[3]!.every((v) => v === 'null'), 'NULL renders as NULL');
    // And a different value renders differently (the form is not constant).
    for (let i = 0; i < cases.length; i++) assert.notEqual(a[0]![i], a[3]![i], `${cases[i]![0]}: a value differs from NULL`);
  } finally {
    await my.execute(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    await pg.execute(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await my.end();
    await pg.end();
  }
}

test('MariaDB → PostgreSQL: every type of the type map renders the same canonical text on both engines', { timeout: 60_000 }, () => direction(MYSQL_TO_PG, 'mysql'));
test('PostgreSQL → MariaDB: every type of the type map renders the same canonical text on both engines', { timeout: 60_000 }, () => direction(PG_TO_MYSQL, 'postgres'));
