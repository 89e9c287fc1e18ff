/**
 * W2 (issue 24): wide rows at a fixed rate. Single-row inserts into the 60-column table of bench/lib/wide-table.ts
 * (a ~4 KB JSON and a ~16 KB text among them; PostgreSQL TOASTs the text) at `wideRate`, open loop, for `seconds`
 * after `warmup` seconds at that rate. Figures: events/s and topic bytes/s (key + value sizes of the records),
 * CPU-s per 1M, RSS, p50/p99 commit → Kafka. Every inserted id must arrive exactly once; for a sample of rows the
 * decoded values are compared with the source rows read back from the database (required exact for Ferry).
 */
import { openLoop } from '../lib/load.ts';
import { percentile } from '../lib/process-stats.ts';
import { forEachRecord } from '../lib/topics.ts';
import { SCALARS, wideDdl, wideDiff, wideWriters } from '../lib/wide-table.ts';
import { decodeWire } from '../../test/helpers/topic-reader.ts';
import type { Tool } from './tools.ts';
import { pcts, startCapturing, until, type Ctx, type Result } from './workloads.ts';

const SAMPLE_EVERY = 97;

export async function w2(ctx: Ctx, tool: Tool): Promise<Result> {
  const { wideRate: rate, seconds, warmup } = ctx.sizes;
  const table = `w2_${tool.name}`;
  await ctx.db.query(`CREATE TABLE ${ctx.db.schema}.${table} ${wideDdl(ctx.db.engine)}`);
  const w = wideWriters(ctx.db.engine, ctx.db.schema, table);
  const r = await startCapturing(ctx, tool, 'w2', [table], 1, async (id) => { await w.insert(id); });
  const topic = tool.topic('w2', table);
  const base = await ctx.watch.total([topic]);
  const warm = await openLoop({ rate: () => rate, seconds: warmup, op: (i) => w.insert(10 + i), tick: () => r.stats() });
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done, 300000, 'the W2 warm-up events');
  const cpu0 = r.stats().cpuSeconds;
  const first = 10 + warm.started;
  const start = Date.now();
  const gen = await openLoop({ rate: () => rate, seconds, op: (i) => w.insert(first + i), tick: () => r.stats() });
  await w.end();
  await until(r, async () => (await ctx.watch.total([topic])) - base >= warm.done + gen.done, 300000, 'all W2 events');
  const s = r.stats();
  await r.stop();

  const n = gen.started;
  const seen = new Uint8Array(n);
  let duplicates = 0, bytes = 0, lastArrival = 0;
  const lat: number[] = [];
  const sample = new Map<number, Record<string, unknown>>();
  await forEachRecord(topic, async (m) => {
    if (!m.value) return;
    const env = (await decodeWire(m.value)).value as { op: string; after: Record<string, unknown> | null };
    const id = Number(env.after?.id ?? -1);
    if (env.op !== 'c' || id < first || id >= first + n) return;
    if (seen[id - first]! > 0) { duplicates++; return; }
    seen[id - first] = 1;
    bytes += m.value.length + (m.key?.length ?? 0);
    lastArrival = Math.max(lastArrival, m.timestampMs);
    lat.push(m.timestampMs - Number(env.after!.updated_at) / 1000);
    if (id % SAMPLE_EVERY === 0) sample.set(id, env.after!);
  });
  const unique = seen.reduce((a, b) => a + b, 0);
  const missing = n - unique;
  // The sampled rows as the database holds them (timestamps and doubles are checked against the values written).
  const ids = [...sample.keys()];
  const cols = ['id', 'doc', 'body', ...SCALARS.filter((c) => c.type !== 'timestamp' && c.type !== 'double').map((c) => c.name)].join(', ');
  const source = new Map<number, Record<string, unknown>>();
  for (let i = 0; i < ids.length; i += 200) {
    for (const row of await ctx.db.rows(`SELECT ${cols} FROM ${ctx.db.schema}.${table} WHERE id IN (${ids.slice(i, i + 200).join(',')})`)) source.set(Number(row.id), row);
  }
  const differing = new Map<string, number>();
  for (const [id, after] of sample) for (const c of wideDiff(id, after, source.get(id) ?? {})) differing.set(c, (differing.get(c) ?? 0) + 1);
  const valuesExact = differing.size === 0 && sample.size > 0;
  lat.sort((a, b) => a - b);
  const secs = (lastArrival - start) / 1000;
  return {
    workload: `W2 wide rows ${rate}/s`, tool: tool.name,
    verified: missing === 0 && duplicates === 0 && gen.errors + warm.errors === 0 && (tool.name !== 'ferry' || valuesExact),
    figures: {
      'events/s': gen.done / secs, 'MB/s on the topic': bytes / secs / 1e6, 'KB per event': bytes / unique / 1000,
      'CPU-s per 1M events': ((s.cpuSeconds - cpu0) / gen.done) * 1e6, 'peak RSS MB': s.peakRssMb, 'steady RSS MB': s.rssMb,
      'p50 ms': percentile(lat, 50), 'p99 ms': pcts(lat)['p99 ms']!, duplicates, missing,
    },
    note: `${gen.done} inserts of 60-column rows (~4 KB JSON, ~16 KB text) in ${gen.seconds.toFixed(1)} s (open loop, late-start ticks ${gen.lateStarts}) after ${warm.done} in ${warmup} s of warm-up; ${unique} unique rows on the topic, ${(bytes / 1e6).toFixed(0)} MB (key + value); ${sample.size} sampled rows (every id divisible by ${SAMPLE_EVERY}) compared column by column with the database: ${differing.size === 0 ? 'all 60 columns exact' : `differences in ${[...differing].map(([c, k]) => `${c} (${k} rows)`).join(', ')}`}${tool.name === 'ferry' ? '' : ' (not required of Debezium: its representations may differ)'}`,
  };
}
