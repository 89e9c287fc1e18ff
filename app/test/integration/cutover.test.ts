// `ferry cutover` end to end: a MariaDB task streams a writer's inserts into a MariaDB target (direct mode); while the
// target is unreachable the cutover times out (exit 6) and leaves the task running; after the writer stops, the
// cutover waits for the latency and the drain, stops the task through its control API and prints the final committed
// position: at or past the binlog end read after the last write (by the test, with SHOW MASTER STATUS), equal to what
// `ferry offsets show` and the task's own summary report, and every row is in the target (read back by the test).
// The same for a PostgreSQL task, against pg_current_wal_insert_lsn().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { dropPgTaskObjects, ROOT, sleep, startFerry } from '../../../test/helpers/ferry-process.ts';
import { startTcpProxy } from '../../../test/helpers/tcp-proxy.ts';

/** Runs the CLI to its end (asynchronously: the task under test keeps running in this process's event loop). */
function ferry(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((r) => child.once('exit', (status) => r({ status, stdout, stderr })));
}

/** The log-order key of a binlog position as Ferry encodes it (core/src/position.ts): file sequence and offset. */
const logKey = (file: string, pos: number) => `${file.split('.').pop()!.padStart(10, '0')}:${String(pos).padStart(12, '0')}`;
const keyOf = (p: string) => p.split(':').slice(1, 3).join(':');

async function binlogEnd(c: mysql.Connection): Promise<string> {
  const [rows] = await c.query('SHOW MASTER STATUS') as [{ File: string; Position: number }[], unknown];
  return logKey(rows[0]!.File, Number(rows[0]!.Position));
}

test('ferry cutover waits for latency and drain, stops the task and prints the final position; every row is in the target', { timeout: 120000 }, async (t) => {
  const db = uniqueName('cutover');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.orders (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, note VARCHAR(40) NOT NULL)`);
  const targetProxy = await startTcpProxy(services.mariadb);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cutover-'));
  const port = await freePort();
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'copy', host: '127.0.0.1', port: targetProxy.port, user: 'root', password: 'root', database: `${db}_copy` }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  }));
  const run = startFerry(['run', file, '--skip-assessment', '--json']);
  t.after(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
    await targetProxy.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (r?.status === 200) break;
    assert.ok(i < 300, `the task becomes ready: ${run.stderr().slice(-2000)}`);
    await sleep(100);
  }

  // A writer: 300 rows, one transaction each, over about two seconds.
  const writer = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const expected: { id: number; amount: string; note: string }[] = [];
  for (let i = 1; i <= 300; i++) {
    const row = { id: i, amount: (i * 1.25).toFixed(2), note: `order ${i}` };
    await writer.query(`INSERT INTO ${db}.orders VALUES (?, ?, ?)`, [row.id, row.amount, row.note]);
    expected.push(row);
    if (i % 30 === 0) await sleep(200);
  }

  // While the target is unreachable the task retries and is not ready: the cutover times out (exit 6), the task runs on.
  await targetProxy.down();
  await writer.query(`INSERT INTO ${db}.orders VALUES (301, 1.00, 'during the outage')`);
  expected.push({ id: 301, amount: '1.00', note: 'during the outage' });
  for (let i = 0; (await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 503; i++) {
    assert.ok(i < 100, 'the task reports the failing target');
    await sleep(100);
  }
  const timedOut = await ferry('cutover', file, '--timeout', '3', '--json');
  assert.equal(timedOut.status, 6, timedOut.stdout + timedOut.stderr);
  const te = JSON.parse(timedOut.stdout) as { ok: boolean; error: { code: string; message: string; details: { phase: string } } };
  assert.equal(te.ok, false);
  assert.equal(te.error.code, 'FERRY_CUTOVER_TIMEOUT');
  assert.equal(te.error.details.phase, 'latency');
  assert.match(te.error.message, /the task did not become ready \(not ready: sinks\) within --timeout 3 s; the task was left running/);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  await targetProxy.up();

  // The writer stops; the binlog end after its last write is what the final position must reach.
  await writer.end();
  const afterLastWrite = await binlogEnd(admin);
  const r = await ferry('cutover', file, '--max-latency', '5', '--timeout', '60', '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; task: string; finalPosition: string; drainTarget: string; latencySeconds: number | null };
  assert.equal(out.ok, true);
  assert.equal(out.task, db);
  const endAfter = await binlogEnd(admin);
  // Other tests write to the same server, so the end can move past the last write: the final position is between.
  assert.ok(keyOf(out.finalPosition) >= afterLastWrite, `final ${out.finalPosition} is at or past the position after the last write ${afterLastWrite}`);
  assert.ok(keyOf(out.finalPosition) <= endAfter, `final ${out.finalPosition} is not past the binlog end ${endAfter}`);
  assert.ok(keyOf(out.drainTarget) >= afterLastWrite && keyOf(out.finalPosition) >= keyOf(out.drainTarget));
  assert.ok(out.latencySeconds === null || out.latencySeconds <= 5);

  // The task stopped by itself (exit 0, stopped through the control API) at the same position.
  assert.equal(await run.exited, 0, run.stderr().slice(-2000));
  const summary = JSON.parse(run.stdout()) as { stoppedBy: string; lastCommitted: string };
  assert.equal(summary.stoppedBy, 'control-api');
  assert.equal(summary.lastCommitted, out.finalPosition);
  const shown = await ferry('offsets', 'show', file, '--json');
  assert.equal((JSON.parse(shown.stdout) as { offset: { position: string } }).offset.position, out.finalPosition);

  // Every row is in the target.
  const [rows] = await admin.query(`SELECT id, amount, note FROM \`${db}_copy\`.orders ORDER BY id`);
  assert.deepEqual(rows, expected);

  // With the task gone, a cutover says so: exit 1, FERRY_TASK_NOT_RUNNING.
  const gone = await ferry('cutover', file, '--json');
  assert.equal(gone.status, 1);
  assert.equal((JSON.parse(gone.stdout) as { error: { code: string } }).error.code, 'FERRY_TASK_NOT_RUNNING');
});

