// Pure pieces of the streaming and snapshot paths: COPY text rows, spill files, snapshot progress, defaults,
// TOAST-ability, the START_REPLICATION command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyRowReader, parseCopyRow, unescapeCopyField } from '../../src/copy-text.ts';
import { SpillFile } from '../../src/spill-file.ts';
import { ProgressTracker, readSnapshotState, snapshotStateRecord } from '../../src/snapshot-state.ts';
import { parseDefault, SchemaTracker, TableCodec } from '../../src/table-codec.ts';
import { tableCheck, toastableColumns } from '../../src/prerequisites.ts';
import { startReplicationSql } from '../../src/replication-stream.ts';
import { pgFeatures } from '../../src/server-features.ts';
import { defaultSlotName } from '../../src/slot.ts';
import { makeConverter } from '../../src/value-conversion.ts';
import { mapPgType, type ColumnMapping } from '../../src/type-mapping.ts';
import { UNCHANGED_TOAST } from '../../src/protocol/pgoutput-decoder.ts';
import type { PgColumnDef, PgTableDef } from '../../src/pg-catalog.ts';
import type { Position } from '../../../../core/src/types.ts';
import { charMod, fakeTypes, numericMod, OID } from './fake-types.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

test('COPY text: tabs split fields, \\N is NULL, escapes are undone, rows split across chunks and UTF-8 sequences survive', () => {
  assert.deepEqual(parseCopyRow('1\tabc\t\\N\t'), ['1', 'abc', null, '']);
  assert.equal(unescapeCopyField('a\\tb\\nc\\\\d\\re\\bf\\fg\\vh'), 'a\tb\nc\\d\re\bf\fg\vh');
  assert.equal(unescapeCopyField('\\101\\x42\\q'), 'ABq');
  assert.deepEqual(parseCopyRow('\\\\N\t\\\\x0102'), ['\\N', '\\x0102'], 'an escaped backslash before N is text, not NULL');
  const r = new CopyRowReader();
  const bytes = Buffer.from('1\th😀llo\n2\tsecond\\trow\n3\t', 'utf8');
  const cut = bytes.indexOf(Buffer.from('😀')) + 2; // inside the emoji's four bytes
  assert.deepEqual(r.push(bytes.subarray(0, cut)), []);
  assert.deepEqual(r.push(bytes.subarray(cut)), [['1', 'h😀llo'], ['2', 'second\trow']]);
  assert.deepEqual(r.push(Buffer.from('x\n')), [['3', 'x']]);
  r.end();
  r.push(Buffer.from('4\tpartial'));
  assert.throws(() => r.end(), /ended inside a row/);
});

test('spill file: records replay in order with schema messages interleaved; a subtransaction abort cuts back to its first change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-spill-'));
  const f = new SpillFile(dir, 748);
  const msg = (s: string) => Buffer.from(s);
  f.addSchema(1n, msg('R1'));
  await f.append(2n, 748, msg('top-1'));
  await f.append(3n, 748, msg('top-2'));
  await f.append(4n, 749, msg('sub-1'));
  f.addSchema(5n, msg('R2 (first sent inside the aborted subtransaction)'));
  await f.append(6n, 749, msg('sub-2'));
  await f.abortSubtransaction(749);
  await f.append(7n, 750, msg('after'));
  await f.abortSubtransaction(999); // unknown: nothing
  const out: string[] = [];
  for await (const r of f.replay()) out.push(`${r.lsn}:${r.data.toString()}`);
  assert.deepEqual(out, ['1:R1', '2:top-1', '3:top-2', '5:R2 (first sent inside the aborted subtransaction)', '7:after']);
  assert.equal(f.records, 3);
  await f.discard();
});

test('spill file: replay across the write buffer and read chunks (large records, many records)', async () => {
  const f = new SpillFile(mkdtempSync(join(tmpdir(), 'ferry-spill-')), 1);
  const big = Buffer.alloc(700 * 1024, 7);
  for (let i = 0; i < 5; i++) await f.append(BigInt(i), 1, Buffer.concat([Buffer.from([i]), big]));
  for (let i = 0; i < 20000; i++) await f.append(BigInt(100 + i), 1, Buffer.from(`r${i}`));
  let n = 0;
  let bigs = 0;
  for await (const r of f.replay()) {
    if (r.data.length > 1000) { assert.equal(r.data[0], bigs); assert.equal(r.data.length, big.length + 1); bigs++; } else assert.equal(r.data.toString(), `r${n - 5}`);
    n++;
  }
  assert.equal(n, 20005);
  assert.equal(bigs, 5);
  await f.discard();
});

