import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FerryError } from '../../../../core/src/errors.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { collect, createSchema, dataEvents, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;
const only = (schema: string, table: string) => createTableSelector({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'one', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': table } }] } as unknown as TableMapping);

before(async () => {
  s = await createSchema('ferry_it_toast');
  await s.owner.query('CREATE TABLE docs (id int PRIMARY KEY, title varchar(20), body text, meta jsonb)');
  await s.owner.query('ALTER TABLE docs REPLICA IDENTITY FULL');
  await s.owner.query('CREATE TABLE plain_text (id int PRIMARY KEY, body text)');
  await s.owner.query('CREATE TABLE small_row (id int PRIMARY KEY, code varchar(20), amount numeric(12,2))');
  await s.owner.query('CREATE TABLE evolve (id int PRIMARY KEY, a int NOT NULL)');
  await s.owner.query('ALTER TABLE evolve REPLICA IDENTITY FULL');
});

after(async () => { await s.drop(); });

test('TOAST: an update that leaves a 2 MB out-of-line value untouched carries the real value, never a placeholder', async () => {
  const big = randomBytes(1024 * 1024).toString('hex'); // incompressible: stored out of line
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_docs`, selector: only(s.schema, 'docs') });
  let acted = false;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'docs').some((e) => e.op === 'd'), {
    onBatch: async () => {
      if (acted) return;
      acted = true;
      await s.owner.query('INSERT INTO docs VALUES (1, $1, $2, $3)', ['t', big, '{"v": 1}']);
      await s.owner.query(`UPDATE docs SET meta = '{"v": 2}', title = 'u' WHERE id = 1`);
      await s.owner.query('DELETE FROM docs WHERE id = 1');
    },
  });
  const [c, u, d] = dataEvents(batches, 'docs');
  assert.equal(c!.op, 'c');
  assert.equal(u!.op, 'u');
  assert.equal((u!.after!.body as string).length, big.length);
  assert.equal(u!.after!.body, big, 'the unchanged TOASTed value, filled from the old row image');
  assert.equal(u!.after!.meta, '{"v": 2}');
  assert.equal(u!.before!.body, big);
  assert.equal(d!.before!.body, big);
  assert.ok(!JSON.stringify(batches.flatMap((b) => b.events.map((e) => e.after))).includes('__debezium_unavailable_value'));
});

test('TOAST prerequisite: with source.unchangedToast: fail a TOAST-able table must be REPLICA IDENTITY FULL; by default (lookup) it starts; bounded small rows need neither', async () => {
  const strict = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_plain`, selector: only(s.schema, 'plain_text') });
  const failMode = { ...strict, config: { ...strict.config, unchangedToast: 'fail' as const } };
  await assert.rejects(collect(failMode, null, () => true), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_PREREQUISITE'
    && e.message.includes('plain_text') && e.message.includes('unchangedToast is fail') && e.message.includes('body'));
  const lookup = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_plain2`, selector: only(s.schema, 'plain_text') });
  const started = await collect(lookup, null, () => true);
  assert.equal(started.batches[0]!.snapshotDone, true, 'REPLICA IDENTITY DEFAULT with a text column starts: unchanged values are read by key');
  const ok = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_small`, selector: only(s.schema, 'small_row') });
  const { batches } = await collect(ok, null, () => true);
  assert.equal(batches[0]!.snapshotDone, true);
});

