// Two `ferry worker --cluster` processes and one MariaDB task under write load (docs/cluster.md):
//   1. SIGSTOP the owner: the group moves the task to the other worker; SIGCONT: the thawed worker is fenced and
//      writes nothing after the move;
//   2. SIGKILL the new owner: the task moves back to the thawed worker.
// At the end the topic, read with read_committed by an independent reader (avsc), holds exactly the source table,
// every change once (no duplicates: events and offsets are committed in one transaction), and each failover took
// less than 15 s from the failure to the first event from the new owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { services, uniqueName, freePort } from '../helpers/services.ts';
import { startFerry, sleep, type FerryProcess } from '../helpers/ferry-process.ts';
import { decodeWire } from '../helpers/topic-reader.ts';
import { readCommittedToEnd } from '../../runtime/src/kafka/kafka-client.ts';

interface Worker { id: string; url: string; proc: FerryProcess }

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, logs: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e: unknown) {
      last = e;
      if (process.env.FERRY_TEST_LOGS) console.log(`${what}: ${String(e)}`.slice(0, 400));
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (${String(last)})\n${logs()}`);
}

type TaskView = { name: string; owner: string | null; state: string };

test('cluster: a MariaDB task survives SIGSTOP (fenced on thaw) and SIGKILL of its owner, nothing lost or duplicated', { timeout: 120000 }, async () => {
  const name = uniqueName('ferry_cluster');
  const cluster = name.replace(/_/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cluster-'));
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await admin.query(`INSERT INTO ${name}.items VALUES ?`, [Array.from({ length: 200 }, (_, i) => [i + 1, 0])]);
  const workers: Worker[] = [];
  const logs = () => workers.map((w) => `--- ${w.id}\n${w.proc.stderr().split('\n').filter((l) => /"level":(40|50)|error|fenced|generation/i.test(l)).slice(-15).join('\n')}`).join('\n');
  let writing = true;
  const t0 = Date.now();
  const phase = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    for (const id of ['w1', 'w2']) {
      const port = await freePort();
      const proc = startFerry(['worker', '--cluster', cluster, '--bootstrap', services.brokers.join(','), '--http', `127.0.0.1:${port}`, '--worker-id', id, '--state-dir', join(dir, id)], { ...process.env, FERRY_LOG_LEVEL: process.env.FERRY_TEST_WORKER_LOG ?? 'info' });
      workers.push({ id, url: `http://127.0.0.1:${port}`, proc });
    }
    const [w1, w2] = workers as [Worker, Worker];
    await waitFor('two members', async () => {
      const s = (await getJson(`${w2.url}/status`)).body as { members: unknown[] };
      return s.members.length === 2 ? true : undefined;
    }, 20000, logs);
    // Created through w2: forwarded to the leader when w2 is not it.
    const created = await fetch(`${w2.url}/tasks`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
        tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
        kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 1 },
        settings: { metrics: { enabled: false }, batch: { maxEvents: 500, maxDelayMs: 20 } },
      }),
    });
    assert.equal(created.status, 201, await created.text());
    phase('task created');
    const taskOf = async (w: Worker) => ((await getJson(`${w.url}/status`)).body.tasks as TaskView[]).find((t) => t.name === name);
    const running = (w: Worker, owner?: string) => waitFor(`task running${owner ? ` on ${owner}` : ''} (seen by ${w.id})`, async () => {
      const t = await taskOf(w);
      return t && t.state === 'running' && (owner === undefined || t.owner === owner) ? t.owner! : undefined;
    }, 40000, logs);
    const firstOwner = await running(w1);
    // `ferry tasks` against any worker (the worker takes no token yet; the CLI wants one).
    const listed = startFerry(['tasks', 'list', '--url', w1.url, '--token', 'unused-by-workers', '--json']);
    assert.equal(await listed.exited, 0, listed.stderr());
    assert.deepEqual((JSON.parse(listed.stdout()) as { tasks: { name: string; owner: string; status: string }[] }).tasks.map((t) => [t.name, t.owner, t.status]), [[name, firstOwner, 'running']]);
    phase('task running');
    assert.equal((await getJson(`${workers.find((w) => w.id === firstOwner)!.url}/readyz`)).status, 200);

    // The application writes all along: inserts and updates in small transactions.
    let nextId = 201;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        await admin.query(`INSERT INTO ${name}.items VALUES (?, ?)`, [nextId++, n]);
        await admin.query(`UPDATE ${name}.items SET v = v + 1 WHERE id = ?`, [1 + (n % 200)]);
        await sleep(20);
      }
    })();
    await sleep(1500);

    const failovers: number[] = [];
    const topic = `${name}.${name}.items`;
    const readTopic = () => readCommittedToEnd({ brokers: services.brokers, clientId: 'ferry-test-reader', topic, timeoutMs: 20000 });
    const firstEventAfter = async (t0: number) => waitFor('the first event from the new owner', async () => {
      const after = (await readTopic()).map((r) => Number(r.timestampMs)).filter((ts) => ts > t0);
      return after.length > 0 ? Math.min(...after) - t0 : undefined;
    }, 30000, logs);

    // 1. Freeze the owner: the task moves; thaw it: it is fenced.
    const frozen = workers.find((w) => w.id === firstOwner)!;
    const other = workers.find((w) => w !== frozen)!;
    const stopAt = Date.now();
    frozen.proc.child.kill('SIGSTOP');
    await running(other, other.id);
    phase('moved after SIGSTOP');
    failovers.push(await firstEventAfter(stopAt));
    await sleep(1000);
    frozen.proc.child.kill('SIGCONT');
    phase('SIGCONT');
    await waitFor('the thawed worker back in the cluster without the task', async () => {
      const s = (await getJson(`${frozen.url}/status`)).body as { members: unknown[]; tasks: TaskView[] };
      return s.members.length === 2 && s.tasks.find((t) => t.name === name)?.owner === other.id ? true : undefined;
    }, 30000, logs);
    phase('thawed worker back');
    assert.match(frozen.proc.stderr(), /FERRY_WORKER_FENCED|left the cluster|stopping task/, 'the thawed worker stopped its copy of the task');

    // 2. Kill the new owner: the task moves back to the thawed worker.
    const killAt = Date.now();
    other.proc.child.kill('SIGKILL');
    await running(frozen, frozen.id);
    phase('moved after SIGKILL');
    failovers.push(await firstEventAfter(killAt));
    await sleep(1500);
    writing = false;
    await writer;
    phase('writer stopped');

    // Every row, once: the latest state per key equals the table, and no change event appears twice.
    phase('select');
    const [rows] = await admin.query(`SELECT id, v FROM ${name}.items ORDER BY id`) as [{ id: number; v: number }[], unknown];
    const expected = new Map(rows.map((r) => [r.id, r.v]));
    const settled = await waitFor('the topic to equal the table', async () => {
      phase('read');
      const decoded = await Promise.all((await readTopic()).map(async (r) => ({ key: r.key ? (await decodeWire(r.key)).value as { id: number } : null, value: r.value ? (await decodeWire(r.value)).value as { op: string; after: { id: number; v: number } | null; source: { file: string; pos: bigint | number; row: number } } : null })));
      const state = new Map<number, number>();
      for (const d of decoded) if (d.value?.after) state.set(d.value.after.id, d.value.after.v);
      if (state.size !== expected.size || [...expected].some(([id, v]) => state.get(id) !== v)) {
        if (process.env.FERRY_TEST_LOGS) console.log(`not yet: ${decoded.length} events, ${state.size}/${expected.size} keys, ${[...expected].filter(([id, v]) => state.get(id) !== v).length} differ`);
        return undefined;
      }
      return decoded;
    }, 30000, logs);
    const seen = new Map<string, number>();
    phase('topic equals table');
    for (const d of settled) {
      if (!d.value || d.value.op === 'r') continue;
      const id = `${d.value.source.file}:${String(d.value.source.pos)}:${d.value.source.row}:${JSON.stringify(d.key)}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const duplicates = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(duplicates, [], 'no change event is on the topic twice (the thawed owner wrote nothing after the move)');
    const snapshotKeys = settled.filter((d) => d.value?.op === 'r').map((d) => JSON.stringify(d.key));
    assert.ok(snapshotKeys.length >= 200, `the snapshot read every initial row (${snapshotKeys.length})`);
    assert.equal(new Set(snapshotKeys).size, snapshotKeys.length, 'the snapshot was read once');
    console.log(`failover times (failure → first event from the new owner): ${failovers.map((ms) => `${ms} ms`).join(', ')}; ${settled.length} events, ${duplicates.length} duplicates`);
    for (const ms of failovers) assert.ok(ms < 15000, `failover took ${ms} ms (target < 15 s)`);
  } finally {
    writing = false;
    for (const w of workers) {
      if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) {
        w.proc.child.kill('SIGCONT');
        w.proc.child.kill('SIGTERM');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(workers.map((w) => w.proc.exited)), new Promise((r) => { timer = setTimeout(r, 15000); })]);
    clearTimeout(timer);
    phase('workers exited');
    for (const w of workers) if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) w.proc.child.kill('SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
    // FERRY_TEST_LOGS=<dir> keeps each worker's log there.
    if (process.env.FERRY_TEST_LOGS) for (const w of workers) writeFileSync(join(process.env.FERRY_TEST_LOGS, `${w.id}.log`), w.proc.stderr());
    rmSync(dir, { recursive: true, force: true });
  }
});
