// GET /healthz and GET /readyz on the metrics port of `ferry run` and `ferry sink`, against real services reached
// through TCP forwarders the test can take down: /readyz is 200 once the task streams, 503 naming the component
// (source, sinks, target:<name>) with its reason while a lost connection is retried, and 200 again after; the change
// written meanwhile is in the target (read back with a separate connection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { sleep, startFerry, type FerryProcess } from '../../../test/helpers/ferry-process.ts';
import { startTcpProxy } from '../../../test/helpers/tcp-proxy.ts';
import type { ReadinessReport } from '../../../runtime/src/health/readiness.ts';

interface Probe { status: number; body: ReadinessReport }

async function probe(port: number): Promise<Probe | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: r.status, body: await r.json() as ReadinessReport };
  } catch {
    return null;
  }
}

/** Polls /readyz until `ok` holds; fails with the last answer and the process's log. */
async function waitFor(port: number, proc: FerryProcess, what: string, ok: (p: Probe) => boolean, ms = 30000): Promise<Probe> {
  let last: Probe | null = null;
  for (const end = Date.now() + ms; Date.now() < end;) {
    last = await probe(port);
    if (last && ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`${what}: last /readyz ${JSON.stringify(last)}\n${proc.stderr().slice(-3000)}`);
}

const rule = (db: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] });

test('ferry run: /healthz 200; /readyz 200 once streaming, 503 naming the source or the sinks while a lost connection is retried', { timeout: 120000 }, async (t) => {
  const db = uniqueName('health_run');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  const sourceProxy = await startTcpProxy(services.mariadb);
  const targetProxy = await startTcpProxy(services.mariadb);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-health-'));
  const port = await freePort();
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name: db, source: { engine: 'mariadb', host: '127.0.0.1', port: sourceProxy.port, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: rule(db),
    targets: [{ type: 'mysql', name: 'copy', host: '127.0.0.1', port: targetProxy.port, user: 'root', password: 'root', database: `${db}_copy` }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  }));
  const run = startFerry(['run', file, '--skip-assessment']);
  t.after(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
    await sourceProxy.close();
    await targetProxy.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });

  const ready = await waitFor(port, run, 'ready once streaming', (p) => p.status === 200);
  assert.equal(ready.body.ready, true);
  assert.deepEqual(ready.body.notReady, []);
  assert.deepEqual(Object.keys(ready.body.components).sort(), ['offsets', 'sinks', 'source']);
  for (const c of Object.values(ready.body.components)) assert.equal(c.state, 'ready');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`, { method: 'HEAD' })).status, 200);

  // The source's binlog connection is lost: the stream reconnects with backoff, and /readyz says so. (Cut once the
  // binlog stream itself runs: /readyz turns 200 at the start batch, and a connection lost while the stream still
  // reads its start state stops the task instead of being retried, a known gap.)
  for (const until = Date.now() + 30000; !/streaming the binlog from/.test(run.stderr() + run.stdout()) && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
  await sourceProxy.down();
  const lost = await waitFor(port, run, 'source retrying', (p) => p.status === 503);
  assert.equal(lost.body.ready, false);
  assert.deepEqual(lost.body.notReady, ['source']);
  assert.equal(lost.body.components.source!.state, 'retrying');
  assert.match(lost.body.components.source!.reason!, /^binlog connection lost \(.+\); reconnect attempt 1 in 1000 ms$/);
  await sourceProxy.up();
  await waitFor(port, run, 'source back', (p) => p.status === 200);

  // The target is unreachable while a change is written: the batch is retried, /readyz names the sinks.
  await targetProxy.down();
  await admin.query(`INSERT INTO ${db}.items VALUES (1, 'one')`);
  const failing = await waitFor(port, run, 'sinks retrying', (p) => p.status === 503);
  assert.deepEqual(failing.body.notReady, ['sinks']);
  assert.equal(failing.body.components.sinks!.state, 'retrying');
  assert.ok(failing.body.components.sinks!.attempts! >= 1);
  assert.equal(failing.body.components.sinks!.reason, `cannot connect to MySQL at 127.0.0.1:${targetProxy.port} as root: connect ECONNREFUSED 127.0.0.1:${targetProxy.port}`);
  await targetProxy.up();
  await waitFor(port, run, 'sinks back', (p) => p.status === 200);
  const [rows] = await admin.query(`SELECT id, v FROM \`${db}_copy\`.items`);
  assert.deepEqual(rows, [{ id: 1, v: 'one' }]);

  // A stop makes the process not ready at once (Kubernetes stops sending it traffic), then it exits 0.
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.stderr().slice(-2000));
});

