// The sink workers' group consumer reads transactional topics (cluster tasks, runtime/src/cluster/task-transaction.ts)
// read_committed: no record of an aborted transaction may reach a sink, even when a fetch response ends before the
// transaction's ABORT marker (a small fetch size forces that here), and when one producer (one transactional id, as a
// task keeps across owners) aborts two transactions in one response. @platformatic/kafka's own filter delivered
// such records; patches/@platformatic+kafka+*.patch fixes it (see docs/dependencies.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmin, createGroupConsumer, createTransactionSession, type OutgoingRecord } from '../../../src/kafka/kafka-client.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';

const conn = { brokers: services.brokers, clientId: 'ferry-test-read-committed' };
const records = (topic: string, prefix: string, n: number, size: number): OutgoingRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic, partition: 0, key: Buffer.from(`${prefix}${i}`), value: Buffer.alloc(size, prefix) }));

test('group consumer, read_committed: aborted transactions cut by response boundaries or repeated by one producer never reach the reader', { timeout: 60_000 }, async () => {
  const topic = uniqueName('ferry-test-rc');
  const admin = createAdmin(conn);
  await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  await admin.close();
  const tx = createTransactionSession({ ...conn, transactionalId: `${topic}-tx` });
  await tx.init();
  // a: a large aborted transaction (several fetch responses at 16 KiB each); b: committed; c and d: a second abort and
  // a commit by the same producer id, so that one response can hold two of its aborted transactions.
  await tx.send(records(topic, 'a', 200, 900));
  await tx.abort();
  await tx.commit(records(topic, 'b', 3, 10));
  await tx.send(records(topic, 'c', 2, 10));
  await tx.abort();
  await tx.send(records(topic, 'e', 2, 10));
  await tx.abort();
  await tx.commit(records(topic, 'd', 3, 10));
  await tx.close();

  for (const maxPartitionFetchBytes of [16 * 1024, 8 * 1024 * 1024]) {
    const consumer = await createGroupConsumer({ ...conn, groupId: uniqueName('ferry-test-rc-g'), topics: [topic], maxPartitionFetchBytes, maxFetchBytes: maxPartitionFetchBytes });
    const seen: string[] = [];
    try {
      const deadline = Date.now() + 20_000;
      while (!seen.includes('d2') && Date.now() < deadline) {
        for (const r of await consumer.poll(1000, 200)) seen.push(r.key!.toString());
      }
    } finally {
      await consumer.close();
    }
    assert.deepEqual(seen, ['b0', 'b1', 'b2', 'd0', 'd1', 'd2'], `fetch size ${maxPartitionFetchBytes}: only the committed records, in order`);
  }
});
