// The console's report pages in Debian's Chromium against a real `ferry serve`, a MariaDB source and a PostgreSQL
// target: an operator runs the assessment from its page and sees every finding grouped by severity and category as
// GET /tasks/{name}/assessment has it; a viewer sees no Run button, the schema conversion per table (summary, column
// types, items to review) as GET /tasks/{name}/schema-conversion has it, and after a full load, target rows changed
// and `ferry validate-data` run, the validation failures (all, then filtered by table) as
// GET /tasks/{name}/validation-failures has them. axe-core on each page at phone and desktop sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { freePort, services, uniqueName } from '../helpers/services.ts';
import { ROOT, sleep } from '../helpers/ferry-process.ts';
import { assertAccessible, DESKTOP, eventually, launchChromium, PHONE, screenshot, startServe, stopServe } from '../helpers/console-browser.ts';

const TOKEN = `console-reports-${Math.random().toString(36).slice(2)}-0123456789`;
const PG = { ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' };

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
}

/** axe at both sizes, the page's screenshot at each. */
async function accessibleAtBothSizes(page: Page, what: string, shot: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await assertAccessible(page, `${what} (desktop)`);
  await screenshot(page, `${shot}-desktop`);
  await page.setViewportSize(PHONE);
  await assertAccessible(page, `${what} (phone)`);
  await screenshot(page, `${shot}-phone`);
  await page.setViewportSize(DESKTOP);
}

