// FERRY_NO_TABLES_SELECTED (app/src/checks/source-catalog.ts): why each include rule selects nothing, with the
// closest existing schema names (edit distance), or the closest table names when the schema exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask } from '../../src/task-file/load-task.ts';
import { noTablesSelected, noTablesSelectedError } from '../../src/checks/source-catalog.ts';
import { closestNames, editDistance } from '../../src/checks/name-suggestions.ts';

const rule = (id: string, action: string, schema: string, table: string) => ({ 'rule-type': 'selection', 'rule-id': id, 'rule-name': `r${id}`, 'rule-action': action, 'object-locator': { 'schema-name': schema, 'table-name': table } });
const task = (rules: unknown[], engine = 'mariadb') => parseTask({
  name: 't', source: { engine, host: 'db.example', port: 3306, user: 'cdc', password: 'cdc', ...(engine === 'postgres' ? { database: 'shopdb' } : {}) }, migrationType: 'full-load', tableMappings: { rules },
});
const listed = [
  { schema: 'shop', table: 'orders' }, { schema: 'shop', table: 'order_items' }, { schema: 'shop', table: 'customers' },
  { schema: 'crm', table: 'contacts' }, { schema: 'shop_archive', table: 'orders' },
];
const FIX = 'correct the selection rules (schema-name is the MySQL/MariaDB database; names are case-sensitive); a task must select at least one existing table, whatever its migrationType';

test('a schema-name typo names the rule and suggests the closest schemas', () => {
  assert.deepEqual(noTablesSelected(task([rule('1', 'include', 'shpo', '%')]), listed), {
    message: 'the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (include schema-name "shpo", table-name "%"): no schema is named like "shpo"; did you mean "shop"?',
    fix: FIX,
  });
  const e = noTablesSelectedError(task([rule('1', 'include', 'Shop', '%')]), listed);
  assert.equal(e.code, 'FERRY_NO_TABLES_SELECTED');
  assert.equal(e.disposition, 'fatal');
  assert.equal(e.message, `the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (include schema-name "Shop", table-name "%"): no schema is named like "Shop"; did you mean "shop"? Fix: ${FIX}`);
});

test('an existing schema without a matching table suggests the closest table names; nothing close lists what exists', () => {
  assert.equal(noTablesSelected(task([rule('1', 'explicit', 'shop', 'order')]), listed).message,
    'the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (explicit schema-name "shop", table-name "order"): schema "shop" has no table named like "order"; did you mean "orders"?');
  assert.equal(noTablesSelected(task([rule('1', 'include', 'zzzzzz', '%'), rule('2', 'include', 'crm', 'xyzxyzxyz')]), listed).message,
    'the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (include schema-name "zzzzzz", table-name "%"): no schema is named like "zzzzzz"; schemas with tables: "crm", "shop", "shop_archive"; '
    + 'rule 2 (include schema-name "crm", table-name "xyzxyzxyz"): schema "crm" has no table named like "xyzxyzxyz"; tables there: "contacts"');
});

test('tables that exist but are all excluded name the exclude rule; an empty catalog says so; PostgreSQL names the database', () => {
  assert.equal(noTablesSelected(task([rule('1', 'include', 'crm', '%'), rule('2', 'exclude', 'crm', 'contacts')]), listed).message,
    'the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (include schema-name "crm", table-name "%"): its 1 table is excluded by rule 2');
  assert.equal(noTablesSelected(task([rule('1', 'include', 'shop', '%')]), []).message,
    'the table mapping selects no table of the mariadb source at db.example:3306: rule 1 (include schema-name "shop", table-name "%"): no schema is named like "shop"; the source user sees no table in any schema');
  assert.equal(noTablesSelected(task([rule('1', 'include', 'pubic', '%')], 'postgres'), [{ schema: 'public', table: 'a' }]).fix,
    'correct the selection rules (schema-name is a PostgreSQL schema of database "shopdb"; names are case-sensitive); a task must select at least one existing table, whatever its migrationType');
});

test('edit distance and the closest names', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.deepEqual(closestNames('shpo', ['shop', 'shop_archive', 'crm', 'ship']), ['ship', 'shop']);
  assert.deepEqual(closestNames('inventory', ['inventroy', 'inventories', 'x']), ['inventroy', 'inventories']);
  assert.deepEqual(closestNames('a', ['zzzz']), []);
});
