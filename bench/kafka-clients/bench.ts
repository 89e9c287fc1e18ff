/**
 * Kafka client benchmark: picks Ferry's Kafka client by measurement against the real local broker.
 *
 *   node bench/kafka-clients/bench.ts [--records N] [--json] [--reps 3] [--warmup 20000]
 *        [--clients platformatic,kafkajs,confluent-kjs,confluent-native] [--modes b1000,b5000,b1000x4,b1000-lz4]
 *        [--no-features] [--brokers 127.0.0.1:9092] [--linger 1] [--quiet-threshold 0.35] [--quiet-budget 60]
 *        [--json-out FILE]
 *   bash bench/kafka-clients/run.sh [same options]     (installs the candidates first when missing)
 *
 * For each client and repetition, every measurement runs in its own child process (so peak RSS is per client and per
 * phase), after a warm-up in that process:
 *   produce  N records (16-byte key, 250-byte random-ish value) to a fresh 3-partition topic, acks=all + idempotence,
 *            in awaited send() calls of `batch` records, or with `inflight` sends outstanding; optional compression;
 *   consume  the same topic (the b1000 one) from the beginning in a fresh consumer group;
 *   features a transactional producer (commit, abort, commit; checked with read_committed and read_uncommitted) and a
 *            round trip per codec, with the codec on disk confirmed by Kafka's DumpLogSegments.
 * The machine is shared, so before each measurement the parent waits (within a total budget of --quiet-budget seconds)
 * until the rest of the machine uses less than --quiet-threshold cores, and reports the load of other processes during
 * each measurement ("other load"). Reports median and [min–max] over the repetitions. Creates topics named kcbench-<run>-… and deletes them at the end.
 * Traffic goes to 127.0.0.1 only.
 */
import { fork, execFileSync } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ALL_CLIENTS, CODECS, installedVersion, load, confluentTuning,
  type Client, type Codec, type Rec, type BenchProducer,
} from './clients.ts';

const here = dirname(new URL(import.meta.url).pathname);
const repoRoot = join(here, '..', '..');

// ---------------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------------

interface Mode { readonly name: string; readonly batch: number; readonly inflight: number; readonly compression: Codec }
const MODES: readonly Mode[] = [
  { name: 'b1000', batch: 1000, inflight: 1, compression: 'none' },
  { name: 'b5000', batch: 5000, inflight: 1, compression: 'none' },
  { name: 'b1000x4', batch: 1000, inflight: 4, compression: 'none' },
  { name: 'b1000-lz4', batch: 1000, inflight: 1, compression: 'lz4' },
];
/** The consume phase reads the topic written by this produce mode. */
const CONSUME_FROM = 'b1000';
const KEY_BYTES = 16;
const VALUE_BYTES = 250;
const PARTITIONS = 3;

// ---------------------------------------------------------------------------------------------------------------------
// Records: a pool of random-ish values (about 40% random bytes, 60% text from a small vocabulary, a bit like an Avro
// row) and random 16-byte keys, generated before timing. Batches reference pool entries, so the data costs every
// client the same memory.
// ---------------------------------------------------------------------------------------------------------------------

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['customer', 'order', 'status', 'shipped', 'pending', 'amount', 'EUR', 'street', 'Berlin', 'Lyon',
  'email', 'example.com', 'null', 'true', 'false', 'updated_at', 'sku', 'qty', 'price', 'note', 'mysql', 'ferry'];

export function recordPool(size: number, seed = 42): Rec[] {
  const rnd = prng(seed);
  const pool: Rec[] = [];
  for (let i = 0; i < size; i++) {
    const key = Buffer.allocUnsafe(KEY_BYTES);
    for (let j = 0; j < KEY_BYTES; j++) key[j] = (rnd() * 256) | 0;
    const value = Buffer.allocUnsafe(VALUE_BYTES);
    const randomPart = 100;
    for (let j = 0; j < randomPart; j++) value[j] = (rnd() * 256) | 0;
    let text = '';
    while (text.length < VALUE_BYTES - randomPart) text += `${WORDS[(rnd() * WORDS.length) | 0]}=${(rnd() * 100000) | 0};`;
    value.write(text.slice(0, VALUE_BYTES - randomPart), randomPart, 'latin1');
    pool.push({ key, value });
  }
  return pool;
}

/** Sends n records from the pool in batches of `batch`, with up to `inflight` send() calls outstanding. */
async function produceN(p: BenchProducer, topic: string, pool: readonly Rec[], n: number, batch: number, inflight: number, offset = 0) {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  for (let sent = 0; sent < n; sent += batch) {
    const size = Math.min(batch, n - sent);
    const recs = new Array<Rec>(size);
    for (let i = 0; i < size; i++) recs[i] = pool[(offset + sent + i) % pool.length]!;
    if (inflight <= 1) {
      await p.send(topic, recs);
      continue;
    }
    const pr: Promise<void> = p.send(topic, recs).then(
      () => { running.delete(pr); },
      (e: unknown) => { running.delete(pr); failure ??= e; },
    );
    running.add(pr);
    if (running.size >= inflight) await Promise.race(running);
    if (failure) throw failure;
  }
  await Promise.all(running);
  if (failure) throw failure;
}

