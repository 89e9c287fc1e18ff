/**
 * W10 (issue 24): a soak at a fixed rate of single-row inserts, open loop, for `soakMinutes` after a warm-up at the
 * same rate. Every 10 s the tool's RSS (and for Ferry its V8 heap used, from its metrics endpoint), CPU and backlog
 * are sampled; afterwards the topic is read once, record by record, for commit → Kafka latency per minute (by commit
 * time) and the exactly-once check of every inserted id. The series go to the raw JSON.
 */
import { openLoop } from '../lib/load.ts';
import { percentile, slope } from '../lib/process-stats.ts';
import { forEachChange } from '../lib/topics.ts';
import type { Tool } from './tools.ts';
import { sleep, startCapturing, until, type Ctx, type Result } from './workloads.ts';

const SAMPLE_S = 10;

export interface SoakSample { readonly t: number; readonly rssMb: number; readonly heapMb?: number; readonly cpuSeconds: number; readonly backlog: number }
export interface SoakMinute { readonly minute: number; readonly rssMb: number; readonly heapMb?: number; readonly events: number; readonly p50Ms: number; readonly p99Ms: number }

/** MB per hour over the second half of the samples (the first half holds the warm-up of caches and pools). */
function driftMbPerHour(samples: readonly SoakSample[], y: (s: SoakSample) => number | undefined): number {
  const half = samples.slice(Math.floor(samples.length / 2)).filter((s) => y(s) !== undefined);
  return slope(half.map((s) => ({ x: s.t / 3600, y: y(s)! })));
}

