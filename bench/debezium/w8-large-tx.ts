/**
 * W8 (issue 24): one source transaction of `bigTxRows` rows (1M by default: one INSERT … SELECT) while the tool is
 * capturing. What a user running a large batch job against the source needs to know: that the tool's memory stays
 * bounded while it streams the transaction (peak RSS, against the RSS of the idle capturing process before it), how
 * long the transaction takes to reach Kafka after its COMMIT returns (drain s), and that every row arrives: the topic
 * must gain exactly `bigTxRows` records (end offsets, as W1 and W3 count).
 */
import { fillSql } from '../lib/workload-db.ts';
import type { Tool } from './tools.ts';
import { sleep, startCapturing, until, type Ctx, type Result } from './workloads.ts';

export async function w8(ctx: Ctx, tool: Tool): Promise<Result> {
  const rows = ctx.sizes.bigTxRows;
  const table = `w8_${tool.name}`;
  await ctx.db.createTable(table);
  const r = await startCapturing(ctx, tool, 'w8', [table]);
  const topic = tool.topic('w8', table);
  await sleep(3000); // idle: the RSS of a capturing process before the transaction
  const before = r.stats();
  const base = await ctx.watch.total([topic]);
  const t0 = performance.now();
  await ctx.db.query(fillSql(ctx.db.engine, `${ctx.db.schema}.${table}`, 1000, rows)); // one statement, one transaction
  const committed = performance.now();
  await until(r, async () => (await ctx.watch.total([topic])) - base >= rows, 1800000, `the ${rows} events of one transaction`);
  const done = performance.now();
  const s = r.stats();
  await r.stop();
  const got = (await ctx.watch.total([topic])) - base;
  const drainS = (done - committed) / 1000;
  return {
    workload: `W8 one transaction of ${rows} rows`, tool: tool.name, verified: got === rows,
    figures: {
      'drain s': drainS, 'events/s': rows / drainS, 'CPU-s per 1M events': ((s.cpuSeconds - before.cpuSeconds) / rows) * 1e6,
      'RSS before MB': before.rssMb, 'peak RSS MB': s.peakRssMb,
    },
    note: `one INSERT … SELECT of ${rows} rows, committed in ${((committed - t0) / 1000).toFixed(1)} s by the database (not counted); drain = COMMIT returned → the last record on the topic; ${got} new records; CPU from before the INSERT (a source that streams an open transaction is charged for it)`,
  };
}
