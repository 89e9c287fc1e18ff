/**
 * The longer chaos variant of test/e2e/lockfree-snapshot.test.ts (issue #25): a lock-free initial snapshot (a CDC user
 * without RELOAD, the default settings.snapshotLocking) of a bigger table, in direct mode into PostgreSQL, SIGKILLed
 * `--kills` times while it is read, each time 0.5–`--kill-ms` ms after the run said it started or resumed, while three
 * writers keep inserting, updating and deleting the same keys; then one last run finishes the load, streams a few
 * seconds more, and the target is compared with the source row by row (test/helpers/migration-kit/canonical.ts).
 *
 *   scripts/node bench/lockfree-chaos.ts [--items 300000] [--kills 6] [--kill-ms 2500] [--chunk 2000]
 *
 * Prints the kills (and in which phase each landed), the transactions, and the comparison; exits 1 on a difference.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { uniqueName } from '../test/helpers/services.ts';
import { format, waitUntilEqual } from '../test/helpers/migration-kit/canonical.ts';
import { FerryChild, pgClient, tempDir } from '../test/helpers/migration-kit/run.ts';
import { FINISHED, LockFreeScenario, STARTED, until } from '../test/helpers/lockfree-scenario.ts';

const { values } = parseArgs({ options: {
  items: { type: 'string', default: '300000' }, kills: { type: 'string', default: '6' }, 'kill-ms': { type: 'string', default: '2500' }, chunk: { type: 'string', default: '2000' },
} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RESUMED = /resuming the interrupted snapshot \(lock-free\)/;

const scenario = new LockFreeScenario({ items: Number(values.items), pairs: 20000 });
await scenario.setup();
const db = uniqueName('lockfree_chaos');
const target = await pgClient('postgres');
let failed = false;
try {
  await scenario.createTables(db);
  const dir = tempDir('ferry-lockfree-chaos');
  const file = scenario.task(db, dir, false, Number(values.chunk));
  const log = join(dir, 'ferry.log');
  const writers = await scenario.startWriters(db);
  const kills: string[] = [];
  const started = Date.now();
  for (let i = 0; i < Number(values.kills); i++) {
    const run = new FerryChild(['run', file], log);
    if (!(await until(run, i === 0 ? STARTED : RESUMED, 120000))) throw new Error(`run ${i + 1} did not start the snapshot; log ${log}`);
    const ms = 500 + Math.random() * (Number(values['kill-ms']) - 500);
    await sleep(ms);
    const phase = FINISHED.test(run.output()) ? 'after the load' : 'during the load';
    await run.kill9();
    kills.push(`${Math.round(ms)} ms (${phase})`);
    if (phase === 'after the load') break;
  }
  const last = new FerryChild(['run', file], log);
  try {
    if (!(await until(last, FINISHED, 600000))) throw new Error(`the last run did not finish the load; log ${log}`);
    await sleep(3000);
    const changes = await writers.stop();
    const diff = await waitUntilEqual({ engine: 'mariadb', client: scenario.root, schema: db }, { engine: 'postgres', client: target, schema: db }, { timeoutMs: 180000, failed: () => last.failed() });
    console.log(`${values.items} rows, kill -9 after ${kills.join(', ')}; ${changes} transactions in ${((Date.now() - started) / 1000).toFixed(1)} s; log ${log}`);
    if (diff.length > 0) {
      failed = true;
      console.log(`DIFFERENT:\n${format(diff)}`);
    } else console.log('the target equals the source');
  } finally {
    await writers.stop().catch(() => undefined);
    await last.stop();
  }
} finally {
  await scenario.root.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
  await target.end();
  await scenario.teardown();
}
process.exit(failed ? 1 : 0);
