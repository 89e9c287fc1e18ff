import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDdl } from '../../src/ddl-parser.ts';
import { applyAlter, ddlEffects, keepRenames, type DdlContext } from '../../src/ddl-apply.ts';
import { tokenize } from '../../src/ddl-tokens.ts';
import type { MySqlTableDef } from '../../src/type-mapping.ts';
import { toTableSchema } from '../../src/mysql-schema.ts';

const T: MySqlTableDef = {
  schema: 'shop', table: 'orders', charset: 'utf8mb4', primaryKey: ['id'],
  columns: [
    { name: 'id', columnType: 'int(11)', nullable: false, charset: null },
    { name: 'note', columnType: 'varchar(20)', nullable: true, charset: 'latin1' },
    { name: 'qty', columnType: 'int(11)', nullable: true, charset: null, defaultText: '1' },
  ],
};

function ctx(defs: MySqlTableDef[], selected: (schema: string, table: string) => boolean = () => true, extra: Partial<DdlContext> = {}): DdlContext {
  const m = new Map(defs.map((d) => [`${d.schema}.${d.table}`, d]));
  return { defaultSchema: 'shop', lowerCaseNames: false, get: (k) => m.get(k), isSelected: (id) => selected(id.schema, id.table), ...extra };
}

const alter = (sql: string) => {
  const s = parseDdl(sql, true);
  assert.equal(s.kind, 'alter', JSON.stringify(s));
  return s as Extract<typeof s, { kind: 'alter' }>;
};

test('tokenizer: quoted identifiers, strings with escapes, executable comments, charset introducers', () => {
  const t = tokenize("ALTER TABLE `we``ird` /* c */ ADD x VARCHAR(3) DEFAULT 'a''b\\n' /*!50100 COMMENT 'z' */ -- tail\n, ADD y INT DEFAULT _utf8mb4'q';");
  const values = t.map((x) => x.value);
  assert.deepEqual(values, ['ALTER', 'TABLE', 'we`ird', 'ADD', 'x', 'VARCHAR', '(', '3', ')', 'DEFAULT', "a'b\n", 'COMMENT', 'z', ',', 'ADD', 'y', 'INT', 'DEFAULT', 'q']);
});

test('ALTER TABLE ADD/DROP/MODIFY/CHANGE/RENAME COLUMN with positions, defaults and charsets', () => {
  const s = alter("ALTER TABLE orders ADD COLUMN price DECIMAL(10,2) NOT NULL DEFAULT '0.00' AFTER id, ADD flag BOOLEAN FIRST, DROP COLUMN qty, MODIFY note VARCHAR(50), CHANGE COLUMN id order_id BIGINT UNSIGNED NOT NULL, RENAME COLUMN note TO remark, ALGORITHM=INPLACE, LOCK=NONE");
  assert.deepEqual(s.unknown, []);
  const next = applyAlter(T, s.actions);
  assert.deepEqual(next.columns.map((c) => [c.name, c.columnType, c.nullable, c.charset, c.defaultText]), [
    ['flag', 'tinyint(1)', true, null, undefined],
    ['order_id', 'bigint unsigned', false, null, undefined],
    ['price', 'decimal(10,2)', false, null, '0.00'],
    ['remark', 'varchar(50)', true, 'latin1', undefined],
  ]);
  assert.deepEqual(next.primaryKey, ['order_id']);
});