test('snapshot progress: the watermark only moves over contiguous finished chunks; state round-trips', () => {
  const t = new ProgressTracker();
  t.chunkDone('s.t', 1, ['200'], true);
  assert.equal(t.get('s.t'), undefined, 'chunk 0 still open');
  t.chunkDone('s.t', 0, ['100'], true);
  assert.deepEqual(t.get('s.t'), { after: ['200'] });
  t.chunkDone('s.t', 2, null, true);
  assert.deepEqual(t.get('s.t'), { done: true });
  t.chunkDone('s.nokey', 0, [], false);
  assert.equal(t.get('s.nokey'), undefined, 'ctid chunks are not resumable: only done counts');
  t.chunkDone('s.nokey', 1, null, false);
  assert.deepEqual(t.get('s.nokey'), { done: true });
  const rec = snapshotStateRecord({ position: 'pg:0000000001000000' as Position, slot: 'ferry_x', tables: t.snapshot() });
  assert.deepEqual(readSnapshotState(JSON.parse(JSON.stringify(rec))), { position: 'pg:0000000001000000', slot: 'ferry_x', tables: { 's.t': { done: true }, 's.nokey': { done: true } } });
  assert.equal(readSnapshotState({ v: 1, snapshot: {} }), null, 'another source\'s state is not read');
});

test('column defaults: literals in wire form, expressions left out', () => {
  const conv = (oid: number, mod = -1) => makeConverter(mapPgType(oid, mod, fakeTypes) as ColumnMapping);
  assert.equal(parseDefault("'it''s'::character varying", conv(OID.varchar, charMod(5))), "it's");
  assert.equal(parseDefault('42', conv(OID.int4)), 42);
  assert.equal(parseDefault('(-1)', conv(OID.int4)), -1);
  assert.equal(parseDefault("'-1'::integer", conv(OID.int4)), -1);
  assert.deepEqual(parseDefault('0.00', conv(OID.numeric, numericMod(10, 2))), Buffer.from([0]));
  assert.equal(parseDefault('true', conv(OID.bool)), true);
  assert.equal(parseDefault("'2020-01-01'::date", conv(OID.date)), 18262);
  assert.equal(parseDefault('now()', conv(OID.timestamptz)), undefined);
  assert.equal(parseDefault("nextval('t_id_seq'::regclass)", conv(OID.int4)), undefined);
  assert.equal(parseDefault(null, null), undefined);
  assert.equal(parseDefault("('now'::text)::date", conv(OID.date)), undefined);
});

const col = (name: string, typeOid: number, o: Partial<PgColumnDef> = {}): PgColumnDef => ({
  name, typeOid, typmod: -1, notNull: false, dims: 0, defaultExpr: null, attlen: -1, storage: 'x', generated: false, ...o,
});
const table = (columns: PgColumnDef[], o: Partial<PgTableDef> = {}): PgTableDef => ({ relid: 1, schema: 's', table: 't', replicaIdentity: 'd', columns, primaryKey: ['id'], ...o });

test('TOAST-ability: unbounded varlena columns can be TOASTed; a row whose widest form stays small cannot', () => {
  const id = col('id', OID.int4, { attlen: 4, storage: 'p' });
  assert.deepEqual(toastableColumns(table([id, col('body', OID.text)]), fakeTypes, 8192), ['body']);
  assert.deepEqual(toastableColumns(table([id, col('code', OID.varchar, { typmod: charMod(20) }), col('amount', OID.numeric, { typmod: numericMod(12, 2), storage: 'm' })]), fakeTypes, 8192), []);
  assert.deepEqual(toastableColumns(table([id, col('code', OID.varchar, { typmod: charMod(600) })]), fakeTypes, 8192), ['code'], '600 characters of UTF-8 can exceed the threshold');
  assert.deepEqual(toastableColumns(table([id, col('body', OID.text, { storage: 'p' })]), fakeTypes, 8192), [], 'SET STORAGE PLAIN: never out of line');
  assert.deepEqual(toastableColumns(table([id, col('c', OID.circle)]), fakeTypes, 8192), ['c'], 'an unmapped varlena type counts as unbounded');
});

