// `ferry top` against a real `ferry run` (MariaDB source, direct mode into a MariaDB target database) and a real
// `ferry serve`: under a pseudo-terminal (test/helpers/pty-run.py, Python's pty module) the screen shows the tables
// with their rows copied (the source's COUNT(*)), events, a numeric events/s and CDC latencies, fits a resized
// terminal, and q restores the terminal (the alternate-screen exit sequence) with exit 0; --once --json prints exact
// fields; --api reads the task REST API; nothing answering is exit 3 with FERRY_TASK_NOT_RUNNING.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { ROOT, sleep, startFerry, type FerryProcess } from '../../../test/helpers/ferry-process.ts';
import { parsePrometheusText, sum } from '../../src/top/prometheus-text.ts';

const ITEMS = 3000;
const SMALL = 40;
const INSERTS = 25;
const TOKEN = `top-token-${Math.random().toString(36).slice(2)}-0123456789`;

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 40000, log = () => ''): Promise<T> {
  let last: T | undefined;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    last = await get().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(last)}\n${log().slice(-3000)}`);
}

/** The last full screen drawn: the text after the last cursor-home, escape sequences removed, one string a line. */
function lastScreen(raw: string): string[] {
  const at = raw.lastIndexOf('\x1b[H');
  const screen = at < 0 ? raw : raw.slice(at + 3);
  // eslint-disable-next-line no-control-regex
  return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r*\n/);
}

const rule = (db: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] });

async function seed(admin: mysql.Connection, db: string): Promise<void> {
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  await admin.query(`CREATE TABLE ${db}.small (id INT PRIMARY KEY)`);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: ITEMS }, (_, i) => `(${i + 1}, 'seed')`).join(',')}`);
  await admin.query(`INSERT INTO ${db}.small VALUES ${Array.from({ length: SMALL }, (_, i) => `(${i + 1})`).join(',')}`);
  await admin.query(`ANALYZE TABLE ${db}.items, ${db}.small`);
}

