// What `ferry serve` gives the console: its built files at / with their content types, caching and CSP, the
// bundle-size budget (docs/console.md), the docs it links to, and the endpoints it uses (GET /whoami, POST /validate
// with YAML and its problem lines, GET /tasks/{name}/history), checked against docs/api/openapi.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { loadTaskFileAsync, type ConfigError } from '../../../src/task-file/load-task.ts';
import { startTaskApiServer } from '../../../src/tasks-api/http-server.ts';
import { CONSOLE_CSP, CONSOLE_DIST } from '../../../src/tasks-api/console-assets.ts';
import { TaskManager } from '../../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../../src/tasks-api/task-store.ts';
import { call, checkResponse } from '../tasks-api/openapi-check.ts';

/** The budget of the console's scripts and styles together, gzip -9 (docs/console.md "Bundle size"). */
export const BUNDLE_BUDGET_GZIP_BYTES = 30 * 1024;

const TOKEN = 'console-unit-token-0123456789';
const log = createLogger({ level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function requireBuild(): void {
  assert.ok(existsSync(join(CONSOLE_DIST, 'index.html')), `the console is not built (${CONSOLE_DIST}): run "npm run build:console" (scripts/bootstrap.sh does when it is missing or stale)`);
}

async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-console-'));
  const store = new SqliteTaskStore({ path: join(dir, 'tasks.db') });
  const manager = await TaskManager.open({ store, log, dataDir: dir, env: {}, secretSources: { envPrefix: 'UNIT_', fileDir: null }, historySampleMs: 100 });
  const server = await startTaskApiServer({ manager, token: TOKEN, host: '127.0.0.1', port: 0, log });
  return { url: server.url, manager, store, close: async () => { await server.close(); await manager.shutdown(); await store.close(); } };
}

test(`console bundle: scripts and styles within the budget of ${BUNDLE_BUDGET_GZIP_BYTES} bytes gzipped`, () => {
  requireBuild();
  const dir = join(CONSOLE_DIST, 'assets');
  const files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f));
  assert.ok(files.some((f) => f.endsWith('.js')) && files.some((f) => f.endsWith('.css')), `no script or stylesheet in ${dir}`);
  const sizes = files.map((f) => [f, gzipSync(readFileSync(join(dir, f)), { level: 9 }).length] as const);
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  assert.ok(total <= BUNDLE_BUDGET_GZIP_BYTES, `the console's bundle is ${total} bytes gzipped, over its budget of ${BUNDLE_BUDGET_GZIP_BYTES} (${sizes.map(([f, s]) => `${f} ${s}`).join(', ')}): make it smaller, or raise the budget in this test and docs/console.md saying why`);
});