test('TOAST guard (source.unchangedToast: fail): if the identity is changed to DEFAULT while streaming, an unchanged TOAST value stops the task instead of emitting a placeholder', async () => {
  await s.owner.query('CREATE TABLE guarded (id int PRIMARY KEY, body text, n int)');
  await s.owner.query('ALTER TABLE guarded REPLICA IDENTITY FULL');
  await s.owner.query('INSERT INTO guarded VALUES (1, $1, 0)', [randomBytes(512 * 1024).toString('hex')]);
  const base = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_guard`, selector: only(s.schema, 'guarded') });
  const opts = { ...base, config: { ...base.config, unchangedToast: 'fail' as const } };
  let acted = false;
  await assert.rejects(collect(opts, null, () => false, {
    timeoutMs: 20000,
    onBatch: async () => {
      if (acted) return;
      acted = true;
      await s.owner.query('ALTER TABLE guarded REPLICA IDENTITY DEFAULT');
      await s.owner.query('UPDATE guarded SET n = 1 WHERE id = 1');
    },
  }), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_PREREQUISITE' && /TOAST/.test(e.message) && e.message.includes('guarded'));
});

test('an outbox table (settings.outbox) needs no REPLICA IDENTITY FULL: it starts, and an update leaving a TOASTed payload unchanged goes on without it', async () => {
  await s.owner.query('CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype varchar(255) NOT NULL, aggregateid varchar(255) NOT NULL, type varchar(255) NOT NULL, payload jsonb NOT NULL)');
  const payload = JSON.stringify({ blob: randomBytes(256 * 1024).toString('hex') }); // incompressible: stored out of line
  const selector = only(s.schema, 'outbox');
  const plain = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_outbox_plain`, selector });
  await assert.rejects(collect({ ...plain, config: { ...plain.config, unchangedToast: 'fail' } }, null, () => true), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_PREREQUISITE' && e.message.includes('payload'),
    'without settings.outbox the table is an ordinary one, which source.unchangedToast: fail refuses without REPLICA IDENTITY FULL');
  const opts = sourceOptions(s.schema, {
    migrationType: 'cdc', taskName: `${s.schema}_outbox`, selector,
    settings: { snapshot: { chunkSize: 1000, parallelism: 2 }, batch: { maxEvents: 500 }, outbox: [{ table: `${s.schema}.outbox` }] },
  });
  let acted = false;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'outbox').some((e) => e.op === 'd'), {
    onBatch: async () => {
      if (acted) return;
      acted = true;
      await s.owner.query("INSERT INTO outbox VALUES ('5f0c3f7e-7d1e-4a52-9a57-1d3b6c8e2a10', 'Order', 'o-1', 'OrderCreated', $1)", [payload]);
      await s.owner.query("UPDATE outbox SET type = 'OrderPlaced'"); // the payload is unchanged and out of line: not in the WAL
      await s.owner.query('DELETE FROM outbox');
    },
  });
  const [c, u, d] = dataEvents(batches, 'outbox');
  assert.equal(c!.op, 'c');
  assert.ok((JSON.parse(c!.after!.payload as string) as { blob: string }).blob === (JSON.parse(payload) as { blob: string }).blob, 'the insert carries the whole payload');
  assert.equal(u!.op, 'u');
  assert.equal(u!.after!.type, 'OrderPlaced');
  assert.equal(u!.after!.payload, '', 'the unsent TOAST value is left out of the update (NOT NULL: its fallback), which the outbox router skips');
  assert.equal(d!.op, 'd');
  assert.equal(d!.before!.id, '5f0c3f7e-7d1e-4a52-9a57-1d3b6c8e2a10');
});