test('table check: key, replica identity and TOAST', () => {
  const id = col('id', OID.int4, { attlen: 4, storage: 'p' });
  // TOAST-able under DEFAULT: advice (values read by key, source.unchangedToast: lookup, the default), or a failure with 'fail'
  const advice = tableCheck(table([id, col('body', OID.text)]), fakeTypes, 8192);
  assert.equal(advice.status, 'warn');
  assert.equal(advice.check, 'postgres.toast.s.t');
  assert.match(advice.message, /can be TOASTed \(body\).*reads it by primary key \(id\)/);
  assert.match(advice.fix!, /ALTER TABLE "s"\."t" REPLICA IDENTITY FULL/);
  assert.equal(tableCheck(table([id, col('body', OID.text)]), fakeTypes, 8192, { unchangedToast: 'fail' }).status, 'fail');
  assert.match(tableCheck(table([id, col('body', OID.text)]), fakeTypes, 8192, { unchangedToast: 'fail' }).fix!, /ALTER TABLE "s"\."t" REPLICA IDENTITY FULL/);
  assert.equal(tableCheck(table([id, col('body', OID.text)], { replicaIdentity: 'f' }), fakeTypes, 8192).status, 'ok');
  assert.equal(tableCheck(table([id], { primaryKey: [] }), fakeTypes, 8192).status, 'fail', 'no key, DEFAULT identity: UPDATE/DELETE would fail');
  assert.equal(tableCheck(table([id], { primaryKey: [], replicaIdentity: 'f' }), fakeTypes, 8192).status, 'warn');
  assert.equal(tableCheck(table([id]), fakeTypes, 8192).status, 'ok');
  // An outbox table (insert-only): TOAST-able columns need no FULL; a missing key still fails.
  assert.equal(tableCheck(table([id, col('body', OID.text)]), fakeTypes, 8192, { insertOnly: true }).status, 'ok');
  assert.match(tableCheck(table([id, col('body', OID.text)]), fakeTypes, 8192, { insertOnly: true }).message, /outbox table/);
  assert.equal(tableCheck(table([id, col('body', OID.text)], { primaryKey: [] }), fakeTypes, 8192, { insertOnly: true }).status, 'fail');
});

test('table codec: tuples and COPY rows give the same row; key images get fallbacks; unchanged TOAST is never converted', () => {
  const tracker = new SchemaTracker(fakeTypes, silent);
  const input = {
    schema: 's', table: 't', primaryKey: ['id'],
    columns: [
      { name: 'id', typeOid: OID.int4, typmod: -1, notNull: true, defaultExpr: null },
      { name: 'skip', typeOid: OID.circle, typmod: -1, notNull: false, defaultExpr: null },
      { name: 'n', typeOid: OID.numeric, typmod: numericMod(5, 2), notNull: true, defaultExpr: '1.50' },
      { name: 'v', typeOid: OID.text, typmod: -1, notNull: true, defaultExpr: null },
    ],
  };
  const c = tracker.codec(input, 'test');
  assert.equal(c.schema.version, 1);
  assert.deepEqual(c.schema.columns.map((x) => x.name), ['id', 'n', 'v']);
  assert.deepEqual(c.skipped, [{ name: 'skip', reason: 'circle' }]);
  assert.equal(c.selectList, '"id", "n", "v"');
  const row = { id: 1, n: Buffer.from([0x04, 0xe2]), v: 'x' };
  assert.deepEqual(c.convertTuple(['1', '<(0,0),1>', '12.50', 'x']), row);
  assert.deepEqual(c.convertFields(['1', '12.50', 'x']), row);
  assert.deepEqual(c.convertKeyTuple(['7', null, null, null]), { id: 7, n: Buffer.from([0x00, 0x96]), v: '' }, 'default for n, fallback for v');
  assert.throws(() => c.convertTuple(['1', null, UNCHANGED_TOAST, 'x']), /unresolved unchanged TOAST/);
  assert.equal(tracker.codec(input, 'again'), c, 'same structure, same version');
  const v2 = tracker.codec({ ...input, columns: input.columns.slice(0, 3) }, 'drop v');
  assert.equal(v2.schema.version, 2);
  assert.equal(tracker.codec(input, 'back'), c, 'a structure seen before keeps its version');
  assert.equal(tracker.relax(c, 'v').schema.columns.find((x) => x.name === 'v')!.nullable, true);
  assert.ok(new TableCodec(input, 9, fakeTypes).signature === c.signature);
});

test('START_REPLICATION command and default names', () => {
  assert.equal(startReplicationSql({ slot: 'ferry_a', publication: 'pub "x"', startLsn: 0x16b3748n, protoVersion: 2, streaming: true, messages: true }),
    `START_REPLICATION SLOT "ferry_a" LOGICAL 0/16B3748 (proto_version '2', publication_names '"pub ""x"""', messages 'true', streaming 'on')`);
  assert.equal(startReplicationSql({ slot: 's', publication: 'p', startLsn: 0n, protoVersion: 1, streaming: true, messages: true }),
    `START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '1', publication_names '"p"', messages 'true')`);
  // PostgreSQL 13 (server-features.ts): protocol 1 and no messages option, which its pgoutput refuses
  assert.equal(startReplicationSql({ slot: 's', publication: 'p', startLsn: 0n, ...pgFeatures(130023) }),
    `START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '1', publication_names '"p"')`);
  assert.equal(startReplicationSql({ slot: 's', publication: 'p', startLsn: 0n, ...pgFeatures(170012) }),
    `START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '2', publication_names '"p"', messages 'true', streaming 'on')`);
  assert.equal(defaultSlotName('Shop-Orders.v2'), 'ferry_shop_orders_v2');
  assert.equal(defaultSlotName('x'.repeat(100)).length, 63);
});