/** `ferry <args>` in a 120x30 pseudo-terminal (test/helpers/pty-run.py): its stdin types into the terminal. */
function inPty(args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn('python3', [join(ROOT, 'test', 'helpers', 'pty-run.py'), '120', '30', process.execPath, join(ROOT, 'bin', 'ferry.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  return { child, exited: new Promise((r) => child.once('exit', (c) => r(c))) };
}

const count = async (admin: mysql.Connection, table: string) => ((await admin.query(`SELECT COUNT(*) AS n FROM ${table}`))[0] as { n: number }[])[0]!.n;

test('ferry top <task-file>: live screen in a pseudo-terminal, resize, q restores the terminal; --once --json; nothing answering', { timeout: 90000 }, async (t) => {
  const db = uniqueName('top_run');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await seed(admin, db);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-top-'));
  const port = await freePort();
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: rule(db),
    targets: [{ type: 'mysql', name: 'copy', ...services.mariadb, user: 'root', password: 'root', database: `${db}_copy` }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', snapshot: { chunkSize: 500 } },
  }));
  const run: FerryProcess = startFerry(['run', file, '--skip-assessment']);
  t.after(async () => {
    if (run.child.exitCode === null) { run.child.kill('SIGTERM'); await run.exited; }
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });

  // The full load is done (both tables copied into the target, read back there), then changes stream.
  await until('the full load in the target', async () => [await count(admin, `\`${db}_copy\`.items`), await count(admin, `\`${db}_copy\`.small`)], ([a, b]) => a === ITEMS && b === SMALL, 60000, run.stderr);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: INSERTS }, (_, i) => `(${ITEMS + i + 1}, 'new')`).join(',')}`);
  await until('the inserts in the target', () => count(admin, `\`${db}_copy\`.items`), (n) => n === ITEMS + INSERTS, 30000, run.stderr);
  const sourceItems = await count(admin, `${db}.items`);
  const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const estimate = sum(metrics, 'ferry_snapshot_rows_total_estimate', { table: `${db}.items` });

  // --once --json (stdout is a pipe): exact fields.
  const once = startFerry(['top', file, '--once', '--json']);
  assert.equal(await once.exited, 0, `ferry top --once --json: ${once.stdout()} ${once.stderr()}\n--- ferry run's log:\n${run.stderr()}`);
  const snap = JSON.parse(once.stdout()) as Record<string, unknown> & { tables: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(snap), ['ok', 'source', 'endpoint', 'task', 'state', 'reason', 'migrationType', 'uptimeSeconds', 'eventsPerSecond', 'latencySourceSeconds', 'latencyTargetSeconds', 'deadLetters', 'retries', 'tables', 'at']);
  assert.equal(snap.ok, true);
  assert.equal(snap.source, 'metrics');
  assert.equal(snap.endpoint, `http://127.0.0.1:${port}`);
  assert.equal(snap.task, db);
  assert.equal(snap.state, 'running');
  assert.equal(snap.reason, null);
  assert.equal(snap.migrationType, 'full-load-and-cdc');
  assert.equal(typeof snap.uptimeSeconds, 'number');
  assert.equal(typeof snap.eventsPerSecond, 'number');
  assert.equal(typeof snap.latencySourceSeconds, 'number');
  assert.equal(typeof snap.latencyTargetSeconds, 'number');
  assert.equal(snap.deadLetters, 0);
  assert.equal(snap.retries, 0);
  assert.deepEqual(snap.tables, [
    { table: `${db}.items`, state: 'loaded, cdc', rowsCopied: ITEMS, rowsEstimate: estimate, percent: Math.min(100, Math.round((ITEMS / estimate!) * 1000) / 10), etaSeconds: ITEMS >= estimate! ? 0 : null, events: sourceItems, eventsPerSecond: 0, errors: 0 },
    { table: `${db}.small`, state: 'loaded, cdc', rowsCopied: SMALL, rowsEstimate: sum(metrics, 'ferry_snapshot_rows_total_estimate', { table: `${db}.small` }), percent: snap.tables[1]!.percent, etaSeconds: snap.tables[1]!.etaSeconds, events: SMALL, eventsPerSecond: 0, errors: 0 },
  ]);

  // Live, in a 120x30 pseudo-terminal.
  const term = inPty(['top', file, '--interval', '1'], process.env);
  const pty = term.child;
  const ptyExit = term.exited;
  t.after(() => { if (pty.exitCode === null) pty.kill('SIGKILL'); });
  let raw = '';
  let ptyErr = '';
  pty.stdout!.on('data', (d: Buffer) => { raw += d.toString(); });
  pty.stderr!.on('data', (d: Buffer) => { ptyErr += d.toString(); });
  const live = async () => lastScreen(raw);
  // Two refreshes after the first screen, so that the per-table rates are known.
  await until('two refreshes', async () => raw.split('\x1b[H').length, (n) => n >= 4, 20000, () => raw + ptyErr);
  await admin.query(`INSERT INTO ${db}.items VALUES (${ITEMS + INSERTS + 1}, 'live')`);
  const screen = await until('the insert on screen', live, (s) => s.some((l) => l.startsWith(`${db}.items`) && l.includes(String(sourceItems + 1))), 20000, () => raw + ptyErr);
  assert.ok(raw.startsWith('\x1b[?1049h'), 'the alternate screen is entered first');
  assert.match(screen[0]!, new RegExp(`^ferry top - task ${db}  state running  type full-load-and-cdc  uptime \\d+(m\\d\\ds|s)`));
  assert.match(screen[1]!, /^events\/s \d+(\.\d)? {2}CDCLatencySource \d+(\.\d+)?s {2}CDCLatencyTarget \d+(\.\d+)?s {2}dead letters 0 {2}retries 0/);
  assert.match(screen[4]!, /^TABLE\s+STATE\s+ROWS COPIED\s+ESTIMATE\s+%\s+ETA\s+EVENTS\s+EVENTS\/S\s+ERRORS/);
  const cells = (name: string) => screen.find((l) => l.startsWith(`${name} `))!.slice(name.length).trim().split(/\s{2,}|\s(?=\d|-)/).filter((c) => c !== '');
  const items = cells(`${db}.items`);
  assert.equal(items[0], 'loaded, cdc');
  assert.equal(items[1], String(ITEMS));
  assert.equal(items[5], String(sourceItems + 1));
  assert.match(items[6]!, /^\d+(\.\d)?$/);
  assert.equal(items[7], '0');
  const small = cells(`${db}.small`);
  assert.deepEqual([small[0], small[1], small[5], small[6], small[7]], ['loaded, cdc', String(SMALL), String(SMALL), '0', '0']);
  assert.ok(screen.every((l) => l.length <= 120), JSON.stringify(screen));

  // Resize to 60 columns: the next screen (drawn at once on SIGWINCH) fits.
  const before = raw.length;
  pty.stdin!.write('\0resize 60 20\n');
  await until('a redraw after the resize', async () => raw.length > before && lastScreen(raw.slice(before)).length > 4, (ok) => ok, 10000);
  const narrow = lastScreen(raw.slice(before));
  assert.ok(narrow.every((l) => l.length <= 60), narrow.join('\n'));
  assert.equal(narrow[0], `ferry top - task ${db}  state running  type full-load-and-cdc  uptime`.slice(0, 60));

  pty.stdin!.write('q');
  assert.equal(await ptyExit, 0, ptyErr);
  assert.match(ptyErr, /PTY-EXIT 0/);
  assert.ok(raw.endsWith('\x1b[?25h\x1b[?1049l'), `the terminal is restored last: ${JSON.stringify(raw.slice(-40))}`);

  // Nothing answering (the task stopped): exit 3, FERRY_TASK_NOT_RUNNING naming the address and the fix.
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const gone = startFerry(['top', file, '--json']);
  assert.equal(await gone.exited, 3);
  const error = (JSON.parse(gone.stdout()) as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'FERRY_TASK_NOT_RUNNING');
  assert.match(error.message, new RegExp(`^nothing answers at http://127.0.0.1:${port}/(metrics|readyz) \\(.+\\): is task ${db} running\\? Start it with \`ferry run ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``));
});

async function serve(stateDir: string): Promise<{ p: FerryProcess; url: string }> {
  const p = startFerry(['serve', '--port', '0', '--state-dir', stateDir, '--json'], { ...process.env, FERRY_API_TOKEN: TOKEN, FERRY_LOG_LEVEL: 'warn' });
  for (let i = 0; i < 200; i++) {
    const m = /"url": "([^"]+)"/.exec(p.stdout());
    if (m) return { p, url: m[1]! };
    if (p.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`ferry serve did not start: ${p.stderr()}`);
}

test('ferry top --api: the task REST API of a ferry serve, --once --json, the plain snapshot, live in a pseudo-terminal until Ctrl-C; a wrong token is exit 2', { timeout: 90000 }, async (t) => {
  const db = uniqueName('top_api');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await seed(admin, db);
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-top-api-'));
  const server = await serve(stateDir);
  t.after(async () => {
    if (server.p.child.exitCode === null) { server.p.child.kill('SIGTERM'); await server.p.exited; }
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });
  const env = { ...process.env, FERRY_API_TOKEN: TOKEN };
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return r.json() as Promise<Record<string, unknown>>;
  };
  await call('POST', '/tasks?start=true', {
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: rule(db),
    targets: [{ type: 'mysql', name: 'copy', ...services.mariadb, user: 'root', password: 'root', database: `${db}_copy` }],
    settings: { metrics: { enabled: false }, stateDir: join(stateDir, db), offsetStore: 'sqlite' },
  });
  await until('the full load in the target', async () => [await count(admin, `\`${db}_copy\`.items`), await count(admin, `\`${db}_copy\`.small`)], ([a, b]) => a === ITEMS && b === SMALL, 60000, server.p.stderr);
  await admin.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: INSERTS }, (_, i) => `(${ITEMS + i + 1}, 'new')`).join(',')}`);
  await until('the inserts in the target', () => count(admin, `\`${db}_copy\`.items`), (n) => n === ITEMS + INSERTS, 30000, server.p.stderr);
  // The API's statistics count the change once it is durable; wait for it there too (the screen reads the same).
  await until('the statistics', () => call('GET', `/tasks/${db}/stats`), (s) => (s.tables as { tableName: string; inserts: number }[]).some((x) => x.tableName === 'items' && x.inserts === INSERTS));

  const once = startFerry(['top', '--api', server.url, '--once', '--json'], env);
  assert.equal(await once.exited, 0, once.stderr());
  const snap = JSON.parse(once.stdout()) as Record<string, unknown> & { tables: Record<string, unknown>[] };
  assert.equal(snap.source, 'api');
  assert.equal(snap.endpoint, server.url);
  assert.equal(snap.task, db);
  assert.equal(snap.state, 'running');
  assert.equal(snap.migrationType, 'full-load-and-cdc');
  assert.equal(typeof snap.uptimeSeconds, 'number');
  assert.equal(snap.eventsPerSecond, 0);
  assert.deepEqual(snap.tables, [
    { table: `${db}.items`, state: 'Table completed', rowsCopied: ITEMS, rowsEstimate: null, percent: null, etaSeconds: null, events: ITEMS + INSERTS, eventsPerSecond: 0, errors: 0 },
    { table: `${db}.small`, state: 'Table completed', rowsCopied: SMALL, rowsEstimate: null, percent: null, etaSeconds: null, events: SMALL, eventsPerSecond: 0, errors: 0 },
  ]);

  // Not a terminal, no --json: the screen's lines once, as text.
  const plain = startFerry(['top', '--api', server.url, '--task', db], env);
  assert.equal(await plain.exited, 0, plain.stderr());
  const lines = plain.stdout().split('\n');
  assert.match(lines[0]!, new RegExp(`^ferry top - task ${db}  state running  type full-load-and-cdc  uptime `));
  assert.match(lines[2]!, new RegExp(`^API ${server.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}  every 2s`));
  assert.match(lines.find((l) => l.startsWith(`${db}.items `))!, new RegExp(`^${db}\\.items\\s+Table completed\\s+${ITEMS}\\s+-\\s+-\\s+-\\s+${ITEMS + INSERTS}\\s+0\\s+0$`));

  // Live on the API, in a pseudo-terminal; Ctrl-C quits and restores the terminal.
  const term = inPty(['top', '--api', server.url, '--interval', '1'], env);
  t.after(() => { if (term.child.exitCode === null) term.child.kill('SIGKILL'); });
  let raw = '';
  term.child.stdout!.on('data', (d: Buffer) => { raw += d.toString(); });
  const screen = await until('the API screen', async () => lastScreen(raw), (s) => s.some((l) => l.startsWith(`${db}.items `)), 20000, () => raw);
  assert.ok(raw.startsWith('\x1b[?1049h'));
  assert.match(screen[0]!, new RegExp(`^ferry top - task ${db} {2}state running {2}type full-load-and-cdc`));
  assert.match(screen.find((l) => l.startsWith(`${db}.items `))!, new RegExp(`^${db}\\.items\\s+Table completed\\s+${ITEMS}\\s+-\\s+-\\s+-\\s+${ITEMS + INSERTS}\\s`));
  term.child.stdin!.write('\x03');
  assert.equal(await term.exited, 0);
  assert.ok(raw.endsWith('\x1b[?25h\x1b[?1049l'), JSON.stringify(raw.slice(-40)));

  const denied = startFerry(['top', '--api', server.url, '--json'], { ...process.env, FERRY_API_TOKEN: 'wrong-token-0123456789' });
  assert.equal(await denied.exited, 2);
  assert.match((JSON.parse(denied.stdout()) as { error: { message: string } }).error.message, /^the task API answered HTTP 401 /);
});
