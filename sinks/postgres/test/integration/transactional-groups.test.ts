// Transactional apply sends consecutive small source transactions together (PostgresSink #sendGroup): each keeps its
// own BEGIN … COMMIT with its position. When PostgreSQL refuses a change in the middle of a group, the transactions
// before it stay committed, the refused change is dead-lettered with PostgreSQL's reason, and every later transaction
// is still applied in order; the position ends at the batch's last record and a redelivery changes nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
import { dropSchema, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

const table: TableSchema = { id: { schema: 'shop', table: 'items' }, version: 1, primaryKey: ['id'], columns: [
  { name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'qty', type: { type: 'int32' }, nullable: true, sourceType: 'int' },
  { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'varchar(20)' },
] } as TableSchema;

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

test('transactional: grouped transactions with refused changes in the middle — the rest applied in order, exactly once', async () => {
  const prefix = uniqueName('pggrp');
  schemas.push(prefix);
  // A user-made target: qty must not be negative.
  await withPg(async (c) => c.query(`CREATE SCHEMA "${prefix}"; CREATE TABLE "${prefix}".items (id int PRIMARY KEY, qty int CHECK (qty >= 0), note text)`));
  const events: ChangeEvent[] = [];
  let pos = 4;
  const tx = (changes: [Op, Row | null, Row | null][]): void => {
    pos += 1000;
    for (const [op, before, afterRow] of changes) {
      const img = (afterRow ?? before)!;
      events.push({ op, key: { id: img.id }, before, after: afterRow, tsMs: 0, table,
        source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: 'false', db: 'shop', table: 'items', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) } } as ChangeEvent);
    }
  };
  // 450 transactions of 2 changes: insert i, then update i's qty; every 7th also deletes the row inserted 3 before.
  // Transactions 150 and 320 set a negative qty (the CHECK refuses it); transaction 151 updates the row 150 touched.
  const want = new Map<number, { qty: number; note: string }>();
  for (let i = 1; i <= 450; i++) {
    const changes: [Op, Row | null, Row | null][] = [['c', null, { id: i, qty: i, note: `n${i}` }], ['u', { id: i, qty: i, note: `n${i}` }, { id: i, qty: i + 1, note: `u${i}` }]];
    want.set(i, { qty: i + 1, note: `u${i}` });
    if (i % 7 === 0 && i > 3) {
      const old = i - 3;
      const w = want.get(old);
      if (w) {
        changes.push(['d', { id: old, qty: w.qty, note: w.note }, null]);
        want.delete(old);
      }
    }
    if (i === 150 || i === 320) changes[1] = ['u', { id: i, qty: i, note: `n${i}` }, { id: i, qty: -5, note: 'bad' }];
    // Refused: the transaction's net change of the key (the update, which supersedes the insert) is dead-lettered.
    if (i === 150 || i === 320) want.delete(i);
    tx(changes);
    if (i === 151) tx([['u', { id: 150, qty: 150, note: 'n150' }, { id: 150, qty: 7, note: 'fixed' }]]);
    if (i === 151) want.set(150, { qty: 7, note: 'fixed' });
  }
  const batch = await kafkaRecords(events, { prefix });
  const sink = new PostgresSink({ config: targetOptions(prefix, { applyMode: 'transactional', tablePreparation: 'do-nothing' }) as never });
  const contents = async () => withPg(async (c) => (await c.query(`SELECT id, qty, note FROM "${prefix}".items ORDER BY id`)).rows as { id: number; qty: number; note: string }[]);
  try {
    // A first write of one transaction prepares the table (the groups need its shape known), then the rest at once.
    await sink.write(batch.records.slice(0, 2), ctx());
    const res = await sink.write(batch.records.slice(2), ctx());
    const refused = (res.rejected ?? []).map((r) => `${String(r.record.envelope.after!.id)}: ${r.reason}`);
    assert.equal(refused.length, 2, refused.join('\n'));
    assert.match(refused[0]!, /^150: shop\.items: PostgreSQL refused the change.*check constraint "items_qty_check".*23514/);
    assert.match(refused[1]!, /^320: .*items_qty_check/);
    const got = await contents();
    assert.deepEqual(got, [...want].sort((a, b) => a[0] - b[0]).map(([id, w]) => ({ id, qty: w.qty, note: w.note })));
    const seq = await withPg(async (c) => (await c.query(`SELECT seq FROM "${prefix}"."_ferry_sink_offsets"`)).rows.map((r: { seq: string }) => r.seq));
    assert.deepEqual(seq, [String(batch.records.at(-1)!.offset).padStart(19, '0')], 'the position is the last record\'s');
    // Redelivered, whole and in slices: nothing changes, nothing is refused again.
    assert.deepEqual((await sink.write(batch.records, ctx())).rejected, []);
    assert.deepEqual((await sink.write(batch.records.slice(300, 700), ctx())).rejected, []);
    assert.deepEqual(await contents(), got);
  } finally {
    await sink.close();
  }
});
