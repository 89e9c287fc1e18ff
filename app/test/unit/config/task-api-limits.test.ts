/**
 * The task-document limits apply to tasks sent to the REST API too (issue #16, "Unbounded input"): a body nested
 * past the depth limit is a 400 naming where, and a body with thousands of problems answers with the first 50.
 */
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
import { call } from '../tasks-api/openapi-check.ts';

const TOKEN = 'unit-test-token-0123456789';
const log = createLogger({ level: 'error', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

const task = (extra: Record<string, unknown>) => ({
  name: 'limits', migrationType: 'cdc', settings: { offsetStore: 'sqlite' },
  source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password: 'pw', database: 'shop' },
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
  ...extra,
});

test('task API: a body nested 1,000 levels deep, and one with 50,000 problems, are 400s with bounded answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-api-limits-'));
  const store = new SqliteTaskStore({ path: join(dir, 'tasks.db') });
  const manager = await TaskManager.open({ store, log, dataDir: dir, env: {}, secretSources: { envPrefix: 'UNIT_', fileDir: null } });
  const server = await startTaskApiServer({ manager, token: TOKEN, host: '127.0.0.1', port: 0, log });
  try {
    let deep: unknown = 'x';
    for (let i = 0; i < 1000; i++) deep = [deep];
    let r = await call(server.url, TOKEN, 'POST', '/tasks', task({ sauce: deep }));
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'invalid_task');
    assert.deepEqual(r.body.error?.problems, [{ path: `sauce${'[0]'.repeat(63)}`, message: 'nests mappings and lists deeper than 64 levels, the limit for a task document' }]);

    const t = task({});
    for (let i = 0; i < 50_000; i++) (t.tableMappings.rules as unknown[]).push({ 'rule-type': 'x' });
    r = await call(server.url, TOKEN, 'POST', '/tasks', t);
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'invalid_task');
    assert.equal(r.body.error?.problems?.length, 50);
    assert.deepEqual(r.body.error?.problems?.[0], { path: 'tableMappings.rules[1].rule-type', message: 'expected one of selection, transformation, table-settings, object-mapping, found "x"' });
    assert.ok(r.body.error?.message.startsWith('task: 50000 problems:\n'), r.body.error?.message.slice(0, 200));
    assert.ok(r.body.error?.message.endsWith('\n  - and 49950 more problems'), r.body.error?.message.slice(-200));
  } finally {
    await server.close();
    await manager.shutdown();
    await store.close();
  }
});
