// kill -9 the MySQL sink worker (a separate process) again and again while it writes and events keep arriving:
// first exactly between its MySQL commit and Kafka's offset commit (it kills itself after its n-th write), then
// from outside at arbitrary moments, in both apply modes; then a last run finishes. The table must equal the source
// state value by value (every key, every column), read back with mysql2 from MariaDB.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { addGroupCommits, caughtUp, endOffsets, produceEvents, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { exited, workerLauncher } from '../../../../test/helpers/sink-kit/worker-process.ts';
import { dropDatabase, tableRows, targetOptions } from '../helpers.ts';

const fx = fixture();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workers = workerLauncher(join(import.meta.dirname, '..', 'helpers', 'mysql-worker-process.ts'));
const dbs: string[] = [];
after(async () => {
  for (const d of dbs) await dropDatabase(d);
});

test('kill -9 while writing, repeatedly, in both apply modes: the table equals the source', { timeout: 300000 }, async () => {
  const prefix = uniqueName('mycrash');
  dbs.push(prefix);
  const topic = `${prefix}.shop.orders`;
  const w = workload(fx, { prefix, rows: 1500, changesV1: 2500, changesV2: 2500, snapshotRows: 500 });
  const config = targetOptions(prefix);
  const args = { brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId: `${prefix}-g`, groupInstanceId: 'worker-1', maxRecords: 300, config };
  const third = Math.floor(w.events.length / 3);
  await produceEvents(w.events.slice(0, third), { prefix, partitions: 3 });
  const committed = new Map<string, bigint>();
  const log: string[] = [];
  // Crashes between the MySQL commit and the Kafka commit, with a backlog, each run with another batch size and mode.
  for (const [i, n] of [1, 3, 2].entries()) {
    const child = workers.start({ ...args, maxRecords: [211, 450, 333][i], config: { ...config, applyMode: i === 1 ? 'transactional' : 'batch-optimized' }, killAfterWrites: n }, committed, log);
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    await exited(child);
    clearTimeout(t);
    assert.equal(child.signalCode, 'SIGKILL');
  }
  const producing = (async () => {
    for (let i = third; i < w.events.length; i += 150) {
      await produceEvents(w.events.slice(i, i + 150), { prefix, partitions: 3 });
      await sleep(200);
    }
  })();
  // kill -9 from outside, a little after each run has committed something.
  let killedAfterCommits = 0;
  for (const [i, wait] of [150, 420, 60, 300, 230, 510].entries()) {
    const before = workers.commits();
    const child = workers.start({ ...args, maxRecords: [300, 523, 97, 640, 250, 800][i], config: { ...config, applyMode: i % 2 ? 'transactional' : 'batch-optimized' } }, committed, log);
    const until = Date.now() + 30000;
    while (workers.commits() === before && Date.now() < until && child.exitCode === null) await sleep(10);
    if (workers.commits() > before) killedAfterCommits++;
    await sleep(wait);
    assert.equal(child.exitCode, null, `the worker exited early; log: ${log.join('').slice(-2000)}`);
    child.kill('SIGKILL');
    await exited(child);
  }
  assert.ok(killedAfterCommits >= 4, `the runs were killed while working (${killedAfterCommits} of 6 had committed)`);
  await producing;
  const ends = await endOffsets(topic);
  await addGroupCommits(args.groupId, committed, ends); // commits whose line a killed worker never printed
  const final = workers.start(args, committed, log);
  const deadline = Date.now() + 180000;
  while (!caughtUp(committed, ends) && Date.now() < deadline && final.exitCode === null) await sleep(250);
  final.kill('SIGTERM');
  await exited(final);
  assert.ok(caughtUp(committed, ends), `the final run caught up; log: ${log.join('').slice(-2000)}`);

  const rows = await tableRows(prefix);
  assert.equal(rows.length, w.state.size, 'one row per live source key');
  assert.equal(checksum(rows), checksum(expectedRows(w)), 'every row equals its source row, value by value');
  console.log(`# crash test: ${w.events.length} changes, ${rows.length} rows, ${workers.commits()} commits`);
});
