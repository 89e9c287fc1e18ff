// The recipes of examples/orchestration, each run as a user runs it (scripts/node, sh) against real services:
//  - cdc-after-full-load.ts then cutover.sh: a writer inserts throughout; the full load completes, the CDC task starts
//    at the load's position, the cutover stops the writer, drains and stops the task; every row is in the target;
//  - page-on-failure.ts: a failing task's signed webhook becomes one page at a local pager; a forged request pages nothing;
//  - validate-on-full-load.ts: a full load's full-load-completed webhook runs ferry validate-data, whose report says equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { ROOT, sleep } from '../../../test/helpers/ferry-process.ts';

const RECIPES = join(ROOT, 'examples', 'orchestration');
const FERRY = `${process.execPath} ${join(ROOT, 'bin', 'ferry.js')}`;
const NODE = join(ROOT, 'scripts', 'node');
const root = { ...services.mariadb, user: 'root', password: 'root' };

interface Proc { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }

function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return { child, out: () => out, err: () => err, exited: new Promise((r) => child.once('exit', (c) => r(c))) };
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms: number, log: () => string = () => ''): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const v = await f();
    if (v !== undefined) return v;
  }
  assert.fail(`${what}\n${log().slice(-3000)}`);
}

/** A receiver script's URL, from its "listening on <url>" line. */
const listening = (p: Proc) => until('the receiver listens', () => /listening on (\S+)/.exec(p.out())?.[1], 20000, p.err);

const selectAll = (db: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] });

test('cdc-after-full-load.ts starts the CDC task at the full load\'s position; cutover.sh stops the writer, drains and stops it', { timeout: 120000 }, async (t) => {
  const db = uniqueName('orch_flcdc');
  const admin = await mysql.createConnection(root);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.orders (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL)`);
  const expected: { id: number; note: string }[] = Array.from({ length: 500 }, (_, i) => ({ id: i + 1, note: `loaded ${i + 1}` }));
  await admin.query(`INSERT INTO ${db}.orders VALUES ?`, [expected.map((r) => [r.id, r.note])]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-orch-'));
  const port = await freePort();
  const task = (name: string, migrationType: string, settings: object) => ({
    name, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType, tableMappings: selectAll(db),
    targets: [{ type: 'mysql', name: 'copy', ...root, database: `${db}_copy` }],
    settings: { offsetStore: 'sqlite', ...settings },
  });
  writeFileSync(join(dir, 'full.json'), JSON.stringify(task(`${db}_full`, 'full-load', { metrics: { enabled: false }, stateDir: join(dir, 'full-state') })));
  writeFileSync(join(dir, 'cdc.json'), JSON.stringify(task(`${db}_cdc`, 'cdc', { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'cdc-state') })));

  // The writer: a row every ~10 ms, before, during and after the full load, until cutover.sh's stop-writers command.
  const writer = await mysql.createConnection(root);
  const stopFile = join(dir, 'stop-writers');
  const stoppedFile = join(dir, 'writers-stopped');
  const writing = (async () => {
    for (let id = 501; !existsSync(stopFile); id++) {
      await writer.query(`INSERT INTO ${db}.orders VALUES (?, ?)`, [id, `written ${id}`]);
      expected.push({ id, note: `written ${id}` });
      await sleep(10);
    }
    await writer.end();
    writeFileSync(stoppedFile, '');
  })();
  const recipe = start(NODE, [join(RECIPES, 'cdc-after-full-load.ts'), join(dir, 'full.json'), join(dir, 'cdc.json')]);
  t.after(async () => {
    writeFileSync(stopFile, '');
    await writing.catch(() => undefined);
    recipe.child.kill('SIGTERM');
    await recipe.exited;
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });

  // The CDC task runs (and streams) once the full load is over.
  await until('the CDC task is ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 60000, recipe.err);
  const resolved = JSON.parse(readFileSync(join(dir, 'cdc.from-full-load.json'), 'utf8')) as { settings: { cdcStartPosition: string } };
  const full = start(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'offsets', 'show', join(dir, 'full.json'), '--json']);
  assert.equal(await full.exited, 0);
  const loaded = (JSON.parse(full.out()) as { offset: { position: string; snapshotDone: boolean } }).offset;
  assert.equal(loaded.snapshotDone, true);
  const [, seq, pos, base] = /^mysql:(\d{10}):(\d{12}):([^:]+)/.exec(loaded.position)!;
  assert.equal(resolved.settings.cdcStartPosition, `${base}.${String(Number(seq)).padStart(6, '0')}:${Number(pos)}`);
  await sleep(500); // a few more changes through the CDC task

  const result = join(dir, 'cutover.json');
  const cut = start('sh', [join(RECIPES, 'cutover.sh'), join(dir, 'cdc.json'),
    `touch '${stopFile}'; while [ ! -f '${stoppedFile}' ]; do sleep 0.05; done`,
    `printf '%s' "$FERRY_FINAL_POSITION" > '${join(dir, 'switched')}'`], { TIMEOUT: '60', RESULT: result });
  assert.equal(await cut.exited, 0, cut.err() + recipe.err().slice(-3000));
  const out = JSON.parse(readFileSync(result, 'utf8')) as { ok: boolean; finalPosition: string };
  assert.equal(out.ok, true);
  assert.equal(readFileSync(join(dir, 'switched'), 'utf8'), out.finalPosition);
  assert.equal(await recipe.exited, 0, recipe.err().slice(-3000)); // the CDC task stopped, and the recipe with it
  const shown = start(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'offsets', 'show', join(dir, 'cdc.json'), '--json']);
  assert.equal(await shown.exited, 0);
  assert.equal((JSON.parse(shown.out()) as { offset: { position: string } }).offset.position, out.finalPosition);

  // Every row, loaded or written during the load, between the load and the CDC start, or after, is in the target.
  await writing;
  assert.ok(expected.length > 600, `the writer wrote through the recipe (${expected.length - 500} rows)`);
  const [source] = await admin.query(`SELECT id, note FROM ${db}.orders ORDER BY id`);
  assert.deepEqual(source, expected);
  const [target] = await admin.query(`SELECT id, note FROM \`${db}_copy\`.orders ORDER BY id`);
  assert.deepEqual(target, expected);
});

