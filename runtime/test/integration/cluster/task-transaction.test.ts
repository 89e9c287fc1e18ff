// A cluster task's Kafka transaction against the real broker (runtime/src/cluster/task-transaction.ts): a second
// owner fences the first, resumes from its committed offset with its state files restored into an empty folder, and
// nothing the first wrote after the move (or left uncommitted) is visible to a read_committed reader; a commit by a
// worker that no longer owns the task is refused; an offset without the schema history it needs is FERRY_STATE_MISSING.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services, uniqueName } from '../../../../test/helpers/services.ts';
import { TaskTransaction, clusterTopics } from '../../../src/cluster/task-transaction.ts';
import { createAdmin, readCommittedToEnd } from '../../../src/kafka/kafka-client.ts';
import { isFerryError } from '../../../../core/src/errors.ts';
import type { Position } from '../../../../core/src/types.ts';

const HISTORY = 'mysql-schema-history.jsonl';

test('a second owner fences the first, resumes from its commit with its state; the first writes nothing visible after', { timeout: 60000 }, async () => {
  const cluster = uniqueName('ctx').replace(/_/g, '-');
  const topics = clusterTopics(cluster);
  const data = `${cluster}.data`;
  const conn = { brokers: services.brokers, clientId: 'ferry-test' };
  const admin = createAdmin(conn);
  await admin.ensureTopics([...Object.values(topics), data].map((name) => ({ name, partitions: 1, replicationFactor: 1 })));
  await admin.close();
  const record = (v: string) => ({ topic: data, key: Buffer.from(v), value: Buffer.from(v) });
  const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => { if (process.env.FERRY_TEST_LOGS) console.log(String(e)); return isFerryError(e) ? e.code : String(e); });

  let ownsA = true;
  const dirA = mkdtempSync(join(tmpdir(), 'ferry-tx-a-'));
  const a = await TaskTransaction.open({ ...conn, cluster, task: 't', stateDir: dirA, requiredFiles: [HISTORY], owns: () => ownsA });
  assert.equal(await a.offsets.read('t'), null, 'a new task has no offset');
  writeFileSync(join(dirA, HISTORY), '{"pos":"p1"}\n');
  await a.producer.send([record('a1'), record('a2')]);
  await a.offsets.commit('t', { position: 'pos-1' as Position, snapshotDone: true, formatVersion: 1 });
  await a.producer.send([record('a3-uncommitted')]); // open transaction when the task moves

  const dirB = mkdtempSync(join(tmpdir(), 'ferry-tx-b-'));
  writeFileSync(join(dirB, 'stale-local-file'), 'x');
  const b = await TaskTransaction.open({ ...conn, cluster, task: 't', stateDir: dirB, requiredFiles: [HISTORY], owns: () => true });
  assert.deepEqual(await b.offsets.read('t'), { position: 'pos-1', snapshotDone: true, formatVersion: 1 }, 'B resumes from A\'s committed offset');
  assert.equal(readFileSync(join(dirB, HISTORY), 'utf8'), '{"pos":"p1"}\n', 'the schema history came from the state topic');
  assert.equal(existsSync(join(dirB, 'stale-local-file')), false, 'the local folder was emptied first');

  // A is fenced: its sends and commits fail, and it cannot commit once it does not own the task either.
  assert.equal(await code(a.producer.send([record('a4-after-move')]).then(() => a.offsets.commit('t', { position: 'pos-2' as Position, snapshotDone: true, formatVersion: 1 }))), 'FERRY_WORKER_FENCED');
  await a.close();
  let ownsA2 = true;
  const a2 = await TaskTransaction.open({ ...conn, cluster, task: 'u', stateDir: mkdtempSync(join(tmpdir(), 'ferry-tx-u-')), requiredFiles: [], owns: () => ownsA2 });
  ownsA2 = false;
  ownsA = false;
  assert.equal(await code(a2.offsets.commit('u', { position: 'u-1' as Position, snapshotDone: true, formatVersion: 1 })), 'FERRY_WORKER_FENCED', 'no commit without ownership');
  await a2.close();

  await b.producer.send([record('b1')]);
  await b.offsets.commit('t', { position: 'pos-3' as Position, snapshotDone: true, formatVersion: 1 });
  await b.close();
  const seen = (await readCommittedToEnd({ ...conn, topic: data })).map((r) => r.key!.toString());
  assert.deepEqual(seen, ['a1', 'a2', 'b1'], 'only committed records: nothing A wrote after its last commit');

  // An offset without the schema history a MySQL task needs.
  const c = await TaskTransaction.open({ ...conn, cluster, task: 'v', stateDir: mkdtempSync(join(tmpdir(), 'ferry-tx-v-')), requiredFiles: [], owns: () => true });
  await c.offsets.commit('v', { position: 'v-1' as Position, snapshotDone: true, formatVersion: 1 });
  await c.close();
  await assert.rejects(TaskTransaction.open({ ...conn, cluster, task: 'v', stateDir: mkdtempSync(join(tmpdir(), 'ferry-tx-v2-')), requiredFiles: [HISTORY], owns: () => true }), (e: unknown) => {
    assert.ok(isFerryError(e) && e.code === 'FERRY_STATE_MISSING', String(e));
    assert.match((e as Error).message, new RegExp(`no ${HISTORY} in ${topics.state} \\(key "v/${HISTORY}"\\)`));
    return true;
  });
});
