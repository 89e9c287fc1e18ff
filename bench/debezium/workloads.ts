/**
 * The side-by-side workloads (shared/notes/performance.md §2), each run the same way for either tool. Progress is
 * watched through the topics' end offsets; counts are checked against what the database committed, and a figure is
 * marked unverified when they differ. CPU and peak RSS are the tool's own process (Node, or the Connect JVM).
 */
import { openLoop } from '../lib/load.ts';
import { percentile } from '../lib/process-stats.ts';
import { latenciesMs, readChanges, type ChangeRecord, type OffsetWatch } from '../lib/topics.ts';
import { fillSql, type Db } from '../lib/workload-db.ts';
import type { Tool, ToolRun } from './tools.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Sizes {
  /** W1 snapshot rows; W3 drains 10 transactions of rows/10. */
  readonly rows: number;
  /** W5 rate (tx/s) and seconds, measured after `warmup` seconds of the same load (JIT, caches, connections). */
  readonly rate: number;
  readonly seconds: number;
  /** Seconds of load before W4 and W5 measure anything (at the W5 rate / the ramp's start rate). */
  readonly warmup: number;
  /** W4 ramp: start rate, step, seconds per step, most steps. */
  readonly rampStart: number;
  readonly rampStep: number;
  readonly stepSeconds: number;
  readonly maxSteps: number;
  /** W4 generator: processes, and connections in each one's pool. */
  readonly genProcesses: number;
  readonly genConnections: number;
  /** W9: rate and seconds; kill -9 at half time. */
  readonly killRate: number;
  readonly killSeconds: number;
  /** W2 wide rows: rate (tx/s), for `seconds` after `warmup`. */
  readonly wideRate: number;
  /** W6: tables in the source, all selected. */
  readonly manyTables: number;
  /** W8: rows in the one large transaction. */
  readonly bigTxRows: number;
  /** W10 soak: rate (tx/s) and minutes, after `warmup` seconds at that rate. */
  readonly soakRate: number;
  readonly soakMinutes: number;
}

export interface Ctx { readonly db: Db; readonly watch: OffsetWatch; readonly sizes: Sizes }

export interface Result {
  readonly workload: string;
  readonly tool: string;
  /** false when the topic's count did not match the source: the figures do not count. */
  readonly verified: boolean;
  readonly figures: Readonly<Record<string, number>>;
  readonly note: string;
  /** Time series for the raw JSON (W10's samples and minutes), not shown in the table. */
  readonly series?: unknown;
}

/** Figures where a lower value is better (the ratio table says which way is a win). */
export const LOWER_IS_BETTER = new Set(['CPU-s per 1M events', 'peak RSS MB', 'steady RSS MB', 'p50 ms', 'p99 ms', 'p99.9 ms', 'recovery s', 'first event after restart s', 'duplicates', 'missing', 'start-up CPU-s', 'KB per event', 'capturing after s', 'drain s', 'RSS before MB', 'first event after s',
  'RSS minute 1 MB', 'RSS last minute MB', 'RSS drift MB/h', 'RSS last-first MB', 'heap drift MB/h', 'heap last-first MB', 'p99 per minute min ms', 'p99 per minute median ms', 'p99 per minute max ms']);

export async function until(run: ToolRun, done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let goneSince = 0;
  while (!(await done())) {
    await run.check();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // A process that ended (even with 0, as a full load does) and left the work unfinished will not finish it.
    if (run.alive()) goneSince = 0;
    else if (goneSince === 0) goneSince = Date.now();
    else if (Date.now() - goneSince > 10000) throw new Error(`${run.describeExit()} before ${what}`);
    run.stats();
    await sleep(50);
  }
}

/** Starts a streaming run and waits until a warm-up row reaches Kafka (the tool is then capturing). */
export async function startCapturing(ctx: Ctx, tool: Tool, run: string, tables: readonly string[], warmId = 0, warm = (id: number) => ctx.db.warm(tables[0]!, id)): Promise<ToolRun> {
  const r = tool.start({ run, tables, snapshot: false });
  const topic = tool.topic(run, tables[0]!);
  // Debezium (no_data) and Ferry (cdc) start at the current position once connected: keep warming until one arrives.
  let warmed = 0;
  const deadline = Date.now() + 180000;
  while ((await ctx.watch.total([topic])) === 0) {
    await r.check();
    if (Date.now() > deadline) throw new Error(`${tool.name} did not start capturing ${topic}`);
    if (warmed === 0 || Date.now() - warmed > 3000) {
      await ctx.db.query(`DELETE FROM ${ctx.db.schema}.${tables[0]} WHERE id = ${warmId}`);
      await warm(warmId);
      warmed = Date.now();
    }
    r.stats();
    await sleep(100);
  }
  await sleep(1500); // let a re-warm that raced the first event land too
  return r;
}

