// `ferry validate` on settings.signals (docs/signals.md): a missing signal table, one without Debezium's columns, a
// PostgreSQL one the source could not capture, and a good one; the kafka channel without a kafka block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ConfigError, parseTask } from '../../src/task-file/load-task.ts';
import { checkSignalTable } from '../../src/checks/signal-table-check.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const mapping = (schema: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'x', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': 'items' } }] });

test('signals.table on MariaDB: missing, lacking columns, good', { timeout: 60000 }, async (t) => {
  const db = uniqueName('signals_check');
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await c.query(`DROP DATABASE IF EXISTS ${db}`); await c.end(); });
  await c.query(`CREATE DATABASE ${db}`);
  const task = (table: string) => parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc', tableMappings: mapping(db),
    settings: { signals: { dataCollection: `${db}.${table}` } },
  });
  assert.deepEqual(await checkSignalTable(task('debezium_signal')), {
    check: 'signals.table', status: 'fail', code: 'FERRY_CONFIG_INVALID',
    message: `the signal table ${db}.debezium_signal (settings.signals.dataCollection) does not exist on the source`,
    fix: `create it with Debezium's layout: CREATE TABLE \`${db}\`.\`debezium_signal\` (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`,
  });
  await c.query(`CREATE TABLE ${db}.half_signal (id VARCHAR(42) PRIMARY KEY, kind VARCHAR(32))`);
  const half = await checkSignalTable(task('half_signal'));
  assert.equal(half?.status, 'fail');
  assert.equal(half?.message, `the signal table ${db}.half_signal lacks the columns type, data (Debezium's layout is id, type, data)`);
  await c.query(`CREATE TABLE ${db}.debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`);
  assert.deepEqual(await checkSignalTable(task('debezium_signal')), { check: 'signals.table', status: 'ok', message: `signal table ${db}.debezium_signal has the columns id, type, data` });
  // no signal table configured: no check
  assert.equal(await checkSignalTable(parseTask({ name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc', tableMappings: mapping(db) })), null);
});

test('signals.table on PostgreSQL: the table is checked as a captured table', { timeout: 60000 }, async (t) => {
  const schema = uniqueName('signals_check');
  const c = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await c.connect();
  t.after(async () => { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); await c.end(); });
  await c.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
  await c.query(`CREATE TABLE ${schema}.debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`);
  const task = parseTask({
    name: schema, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'cdc', tableMappings: mapping(schema),
    settings: { signals: { dataCollection: `${schema}.debezium_signal` } },
  });
  const r = await checkSignalTable(task);
  assert.equal(r?.status, 'ok', JSON.stringify(r));
});

test('the kafka channel needs a kafka block', () => {
  assert.throws(() => parseTask({
    name: 'signals_nokafka', source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc', tableMappings: mapping('x'),
    settings: { signals: { enabledChannels: ['source', 'kafka'] } },
  }), (e: unknown) => e instanceof ConfigError && /settings\.signals\.enabledChannels.*lists "kafka" \(the signal topic\), but the task has no kafka block; add one or remove "kafka"/s.test(String((e as Error).message)));
});
