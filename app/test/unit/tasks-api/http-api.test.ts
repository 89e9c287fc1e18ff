// The task REST API without a database: auth, bad payloads, 404/405/409, create/get/list/delete, masking, durability
// of definitions in the SQLite task store. Every response is checked against docs/api/openapi.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { startTaskApiServer } from '../../../src/tasks-api/http-server.ts';
import { TaskManager } from '../../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../../src/tasks-api/task-store.ts';
import { call } from './openapi-check.ts';

const TOKEN = 'unit-test-token-0123456789';
const lines: string[] = [];
const log = createLogger({ level: 'debug', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });

const validTask = (name: string, password = '${env:UNIT_SRC_PW}') => ({
  name, migrationType: 'cdc',
  source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password, database: 'shop' },
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
  settings: { offsetStore: 'sqlite' },
});

async function open(dir: string) {
  const store = new SqliteTaskStore({ path: join(dir, 'tasks.db') });
  const manager = await TaskManager.open({ store, log, dataDir: dir, env: { UNIT_SRC_PW: 'from-the-env-secret' }, secretSources: { envPrefix: 'UNIT_', fileDir: null } });
  const server = await startTaskApiServer({ manager, token: TOKEN, host: '127.0.0.1', port: 0, log });
  return { url: server.url, close: async () => { await server.close(); await manager.shutdown(); await store.close(); } };
}

test('task API: auth, validation, 404/405/409, create/get/list/delete, secrets masked, definitions survive a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-api-'));
  let api = await open(dir);
  try {
    // authentication
    let r = await call(api.url, null, 'GET', '/tasks');
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'unauthorized');
    r = await call(api.url, 'wrong-token-wrong-token', 'GET', '/tasks');
    assert.equal(r.status, 401);
    assert.match(r.body.error!.message, /wrong/);
    const raw = await fetch(`${api.url}/tasks`, { headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(raw.status, 401);
    assert.equal(raw.headers.get('www-authenticate'), 'Bearer realm="ferry"');
    assert.equal((await fetch(`${api.url}/healthz`)).status, 200);

    // bad payloads
    r = await call(api.url, TOKEN, 'POST', '/tasks', '{not json');
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'bad_request');
    r = await call(api.url, TOKEN, 'POST', '/tasks', { name: 'bad', source: { engine: 'oracle', host: '' }, migrationType: 'sometimes' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'invalid_task');
    const problems = r.body.error!.problems!;
    assert.deepEqual(problems, [
      { path: 'source.engine', message: 'expected one of mysql, mariadb, postgres, found "oracle"' },
      { path: 'source.host', message: 'expected a non-empty string, found ""' },
      { path: 'source.user', message: 'required field is missing (expected a non-empty string)' },
      { path: 'source.password', message: 'required field is missing (expected a non-empty string)' },
      { path: 'migrationType', message: 'expected one of full-load, cdc, full-load-and-cdc, found "sometimes"' },
      { path: 'tableMappings', message: 'required field is missing (expected a mapping (key: value))' },
    ]);
    r = await call(api.url, TOKEN, 'POST', '/tasks', { ...validTask('x'), source: { ...validTask('x').source, password: '${env:NOT_SET_ANYWHERE}' } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error!.problems!.map((p) => p.path), ['source.password']);

    // create, list, get (a literal password is masked; a reference is kept), conflicts
    r = await call(api.url, TOKEN, 'POST', '/tasks', validTask('orders'));
    assert.equal(r.status, 201);
    const task = r.body.task as { name: string; status: string; definition: { source: { password: string } } };
    assert.equal(task.status, 'stopped');
    assert.equal(task.definition.source.password, '${env:UNIT_SRC_PW}');
    r = await call(api.url, TOKEN, 'POST', '/tasks', validTask('literal', 'a-literal-password-1'));
    assert.equal(r.status, 201);
    r = await call(api.url, TOKEN, 'GET', '/tasks/literal');
    assert.equal((r.body.task as { definition: { source: { password: string } } }).definition.source.password, '***');
    r = await call(api.url, TOKEN, 'POST', '/tasks', validTask('orders'));
    assert.equal(r.status, 409);
    r = await call(api.url, TOKEN, 'GET', '/tasks');
    assert.deepEqual((r.body.tasks as { name: string }[]).map((t) => t.name), ['literal', 'orders']);
    r = await call(api.url, TOKEN, 'POST', '/tasks/orders/stop');
    assert.equal(r.status, 409);
    r = await call(api.url, TOKEN, 'POST', '/tasks/orders/reload-table', { tables: ['shop.a'] });
    assert.equal(r.status, 409);
    r = await call(api.url, TOKEN, 'POST', '/tasks/orders/reload-table', { tables: 'shop.a' });
    assert.equal(r.status, 400);
    r = await call(api.url, TOKEN, 'GET', '/tasks/orders/stats');
    assert.deepEqual(r.body.tables, []);
    r = await call(api.url, TOKEN, 'GET', '/tasks/orders/status');
    assert.equal(r.body.status, 'stopped');

    // tables of a stopped task: the selection is edited
    r = await call(api.url, TOKEN, 'DELETE', '/tasks/orders/tables', { tables: ['shop.audit'] });
    assert.equal(r.status, 200);
    r = await call(api.url, TOKEN, 'DELETE', '/tasks/orders/tables', { tables: ['other.t'] });
    assert.equal(r.status, 400);
    assert.match(r.body.error!.message, /not selected/);
    r = await call(api.url, TOKEN, 'POST', '/tasks/orders/tables', { tables: ['other.t'] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.added, ['other.t']);

    // unknown task, unknown endpoint, wrong method
    for (const [m, p] of [['GET', '/tasks/nope'], ['DELETE', '/tasks/nope'], ['POST', '/tasks/nope/start'], ['GET', '/tasks/nope/stats'], ['GET', '/tasks/nope/status'], ['POST', '/tasks/nope/reload-table']] as const) {
      r = await call(api.url, TOKEN, m, p, m === 'POST' && p.endsWith('reload-table') ? { tables: ['a.b'] } : undefined);
      assert.equal(r.status, 404, `${m} ${p}`);
      assert.equal(r.body.error?.code, 'not_found');
    }
    const wrong = await fetch(`${api.url}/tasks/orders/start`, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(wrong.status, 405);

    // restart: the definitions are still there
    await api.close();
    api = await open(dir);
    r = await call(api.url, TOKEN, 'GET', '/tasks/orders');
    const rules = ((r.body.task as { definition: { tableMappings: { rules: { 'rule-name': string }[] } } }).definition.tableMappings.rules).map((x) => x['rule-name']);
    assert.deepEqual(rules, ['all', 'ferry-api-remove:shop.audit', 'ferry-api-add:other.t']);
    r = await call(api.url, TOKEN, 'DELETE', '/tasks/orders');
    assert.equal(r.status, 200);
    r = await call(api.url, TOKEN, 'GET', '/tasks/orders');
    assert.equal(r.status, 404);
    // the token never reaches the log
    assert.ok(lines.length > 5);
    assert.ok(!lines.some((l) => l.includes(TOKEN)), 'token in the log');
    assert.ok(!lines.some((l) => l.includes('a-literal-password-1')), 'password in the log');
  } finally {
    await api.close();
  }
});