test('RENAME COLUMN and CHANGE COLUMN old new record the earlier names, most recent first; MODIFY and same-name CHANGE keep them', () => {
  const step = (def: MySqlTableDef, sql: string) => applyAlter(def, alter(sql).actions);
  const names = (def: MySqlTableDef) => def.columns.map((c) => [c.name, c.renamedFrom]);
  const v2 = step(T, 'ALTER TABLE orders RENAME COLUMN note TO remark, CHANGE qty quantity BIGINT');
  assert.deepEqual(names(v2), [['id', undefined], ['remark', ['note']], ['quantity', ['qty']]]);
  const v3 = step(v2, 'ALTER TABLE orders CHANGE remark comment VARCHAR(200), MODIFY quantity BIGINT NOT NULL, ADD note INT');
  assert.deepEqual(names(v3), [['id', undefined], ['comment', ['remark', 'note']], ['quantity', ['qty']], ['note', undefined]]);
  const v4 = step(v3, 'ALTER TABLE orders CHANGE quantity quantity INT, RENAME COLUMN comment TO Note2');
  assert.deepEqual(names(v4), [['id', undefined], ['Note2', ['comment', 'remark', 'note']], ['quantity', ['qty']], ['note', undefined]]);
  // renamed back: the current name is not among the earlier ones; case-only renames count
  const v5 = step(v4, 'ALTER TABLE orders RENAME COLUMN quantity TO qty, RENAME COLUMN id TO ID');
  assert.deepEqual(names(v5), [['ID', ['id']], ['Note2', ['comment', 'remark', 'note']], ['qty', ['quantity']], ['note', undefined]]);
  // a column dropped and added again under the same name starts without earlier names
  const v6 = step(v5, 'ALTER TABLE orders DROP COLUMN qty, ADD COLUMN qty INT');
  assert.equal(v6.columns.find((c) => c.name === 'qty')!.renamedFrom, undefined);
  // information_schema knows no renames: a re-read keeps those of the columns whose name did not change
  const reread: MySqlTableDef = { ...T, columns: [{ name: 'ID', columnType: 'int(11)', nullable: false, charset: null }, { name: 'Note2', columnType: 'text', nullable: true, charset: 'utf8mb4' }, { name: 'x', columnType: 'int(11)', nullable: true, charset: null }] };
  assert.deepEqual(names(keepRenames(v5, reread)), [['ID', ['id']], ['Note2', ['comment', 'remark', 'note']], ['x', undefined]]);
  // they reach the TableSchema the events carry
  assert.deepEqual(toTableSchema(v2, 2).columns.map((c) => c.renamedFrom), [undefined, ['note'], ['qty']]);
});

test('ALTER TABLE: types normalised to information_schema spelling', () => {
  const s = alter("ALTER TABLE orders ADD a INTEGER(11) ZEROFILL, ADD b NUMERIC, ADD c DEC(5), ADD d FLOAT(30), ADD e FLOAT(7,2), ADD f DOUBLE PRECISION, ADD g CHAR, ADD h NATIONAL VARCHAR(5), ADD i ENUM('x,y', 'z''q') CHARACTER SET latin1, ADD j JSON, ADD k BIT, ADD l TEXT(300), ADD m DATETIME(6) DEFAULT '2020-01-01 00:00:00.5', ADD n VARCHAR(4) CHARACTER SET binary, ADD o SERIAL, ADD p REAL, ADD q LONG VARCHAR, ADD r INT8 UNSIGNED");
  const next = applyAlter(T, s.actions);
  const byName = Object.fromEntries(next.columns.map((c) => [c.name, c]));
  assert.equal(byName.a!.columnType, 'int(11) unsigned zerofill');
  assert.equal(byName.b!.columnType, 'decimal(10,0)');
  assert.equal(byName.c!.columnType, 'decimal(5,0)');
  assert.equal(byName.d!.columnType, 'double');
  assert.equal(byName.e!.columnType, 'float(7,2)');
  assert.equal(byName.f!.columnType, 'double');
  assert.equal(byName.g!.columnType, 'char(1)');
  assert.equal(byName.g!.charset, 'utf8mb4');
  assert.equal(byName.h!.charset, 'utf8mb3');
  assert.equal(byName.i!.columnType, "enum('x,y','z''q')");
  assert.equal(byName.i!.charset, 'latin1');
  assert.equal(byName.j!.columnType, 'longtext');
  assert.equal(byName.j!.json, true);
  assert.equal(byName.k!.columnType, 'bit(1)');
  assert.equal(byName.l!.columnType, 'text');
  assert.equal(byName.m!.defaultText, '2020-01-01 00:00:00.5');
  assert.equal(byName.n!.columnType, 'varbinary(4)');
  assert.equal(byName.n!.charset, null);
  assert.equal(byName.o!.columnType, 'bigint unsigned');
  assert.equal(byName.o!.nullable, false);
  assert.equal(byName.p!.columnType, 'double');
  assert.equal(byName.q!.columnType, 'mediumtext');
  assert.equal(byName.r!.columnType, 'bigint unsigned');
  assert.equal(parseDdl('ALTER TABLE t ADD j JSON', false).kind, 'alter');
  assert.equal(applyAlter(T, alter('ALTER TABLE t ADD j JSON').actions).columns[3]!.columnType, 'longtext');
  const mysqlJson = parseDdl('ALTER TABLE t ADD j JSON', false) as Extract<ReturnType<typeof parseDdl>, { kind: 'alter' }>;
  assert.equal(applyAlter(T, mysqlJson.actions).columns[3]!.columnType, 'json');
});

