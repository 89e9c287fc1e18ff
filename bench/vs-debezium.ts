/**
 * Ferry against Debezium, side by side on this machine: the same database, the same Kafka, the same Avro envelope
 * through the same registry, one tool after the other. Workloads (shared/notes/performance.md §2):
 *
 *   w1  snapshot of one table (--rows rows)                       rows/s, CPU-s per 1M, peak RSS
 *   w2  wide rows (60 columns, ~4 KB JSON, ~16 KB text), fixed rate events/s, MB/s, CPU-s per 1M, RSS, p50/p99; values checked
 *   w3  backlog drain: 10 × rows/10-row transactions while stopped events/s, CPU-s per 1M, peak RSS
 *   w4  OLTP ramp, 20/60/20 I/U/D over 10 tables, open loop      highest sustained rate (p99 < 1 s, no growing lag),
 *       from --gen-processes processes, until the tool falls behind  the generator's own CPU-s per s
 *   w5  fixed-rate single-row inserts, open loop, after warm-up  p50/p99/p99.9 commit → Kafka, CPU, RSS
 *   w6  --tables tables (2,000), all selected; start, probe rows     capturing after / first event after the process start, RSS
 *   w8  one transaction of --big-tx-rows rows (1M) while capturing drain s after its COMMIT, events/s, CPU, RSS before / peak
 *   w9  kill -9 at half time of a fixed-rate load, restart       recovery time, duplicates, missing rows
 *   w10 soak: fixed-rate single-row inserts for --soak-minutes     RSS/heap drift, p99 per minute, nothing lost (not in the default --only)
 *
 * Usage: npm run bench:vs-debezium -- [--help] [--engine mariadb,postgres] [--tools ferry,debezium] [--only w1,w2,w3,w4,w5,w6,w8,w9,w10]
 *          [--rows 500000] [--rate 1000] [--seconds 30] [--warmup 20] [--ramp-start 2000] [--ramp-step 2000] [--step-seconds 15]
 *          [--max-steps 30] [--gen-processes 3] [--gen-connections 8] [--kill-rate 1000] [--kill-seconds 30] [--wide-rate 500] [--tables 2000] [--big-tx-rows 1000000] [--soak-rate 2000] [--soak-minutes 30] [--debezium-tuned] [--ferry-cpu-prof DIR] [--ferry-node-args '--flag ...'] [--ferry-settings JSON] [--no-record]
 *          [--keep-dir] [--keep-topics] [--merge .run/bench-vs-debezium/<earlier>.json[,<another>.json]]
 * --merge starts from earlier runs' raw figures (comma-separated files, later ones win) and replaces the cells this
 * run measures (to redo one cell, or to join runs made at the same time, e.g. a W10 soak per engine, with --only none).
 * Jars: bash bench/debezium/fetch.sh (the npm script runs it first). Results replace the marked section of
 * bench/RESULTS.md unless --no-record; the raw figures go to .run/bench-vs-debezium/<date>.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdmin } from '../runtime/src/kafka/kafka-client.ts';
import { services, uniqueName } from '../test/helpers/services.ts';
import { DEBEZIUM_VERSIONS } from './debezium/connect.ts';
import { makeTool, type ToolContext, type ToolName } from './debezium/tools.ts';
import { w10 } from './debezium/w10-soak.ts';
import { w2 } from './debezium/w2-wide.ts';
import { w6 } from './debezium/w6-many-tables.ts';
import { w8 } from './debezium/w8-large-tx.ts';
import { w4 } from './debezium/w4-ramp.ts';
import { LOWER_IS_BETTER, w1, w3, w5, w9, type Ctx, type Result, type Sizes } from './debezium/workloads.ts';
import { machine } from './lib/process-stats.ts';
import { OffsetWatch } from './lib/topics.ts';
import { openDb, type Engine } from './lib/workload-db.ts';

// an unknown or malformed option is a usage error (exit 2), not a stack trace
const { values: a } = (() => { try { return parseArgs({ allowNegative: true, options: {
  engine: { type: 'string', default: 'mariadb,postgres' }, tools: { type: 'string', default: 'ferry,debezium' },
  only: { type: 'string', default: 'w1,w2,w3,w4,w5,w6,w8,w9' }, rows: { type: 'string', default: '500000' },
  rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' }, warmup: { type: 'string', default: '20' },
  'ramp-start': { type: 'string', default: '2000' }, 'ramp-step': { type: 'string', default: '2000' },
  'step-seconds': { type: 'string', default: '15' }, 'max-steps': { type: 'string', default: '30' },
  'gen-processes': { type: 'string', default: '3' }, 'gen-connections': { type: 'string', default: '8' },
  'kill-rate': { type: 'string', default: '1000' }, 'kill-seconds': { type: 'string', default: '30' },
  'wide-rate': { type: 'string', default: '500' }, tables: { type: 'string', default: '2000' }, 'big-tx-rows': { type: 'string', default: '1000000' }, 'soak-rate': { type: 'string', default: '2000' }, 'soak-minutes': { type: 'string', default: '30' },
  'debezium-tuned': { type: 'boolean', default: false }, 'ferry-cpu-prof': { type: 'string' }, 'ferry-node-args': { type: 'string' }, 'ferry-settings': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  record: { type: 'boolean', default: true }, 'keep-dir': { type: 'boolean', default: false }, 'keep-topics': { type: 'boolean', default: false }, merge: { type: 'string' },
} }); } catch (e: unknown) { process.stderr.write(`vs-debezium: ${(e as Error).message}\nRun with --help for the options.\n`); process.exit(2); } })();
if (a.help) {
  // the usage is this file's header comment
  const header = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?\n?/, '').replace(/^ \* ?/gm, '');
  process.stdout.write(`${header.trim()}\n`);
  process.exit(0);
}
const sizes: Sizes = {
  rows: Number(a.rows), rate: Number(a.rate), seconds: Number(a.seconds), warmup: Number(a.warmup), rampStart: Number(a['ramp-start']),
  rampStep: Number(a['ramp-step']), stepSeconds: Number(a['step-seconds']), maxSteps: Number(a['max-steps']),
  genProcesses: Number(a['gen-processes']), genConnections: Number(a['gen-connections']),
  killRate: Number(a['kill-rate']), killSeconds: Number(a['kill-seconds']),
  wideRate: Number(a['wide-rate']), manyTables: Number(a.tables), bigTxRows: Number(a['big-tx-rows']), soakRate: Number(a['soak-rate']), soakMinutes: Number(a['soak-minutes']),
};
const engines = a.engine.split(',') as Engine[];
const tools = a.tools.split(',') as ToolName[];
const WORKLOADS = { w1, w2, w3, w4, w5, w6, w8, w9, w10 } as const;
const only = a.only.split(',').filter((w) => w in WORKLOADS); // --only none: just rewrite the report from --merge
const ROOT = join(import.meta.dirname, '..');
const startedAt = new Date();

const rawFile = join(ROOT, '.run', 'bench-vs-debezium', `${startedAt.toISOString().replace(/[:.]/g, '-')}-${process.pid}.json`);
mkdirSync(join(ROOT, '.run', 'bench-vs-debezium'), { recursive: true });
const children: ToolContext['children'] = [];
const killAll = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); };
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { killAll(); process.exit(130); });

/** The run's topics (every prefix starts with the run's unique schema name) and schema-history/offset topics. */
async function dropTopics(schema: string): Promise<void> {
  const admin = createAdmin({ brokers: services.brokers, clientId: 'bench-vs-debezium' });
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${schema}_`) || t.includes(`.${schema}_`));
    if (mine.length > 0) await admin.deleteTopics(mine);
  } finally { await admin.close(); }
}

interface Row extends Result { engine: Engine }
const rows: Row[] = [];
const failures: string[] = [];
// Several files (runs made at the same time): later files win for the cells they share.
const merged: { rows: Row[]; failures: string[]; startedAt?: string } = { rows: [], failures: [] };
for (const file of a.merge ? a.merge.split(',') : []) {
  const m = JSON.parse(readFileSync(file, 'utf8')) as typeof merged;
  const cells = new Set(m.rows.map((r) => `${r.engine}|${r.workload}|${r.tool}`));
  merged.rows = [...merged.rows.filter((r) => !cells.has(`${r.engine}|${r.workload}|${r.tool}`)), ...m.rows];
  merged.failures.push(...m.failures);
  merged.startedAt ??= m.startedAt;
}
const watch = new OffsetWatch();
const log = (m: string) => process.stderr.write(`[vs-debezium ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

for (const engine of only.length > 0 ? engines : []) {
  const schema = uniqueName('vsdbz');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-vs-debezium-'));
  const db = await openDb(engine, schema);
  const ctx: Ctx = { db, watch, sizes };
  const toolCtx: ToolContext = {
    engine, schema, dir, children, ...(a['debezium-tuned'] ? { debeziumTuned: true } : {}),
    ...(a['ferry-cpu-prof'] || a['ferry-node-args'] ? { ferryNodeArgs: [
      ...(a['ferry-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${a['ferry-cpu-prof']}`] : []),
      ...(a['ferry-node-args'] ? a['ferry-node-args'].split(/\s+/).filter(Boolean) : []),
    ] } : {}),
    ...(a['ferry-settings'] ? { ferrySettings: JSON.parse(a['ferry-settings']) as Record<string, unknown> } : {}),
  };
  try {
    for (const w of only) {
      for (const t of tools) {
        log(`${engine} ${w} ${t}`);
        try {
          const r = await WORKLOADS[w as keyof typeof WORKLOADS](ctx, makeTool(t, toolCtx));
          rows.push({ ...r, engine });
          writeFileSync(rawFile, JSON.stringify({ args: a, sizes, rows, failures, startedAt: startedAt.toISOString() }, null, 2)); // partial results survive a later failure
          log(`${r.verified ? 'ok' : 'UNVERIFIED'} ${JSON.stringify(r.figures, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}`);
        } catch (e) {
          failures.push(`${engine} ${w} ${t}: ${e instanceof Error ? e.message : String(e)}`);
          log(`FAILED ${failures.at(-1)}`);
        } finally {
          killAll();
          await db.dropSlots(`${schema}_${w}_`).catch(() => undefined);
        }
      }
    }
  } finally {
    killAll();
    await db.close().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    if (!a['keep-topics']) await dropTopics(schema).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    if (!a['keep-dir']) rmSync(dir, { recursive: true, force: true });
  }
}
await watch.close();

// ---- report ----
if (a.merge) {
  const key = (r: { engine: string; workload: string; tool: string }) => `${r.engine}|${r.workload}|${r.tool}`;
  const mine = new Set(rows.map(key));
  const cell = (f: string) => f.split(':')[0]!.replace(/ /g, '|'); // "mariadb w4 debezium: …"
  const redone = new Set(engines.flatMap((e) => only.flatMap((w) => tools.map((t) => `${e}|${w}|${t}`))));
  rows.unshift(...merged.rows.filter((r) => !mine.has(key(r))));
  failures.unshift(...merged.failures.filter((f) => !redone.has(cell(f))));
}
const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
// What the load generator did, not what the tool did: no ratio.
const NO_RATIO = new Set(['highest offered tx/s', 'generator CPU-s per s', 'generator CPU-s per s at the max']);
function ratioCell(figure: string, f: number | undefined, d: number | undefined): string {
  if (NO_RATIO.has(figure)) return '';
  if (f === undefined || d === undefined || !Number.isFinite(f) || !Number.isFinite(d)) return '';
  if (d === 0) return f === 0 ? '=' : '';
  const r = f / d;
  if (Math.abs(r - 1) < 0.01) return `${r.toFixed(2)}× (=)`;
  const better = LOWER_IS_BETTER.has(figure) ? r < 1 : r > 1;
  return `${r.toFixed(2)}× ${r === 1 ? '' : better ? '(Ferry better)' : '(Debezium better)'}`;
}
const lines: string[] = [];
lines.push(`### Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, '');
lines.push(`- **Machine:** ${machine()}; MariaDB 10.11, PostgreSQL 15, Kafka 4.1.2 (one broker, KRaft) and Apicurio 3.3.3 on the same host. ${process.env.BENCH_SHARED === '0' ? '' : 'The box was shared with other engineers\' test runs while this ran, so absolute numbers are noisy; the ratios are what to read.'}`);
lines.push(`- **Debezium:** debezium-connector-postgres ${DEBEZIUM_VERSIONS.postgres}; debezium-connector-mariadb ${DEBEZIUM_VERSIONS.mariadb} (3.6.x of that connector is not served by the package registry here); Kafka Connect 4.3.0 standalone on Java 17, ${a['debezium-tuned'] ? 'tuned (batch 20k, queue 100k, poll 100 ms, producer 1 MB / 20 ms / lz4)' : 'connector and producer defaults'}, Apicurio AvroConverter 2.6.13 (Confluent wire format).`);
const mergeNote = a.merge ? ` (merged into the run of ${merged.startedAt ?? a.merge}, whose other cells are kept)` : '';
lines.push(`- **Command:** \`npm run bench:vs-debezium -- ${process.argv.slice(2).join(' ')}\`${mergeNote}.`, '');
lines.push('| source | workload | figure | Ferry | Debezium | Ferry/Debezium |', '|---|---|---|---|---|---|');
const key = (r: Row) => `${r.engine}|${r.workload}`;
for (const k of [...new Set(rows.map(key))]) {
  const f = rows.find((r) => key(r) === k && r.tool === 'ferry');
  const d = rows.find((r) => key(r) === k && r.tool === 'debezium');
  const [engine, workload] = k.split('|');
  for (const figure of [...new Set([...Object.keys(f?.figures ?? {}), ...Object.keys(d?.figures ?? {})])]) {
    const fv = f?.verified ? f.figures[figure] : undefined;
    const dv = d?.verified ? d.figures[figure] : undefined;
    const failed = (tool: string) => failures.some((x) => x.startsWith(`${engine} ${workload!.split(' ')[0]!.toLowerCase()} ${tool}:`));
    const cell = (r: Row | undefined, v: number | undefined, tool: string) => (!r ? (failed(tool) ? 'failed (see notes)' : 'not run') : !r.verified ? `✗ count mismatch (${fmt(r.figures[figure])})` : fmt(v));
    lines.push(`| ${engine === 'postgres' ? 'PostgreSQL' : 'MariaDB'} | ${workload} | ${figure} | ${cell(f, fv, 'ferry')} | ${cell(d, dv, 'debezium')} | ${ratioCell(figure, fv, dv)} |`);
  }
}
lines.push('', 'Notes per run:', '');
for (const r of rows) lines.push(`- ${r.engine} ${r.workload}, ${r.tool}${r.verified ? '' : ' (**count mismatch: figures do not count**)'}: ${r.note}`);
for (const f of failures) lines.push(`- FAILED ${f}`);
lines.push('');
const section = lines.join('\n');
console.log(section);
writeFileSync(rawFile, JSON.stringify({ args: a, sizes, rows, failures, startedAt: startedAt.toISOString() }, null, 2));
if (a.record) {
  const file = join(import.meta.dirname, 'RESULTS.md');
  const START = '<!-- vs-debezium:start (bench/vs-debezium.ts replaces this section) -->', END = '<!-- vs-debezium:end -->';
  const text = readFileSync(file, 'utf8');
  const i = text.indexOf(START), j = text.indexOf(END);
  const block = `${START}\n${section}${END}`;
  writeFileSync(file, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + END.length) : `${text.trimEnd()}\n\n## Ferry vs Debezium (\`bench/vs-debezium.ts\`)\n\n${block}\n`);
  log(`wrote the results section of ${file}`);
}
process.exitCode = failures.length > 0 ? 1 : 0;