// ---------------------------------------------------------------------------------------------------------------------
// Child process side
// ---------------------------------------------------------------------------------------------------------------------

interface Common { brokers: string[]; client: string; warmupTopic: string; warmup: number; records: number; runId: string }
type Task =
  | (Common & { kind: 'produce'; topic: string; mode: Mode })
  | (Common & { kind: 'consume'; topic: string })
  | (Common & { kind: 'features'; txTopic: string; codecTopics: Record<Codec, string> });

export interface PhaseResult {
  kind: 'produce' | 'consume';
  records: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMB: number;
  /** consume only (ms): subscribe → partitions assigned (the client's join event), assigned → first record; and
   * records/s from subscribe (incl. join) and from the first record. `seconds` runs from assignment to the n-th record. */
  joinMs?: number;
  firstRecordAfterJoinMs?: number;
  recordsPerSecIncludingJoin?: number;
  recordsPerSecFromFirst?: number;
  bytes?: number;
}

interface TxResult { ok: boolean; detail: string }
interface CodecResult { builtin: boolean; ok: boolean; detail: string; onDisk?: string }
export interface FeaturesResult { tx: TxResult; codecs: Record<string, CodecResult> }

type ToParent =
  | { type: 'start' } | { type: 'end' } | { type: 'result'; result: PhaseResult | FeaturesResult } | { type: 'error'; error: string };

const toParent = (m: ToParent) => new Promise<void>((res) => process.send!(m, () => res()));
const errText = (e: unknown): string => {
  if (e instanceof Error) {
    const parts = [e.message];
    const any = e as { errors?: unknown[]; cause?: unknown; code?: unknown };
    if (Array.isArray(any.errors)) for (const x of any.errors.slice(0, 2)) parts.push(errText(x));
    if (any.cause) parts.push(errText(any.cause));
    return [...new Set(parts.filter(Boolean))].join(': ');
  }
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
};

