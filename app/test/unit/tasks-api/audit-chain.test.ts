// The audit log (audit-log.ts): a few actions through the API, then `ferry audit verify` (the real CLI) passes; an
// edited field, a removed line and two swapped lines each make it fail at that entry, naming its sequence number;
// a log cut at its end fails against a recorded head; the server refuses to open a broken log. A task created with a
// literal password and a secret reference leaves neither secret value in the file. GET /audit filters and exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { ApiTokens } from '../../../src/tasks-api/api-tokens.ts';
import { AuditLog } from '../../../src/tasks-api/audit-log.ts';
import { startTaskApiServer } from '../../../src/tasks-api/http-server.ts';
import { TaskManager } from '../../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../../src/tasks-api/task-store.ts';
import { call } from './openapi-check.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const ADMIN = 'audit-admin-token-0123456789abcdef';
const PLANTED_PASSWORD = 'Planted-Literal-Pw-7f3a9c';
const PLANTED_ENV_SECRET = 'Planted-Env-Secret-51be02';
const log = createLogger({ level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

const task = (name: string, password: string, extra: Record<string, unknown> = {}) => ({
  name, migrationType: 'cdc',
  source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password, database: 'shop' },
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
  settings: { offsetStore: 'sqlite' }, ...extra,
});

/** `ferry audit verify` as a user runs it. */
function verify(stateDir: string, ...extra: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'audit', 'verify', '--state-dir', stateDir, ...extra], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the state folder whose audit file lines are changed by `edit`. */
function tampered(dir: string, name: string, edit: (lines: string[]) => string[]): string {
  const copy = join(dir, name);
  mkdirSync(copy);
  const lines = readFileSync(join(dir, 'state', 'audit.jsonl'), 'utf8').trimEnd().split('\n');
  writeFileSync(join(copy, 'audit.jsonl'), `${edit(lines).join('\n')}\n`);
  return copy;
}

test('audit log: chain verified by `ferry audit verify`, tampering found at the entry, secrets never in the file, query and export', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-audit-'));
  const state = join(dir, 'state');
  const store = new SqliteTaskStore({ path: join(state, 'tasks.db') });
  const manager = await TaskManager.open({ store, log, dataDir: dir, env: { AUDIT_SRC_PW: PLANTED_ENV_SECRET }, secretSources: { envPrefix: 'AUDIT_', fileDir: null } });
  const tokens = new ApiTokens({ stateDir: state, bootstrapToken: ADMIN });
  const audit = await AuditLog.open(state);
  const server = await startTaskApiServer({ manager, tokens, audit, host: '127.0.0.1', port: 0, log });
  let viewer: string;
  try {
    // 1 create (literal password), 2 create (reference), 3 add tables, 4 token issued, 5 refused delete (viewer),
    // 6 task deleted, 7 a GET /audit; reads of tasks are not recorded.
    assert.equal((await call(server.url, ADMIN, 'POST', '/tasks', task('lit', PLANTED_PASSWORD))).status, 201);
    assert.equal((await call(server.url, ADMIN, 'POST', '/tasks', task('ref', '${env:AUDIT_SRC_PW}'))).status, 201);
    assert.equal((await call(server.url, ADMIN, 'GET', '/tasks/ref')).status, 200);
    assert.equal((await call(server.url, ADMIN, 'POST', '/tasks/ref/tables', { tables: ['other.t'] })).status, 200);
    const t = await call(server.url, ADMIN, 'POST', '/tokens', { name: 'auditor', role: 'viewer' });
    viewer = t.body.token as string;
    assert.equal((await call(server.url, viewer, 'DELETE', '/tasks/lit')).status, 403);
    assert.equal((await call(server.url, ADMIN, 'DELETE', '/tasks/lit')).status, 200);
    let r = await call(server.url, ADMIN, 'GET', '/audit?action=tasks.create,tasks.delete');
    assert.deepEqual((r.body.entries as { seq: number; action: string; params: { task: string } }[]).map((e) => [e.seq, e.action, e.params.task]),
      [[1, 'tasks.create', 'lit'], [2, 'tasks.create', 'ref'], [5, 'tasks.delete', 'lit'], [6, 'tasks.delete', 'lit']]);
    r = await call(server.url, ADMIN, 'GET', '/audit?limit=2');
    assert.deepEqual((r.body.entries as { seq: number }[]).map((e) => e.seq), [6, 7]);
    assert.equal(r.body.truncated, true);
    const exported = await (await fetch(`${server.url}/audit?format=jsonl&since=2000-01-01T00:00:00Z`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    assert.equal(exported.trimEnd().split('\n').length, 8);
    assert.equal((await call(server.url, ADMIN, 'GET', '/audit?since=yesterday')).status, 400);
  } finally {
    await server.close();
    await manager.shutdown();
    await store.close();
    await audit.close();
  }

  // The file read on its own: what each entry holds, secrets masked, no token, references kept.
  const text = readFileSync(join(state, 'audit.jsonl'), 'utf8');
  const lines = text.trimEnd().split('\n');
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { seq: number; prev: string; hash: string; params: Record<string, unknown> });
  assert.deepEqual(entries.map((e) => [e.seq, e.action, (e.actor as { name: string }).name, (e.result as { status: number }).status]), [
    [1, 'tasks.create', 'bootstrap', 201], [2, 'tasks.create', 'bootstrap', 201], [3, 'tasks.addTables', 'bootstrap', 200], [4, 'tokens.create', 'bootstrap', 201],
    [5, 'tasks.delete', 'auditor', 403], [6, 'tasks.delete', 'bootstrap', 200], [7, 'audit.read', 'bootstrap', 200], [8, 'audit.read', 'bootstrap', 200], [9, 'audit.read', 'bootstrap', 200], [10, 'audit.read', 'bootstrap', 400],
  ]);
  // The chain, recomputed here independently: sha256 over the entry without "hash", keys sorted, no spaces.
  const canon = (v: unknown): string => (v === null || typeof v !== 'object' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(canon).join(',')}]`
    : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`);
  let prev = '0'.repeat(64);
  for (const e of entries) {
    const { hash, ...rest } = e;
    assert.equal(e.prev, prev);
    assert.equal(hash, createHash('sha256').update(canon(rest)).digest('hex'));
    prev = hash;
  }
  assert.equal((entries[0]!.params.definition as { source: { password: string } }).source.password, '***');
  assert.equal((entries[1]!.params.definition as { source: { password: string } }).source.password, '${env:AUDIT_SRC_PW}');
  assert.match(entries[0]!.params.definitionSha256 as string, /^[0-9a-f]{64}$/);
  assert.deepEqual(entries[2]!.params, { task: 'ref', tables: ['other.t'] });
  assert.deepEqual(entries[3]!.params, { token: 'auditor', role: 'viewer' });
  for (const secret of [PLANTED_PASSWORD, PLANTED_ENV_SECRET, ADMIN, viewer]) assert.ok(!text.includes(secret), `a secret in the audit log: ${secret.slice(0, 8)}…`);

  // Intact: exit 0 and the head.
  let v = verify(state);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), `${join(state, 'audit.jsonl')}: 10 entries, the chain is intact; head 10:${entries[9]!.hash}`);

  // One field of entry 4 edited (the role it issued): broken at entry 4.
  const edited = tampered(dir, 'edited', (ls) => ls.map((l, i) => (i === 3 ? l.replace('"role":"viewer"}', '"role":"admin"}') : l)));
  assert.notEqual(readFileSync(join(edited, 'audit.jsonl'), 'utf8'), text);
  v = verify(edited);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /is broken at entry 4 \(line 4\): entry 4's content does not match its hash: a field was edited; entries 1 to 3 are intact/);
  // Line 6 removed: broken at entry 6.
  v = verify(tampered(dir, 'removed', (ls) => ls.filter((_l, i) => i !== 5)));
  assert.equal(v.code, 1);
  assert.match(v.stderr, /is broken at entry 6 \(line 6\): line 6 holds seq 7 where seq 6 was expected/);
  // Lines 2 and 3 swapped: broken at entry 2.
  v = verify(tampered(dir, 'swapped', (ls) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)]), '--json');
  assert.equal(v.code, 1);
  assert.deepEqual(JSON.parse(v.stdout), { ok: false, file: join(dir, 'swapped', 'audit.jsonl'), entries: 1, brokenAt: 2, line: 2, error: { code: 'FERRY_AUDIT_CHAIN_BROKEN', message: 'line 2 holds seq 3 where seq 2 was expected: an entry was removed, inserted or moved' } });
  // The last two entries cut off: the chain alone is intact, the recorded head is not.
  const cut = tampered(dir, 'cut', (ls) => ls.slice(0, 8));
  assert.equal(verify(cut).code, 0);
  v = verify(cut, '--head', `10:${entries[9]!.hash}`);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /the recorded head, entry 10, is not in the log \(it has 8 entries\)/);
  assert.equal(verify(state, '--head', `10:${entries[9]!.hash}`).code, 0);

  // The server does not append to a broken log.
  cpSync(join(edited, 'audit.jsonl'), join(state, 'audit.jsonl'));
  await assert.rejects(AuditLog.open(state), (e: Error & { code?: string }) => e.code === 'FERRY_AUDIT_CHAIN_BROKEN' && /broken at entry 4/.test(e.message));
});

test('audit log: 200 appends at once are group-committed into one unbroken chain, and a reopened log continues it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-audit-burst-'));
  const record = (i: number) => ({ time: new Date().toISOString(), actor: { name: null, role: null }, source: { address: '127.0.0.1' }, action: 'tasks.list', method: 'GET', path: `/tasks/${i}`, params: {}, result: { status: 401, code: 'unauthorized' } });
  let audit = await AuditLog.open(dir);
  const done = await Promise.all(Array.from({ length: 200 }, (_v, i) => audit.append(record(i))));
  assert.deepEqual(done.map((e) => e.seq), Array.from({ length: 200 }, (_v, i) => i + 1));
  await audit.close();
  audit = await AuditLog.open(dir);
  assert.equal((await audit.append(record(200))).seq, 201);
  await audit.close();
  const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; path: string });
  assert.deepEqual(lines.map((e) => [e.seq, e.path]), Array.from({ length: 201 }, (_v, i) => [i + 1, `/tasks/${i}`]));
  const v = verify(dir);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /: 201 entries, the chain is intact; head 201:[0-9a-f]{64}\n$/);
});
