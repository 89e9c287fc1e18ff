// kill -9 the DynamoDB sink worker (a separate process) again and again while it writes and events keep arriving:
// first exactly between its writes and the offset commit (it kills itself after its n-th write request), then from
// outside at arbitrary moments, in both write modes; then a last run finishes. The table must equal the source state
// value by value (every key, every column), with every deleted key a tombstone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { addGroupCommits, caughtUp, endOffsets, produceEvents, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { DDB, itemCanonical, liveItems, scanAll } from '../helpers/dynamo.ts';
import { exited, workerLauncher } from '../../../../test/helpers/sink-kit/worker-process.ts';

const fx = fixture();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const workers = workerLauncher(join(import.meta.dirname, '..', 'helpers', 'ddb-worker-process.ts'));
const startWorker = workers.start;


test('kill -9 while writing, repeatedly, in both write modes: the table equals the source', { timeout: 300000 }, async () => {
  const prefix = uniqueName('ddbcrash');
  const topic = `${prefix}.shop.orders`;
  const w = workload(fx, { prefix, rows: 1000, changesV1: 1600, changesV2: 1600, snapshotRows: 400 });
  const config = { client: DDB, tableName: `${prefix}_{table}`, concurrency: 16 };
  const args = { brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId: `${prefix}-g`, groupInstanceId: 'worker-1', maxRecords: 300, config };
  const third = Math.floor(w.events.length / 3);
  await produceEvents(w.events.slice(0, third), { prefix, partitions: 3 });
  const committed = new Map<string, bigint>();
  const log: string[] = [];
  // Crashes between writes and the commit, with a backlog, each run with another batch size and write mode.
  for (const [i, n] of [40, 700, 1300].entries()) {
    const child = startWorker({ ...args, maxRecords: [211, 450, 333][i], config: { ...config, writeMode: i === 1 ? 'batch' : 'conditional' }, killAfterWrites: n }, committed, log);
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    await exited(child);
    clearTimeout(t);
    assert.equal(child.signalCode, 'SIGKILL');
  }
  assert.ok(workers.commits() > 0, `the crashing runs made progress; log: ${log.join('').slice(-2000)}`);
  const producing = (async () => {
    for (let i = third; i < w.events.length; i += 150) {
      await produceEvents(w.events.slice(i, i + 150), { prefix, partitions: 3 });
      await sleep(200);
    }
  })();
  // kill -9 from outside, a little after each run has committed something.
  let killedAfterCommits = 0;
  for (const [i, after] of [150, 420, 60, 300, 230, 510].entries()) {
    const before = workers.commits();
    const child = startWorker({ ...args, maxRecords: [300, 523, 97, 640, 250, 800][i], config: { ...config, writeMode: i % 2 ? 'batch' : 'conditional' } }, committed, log);
    const until = Date.now() + 30000;
    while (workers.commits() === before && Date.now() < until && child.exitCode === null) await sleep(10);
    if (workers.commits() > before) killedAfterCommits++;
    await sleep(after);
    assert.equal(child.exitCode, null, `the worker exited early; log: ${log.join('').slice(-2000)}`);
    child.kill('SIGKILL');
    await exited(child);
  }
  assert.ok(killedAfterCommits >= 4, `the runs were killed while working (${killedAfterCommits} of 6 had committed)`);
  await producing;
  const ends = await endOffsets(topic);
  await addGroupCommits(args.groupId, committed, ends); // commits whose line a killed worker never printed
  const final = startWorker(args, committed, log);
  const deadline = Date.now() + 180000;
  while (!caughtUp(committed, ends) && Date.now() < deadline && final.exitCode === null) await sleep(250);
  final.kill('SIGTERM');
  await exited(final);
  assert.ok(caughtUp(committed, ends), `the final run caught up; log: ${log.join('').slice(-2000)}`);

  const items = await scanAll(`${prefix}_orders`);
  assert.equal(checksum(liveItems(items).map((i) => itemCanonical(i))), checksum(expectedRows(w)), 'every live item equals its source row');
  const tombstones = items.length - liveItems(items).length;
  const everDeleted = new Set(w.events.filter((e) => e.op === 'd').map((e) => e.key!.id as number));
  assert.equal(tombstones, [...everDeleted].filter((id) => !w.state.has(id)).length, 'every key deleted at the end is a tombstone');
  console.log(`# crash test: ${w.events.length} changes, ${liveItems(items).length} items, ${tombstones} tombstones, ${workers.commits()} commits`);
});
