// Keyless tables through Kafka: a table without a primary key has a null record key, which the producer would spread
// over the partitions, so a sink worker consuming several partitions applied updates and deletes (matched by the whole
// row) before the inserts they match. KafkaEventSink produces every keyless event to partition 0; this reads the topic
// back with an independent reader (the Kafka client and avsc through the registry, test/helpers/topic-reader.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../core/src/types.ts';
import { dataTopic } from '../../../schemas/src/naming.ts';
import { KEYLESS_PARTITION } from '../../src/kafka/KafkaEventSink.ts';
import { produceEvents, uniqueName } from '../../../test/helpers/sink-kit/services.ts';
import { readDecoded } from '../../../test/helpers/topic-reader.ts';

const PARTITIONS = 4;

const table = (name: string, primaryKey: string[]): TableSchema => ({
  id: { schema: 'shop', table: name }, version: 1, primaryKey,
  columns: [
    { name: 'id', type: { type: 'int32' }, nullable: primaryKey.length === 0, sourceType: 'int' },
    { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'varchar(20)' },
  ],
});

test(`keyless table over ${PARTITIONS} partitions: every event on partition ${KEYLESS_PARTITION} in log order, no tombstones; keyed tables still spread by key`, { timeout: 120000 }, async () => {
  const prefix = uniqueName('ferry_keyless');
  const audit = table('audit', []);
  const items = table('items', ['id']);
  const events: ChangeEvent[] = [];
  let pos = 4;
  const emit = (t: TableSchema, op: Op, before: Row | null, after: Row | null): void => {
    pos += 100;
    events.push({
      op, key: t.primaryKey.length === 0 ? null : { id: (after ?? before)!.id }, before, after, tsMs: Date.UTC(2026, 0, 1),
      table: t, source: { connector: 'mariadb', name: prefix, tsMs: Date.UTC(2026, 0, 1), snapshot: 'false', db: 'shop', table: t.id.table, position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
    });
  };
  // The keyless log: duplicates, each copy changed one at a time, deletes of rows inserted just before.
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const row = { id: i % 7, note: `n${i}` };
    emit(audit, 'c', null, row);
    expected.push(`c:${JSON.stringify(row)}`);
    if (i % 3 === 0) {
      const next = { id: row.id, note: `${row.note}+` };
      emit(audit, 'u', row, next);
      expected.push(`u:${JSON.stringify(row)}>${JSON.stringify(next)}`);
      if (i % 2 === 0) {
        emit(audit, 'd', next, null);
        expected.push(`d:${JSON.stringify(next)}`);
      }
    }
    emit(items, 'c', null, { id: i, note: `k${i}` });
    if (i % 5 === 0) emit(items, 'd', { id: i, note: `k${i}` }, null);
  }
  await produceEvents(events, { prefix, partitions: PARTITIONS, chunk: 97 });

  const keyless = await readDecoded(dataTopic(prefix, audit.id));
  assert.deepEqual([...new Set(keyless.map((r) => r.raw.partition))], [KEYLESS_PARTITION], 'every keyless record on one partition');
  assert.equal(keyless.filter((r) => r.value === null).length, 0, 'no tombstones for keyless deletes (there is no key)');
  const got = keyless.map((r) => {
    const v = r.value!;
    return v.op === 'c' ? `c:${JSON.stringify(v.after)}` : v.op === 'u' ? `u:${JSON.stringify(v.before)}>${JSON.stringify(v.after)}` : `d:${JSON.stringify(v.before)}`;
  });
  assert.deepEqual(got, expected, 'the partition holds the table log in source order');

  const keyed = await readDecoded(dataTopic(prefix, items.id));
  assert.ok(new Set(keyed.map((r) => r.raw.partition)).size > 1, 'keyed records are still spread over the partitions by key');
  assert.equal(keyed.filter((r) => r.value === null).length, 40, 'a tombstone after each keyed delete');
});