/** Schemas whose W1 table exists: both tools snapshot the same table. */
const snapshotTables = new Set<string>();
export async function w1(ctx: Ctx, tool: Tool): Promise<Result> {
  const rows = ctx.sizes.rows;
  if (!snapshotTables.has(ctx.db.schema)) {
    await ctx.db.createTable('snap');
    await ctx.db.fill('snap', 1, rows);
    snapshotTables.add(ctx.db.schema);
  }
  const t0 = performance.now();
  const r = tool.start({ run: 'w1', tables: ['snap'], snapshot: true });
  const topic = tool.topic('w1', 'snap');
  let first = 0;
  let cpuFirst = 0;
  await until(r, async () => {
    const n = await ctx.watch.total([topic]);
    const s = r.stats(); // sampled on every poll: a full load may end (and the process exit) before the last one
    if (n > 0 && first === 0) { first = performance.now(); cpuFirst = s.cpuSeconds; }
    return n >= rows;
  }, 900000, `${rows} snapshot records`);
  const done = performance.now();
  const s = r.stats();
  await r.stop();
  const onKafka = await ctx.watch.total([topic]);
  return {
    workload: 'W1 snapshot', tool: tool.name, verified: onKafka === rows,
    figures: {
      'events/s': rows / ((done - first) / 1000), 'CPU-s per 1M events': ((s.cpuSeconds - cpuFirst) / rows) * 1e6, 'peak RSS MB': s.peakRssMb,
      'start-up CPU-s': cpuFirst,
    },
    note: `${rows} rows; ${onKafka} records on the topic; ${((done - t0) / 1000).toFixed(1)} s from process start, ${((first - t0) / 1000).toFixed(1)} s to the first record`,
  };
}

export async function w3(ctx: Ctx, tool: Tool): Promise<Result> {
  const table = `w3_${tool.name}`;
  await ctx.db.createTable(table);
  let r = await startCapturing(ctx, tool, 'w3', [table]);
  const topic = tool.topic('w3', table);
  await r.stop();
  const base = await ctx.watch.total([topic]);
  const per = Math.max(1, Math.floor(ctx.sizes.rows / 10));
  for (let t = 0; t < 10; t++) await ctx.db.query(fillSql(ctx.db.engine, `${ctx.db.schema}.${table}`, 1 + t * per, per)); // one transaction each
  const total = 10 * per;
  const t0 = performance.now();
  r = tool.start({ run: 'w3', tables: [table], snapshot: false });
  let first = 0;
  let cpuFirst = 0;
  await until(r, async () => {
    const n = (await ctx.watch.total([topic])) - base;
    if (n > 0 && first === 0) { first = performance.now(); cpuFirst = r.stats().cpuSeconds; }
    return n >= total;
  }, 900000, 'the backlog');
  const done = performance.now();
  const s = r.stats();
  await r.stop();
  const got = (await ctx.watch.total([topic])) - base;
  return {
    workload: 'W3 backlog drain', tool: tool.name, verified: got === total,
    figures: { 'events/s': total / ((done - first) / 1000), 'CPU-s per 1M events': ((s.cpuSeconds - cpuFirst) / total) * 1e6, 'peak RSS MB': s.peakRssMb },
    note: `10 × ${per}-row transactions written while stopped; ${got} new records; ${(total / ((done - t0) / 1000)).toFixed(0)} ev/s including the restart`,
  };
}

export function pcts(l: readonly number[]): Record<string, number> {
  return { 'p50 ms': percentile(l, 50), 'p99 ms': percentile(l, 99), 'p99.9 ms': percentile(l, 99.9) };
}

/** Same rows (ids) once each, no id missing: the exactly-what-was-committed check for insert workloads. */
function insertCheck(records: readonly ChangeRecord[], from: number, n: number): { unique: number; duplicates: number; missing: number } {
  const seen = new Set<number>();
  let inRange = 0;
  for (const r of records) if (r.op === 'c' && r.id >= from && r.id < from + n) { inRange++; seen.add(r.id); }
  return { unique: seen.size, duplicates: inRange - seen.size, missing: n - seen.size };
}

