// The table statistics page with hundreds of tables (a full-load task of 250 tables on the local MariaDB, written
// to a local CSV folder):
// the count, the first 200 rows, every shown row equal to the API, sorting and filtering, and the page still
// answering within a poll while it refreshes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, services, uniqueName } from '../helpers/services.ts';
import { assertAccessible, DESKTOP, eventually, launchChromium, shownInt, startServe, stopServe } from '../helpers/console-browser.ts';

const TOKEN = `console-many-${Math.random().toString(36).slice(2)}-0123456789`;
const TABLES = 250;

test(`console: table statistics of ${TABLES} tables, sorted and filtered, equal to the API`, { timeout: 240000 }, async (t) => {
  const db = uniqueName('console_many');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
  await admin.query(`CREATE DATABASE ${db}`);
  const ddl: string[] = [];
  for (let i = 1; i <= TABLES; i++) ddl.push(`CREATE TABLE ${db}.t${String(i).padStart(3, '0')} (id INT PRIMARY KEY); INSERT INTO ${db}.t${String(i).padStart(3, '0')} VALUES ${Array.from({ length: (i % 7) + 1 }, (_, k) => `(${k + 1})`).join(',')};`);
  await admin.query(ddl.join('\n'));
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-console-many-'));
  const server = await startServe(stateDir, await freePort(), { FERRY_API_TOKEN: TOKEN, FERRY_SECRET_CONSOLE_PW: 'cdc' });
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await stopServe(server.p);
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.end();
  });
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return await r.json() as T;
  };
  await api('POST', '/tasks?start=true', {
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: '${env:FERRY_SECRET_CONSOLE_PW}' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    // direct mode into a local CSV folder: no Kafka topic or registry subject per table
    targets: [{ type: 'csv', name: 'lake', location: join(stateDir, 'lake') }],
    settings: { stateDir: join(stateDir, db), offsetStore: 'sqlite' },
  });
  type Stat = { tableName: string; fullLoadRows: number; tableState: string };
  const stats = await eventually('the full load of every table', async () => {
    const s = await api<{ status: string; tables: Stat[] }>('GET', `/tasks/${db}/stats`);
    return s.status === 'stopped' && s.tables.length === TABLES && s.tables.every((x) => x.tableState === 'Table completed') ? s.tables : undefined;
  }, 180000);
  assert.equal(stats.reduce((n, x) => n + x.fullLoadRows, 0), Array.from({ length: TABLES }, (_, i) => (i + 1) % 7 + 1).reduce((a, b) => a + b, 0));

  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  await page.goto(server.url);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: db }).click();
  await page.getByText(`${TABLES} tables, first 200 shown`).waitFor({ timeout: 15000 });
  const rows = page.locator('tr[data-table]');
  assert.equal(await rows.count(), 200);
  const byName = new Map(stats.map((x) => [`${db}.${x.tableName}`, x]));
  const shown = await rows.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-table'), r.querySelector('[data-field="fullLoadRows"]')?.textContent ?? '']));
  for (const [name, rowsText] of shown) assert.equal(shownInt(rowsText!), byName.get(name!)!.fullLoadRows, name!);
  assert.deepEqual(shown.map(([n]) => n), [...byName.keys()].sort().slice(0, 200));
  // sorted by full-load rows (largest first, then by name), and filtered
  const started = Date.now();
  await page.getByRole('button', { name: 'Full-load rows' }).click();
  const expected = [...stats].sort((a, b) => b.fullLoadRows - a.fullLoadRows || a.tableName.localeCompare(b.tableName)).slice(0, 200).map((x) => `${db}.${x.tableName}`);
  assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-table'))), expected);
  await page.getByLabel('Filter tables').fill('.t24');
  const filtered = stats.filter((x) => x.tableName.startsWith('t24')).sort((a, b) => b.fullLoadRows - a.fullLoadRows || a.tableName.localeCompare(b.tableName)).map((x) => `${db}.${x.tableName}`);
  assert.equal(filtered.length, 10); // t240 … t249
  assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-table'))), filtered);
  assert.equal(await page.locator('.filters [role="status"]').textContent(), `${filtered.length} of ${TABLES} tables`);
  assert.ok(Date.now() - started < 5000, `sorting and filtering ${TABLES} tables took ${Date.now() - started} ms`);
  await page.getByLabel('Filter tables').fill('');
  await assertAccessible(page, `task page with ${TABLES} tables`);
});
