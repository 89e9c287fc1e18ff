// Transactional apply sends consecutive small source transactions together (MySqlSink #sendGroup, one multi-statement
// round trip), each still its own START TRANSACTION … COMMIT with its position. When MariaDB refuses a change in the
// middle of a group (a CHECK constraint of a user-made table), the transactions before it stay committed with their
// position, and the write stops there as it would without groups (a refusal of the server stops the sink: fatal).
// Once the target is fixed, the redelivered batch applies every later transaction exactly once, in order: a trigger
// journal of every row the server inserted, updated or deleted is compared with the one expected, operation by
// operation, and the position ends at the batch's last record; a redelivery changes nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../../core/src/position.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { MySqlSink } from '../../src/MySqlSink.ts';
import { dropDatabase, query, targetOptions, withMaria } from '../helpers.ts';

const dbs: string[] = [];
after(async () => {
  for (const d of dbs) await dropDatabase(d);
});

const table: TableSchema = { id: { schema: 'shop', table: 'items' }, version: 1, primaryKey: ['id'], columns: [
  { name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'qty', type: { type: 'int32' }, nullable: true, sourceType: 'int' },
  { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'varchar(40)' },
] } as TableSchema;

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

/** Notes a script must carry as they are: quotes, backslashes, semicolons, a `?`, a comment opener, a 4-byte character. */
const odd = ["it's; DROP TABLE items; --", 'back\\slash\\', 'a ? b', '/* x */ "q" `t`', 'emoji 😀;'];

