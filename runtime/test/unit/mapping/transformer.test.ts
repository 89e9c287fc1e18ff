// MappingTransformer on change events: rows, keys, filters by image, masking, variables, caching, merge refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MappingTransformer, withTableMapping } from '../../../src/mapping/MappingTransformer.ts';
import { masker } from '../../../src/mapping/masking.ts';
import type { ChangeBatch, SourceConnector } from '../../../../core/src/types.ts';
import { col, event, include, mapping, table, tr } from './helpers.ts';

const people = table('shop', 'people', [col('id', 'int32', { nullable: false }), col('first'), col('last'), col('card'), col('region'), col('secret')]);
const full = () => new MappingTransformer(mapping(
  include('shop', 'people', { filters: [{ 'filter-type': 'source', 'column-name': 'region', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'EU' }] }] }),
  tr('schema', 'rename', { 'schema-name': 'shop' }, { value: 'crm' }),
  tr('table', 'rename', { 'schema-name': 'shop', 'table-name': 'people' }, { value: 'persons' }),
  tr('column', 'rename', { 'schema-name': 'shop', 'table-name': 'people', 'column-name': 'id' }, { value: 'person_id' }),
  tr('column', 'remove-column', { 'schema-name': 'shop', 'table-name': 'people', 'column-name': 'secret' }),
  tr('column', 'add-column', { 'schema-name': 'shop', 'table-name': 'people' }, { value: 'full_name', expression: "$first || ' ' || $last", 'data-type': { type: 'string', length: 100 } }),
  tr('column', 'add-column', { 'schema-name': 'shop', 'table-name': 'people' }, { value: 'op', expression: "operation_indicator('D', 'U', 'I')", 'data-type': { type: 'string', length: 1 } }),
  tr('column', 'add-column', { 'schema-name': 'shop', 'table-name': 'people' }, { value: 'src', expression: "$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME || ':' || $AR_H_OPERATION || ':' || $AR_H_TRANSACTION_ID", 'data-type': { type: 'string' } }),
  tr('column', 'data-masking-digits-mask', { 'schema-name': 'shop', 'table-name': 'people', 'column-name': 'card' }, { value: '#' })));

const row = (id: number, region: string, extra = {}) => ({ id, first: 'Ada', last: 'Lovelace', card: 'C6BGJ56669K', region, secret: 's3cr3t', ...extra });

test('an insert: renamed table and columns, removed column, expression columns, masked column, new key', () => {
  const t = full();
  const out = t.transform(event(people, 'c', null, row(1, 'EU')))!;
  assert.deepEqual(out.table.id, { schema: 'crm', table: 'persons' });
  assert.deepEqual(out.table.primaryKey, ['person_id']);
  assert.deepEqual(out.after, { person_id: 1, first: 'Ada', last: 'Lovelace', card: 'C#BGJ#####K', region: 'EU', full_name: 'Ada Lovelace', op: 'I', src: 'shop.people:INSERT:0-1-7' });
  assert.deepEqual(out.key, { person_id: 1 });
  assert.equal(out.before, null);
  assert.equal(out.source.db, 'shop'); // the source block keeps the real source table
  assert.equal(out.source.table, 'people');
});

test('updates and deletes: both images transformed; filters on after (c/r/u) and before (d)', () => {
  const t = full();
  const u = t.transform(event(people, 'u', row(1, 'EU'), row(1, 'EU', { last: 'King' })))!;
  assert.equal(u.before!.full_name, 'Ada Lovelace');
  assert.equal(u.after!.full_name, 'Ada King');
  assert.equal(u.after!.op, 'U');
  const d = t.transform(event(people, 'd', row(1, 'EU'), null))!;
  assert.deepEqual(d.before, { person_id: 1, first: 'Ada', last: 'Lovelace', card: 'C#BGJ#####K', region: 'EU', full_name: 'Ada Lovelace', op: 'D', src: 'shop.people:DELETE:0-1-7' });
  assert.deepEqual(d.key, { person_id: 1 });
  assert.equal(t.transform(event(people, 'c', null, row(2, 'US'))), null);
  assert.equal(t.transform(event(people, 'r', null, row(2, 'US'))), null);
  assert.equal(t.transform(event(people, 'd', row(2, 'US'), null)), null);
  // An update moving a row out of the range is dropped (after image); into the range, it passes.
  assert.equal(t.transform(event(people, 'u', row(1, 'EU'), row(1, 'US'))), null);
  assert.equal(t.transform(event(people, 'u', row(3, 'US'), row(3, 'EU')))!.after!.region, 'EU');
  const trunc = t.transform({ ...event(people, 't', null, null), key: null })!;
  assert.deepEqual(trunc.table.id, { schema: 'crm', table: 'persons' });
});

test('one target TableSchema object per source table version; a batch keeps its checkpoint when all is filtered', () => {
  const t = full();
  const a = t.transform(event(people, 'c', null, row(1, 'EU')))!;
  const b = t.transform(event(people, 'c', null, row(4, 'EU')))!;
  assert.equal(a.table, b.table);
  const batch: ChangeBatch = { events: [event(people, 'c', null, row(2, 'US'))], checkpoint: 'p1' as never, snapshotDone: true };
  assert.deepEqual(t.transformBatch(batch), { events: [], checkpoint: 'p1', snapshotDone: true });
});

