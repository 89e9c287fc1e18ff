/**
 * Chaos run of a Ferry cluster (issue #23, docs/cluster.md): three `ferry worker` processes on a throwaway Kafka broker
 * of their own (infra/kafka.sh on free ports; the shared broker on 9092 is never touched), a MariaDB task and a
 * PostgreSQL task under write load, and a `ferry sink` process writing the MariaDB task's topic into PostgreSQL. Then:
 *
 *   0. cut the network of worker w0, which runs in a network namespace of its own (ip netns + a veth pair; TCP
 *      forwarders make the host's services appear on the namespace's loopback), then heal it;
 *   1. SIGKILL the MariaDB task's owner;            2. SIGSTOP the PostgreSQL task's owner (SIGCONT once it moved);
 *   3. restart the killed worker;                   4. a rolling restart (SIGTERM each worker, start it again);
 *   5. restart the Kafka broker.
 *
 * It prints each failover (failure → the first event the new owner committed, from the topic's CreateTime), the
 * longest gap between consecutive events per topic, duplicates (a change event, by source position and key, on the
 * topic twice), and checks that each topic (read_committed, decoded with avsc) equals its source table and that the
 * sink's table equals the MariaDB table. Exits 1 on any loss.
 *
 *   sudo scripts/node bench/cluster-chaos.ts [--rate 30] [--settle-ms 4000]     (root: ip netns)
 */
