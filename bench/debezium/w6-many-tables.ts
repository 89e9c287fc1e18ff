/**
 * W6 (issue 24): a source with `manyTables` tables (2,000 by default), every one selected (Ferry: one selection rule
 * per table; Debezium: the same names in table.include.list). The tables are made for each tool run with batched DDL
 * and dropped after it. From the process start a probe row is inserted into the last table every 0.5 s until one
 * reaches Kafka: "capturing after" is the commit time of the first probe that arrived (capture had begun by then; the
 * probe before it was missed), "first event after" its arrival. Then one row into every 100th table must arrive too.
 * Memory: peak RSS up to then, and RSS after 10 s idle.
 */
import { readChanges } from '../lib/topics.ts';
import { tableDdl } from '../lib/workload-db.ts';
import type { Tool } from './tools.ts';
import { sleep, until, type Ctx, type Result } from './workloads.ts';

const PROBE_MS = 500;

export async function w6(ctx: Ctx, tool: Tool): Promise<Result> {
  const n = ctx.sizes.manyTables;
  const { db } = ctx;
  const tables = Array.from({ length: n }, (_, k) => `w6_${tool.name}_${String(k).padStart(4, '0')}`);
  const ddl0 = performance.now();
  await db.batch(tables.map((t) => `CREATE TABLE ${db.schema}.${t} ${tableDdl(db.engine)}`));
  const ddlSeconds = (performance.now() - ddl0) / 1000;
  try {
    const probe = tables.at(-1)!;
    const probeTopic = tool.topic('w6', probe);
    const t0 = Date.now();
    const r = tool.start({ run: 'w6', tables, snapshot: false });
    const commits: number[] = []; // commit time of probe id i+1
    let arrived = 0;
    let cpuAtFirst = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const id = commits.length + 1;
        await db.warm(probe, id);
        commits.push(Date.now());
        await sleep(PROBE_MS);
      }
    })();
    try {
      await until(r, async () => {
        const got = (await ctx.watch.total([probeTopic])) > 0;
        if (got && arrived === 0) { arrived = Date.now(); cpuAtFirst = r.stats().cpuSeconds; }
        return got;
      }, 600000, `the first event of ${n} tables`);
    } finally {
      probing = false;
      await prober;
    }
    // Which probe was the first captured: the lowest id on the topic.
    const probeRecords = (await readChanges(probeTopic)).records;
    const firstCaptured = Math.min(...probeRecords.map((x) => x.id));
    const capturingAfter = (commits[firstCaptured - 1]! - t0) / 1000;
    // Every 100th table: one row each, all must arrive.
    const spread = tables.filter((_, k) => k % 100 === 0);
    for (const t of spread) await db.warm(t, 1);
    const spreadTopics = spread.map((t) => tool.topic('w6', t));
    const spread0 = Date.now();
    let spreadOk = true;
    await until(r, async () => (await Promise.all(spreadTopics.map((t) => ctx.watch.total([t])))).every((x) => x > 0), 120000, `one event on each of ${spread.length} tables`).catch(() => { spreadOk = false; });
    const spreadSeconds = (Date.now() - spread0) / 1000;
    await sleep(10000);
    const s = r.stats();
    await r.stop();
    return {
      workload: `W6 ${n} tables`, tool: tool.name, verified: spreadOk && probeRecords.length > 0,
      figures: {
        'capturing after s': capturingAfter, 'first event after s': (arrived - t0) / 1000, 'start-up CPU-s': cpuAtFirst,
        'peak RSS MB': s.peakRssMb, 'steady RSS MB': s.rssMb,
      },
      note: `${n} tables (${ddlSeconds.toFixed(1)} s of batched DDL, not counted), each selected by name; probe rows into the last table every ${PROBE_MS} ms from the process start: probe ${firstCaptured} of ${commits.length} was the first captured; then one row into each of ${spread.length} tables (every 100th): ${spreadOk ? `all on Kafka within ${spreadSeconds.toFixed(1)} s` : 'NOT all on Kafka within 120 s'}; steady RSS 10 s later`,
    };
  } finally {
    await db.batch(tables.map((t) => `DROP TABLE IF EXISTS ${db.schema}.${t}`));
  }
}