test('schema changes from Relation messages: added, dropped and retyped columns get new versions, each event the right one', async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'full-load-and-cdc', taskName: `${s.schema}_evolve`, selector: only(s.schema, 'evolve') });
  await s.owner.query('INSERT INTO evolve VALUES (1, 10)');
  // One step at a time, each after the previous change arrived (the catalog is read when a column is new).
  const steps: Array<[number, string]> = [
    [1, 'INSERT INTO evolve VALUES (2, 20)'],
    [2, "ALTER TABLE evolve ADD COLUMN b varchar(5) NOT NULL DEFAULT 'x'; INSERT INTO evolve VALUES (3, 30, 'y')"],
    [3, "ALTER TABLE evolve DROP COLUMN a; INSERT INTO evolve VALUES (4, 'z')"],
    [4, "ALTER TABLE evolve ALTER COLUMN b TYPE text; INSERT INTO evolve VALUES (5, 'long text')"],
    [5, "BEGIN; ALTER TABLE evolve ADD COLUMN c int; INSERT INTO evolve VALUES (6, 'w', 7); COMMIT;"],
    [6, 'UPDATE evolve SET c = 8 WHERE id = 6'],
  ];
  let step = 0;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'evolve').some((e) => e.op === 'u'), {
    onBatch: async (_b, all) => {
      const seen = new Set(dataEvents(all, 'evolve').map((e) => e.key!.id));
      while (step < steps.length && seen.has(steps[step]![0])) await s.owner.query(steps[step++]![1]);
    },
  });
  const evs = dataEvents(batches, 'evolve');
  const byId = new Map(evs.filter((e) => e.op !== 'u').map((e) => [e.key!.id, e]));
  const shape = (id: number) => { const e = byId.get(id)!; return { version: e.table.version, columns: e.table.columns.map((c) => `${c.name}:${c.sourceType}${c.nullable ? '' : '!'}`), after: e.after }; };
  assert.deepEqual(shape(1), { version: 1, columns: ['id:integer!', 'a:integer!'], after: { id: 1, a: 10 } });
  assert.equal(byId.get(1)!.op, 'r');
  assert.deepEqual(shape(2), { version: 1, columns: ['id:integer!', 'a:integer!'], after: { id: 2, a: 20 } });
  assert.deepEqual(shape(3), { version: 2, columns: ['id:integer!', 'a:integer!', 'b:character varying(5)!'], after: { id: 3, a: 30, b: 'y' } });
  assert.equal(byId.get(3)!.table.columns[2]!.defaultValue, 'x');
  assert.deepEqual(shape(4), { version: 3, columns: ['id:integer!', 'b:character varying(5)!'], after: { id: 4, b: 'z' } });
  assert.deepEqual(shape(5), { version: 4, columns: ['id:integer!', 'b:text!'], after: { id: 5, b: 'long text' } });
  assert.deepEqual(shape(6), { version: 5, columns: ['id:integer!', 'b:text!', 'c:integer'], after: { id: 6, b: 'w', c: 7 } });
  const upd = evs.find((e) => e.op === 'u')!;
  assert.equal(upd.table.version, 5);
  assert.deepEqual(upd.before, { id: 6, b: 'w', c: 7 });
  assert.deepEqual(upd.after, { id: 6, b: 'w', c: 8 });
});

test('schema changes racing ahead of the stream: values stay exact, and a column the catalog no longer knows is nullable', async () => {
  await s.owner.query('CREATE TABLE racing (id int PRIMARY KEY, a int NOT NULL)');
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_race`, selector: only(s.schema, 'racing') });
  let acted = false;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'racing').some((e) => e.key?.id === 3), {
    onBatch: async () => {
      if (acted) return;
      acted = true;
      await s.owner.query('INSERT INTO racing VALUES (1, 10)');
      await s.owner.query('ALTER TABLE racing ADD COLUMN b int NOT NULL DEFAULT 5');
      await s.owner.query('INSERT INTO racing VALUES (2, 20, 6)');
      await s.owner.query('ALTER TABLE racing DROP COLUMN b');
      await s.owner.query('INSERT INTO racing VALUES (3, 30)');
    },
  });
  const evs = dataEvents(batches, 'racing');
  assert.deepEqual(evs.map((e) => e.after), [{ id: 1, a: 10 }, { id: 2, a: 20, b: 6 }, { id: 3, a: 30 }]);
  assert.equal(evs[1]!.table.columns.find((c) => c.name === 'b')!.nullable, true, 'gone from the catalog by the time its Relation arrived');
  const versions = evs.map((e) => e.table.version);
  assert.ok(versions[0]! < versions[1]! && versions[1]! !== versions[2]!);
});

test('DROP NOT NULL: the first null relaxes the column into a new, optional version', async () => {
  await s.owner.query('CREATE TABLE relax (id int PRIMARY KEY, a int NOT NULL)');
  const opts = sourceOptions(s.schema, { migrationType: 'full-load-and-cdc', taskName: `${s.schema}_relax`, selector: only(s.schema, 'relax') });
  let acted = false;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'relax').some((e) => e.key?.id === 2), {
    onBatch: async (b) => {
      if (acted || !b.snapshotDone) return;
      acted = true;
      await s.owner.query('INSERT INTO relax VALUES (1, 1)');
      await s.owner.query('ALTER TABLE relax ALTER COLUMN a DROP NOT NULL');
      await s.owner.query('INSERT INTO relax VALUES (2, NULL)');
    },
  });
  const [one, two] = dataEvents(batches, 'relax');
  assert.equal(one!.table.columns[1]!.nullable, false);
  assert.equal(two!.table.columns[1]!.nullable, true);
  assert.equal(two!.table.version, one!.table.version + 1);
  assert.deepEqual(two!.after, { id: 2, a: null });
});