const shownTime = (iso: string): string => new Date(iso).toLocaleString('en-GB', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const squash = (s: string | null): string => (s ?? '').replace(/\s+/g, ' ').trim();

interface Finding { code: string; severity: string; category: string; objects: { table?: string; column?: string; target?: string }[]; message: string; fix?: string }

test('console report pages: assessment (run by an operator), schema conversion and validation failures equal the API', { timeout: 240_000 }, async (t) => {
  const db = uniqueName('console_rpt');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await my.query(`CREATE DATABASE ${db}`);
  await my.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2), ref VARCHAR(36) DEFAULT uuid())`);
  await my.query(`CREATE TABLE ${db}.orders (id BIGINT PRIMARY KEY, item INT NOT NULL, qty INT NOT NULL, KEY by_item (item))`);
  await my.query(`INSERT INTO ${db}.items (id, name, price) VALUES ${Array.from({ length: 40 }, (_, i) => `(${i + 1}, 'item ${i + 1}', ${i}.5)`).join(',')}`);
  await my.query(`CREATE TABLE ${db}.notes (x INT, note TEXT)`); // no key: an assessment warning
  await my.query(`INSERT INTO ${db}.notes VALUES (1, 'a'), (2, 'b')`);
  await my.query(`INSERT INTO ${db}.orders VALUES ${Array.from({ length: 25 }, (_, i) => `(${i + 1}, ${i + 1}, ${i})`).join(',')}`);
  const pgc = new pg.Client(PG);
  await pgc.connect();
  const targetUser = { user: `${db}_u`, password: `pw-${Math.random().toString(36).slice(2)}-x` };
  await pgc.query(`CREATE ROLE "${targetUser.user}" LOGIN PASSWORD '${targetUser.password}'`);
  await pgc.query(`GRANT CREATE ON DATABASE shop TO "${targetUser.user}"`);
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-console-reports-'));
  const server = await startServe(stateDir, await freePort(), { FERRY_API_TOKEN: TOKEN });
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await stopServe(server.p);
    await my.query(`DROP DATABASE ${db}`);
    await my.end();
    await pgc.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await pgc.query(`DROP OWNED BY "${targetUser.user}"`);
    await pgc.query(`DROP ROLE "${targetUser.user}"`);
    await pgc.end();
  });
  const api = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  };
  const definition = {
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', host: PG.host, port: PG.port, ...targetUser, database: PG.database, stateSchema: db }],
    settings: { stateDir: join(stateDir, db), offsetStore: 'sqlite', metrics: { enabled: false } },
  };
  assert.equal((await api('POST', '/tasks', definition)).status, 201);
  const tokens: Record<string, string> = {};
  for (const role of ['viewer', 'operator'] as const) tokens[role] = (await api('POST', '/tokens', { name: `reports-${role}`, role })).body.token as string;
  const enc = encodeURIComponent(db);

  // Operator: the task page links to the reports; no assessment yet; Run assessment with a rate.
  const operator = await browser.newContext({ viewport: DESKTOP });
  let page = await operator.newPage();
  await signIn(page, server.url, tokens.operator!);
  await page.goto(`${server.url}/#/tasks/${enc}`);
  await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Assessment' }).click();
  await page.getByTestId('no-assessment').waitFor();
  await page.getByLabel('Rows/s for the estimate').fill('1000');
  await page.getByRole('button', { name: 'Run assessment' }).click();
  await page.locator('[data-field="errors"]').waitFor({ timeout: 60_000 });
  const stored = (await api('GET', `/tasks/${enc}/assessment`, undefined, tokens.viewer)).body as { report: { ok: boolean; summary: { errors: number; warnings: number; infos: number }; findings: Finding[]; estimate: { rows: number; rowsPerSecond: number } }; requestedBy: string };
  assert.equal(stored.requestedBy, 'reports-operator');
  assert.equal(stored.report.estimate.rowsPerSecond, 1000);
  assert.equal(await page.locator('[data-field="errors"]').textContent(), String(stored.report.summary.errors));
  assert.equal(await page.locator('[data-field="warnings"]').textContent(), String(stored.report.summary.warnings));
  assert.equal(await page.locator('[data-field="infos"]').textContent(), String(stored.report.summary.infos));
  assert.equal(await page.locator('[data-field="ok"]').textContent(), stored.report.ok ? 'No errors' : 'Errors found');
  assert.match(squash(await page.locator('[data-field="estimate"]').textContent()), new RegExp(`^${stored.report.estimate.rows} rows`));
  // Every finding, in severity then category groups, with its code, message, objects and fix.
  const expected: string[] = [];
  for (const sev of ['error', 'warning', 'info']) {
    const list = stored.report.findings.filter((f) => f.severity === sev);
    for (const c of [...new Set(list.map((f) => f.category))]) for (const f of list.filter((x) => x.category === c)) expected.push(`${sev}/${c}/${f.code}`);
  }
  assert.ok(stored.report.findings.some((f) => f.severity === 'warning' && f.objects.some((o) => o.table === `${db}.notes`)), 'the table without a key is a warning');
  const shown = await page.locator('li.finding').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-severity')}/${e.getAttribute('data-category')}/${e.getAttribute('data-code')}`));
  assert.deepEqual(shown, expected);
  const ordered = ['error', 'warning', 'info'].flatMap((sev) => { const l = stored.report.findings.filter((f) => f.severity === sev); return [...new Set(l.map((f) => f.category))].flatMap((c) => l.filter((f) => f.category === c)); });
  const texts = await page.locator('li.finding').allTextContents();
  ordered.forEach((f, i) => {
    const text = squash(texts[i]!);
    assert.ok(text.startsWith(`${f.code} ${squash(f.message)}`), `finding ${i}: ${text}`);
    for (const o of f.objects) if (o.table) assert.ok(text.includes(o.table), `finding ${f.code} names ${o.table}`);
    if (f.fix) assert.ok(text.endsWith(`Fix: ${squash(f.fix)}`), `finding ${f.code}'s fix`);
  });
  for (const [sev, title] of [['error', 'Errors'], ['warning', 'Warnings'], ['info', 'Information']] as const) {
    const n = stored.report.findings.filter((f) => f.severity === sev).length;
    assert.equal(await page.getByRole('heading', { name: `${title} (${n})`, level: 2 }).count(), n > 0 ? 1 : 0);
  }
  await accessibleAtBothSizes(page, 'assessment page (operator)', 'assessment');
  await operator.close();

  // A full load, rows changed in the target, `ferry validate-data` as the validation tests run it.
  assert.equal((await api('POST', `/tasks/${enc}/start`)).status, 200);
  await eventually('the full load', async () => {
    const s = (await api('GET', `/tasks/${enc}/stats`)).body as { status: string; tables: { tableState: string }[] };
    return s.tables.length === 3 && s.tables.every((x) => x.tableState === 'Table completed') && s.status !== 'running' ? true : undefined;
  }, 90_000);
  await pgc.query(`UPDATE "${db}".items SET name = 'changed' WHERE id = 4`);
  await pgc.query(`DELETE FROM "${db}".items WHERE id = 9`);
  await pgc.query(`UPDATE "${db}".orders SET qty = 1000, item = 2 WHERE id = 6`);
  const file = join(stateDir, 'task.json');
  writeFileSync(file, JSON.stringify(definition));
  const v = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate-data', file, '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(v.status, 4, v.stderr.slice(-600));

  // Viewer: no Run button; the schema conversion and the failures equal the API.
  const viewer = await browser.newContext({ viewport: DESKTOP });
  page = await viewer.newPage();
  await signIn(page, server.url, tokens.viewer!);
  await page.goto(`${server.url}/#/tasks/${enc}/assessment`);
  await page.locator('[data-field="errors"]').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Run assessment' }).count(), 0);
  assert.equal(await page.locator('li.finding').count(), stored.report.findings.length);

  await page.goto(`${server.url}/#/tasks/${enc}/schema-conversion`);
  await page.locator('section[data-target="pg"]').waitFor();
  const conv = (await api('GET', `/tasks/${enc}/schema-conversion`, undefined, tokens.viewer)).body as { targets: { name: string; summary: { kind: string; total: number; auto: number; warning: number; manual: number }[]; tables: { source: string; target: string; ddl: string[]; columns: { column: string; sourceType: string; targetType: string; outcome: string; reason?: string }[]; issues: { kind: string; object: string; outcome: string }[] }[]; other: unknown[] }[] };
  const target = conv.targets[0]!;
  const summaryRows = await page.locator('section[data-target="pg"] table.summary tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent)));
  assert.deepEqual(summaryRows, target.summary.map((s) => [s.kind, String(s.total), String(s.auto), String(s.warning), String(s.manual)]));
  assert.equal(await page.locator('section[data-table]').count(), target.tables.length);
  for (const table of target.tables) {
    const sec = page.locator(`section[data-table="${table.source}"]`);
    assert.equal(squash(await sec.locator('h3').textContent()), `${table.source} → ${table.target}${table.issues.length ? ` ${table.issues.length} to review` : ''}`);
    const cols = await sec.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent)));
    assert.deepEqual(cols, table.columns.map((c) => [c.column, c.sourceType, c.targetType, c.outcome === 'auto' ? 'converted' : `${c.outcome}: ${c.reason ?? ''}`]));
    assert.deepEqual(await sec.locator('li.finding').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-object')} ${e.getAttribute('data-outcome')}`)), table.issues.map((i) => `${i.object} ${i.outcome}`));
    assert.equal(await sec.locator('pre.ddl').textContent(), table.ddl.map((s) => `${s};`).join('\n\n'));
  }
  const items = target.tables.find((x) => x.source === `${db}.items`)!;
  assert.ok(items.issues.some((i) => i.kind === 'default' && i.object === `${db}.items.ref` && i.outcome === 'warning'), 'uuid() default: a warning to review');
  await page.getByLabel('Only tables to review').check();
  assert.equal(await page.locator('section[data-table]').count(), target.tables.filter((x) => x.issues.length > 0).length);
  await page.getByLabel('Only tables to review').uncheck();
  await accessibleAtBothSizes(page, 'schema-conversion page (viewer)', 'schema-conversion');

  await page.goto(`${server.url}/#/tasks/${enc}/validation-failures`);
  await page.locator('table.failures').waitFor();
  type Failure = { cursor: string; sourceTable: string; key: Record<string, string>; failureType: string; columns: string[]; target: string; targetTable: string; detectedAt: string; values: Record<string, { source: string | null; target: string | null }> };
  const rowsOf = async () => page.locator('table.failures tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-cursor'), ...[...r.querySelectorAll('[data-field]')].map((c) => c.textContent)]));
  const expectedRows = (list: Failure[]) => list.map((f) => [f.cursor, f.sourceTable, Object.entries(f.key).map(([k, x]) => `${k}=${x}`).join(', '),
    `${f.failureType} ${{ RECORD_DIFF: 'values differ', MISSING_TARGET: 'missing in the target', MISSING_SOURCE: 'missing in the source' }[f.failureType]}`,
    f.columns.length ? f.columns.join(', ') : '—',
    Object.entries(f.values).map(([c, v]) => (f.failureType === 'RECORD_DIFF' ? `${c}: ${v.source ?? 'NULL'} → ${v.target ?? 'NULL'}` : `${c}: ${(f.failureType === 'MISSING_TARGET' ? v.source : v.target) ?? 'NULL'}`)).join(''),
    `${f.target}: ${f.targetTable}`, shownTime(f.detectedAt)]);
  const all = (await api('GET', `/tasks/${enc}/validation-failures?values=true`, undefined, tokens.viewer)).body as { failures: Failure[] };
  const byKey = Object.fromEntries(all.failures.map((f) => [`${f.sourceTable.split('.')[1]} ${JSON.stringify(f.key)}`, f.values]));
  assert.deepEqual(byKey['items {"id":"4"}'], { name: { source: 'item 4', target: 'changed' } });
  assert.deepEqual(byKey['orders {"id":"6"}'], { item: { source: '6', target: '2' }, qty: { source: '5', target: '1000' } });
  const [[ref9]] = await my.query(`SELECT ref FROM ${db}.items WHERE id = 9`) as unknown as [[{ ref: string }]];
  assert.deepEqual(byKey['items {"id":"9"}'], { name: { source: 'item 9', target: null }, price: { source: '8.50', target: null }, ref: { source: ref9.ref, target: null } });
  assert.deepEqual(all.failures.map((f) => `${f.sourceTable} ${f.failureType} ${JSON.stringify(f.key)} ${f.columns.join(',')}`).sort(),
    [`${db}.items MISSING_TARGET {"id":"9"} `, `${db}.items RECORD_DIFF {"id":"4"} name`, `${db}.orders RECORD_DIFF {"id":"6"} item,qty`]);
  assert.deepEqual(await rowsOf(), expectedRows(all.failures));
  assert.equal(squash(await page.locator('li[data-target="pg"]').textContent()), `Target pg: ${db}.ferry_validation_failures`);
  await page.getByLabel('Table', { exact: true }).selectOption(`${db}.orders`);
  const orders = (await api('GET', `/tasks/${enc}/validation-failures?values=true&table=${db}.orders`, undefined, tokens.viewer)).body as { failures: Failure[] };
  assert.equal(orders.failures.length, 1);
  await eventually('the filtered failures', async () => (JSON.stringify(await rowsOf()) === JSON.stringify(expectedRows(orders.failures)) ? true : undefined), 10_000);
  await page.getByLabel('Table', { exact: true }).selectOption('');
  await eventually('all failures again', async () => ((await rowsOf()).length === 3 ? true : undefined), 10_000);
  await accessibleAtBothSizes(page, 'validation-failures page (viewer)', 'validation-failures');
  await viewer.close();
  await sleep(0);
});