test('transactional: grouped transactions, a refusal in the middle of a group — those before stay committed, the rest applied exactly once after the fix', { timeout: 120_000 }, async () => {
  const db = uniqueName('mygrp');
  dbs.push(db);
  // A user-made target: qty must not be negative (c_qty), a note must not be 'veto' (c_note); a journal of every row
  // the server changes.
  await withMaria(async (c) => {
    await c.query(`CREATE DATABASE \`${db}\``);
    await c.query(`CREATE TABLE \`${db}\`.items (id int PRIMARY KEY, qty int, note varchar(40) CHARACTER SET utf8mb4, CONSTRAINT c_qty CHECK (qty >= 0), CONSTRAINT c_note CHECK (note <> 'veto'))`);
    await c.query(`CREATE TABLE \`${db}\`.journal (seq int AUTO_INCREMENT PRIMARY KEY, op char(1), id int, qty int, note varchar(40) CHARACTER SET utf8mb4)`);
    await c.query(`CREATE TRIGGER \`${db}\`.ji AFTER INSERT ON \`${db}\`.items FOR EACH ROW INSERT INTO \`${db}\`.journal (op, id, qty, note) VALUES ('I', NEW.id, NEW.qty, NEW.note)`);
    await c.query(`CREATE TRIGGER \`${db}\`.ju AFTER UPDATE ON \`${db}\`.items FOR EACH ROW INSERT INTO \`${db}\`.journal (op, id, qty, note) VALUES ('U', NEW.id, NEW.qty, NEW.note)`);
    await c.query(`CREATE TRIGGER \`${db}\`.jd AFTER DELETE ON \`${db}\`.items FOR EACH ROW INSERT INTO \`${db}\`.journal (op, id, qty, note) VALUES ('D', OLD.id, OLD.qty, OLD.note)`);
  });
  const events: ChangeEvent[] = [];
  /** Per transaction, the journal lines it makes (net change per key: deletes, then upserts), and its last event. */
  const txs: { journal: string[]; last: number }[] = [];
  let pos = 4;
  const tx = (changes: [Op, Row | null, Row | null][], journal: string[]): void => {
    pos += 1000;
    for (const [op, before, afterRow] of changes) {
      const img = (afterRow ?? before)!;
      events.push({ op, key: { id: img.id }, before, after: afterRow, tsMs: 0, table,
        source: { connector: 'mariadb', name: db, tsMs: 0, snapshot: 'false', db: 'shop', table: 'items', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) } } as ChangeEvent);
    }
    txs.push({ journal, last: events.length - 1 });
  };
  // 450 transactions of 2 changes: insert i, then update it; every 7th also deletes the row inserted 3 before.
  // Transaction 150 sets a negative qty (c_qty refuses it), 320 the note 'veto' (c_note); an extra transaction after
  // 151 updates row 150.
  const want = new Map<number, { qty: number; note: string }>();
  for (let i = 1; i <= 450; i++) {
    const note = i % 50 === 3 ? odd[((i / 50) | 0) % odd.length]! : `u${i}`;
    const w = i === 150 ? { qty: -5, note: 'bad' } : i === 320 ? { qty: 320, note: 'veto' } : { qty: i + 1, note };
    const changes: [Op, Row | null, Row | null][] = [['c', null, { id: i, qty: i, note: `n${i}` }], ['u', { id: i, qty: i, note: `n${i}` }, { id: i, ...w }]];
    const journal: string[] = [];
    if (i % 7 === 0 && i > 3 && want.has(i - 3)) {
      const old = want.get(i - 3)!;
      changes.push(['d', { id: i - 3, ...old }, null]);
      journal.push(`D ${i - 3} ${old.qty} ${old.note}`);
      want.delete(i - 3);
    }
    journal.push(`I ${i} ${w.qty} ${w.note}`);
    want.set(i, w);
    tx(changes, journal);
    if (i === 151) {
      tx([['u', { id: 150, qty: -5, note: 'bad' }, { id: 150, qty: 7, note: 'fixed' }]], ['U 150 7 fixed']);
      want.set(150, { qty: 7, note: 'fixed' });
    }
  }
  const batch = await kafkaRecords(events, { prefix: db });
  const seqOf = (t: number): string => String(batch.records[txs[t]!.last]!.offset).padStart(19, '0');
  const sink = new MySqlSink({ config: targetOptions(db, { applyMode: 'transactional' }) as never });
  const journal = async () => (await query<{ r: string }>(`SELECT CONCAT_WS(' ', op, id, qty, note) AS r FROM \`${db}\`.journal ORDER BY seq`)).map((x) => x.r);
  const contents = async () => (await query<{ id: number; qty: number; note: string }>(`SELECT id, qty, note FROM \`${db}\`.items ORDER BY id`));
  const positions = async () => (await query<{ seq: string }>(`SELECT seq FROM \`${db}\`._ferry_sink_offsets`)).map((r) => r.seq);
  const refusal = async (records: typeof batch.records, constraint: string): Promise<void> => {
    await assert.rejects(sink.write(records, ctx()), (e: unknown) => {
      assert.ok(e instanceof FerryError, String(e));
      assert.equal(e.disposition, 'fatal');
      assert.match(e.message, new RegExp(`MySQL refused the batch: .*CONSTRAINT \`${constraint}\` failed.*SQLSTATE 23000`));
      return true;
    });
  };
  try {
    // The first write (one transaction) prepares the table; then the rest at once, in groups.
    assert.deepEqual((await sink.write(batch.records.slice(0, 2), ctx())).rejected, []);
    await refusal(batch.records.slice(2), 'c_qty');
    // Transactions 1–149 (indexes 0–148) are committed with their position; nothing of 150 and later.
    assert.deepEqual(await journal(), txs.slice(0, 149).flatMap((t) => t.journal));
    assert.deepEqual(await positions(), [seqOf(148)]);
    // The table's owner lets negative quantities in; the batch is delivered again, whole: it stops at 320.
    await withMaria(async (c) => c.query(`ALTER TABLE \`${db}\`.items DROP CONSTRAINT c_qty`));
    await refusal(batch.records, 'c_note');
    const at320 = txs.findIndex((t) => t.journal.at(-1)!.startsWith('I 320 '));
    assert.deepEqual(await journal(), txs.slice(0, at320).flatMap((t) => t.journal));
    assert.deepEqual(await positions(), [seqOf(at320 - 1)]);
    // And 'veto' notes: the rest, delivered again from the middle, applied once, in order.
    await withMaria(async (c) => c.query(`ALTER TABLE \`${db}\`.items DROP CONSTRAINT c_note`));
    assert.deepEqual((await sink.write(batch.records.slice(300), ctx())).rejected, []);
    const all = txs.flatMap((t) => t.journal);
    assert.deepEqual(await journal(), all);
    assert.deepEqual(await positions(), [seqOf(txs.length - 1)], 'the position is the last record\'s');
    const got = await contents();
    assert.deepEqual(got, [...want].sort((a, b) => a[0] - b[0]).map(([id, w]) => ({ id, qty: w.qty, note: w.note })));
    // Redelivered, whole and in slices: nothing changes.
    assert.deepEqual((await sink.write(batch.records, ctx())).rejected, []);
    assert.deepEqual((await sink.write(batch.records.slice(500, 800), ctx())).rejected, []);
    assert.deepEqual(await journal(), all);
    assert.deepEqual(await contents(), got);
  } finally {
    await sink.close();
  }
});