test('two source tables mapped onto one target are refused', () => {
  const t = new MappingTransformer(mapping(include(), tr('table', 'rename', { 'schema-name': 's', 'table-name': 't%' }, { value: 'one' })));
  t.transform(event(table('s', 't1', [col('id', 'int32')]), 'c', null, { id: 1 }));
  assert.throws(() => t.transform(event(table('s', 't2', [col('id', 'int32')]), 'c', null, { id: 1 })), /maps both s.t1 and s.t2 to s.one/);
});

test('change-data-type converts values with SQLite casts; before-image columns carry the before values', () => {
  const t = new MappingTransformer(mapping(include(),
    tr('column', 'change-data-type', { 'schema-name': '%', 'table-name': '%', 'column-name': 'n' }, { 'data-type': { type: 'string' } }),
    tr('column', 'change-data-type', { 'schema-name': '%', 'table-name': '%', 'column-name': 's' }, { 'data-type': { type: 'int8' } }),
    tr('column', 'add-before-image-columns', { 'schema-name': '%', 'table-name': '%' }, { 'before-image-def': { 'column-prefix': 'BI_', 'column-suffix': '', 'column-filter': 'all' } })));
  const tt = table('s', 't', [col('id', 'int32'), col('n', 'int32'), col('s')]);
  const out = t.transform(event(tt, 'u', { id: 1, n: 5, s: '42abc' }, { id: 1, n: 6, s: '17' }))!;
  assert.deepEqual(out.after, { id: 1, n: '6', s: 17, BI_id: 1, BI_n: 5, BI_s: '42abc' });
  assert.deepEqual(out.before, { id: 1, n: '5', s: 42, BI_id: 1, BI_n: 5, BI_s: '42abc' });
  const ins = t.transform(event(tt, 'c', null, { id: 2, n: null, s: 'x' }))!;
  assert.deepEqual(ins.after, { id: 2, n: null, s: 0, BI_id: null, BI_n: null, BI_s: null });
});

test('masking: digits mask (DMS example), digits randomize, hash mask; a hash-masked key stays a key', () => {
  const str = { type: 'string' } as const;
  assert.equal(masker('data-masking-digits-mask', '#').mask('C6BGJ56669K', str), 'C#BGJ#####K');
  assert.equal(masker('data-masking-digits-mask', '*').mask(12345, { type: 'int32' }), '*****');
  const randomize = masker('data-masking-digits-randomize', undefined);
  const r = randomize.mask('AB-1234-x', str)!;
  assert.match(r, /^AB-\d{4}-x$/);
  assert.equal(masker('data-masking-hash-mask', undefined).mask('abc', str), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(masker('data-masking-hash-mask', undefined).mask(null, str), null);
  const t = new MappingTransformer(mapping(include(), tr('column', 'data-masking-hash-mask', { 'schema-name': '%', 'table-name': '%', 'column-name': 'email' })));
  const tt = table('s', 'u', [col('email', 'string', { nullable: false })], ['email']);
  const out = t.transform(event(tt, 'c', null, { email: 'abc' }))!;
  assert.deepEqual(out.key, { email: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  const bad = new MappingTransformer(mapping(include(), tr('column', 'data-masking-digits-randomize', { 'schema-name': '%', 'table-name': '%', 'column-name': 'id' })));
  assert.throws(() => bad.transform(event(table('s', 'k', [col('id', 'int32')]), 'c', null, { id: 1 })), /key column "id" must be a source column masked \(if at all\) with data-masking-hash-mask/);
});

test('$AR_H_ variables: timestamps, stream position, change sequence', () => {
  const t = new MappingTransformer(mapping(include(),
    tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'ts', expression: '$AR_H_COMMIT_TIMESTAMP', 'data-type': { type: 'string' } }),
    tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'pos', expression: '$AR_H_STREAM_POSITION', 'data-type': { type: 'string' } }),
    tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'seq', expression: '$AR_H_CHANGE_SEQ', 'data-type': { type: 'string' } }),
    tr('column', 'add-column', { 'schema-name': '%', 'table-name': '%' }, { value: 'at', expression: '$AR_H_TIMESTAMP', 'data-type': { type: 'datetime' } })));
  const tt = table('s', 't', [col('id', 'int32')]);
  const a = t.transform(event(tt, 'c', null, { id: 1 }))!.after!;
  const b = t.transform(event(tt, 'c', null, { id: 2 }))!.after!;
  assert.equal(a.ts, '2023-11-14 22:13:20');
  assert.equal(a.at, 1_700_000_000_000_000);
  assert.equal(a.pos, 'mariadb-bin.000001:4');
  assert.equal(a.seq, '17000000000000000000000000000000001');
  assert.equal(String(b.seq).length, 35);
  assert.ok(String(b.seq) > String(a.seq));
});

test('withTableMapping wraps the source only when the mapping transforms; signals pass through', async () => {
  const src: SourceConnector = {
    async *read() { yield { events: [event(people, 'c', null, row(1, 'EU')), event(people, 'c', null, row(2, 'US'))], checkpoint: null }; },
    acknowledge: async () => undefined, close: async () => undefined, signal: async () => ({ accepted: false, reason: 'x' }),
  };
  assert.equal(withTableMapping(src, mapping(include())), src);
  const wrapped = withTableMapping(src, mapping(include('shop', 'people', { filters: [{ 'filter-type': 'source', 'column-name': 'region', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'EU' }] }] })));
  assert.notEqual(wrapped, src);
  const got: number[] = [];
  for await (const b of wrapped.read({} as never)) got.push(...b.events.map((e) => e.after!.id as number));
  assert.deepEqual(got, [1]);
  assert.deepEqual(await wrapped.signal!({ type: 'execute-snapshot', tables: [] }), { accepted: false, reason: 'x' });
});
