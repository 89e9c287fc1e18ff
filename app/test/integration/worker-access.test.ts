// Access control of `ferry worker` (docs/security.md, docs/cluster.md#access): two workers of one cluster on the real
// Kafka, each with the same bootstrap token. Every route of the worker's table × viewer, operator, admin, no token,
// an unknown token and a revoked token, called through the worker that is NOT the leader (so the leader-bound calls
// are forwarded, and the leader checks the token again); /healthz, /readyz and /metrics open; a token issued through
// one worker works through the other and a revocation through the other is refused by the first; a forged
// "forwarded" request without a token is refused by the leader; the audit logs record refusals and forwarded calls.
// And the CLI refuses a non-loopback --http without a token (unless --insecure-no-auth) and a literal --token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterWorker } from '../../src/worker/ClusterWorker.ts';
import { FORWARDED_HEADER, startWorkerHttp } from '../../src/worker/worker-http.ts';
import { WORKER_ROUTES, type WorkerAction } from '../../src/worker/worker-routes.ts';
import { AuditLog, queryAuditFile } from '../../src/tasks-api/audit-log.ts';
import { Writable } from 'node:stream';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { quietLog } from '../../../test/helpers/sink-kit/quiet.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const BOOTSTRAP = 'worker-access-bootstrap-0123456789';
const RANK = { viewer: 1, operator: 2, admin: 3 } as const;
/** What a caller whose role suffices gets, on a task and a token that do not exist. */
const ALLOWED: Record<WorkerAction, number> = {
  'health': 200, 'ready': 200, 'metrics': 200, 'cluster.status': 200, 'whoami': 200, 'tasks.list': 200, 'tasks.get': 404,
  'tasks.create': 400, 'tasks.start': 404, 'tasks.stop': 404, 'tasks.delete': 404,
  'tokens.list': 200, 'tokens.create': 400, 'tokens.revoke': 404, 'audit.read': 200,
};
const BODY: Partial<Record<WorkerAction, unknown>> = { 'tasks.create': { name: 'matrix' }, 'tokens.create': { name: 'x', role: 'superuser' } };

interface Node { w: ClusterWorker; server: Server; url: string; audit: AuditLog }