test('ferry sink: /readyz 503 while waiting for topics, 200 once consuming, 503 naming the target while its writes are retried', { timeout: 150000 }, async (t) => {
  const db = uniqueName('health_sink');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  const targetProxy = await startTcpProxy(services.mariadb);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-health-sink-'));
  const runPort = await freePort();
  const sinkPort = await freePort();
  const doc = (port: number) => JSON.stringify({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: rule(db),
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    targets: [{ type: 'mysql', name: 'copy', host: '127.0.0.1', port: targetProxy.port, user: 'root', password: 'root', database: `${db}_copy` }],
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  writeFileSync(join(dir, 'run.json'), doc(runPort));
  writeFileSync(join(dir, 'sink.json'), doc(sinkPort));
  const sink = startFerry(['sink', join(dir, 'sink.json')]);
  const started: { run?: FerryProcess } = {};
  t.after(async () => {
    sink.child.kill('SIGTERM');
    started.run?.child.kill('SIGTERM');
    await sink.exited;
    await started.run?.exited;
    await targetProxy.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`DROP DATABASE IF EXISTS \`${db}_copy\``);
    await admin.end();
  });

  const waiting = await waitFor(sinkPort, sink, 'sink waiting for topics', (p) => p.status === 503 && p.body.components['target:copy']?.state === 'starting' && /topics/.test(p.body.components['target:copy']?.reason ?? ''));
  assert.deepEqual(waiting.body.notReady, ['target:copy']);
  assert.equal(waiting.body.components['target:copy']!.reason, `no data topics of prefix ${db} yet`);
  assert.equal((await fetch(`http://127.0.0.1:${sinkPort}/healthz`)).status, 200);

  const run = startFerry(['run', join(dir, 'run.json'), '--skip-assessment']);
  started.run = run;
  await waitFor(runPort, run, 'run ready', (p) => p.status === 200);
  await admin.query(`INSERT INTO ${db}.items VALUES (1, 'one')`);
  const consuming = await waitFor(sinkPort, sink, 'sink consuming', (p) => p.status === 200, 60000);
  assert.deepEqual(consuming.body.notReady, []);
  assert.equal(consuming.body.components['target:copy']!.state, 'ready');

  await targetProxy.down();
  await admin.query(`INSERT INTO ${db}.items VALUES (2, 'two')`);
  const failing = await waitFor(sinkPort, sink, 'target retrying', (p) => p.status === 503);
  assert.deepEqual(failing.body.notReady, ['target:copy']);
  assert.equal(failing.body.components['target:copy']!.state, 'retrying');
  assert.equal(failing.body.components['target:copy']!.reason, `cannot connect to MySQL at 127.0.0.1:${targetProxy.port} as root: connect ECONNREFUSED 127.0.0.1:${targetProxy.port}`);
  await targetProxy.up();
  await waitFor(sinkPort, sink, 'target back', (p) => p.status === 200);
  let rows: unknown[] = [];
  for (let i = 0; i < 100 && rows.length < 2; i++) {
    [rows] = await admin.query(`SELECT id, v FROM \`${db}_copy\`.items ORDER BY id`).catch(() => [[]]) as [unknown[]];
    if (rows.length < 2) await sleep(100);
  }
  assert.deepEqual(rows, [{ id: 1, v: 'one' }, { id: 2, v: 'two' }]);
});