import { parseArgs } from 'node:util';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName, freePort } from '../test/helpers/services.ts';
import { startFerry, sleep, dropPgTaskObjects, ROOT, type FerryProcess } from '../test/helpers/ferry-process.ts';
import { decodeWire } from '../test/helpers/topic-reader.ts';
import { readCommittedToEnd } from '../runtime/src/kafka/kafka-client.ts';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '30' }, 'settle-ms': { type: 'string', default: '4000' } } });
const RATE = Number(values.rate);
const SETTLE = Number(values['settle-ms']);
const name = uniqueName('ferry_chaos');
const cluster = name.replace(/_/g, '-');
const dir = mkdtempSync(join(tmpdir(), 'ferry-cluster-chaos-'));
const [kport, cport, tport] = [await freePort(), await freePort(), await freePort()];
const brokers = [`127.0.0.1:${kport}`];
const kafkaEnv = { ...process.env, FERRY_KAFKA_TLS_PORT: String(tport) };
const kafka = (cmd: 'start' | 'stop') => execFileSync('bash', [join(ROOT, 'infra/kafka.sh'), cmd, join(dir, 'kafka'), String(kport), String(cport)], { env: kafkaEnv, stdio: 'inherit' });
const t0 = Date.now();
const say = (m: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${m}`);

// The network namespace of worker w0: veth host side HOST_IP, namespace side NS_IP.
const ns = `ferrychaos${process.pid}`;
const net = 1 + (process.pid % 250);
const [hostVeth, nsVeth, HOST_IP, NS_IP] = [`fch${process.pid % 100000}`, `fcn${process.pid % 100000}`, `10.231.${net}.1`, `10.231.${net}.2`];
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'inherit' });
const forwarders: ChildProcess[] = [];
const forwardedPorts = () => [kport, services.mariadb.port, services.postgres.port, Number(new URL(services.registryUrl).port)];
function setUpNamespace(): void {
  ip('netns', 'add', ns);
  ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth);
  ip('link', 'set', nsVeth, 'netns', ns);
  ip('addr', 'add', `${HOST_IP}/30`, 'dev', hostVeth);
  ip('link', 'set', hostVeth, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', nsVeth);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', nsVeth, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  const fwd = join(ROOT, 'bench', 'lib', 'tcp-forward.ts');
  // Host side: the veth address forwards to the host's loopback services; namespace side: its loopback to the veth.
  forwarders.push(spawn(process.execPath, [fwd, ...forwardedPorts().map((p) => `${HOST_IP}:${p}=127.0.0.1:${p}`)], { stdio: ['pipe', 'ignore', 'inherit'] }));
  forwarders.push(spawn('ip', ['netns', 'exec', ns, process.execPath, fwd, ...forwardedPorts().map((p) => `127.0.0.1:${p}=${HOST_IP}:${p}`)], { stdio: ['pipe', 'ignore', 'inherit'] }));
}
function tearDownNamespace(): void {
  for (const f of forwarders) f.kill('SIGTERM');
  try { ip('netns', 'del', ns); } catch { /* not made */ }
  try { ip('link', 'del', hostVeth); } catch { /* gone with the namespace */ }
}

interface Worker { id: string; port: number; url: string; proc: FerryProcess }
const workers = new Map<string, Worker>();
const startWorker = (id: string, port: number) => {
  const inNs = id === 'w0';
  const host = inNs ? NS_IP : '127.0.0.1';
  const args = ['worker', '--cluster', cluster, '--bootstrap', brokers.join(','), '--http', `${host}:${port}`, '--worker-id', id, '--state-dir', join(dir, id)];
  const env = { ...process.env, FERRY_LOG_LEVEL: 'info' };
  const proc = inNs ? startInNamespace(args, env) : startFerry(args, env);
  workers.set(id, { id, port, url: `http://${host}:${port}`, proc });
};
function startInNamespace(args: string[], env: NodeJS.ProcessEnv): FerryProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, 'bin', 'ferry.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
const alive = () => [...workers.values()].filter((w) => w.proc.child.exitCode === null && w.proc.child.signalCode === null);
type Status = { members: unknown[]; tasks: { name: string; owner: string | null; state: string }[] };
async function status(w?: Worker): Promise<Status | undefined> {
  for (const x of w ? [w] : alive()) {
    try {
      const r = await fetch(`${x.url}/status`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return (await r.json()) as Status;
    } catch { /* next */ }
  }
  return undefined;
}
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out: ${what}`);
}
const taskState = async (task: string, w?: Worker) => (await status(w))?.tasks.find((t) => t.name === task);
const runningOn = (task: string, notOn?: string, via?: Worker) => until(`${task} running${notOn ? ` elsewhere than ${notOn}` : ''}`, async () => {
  const t = await taskState(task, via);
  return t?.state === 'running' && t.owner && t.owner !== notOn ? t.owner : undefined;
}, 90000);

const mdbTask = `${name}_m`;
const pgTask = `${name}_p`;
const topics = { [mdbTask]: `${mdbTask}.${name}.items`, [pgTask]: `${pgTask}.${name}.items` };
const read = (topic: string) => readCommittedToEnd({ brokers, clientId: 'ferry-chaos-reader', topic, timeoutMs: 60000 });
const firstEventAfter = (task: string, t: number) => until(`the first event of ${task} after the failure`, async () => {
  const after = (await read(topics[task]!)).map((r) => r.timestampMs).filter((ts) => ts > t);
  return after.length > 0 ? Math.min(...after) - t : undefined;
}, 90000);

const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
const pgAdmin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
await pgAdmin.connect();
const pgOwner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
await pgOwner.connect();
let writing = true;
let failed = false;
const failovers: { what: string; task: string; ms: number }[] = [];
try {
  say(`throwaway Kafka broker on ${brokers[0]}`);
  kafka('start');
  setUpNamespace();
  say(`network namespace ${ns}: w0 at ${NS_IP}, the host at ${HOST_IP}`);
  await my.query(`CREATE DATABASE ${name}`);
  await my.query(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await my.query(`INSERT INTO ${name}.items VALUES ?`, [Array.from({ length: 1000 }, (_, i) => [i + 1, 0])]);
  await pgAdmin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await pgOwner.query(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await pgOwner.query(`INSERT INTO ${name}.items SELECT g, 0 FROM generate_series(1, 1000) g`);
  for (const id of ['w0', 'w1', 'w2']) startWorker(id, await freePort());
  await until('three members', async () => ((await status())?.members.length === 3 ? true : undefined));
  const kafkaBlock = (prefix: string) => ({ brokers, schemaRegistry: services.registryUrl, topicPrefix: prefix, partitions: 1 });
  const selection = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': 'items' } }] };
  const settings = { metrics: { enabled: false }, batch: { maxEvents: 1000, maxDelayMs: 20 } };
  const docs = [
    { name: mdbTask, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc', tableMappings: selection, kafka: kafkaBlock(mdbTask), settings },
    { name: pgTask, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc', tableMappings: selection, kafka: kafkaBlock(pgTask), settings },
  ];
  const any = [...workers.values()][0]!;
  for (const doc of docs) {
    const r = await fetch(`${any.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    if (r.status !== 201) throw new Error(`create ${doc.name}: ${r.status} ${await r.text()}`);
  }
  await runningOn(mdbTask);
  await runningOn(pgTask);
  say('both tasks running');
  // The sink worker: the MariaDB task's topic into PostgreSQL schema <name>_sink (a task file, outside the cluster).
  const sinkFile = join(dir, 'sink.json');
  writeFileSync(sinkFile, JSON.stringify({ ...docs[0], tableMappings: { rules: [...selection.rules, { 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 's', 'rule-target': 'schema', 'rule-action': 'rename', 'object-locator': { 'schema-name': name }, value: `${name}_sink` }] }, targets: [{ type: 'postgres', name: 'pg', ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' }], settings: { ...settings, stateDir: join(dir, 'sink-state') } }));
  const sink = startFerry(['sink', sinkFile], { ...process.env, FERRY_LOG_LEVEL: 'warn' });

  // Writers: an insert and an update per tick on each database.
  let n = 0;
  const writer = (async () => {
    let next = 1001;
    while (writing) {
      const started = Date.now();
      await my.query(`INSERT INTO ${name}.items VALUES (?, ?)`, [next, n]);
      await my.query(`UPDATE ${name}.items SET v = v + 1 WHERE id = ?`, [1 + (n % 1000)]);
      await pgOwner.query(`INSERT INTO ${name}.items VALUES ($1, $2)`, [next, n]);
      await pgOwner.query(`UPDATE ${name}.items SET v = v + 1 WHERE id = $1`, [1 + (n % 1000)]);
      next++;
      n++;
      await sleep(Math.max(0, 1000 / RATE - (Date.now() - started)));
    }
  })();
  writer.catch((e: unknown) => { console.error('writer failed', e); failed = true; });
  await sleep(SETTLE);

  // 0. Cut w0's network (it runs a task: the first one placed goes to the lowest member id), then heal it.
  const cut = workers.get('w0')!;
  const onCut = (await status())!.tasks.filter((t) => t.owner === cut.id).map((t) => t.name);
  let at = Date.now();
  ip('link', 'set', hostVeth, 'down');
  say(`network of w0 cut (runs ${onCut.join(', ') || 'nothing'})`);
  for (const task of onCut) {
    await runningOn(task, cut.id, workers.get('w1'));
    failovers.push({ what: 'network cut w0', task, ms: await firstEventAfter(task, at) });
  }
  await sleep(2000);
  ip('link', 'set', hostVeth, 'up');
  await until('w0 back in the group after the cut', async () => ((await status(cut))?.members.length === 3 ? true : undefined), 60000);
  say(`network of w0 healed: back in the group; ${/FERRY_WORKER_FENCED|left the cluster/.test(cut.proc.stderr()) ? 'it stopped its tasks (fenced or self-fenced)' : 'it logged no stop'}`);
  await sleep(SETTLE);

  // 1. SIGKILL the MariaDB task's owner.
  const killed = workers.get((await taskState(mdbTask))!.owner!)!;
  const onKilled = (await status())!.tasks.filter((t) => t.owner === killed.id).map((t) => t.name);
  at = Date.now();
  killed.proc.child.kill('SIGKILL');
  say(`SIGKILL ${killed.id} (runs ${onKilled.join(', ')})`);
  for (const task of onKilled) {
    await runningOn(task, killed.id);
    failovers.push({ what: `SIGKILL ${killed.id}`, task, ms: await firstEventAfter(task, at) });
  }
  await sleep(SETTLE);

  // 2. SIGSTOP the PostgreSQL task's owner; SIGCONT once it moved.
  const frozen = workers.get((await taskState(pgTask))!.owner!)!;
  const onFrozen = (await status())!.tasks.filter((t) => t.owner === frozen.id).map((t) => t.name);
  at = Date.now();
  frozen.proc.child.kill('SIGSTOP');
  say(`SIGSTOP ${frozen.id} (runs ${onFrozen.join(', ')})`);
  for (const task of onFrozen) {
    await runningOn(task, frozen.id, alive().find((w) => w !== frozen));
    failovers.push({ what: `SIGSTOP ${frozen.id}`, task, ms: await firstEventAfter(task, at) });
  }
  frozen.proc.child.kill('SIGCONT');
  say(`SIGCONT ${frozen.id}`);
  await sleep(SETTLE);

  // 3. The killed worker comes back; 4. a rolling restart of all three.
  startWorker(killed.id, killed.port);
  await until('three members again', async () => ((await status())?.members.length === 3 ? true : undefined));
  say(`${killed.id} restarted: three members`);
  for (const id of ['w0', 'w1', 'w2']) {
    const w = workers.get(id)!;
    const stopAt = Date.now();
    w.proc.child.kill('SIGTERM');
    const code = await w.proc.exited;
    const others = alive().filter((x) => x !== w);
    await until(`${id} gone from the group`, async () => ((await status(others[0]))?.members.length === 2 ? true : undefined));
    const moved = Date.now() - stopAt;
    startWorker(id, w.port);
    await until(`${id} back`, async () => ((await status(workers.get(id)))?.members.length === 3 ? true : undefined));
    await runningOn(mdbTask);
    await runningOn(pgTask);
    say(`rolling restart: ${id} stopped (exit ${code}), out of the group ${moved} ms after SIGTERM, rejoined; both tasks running`);
  }
  await sleep(SETTLE);

  // 5. Restart the broker.
  const stoppedAt = Date.now();
  kafka('stop');
  say(`broker stopped (${Date.now() - stoppedAt} ms)`);
  await sleep(3000);
  kafka('start');
  at = Date.now();
  say('broker started');
  for (const task of [mdbTask, pgTask]) failovers.push({ what: 'broker restart (from broker up)', task, ms: await firstEventAfter(task, at) });
  await sleep(SETTLE);

  writing = false;
  await writer;
  say(`writers stopped after ${n} ticks`);

  // Checks: each topic equals its table; the sink's table equals the MariaDB table; duplicates; gaps.
  const tableRows = async (q: () => Promise<{ id: number; v: number }[]>) => new Map((await q()).map((r) => [Number(r.id), Number(r.v)]));
  const mdbRows = await tableRows(async () => (await my.query(`SELECT id, v FROM ${name}.items`))[0] as { id: number; v: number }[]);
  const pgRows = await tableRows(async () => (await pgAdmin.query(`SELECT id, v FROM ${name}.items`)).rows as { id: number; v: number }[]);
  const same = (a: Map<number, number>, b: Map<number, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  for (const [task, rows] of [[mdbTask, mdbRows], [pgTask, pgRows]] as const) {
    let last: { state: Map<number, number>; dups: number; events: number; gap: number } | undefined;
    await until(`${task}'s topic to equal its table`, async () => {
      const records = await read(topics[task]!);
      const state = new Map<number, number>();
      const seen = new Set<string>();
      let dups = 0;
      let gap = 0;
      let prev = 0;
      for (const r of records) {
        const v = r.value ? (await decodeWire(r.value)).value as { op: string; after: { id: number; v: number } | null; source: Record<string, unknown> } : null;
        if (!v) continue;
        if (v.after) state.set(Number(v.after.id), Number(v.after.v));
        if (v.op !== 'r') {
          const id = `${String(v.source.file ?? v.source.lsn)}:${String(v.source.pos ?? '')}:${String(v.source.row ?? '')}:${r.key?.toString('hex')}`;
          if (seen.has(id)) dups++;
          seen.add(id);
          if (prev > 0) gap = Math.max(gap, r.timestampMs - prev);
          prev = r.timestampMs;
        }
      }
      last = { state, dups, events: records.length, gap };
      return same(state, rows) ? true : undefined;
    }, 60000).catch((e: unknown) => {
      failed = true;
      say(`LOSS: ${(e as Error).message}: ${last ? [...rows].filter(([k, v]) => last!.state.get(k) !== v).length : '?'} rows differ`);
    });
    say(`${task}: ${last?.events} events, ${rows.size} rows, topic ${failed ? 'DIFFERS' : 'equals the table'}, ${last?.dups} duplicates, longest gap between events ${last?.gap} ms`);
  }
  await until('the sink table to equal the MariaDB table', async () => {
    const r = await pgAdmin.query(`SELECT id, v FROM ${name}_sink.items`).catch(() => ({ rows: [] }));
    return same(new Map(r.rows.map((x: { id: number; v: number }) => [Number(x.id), Number(x.v)])), mdbRows) ? true : undefined;
  }, 60000).then(() => say('sink: PostgreSQL table equals the MariaDB table')).catch(() => { failed = true; say('LOSS: the sink table differs from the MariaDB table'); });
  sink.child.kill('SIGTERM');
  await sink.exited;

  const sorted = failovers.map((f) => f.ms).sort((a, b) => a - b);
  console.log('\nfailover (failure → first committed event from the new owner):');
  for (const f of failovers) console.log(`  ${f.what.padEnd(32)} ${f.task.padEnd(40)} ${f.ms} ms`);
  const worker = failovers.filter((f) => !f.what.startsWith('broker')).map((f) => f.ms).sort((a, b) => a - b);
  console.log(`  worker failures: p50 ${worker[Math.floor((worker.length - 1) / 2)]} ms, max ${worker[worker.length - 1]} ms; all events: max ${sorted[sorted.length - 1]} ms`);
  console.log(failed ? '\nRESULT: LOSS (see above)' : '\nRESULT: every target equals its source');
} catch (e: unknown) {
  failed = true;
  console.error('chaos run failed:', e);
} finally {
  writing = false;
  for (const w of workers.values()) {
    if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) {
      w.proc.child.kill('SIGCONT');
      w.proc.child.kill('SIGTERM');
    }
  }
  await Promise.race([Promise.all([...workers.values()].map((w) => w.proc.exited)), sleep(20000)]);
  for (const w of workers.values()) if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) w.proc.child.kill('SIGKILL');
  writeFileSync(join(dir, 'workers.log'), [...workers.values()].map((w) => `--- ${w.id}\n${w.proc.stderr()}`).join('\n'));
  console.log(`logs: ${join(dir, 'workers.log')}`);
  try { kafka('stop'); } catch { /* already down */ }
  tearDownNamespace();
  await my.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
  await dropPgTaskObjects(pgAdmin, name).catch(() => undefined);
  await pgAdmin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
  await pgAdmin.query(`DROP SCHEMA IF EXISTS ${name}_sink CASCADE`).catch(() => undefined);
  await my.end();
  await pgOwner.end();
  await pgAdmin.end();
}
process.exit(failed ? 1 : 0);
