// Unchanged TOAST values under REPLICA IDENTITY DEFAULT (source.unchangedToast: lookup, the default): the source reads
// them by key (toast-lookup.ts). Asserted against the table itself: every update event carries the stored value
// exactly, lists the columns read in `unchangedToast`, and never a placeholder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import type { ChangeEvent } from '../../../../core/src/types.ts';
import { LOOKUP_CHUNK } from '../../src/toast-lookup.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { collect, createSchema, dataEvents, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;
const tables = (schema: string, names: string[]) => createTableSelector({ rules: names.map((t, i) => ({ 'rule-type': 'selection', 'rule-id': String(i + 1), 'rule-name': t, 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': t } })) } as unknown as TableMapping);
/** Incompressible and over the TOAST threshold: stored out of line, so an UPDATE leaving it alone does not send it. */
const big = () => randomBytes(2500).toString('hex');
/** Equality without dumping 5 KB values into the failure message. */
const same = (a: unknown, b: unknown, msg: string) => assert.ok(a === b, `${msg}: ${String(a).slice(0, 60)}… ≠ ${String(b).slice(0, 60)}…`);
const canonJson = (v: unknown) => JSON.stringify(JSON.parse(v as string));

before(async () => {
  s = await createSchema('ferry_it_toastlookup');
  await s.owner.query('CREATE TABLE doc (id int PRIMARY KEY, title varchar(40) NOT NULL, body text, meta jsonb, extra text)');
  await s.owner.query('CREATE TABLE pair (a int, b text, n int NOT NULL, body text NOT NULL, PRIMARY KEY (a, b))');
});

after(async () => { await s.drop(); });

test('REPLICA IDENTITY DEFAULT: unchanged TOAST values are read by key, batched; exact values, key changes, composite keys, rows gone since, columns dropped since', { timeout: 120000 }, async () => {
  const identity = await s.owner.query<{ relreplident: string }>("SELECT relreplident FROM pg_class WHERE oid = 'doc'::regclass");
  assert.equal(identity.rows[0]!.relreplident, 'd', 'the table stays REPLICA IDENTITY DEFAULT');
  const n = LOOKUP_CHUNK + 100; // one statement updates more rows than one lookup reads
  const bodies = new Map<number, string>();
  const metas = new Map<number, string>();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_doc`, selector: tables(s.schema, ['doc', 'pair']), metrics });
  let acted = false;
  const { batches, source } = await collect(opts, null, (b) => dataEvents(b, 'pair').some((e) => e.op === 'd'), {
    timeoutMs: 90000,
    onBatch: async () => {
      if (acted) return;
      acted = true;
      for (let i = 1; i <= n; i++) {
        bodies.set(i, big());
        metas.set(i, JSON.stringify({ k: i, blob: big() }));
      }
      const ids = [...bodies.keys()];
      await s.owner.query(`INSERT INTO doc SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::jsonb[], $5::text[])`,
        [ids, ids.map((i) => `t${i}`), ids.map((i) => bodies.get(i)), ids.map((i) => metas.get(i)), ids.map((i) => (i === 4 ? big() : null))]);
      await s.owner.query("UPDATE doc SET title = title || '+'"); // every row, body and meta untouched
      await s.owner.query("UPDATE doc SET title = 'gone' WHERE id = 1");
      await s.owner.query('DELETE FROM doc WHERE id = 1'); // committed before the stream reads the update: its row is gone
      await s.owner.query('UPDATE doc SET id = 100000 WHERE id = 2'); // a key change with the values untouched
      await s.owner.query("UPDATE doc SET title = 'early' WHERE id = 3");
      await s.owner.query("UPDATE doc SET body = 'later' WHERE id = 3"); // a later change of the value the lookup reads
      await s.owner.query("UPDATE doc SET title = 'dropped' WHERE id = 4");
      await s.owner.query('ALTER TABLE doc DROP COLUMN extra'); // the update before it left extra unchanged
      await s.owner.query("UPDATE doc SET meta = '{\"small\": true}' WHERE id = 5"); // meta sent, body read
      await s.owner.query('INSERT INTO pair VALUES (1, $1, 0, $2), (1, $3, 0, $4)', ['x'.repeat(10), big(), 'y', big()]);
      await s.owner.query('UPDATE pair SET n = n + 1');
      await s.owner.query("DELETE FROM pair WHERE b = 'y'");
    },
  });
  const doc = dataEvents(batches, 'doc');
  const updates = doc.filter((e) => e.op === 'u');
  const byId = (id: number, op: string, title?: string) => doc.filter((e) => e.op === op && (e.after ?? e.before)!.id === id && (title === undefined || e.after?.title === title));
  // The bulk update: one event per row still there when it was read, with the stored values exactly. Rows 1 (deleted)
  // and 2 (re-keyed) were gone by then: their bulk updates are not passed on, the delete and the key change follow.
  const bulk = updates.filter((e) => (e.after!.title as string).endsWith('+') && e.unchangedToast?.includes('meta') === true);
  assert.deepEqual(bulk.map((e) => e.after!.id).sort((a, b) => (a as number) - (b as number)), [...bodies.keys()].filter((i) => i > 2));
  for (const e of bulk) {
    const id = e.after!.id as number;
    // rows 3 and 5: the lookup read the value a later transaction wrote (the documented caveat); their own events follow
    same(e.after!.body, id === 3 ? 'later' : bodies.get(id), `row ${id}: body read by key`);
    same(canonJson(e.after!.meta), id === 5 ? '{"small":true}' : canonJson(metas.get(id)), `row ${id}: meta read by key`);
    assert.deepEqual(e.unchangedToast, id === 4 ? ['body', 'meta', 'extra'] : ['body', 'meta'], `row ${id}: the columns read are listed`);
    if (id === 4) assert.equal(e.after!.extra, null, 'row 4: extra was dropped since, so its value is gone: null, never a placeholder');
  }
  // Row 1: its own update found no row either: not passed on; the delete that removed it is.
  assert.deepEqual(byId(1, 'u'), [], 'updates whose row is gone by the lookup are not passed on');
  assert.equal(byId(1, 'd').length, 1, 'the delete that removed it is');
  // Row 2 → 100000: a delete of the old key and a create of the new one carrying the values read.
  assert.equal(byId(2, 'd').length, 1);
  const moved = byId(100000, 'c');
  assert.equal(moved.length, 1);
  same(moved[0]!.after!.body, bodies.get(2), 'row 2 → 100000: body read by the new key');
  assert.deepEqual(moved[0]!.unchangedToast, ['body', 'meta']);
  // Row 3: the early update shows the later value (read after it committed), the later one carries it itself.
  assert.equal(byId(3, 'u', 'early')[0]!.after!.body, 'later');
  const own = updates.filter((e) => e.after!.id === 3 && e.after!.body === 'later' && e.after!.title === 'early' && e.unchangedToast?.includes('body') !== true);
  assert.equal(own.length, 1, 'the later update carries body itself and does not list it');
  assert.deepEqual(own[0]!.unchangedToast, ['meta']);
  // Row 5: meta sent by PostgreSQL (changed), body read.
  const five = updates.findLast((e) => e.after!.id === 5)!; // the meta update, after the bulk one
  same(five.after!.body, bodies.get(5), 'row 5: body read');
  assert.deepEqual(five.unchangedToast, ['body']);
  // The composite key.
  const pair = dataEvents(batches, 'pair').filter((e) => e.op === 'u');
  assert.equal(pair.length, 1, "(1, 'y') was deleted before the lookup: only (1, 'xxxxxxxxxx') is updated");
  assert.equal(pair[0]!.after!.b, 'xxxxxxxxxx');
  assert.equal(pair[0]!.after!.n, 1);
  assert.equal((pair[0]!.after!.body as string).length, 5000);
  assert.deepEqual(pair[0]!.unchangedToast, ['body']);
  // No placeholder anywhere; events without unchanged values carry no list.
  const all: ChangeEvent[] = batches.flatMap((b) => [...b.events]);
  assert.ok(!JSON.stringify(all.map((e) => e.after), (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('__debezium_unavailable_value'));
  assert.ok(all.filter((e) => e.op === 'c' && e.after!.id !== 100000).every((e) => e.unchangedToast === undefined));
  // The lookups are counted.
  const text = await metrics.text();
  assert.match(text, /pg_toast_lookup_rows_gone_total\{table="[^"]+\.doc"\} 3/, 'rows 1 (twice) and 2 were gone');
  assert.match(text, /pg_toast_lookup_rows_gone_total\{table="[^"]+\.pair"\} 1/);
  void source;
});
