/**
 * W4: an OLTP ramp, 20/60/20 insert/update/delete over 10 tables, open loop from several generator processes
 * (bench/lib/oltp-generator.ts), the rate raised every step until the tool falls behind (backlog of more than 2 s of
 * events and growing) or the generator and database cannot offer the rate any more. Every record is counted against
 * what the database committed; commit → Kafka latency is taken per step from the records themselves.
 */
import { startOltp } from '../lib/oltp-generator.ts';
import { percentile } from '../lib/process-stats.ts';
import { forEachChange } from '../lib/topics.ts';
import type { Tool } from './tools.ts';
import { sleep, startCapturing, until, type Ctx, type Result } from './workloads.ts';

interface Step { readonly rate: number; readonly offered: number; readonly backlog: number; readonly genCpuPerS: number; readonly toolCpuPerS: number }

export async function w4(ctx: Ctx, tool: Tool): Promise<Result> {
  const { rampStart, rampStep, stepSeconds, maxSteps, genProcesses, genConnections } = ctx.sizes;
  const tables = Array.from({ length: 10 }, (_, k) => `w4_${tool.name}_${k}`);
  const SEED = 1000;
  for (const t of tables) { await ctx.db.createTable(t); await ctx.db.fill(t, 1, SEED); }
  const r = await startCapturing(ctx, tool, 'w4', tables);
  const topics = tables.map((t) => tool.topic('w4', t));
  const base = await ctx.watch.total(topics);
  const gen = await startOltp({ engine: ctx.db.engine, schema: ctx.db.schema, tables, seed: SEED, processes: genProcesses, connectionsPerProcess: genConnections });
  try {
    const warm = await gen.run({ start: rampStart, step: 0, stepSeconds: 1e9, seconds: ctx.sizes.warmup });
    await until(r, async () => (await ctx.watch.total(topics)) - base >= gen.progress().expected, 300000, 'the W4 warm-up events');
    const cpu0 = r.stats().cpuSeconds, genCpu0 = gen.cpuSeconds();
    const p0 = gen.progress();
    const steps: Step[] = [];
    let stopped = '';
    const rateAt = (step: number) => rampStart + rampStep * step;
    const started = Date.now();
    const sampler = (async () => {
      let last = { committed: p0.committed, genCpu: genCpu0, toolCpu: cpu0 };
      for (let step = 0; step < maxSteps && !stopped; step++) {
        while (Date.now() - started < (step + 1) * stepSeconds * 1000) await sleep(50);
        const p = gen.progress(), genCpu = gen.cpuSeconds(), toolCpu = r.stats().cpuSeconds;
        const backlog = p.expected - ((await ctx.watch.total(topics)) - base);
        const s: Step = { rate: rateAt(step), offered: (p.committed - last.committed) / stepSeconds, backlog, genCpuPerS: (genCpu - last.genCpu) / stepSeconds, toolCpuPerS: (toolCpu - last.toolCpu) / stepSeconds };
        steps.push(s);
        last = { committed: p.committed, genCpu, toolCpu };
        const prev = steps.at(-2)?.backlog ?? 0;
        // Falling behind: more than 2 s of events queued and growing since the last step.
        if (backlog > 2 * s.rate && backlog > prev) stopped = `stopped at step ${step + 1}: backlog growing`;
        else if (s.offered < 0.9 * s.rate) stopped = `stopped at step ${step + 1}: the generator and database offered only ${s.offered.toFixed(0)} of ${s.rate} tx/s`;
        if (stopped) gen.stop();
      }
    })();
    const ramp = await gen.run({ start: rampStart, step: rampStep, stepSeconds, seconds: maxSteps * stepSeconds });
    stopped ||= 'x'; // ends the sampler if the ramp ran its course first
    await sampler;
    if (stopped === 'x') stopped = '';
    const genCpu = gen.cpuSeconds() - genCpu0;
    const expected = ramp.expected, deletes = ramp.deletes;
    await until(r, async () => (await ctx.watch.total(topics)) - base >= expected, 600000, 'all W4 events');
    const s = r.stats();
    await r.stop();
    // One pass over the topics: data records counted, latency bucketed by the step of the commit.
    const perStep: number[][] = steps.map(() => []);
    const all: number[] = [];
    let data = 0, tombstones = 0;
    for (const t of topics) {
      const c = await forEachChange(t, (x) => {
        if (x.id === 0) return; // the warm-up row is not part of the workload
        data++;
        if (x.updatedAtUs === undefined || x.updatedAtUs / 1000 < started) return;
        const lat = x.timestampMs - x.updatedAtUs / 1000;
        all.push(lat);
        const k = Math.floor((x.updatedAtUs / 1000 - started) / (stepSeconds * 1000));
        if (k < perStep.length) perStep[k]!.push(lat);
      });
      tombstones += c.tombstones;
    }
    const got = (await ctx.watch.total(topics)) - base;
    const p99s = perStep.map((l) => percentile(l.sort((a, b) => a - b), 99));
    // Highest step, from the first on, that was offered in full, kept up (backlog under 1 s at its end) and had p99 < 1 s.
    let maxRate = 0, maxStep = -1;
    for (let k = 0; k < steps.length; k++) {
      const st = steps[k]!;
      if (st.offered >= 0.9 * st.rate && st.backlog <= st.rate && p99s[k]! < 1000) { maxRate = st.rate; maxStep = k; } else break;
    }
    // The last step failed only because the load could not be offered: the tool's maximum is higher than this one.
    const last = steps.at(-1);
    const generatorLimited = stopped.includes('generator') && maxStep === steps.length - 2 && last !== undefined && last.backlog <= last.offered;
    all.sort((a, b) => a - b);
    const rampSeconds = ramp.seconds;
    return {
      workload: 'W4 OLTP ramp', tool: tool.name, verified: got === expected && data === expected - deletes && ramp.errors + warm.errors === 0,
      figures: {
        'max sustained tx/s': maxRate, 'highest offered tx/s': Math.max(0, ...steps.map((x) => x.offered)), 'CPU-s per 1M events': ((s.cpuSeconds - cpu0) / (expected - p0.expected)) * 1e6,
        'peak RSS MB': s.peakRssMb, 'p99 ms': percentile(all, 99), 'generator CPU-s per s': genCpu / rampSeconds,
        ...(maxStep >= 0 ? { 'generator CPU-s per s at the max': steps[maxStep]!.genCpuPerS } : {}),
      },
      note: `20/60/20 I/U/D over 10 tables from ${genProcesses} generator processes × ${genConnections} connections, ${ctx.sizes.warmup} s warm-up at ${rampStart}/s, then ${rampStart}/s +${rampStep}/s every ${stepSeconds} s; ${steps.length} steps${stopped ? ` (${stopped})` : ''}${generatorLimited ? ' — the maximum is a lower bound: the load, not the tool, ran out' : ''}; per step target/offered tx/s, backlog, p99 ms, generator CPU-s/s, tool CPU-s/s: ${steps.map((x, k) => `${x.rate}/${x.offered.toFixed(0)}, ${x.backlog}, ${p99s[k]!.toFixed(0)}, ${x.genCpuPerS.toFixed(2)}, ${x.toolCpuPerS.toFixed(2)}`).join('; ')}; ${ramp.done} tx (late-start ticks ${ramp.lateStarts}); ${expected} records expected (${deletes} deletes + tombstones), ${got} new on the topics (${data} change events, ${tombstones} tombstones); p99 over the whole ramp`,
      series: { steps: steps.map((x, k) => ({ ...x, p99Ms: p99s[k] })) },
    };
  } finally {
    await gen.end();
  }
}