test('ferry cutover on a PostgreSQL task: the drain passes pg_current_wal_insert_lsn() after the last write (heartbeats move it)', { timeout: 120000 }, async (t) => {
  const name = uniqueName('cutover_pg');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`CREATE TABLE ${name}.orders (id int PRIMARY KEY, note text NOT NULL)`);
  await admin.query(`ALTER TABLE ${name}.orders OWNER TO cdc; ALTER TABLE ${name}.orders REPLICA IDENTITY FULL`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cutover-pg-'));
  const port = await freePort();
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'copy', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', database: `${name}_copy` }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', heartbeatIntervalMs: 1000 },
  }));
  const run = startFerry(['run', file, '--skip-assessment', '--json']);
  t.after(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS \`${name}_copy\``);
    await my.end();
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (r?.status === 200) break;
    assert.ok(i < 300, `the task becomes ready: ${run.stderr().slice(-2000)}`);
    await sleep(100);
  }
  const expected: { id: number; note: string }[] = [];
  for (let i = 1; i <= 100; i++) {
    await admin.query(`INSERT INTO ${name}.orders VALUES ($1, $2)`, [i, `order ${i}`]);
    expected.push({ id: i, note: `order ${i}` });
  }
  const lsn = async () => parseLsn((await admin.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l);
  const afterLastWrite = await lsn();
  const r = await ferry('cutover', file, '--timeout', '60', '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { finalPosition: string; drainTarget: string };
  const final = BigInt(`0x${out.finalPosition.slice(3)}`);
  assert.ok(final >= afterLastWrite, `final ${out.finalPosition} is at or past the LSN after the last write`);
  assert.ok(final <= await lsn());
  assert.equal(await run.exited, 0, run.stderr().slice(-2000));
  assert.equal((JSON.parse(run.stdout()) as { lastCommitted: string }).lastCommitted, out.finalPosition);
  const [rows] = await my.query(`SELECT id, note FROM \`${name}_copy\`.orders ORDER BY id`);
  assert.deepEqual(rows, expected);
});

function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}
