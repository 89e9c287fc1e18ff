// API access control (routes.ts, api-tokens.ts): every endpoint of the route table × every role, no token, an unknown
// token and a revoked token; the refusals in the audit log; tokens stored only as hashes, revocation at once, the
// table in docs/api.md and the roles in docs/api/openapi.yaml matching the route table. Every answer is checked
// against docs/api/openapi.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { ApiTokens } from '../../../src/tasks-api/api-tokens.ts';
import { AuditLog } from '../../../src/tasks-api/audit-log.ts';
import { startTaskApiServer } from '../../../src/tasks-api/http-server.ts';
import { ROUTES, rolesTableMarkdown, type RouteAction } from '../../../src/tasks-api/routes.ts';
import { TaskManager } from '../../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../../src/tasks-api/task-store.ts';
import { call, spec } from './openapi-check.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const BOOTSTRAP = 'access-bootstrap-token-0123456789';
const log = createLogger({ level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

/** What a token whose role suffices gets from each endpoint, called on a task and a token that do not exist. */
const ALLOWED: Record<RouteAction, number> = {
  'health': 200, 'whoami': 200, 'tasks.list': 200, 'tasks.get': 404, 'tasks.stats': 404, 'tasks.status': 404, 'tasks.history': 404,
  'tasks.validate': 200, 'tasks.plan': 400, 'tasks.update': 404,
  'tasks.assess': 404, 'tasks.assessment': 404, 'tasks.schemaConversion': 404, 'tasks.validationFailures': 404,
  'tasks.start': 404, 'tasks.stop': 404, 'tasks.reloadTable': 404,
  'tasks.create': 400, 'tasks.delete': 404, 'tasks.addTables': 404, 'tasks.removeTables': 404,
  'tokens.list': 200, 'tokens.create': 400, 'tokens.revoke': 404, 'audit.read': 200,
};
const BODY: Partial<Record<RouteAction, unknown>> = {
  'tasks.create': { name: 'matrix' }, 'tasks.validate': { name: 'matrix' }, 'tasks.update': { name: 'matrix' }, 'tasks.plan': { name: 'matrix' }, 'tasks.reloadTable': { tables: ['a.b'] }, 'tasks.addTables': { tables: ['a.b'] }, 'tasks.removeTables': { tables: ['a.b'] }, 'tokens.create': { name: 'x', role: 'superuser' },
};
const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

test('authorization matrix: every endpoint × viewer, operator, admin, no token, unknown token, revoked token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-api-access-'));
  const store = new SqliteTaskStore({ path: join(dir, 'tasks.db') });
  const manager = await TaskManager.open({ store, log, dataDir: dir, env: {}, secretSources: { envPrefix: 'ACCESS_', fileDir: null } });
  const tokens = new ApiTokens({ stateDir: dir, bootstrapToken: BOOTSTRAP });
  const audit = await AuditLog.open(dir);
  const server = await startTaskApiServer({ manager, tokens, audit, host: '127.0.0.1', port: 0, log });
  try {
    // Issue one token per role, and one to revoke, through the API as the bootstrap admin.
    const issued: Record<string, string> = {};
    for (const [name, role] of [['v', 'viewer'], ['o', 'operator'], ['a', 'admin'], ['gone', 'operator']] as const) {
      const r = await call(server.url, BOOTSTRAP, 'POST', '/tokens', { name, role });
      assert.equal(r.status, 201);
      assert.match(r.body.token as string, /^ferry_[A-Za-z0-9_-]{43}$/);
      issued[name] = r.body.token as string;
    }
    let r = await call(server.url, BOOTSTRAP, 'DELETE', '/tokens/gone');
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.revokedAt, 'string');
    const creds: { label: string; token: string | null; role: keyof typeof RANK | null }[] = [
      { label: 'viewer', token: issued.v!, role: 'viewer' }, { label: 'operator', token: issued.o!, role: 'operator' },
      { label: 'admin', token: issued.a!, role: 'admin' }, { label: 'no token', token: null, role: null },
      { label: 'unknown token', token: 'ferry_not-a-token-not-a-token-not-a-token-00', role: null }, { label: 'revoked token', token: issued.gone!, role: null },
    ];
    const before = audit.head.seq;
    let refusals = 0;
    for (const route of ROUTES) {
      assert.ok(['public', 'viewer', 'operator', 'admin'].includes(route.role), `${route.method} ${route.path} has no role`);
      assert.ok(route.action in ALLOWED, `the matrix has no expected answer for ${route.action} (${route.method} ${route.path}): add it`);
      const path = route.path.replace('{name}', 'nosuch');
      for (const c of creds) {
        const res = await call(server.url, c.token, route.method, path, BODY[route.action as RouteAction]);
        const where = `${route.method} ${route.path} with ${c.label}`;
        if (route.role === 'public') {
          assert.equal(res.status, 200, where);
        } else if (c.role === null) {
          refusals++;
          assert.equal(res.status, 401, where);
          assert.equal(res.body.error?.code, 'unauthorized', where);
          if (c.label === 'revoked token') assert.equal(res.body.error?.message, 'the API token "gone" was revoked; ask an admin for a new one (`ferry tokens create`)');
        } else if (RANK[c.role] < RANK[route.role]) {
          refusals++;
          assert.equal(res.status, 403, where);
          assert.equal(res.body.error?.code, 'forbidden', where);
          assert.equal(res.body.error?.message, `${route.method} ${route.path} needs the ${route.role} role; the token "${c.label[0]}" has the ${c.role} role (an admin issues tokens with \`ferry tokens create --role ${route.role}\`)`);
        } else {
          assert.equal(res.status, ALLOWED[route.action as RouteAction], where);
        }
      }
    }
    // A refused call changed nothing: an operator cannot create a task with a valid body, a viewer cannot issue a token.
    r = await call(server.url, issued.o!, 'POST', '/tasks', { name: 'sneaky' });
    assert.equal(r.status, 403);
    r = await call(server.url, issued.v!, 'POST', '/tokens', { name: 'sneaky', role: 'admin' });
    assert.equal(r.status, 403);
    refusals += 2;
    r = await call(server.url, issued.a!, 'GET', '/tokens');
    assert.deepEqual((r.body.tokens as { name: string; role: string; revokedAt: string | null; bootstrap: boolean }[]).map((t) => [t.name, t.role, t.revokedAt !== null, t.bootstrap]),
      [['bootstrap', 'admin', false, true], ['v', 'viewer', false, false], ['o', 'operator', false, false], ['a', 'admin', false, false], ['gone', 'operator', true, false]]);
    assert.deepEqual(manager.list(), []);

    // The audit file, read on its own: every refusal is there with who and the status; no token is anywhere in it.
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; actor: { name: string | null; role: string | null; revoked?: boolean }; action: string; result: { status: number; code?: string }; source: { address: string } });
    const refused = entries.filter((e) => e.seq > before && (e.result.status === 401 || e.result.status === 403));
    assert.equal(refused.length, refusals);
    assert.ok(refused.every((e) => e.source.address === '127.0.0.1'));
    assert.ok(refused.some((e) => e.actor.name === 'gone' && e.actor.revoked === true && e.result.code === 'unauthorized'));
    assert.ok(refused.some((e) => e.actor.name === 'v' && e.actor.role === 'viewer' && e.action === 'tokens.create' && e.result.status === 403));
    for (const t of [...Object.values(issued), BOOTSTRAP]) assert.ok(!text.includes(t), 'a token in the audit log');

    // Tokens are stored as SHA-256 only, and survive a restart; a revoked one stays refused.
    const file = readFileSync(join(dir, 'api-tokens.json'), 'utf8');
    for (const [name, t] of Object.entries(issued)) {
      assert.ok(!file.includes(t), `token ${name} stored in clear`);
      assert.ok(file.includes(createHash('sha256').update(t).digest('hex')), `token ${name}'s hash not stored`);
    }
    const reopened = new ApiTokens({ stateDir: dir });
    assert.deepEqual(reopened.authenticate(`Bearer ${issued.o}`), { ok: true, name: 'o', role: 'operator' });
    assert.deepEqual(reopened.authenticate(`Bearer ${issued.gone}`), { ok: false, reason: 'revoked', name: 'gone', role: 'operator' });
    assert.deepEqual(reopened.authenticate(`Bearer ${BOOTSTRAP}`), { ok: false, reason: 'unknown' });
    // A name is free again once revoked; a live name is a 409; the bootstrap token cannot be revoked through the API.
    assert.equal((await call(server.url, issued.a!, 'POST', '/tokens', { name: 'gone', role: 'viewer' })).status, 201);
    assert.equal((await call(server.url, issued.a!, 'POST', '/tokens', { name: 'v', role: 'viewer' })).status, 409);
    assert.equal((await call(server.url, issued.a!, 'DELETE', '/tokens/bootstrap')).status, 400);
  } finally {
    await server.close();
    await manager.shutdown();
    await store.close();
    await audit.close();
  }
});

test('the route table is the one source: docs/api.md shows its roles table, and openapi.yaml has exactly its endpoints and roles', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  assert.ok(doc.includes(rolesTableMarkdown()), 'docs/api.md "Roles and tokens" differs from rolesTableMarkdown() (app/src/tasks-api/routes.ts): paste it in');
  const inSpec = Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([m]) => ['get', 'post', 'delete', 'put', 'patch'].includes(m)).map(([m, op]) => `${m.toUpperCase()} ${path} ${(op as { 'x-ferry-role'?: string })['x-ferry-role']}`));
  assert.deepEqual(inSpec.sort(), ROUTES.map((r) => `${r.method} ${r.path} ${r.role}`).sort());
  assert.equal(new Set(ROUTES.map((r) => r.action)).size, ROUTES.length, 'two routes share an action name');
});
