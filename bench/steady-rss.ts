/**
 * Steady RSS and CPU of several `ferry run` configurations side by side: one process per variant, all capturing the
 * same table while single-row inserts arrive at a fixed rate (W5's load), so every variant sees the same load and the
 * same box. On a shared machine this is the fair way to compare memory settings; separate W5 runs move by tens of MB
 * with the load of the moment.
 *
 *   scripts/node bench/steady-rss.ts [--engine mariadb|postgres] [--rate 1000] [--warmup 20] [--seconds 40]
 *     [--variant 'name: ENV=value --node-flag' ...]
 *
 * A variant is a name, a colon, then environment assignments (NAME=value), Node flags (--flag, put before
 * bin/ferry.js, so they are added to Ferry's defaults; FERRY_NODE_FLAGS= turns the defaults off) and optionally
 * `ferry=/other/checkout/bin/ferry.js` (compare two versions of the code). Without --variant:
 * `default` alone. Printed per variant: steady RSS (median of 1 s samples in the measured window), peak RSS, CPU-s
 * per 1M events in the window, whether it delivered every insert, and the median resident memory by kind (5 s samples
 * of /proc/<pid>/smaps: node binary and files, V8 heap pages, malloc's main arena, other anonymous memory), which
 * moves less with the moment of the last full GC than the total.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdmin } from '../runtime/src/kafka/kafka-client.ts';
import { freePort, services, uniqueName } from '../test/helpers/services.ts';
import { startFerry, type FerryProcess } from './lib/ferry-process.ts';
import { openLoop } from './lib/load.ts';
import { percentile, residentByKind } from './lib/process-stats.ts';
import { openDb, type Engine } from './lib/workload-db.ts';

const { values: a } = parseArgs({
  options: {
    engine: { type: 'string', default: 'mariadb' }, rate: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '20' }, seconds: { type: 'string', default: '40' },
    variant: { type: 'string', multiple: true, default: ['default:'] },
  },
});
const engine = a.engine as Engine;
const rate = Number(a.rate), warmup = Number(a.warmup), seconds = Number(a.seconds);

interface Variant { readonly name: string; readonly env: Record<string, string>; readonly nodeArgs: string[]; readonly script?: string }
const variants: Variant[] = a.variant.map((v) => {
  const i = v.indexOf(':');
  const words = (i < 0 ? '' : v.slice(i + 1)).split(/\s+/).filter(Boolean);
  const script = words.find((w) => w.startsWith('ferry='))?.slice('ferry='.length);
  return {
    name: i < 0 ? v : v.slice(0, i),
    env: Object.fromEntries(words.filter((w) => !w.startsWith('-') && !w.startsWith('ferry=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])),
    nodeArgs: words.filter((w) => w.startsWith('-')),
    ...(script !== undefined ? { script } : {}),
  };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[steady-rss ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const schema = uniqueName('srss');
const dir = mkdtempSync(join(tmpdir(), 'ferry-steady-rss-'));
const db = await openDb(engine, schema);
const table = 'orders';
await db.createTable(table);
const procs: { v: Variant; f: FerryProcess; rss: number[]; kinds: Record<string, number>[] }[] = [];
try {
  for (const [n, v] of variants.entries()) {
    const name = `${schema}_v${n}`;
    const port = await freePort();
    const task = {
      name, migrationType: 'cdc',
      source: engine === 'postgres'
        ? { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }
        : { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': table, 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': table } }] },
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
      settings: { logLevel: 'warn', stateDir: join(dir, name), offsetStore: 'sqlite', metrics: { port } },
    };
    procs.push({ v, f: startFerry(task, dir, port, v.nodeArgs, v.env, v.script), rss: [], kinds: [] });
  }
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const deadline = Date.now() + 120000;
    while (!(await ok())) {
      for (const p of procs) if (p.f.child.exitCode !== null) throw new Error(`${p.v.name} exited with ${p.f.child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(250);
    }
  };
  await until('every variant to capture', async () => (await Promise.all(procs.map((p) => p.f.commits()))).every((c) => c >= 1));
  log(`${procs.length} variants capturing ${engine} ${schema}.${table}; ${warmup} s warm-up, ${seconds} s measured at ${rate}/s`);
  const w = db.writers();
  const warm = await openLoop({ rate: () => rate, seconds: warmup, op: (i) => w.insert(table, 10 + i) });
  const cpu0 = procs.map((p) => p.f.stats().cpuSeconds);
  let lastSample = 0, lastKinds = 0;
  const gen = await openLoop({
    rate: () => rate, seconds, op: (i) => w.insert(table, 10 + warm.started + i),
    tick: (t) => {
      if (t - lastSample < 1) return;
      lastSample = t;
      for (const p of procs) p.rss.push(p.f.stats().rssMb);
      if (t - lastKinds < 5) return;
      lastKinds = t;
      for (const p of procs) { try { p.kinds.push(residentByKind(p.f.child.pid!)); } catch { /* exited */ } }
    },
  });
  await w.end();
  const total = warm.done + gen.done;
  const cpu1 = procs.map((p) => p.f.stats().cpuSeconds);
  await until('every insert to be delivered', async () => (await Promise.all(procs.map((p) => p.f.events()))).every((e) => e >= total)).catch((e: unknown) => log(String(e)));
  const events = await Promise.all(procs.map((p) => p.f.events()));
  const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');
  for (const [i, p] of procs.entries()) {
    const sorted = [...p.rss].sort((x, y) => x - y);
    const s = p.f.stats();
    const kinds = [...new Set(p.kinds.flatMap((k) => Object.keys(k)))];
    const median = (k: string) => Number(percentile(p.kinds.map((x) => x[k] ?? 0).sort((x, y) => x - y), 50).toFixed(1));
    console.log(JSON.stringify({
      variant: p.v.name, engine, 'steady RSS MB': Number(percentile(sorted, 50).toFixed(1)), 'peak RSS MB': Number(s.peakRssMb.toFixed(1)),
      'CPU-s per 1M events': Number((((cpu1[i]! - cpu0[i]!) / gen.done) * 1e6).toFixed(1)), delivered: `${events[i]}/${total}`, load,
      'median resident MB by kind': Object.fromEntries(kinds.map((k) => [k, median(k)])),
    }));
  }
} finally {
  await Promise.all(procs.map((p) => p.f.stop().catch(() => null)));
  await db.close().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  const admin = createAdmin({ brokers: services.brokers, clientId: 'bench-steady-rss' });
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${schema}_`));
    if (mine.length > 0) await admin.deleteTopics(mine);
  } catch (e) { log(`cleanup: ${String(e)}`); } finally { await admin.close(); }
  rmSync(dir, { recursive: true, force: true });
}