function clientById(id: string): Client {
  const c = ALL_CLIENTS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown client ${id}; known: ${ALL_CLIENTS.map((x) => x.id).join(', ')}`);
  return c;
}

async function waitGo(): Promise<void> {
  const go = new Promise<void>((res) => process.once('message', () => res()));
  await toParent({ type: 'start' });
  await go;
}

async function childProduce(t: Extract<Task, { kind: 'produce' }>): Promise<PhaseResult> {
  const c = clientById(t.client);
  const pool = recordPool(8192);
  const p = await c.producer({ brokers: t.brokers, clientId: `kcbench-${c.id}`, compression: t.mode.compression });
  await produceN(p, t.warmupTopic, pool, t.warmup, t.mode.batch, t.mode.inflight);
  await waitGo();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await produceN(p, t.topic, pool, t.records, t.mode.batch, t.mode.inflight, 12345);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await toParent({ type: 'end' });
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  await p.close();
  return { kind: 'produce', records: t.records, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB, bytes: t.records * (KEY_BYTES + VALUE_BYTES) };
}

async function childConsume(t: Extract<Task, { kind: 'consume' }>): Promise<PhaseResult> {
  const c = clientById(t.client);
  const base = { brokers: t.brokers, clientId: `kcbench-${c.id}`, readCommitted: false };
  await c.consume({ ...base, groupId: `kcbench-${t.runId}-wu-${process.pid}`, topic: t.warmupTopic, n: t.warmup, timeoutMs: 60000 });
  await waitGo();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let cpuAtLast: NodeJS.CpuUsage | undefined;
  const res = await c.consume({
    ...base, groupId: `kcbench-${t.runId}-${c.id}-${process.pid}`, topic: t.topic, n: t.records, timeoutMs: 120000,
    onLast: () => { cpuAtLast = process.cpuUsage(cpu0); },
  });
  await toParent({ type: 'end' });
  const cpu = cpuAtLast ?? process.cpuUsage(cpu0);
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  if (res.count !== t.records) throw new Error(`read ${res.count} records, expected ${t.records}`);
  const joinedAt = res.joinedAt || t0;
  return {
    kind: 'consume', records: res.count, seconds: (res.lastAt - joinedAt) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB,
    joinMs: joinedAt - t0, firstRecordAfterJoinMs: res.firstAt - joinedAt,
    recordsPerSecIncludingJoin: res.count / ((res.lastAt - t0) / 1000),
    recordsPerSecFromFirst: (res.count - 1) / ((res.lastAt - res.firstAt) / 1000), bytes: res.bytes,
  };
}

async function childFeatures(t: Extract<Task, { kind: 'features' }>): Promise<FeaturesResult> {
  const c = clientById(t.client);
  const conn = { brokers: t.brokers, clientId: `kcbench-${c.id}-features` };
  const mk = (tag: string, n: number): Rec[] =>
    Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${tag}-${i}`.padEnd(KEY_BYTES, '.')), value: Buffer.from(`${tag}-${i} ${'ferry '.repeat(40)}`) }));

  // Transactions: commit 10, abort 10, commit 10. read_committed must see exactly the 20 committed ones (in order);
  // read_uncommitted all 30 (which shows the aborted records were really written, then aborted).
  let tx: TxResult;
  try {
    const p = await c.txProducer({ ...conn, transactionalId: `kcbench-${t.runId}-${c.id}` });
    try {
      await p.begin(); await p.send(t.txTopic, mk('commit1', 10)); await p.commit();
      await p.begin(); await p.send(t.txTopic, mk('abort', 10)); await p.abort();
      await p.begin(); await p.send(t.txTopic, mk('commit2', 10)); await p.commit();
    } finally {
      await p.close();
    }
    const rc = await c.consume({ ...conn, groupId: `kcbench-${t.runId}-${c.id}-rc`, topic: t.txTopic, n: 20, readCommitted: true, timeoutMs: 30000, settleMs: 1500, keepValues: true });
    const ru = await c.consume({ ...conn, groupId: `kcbench-${t.runId}-${c.id}-ru`, topic: t.txTopic, n: 30, readCommitted: false, timeoutMs: 30000, settleMs: 1000, keepValues: true });
    const rcVals = rc.values.map((v) => v.toString().split(' ')[0]);
    const expected = [...mk('commit1', 10), ...mk('commit2', 10)].map((r) => r.value.toString().split(' ')[0]);
    const ok = rc.count === 20 && JSON.stringify(rcVals) === JSON.stringify(expected) && ru.count === 30;
    tx = { ok, detail: `read_committed ${rc.count}/20${rcVals.some((v) => v?.startsWith('abort')) ? ' (incl. aborted!)' : ''}, read_uncommitted ${ru.count}/30` };
  } catch (e: unknown) {
    tx = { ok: false, detail: `error: ${errText(e)}` };
  }

  const codecs: Record<string, CodecResult> = {};
  const builtin = await c.builtinCodecs();
  for (const codec of CODECS) {
    const isBuiltin = builtin.includes(codec);
    let how = 'built in';
    if (!isBuiltin) {
      const extra = await c.extraCodec?.(codec);
      if (!extra) { codecs[codec] = { builtin: false, ok: false, detail: 'not built in' }; continue; }
      how = extra;
    }
    try {
      const recs = mk(`z-${codec}`, 300);
      const p = await c.producer({ ...conn, compression: codec });
      try { await p.send(t.codecTopics[codec], recs); } finally { await p.close(); }
      const r = await c.consume({ ...conn, groupId: `kcbench-${t.runId}-${c.id}-${codec}`, topic: t.codecTopics[codec], n: 300, readCommitted: false, timeoutMs: 30000, keepValues: true });
      const same = r.values.length === 300 && r.values.every((v, i) => v.equals(recs[i]!.value));
      codecs[codec] = { builtin: isBuiltin, ok: same, detail: same ? `round trip ok (${how})` : `round trip mismatch (${r.values.length} records)` };
    } catch (e: unknown) {
      codecs[codec] = { builtin: isBuiltin, ok: false, detail: `error: ${errText(e)}` };
    }
  }
  return { tx, codecs };
}

async function childMain(): Promise<void> {
  const task = await new Promise<Task>((res) => process.once('message', (m) => res(m as Task)));
  try {
    const result = task.kind === 'produce' ? await childProduce(task)
      : task.kind === 'consume' ? await childConsume(task)
        : await childFeatures(task);
    await toParent({ type: 'result', result });
  } catch (e: unknown) {
    await toParent({ type: 'error', error: errText(e) });
  }
  // Some clients keep timers or native threads alive for a while after close(); the parent has what it needs.
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------------------------------

/** utime+stime of the broker JVM in seconds, when its pid is known (infra/services.sh keeps it in .run/kafka). */
function brokerCpuReader(explicitPid?: number): (() => number) | undefined {
  let pid = explicitPid;
  if (!pid) {
    const f = join(repoRoot, '.run', 'kafka', 'kafka.pid');
    if (existsSync(f)) pid = Number(readFileSync(f, 'utf8').trim());
  }
  if (!pid) return undefined;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')) return undefined;
  } catch {
    return undefined;
  }
  const tick = 100; // CLK_TCK on Linux x86-64
  return () => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / tick;
  };
}

interface RunOutcome<R> { result?: R; error?: string; brokerCpuSeconds?: number; machineCpuSeconds?: number; wallSeconds?: number }

/** CPU seconds used by the whole machine so far (all cores, from /proc/stat). */
function machineCpu(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
  const busy = f.reduce((x, y) => x + y, 0) - (f[3] ?? 0) - (f[4] ?? 0);
  return busy / 100;
}

