// `ferry run` serves POST/GET /signals with a per-run token (<stateDir>/control-token, mode 0600) and JSON only:
// a browser-style text/plain POST, a tokenless, wrong-token or wrong-scheme request and a foreign Origin are refused
// and queue nothing; `ferry snapshot` reads the token and re-snapshots a MariaDB table end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { ROOT, sleep, startFerry } from '../../../test/helpers/ferry-process.ts';
import { readDecoded } from '../../../test/helpers/topic-reader.ts';
import type { SignalStatus } from '../../../core/src/types.ts';

const ferry = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', timeout: 60000 });

const where = (file: string) => `send "Authorization: Bearer <token>" with the token in ${file} (written, readable by its owner only, when the task started; each run writes a new one; \`ferry snapshot <task-file>\` reads it from there)`;

test('POST /signals needs the run\'s token and JSON; ferry snapshot sends the token and re-snapshots a table', { timeout: 180000 }, async (t) => {
  const db = uniqueName('ferry_ctl');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 30 }, (_, i) => `(${i + 1}, ${i * 10})`).join(',')}`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-control-'));
  const port = await freePort();
  const stateDir = join(dir, 'state');
  const taskDoc = (state: string) => JSON.stringify({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: state, offsetStore: 'sqlite', snapshot: { chunkSize: 10 } },
  });
  const file = join(dir, 'task.json');
  writeFileSync(file, taskDoc(stateDir));
  const run = startFerry(['run', file]);
  t.after(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  });

  const base = `http://127.0.0.1:${port}/signals`;
  const tokenFile = join(stateDir, 'control-token');
  let token = '';
  for (let i = 0; i < 600 && token === ''; i++) {
    try {
      const candidate = readFileSync(tokenFile, 'utf8').trim();
      if ((await fetch(base, { headers: { authorization: `Bearer ${candidate}` } })).status === 200) token = candidate;
    } catch { /* not up yet */ }
    if (token === '') await sleep(100);
  }
  assert.notEqual(token, '', `the task serves /signals: ${run.stderr()}`);
  assert.match(readFileSync(tokenFile, 'utf8'), /^[0-9a-f]{64}\n$/);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);

  const body = JSON.stringify({ type: 'execute-snapshot', tables: [`${db}.items`] });
  const call = async (init: RequestInit) => {
    const r = await fetch(base, init);
    return { status: r.status, error: ((await r.json()) as { error?: string }).error, auth: r.headers.get('www-authenticate') };
  };
  // what a cross-site form or no-cors fetch can send: text/plain, no token, the page's Origin
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body }),
    { status: 403, error: 'requests from a web page (Origin "http://evil.example") are refused: call /signals with `ferry snapshot` or from a script', auth: null });
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'text/plain' }, body }),
    { status: 401, error: `this endpoint needs the task's control token: ${where(tokenFile)}`, auth: 'Bearer realm="ferry-control"' });
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    { status: 401, error: `this endpoint needs the task's control token: ${where(tokenFile)}`, auth: 'Bearer realm="ferry-control"' });
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${'0'.repeat(64)}` }, body }),
    { status: 401, error: `the control token is wrong (not this run's): ${where(tokenFile)}`, auth: 'Bearer realm="ferry-control"' });
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${token}` }, body }),
    { status: 401, error: `the Authorization header must use the Bearer scheme: ${where(tokenFile)}`, auth: 'Bearer realm="ferry-control"' });
  // the right token, but not JSON
  assert.deepEqual(await call({ method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` }, body }),
    { status: 415, error: 'POST /signals takes content-type application/json only (got "text/plain")', auth: null });
  assert.deepEqual(await call({ method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Blob([body]) }),
    { status: 415, error: 'POST /signals takes content-type application/json only (got "none")', auth: null });
  // the right token from a foreign page is still refused
  assert.equal((await call({ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, origin: 'http://evil.example' }, body })).status, 403);
  // GET needs the token too; with it, it shows that nothing was queued
  assert.equal((await call({ method: 'GET' })).status, 401);
  const listed = await fetch(base, { headers: { authorization: `Bearer ${token}`, origin: `http://127.0.0.1:${port}` } });
  assert.equal(listed.status, 200);
  assert.deepEqual(await listed.json(), { signals: [] });

  // ferry snapshot reads the token from the task's stateDir
  const queued = ferry('snapshot', file, '--table', `${db}.items`, '--json');
  assert.equal(queued.status, 0, queued.stdout + queued.stderr);
  const q = JSON.parse(queued.stdout) as { ok: boolean; task: string; id: string; signal: SignalStatus };
  assert.equal(q.ok, true);
  assert.equal(q.task, db);
  assert.deepEqual(q.signal.tables, [`${db}.items`]);
  let done: SignalStatus | undefined;
  for (let i = 0; i < 300 && done === undefined; i++) {
    const st = ferry('snapshot', file, '--status', '--json');
    assert.equal(st.status, 0, st.stdout + st.stderr);
    done = (JSON.parse(st.stdout) as { signals: SignalStatus[] }).signals.find((s) => s.id === q.id && (s.status === 'done' || s.status === 'failed'));
    if (done === undefined) await sleep(200);
  }
  assert.equal(done?.status, 'done', JSON.stringify(done));
  assert.equal(done.rowsEmitted, 30);
  assert.equal(done.tablesDone, 1);
  const records = await readDecoded(`${db}.${db}.items`);
  const reads = records.filter((r) => r.value?.op === 'r' && r.value.source.snapshot === 'incremental');
  assert.deepEqual(reads.map((r) => r.key?.id).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 30 }, (_, i) => i + 1));

  // the same task file with another stateDir has no token: refused, and the message says where the token should be
  const otherState = join(dir, 'other-state');
  const otherFile = join(dir, 'other.json');
  writeFileSync(otherFile, taskDoc(otherState));
  const refused = ferry('snapshot', otherFile, '--table', `${db}.items`);
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr.trim(), `error: task ${db} refused the request (HTTP 401): no control token at ${join(otherState, 'control-token')}: \`ferry run ${otherFile}\` writes one there when it starts (is the task running with this task file's settings.stateDir?)`);
  // and nothing else was queued
  assert.equal((await (await fetch(base, { headers: { authorization: `Bearer ${token}` } })).json() as { signals: SignalStatus[] }).signals.length, 1);
});
