/**
 * W8 (issue 24, shared/notes/performance.md): one source transaction of --rows rows through `ferry run` (cdc) into
 * Kafka, for MariaDB and PostgreSQL, with default settings. It prints what a user of a large batch job needs to know:
 *
 *   commit s     how long the database took to run and commit the one INSERT … SELECT (not Ferry's time)
 *   drain s      from that COMMIT returning to the last of its events counted by Ferry (events_total)
 *   events/s     rows / drain s
 *   CPU-s        Ferry's CPU over the whole run (start, idle wait, drain)
 *   RSS MB       before the transaction (steady, idle) and the peak while draining (VmHWM): the bound
 *   check        the topic's end offset (an offsets query, not Ferry's metric) equals the rows inserted
 *
 * Usage: scripts/node bench/w8-large-transaction.ts [--engine mariadb,postgres] [--rows 1000000] [--ferry-settings JSON]
 * The local services must be up (npm run services:up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { services, uniqueName } from '../test/helpers/services.ts';
import { startFerry } from './lib/ferry-process.ts';
import { machine, procStats } from './lib/process-stats.ts';
import { OffsetWatch } from './lib/topics.ts';
import { fillSql, openDb, type Engine } from './lib/workload-db.ts';

const { values: a } = parseArgs({ options: {
  engine: { type: 'string', default: 'mariadb,postgres' }, rows: { type: 'string', default: '1000000' },
  'ferry-settings': { type: 'string', default: '{}' }, help: { type: 'boolean', short: 'h', default: false },
} });
if (a.help) {
  process.stdout.write('Usage: scripts/node bench/w8-large-transaction.ts [--engine mariadb,postgres] [--rows 1000000] [--ferry-settings JSON]\n');
  process.exit(0);
}
const ROWS = Number(a.rows);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const METRICS_PORT = 19480;

interface Row { engine: Engine; commitS: number; drainS: number; cpuS: number; steadyMb: number; peakMb: number; check: string }

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number, onTick?: () => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    onTick?.();
    await sleep(100);
  }
}

async function run(engine: Engine): Promise<Row> {
  const schema = uniqueName('w8');
  const db = await openDb(engine, schema);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-w8-'));
  const taskName = schema.replace(/_/g, '-');
  const watch = new OffsetWatch();
  try {
    await db.createTable('big');
    const task = {
      name: taskName, migrationType: 'cdc',
      source: engine === 'postgres'
        ? { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }
        : { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'big', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': 'big' } }] },
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: taskName },
      settings: { logLevel: 'warn', stateDir: join(dir, 'state'), metrics: { port: METRICS_PORT }, ...JSON.parse(a['ferry-settings']) },
    };
    const f = startFerry(task, dir, METRICS_PORT);
    try {
      await waitFor('the task to capture', async () => (await f.commits()) >= 1, 60_000);
      await db.warm('big', 1);
      await waitFor('the warm-up row', async () => (await f.events()) >= 1, 60_000);
      await sleep(3000); // idle: the steady RSS of a capturing task
      const steadyMb = procStats(f.child.pid!).rssMb;
      const t0 = performance.now();
      await db.query(fillSql(engine, `${schema}.big`, 2, ROWS)); // one statement, one transaction
      const committed = performance.now();
      let peakMb = 0;
      await waitFor(`${ROWS} events`, async () => (await f.events()) >= ROWS + 1, 900_000, () => { peakMb = Math.max(peakMb, f.stats().peakRssMb); });
      const done = performance.now();
      const s = f.stats();
      peakMb = Math.max(peakMb, s.peakRssMb);
      const topic = `${taskName}.${schema}.big`;
      let onTopic = 0;
      await waitFor('the topic end offset', async () => (onTopic = await watch.total([topic])) >= ROWS + 1, 60_000).catch(() => undefined);
      const check = onTopic === ROWS + 1 ? `ok (${onTopic} records on ${topic})` : `FAILED: ${onTopic} records on ${topic}, expected ${ROWS + 1}`;
      return { engine, commitS: (committed - t0) / 1000, drainS: (done - committed) / 1000, cpuS: s.cpuSeconds, steadyMb, peakMb, check };
    } finally {
      await f.stop();
    }
  } finally {
    await watch.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const engine of a.engine.split(',') as Engine[]) {
  process.stderr.write(`[w8] ${engine}: one transaction of ${ROWS} rows\n`);
  rows.push(await run(engine));
}
console.log(`\nW8 one transaction of ${ROWS.toLocaleString('en-US')} rows, ferry run (cdc) → Kafka, default settings; machine: ${machine()}\n`);
console.log('| source | commit s | drain s | events/s | CPU-s | RSS before MB | peak RSS MB | check |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.engine} | ${r.commitS.toFixed(1)} | ${r.drainS.toFixed(1)} | ${Math.round(ROWS / r.drainS).toLocaleString('en-US')} | ${r.cpuS.toFixed(1)} | ${Math.round(r.steadyMb)} | ${Math.round(r.peakMb)} | ${r.check} |`);
}
if (rows.some((r) => !r.check.startsWith('ok'))) process.exitCode = 1;