async function call(url: string, token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, {
    method, signal: AbortSignal.timeout(10000),
    headers: { ...headers, ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* metrics */ }
  return { status: res.status, body: json, text };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('worker access control: role matrix through a non-leader, tokens shared by the cluster, audit per worker', { timeout: 60000 }, async () => {
  const cluster = uniqueName('ferry-access').replace(/_/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-worker-access-'));
  const nodes: Node[] = [];
  try {
    for (const id of ['a1', 'a2']) {
      const stateDir = join(dir, id);
      const audit = await AuditLog.open(stateDir);
      const holder: { w?: ClusterWorker } = {};
      const server = await startWorkerHttp(() => holder.w, '127.0.0.1', 0, audit);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      holder.w = await ClusterWorker.start({ cluster, brokers: services.brokers, security: {}, workerId: id, url, stateDir, log: quietLog(), bootstrapToken: BOOTSTRAP, rebalanceTimeoutMs: 5000 });
      nodes.push({ w: holder.w, server, url, audit });
    }
    await until('two members with a leader', () => (nodes.every((n) => n.w.view?.members.length === 2) ? true : undefined));
    const leader = nodes.find((n) => n.w.view!.isLeader)!;
    const other = nodes.find((n) => n !== leader)!;

    // Tokens issued through the non-leader (forwarded; the leader writes the tokens topic).
    const issued: Record<string, string> = {};
    for (const [name, role] of [['v', 'viewer'], ['o', 'operator'], ['ad', 'admin'], ['gone', 'operator']] as const) {
      const r = await call(other.url, BOOTSTRAP, 'POST', '/tokens', { name, role });
      assert.equal(r.status, 201, r.text);
      assert.match(r.body.token as string, /^ferry_[A-Za-z0-9_-]{43}$/);
      issued[name] = r.body.token as string;
    }
    assert.equal((await call(other.url, BOOTSTRAP, 'DELETE', '/tokens/gone')).status, 200);
    // Both workers see all four records (the non-leader from the topic).
    await until('the tokens on the non-leader', () => (other.w.tokens!.list().filter((t) => !t.bootstrap).length === 4 && other.w.tokens!.list().find((t) => t.name === 'gone')?.revokedAt ? true : undefined));

    const creds = [
      { label: 'viewer', token: issued.v!, role: 'viewer' as const }, { label: 'operator', token: issued.o!, role: 'operator' as const },
      { label: 'admin', token: issued.ad!, role: 'admin' as const }, { label: 'no token', token: null, role: null },
      { label: 'unknown token', token: 'ferry_not-a-real-token-at-all-000000000000000', role: null }, { label: 'revoked token', token: issued.gone!, role: null },
    ];
    for (const route of WORKER_ROUTES) {
      const path = route.path.replace('{name}', 'nosuch');
      for (const c of creds) {
        const r = await call(other.url, c.token, route.method, path, BODY[route.action]);
        const expected = route.role === 'public' ? ALLOWED[route.action]
          : c.role === null ? 401 : RANK[c.role] >= RANK[route.role] ? ALLOWED[route.action] : 403;
        assert.equal(r.status, expected, `${route.method} ${path} as ${c.label}: ${r.text.slice(0, 300)}`);
        if (expected === 401) assert.equal((r.body.error as { code: string }).code, 'unauthorized');
        if (expected === 403) assert.match((r.body.error as { message: string }).message, new RegExp(`needs the ${route.role} role`));
      }
    }
    const who = await call(other.url, issued.o!, 'GET', '/whoami');
    assert.deepEqual(who.body, { name: 'o', role: 'operator' });

    // A token issued through the leader works through the other worker; revoked through the other, the leader refuses it.
    const fresh = await call(leader.url, BOOTSTRAP, 'POST', '/tokens', { name: 'fresh', role: 'viewer' });
    assert.equal(fresh.status, 201);
    const token = fresh.body.token as string;
    await until('the fresh token on the other worker', async () => ((await call(other.url, token, 'GET', '/tasks')).status === 200 ? true : undefined));
    assert.equal((await call(other.url, BOOTSTRAP, 'DELETE', '/tokens/fresh')).status, 200);
    assert.equal((await call(leader.url, token, 'GET', '/tasks')).status, 401);
    await until('the revocation on the other worker', async () => ((await call(other.url, token, 'GET', '/tasks')).status === 401 ? true : undefined));

    // The leader does not trust a request for carrying the forwarded header: no token, no call.
    const forged = await call(leader.url, null, 'POST', '/tokens', { name: 'evil', role: 'admin' }, { [FORWARDED_HEADER]: other.w.o.workerId });
    assert.equal(forged.status, 401);
    assert.equal(leader.w.tokens!.list().some((t) => t.name === 'evil'), false);

    // Only hashes in the topic's records: no token text in what the workers keep.
    assert.equal(JSON.stringify(other.w.tokens!.list()).includes(issued.v!), false);

    // Each worker's audit log: the other worker recorded the refusals and the calls it forwarded; the leader recorded
    // the forwarded token issue with the token's caller and the forwarding worker.
    const otherLog = (await queryAuditFile(other.audit.file, { limit: 10000 })).entries;
    assert.ok(otherLog.some((e) => e.result.status === 401 && e.path === '/tasks'));
    assert.ok(otherLog.some((e) => e.result.status === 403 && e.action === 'tasks.create' && e.actor.name === 'o'));
    const leaderLog = (await queryAuditFile(leader.audit.file, { limit: 10000 })).entries;
    const forwardedIssue = leaderLog.find((e) => e.action === 'tokens.create' && e.result.status === 201 && e.params.forwardedBy === other.w.o.workerId);
    assert.ok(forwardedIssue, 'the leader recorded a forwarded tokens.create');
    assert.deepEqual(forwardedIssue.actor, { name: 'bootstrap', role: 'admin' });
    assert.ok(leaderLog.some((e) => e.action === 'tokens.create' && e.result.status === 401 && e.params.forwardedBy === other.w.o.workerId));
    assert.equal(JSON.stringify(leaderLog).includes(issued.v!), false);

    // A worker started without --token in this cluster (which has issued tokens) warns at start.
    const lines: string[] = [];
    const capture = createLogger({ level: 'warn', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
    const open = await ClusterWorker.start({ cluster, brokers: services.brokers, security: {}, workerId: 'a3', url: 'http://127.0.0.1:1', stateDir: join(dir, 'a3'), log: capture });
    await open.close();
    assert.ok(lines.some((l) => l.includes('started without --token')), lines.join('\n'));
  } finally {
    for (const n of nodes.reverse()) {
      await n.w.close();
      await new Promise<void>((r) => n.server.close(() => r()));
      await n.audit.close();
    }
  }
});

test('ferry worker refuses a non-loopback --http without a token, and a literal --token', () => {
  const ferry = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'bin', 'ferry.js'), 'worker', '--cluster', 'refused', '--bootstrap', '127.0.0.1:1', ...args],
    { encoding: 'utf8', timeout: 20000, env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FERRY_API_TOKEN')), FERRY_LOG_LEVEL: 'fatal', ...env } });
  let r = ferry(['--http', '0.0.0.0:0']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /FERRY_CONFIG_INVALID/);
  assert.match(r.stderr, /no API token is set.*--insecure-no-auth/s);
  r = ferry(['--http', '127.0.0.1:0', '--token', 'worker-access-literal-token-0123']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--token takes a reference/);
});