test('ALTER TABLE: keys, defaults, IF [NOT] EXISTS, charset conversion, no-op clauses', () => {
  let next = applyAlter(T, alter('ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, qty(3) DESC), ADD INDEX ix (note), ADD UNIQUE KEY u (qty), DROP INDEX ix2, DROP FOREIGN KEY fk').actions);
  assert.deepEqual(next.primaryKey, ['id', 'qty']);
  assert.equal(next.columns[2]!.nullable, false);
  next = applyAlter(T, alter("ALTER TABLE orders ALTER COLUMN qty SET DEFAULT 5, ALTER note SET DEFAULT 'x', ALTER COLUMN id DROP DEFAULT").actions);
  assert.equal(next.columns[2]!.defaultText, '5');
  assert.equal(next.columns[1]!.defaultText, 'x');
  next = applyAlter(T, alter('ALTER TABLE orders ADD COLUMN IF NOT EXISTS qty INT, DROP COLUMN IF EXISTS nope, ENGINE=InnoDB, COMMENT = \'c\', FORCE').actions);
  assert.deepEqual(next, T);
  next = applyAlter(T, alter('ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin').actions);
  assert.equal(next.columns[1]!.charset, 'utf8mb4');
  next = applyAlter(T, alter('ALTER TABLE orders DEFAULT CHARSET=latin1, ADD z TEXT').actions);
  assert.equal(next.columns[3]!.charset, 'latin1');
  assert.throws(() => applyAlter(T, alter('ALTER TABLE orders DROP COLUMN nope').actions), /no such column/);
  assert.equal(applyAlter(T, alter("ALTER TABLE orders ADD CONSTRAINT c CHECK (json_valid(`note`))").actions).columns[1]!.json, true);
});

test('unknown ALTER clauses are reported, and make the table be re-read', () => {
  const s = alter('ALTER TABLE orders ADD COLUMN a INT, FROBNICATE x');
  assert.deepEqual(s.unknown, ['FROBNICATE x']);
  assert.deepEqual(ddlEffects(s, ctx([T])), [{ kind: 'refresh', id: { schema: 'shop', table: 'orders' }, reason: 'ALTER TABLE clauses Ferry does not understand: FROBNICATE x' }]);
});

test('CREATE TABLE: columns, table/column primary keys, JSON checks, charsets, IF NOT EXISTS, LIKE, SELECT', () => {
  const s = parseDdl("CREATE TABLE IF NOT EXISTS `shop`.`items` (id BIGINT NOT NULL AUTO_INCREMENT, sku VARCHAR(10) COLLATE latin1_bin, doc LONGTEXT, " +
    "price DECIMAL(8,3) DEFAULT -1.5, CONSTRAINT `doc` CHECK (json_valid(`doc`)), PRIMARY KEY (`id`), KEY ix (sku), CONSTRAINT fk FOREIGN KEY (sku) REFERENCES x (y)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci", true);
  const eff = ddlEffects(s, ctx([]));
  assert.equal(eff.length, 1);
  const def = (eff[0] as { def: MySqlTableDef }).def;
  assert.deepEqual(def.primaryKey, ['id']);
  assert.deepEqual(def.columns.map((c) => [c.name, c.columnType, c.nullable, c.charset, c.json ?? false, c.defaultText]), [
    ['id', 'bigint', false, null, false, undefined],
    ['sku', 'varchar(10)', true, 'latin1', false, undefined],
    ['doc', 'longtext', true, 'utf8mb4', true, undefined],
    ['price', 'decimal(8,3)', true, null, false, '-1.5'],
  ]);
  assert.deepEqual(ddlEffects(s, ctx([{ ...T, table: 'items' }])), [], 'IF NOT EXISTS over a known table is a no-op');
  const inline = ddlEffects(parseDdl('CREATE TABLE t2 (k VARCHAR(5) PRIMARY KEY, v INT)', true), ctx([], () => true, { dbCharset: 'latin1' }));
  assert.deepEqual((inline[0] as { def: MySqlTableDef }).def.primaryKey, ['k']);
  assert.equal((inline[0] as { def: MySqlTableDef }).def.columns[0]!.charset, 'latin1');
  assert.deepEqual(ddlEffects(parseDdl('CREATE TABLE copy LIKE orders', true), ctx([T])), [{ kind: 'set', key: 'shop.copy', def: { ...T, table: 'copy' } }]);
  assert.equal(ddlEffects(parseDdl('CREATE TABLE copy LIKE other.x', true), ctx([T]))[0]!.kind, 'refresh');
  assert.equal(ddlEffects(parseDdl('CREATE TABLE c2 (a INT) SELECT 1 AS a', true), ctx([]))[0]!.kind, 'refresh');
  assert.equal(ddlEffects(parseDdl('CREATE TABLE c3 AS SELECT * FROM orders', true), ctx([]))[0]!.kind, 'refresh');
  assert.equal(parseDdl('CREATE TEMPORARY TABLE t (a INT)', true).kind, 'ignored');
});

