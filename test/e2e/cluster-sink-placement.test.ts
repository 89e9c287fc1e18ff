// Sink placement by the cluster leader (docs/cluster.md#sink-placement): two `ferry worker` processes, one MariaDB
// task on 2 partitions with a PostgreSQL target asking for 3 consumers. The leader places the task and
// min(3, 2) = 2 sink units, spread over both workers; each unit is one consumer of the target's group. SIGKILL of
// the worker holding a unit (and not the source): the unit moves to the survivor, and after more writes the target
// table, read back with pg, equals the source table exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName, freePort } from '../helpers/services.ts';
import { startFerry, sleep, type FerryProcess } from '../helpers/ferry-process.ts';

interface Worker { id: string; url: string; proc: FerryProcess }
type Status = { workerId: string; members: unknown[]; tasks: { name: string; owner: string | null; state: string }[] };

async function status(w: Worker): Promise<Status> {
  const res = await fetch(`${w.url}/status`, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as Status;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, logs: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e: unknown) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (${String(last)})\n${logs()}`);
}

test('cluster: the leader places sink units across workers; SIGKILL moves a unit and the target ends exact', { timeout: 90000 }, async () => {
  const name = uniqueName('ferry_sinkunits');
  const cluster = name.replace(/_/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-sink-units-'));
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const pgc = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await pgc.connect();
  await my.query(`CREATE DATABASE ${name}`);
  await my.query(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await my.query(`INSERT INTO ${name}.items VALUES ?`, [Array.from({ length: 40 }, (_, i) => [i + 1, i])]);
  const workers: Worker[] = [];
  const logs = () => workers.map((w) => `--- ${w.id}\n${w.proc.stderr().split('\n').filter((l) => /"level":(40|50)|sink unit/i.test(l)).slice(-15).join('\n')}`).join('\n');
  const t0 = Date.now();
  const phase = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const sourceRows = async () => ((await my.query(`SELECT id, v FROM ${name}.items ORDER BY id`))[0] as { id: number; v: number }[]).map((r) => `${r.id}:${r.v}`).join(',');
  const targetRows = async () => (await pgc.query(`SELECT id, v FROM ${name}.items ORDER BY id`)).rows.map((r: { id: number; v: number }) => `${r.id}:${r.v}`).join(',');
  try {
    for (const id of ['s1', 's2']) {
      const port = await freePort();
      const proc = startFerry(['worker', '--cluster', cluster, '--bootstrap', services.brokers.join(','), '--http', `127.0.0.1:${port}`, '--worker-id', id, '--state-dir', join(dir, id)], { ...process.env, FERRY_LOG_LEVEL: 'info' });
      workers.push({ id, url: `http://127.0.0.1:${port}`, proc });
    }
    const [w1] = workers as [Worker, Worker];
    await until('two members', async () => ((await status(w1)).members.length === 2 ? true : undefined), 20000, logs);
    const created = await fetch(`${w1.url}/tasks`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
        tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': 'items' } }] },
        kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 2 },
        targets: [{ type: 'postgres', name: 'pg', ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop', consumers: 3 }],
        settings: { metrics: { enabled: false }, batch: { maxEvents: 500, maxDelayMs: 20 } },
      }),
    });
    assert.equal(created.status, 201, await created.text());
    const units = [`${name}/sink/pg/1`, `${name}/sink/pg/2`];
    // Placed: the task and two units (3 consumers capped at 2 partitions), the units on different workers.
    const placed = await until('the task and its sink units placed and running', async () => {
      const all = await Promise.all(workers.map(status));
      const owners = Object.fromEntries(all[0]!.tasks.map((t) => [t.name, t.owner]));
      if (!units.every((u) => owners[u]) || !owners[name]) return undefined;
      // Each unit runs on its holder (the holder's /status shows its own units' state).
      for (const u of units) if (all.find((s) => s.workerId === owners[u])!.tasks.find((t) => t.name === u)?.state !== 'running') return undefined;
      return { owners, names: all[0]!.tasks.map((t) => t.name) };
    }, 30000, logs);
    assert.deepEqual(placed.names.filter((n) => n.startsWith(`${name}/`)).sort(), units, 'exactly two units: consumers 3 capped at the 2 partitions');
    assert.notEqual(placed.owners[units[0]!], placed.owners[units[1]!], 'the two units on different workers');
    phase('placed');
    await until('the target equal to the source', async () => ((await targetRows().catch(() => '')) === (await sourceRows()) ? true : undefined), 30000, logs);
    phase('target equal after the full load');

    // SIGKILL the worker that holds a unit and not the source task.
    const victimId = [placed.owners[units[0]!], placed.owners[units[1]!]].find((o) => o !== placed.owners[name])!;
    const victim = workers.find((w) => w.id === victimId)!;
    const survivor = workers.find((w) => w !== victim)!;
    const movedUnit = units.find((u) => placed.owners[u] === victimId)!;
    victim.proc.child.kill('SIGKILL');
    const killAt = Date.now();
    await my.query(`INSERT INTO ${name}.items VALUES ?`, [Array.from({ length: 30 }, (_, i) => [41 + i, 1000 + i])]);
    await my.query(`UPDATE ${name}.items SET v = v + 7 WHERE id % 3 = 0`);
    await my.query(`DELETE FROM ${name}.items WHERE id % 10 = 5`);
    await until('the unit moved to the survivor and running', async () => {
      const s = await status(survivor);
      return s.members.length === 1 && s.tasks.find((t) => t.name === movedUnit)?.state === 'running' && units.every((u) => s.tasks.find((t) => t.name === u)?.owner === survivor.id) ? true : undefined;
    }, 30000, logs);
    phase(`unit moved after SIGKILL (${((Date.now() - killAt) / 1000).toFixed(1)} s)`);
    await until('the target equal to the source after the move', async () => ((await targetRows().catch(() => '')) === (await sourceRows()) ? true : undefined), 40000, logs);
    phase('target equal after the move');
    const rows = (await pgc.query(`SELECT count(*)::int AS n, sum(v)::int AS s FROM ${name}.items`)).rows[0] as { n: number; s: number };
    const src = ((await my.query(`SELECT count(*) AS n, CAST(sum(v) AS SIGNED) AS s FROM ${name}.items`))[0] as { n: number; s: number }[])[0]!;
    assert.deepEqual([rows.n, rows.s], [Number(src.n), Number(src.s)]);
    assert.equal(rows.n, 63);
  } finally {
    for (const w of workers) if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) w.proc.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(workers.map((w) => w.proc.exited)), new Promise((r) => { timer = setTimeout(r, 15000); })]);
    clearTimeout(timer);
    for (const w of workers) if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) w.proc.child.kill('SIGKILL');
    if (process.env.FERRY_TEST_LOGS) for (const w of workers) writeFileSync(join(process.env.FERRY_TEST_LOGS, `${w.id}.log`), w.proc.stderr());
    await my.query(`DROP DATABASE IF EXISTS ${name}`);
    await my.end();
    await pgc.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await pgc.end();
    rmSync(dir, { recursive: true, force: true });
  }
});