export async function w10(ctx: Ctx, tool: Tool): Promise<Result> {
  const { soakRate: rate, soakMinutes: minutes, warmup } = ctx.sizes;
  const table = `w10_${tool.name}`;
  await ctx.db.createTable(table);
  const r = await startCapturing(ctx, tool, 'w10', [table]);
  const topic = tool.topic('w10', table);
  const base = await ctx.watch.total([topic]);
  const w = ctx.db.writers(16);
  let committed = 0; // inserts committed so far (warm-up and soak), for the backlog
  const insert = async (id: number) => { const n = await w.insert(table, id); committed += n; return n; };
  const warm = await openLoop({ rate: () => rate, seconds: warmup, op: (i) => insert(10 + i), tick: () => r.stats() });
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done, 300000, 'the W10 warm-up events');
  const cpu0 = r.stats().cpuSeconds;
  const first = 10 + warm.started; // the soak's first id
  const soakStart = Date.now();
  const samples: SoakSample[] = [];
  let loading = true;
  const sampler = (async () => {
    for (let k = 1; loading; k++) {
      while (loading && Date.now() - soakStart < k * SAMPLE_S * 1000) await sleep(100);
      if (!loading) break;
      const s = r.stats();
      const heapMb = await r.heapUsedMb();
      const backlog = committed - ((await ctx.watch.total([topic])) - base);
      samples.push({ t: (Date.now() - soakStart) / 1000, rssMb: s.rssMb, ...(heapMb !== undefined ? { heapMb } : {}), cpuSeconds: s.cpuSeconds - cpu0, backlog });
    }
  })();
  const gen = await openLoop({ rate: () => rate, seconds: minutes * 60, op: (i) => insert(first + i), tick: () => r.stats() });
  loading = false;
  await sampler;
  await w.end();
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done + gen.done, 600000, 'all W10 events');
  const s = r.stats();
  await r.stop();

  // One pass over the topic: each soak id counted, latency bucketed by the minute of its commit.
  const n = gen.started;
  const seen = new Uint8Array(n);
  let duplicates = 0, lastArrival = 0;
  const perMinute: number[][] = Array.from({ length: Math.ceil(minutes) + 1 }, () => []);
  const all: number[] = [];
  await forEachChange(topic, (c) => {
    if (c.op !== 'c' || c.id < first || c.id >= first + n) return;
    if (seen[c.id - first]! > 0) { duplicates++; return; }
    seen[c.id - first] = 1;
    lastArrival = Math.max(lastArrival, c.timestampMs);
    if (c.updatedAtUs === undefined) return;
    const lat = c.timestampMs - c.updatedAtUs / 1000;
    all.push(lat);
    const m = Math.floor((c.updatedAtUs / 1000 - soakStart) / 60000);
    if (m >= 0 && m < perMinute.length) perMinute[m]!.push(lat);
  });
  const unique = seen.reduce((a, b) => a + b, 0);
  const missing = n - unique;

  const minuteRows: SoakMinute[] = [];
  for (let m = 0; m < perMinute.length; m++) {
    const lat = perMinute[m]!.sort((a, b) => a - b);
    if (lat.length === 0) continue;
    const inMinute = samples.filter((x) => x.t > m * 60 && x.t <= (m + 1) * 60);
    const at = inMinute.at(-1) ?? samples.filter((x) => x.t <= (m + 1) * 60).at(-1);
    minuteRows.push({ minute: m + 1, rssMb: at?.rssMb ?? NaN, ...(at?.heapMb !== undefined ? { heapMb: at.heapMb } : {}), events: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) });
  }
  const full = minuteRows.filter((m) => m.events >= rate * 60 * 0.5); // a last partial minute says little
  const p99s = full.map((m) => m.p99Ms).sort((a, b) => a - b);
  all.sort((a, b) => a - b);
  const heaps = samples.filter((x) => x.heapMb !== undefined);
  const firstS = samples[0], lastS = samples.at(-1);
  const delivered = gen.done / ((lastArrival - soakStart) / 1000);
  const figures: Record<string, number> = {
    'events/s': delivered, 'CPU-s per 1M events': ((s.cpuSeconds - cpu0) / gen.done) * 1e6,
    'RSS minute 1 MB': minuteRows[0]?.rssMb ?? NaN, 'RSS last minute MB': full.at(-1)?.rssMb ?? NaN, 'peak RSS MB': s.peakRssMb,
    'RSS drift MB/h': driftMbPerHour(samples, (x) => x.rssMb), 'RSS last-first MB': (lastS?.rssMb ?? NaN) - (firstS?.rssMb ?? NaN),
    ...(heaps.length > 0 ? {
      'heap drift MB/h': driftMbPerHour(samples, (x) => x.heapMb), 'heap last-first MB': heaps.at(-1)!.heapMb! - heaps[0]!.heapMb!,
    } : {}),
    'p50 ms': percentile(all, 50), 'p99 ms': percentile(all, 99),
    'p99 per minute min ms': p99s[0] ?? NaN, 'p99 per minute median ms': percentile(p99s, 50), 'p99 per minute max ms': p99s.at(-1) ?? NaN,
    duplicates, missing,
  };
  const list = (f: (m: SoakMinute) => number | undefined) => full.map((m) => { const v = f(m); return v === undefined ? 'n/a' : v.toFixed(0); }).join('/');
  return {
    workload: `W10 soak ${rate}/s × ${minutes} min`, tool: tool.name, verified: missing === 0 && duplicates === 0 && gen.errors + warm.errors === 0,
    figures,
    note: `${gen.done} single-row inserts in ${gen.seconds.toFixed(0)} s (open loop, late-start ticks ${gen.lateStarts}) after ${warm.done} in ${warmup} s of warm-up; ${unique} unique soak rows on the topic; sampled every ${SAMPLE_S} s (drift: least squares over the second half; last-first: the last sample minus the first, 10 s after the warm-up); RSS MB per minute ${list((m) => m.rssMb)}${heaps.length > 0 ? `; heap MB per minute ${list((m) => m.heapMb)}` : '; heap n/a (JVM)'}; p99 ms per minute ${list((m) => m.p99Ms)}; most backlog at a sample ${Math.max(0, ...samples.map((x) => x.backlog))}`,
    series: { samples, minutes: minuteRows },
  };
}