test('DROP, RENAME (incl. swaps through an uncaptured name), ALTER ... RENAME, TRUNCATE, selection', () => {
  const O2 = { ...T, table: 'old' };
  assert.deepEqual(ddlEffects(parseDdl('DROP TABLE IF EXISTS orders, `shop`.nope /* generated by server */', true), ctx([T])), [{ kind: 'remove', key: 'shop.orders' }]);
  assert.deepEqual(ddlEffects(parseDdl('RENAME TABLE orders TO tmp, old TO orders, tmp TO old', true), ctx([T, O2], (_s, t) => t !== 'tmp')), [
    { kind: 'remove', key: 'shop.orders' },
    { kind: 'remove', key: 'shop.old' },
    { kind: 'set', key: 'shop.orders', def: { ...O2, table: 'orders' } },
    { kind: 'set', key: 'shop.old', def: { ...T, table: 'old' } },
  ]);
  assert.deepEqual(ddlEffects(parseDdl('RENAME TABLE _orders_new TO orders', true), ctx([], (_s, t) => !t.startsWith('_'))), [
    { kind: 'refresh', id: { schema: 'shop', table: 'orders' }, reason: 'RENAME TABLE of shop._orders_new, which Ferry does not capture, to a captured name' },
  ]);
  assert.deepEqual(ddlEffects(parseDdl('ALTER TABLE orders RENAME TO archive.orders2', true), ctx([T], (s) => s === 'shop')), [{ kind: 'remove', key: 'shop.orders' }]);
  const renamed = ddlEffects(parseDdl('ALTER TABLE orders RENAME AS orders2, ADD z INT', true), ctx([T]));
  assert.deepEqual(renamed.map((e) => e.kind), ['remove', 'set']);
  assert.equal((renamed[1] as { def: MySqlTableDef }).def.table, 'orders2');
  assert.equal((renamed[1] as { def: MySqlTableDef }).def.columns.length, 4);
  assert.deepEqual(ddlEffects(parseDdl('TRUNCATE TABLE orders', true), ctx([T])), [{ kind: 'truncate', key: 'shop.orders' }]);
  assert.deepEqual(ddlEffects(parseDdl('TRUNCATE shop.orders', true), ctx([T], () => false)), []);
  assert.deepEqual(ddlEffects(parseDdl('ALTER TABLE Orders ADD z INT', true), ctx([T], () => true, { lowerCaseNames: true })).map((e) => e.kind), ['set']);
});

test('statements that never change captured tables are ignored; others are unknown', () => {
  for (const sql of ['CREATE INDEX ix ON orders (note)', 'DROP INDEX ix ON orders', 'GRANT SELECT ON *.* TO x', 'CREATE DATABASE d', 'DROP VIEW v',
    'CREATE OR REPLACE VIEW v AS SELECT 1', 'FLUSH PRIVILEGES', 'ANALYZE TABLE orders', 'CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @a=1',
    'ALTER DATABASE d CHARACTER SET utf8mb4', 'DROP TEMPORARY TABLE IF EXISTS t', 'BEGIN', 'COMMIT']) {
    assert.equal(parseDdl(sql, true).kind, 'ignored', sql);
  }
  assert.equal(parseDdl('FROB TABLE x', true).kind, 'unknown');
  assert.equal(parseDdl("ALTER TABLE t ADD c VARCHAR(3) DEFAULT 'unterminated", true).kind, 'unknown');
});