/**
 * This box is shared (other sessions run tests against the same broker), so wait for a quiet moment before each
 * measurement: until the machine's busy CPU over one second is below `threshold` cores, within a total budget.
 */
const quiet = { threshold: 0.35, budgetMs: 60000, spentMs: 0 };
async function waitQuiet(log: (s: string) => void): Promise<number> {
  for (;;) {
    const c0 = machineCpu(), t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const load = (machineCpu() - c0) / ((performance.now() - t0) / 1000);
    if (load < quiet.threshold || quiet.spentMs >= quiet.budgetMs) return load;
    quiet.spentMs += 1000;
    if (quiet.spentMs >= quiet.budgetMs) log(`  (machine still busy, ${load.toFixed(2)} cores used by others; quiet-wait budget spent, measuring anyway)`);
  }
}

function runChild<R>(task: Task, brokerCpu: (() => number) | undefined, timeoutMs = 180000): Promise<RunOutcome<R>> {
  return new Promise((resolve) => {
    const child = fork(new URL(import.meta.url).pathname, ['--child'], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, KC_CONFLUENT_LINGER_MS: String(confluentTuning.linger) },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.length > 8000) stderr = stderr.slice(-8000); });
    const out: RunOutcome<R> = {};
    let b0: number | undefined;
    let m0 = 0, w0 = 0;
    const timer = setTimeout(() => { out.error ??= `timed out after ${timeoutMs} ms`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('message', (raw) => {
      const m = raw as ToParent;
      if (m.type === 'start') { b0 = brokerCpu?.(); m0 = machineCpu(); w0 = performance.now(); child.send({ type: 'go' }); }
      else if (m.type === 'end') {
        out.machineCpuSeconds = machineCpu() - m0;
        out.wallSeconds = (performance.now() - w0) / 1000;
        if (b0 !== undefined && brokerCpu) out.brokerCpuSeconds = brokerCpu() - b0;
      }
      else if (m.type === 'result') out.result = m.result as R;
      else if (m.type === 'error') out.error = m.error;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!out.result && !out.error) out.error = `child exited (${signal ?? code}) without a result${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`;
      resolve(out);
    });
    child.send(task);
  });
}

interface AdminLike {
  createTopics(o: { topics: string[]; partitions: number; replicas: number }): Promise<unknown>;
  deleteTopics(o: { topics: string[] }): Promise<unknown>;
  listTopics(o?: { includeInternals?: boolean }): Promise<string[]>;
  close(): Promise<void>;
}
interface OffsetsReader {
  listOffsets(o: { topics: string[] }): Promise<Map<string, bigint[]>>;
  close(force?: boolean): Promise<void>;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

interface Stat { median: number; min: number; max: number; n: number }
const stat = (xs: number[]): Stat | undefined => xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length } : undefined;

interface ProduceRow {
  client: string; mode: string;
  recordsPerSec?: Stat; mbPerSec?: Stat; cpuSecPerM?: Stat; maxRssMB?: Stat; brokerCpuSecPerM?: Stat; otherCores?: Stat;
  errors: string[]; integrity: string[];
}
interface ConsumeRow {
  client: string;
  recordsPerSec?: Stat; recordsPerSecInclJoin?: Stat; recordsPerSecFromFirst?: Stat; joinMs?: Stat; firstRecordAfterJoinMs?: Stat;
  cpuSecPerM?: Stat; maxRssMB?: Stat; brokerCpuSecPerM?: Stat; otherCores?: Stat;
  errors: string[];
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = os.availableParallelism();
  try { nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()); } catch { /* os value */ }
  return {
    nproc, cpuModel: model, ramGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    date: execFileSync('date', ['-u'], { encoding: 'utf8' }).trim(), node: process.version, os: `${os.type()} ${os.release()}`,
  };
}

/** Confirms the codec on disk with Kafka's own DumpLogSegments (from infra/kafka/lib), when available. */
function codecsOnDisk(topics: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const props = join(repoRoot, '.run', 'kafka', 'server.properties');
  const lib = join(repoRoot, 'infra', 'kafka', 'lib');
  if (!existsSync(props) || !existsSync(lib)) return out;
  const logDir = /^log\.dirs=(.*)$/m.exec(readFileSync(props, 'utf8'))?.[1]?.split(',')[0]?.trim();
  if (!logDir) return out;
  const files = topics.map((t) => join(logDir, `${t}-0`, '00000000000000000000.log')).filter((f) => existsSync(f));
  if (!files.length) return out;
  try {
    const text = execFileSync('java', ['-cp', `${lib}/*`, 'kafka.tools.DumpLogSegments', '--files', files.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60000 });
    let current = '';
    for (const line of text.split('\n')) {
      const d = /^Dumping (.*)$/.exec(line);
      if (d) { current = d[1]!; continue; }
      const c = /compresscodec: (\w+)/.exec(line);
      if (c && current) {
        const topic = topics.find((t) => current.includes(`/${t}-0/`));
        if (topic) { const prev = out.get(topic); if (!prev?.includes(c[1]!)) out.set(topic, prev ? `${prev},${c[1]}` : c[1]!); }
      }
    }
  } catch { /* java or the tool not available: not checked */ }
  return out;
}