/** A local stand-in for a pager's events endpoint: records each JSON body. */
async function startPager(): Promise<{ url: string; pages: Record<string, unknown>[]; close(): Promise<void> }> {
  const pages: Record<string, unknown>[] = [];
  const server = createHttpServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => { pages.push(JSON.parse(body) as Record<string, unknown>); res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v2/enqueue`, pages, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

test('page-on-failure.ts turns a failed task\'s signed webhook into one page; a forged request pages nothing', { timeout: 90000 }, async (t) => {
  const name = uniqueName('orch_page');
  const secret = 'page-secret-0123456789';
  const pager = await startPager();
  const receiver = start(NODE, [join(RECIPES, 'page-on-failure.ts')], { FERRY_WEBHOOK_SECRET: secret, PAGER_URL: pager.url, PAGER_ROUTING_KEY: 'rk-1', PORT: '0' });
  t.after(async () => {
    receiver.child.kill('SIGTERM');
    await receiver.exited;
    await pager.close();
  });
  const url = await listening(receiver);

  // A request without Ferry's signature (or with a wrong one) is refused and pages nothing.
  const now = String(Math.floor(Date.now() / 1000));
  const forged = JSON.stringify({ specversion: '1.0', id: 'x', type: 'io.ferry.task.failure', data: { task: name, message: 'fake' } });
  assert.equal((await fetch(url, { method: 'POST', body: forged })).status, 401);
  assert.equal((await fetch(url, { method: 'POST', body: forged, headers: { 'x-ferry-timestamp': now, 'x-ferry-signature': `v1=${'0'.repeat(64)}` } })).status, 401);

  // A task whose source refuses its password fails; its failure notification becomes a page.
  const dir = mkdtempSync(join(tmpdir(), 'ferry-page-'));
  writeFileSync(join(dir, 'task.json'), JSON.stringify({
    name, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'not-the-password' }, migrationType: 'cdc', tableMappings: selectAll('shop'),
    targets: [{ type: 'mysql', name: 'copy', ...root, database: `${name}_copy` }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', notifications: { subscriptions: [{ name: 'pager', type: 'webhook', url, secret, categories: ['failure'] }] } },
  }));
  const run = start(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', join(dir, 'task.json'), '--skip-assessment']);
  assert.equal(await run.exited, 1, run.err().slice(-2000));
  await until('the page arrives', () => (pager.pages.length > 0 ? true : undefined), 20000, receiver.err);
  await sleep(500); // no second page
  assert.equal(pager.pages.length, 1, JSON.stringify(pager.pages));
  const p = pager.pages[0] as { routing_key: string; event_action: string; dedup_key: string; payload: { summary: string; source: string; severity: string; custom_details: { task: string; category: string; code: string; state: string } } };
  assert.equal(p.routing_key, 'rk-1');
  assert.equal(p.event_action, 'trigger');
  assert.match(p.dedup_key, /^[0-9a-f-]{36}$/);
  assert.equal(p.payload.source, `ferry task ${name}`);
  assert.equal(p.payload.severity, 'critical');
  assert.match(p.payload.summary, new RegExp(`^task ${name} failed: `));
  assert.equal(p.payload.custom_details.task, name);
  assert.equal(p.payload.custom_details.category, 'Failure');
  assert.equal(p.payload.custom_details.state, 'failed');
  assert.equal(p.payload.custom_details.code, 'FERRY_SOURCE_AUTH');
});

test('validate-on-full-load.ts runs ferry validate-data when the full load completes; the report says the target matches', { timeout: 90000 }, async (t) => {
  const db = uniqueName('orch_valid');
  const admin = await mysql.createConnection(root);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL, n DECIMAL(8,2))`);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [Array.from({ length: 200 }, (_, i) => [i + 1, `v${i}`, i / 4])]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-valid-'));
  const secret = 'validate-secret-0123456789';
  const file = join(dir, 'task.json');
  const receiver = start(NODE, [join(RECIPES, 'validate-on-full-load.ts'), `${db}=${file}`], { FERRY_WEBHOOK_SECRET: secret, PORT: '0', REPORT_DIR: dir });
  t.after(async () => {
    receiver.child.kill('SIGTERM');
    await receiver.exited;
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });
  const url = await listening(receiver);
  writeFileSync(file, JSON.stringify({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load', tableMappings: selectAll(db),
    targets: [{ type: 'mysql', name: 'copy', ...root, database: `${db}_copy` }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', notifications: { subscriptions: [{ name: 'hooks', type: 'webhook', url, secret, categories: ['full-load-completed'] }] } },
  }));
  const run = start(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', file, '--skip-assessment']);
  assert.equal(await run.exited, 0, run.err().slice(-2000));
  const reportFile = join(dir, `${db}-validation.json`);
  const report = await until('the validation report', () => {
    if (!existsSync(reportFile) || !/validate-data .*: exit/.test(receiver.err())) return undefined;
    return JSON.parse(readFileSync(reportFile, 'utf8')) as { ok: boolean; task: string; totals: { tables: number; validated: number; mismatched: number; rows: number } };
  }, 40000, receiver.err);
  assert.match(receiver.err(), new RegExp(`validate-data ${db}: exit 0 \\(the targets match\\)`));
  assert.equal(report.ok, true);
  assert.equal(report.task, db);
  assert.deepEqual({ tables: report.totals.tables, validated: report.totals.validated, mismatched: report.totals.mismatched, rows: report.totals.rows }, { tables: 1, validated: 1, mismatched: 0, rows: 200 });
});
