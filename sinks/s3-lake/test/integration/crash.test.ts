// kill -9 the sink worker (a separate process) again and again while it writes Parquet to S3 and events keep
// arriving; then let it finish. Every change must be in the lake (nothing missing), the deduplicated change log must
// equal the topic's changes exactly (nothing extra), and the rebuilt state must equal the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readTopicToEnd } from '../../../../runtime/src/kafka/kafka-client.ts';
import { S3LakeSink } from '../../src/S3LakeSink.ts';
import { checksum, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { download, latestState, query } from '../helpers/read-lake.ts';
import { addGroupCommits, caughtUp, createBucket, endOffsets, produceEvents, S3, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { workerLauncher } from '../../../../test/helpers/sink-kit/worker-process.ts';

const fx = fixture();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const workers = workerLauncher(join(import.meta.dirname, '..', 'helpers', 'lake-worker-process.ts'));
const startWorker = workers.start;

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) throw new Error(`the worker exited early with ${child.exitCode}`);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('kill -9 while writing, repeatedly: nothing missing, nothing extra after dedup, state equals the source', { timeout: 300000 }, async () => {
  const prefix = uniqueName('crash');
  const bucket = prefix.replace(/_/g, '-');
  await createBucket(bucket);
  const topic = `${prefix}.shop.orders`;
  const w = workload(fx, { prefix, rows: 6000, changesV1: 9000, changesV2: 9000, snapshotRows: 2000 });
  const args = {
    // Static membership: a restarted worker takes its partitions back at once (no session-timeout wait).
    brokers: services.brokers, registryUrl: services.registryUrl, prefix, groupId: `${prefix}-g`, groupInstanceId: 'worker-1', maxRecords: 700,
    // No partition folders: every batch cut shows in the file names (the most duplicates on redelivery).
    lake: { location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'none' }, maxFileRows: 700, maxFileAgeMs: 150 },
  };
  // The application keeps writing while the worker is killed.
  const third = Math.floor(w.events.length / 3);
  await produceEvents(w.events.slice(0, third), { prefix, partitions: 3 });
  const committed = new Map<string, bigint>();
  const log: string[] = [];
  const sizes = [700, 523, 911, 377, 640, 1000, 450, 800];
  // First, crashes exactly between uploads and the commit (the process kills itself after its n-th upload), while
  // there is a backlog; each run uses another batch size, so the redelivered batch is cut differently.
  for (const [i, n] of [3, 8, 14].entries()) {
    const child = startWorker({ ...args, maxRecords: sizes[i + 3], lake: { ...args.lake, maxFileRows: sizes[i + 3] }, killAfterUploads: n }, committed, log);
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    clearTimeout(t);
    assert.equal(child.signalCode, 'SIGKILL');
  }
  assert.ok(workers.commits() > 0, `the crashing runs made progress; log: ${log.join('').slice(-2000)}`);
  // Crashes while records are staged in DuckDB but their batch is not written yet (they are redelivered).
  for (const n of [2, 7]) {
    const child = startWorker({ ...args, killAfterStaged: n }, committed, log);
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    clearTimeout(t);
    assert.equal(child.signalCode, 'SIGKILL');
  }
  const producing = (async () => {
    // About 25 s of writes, so every run below has new changes to write when it is killed.
    for (let i = third; i < w.events.length; i += 200) {
      await produceEvents(w.events.slice(i, i + 200), { prefix, partitions: 3 });
      await sleep(250);
    }
  })();

  // Then kill -9 from outside: each run is killed a little after it has committed something, so the kill lands while it writes the next batches.
  let killedAfterCommits = 0;
  for (const [i, after] of [150, 420, 60, 300, 700, 230, 510, 90].entries()) {
    const before = workers.commits();
    const child = startWorker({ ...args, maxRecords: sizes[i], lake: { ...args.lake, maxFileRows: sizes[i] } }, committed, log);
    const until = Date.now() + 30000;
    while (workers.commits() === before && Date.now() < until && child.exitCode === null) await sleep(10);
    if (workers.commits() > before) killedAfterCommits++;
    await sleep(after);
    await kill9(child);
  }
  assert.ok(killedAfterCommits >= 6, `the runs were killed while working (${killedAfterCommits} of 8 had committed); log: ${log.join('').slice(-2000)}`);
  await producing;
  const ends = await endOffsets(topic);
  await addGroupCommits(args.groupId, committed, ends); // commits whose line a killed worker never printed
  const final = startWorker(args, committed, log);
  const deadline = Date.now() + 180000;
  while (!caughtUp(committed, ends) && Date.now() < deadline) {
    if (final.exitCode !== null) break;
    await sleep(250);
  }
  final.kill('SIGTERM');
  await new Promise((r) => (final.exitCode !== null ? r(null) : final.once('exit', r)));
  assert.ok(caughtUp(committed, ends), `the final run caught up (${[...committed].join(' ')} of ${[...ends].join(' ')}); log: ${log.join('').slice(-2000)}`);

  const reader = new S3LakeSink({ config: { location: `s3://${bucket}/lake`, s3: S3 } });
  const { dir, keys } = await download(await reader.store());
  await reader.close();
  const files = `${dir}/shop/orders/**/*.parquet`;
  // The changes in Kafka (every record but tombstones) vs the changes in the lake, by (partition, offset).
  const changes = (await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-crash', topic, timeoutMs: 120000 }))
    .filter((r) => r.value !== null).map((r) => `${r.partition}:${r.offset}`).sort();
  const inLake = (await query(`SELECT DISTINCT _kafka_partition || ':' || _kafka_offset AS id FROM read_parquet('${files}', union_by_name = true)`))
    .map((r) => String(r.id)).sort();
  assert.equal(changes.length, w.events.length);
  const lakeSet = new Set(inLake);
  const missing = changes.filter((c) => !lakeSet.has(c));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} changes missing from the lake`);
  assert.equal(inLake.length, changes.length, 'nothing extra: the deduplicated change log is exactly the topic');
  const state = await latestState(files, 'kafka');
  assert.equal(checksum(state.rows), checksum(expectedRows(w)));
  assert.ok(state.duplicates > 0, 'some batches were redelivered cut differently after a crash between upload and commit');
  console.log(`# crash test: ${keys.length} files, ${state.changes} rows for ${changes.length} changes (${state.duplicates} repeated by redelivery, removed by dedup)`);
});