export async function w5(ctx: Ctx, tool: Tool): Promise<Result> {
  const { rate, seconds, warmup } = ctx.sizes;
  const table = `w5_${tool.name}`;
  await ctx.db.createTable(table);
  const r = await startCapturing(ctx, tool, 'w5', [table]);
  const topic = tool.topic('w5', table);
  const base = await ctx.watch.total([topic]);
  const w = ctx.db.writers();
  const warm = await openLoop({ rate: () => rate, seconds: warmup, op: (i) => w.insert(table, 10 + i), tick: () => r.stats() });
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done, 300000, 'the W5 warm-up events');
  const cpu0 = r.stats().cpuSeconds;
  // Steady RSS: the median of one sample a second over the measured window. One sample at the end would read
  // wherever the process is between two full collections (10-25 MB apart at 1k tx/s).
  const rss: number[] = [];
  const gen = await openLoop({
    rate: () => rate, seconds, op: (i) => w.insert(table, 10 + warm.started + i),
    tick: (t) => { const now = r.stats(); if (t >= rss.length) rss.push(now.rssMb); },
  });
  await w.end();
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done + gen.done, 300000, 'all W5 events');
  const s = r.stats();
  await r.stop();
  const { records } = await readChanges(topic);
  const chk = insertCheck(records, 10, warm.started + gen.started);
  return {
    workload: `W5 fixed rate ${rate}/s`, tool: tool.name, verified: chk.missing === 0 && chk.duplicates === 0 && gen.errors + warm.errors === 0,
    figures: { 'achieved tx/s (offered load)': gen.done / gen.seconds, ...pcts(latenciesMs(records, 10 + warm.started)), 'CPU-s per 1M events': ((s.cpuSeconds - cpu0) / gen.done) * 1e6, 'peak RSS MB': s.peakRssMb, 'steady RSS MB': percentile(rss.sort((a, b) => a - b), 50) },
    note: `${gen.done} single-row inserts in ${gen.seconds.toFixed(1)} s (open loop) after ${warm.done} in ${warmup} s of warm-up; ${chk.unique} unique rows on the topic`,
  };
}

export async function w9(ctx: Ctx, tool: Tool): Promise<Result> {
  const { killRate: rate, killSeconds: seconds } = ctx.sizes;
  const table = `w9_${tool.name}`;
  await ctx.db.createTable(table);
  let r = await startCapturing(ctx, tool, 'w9', [table]);
  const topic = tool.topic('w9', table);
  const w = ctx.db.writers();
  let killedAt = 0, restartedAt = 0;
  let killing: Promise<void> | undefined;
  const gen = await openLoop({
    rate: () => rate, seconds, op: (i) => w.insert(table, 10 + i),
    tick: (t) => {
      if (t < seconds / 2 || killing) return;
      killedAt = Date.now();
      killing = r.kill().then(() => { restartedAt = Date.now(); r = tool.start({ run: 'w9', tables: [table], snapshot: false }); });
    },
  });
  await w.end();
  await killing;
  let chk = { unique: 0, duplicates: 0, missing: gen.started };
  let records: ChangeRecord[] = [];
  const deadline = Date.now() + 300000;
  while (chk.missing > 0 && Date.now() < deadline) {
    await until(r, async () => (await ctx.watch.total([topic])) >= gen.started, 300000, 'W9 events after the restart');
    records = (await readChanges(topic)).records;
    chk = insertCheck(records, 10, gen.started);
    if (chk.missing > 0) await sleep(2000);
  }
  await r.stop();
  const after = records.filter((x) => x.updatedAtUs !== undefined && x.updatedAtUs / 1000 >= killedAt - 1000);
  const slow = after.filter((x) => x.timestampMs - x.updatedAtUs! / 1000 > 1000);
  const firstAfter = Math.min(...records.filter((x) => x.timestampMs > restartedAt).map((x) => x.timestampMs));
  return {
    workload: `W9 kill -9 at ${rate}/s`, tool: tool.name, verified: chk.missing === 0 && gen.errors === 0,
    figures: {
      'recovery s': slow.length > 0 ? (Math.max(...slow.map((x) => x.timestampMs)) - killedAt) / 1000 : 0,
      'first event after restart s': (firstAfter - restartedAt) / 1000, duplicates: chk.duplicates, missing: chk.missing,
    },
    note: `${gen.started} inserts over ${seconds} s, kill -9 at ${(seconds / 2).toFixed(0)} s and immediate restart; recovery = kill until commit → Kafka latency is back under 1 s`,
  };
}
