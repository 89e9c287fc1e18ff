// The MariaDB catalog reader (convert-schema): exact columns with parsed types, SQL defaults, AUTO_INCREMENT and its
// next value, ON UPDATE, a generated column, MariaDB JSON (LONGTEXT + json_valid) reported as json, primary/unique
// keys, prefix/fulltext/secondary indexes, foreign keys with actions, a check, and only the selected tables' view,
// trigger and routine. An excluded table is not read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { foreignKeyRulesOf, readMySqlCatalog } from '../../src/catalog-reader.ts';
import { createDatabase, mariaPort } from './helpers.ts';

test('readMySqlCatalog reads the selected tables and their objects exactly', { timeout: 60000 }, async (t) => {
  const { db, conn, drop } = await createDatabase('ferry_cat');
  t.after(drop);
  await conn.query(`CREATE TABLE parent (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, code CHAR(3) NOT NULL, UNIQUE KEY uq_code (code)) AUTO_INCREMENT = 42`);
  await conn.query(`CREATE TABLE child (
      id BIGINT NOT NULL,
      parent_id INT UNSIGNED NULL,
      label VARCHAR(40) CHARACTER SET latin1 NOT NULL DEFAULT 'it''s',
      doc JSON NULL,
      body TEXT NULL,
      price DECIMAL(8,3) NOT NULL DEFAULT 1.500,
      at DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3),
      kind ENUM('a','b') NOT NULL DEFAULT 'a',
      twice INT AS (id * 2) VIRTUAL,
      PRIMARY KEY (id),
      KEY idx_label (label(10), kind DESC),
      FULLTEXT KEY ft_body (body),
      CONSTRAINT chk_price CHECK (price > 0),
      CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL ON UPDATE CASCADE)`);
  await conn.query('CREATE TABLE skipped (id INT PRIMARY KEY)');
  await conn.query('CREATE VIEW v_child AS SELECT id, label FROM child');
  await conn.query("CREATE TRIGGER trg_child BEFORE INSERT ON child FOR EACH ROW SET NEW.label = UPPER(NEW.label)");
  await conn.query('CREATE TRIGGER trg_skipped BEFORE INSERT ON skipped FOR EACH ROW SET NEW.id = NEW.id');
  await conn.query('CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2');

  const mapping = { rules: [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } },
    { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'not', 'rule-action': 'exclude', 'object-locator': { 'schema-name': db, 'table-name': 'skipped' } },
  ] } as unknown as TableMapping;
  const c = await readMySqlCatalog({ engine: 'mariadb', host: '127.0.0.1', port: await mariaPort(), user: 'root', password: new Secret('root'), connectTimeoutMs: 5000 }, createTableSelector(mapping));
  assert.equal(c.engine, 'mariadb');
  assert.deepEqual(c.tables.map((x) => x.name), ['child', 'parent']);
  const parent = c.tables.find((x) => x.name === 'parent')!;
  assert.equal(parent.autoIncrementNext, 42);
  assert.deepEqual(parent.uniqueKeys, [{ name: 'uq_code', columns: ['code'] }]);
  assert.match(parent.createStatement!, /^CREATE TABLE `parent`/);
  const child = c.tables.find((x) => x.name === 'child')!;
  const cols = child.columns.map(({ comment: _c, ...x }) => x);
  assert.deepEqual(cols, [
    { name: 'id', ordinal: 1, sourceType: 'bigint(20)', type: { name: 'bigint', precision: 20 }, nullable: false },
    { name: 'parent_id', ordinal: 2, sourceType: 'int(10) unsigned', type: { name: 'int', unsigned: true, precision: 10 }, nullable: true },
    { name: 'label', ordinal: 3, sourceType: 'varchar(40)', type: { name: 'varchar', length: 40, charset: 'latin1', collation: 'latin1_swedish_ci' }, nullable: false, defaultExpression: "'it''s'" },
    { name: 'doc', ordinal: 4, sourceType: 'json', type: { name: 'json' }, nullable: true },
    { name: 'body', ordinal: 5, sourceType: 'text', type: { name: 'text', charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }, nullable: true },
    { name: 'price', ordinal: 6, sourceType: 'decimal(8,3)', type: { name: 'decimal', precision: 8, scale: 3 }, nullable: false, defaultExpression: '1.500' },
    { name: 'at', ordinal: 7, sourceType: 'datetime(3)', type: { name: 'datetime', fsp: 3 }, nullable: true, onUpdate: 'current_timestamp(3)' },
    { name: 'kind', ordinal: 8, sourceType: "enum('a','b')", type: { name: 'enum', values: ['a', 'b'], charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }, nullable: false, defaultExpression: "'a'" },
    { name: 'twice', ordinal: 9, sourceType: 'int(11)', type: { name: 'int', precision: 11 }, nullable: true, generated: { expression: '`id` * 2', stored: false } },
  ].map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined))));
  assert.deepEqual(child.primaryKey, { name: 'PRIMARY', columns: ['id'] });
  assert.deepEqual(child.checks, [{ name: 'chk_price', expression: '`price` > 0' }]);
  assert.deepEqual(child.foreignKeys, [{ name: 'fk_parent', columns: ['parent_id'], refSchema: db, refTable: 'parent', refColumns: ['id'], onUpdate: 'CASCADE', onDelete: 'SET NULL' }]);
  // The least-privilege CDC user (SELECT, REPLICATION) cannot see REFERENTIAL_CONSTRAINTS on MariaDB: the foreign
  // keys and their actions come from SHOW CREATE TABLE instead, identical.
  const asCdc = await readMySqlCatalog({ engine: 'mariadb', host: '127.0.0.1', port: await mariaPort(), user: 'cdc', password: new Secret('cdc'), connectTimeoutMs: 5000 }, createTableSelector(mapping));
  assert.deepEqual(asCdc.tables.find((x) => x.name === 'child')!.foreignKeys, child.foreignKeys);
  assert.deepEqual(child.indexes.map((i) => [i.name, i.columns, i.unique, i.method, i.prefixLengths, i.descending, i.fulltext ?? false]), [
    ['fk_parent', ['parent_id'], false, 'btree', [0], [false], false],
    ['ft_body', ['body'], false, 'fulltext', [0], [false], true],
    ['idx_label', ['label', 'kind'], false, 'btree', [10, 0], [false, true], false],
  ]);
  assert.deepEqual(c.views.map((v) => v.name), ['v_child']);
  assert.match(c.views[0]!.definition, /^select `[^`]+`\.`child`\.`id` AS `id`,`[^`]+`\.`child`\.`label` AS `label` from `[^`]+`\.`child`$/);
  assert.deepEqual(c.triggers.map((x) => [x.name, x.table, x.timing, x.event, x.definition]), [['trg_child', 'child', 'BEFORE', 'INSERT', 'SET NEW.label = UPPER(NEW.label)']]);
  assert.deepEqual(c.routines.map((r) => [r.name, r.kind, r.definition]), [['twice', 'function', 'CREATE FUNCTION `twice`(x INT) RETURNS int(11)\n    DETERMINISTIC\nRETURN x * 2']]);
  assert.deepEqual(c.sequences, []);
});

test('foreignKeyRulesOf: actions from SHOW CREATE TABLE, RESTRICT when omitted, odd names', () => {
  const ddl = 'CREATE TABLE `c` (\n  `a` int, `b``x` int,\n  CONSTRAINT `fk one` FOREIGN KEY (`a`) REFERENCES `p` (`id`),\n'
    + '  CONSTRAINT `fk``2` FOREIGN KEY (`a`, `b``x`) REFERENCES `other db`.`p 2` (`id`, `k)`) ON DELETE CASCADE ON UPDATE SET NULL\n)';
  assert.deepEqual([...foreignKeyRulesOf(ddl)], [['fk one', { upd: 'RESTRICT', del: 'RESTRICT' }], ['fk`2', { upd: 'SET NULL', del: 'CASCADE' }]]);
});
