// The fixture's table (every kind of column) and workload (inserts, updates, deletes, an added column) written to
// DynamoDB on moto, read back by Scan and compared value by value with the expected source state; then the whole
// log is delivered again (nothing changes) and cut into other batch sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { checksum, COLUMNS_V2, expectedRows, fixture, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { DynamoDbSink } from '../../src/DynamoDbSink.ts';
import { DDB, itemCanonical, liveItems, scanAll, writeAll } from '../helpers/dynamo.ts';

const fx = fixture();

function compare(items: Record<string, AttributeValue>[], want: string[]): void {
  const got = liveItems(items).map((i) => itemCanonical(i));
  const byId = (rows: string[]) => new Map(rows.map((r) => [r.split('|')[0]!, r]));
  const g = byId(got);
  const w = byId(want);
  assert.equal(g.size, w.size, 'as many live items as source rows');
  for (const [id, row] of w) {
    const have = g.get(id);
    if (have === row) continue;
    const a = have?.split('|') ?? [];
    const b = row.split('|');
    const diffs = COLUMNS_V2.map((c, i) => (a[i] === b[i] ? null : `${c.name}: got ${a[i]} want ${b[i]}`)).filter(Boolean);
    assert.fail(`id ${id} differs: ${diffs.join('; ')}`);
  }
  assert.equal(checksum(got), checksum(want));
}

test('every column type round-trips exactly; redelivery and other batch cuts change nothing', { timeout: 240000 }, async () => {
  const prefix = uniqueName('ddbtypes');
  const w = workload(fx, { prefix, rows: 300, changesV1: 400, changesV2: 400, snapshotRows: 100 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 3, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const tableName = `${prefix}_{table}`;
  const sink = new DynamoDbSink({ name: 'ddb', config: { client: DDB, tableName } });
  try {
    assert.deepEqual(await writeAll(sink, records, 250), []);
    const table = `${prefix}_orders`;
    const first = await scanAll(table);
    compare(first, expectedRows(w));
    const deletes = first.filter((i) => i._ferry_deleted?.BOOL === true);
    assert.ok(deletes.length > 0 && deletes.every((d) => Object.keys(d).sort().join() === '_ferry_deleted,_ferry_expires,_ferry_pos,id'), 'deletes leave tombstones: key, position, flag, expiry');
    // Redelivered, cut differently: every write is refused as not newer, and the table is unchanged.
    const stale = sink.stats.stale;
    assert.deepEqual(await writeAll(sink, records, 97), []);
    assert.ok(sink.stats.stale - stale > 0);
    const again = await scanAll(table);
    assert.equal(checksum(again.map((i) => JSON.stringify(i, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))),
      checksum(first.map((i) => JSON.stringify(i, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))), 'redelivery changed nothing');
  } finally {
    await sink.close();
  }
});

test('batch write mode gives the same table', { timeout: 240000 }, async () => {
  const prefix = uniqueName('ddbbatch');
  const w = workload(fx, { prefix, rows: 200, changesV1: 300, changesV2: 300, seed: 7 });
  const { records } = await kafkaRecords(w.events, { prefix, partitions: 2, sourceFields: ['ts_ms', 'file', 'pos', 'lsn'] });
  const sink = new DynamoDbSink({ name: 'ddb', config: { client: DDB, tableName: `${prefix}_{table}`, writeMode: 'batch' } });
  try {
    assert.deepEqual(await writeAll(sink, records, 300), []);
    compare(await scanAll(`${prefix}_orders`), expectedRows(w));
    assert.deepEqual(await writeAll(sink, records.slice(100), 211), []);
    compare(await scanAll(`${prefix}_orders`), expectedRows(w));
  } finally {
    await sink.close();
  }
});