test('console files: / and its hashed assets with content types, caching and a CSP; docs; the API unchanged', async () => {
  requireBuild();
  const s = await open();
  try {
    let r = await fetch(`${s.url}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const html = await r.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script: the CSP refuses it');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2, html);
    for (const a of assets) {
      r = await fetch(`${s.url}${a}`);
      assert.equal(r.status, 200, a);
      assert.equal(r.headers.get('content-type'), a.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(Number(r.headers.get('content-length')), readFileSync(join(CONSOLE_DIST, a)).length);
    }
    r = await fetch(`${s.url}/favicon.svg`);
    assert.equal(r.headers.get('content-type'), 'image/svg+xml');
    r = await fetch(`${s.url}/`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '');
    r = await fetch(`${s.url}/assets/index-gone.js`);
    assert.equal(r.status, 404);
    assert.match(await r.text(), /reload the page/);
    // the docs the pages link to; nothing outside docs/
    r = await fetch(`${s.url}/docs/api.md`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await r.text(), readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'api.md'), 'utf8'));
    assert.equal((await fetch(`${s.url}/docs/nosuch.md`)).status, 404);
    assert.equal((await fetch(`${s.url}/docs/..%2Fpackage.json`)).status, 401); // not a doc name: left to the API, which wants a token
    // the API still answers JSON and wants its token
    assert.equal((await call(s.url, null, 'GET', '/tasks')).status, 401);
    assert.equal((await call(s.url, TOKEN, 'GET', '/tasks')).status, 200);
  } finally {
    await s.close();
  }
});

test('GET /whoami, POST /validate (YAML: syntax errors and problems at their lines; JSON), GET /tasks/{name}/history', async () => {
  const s = await open();
  try {
    let r = await call(s.url, TOKEN, 'GET', '/whoami');
    assert.deepEqual(r.body, { name: 'bootstrap', role: 'admin' });

    const yaml = async (path: string, text: string) => {
      const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' }, body: text });
      const body = await res.json() as Record<string, unknown>;
      assert.deepEqual(checkResponse('POST', path, res.status, body), []);
      return { status: res.status, body };
    };
    const doc = ['name: unit_console', 'source:', '  engine: mariadb', '  host: 127.0.0.1', 'migrationType: sometimes', ''].join('\n');
    let v = await yaml('/validate', doc);
    assert.equal(v.status, 200);
    assert.equal(v.body.valid, false);
    // the same paths and messages as `ferry validate` (its loader, run on the same text as a file), each at its line
    const file = join(mkdtempSync(join(tmpdir(), 'ferry-console-yaml-')), 'task.yaml');
    writeFileSync(file, doc);
    const fromCli = await loadTaskFileAsync(file).then(() => [], (e: unknown) => (e as ConfigError).problems.map((p) => ({ path: p.path, message: p.message })));
    assert.equal(fromCli.length, 4);
    assert.deepEqual((v.body.problems as { path: string; message: string }[]).map((p) => ({ path: p.path, message: p.message })), fromCli);
    assert.deepEqual(Object.fromEntries((v.body.problems as { path: string; line: number }[]).map((p) => [p.path, p.line])),
      { 'source.user': 2, 'source.password': 2, migrationType: 5, tableMappings: 1 });
    // a YAML syntax error: at its line, as `ferry validate` words it
    v = await yaml('/validate', 'name: x\nsource: [unclosed\n');
    assert.equal(v.body.valid, false);
    const syntax = (v.body.problems as { path: string; message: string; line: number }[])[0]!;
    assert.equal(syntax.path, '(root)');
    assert.match(syntax.message, /^line \d+, column \d+: /);
    // the same document as JSON: the same problems, without lines
    r = await call(s.url, TOKEN, 'POST', '/validate', { name: 'unit_console', migrationType: 'sometimes' });
    assert.equal(r.body.valid, false);
    assert.ok((r.body.problems as { line: unknown }[]).every((p) => p.line === null));

    // a valid document: its name, engine and type; creating it, then validating it again reports the taken name
    const good = ['name: unit_console', 'migrationType: cdc', 'source: { engine: mariadb, host: 127.0.0.1, port: 1, user: cdc, password: x, database: shop }',
      'tableMappings:', '  rules:', '    - { rule-type: selection, rule-id: "1", rule-name: all, rule-action: include, object-locator: { schema-name: shop, table-name: "%" } }', ''].join('\n');
    v = await yaml('/validate', good);
    assert.deepEqual(v.body, { valid: true, problems: [], task: { name: 'unit_console', engine: 'mariadb', migrationType: 'cdc' } });
    const created = await yaml('/tasks', good);
    assert.equal(created.status, 201);
    v = await yaml('/validate', good);
    assert.deepEqual(v.body.problems, [{ path: 'name', message: 'a task named "unit_console" already exists; choose another name (or delete that task first)', line: 1 }]);
    // a bad create as YAML: 400 with the problems at their lines
    const bad = await yaml('/tasks', doc);
    assert.equal(bad.status, 400);
    assert.equal((bad.body.error as { problems: { path: string; line: number }[] }).problems.find((p) => p.path === 'migrationType')!.line, 5);

    // PUT: a stopped task's definition replaced; a secret left "***" (as GET shows it) keeps its stored value
    const shown = (await call(s.url, TOKEN, 'GET', '/tasks/unit_console')).body.task as { definition: { source: Record<string, unknown> } };
    assert.equal(shown.definition.source.password, '***');
    const edited = good.replace('host: 127.0.0.1', 'host: 127.0.0.2').replace('password: x', 'password: "***"');
    v = await yaml('/validate?task=unit_console', edited);
    assert.deepEqual(v.body, { valid: true, problems: [], task: { name: 'unit_console', engine: 'mariadb', migrationType: 'cdc' } });
    const put = await fetch(`${s.url}/tasks/unit_console`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' }, body: edited });
    const putBody = await put.json() as Record<string, unknown>;
    assert.equal(put.status, 200, JSON.stringify(putBody));
    assert.deepEqual(checkResponse('PUT', '/tasks/unit_console', 200, putBody), []);
    const stored = (await s.store.list()).find((x) => x.name === 'unit_console')!.definition as { source: { host: string; password: string } };
    assert.deepEqual([stored.source.host, stored.source.password], ['127.0.0.2', 'x']);
    // the name cannot change; an unknown task is a 404
    const renamed = await fetch(`${s.url}/tasks/unit_console`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' }, body: edited.replace('name: unit_console', 'name: other') });
    const renamedBody = await renamed.json() as { error: { code: string; problems: { path: string; line: number }[] } };
    assert.equal(renamed.status, 400);
    assert.deepEqual(renamedBody.error.problems.map((p) => [p.path, p.line]), [['name', 1]]);
    assert.equal((await call(s.url, TOKEN, 'PUT', '/tasks/nosuch', { name: 'nosuch' })).status, 404);
    assert.equal((await call(s.url, TOKEN, 'POST', '/validate?task=nosuch', { name: 'nosuch' })).status, 404);

    // history: samples every 100 ms here (5 s by default), a stopped task's latencies null, 0 events/s
    await new Promise((res) => setTimeout(res, 350));
    r = await call(s.url, TOKEN, 'GET', '/tasks/unit_console/history');
    const h = r.body as { sampleMs: number; samples: { state: string; sourceLatencyMs: null; eventsPerSecond: number | null; eventsTotal: number }[]; events: { state: string; reason: string }[] };
    assert.equal(h.sampleMs, 100);
    assert.ok(h.samples.length >= 2, JSON.stringify(h));
    assert.ok(h.samples.every((x) => x.state === 'stopped' && x.sourceLatencyMs === null && x.eventsTotal === 0));
    assert.equal(h.samples.at(-1)!.eventsPerSecond, 0);
    r = await call(s.url, TOKEN, 'GET', '/tasks/unit_console/status');
    assert.equal(r.body.eventsPerSecond, 0);
    assert.equal((await call(s.url, TOKEN, 'GET', '/tasks/nosuch/history')).status, 404);
  } finally {
    await s.close();
  }
});