const fmtK = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtS = (s: Stat | undefined, f: (x: number) => string) => (s ? (s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median)) : 'n/a');
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const f0 = (x: number) => x.toFixed(0);

async function parentMain(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      records: { type: 'string', default: '200000' }, reps: { type: 'string', default: '3' }, warmup: { type: 'string', default: '20000' },
      clients: { type: 'string', default: ALL_CLIENTS.map((c) => c.id).join(',') }, modes: { type: 'string', default: MODES.map((m) => m.name).join(',') },
      features: { type: 'boolean', default: true }, 'no-features': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false }, brokers: { type: 'string', default: '127.0.0.1:9092' },
      'broker-pid': { type: 'string' }, linger: { type: 'string' }, help: { type: 'boolean', default: false },
      'quiet-threshold': { type: 'string' }, 'quiet-budget': { type: 'string' }, 'json-out': { type: 'string' },
    },
  });
  if (a.help) { console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]); return; }
  if (a.linger !== undefined) confluentTuning.linger = Number(a.linger);
  if (a['quiet-threshold'] !== undefined) quiet.threshold = Number(a['quiet-threshold']);
  if (a['quiet-budget'] !== undefined) quiet.budgetMs = Number(a['quiet-budget']) * 1000;
  const records = Number(a.records), reps = Number(a.reps), warmup = Number(a.warmup);
  const brokers = a.brokers.split(',');
  for (const b of brokers) if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(b)) throw new Error(`broker ${b} is not a loopback address; this benchmark only talks to 127.0.0.1`);
  const log = (s: string) => process.stderr.write(`${s}\n`);

  // Clients that are not installed (the confluent build can fail) are reported, not fatal.
  const wanted = a.clients.split(',').map(clientById);
  const skipped: Record<string, string> = {};
  const clients = wanted.filter((c) => {
    if (installedVersion(c.pkg)) return true;
    skipped[c.id] = `${c.pkg} not installed in bench/kafka-clients/node_modules`;
    return false;
  });
  const modes = a.modes.split(',').map((n) => {
    const m = MODES.find((x) => x.name === n);
    if (!m) throw new Error(`unknown mode ${n}; known: ${MODES.map((x) => x.name).join(', ')}`);
    return m;
  });
  const brokerCpu = brokerCpuReader(a['broker-pid'] ? Number(a['broker-pid']) : undefined);

  const plat = await load<{ Admin: new (o: Record<string, unknown>) => AdminLike; Consumer: new (o: Record<string, unknown>) => OffsetsReader }>('@platformatic/kafka');
  const admin = new plat.Admin({ clientId: 'kcbench-admin', bootstrapBrokers: brokers, timeout: 30000 });
  const offsets = new plat.Consumer({ clientId: 'kcbench-offsets', groupId: 'kcbench-offsets-unused', bootstrapBrokers: brokers, timeout: 30000 });
  const runId = Date.now().toString(36);
  const created: string[] = [];
  const createTopic = async (name: string, partitions: number) => {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 });
    created.push(name);
    return name;
  };
  const deleteTopics = async (names: string[]) => {
    if (!names.length) return;
    try { await admin.deleteTopics({ topics: names }); } catch (e: unknown) { log(`warning: deleting ${names.join(', ')}: ${errText(e)}`); }
    for (const n of names) { const i = created.indexOf(n); if (i >= 0) created.splice(i, 1); }
  };
  const onSignal = () => { void deleteTopics([...created]).finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = performance.now();
  const produceRuns = new Map<string, { r: PhaseResult[]; b: number[]; o: number[]; errors: string[]; integrity: string[] }>();
  const consumeRuns = new Map<string, { r: PhaseResult[]; b: number[]; o: number[]; errors: string[] }>();
  /** Cores used by everything but the measured client and the broker during a measurement: the noise indicator. */
  const otherLoad = (o: RunOutcome<PhaseResult>) =>
    o.machineCpuSeconds !== undefined && o.wallSeconds ? Math.max(0, (o.machineCpuSeconds - o.result!.cpuSeconds - (o.brokerCpuSeconds ?? 0)) / o.wallSeconds) : undefined;
  const features: Record<string, FeaturesResult | { error: string }> = {};
  try {
    // One warm-up topic per client: the consume warm-up must not meet batches in a codec the client lacks.
    const warmupTopics = new Map<string, string>();
    for (const c of clients) warmupTopics.set(c.id, await createTopic(`kcbench-${runId}-${c.id}-warmup`, PARTITIONS));
    const base = { brokers, warmup, records, runId };
    const common = (c: Client) => ({ ...base, warmupTopic: warmupTopics.get(c.id)! });
    log(`kafka-clients bench: ${records} records × ${reps} reps, clients ${clients.map((c) => c.id).join(', ')}, modes ${modes.map((m) => m.name).join(', ')}`);
    for (let rep = 1; rep <= reps; rep++) {
      for (const c of clients) {
        const repTopics: string[] = [];
        for (const m of modes) {
          if (m.compression !== 'none' && !(await c.builtinCodecs()).includes(m.compression)) {
            const slot = produceRuns.get(`${c.id}/${m.name}`) ?? { r: [], b: [], o: [], errors: [], integrity: [] };
            produceRuns.set(`${c.id}/${m.name}`, slot);
            if (rep === 1) slot.errors.push(`not run: no built-in ${m.compression} codec`);
            continue;
          }
          const topic = await createTopic(`kcbench-${runId}-${c.id}-${m.name}-r${rep}`, PARTITIONS);
          repTopics.push(topic);
          await waitQuiet(log);
          const o = await runChild<PhaseResult>({ ...common(c), kind: 'produce', client: c.id, topic, mode: m }, brokerCpu);
          const slot = produceRuns.get(`${c.id}/${m.name}`) ?? { r: [], b: [], o: [], errors: [], integrity: [] };
          produceRuns.set(`${c.id}/${m.name}`, slot);
          if (o.result) {
            slot.r.push(o.result);
            if (o.brokerCpuSeconds !== undefined) slot.b.push(o.brokerCpuSeconds);
            const other = otherLoad(o);
            if (other !== undefined) slot.o.push(other);
            // Exactly N records must be in the log: more would be duplicates from retries.
            const ends = (await offsets.listOffsets({ topics: [topic] })).get(topic) ?? [];
            const total = ends.reduce((s, x) => s + Number(x), 0);
            if (total !== records) slot.integrity.push(`rep ${rep}: ${total} records in the log, expected ${records}`);
            log(`  rep ${rep} ${c.id.padEnd(16)} produce ${m.name.padEnd(9)} ${fmtK(records / o.result.seconds).padStart(7)} rec/s  cpu ${f2(o.result.cpuSeconds)} s  rss ${f0(o.result.maxRssMB)} MB  log ${total}  others ${f2(other ?? 0)} cores`);
          } else {
            slot.errors.push(`rep ${rep}: ${o.error}`);
            log(`  rep ${rep} ${c.id.padEnd(16)} produce ${m.name.padEnd(9)} FAILED: ${o.error}`);
          }
        }
        const source = `kcbench-${runId}-${c.id}-${CONSUME_FROM}-r${rep}`;
        if (repTopics.includes(source)) {
          await waitQuiet(log);
          const o = await runChild<PhaseResult>({ ...common(c), kind: 'consume', client: c.id, topic: source }, brokerCpu);
          const slot = consumeRuns.get(c.id) ?? { r: [], b: [], o: [], errors: [] };
          consumeRuns.set(c.id, slot);
          if (o.result) {
            slot.r.push(o.result);
            if (o.brokerCpuSeconds !== undefined) slot.b.push(o.brokerCpuSeconds);
            const other = otherLoad(o);
            if (other !== undefined) slot.o.push(other);
            log(`  rep ${rep} ${c.id.padEnd(16)} consume           ${fmtK(records / o.result.seconds).padStart(7)} rec/s  cpu ${f2(o.result.cpuSeconds)} s  rss ${f0(o.result.maxRssMB)} MB  join ${f0(o.result.joinMs ?? 0)} ms, first record ${f0(o.result.firstRecordAfterJoinMs ?? 0)} ms after  others ${f2(other ?? 0)} cores`);
          } else {
            slot.errors.push(`rep ${rep}: ${o.error}`);
            log(`  rep ${rep} ${c.id.padEnd(16)} consume FAILED: ${o.error}`);
          }
        }
        await deleteTopics(repTopics);
      }
    }

    if (a.features && !a['no-features']) {
      const codecTopicOwner = new Map<string, { client: string; codec: Codec }>();
      for (const c of clients) {
        const txTopic = await createTopic(`kcbench-${runId}-${c.id}-tx`, 1);
        const codecTopics = {} as Record<Codec, string>;
        for (const codec of CODECS) {
          codecTopics[codec] = await createTopic(`kcbench-${runId}-${c.id}-codec-${codec}`, 1);
          codecTopicOwner.set(codecTopics[codec], { client: c.id, codec });
        }
        const o = await runChild<FeaturesResult>({ ...common(c), kind: 'features', client: c.id, txTopic, codecTopics }, undefined);
        features[c.id] = o.result ?? { error: o.error ?? 'unknown' };
        log(`  features ${c.id}: ${o.result ? `transactions ${o.result.tx.ok ? 'ok' : 'FAILED'} (${o.result.tx.detail}); ${CODECS.map((k) => `${k} ${o.result!.codecs[k]?.ok ? 'ok' : 'no'}`).join(', ')}` : o.error}`);
      }
      const disk = codecsOnDisk([...codecTopicOwner.keys()]);
      for (const [topic, { client, codec }] of codecTopicOwner) {
        const f = features[client];
        if (f && 'codecs' in f && f.codecs[codec]) f.codecs[codec].onDisk = disk.get(topic) ?? (disk.size ? 'no data' : 'not checked');
      }
    }
  } finally {
    await deleteTopics([...created]);
    // Check with the broker, and delete again whatever of this run is still listed (deletion is asynchronous).
    for (let attempt = 0; ; attempt++) {
      await new Promise((r) => setTimeout(r, 1000));
      const left = (await admin.listTopics({ includeInternals: false }).catch(() => [] as string[])).filter((t) => t.startsWith(`kcbench-${runId}-`));
      if (!left.length) break;
      if (attempt === 3) { log(`warning: topics left behind: ${left.join(', ')}`); break; }
      try { await admin.deleteTopics({ topics: left }); } catch { /* listed but already being deleted */ }
    }
    await offsets.close(true).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }

  // ----- Summaries -----
  const perM = (r: PhaseResult) => (r.cpuSeconds / r.records) * 1e6;
  const produceRows: ProduceRow[] = [];
  for (const c of clients) for (const m of modes) {
    const s = produceRuns.get(`${c.id}/${m.name}`);
    if (!s) continue;
    produceRows.push({
      client: c.id, mode: m.name,
      recordsPerSec: stat(s.r.map((r) => r.records / r.seconds)),
      mbPerSec: stat(s.r.map((r) => (r.bytes ?? 0) / r.seconds / 1e6)),
      cpuSecPerM: stat(s.r.map(perM)),
      maxRssMB: stat(s.r.map((r) => r.maxRssMB)),
      brokerCpuSecPerM: stat(s.b.map((b) => (b / records) * 1e6)),
      otherCores: stat(s.o),
      errors: s.errors, integrity: s.integrity,
    });
  }
  const consumeRows: ConsumeRow[] = [];
  for (const c of clients) {
    const s = consumeRuns.get(c.id);
    if (!s) continue;
    consumeRows.push({
      client: c.id,
      recordsPerSec: stat(s.r.map((r) => r.records / r.seconds)),
      recordsPerSecInclJoin: stat(s.r.map((r) => r.recordsPerSecIncludingJoin ?? 0)),
      recordsPerSecFromFirst: stat(s.r.map((r) => r.recordsPerSecFromFirst ?? 0)),
      joinMs: stat(s.r.map((r) => r.joinMs ?? 0)),
      firstRecordAfterJoinMs: stat(s.r.map((r) => r.firstRecordAfterJoinMs ?? 0)),
      cpuSecPerM: stat(s.r.map(perM)),
      maxRssMB: stat(s.r.map((r) => r.maxRssMB)),
      brokerCpuSecPerM: stat(s.b.map((b) => (b / records) * 1e6)),
      otherCores: stat(s.o),
      errors: s.errors,
    });
  }
  const versions: Record<string, string> = {};
  for (const c of wanted) versions[c.pkg] = installedVersion(c.pkg) ?? 'not installed';
  let librdkafka: string | undefined;
  if (installedVersion('@confluentinc/kafka-javascript')) {
    librdkafka = (await load<{ librdkafkaVersion: string }>('@confluentinc/kafka-javascript').catch(() => undefined))?.librdkafkaVersion;
  }
  const report = {
    machine: machine(), broker: `Apache Kafka ${kafkaVersion()} (KRaft, 1 broker, RF 1) at ${brokers.join(',')}`,
    versions, librdkafka, records, reps, warmup, recordBytes: { key: KEY_BYTES, value: VALUE_BYTES }, partitions: PARTITIONS,
    modes, clients: clients.map((c) => ({ id: c.id, pkg: c.pkg, api: c.api, notes: c.notes })), skipped,
    produce: produceRows, consume: consumeRows, features, wallSeconds: +((performance.now() - started) / 1000).toFixed(1),
    command: `bash bench/kafka-clients/run.sh${commandArgs()}`,
  };
  if (a['json-out']) writeFileSync(a['json-out'], `${JSON.stringify(report, null, 2)}\n`);
  if (a.json) { console.log(JSON.stringify(report, null, 2)); return; }
  console.log(markdown(report));
}

