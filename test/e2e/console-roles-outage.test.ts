// The console in Debian's Chromium against a real `ferry serve`: a viewer sees no button that would fail (and an
// operator no admin button), the pages pass axe-core, and a server that goes away shows a banner over the last data
// (never a blank page), then recovers by itself when the server is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, services, uniqueName } from '../helpers/services.ts';
import { assertAccessible, DESKTOP, eventually, launchChromium, PHONE, screenshot, startServe, stopServe } from '../helpers/console-browser.ts';
import type { Page } from 'playwright-core';

const TOKEN = `console-admin-${Math.random().toString(36).slice(2)}-0123456789`;

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
}

test('console: viewer and operator see only what their role may do; server gone → banner over the last data → recovery', { timeout: 120000 }, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-console-roles-'));
  const port = await freePort();
  let server = await startServe(stateDir, port, { FERRY_API_TOKEN: TOKEN });
  const browser = await launchChromium();
  t.after(async () => { await browser.close(); await stopServe(server.p); });
  const api = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  };
  // A stopped task (never started: no database needed) and a token per role.
  const name = uniqueName('console_roles');
  const created = await api('POST', '/tasks', {
    name, migrationType: 'full-load-and-cdc',
    source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password: 'x', database: name },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: 'http://127.0.0.1:1/apis/ccompat/v7', topicPrefix: name },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const tokens: Record<string, string> = {};
  for (const role of ['viewer', 'operator'] as const) {
    const r = await api('POST', '/tokens', { name: `console-${role}`, role });
    assert.equal(r.status, 201);
    tokens[role] = r.body.token as string;
  }

  // viewer: the task and its figures, no action anywhere, no admin page in the navigation
  const viewer = await browser.newContext({ viewport: DESKTOP });
  let page = await viewer.newPage();
  await signIn(page, server.url, tokens.viewer!);
  const row = page.locator(`tr[data-task="${name}"]`);
  await row.waitFor();
  assert.equal(await page.getByTestId('who').textContent(), 'console-viewer viewer');
  assert.equal(await page.locator('main button').count(), 0, 'a viewer sees no button on the tasks page');
  assert.equal(await page.getByRole('link', { name: 'New task' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
  await assertAccessible(page, 'tasks page (viewer)');
  await row.getByRole('link', { name }).click();
  await page.getByRole('heading', { name: 'Table statistics' }).waitFor();
  assert.deepEqual(await page.locator('main button:not(.sort)').allTextContents(), [], 'a viewer sees no action button on the task page (only the sort headers)');
  await assertAccessible(page, 'task page (viewer)');
  await screenshot(page, 'task-viewer-desktop');
  await viewer.close();

  // operator: start/resume and stop, never delete, copy or create
  const operator = await browser.newContext({ viewport: PHONE });
  page = await operator.newPage();
  await signIn(page, server.url, tokens.operator!);
  await page.locator(`tr[data-task="${name}"]`).waitFor();
  assert.deepEqual(await page.locator(`tr[data-task="${name}"] button`).allTextContents(), ['Start']);
  assert.equal(await page.getByRole('link', { name: 'New task' }).count(), 0);
  await assertAccessible(page, 'tasks page (operator, phone)');
  await operator.close();

  // admin: every action; then the server goes away and comes back
  const admin = await browser.newContext({ viewport: DESKTOP });
  page = await admin.newPage();
  await signIn(page, server.url, TOKEN);
  await page.locator(`tr[data-task="${name}"]`).waitFor();
  assert.deepEqual(await page.locator(`tr[data-task="${name}"] button`).allTextContents(), ['Start', 'Delete']);
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'New task' }).count(), 1);
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).count(), 1);

  // a task that fails (a wrong password on the local MariaDB): its error on the task page with the code, what the
  // code means and its disposition, as GET /tasks/{name}/history has them
  const failing = uniqueName('console_fail');
  const c = await api('POST', '/tasks', {
    name: failing, migrationType: 'cdc',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'not-the-password' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': failing, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: failing },
    settings: { stateDir: join(stateDir, failing) },
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  await page.locator(`tr[data-task="${failing}"]`).getByRole('button', { name: `Start task ${failing}` }).click();
  await page.locator(`tr[data-task="${failing}"] .state`, { hasText: 'failed' }).waitFor({ timeout: 30000 });
  await page.locator(`tr[data-task="${failing}"]`).getByRole('link', { name: failing }).click();
  const item = page.locator('li.error-item').first();
  await item.waitFor();
  const history = (await api('GET', `/tasks/${failing}/history`)).body as { events: { state: string; reason: string; code: string | null; meaning: string | null; disposition: string | null }[] };
  const failure = history.events.filter((e) => e.state === 'failed').at(-1)!;
  assert.equal(failure.code, 'FERRY_SOURCE_AUTH', JSON.stringify(failure));
  assert.equal(await item.locator('strong').textContent(), failure.code);
  assert.equal(await item.locator('p').first().textContent(), failure.reason);
  assert.equal(await item.locator('p').nth(1).textContent(), `${failure.meaning} Fix the cause, then resume the task.`);
  assert.match((await item.locator('span.muted').textContent())!, / · fatal$/);
  await assertAccessible(page, 'task page with an error');
  await screenshot(page, 'task-error-desktop');
  await page.getByRole('navigation').getByRole('link', { name: 'Tasks' }).click();
  await page.locator(`tr[data-task="${name}"]`).waitFor();

  await stopServe(server.p);
  const banner = page.getByTestId('server-gone');
  await banner.waitFor({ timeout: 10000 });
  assert.match((await banner.textContent())!, /is not answering/);
  assert.equal(await page.locator(`tr[data-task="${name}"]`).count(), 1, 'the last data stays on the page');
  await assertAccessible(page, 'tasks page with the server-gone banner');
  await screenshot(page, 'server-gone-desktop');
  server = await startServe(stateDir, port, { FERRY_API_TOKEN: TOKEN });
  await page.getByTestId('server-back').waitFor({ timeout: 10000 });
  assert.equal(await banner.count(), 0);
  await eventually('the task row after recovery', async () => (await page.locator(`tr[data-task="${name}"]`).count()) === 1 ? true : undefined);
  // the session survives the outage: still signed in, actions still offered
  assert.deepEqual(await page.locator(`tr[data-task="${name}"] button`).allTextContents(), ['Start', 'Delete']);
  await admin.close();
});
