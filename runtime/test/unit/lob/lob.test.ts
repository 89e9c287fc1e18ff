// LOB stage units: UTF-8-safe truncation, LOB column detection, DMS lob-settings → policy, and the oversize handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateUtf8, truncateValue, isLobColumn, estimateEventBytes } from '../../../src/lob/lob-values.ts';
import { LobPolicies } from '../../../src/lob/lob-policy.ts';
import { LobProcessor } from '../../../src/lob/LobStage.ts';
import { sha256Hex, objectKey, type ClaimCheckStore } from '../../../src/lob/claim-check-store.ts';
import { lobSettingsSchema } from '../../../src/config/settings-schema.ts';
import type { ChangeEvent, TableSchema } from '../../../../core/src/types.ts';
import type { TableMapping } from '../../../src/config/table-mapping-schema.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
const ctx = { signal: new AbortController().signal, log: quiet };
const mapping = (extra: unknown[] = []): TableMapping => ({ rules: [
  { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'db', 'table-name': '%' } },
  ...extra,
] } as TableMapping);

const table: TableSchema = {
  id: { schema: 'db', table: 'docs' }, version: 1, primaryKey: ['id'],
  columns: [
    { name: 'id', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
    { name: 'title', type: { type: 'string' }, nullable: true, sourceType: 'varchar(100)' },
    { name: 'body', type: { type: 'string' }, nullable: false, sourceType: 'longtext' },
    { name: 'data', type: { type: 'bytes' }, nullable: true, sourceType: 'longblob' },
  ],
};

function event(after: Record<string, unknown>, before: Record<string, unknown> | null = null): ChangeEvent {
  return {
    op: before ? 'u' : 'c', key: { id: after.id }, before, after, tsMs: 1, table,
    source: { connector: 'mariadb', name: 'p', tsMs: 1, snapshot: 'false', db: 'db', table: 'docs', position: 'x' as never },
  };
}

class MemoryStore implements ClaimCheckStore {
  readonly objects = new Map<string, Buffer>();
  async put(t: { schema: string; table: string }, data: Buffer) {
    const sha256 = sha256Hex(data);
    const key = objectKey('p', t, sha256);
    this.objects.set(key, data);
    return { uri: `s3://b/${key}`, sha256, size: data.length };
  }
  async close() {}
}

test('truncateUtf8 never splits a character', () => {
  assert.equal(truncateUtf8('abcdef', 4), 'abcd');
  assert.equal(truncateUtf8('abc', 10), 'abc');
  assert.equal(truncateUtf8('aé', 2), 'a'); // é is 2 bytes: cutting after 2 bytes would split it
  assert.equal(truncateUtf8('aé', 3), 'aé');
  assert.equal(truncateUtf8('€€', 5), '€'); // € is 3 bytes
  assert.equal(truncateUtf8('a😀b', 4), 'a'); // a surrogate pair, 4 bytes in UTF-8
  assert.equal(truncateUtf8('a😀b', 5), 'a😀');
  assert.equal(truncateUtf8('x', 0), '');
  for (let n = 0; n <= 20; n++) {
    const s = truncateUtf8('ä€😀z'.repeat(3), n);
    assert.ok(Buffer.byteLength(s) <= n);
    assert.ok(!s.includes('\uFFFD'));
    assert.ok('ä€😀z'.repeat(3).startsWith(s));
  }
  assert.deepEqual(truncateValue(Buffer.from([1, 2, 3, 4]), 2), { value: Buffer.from([1, 2]), truncated: true });
  assert.deepEqual(truncateValue('abc', 3), { value: 'abc', truncated: false });
});

test('LOB columns: by source type or an unbounded string type; never key columns', () => {
  assert.deepEqual(table.columns.filter((c) => isLobColumn(c, table)).map((c) => c.name), ['body', 'data']);
  const pg: TableSchema = { ...table, primaryKey: ['t'], columns: [
    { name: 't', type: { type: 'string' }, nullable: false, sourceType: 'text' },
    { name: 'v', type: { type: 'string' }, nullable: true, sourceType: 'character varying' },
    { name: 'v30', type: { type: 'string' }, nullable: true, sourceType: 'character varying(30)' },
    { name: 'b', type: { type: 'bytes' }, nullable: true, sourceType: 'bytea' },
    { name: 'j', type: { type: 'string', logical: 'io.debezium.data.Json', version: 1 }, nullable: true, sourceType: 'jsonb' },
    { name: 'n', type: { type: 'int64' }, nullable: true, sourceType: 'bigint' },
  ] };
  assert.deepEqual(pg.columns.filter((c) => isLobColumn(c, pg)).map((c) => c.name), ['v', 'b', 'j']);
});

test('DMS lob-settings map onto Ferry modes; the lowest matching rule-id wins', () => {
  const cc = { bucket: 'bkt' };
  const ts = (id: string, table: string, lob: unknown) => ({ 'rule-type': 'table-settings', 'rule-id': id, 'rule-name': `t${id}`, 'object-locator': { 'schema-name': 'db', 'table-name': table }, 'lob-settings': lob });
  const rules = [ts('9', '%', { mode: 'unlimited' }), ts('3', 'lim%', { mode: 'limited', 'bulk-max-size': '8' }), ts('4', 'inl%', { mode: 'unlimited', 'bulk-max-size': '16' }), ts('5', 'non%', { mode: 'none' })];
  const p = new LobPolicies(lobSettingsSchema.parse({ mode: 'limited', maxSizeKb: 2, claimCheck: cc }), mapping(rules));
  assert.deepEqual(p.policy({ schema: 'db', table: 'limx' }), { mode: 'limited', maxBytes: 8192, thresholdBytes: 262144, from: 'table-settings rule 3' });
  assert.equal(p.policy({ schema: 'db', table: 'inlx' }).mode, 'inline');
  assert.equal(p.policy({ schema: 'db', table: 'inlx' }).thresholdBytes, 16384);
  assert.equal(p.policy({ schema: 'db', table: 'other' }).mode, 'full'); // rule 9: unlimited
  assert.deepEqual(p.policy({ schema: 'db', table: 'nonx' }), { mode: 'full', maxBytes: 2048, thresholdBytes: 262144, from: 'table-settings rule 9' }); // "none" defers: rule 9 then applies
  assert.deepEqual(p.policy({ schema: 'x', table: 'y' }), { mode: 'limited', maxBytes: 2048, thresholdBytes: 262144, from: 'settings.lob' });
  // Without a claim-check bucket, unlimited with bulk-max-size keeps values whole (full).
  assert.equal(new LobPolicies(lobSettingsSchema.parse({}), mapping(rules)).policy({ schema: 'db', table: 'inlx' }).mode, 'full');
  assert.equal(new LobPolicies(lobSettingsSchema.parse({}), mapping()).active, false);
  assert.equal(lobSettingsSchema.safeParse({ mode: 'claim-check' }).success, false);
});

test('limited: values truncated, flagged per image in __ferry_truncated; the schema gains the flag field', async () => {
  const p = new LobProcessor({ settings: lobSettingsSchema.parse({ mode: 'limited', maxSizeKb: 1 }), mapping: mapping(), log: quiet });
  const body = 'é'.repeat(700); // 1400 bytes
  const out = await p.process(event({ id: 1, title: 't', body, data: Buffer.alloc(10) }, { id: 1, title: 't', body: 'short', data: null }), ctx);
  assert.equal(out.after!.body, 'é'.repeat(512));
  assert.equal(out.after!.__ferry_truncated, 'body');
  assert.equal(out.before!.__ferry_truncated, null);
  assert.deepEqual(out.table.columns.map((c) => c.name), ['id', 'title', 'body', 'data', '__ferry_truncated']);
  assert.equal((await p.process(event({ id: 2, body: 'x' }), ctx)).table, out.table); // one schema object per table version
});

test('claim-check: large values replaced by a reference; the column becomes optional', async () => {
  const store = new MemoryStore();
  const p = new LobProcessor({ settings: lobSettingsSchema.parse({ mode: 'claim-check', claimCheck: { bucket: 'bkt', thresholdKb: 1 } }), mapping: mapping(), log: quiet, store });
  const big = Buffer.alloc(5000, 7);
  const out = await p.process(event({ id: 1, title: 't', body: 'small', data: big }), ctx);
  assert.equal(out.after!.data, null);
  assert.equal(out.after!.body, 'small');
  assert.equal(out.after!.body__ferry_ref, null);
  assert.deepEqual(JSON.parse(out.after!.data__ferry_ref as string), { uri: `s3://b/p/db/docs/${sha256Hex(big)}`, sha256: sha256Hex(big), size: 5000 });
  assert.equal(out.table.columns.find((c) => c.name === 'body')!.nullable, true);
  assert.deepEqual(out.table.columns.slice(4).map((c) => [c.name, c.type.logical]), [['body__ferry_ref', 'io.debezium.data.Json'], ['data__ferry_ref', 'io.debezium.data.Json']]);
});

test('oversize: truncate or claim-check the largest LOB values until the event fits; fail leaves it to the sink', async () => {
  const limit = 64 * 1024;
  const row = { id: 1, title: 't', body: 'a'.repeat(50_000), data: Buffer.alloc(40_000, 1) };
  const trunc = new LobProcessor({ settings: lobSettingsSchema.parse({ oversize: 'truncate' }), mapping: mapping(), maxMessageBytes: limit, log: quiet });
  const t = await trunc.process(event(row), ctx);
  assert.ok(estimateEventBytes(t.before, t.after, t.key) <= limit - 1024, 'fits with 1 KiB headroom');
  assert.equal(t.after!.__ferry_truncated, 'body');
  assert.equal((t.after!.data as Buffer).length, 40_000);
  // An update carrying the value in both images: both are cut.
  const t2 = await trunc.process(event(row, row), ctx);
  assert.ok(estimateEventBytes(t2.before, t2.after, t2.key) <= limit - 1024, 'fits with 1 KiB headroom');
  assert.equal(t2.before!.__ferry_truncated, 'body,data');

  const store = new MemoryStore();
  const cc = new LobProcessor({ settings: lobSettingsSchema.parse({ oversize: 'claim-check', claimCheck: { bucket: 'bkt' } }), mapping: mapping(), maxMessageBytes: limit, log: quiet, store });
  const c = await cc.process(event(row), ctx);
  assert.equal(c.after!.body, null);
  assert.equal(JSON.parse(c.after!.body__ferry_ref as string).size, 50_000);
  assert.equal((c.after!.data as Buffer).length, 40_000);
  assert.equal(c.after!.data__ferry_ref, null);
  assert.equal(store.objects.size, 1);
  // Small events pass with null references.
  assert.equal((await cc.process(event({ id: 2, body: 'x', data: null }), ctx)).after!.body, 'x');

  const fail = new LobProcessor({ settings: lobSettingsSchema.parse({}), mapping: mapping(), maxMessageBytes: limit, log: quiet });
  const e = event(row);
  assert.equal(await fail.process(e, ctx), e); // unchanged: KafkaEventSink stops the task with FERRY_EVENT_TOO_LARGE
  assert.equal(fail.active, false);
});