/** The options of this run, for the "reproduce" line (output options left out). */
function commandArgs(): string {
  const out: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') continue;
    if (argv[i] === '--json-out') { i++; continue; }
    if (argv[i]!.startsWith('--json-out=')) continue;
    out.push(argv[i]!);
  }
  return out.map((x) => ` ${x}`).join('');
}

function kafkaVersion(): string {
  try { return /<kafka\.version>(.*)<\/kafka\.version>/.exec(readFileSync(join(repoRoot, 'infra', 'kafka', 'pom.xml'), 'utf8'))?.[1] ?? '?'; } catch { return '?'; }
}

type Report = {
  machine: ReturnType<typeof machine>; broker: string; versions: Record<string, string>; librdkafka: string | undefined;
  records: number; reps: number; warmup: number; modes: readonly Mode[]; clients: { id: string; pkg: string; api: string; notes: string }[];
  skipped: Record<string, string>; produce: ProduceRow[]; consume: ConsumeRow[]; features: Record<string, FeaturesResult | { error: string }>;
  wallSeconds: number; command: string;
};

export function markdown(r: Report): string {
  const L: string[] = [];
  const m = r.machine;
  L.push(`Machine: ${m.nproc} vCPU ${m.cpuModel}, ${m.ramGiB} GiB RAM, ${m.os}; broker on the same host. Date: ${m.date}. Node ${m.node}.`);
  L.push(`Broker: ${r.broker}. Clients: ${Object.entries(r.versions).map(([k, v]) => `\`${k}\` ${v}`).join(', ')}${r.librdkafka ? ` (librdkafka ${r.librdkafka})` : ''}.`);
  L.push(`Workload: ${r.records.toLocaleString('en')} records per run (16 B key, 250 B value), fresh ${PARTITIONS}-partition topic, acks=all + idempotence; ${r.warmup.toLocaleString('en')}-record warm-up in the same process; each cell is the median (min–max) of ${r.reps} runs, each in its own process. "Other load" is the CPU (in cores) used by processes other than the client and the broker during the measurement (this machine is shared); each measurement waited for a quiet moment first. Suite wall time ${r.wallSeconds} s.`);
  for (const [id, why] of Object.entries(r.skipped)) L.push(`Skipped ${id}: ${why}.`);
  L.push('');
  L.push('Produce (modes: bN = awaited send() of N records, one at a time; b1000x4 = four 1000-record sends in flight; -lz4 = lz4 compression):');
  L.push('');
  L.push('| client | mode | records/s | MB/s | client CPU-s per 1M | peak RSS MB | broker CPU-s per 1M | other load (cores) |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const p of r.produce) {
    const bad = [...p.errors, ...p.integrity];
    L.push(`| ${p.client} | ${p.mode} | ${fmtS(p.recordsPerSec, fmtK)} | ${fmtS(p.mbPerSec, f1)} | ${fmtS(p.cpuSecPerM, f2)} | ${fmtS(p.maxRssMB, f0)} | ${fmtS(p.brokerCpuSecPerM, f2)} | ${fmtS(p.otherCores, f2)} |${bad.length ? ` ${bad.join('; ')}` : ''}`);
  }
  L.push('');
  L.push('Consume (the b1000 topic, from the beginning, fresh consumer group; records/s from partition assignment to the last record, so group-join time is shown apart; CPU from subscribe to the last record):');
  L.push('');
  L.push('| client | records/s | group join ms | first record ms after join | client CPU-s per 1M | peak RSS MB | broker CPU-s per 1M | other load (cores) |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const c of r.consume) {
    L.push(`| ${c.client} | ${fmtS(c.recordsPerSec, fmtK)} | ${fmtS(c.joinMs, f0)} | ${fmtS(c.firstRecordAfterJoinMs, f0)} | ${fmtS(c.cpuSecPerM, f2)} | ${fmtS(c.maxRssMB, f0)} | ${fmtS(c.brokerCpuSecPerM, f2)} | ${fmtS(c.otherCores, f2)} |${c.errors.length ? ` ${c.errors.join('; ')}` : ''}`);
  }
  if (Object.keys(r.features).length) {
    L.push('');
    L.push('Features (transactions: commit 10 / abort 10 / commit 10, read back with read_committed and read_uncommitted; codecs: 300-record round trip, codec on disk per DumpLogSegments):');
    L.push('');
    L.push(`| client | transactions | ${CODECS.join(' | ')} |`);
    L.push(`|---|---|${CODECS.map(() => '---').join('|')}|`);
    for (const [id, f] of Object.entries(r.features)) {
      if ('error' in f) { L.push(`| ${id} | error: ${f.error} |${CODECS.map(() => ' |').join('')}`); continue; }
      const cell = (k: string) => {
        const x = f.codecs[k];
        if (!x) return 'n/a';
        return `${x.ok ? 'yes' : 'no'}${x.builtin ? '' : ' (not built in)'}: ${x.detail}${x.onDisk ? `; on disk: ${x.onDisk}` : ''}`;
      };
      L.push(`| ${id} | ${f.tx.ok ? 'yes' : 'NO'}: ${f.tx.detail} | ${CODECS.map(cell).join(' | ')} |`);
    }
  }
  L.push('');
  L.push('Client settings:');
  for (const c of r.clients) L.push(`- ${c.id} (\`${c.pkg}\`, ${c.api}): ${c.notes}`);
  L.push('');
  L.push(`Reproduce: \`${r.command}\` (broker from \`bash infra/services.sh up\`).`);
  return L.join('\n');
}

if (process.argv.includes('--child')) {
  await childMain();
} else {
  await parentMain();
}
