// Ordering protection, on moto, through a fault-injecting wrapper around the real client: throttling, unprocessed
// items/keys, and writes whose response is lost (the batch is retried like the runtime does). Batches are delivered
// in shuffled order and records reversed inside each batch, older changes are replayed after newer ones, a
// deleted key gets its old insert replayed: every item must end at the newest change of its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksum, expectedRows, fixture, rng, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import { DynamoDbSink } from '../../src/DynamoDbSink.ts';
import { ctx, DDB, faulty, itemCanonical, liveItems, realApi, scanAll } from '../helpers/dynamo.ts';

const fx = fixture();

/** Like the runtime: a failed write is retried whole until it succeeds. */
async function writeRetrying(sink: DynamoDbSink, batch: readonly SinkRecord[]): Promise<number> {
  for (let failures = 0; ; failures++) {
    try {
      const res = await sink.write(batch, ctx());
      assert.deepEqual((res.rejected ?? []).map((r) => r.reason), []);
      return failures;
    } catch (e: unknown) {
      if (failures > 30) throw e;
    }
  }
}

async function scenario(mode: 'conditional' | 'batch'): Promise<void> {
  const prefix = uniqueName(`ddbord_${mode}`);
  const w = workload(fx, { prefix, rows: 100, changesV1: 250, changesV2: 250, seed: mode === 'batch' ? 3 : 5 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 3, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const r = rng(11);
  const api = faulty(await realApi(), { throttle: 0.05, unprocessed: 0.3, lostResponse: mode === 'conditional' ? 0.05 : 0, random: r });
  const sink = new DynamoDbSink({ name: 'ddb', config: { client: DDB, tableName: `${prefix}_{table}`, writeMode: mode, concurrency: 8 }, api });
  const table = `${prefix}_orders`;
  try {
    // Batches of 40 in shuffled order, each reversed.
    const batches: SinkRecord[][] = [];
    for (let i = 0; i < records.length; i += 40) batches.push(records.slice(i, i + 40).reverse());
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [batches[i], batches[j]] = [batches[j]!, batches[i]!];
    }
    let retried = 0;
    for (const b of batches) retried += await writeRetrying(sink, b);
    assert.ok(api.injected.throttles > 0, 'throttles were injected');
    assert.ok(api.injected.unprocessed > 0 || mode === 'conditional', 'unprocessed items were injected');
    if (mode === 'conditional') assert.ok(api.injected.lost > 0 && retried > 0, 'lost responses made batches retry');
    const want = checksum(expectedRows(w));
    assert.equal(checksum(liveItems(await scanAll(table)).map((i) => itemCanonical(i))), want, 'shuffled, reversed, faulty delivery: every item holds its key’s newest change');

    // Replays of old changes, one at a time and all together: nothing changes.
    const stale = sink.stats.stale;
    const deleted = records.filter((x) => x.envelope.op === 'd').map((x) => x.key!.id);
    const oldInserts = records.filter((x) => x.envelope.op !== 'd' && deleted.includes(x.key!.id));
    assert.ok(oldInserts.length > 0);
    for (const x of oldInserts.slice(0, 20)) await writeRetrying(sink, [x]);
    await writeRetrying(sink, records.slice(0, records.length - 1));
    assert.ok(sink.stats.stale - stale >= 21, 'the replays were refused as older');
    const items = await scanAll(table);
    assert.equal(checksum(liveItems(items).map((i) => itemCanonical(i))), want, 'replayed older changes (and stale inserts of deleted keys) did not overwrite');
    const tombs = items.filter((i) => i._ferry_deleted?.BOOL === true).map((i) => Number(i.id!.N));
    const finalDeleted = [...new Set(deleted)].filter((id) => !w.state.has(Number(id)));
    assert.deepEqual(tombs.sort((a, b) => a - b), finalDeleted.map(Number).sort((a, b) => a - b), 'every deleted key is a tombstone');
    console.log(`# ${mode}: ${api.injected.throttles} throttles, ${api.injected.unprocessed} unprocessed, ${api.injected.lost} lost responses injected; ${retried} batch retries; ${sink.stats.stale} stale writes refused`);
  } finally {
    await sink.close();
    api.close();
  }
}

test('conditional writes: shuffled batches, throttling, lost responses, replays — items keep the newest change', { timeout: 240000 }, () => scenario('conditional'));
test('batch writes: shuffled batches, throttling, UnprocessedItems/UnprocessedKeys, replays — items keep the newest change', { timeout: 240000 }, () => scenario('batch'));

test('deletes: delete mode removes deleted items with a conditional DeleteItem', { timeout: 120000 }, async () => {
  const prefix = uniqueName('ddbdel');
  const w = workload(fx, { prefix, rows: 30, changesV1: 120, changesV2: 0, seed: 9 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 1, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const sink = new DynamoDbSink({ name: 'ddb', config: { client: DDB, tableName: `${prefix}_{table}`, deletes: 'delete' } });
  try {
    for (let i = 0; i < records.length; i += 50) await writeRetrying(sink, records.slice(i, i + 50));
    const items = await scanAll(`${prefix}_orders`);
    assert.equal(items.length, w.state.size, 'delete mode: deleted items are gone');
    assert.equal(items.filter((i) => i._ferry_deleted).length, 0);
  } finally {
    await sink.close();
  }
});
