/**
 * MySQL 8.0 / 8.4 binlog paths on hand-built byte fixtures (mysql8-fixtures.ts): compressed transactions
 * (TRANSACTION_PAYLOAD), partial JSON updates (PARTIAL_UPDATE_ROWS), GTID events with the 8.0 fields and tagged
 * GTIDs (8.4). The events go through EventDispatcher, the code the binlog client runs on every packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FerryError } from '../../../../core/src/errors.ts';
import { EventType } from '../../src/binlog/binlog-events.ts';
import { EventDispatcher, type BinlogEvent } from '../../src/binlog-dispatch.ts';
import { RowCodec } from '../../src/row-codec.ts';
import { compareLogOrder, earliest, withGtid } from '../../src/binlog-position.ts';
import { comparePositions, parseBinlogPosition } from '../../../../core/src/position.ts';
import { addGtid } from '../../src/binlog/gtid.ts';
import {
  event, formatDescription, gtidBody, int32, jdoc, json, jsonDiffs, packet, packedInt, payloadBody, queryBody, rotate, rowsHeader,
  tableMapBody, varchar, xidBody, type TableCol,
} from './mysql8-fixtures.ts';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const FILE = 'binlog.000007';
const START = 127; // after the format description

const codec = new RowCodec({
  schema: 'shop', table: 'items', primaryKey: ['id'], charset: 'utf8mb4',
  columns: [
    { name: 'id', columnType: 'int', nullable: false, charset: null },
    { name: 'name', columnType: 'varchar(20)', nullable: true, charset: 'utf8mb4' },
    { name: 'doc', columnType: 'json', nullable: true, charset: null },
    { name: 'extra', columnType: 'json', nullable: true, charset: null },
  ],
}, 1);
const COLS: TableCol[] = [
  { type: 3, meta: Buffer.alloc(0) }, // LONG
  { type: 15, meta: Buffer.from([80, 0]) }, // VARCHAR(20) utf8mb4: 80 bytes
  { type: 245, meta: Buffer.from([4]) }, // JSON
  { type: 245, meta: Buffer.from([4]) },
];

/** Events of one stream, each [type, body]; positions assigned from START on, CRC32 appended. */
function stream(events: Array<[number, Buffer]>): { packets: Buffer[]; ends: number[] } {
  let pos = START;
  const ends: number[] = [];
  const packets = [packet(rotate(FILE)), packet(formatDescription())];
  for (const [type, body] of events) {
    pos += 19 + body.length + 4;
    ends.push(pos);
    packets.push(packet(event(type, body, { nextPos: pos, checksum: true })));
  }
  return { packets, ends };
}

/** Feeds packets through a dispatcher as the client does (inner events of a payload first); the events it reports. */
function run(packets: Buffer[]): BinlogEvent[] {
  const out: BinlogEvent[] = [];
  const d = new EventDispatcher({
    handler: { captured: () => true, codecFor: () => codec, onEvent: (ev) => { out.push(ev); }, onError: (e) => { throw e; } },
    block: () => { throw new Error('nothing blocks here'); }, file: FILE, pos: 4, checksum: true,
  });
  for (const p of packets) {
    d.packet(p);
    while (d.step()) { /* the payload's events */ }
  }
  return out;
}

const strip = (evs: BinlogEvent[]) => evs.filter((e) => e.type !== 'format').map((e) => {
  if (e.type === 'rows') return { type: e.type, kind: e.kind, rows: e.rows };
  if (e.type === 'gtid') return { type: e.type, gtid: e.gtid };
  if (e.type === 'query') return { type: e.type, query: e.query, pos: e.pos };
  if (e.type === 'xid') return { type: e.type, pos: e.pos };
  return e;
});

/** The inner events of one transaction: BEGIN, TABLE_MAP, WRITE_ROWS (2 rows), XID; no checksums, positions 0. */
function transaction(): Array<[number, Buffer]> {
  return [
    [EventType.QUERY, queryBody('shop', 'BEGIN')],
    [EventType.TABLE_MAP, tableMapBody(91, 'shop', 'items', COLS)],
    [EventType.WRITE_ROWS_V2, Buffer.concat([
      rowsHeader(91), packedInt(4), Buffer.from([0x0f]),
      Buffer.from([0b1000]), int32(1), varchar('första'), json(jdoc({ a: 1, list: [1, 'x', null] })),
      Buffer.from([0b1110]), int32(2),
    ])],
    [EventType.XID, xidBody(77)],
  ];
}

/**
 * A transaction's events as a payload holds them: no checksums; end_log_pos values that are not positions in the
 * file (whatever the writer put there must not leak into Ferry's positions).
 */
const innerEvents = (evs: Array<[number, Buffer]>): Buffer[] => evs.map(([type, body], i) => event(type, body, { nextPos: 50 + i }));

const EXPECTED_ROWS = [
  { id: 1, name: 'första', doc: '{"a": 1, "list": [1, "x", null]}', extra: null },
  { id: 2, name: null, doc: null, extra: null },
];

for (const compression of ['zstd', 'none'] as const) {
  test(`TRANSACTION_PAYLOAD (${compression}): the same rows as the uncompressed transaction, every inner event at the payload's end`, () => {
    const gtid: [number, Buffer] = [EventType.GTID, gtidBody(UUID, 42, { immediateUs: 1_700_000_000_000_000, txLength: 300 })];
    const plain = stream([gtid, ...transaction()]);
    const inner = innerEvents(transaction());
    const packed = stream([gtid, [EventType.TRANSACTION_PAYLOAD, payloadBody(inner, compression)]]);
    const a = strip(run(plain.packets));
    const b = strip(run(packed.packets));
    assert.deepEqual(a.find((e) => e.type === 'rows'), { type: 'rows', kind: 'write', rows: EXPECTED_ROWS });
    assert.deepEqual(b.map((e) => e.type), ['gtid', 'query', 'rows', 'xid']);
    assert.deepEqual(b.find((e) => e.type === 'rows'), a.find((e) => e.type === 'rows'));
    assert.deepEqual(b[0], { type: 'gtid', gtid: `${UUID}:42` });
    const payloadEnd = packed.ends[1]!;
    assert.deepEqual(b.filter((e) => 'pos' in e).map((e) => (e as { pos: number }).pos), [payloadEnd, payloadEnd], 'BEGIN and XID both at the payload end');
    assert.equal((a.find((e) => e.type === 'xid') as { pos: number }).pos, plain.ends[4]);
  });
}

test('TRANSACTION_PAYLOAD: two payloads in a row, and a table map reused across them', () => {
  const tx = transaction();
  const second: Array<[number, Buffer]> = [tx[0]!, tx[1]!, [EventType.DELETE_ROWS_V2, Buffer.concat([rowsHeader(91), packedInt(4), Buffer.from([0x0f]), Buffer.from([0b1110]), int32(2)])], [EventType.XID, xidBody(78)]];
  const s = stream([
    [EventType.TRANSACTION_PAYLOAD, payloadBody(innerEvents(tx), 'zstd')],
    [EventType.TRANSACTION_PAYLOAD, payloadBody(innerEvents(second), 'zstd')],
  ]);
  const evs = strip(run(s.packets));
  assert.deepEqual(evs.filter((e) => e.type === 'xid'), [{ type: 'xid', pos: s.ends[0] }, { type: 'xid', pos: s.ends[1] }]);
  assert.deepEqual(evs.filter((e) => e.type === 'rows').map((e) => (e as { kind: string }).kind), ['write', 'delete']);
});

test('TRANSACTION_PAYLOAD: corrupt or inconsistent payloads are coded errors naming the position', () => {
  const inner = transaction().map(([t, b]) => event(t, b));
  const good = payloadBody(inner, 'zstd');
  const headerEnd = good.length - (good.length - good.indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))); // zstd magic
  const cases: Array<[string, Buffer, RegExp]> = [
    ['corrupt zstd data', Buffer.concat([good.subarray(0, headerEnd + 8), Buffer.alloc(good.length - headerEnd - 8, 0x55)]), /cannot decode the compressed transaction .* at binlog\.000007:127/],
    ['unknown compression', Buffer.concat([Buffer.from([2, 1, 7, 1, 1, 0, 0])]), /unknown compression type 7/],
    ['payload size mismatch', Buffer.concat([Buffer.from([2, 3, 0xfc, 0xff, 0x00, 1, 1, 50, 0]), Buffer.alloc(3)]) /* NONE is 255: packed as 0xfc ff 00 */, /payload size 50 but 3 bytes follow/],
    ['inner event overruns', payloadBody([inner[0]!.subarray(0, 25)], 'none'), /claims \d+ bytes, 25 remain/],
  ];
  for (const [what, body, re] of cases) {
    const s = stream([[EventType.TRANSACTION_PAYLOAD, body]]);
    assert.throws(() => run(s.packets), (e: unknown) => {
      assert.ok(e instanceof FerryError, what);
      assert.equal(e.code, 'FERRY_SOURCE_ERROR', what);
      assert.equal(e.disposition, 'fatal', what);
      assert.match(e.message, re, what);
      assert.match(e.message, /binlog\.000007:127/, what);
      return true;
    });
  }
});

/** A PARTIAL_UPDATE_ROWS event of one row of `items`. */
function partialUpdate(before: { doc: Buffer | null; extra: Buffer | null }, after: Buffer, o: { presentAfter?: number } = {}): Buffer {
  const nulls = (before.doc === null ? 0b0100 : 0) | (before.extra === null ? 0b1000 : 0);
  return Buffer.concat([
    rowsHeader(91), packedInt(4), Buffer.from([0x0f]), Buffer.from([o.presentAfter ?? 0x0f]),
    Buffer.from([nulls]), int32(5), varchar('n'), ...(before.doc ? [json(before.doc)] : []), ...(before.extra ? [json(before.extra)] : []),
    after,
  ]);
}

function partialRows(body: Buffer): unknown {
  const s = stream([[EventType.TABLE_MAP, tableMapBody(91, 'shop', 'items', COLS)], [EventType.PARTIAL_UPDATE_ROWS, body]]);
  const rows = strip(run(s.packets)).filter((e) => e.type === 'rows');
  assert.equal(rows.length, 1);
  assert.equal((rows[0] as { kind: string }).kind, 'update');
  return (rows[0] as { rows: unknown }).rows;
}

const BEFORE = { a: 1, b: [1, 2, 3], c: { d: 'x', 'k y': true } };

test('PARTIAL_UPDATE_ROWS: REPLACE, INSERT and REMOVE on nested paths and arrays give the whole document', () => {
  const cases: Array<[string, Parameters<typeof jsonDiffs>[0], string]> = [
    ['replace a member', [{ op: 0, path: '$.a', value: 10 }], '{"a": 10, "b": [1, 2, 3], "c": {"d": "x", "k y": true}}'],
    ['replace an element', [{ op: 0, path: '$.b[2]', value: 'three' }], '{"a": 1, "b": [1, 2, "three"], "c": {"d": "x", "k y": true}}'],
    ['insert into an array', [{ op: 1, path: '$.b[1]', value: 9 }], '{"a": 1, "b": [1, 9, 2, 3], "c": {"d": "x", "k y": true}}'],
    ['insert past the end appends', [{ op: 1, path: '$.b[7]', value: null }], '{"a": 1, "b": [1, 2, 3, null], "c": {"d": "x", "k y": true}}'],
    ['insert a member: MySQL key order', [{ op: 1, path: '$.aa', value: [] }, { op: 1, path: '$.B', value: false }], '{"B": false, "a": 1, "b": [1, 2, 3], "c": {"d": "x", "k y": true}, "aa": []}'],
    ['remove nested, quoted key', [{ op: 2, path: '$.c."k y"' }, { op: 2, path: '$.b[0]' }], '{"a": 1, "b": [2, 3], "c": {"d": "x"}}'],
    ['a nested object value', [{ op: 0, path: '$.c.d', value: { z: [1, { y: 'w' }] } }], '{"a": 1, "b": [1, 2, 3], "c": {"d": {"z": [1, {"y": "w"}]}, "k y": true}}'],
    ['replace the whole document', [{ op: 0, path: '$', value: [1] }], '[1]'],
  ];
  for (const [what, diffs, expected] of cases) {
    // value_options = PARTIAL_JSON_UPDATES; partial bits: doc (JSON column 0) yes, extra (1) no
    const after = Buffer.concat([packedInt(1), Buffer.from([0b01]), Buffer.from([0b1000]), int32(5), varchar('n'), jsonDiffs(diffs)]);
    assert.deepEqual(partialRows(partialUpdate({ doc: jdoc(BEFORE), extra: null }, after)), [{
      before: { id: 5, name: 'n', doc: JSON.stringify(BEFORE).replace(/,/g, ', ').replace(/":/g, '": '), extra: null },
      after: { id: 5, name: 'n', doc: expected, extra: null },
    }], what);
  }
});

test('PARTIAL_UPDATE_ROWS: partial bits per JSON column, full values without the option, and the shared after bitmap', () => {
  const extraBefore = jdoc({ k: 1 });
  // only the second JSON column is partial; the first gets a whole new value
  const after = Buffer.concat([packedInt(1), Buffer.from([0b10]), Buffer.from([0]), int32(5), varchar('m'), json(jdoc({ whole: true })), jsonDiffs([{ op: 1, path: '$.l', value: 2 }])]);
  assert.deepEqual(partialRows(partialUpdate({ doc: jdoc(BEFORE), extra: extraBefore }, after)), [{
    before: { id: 5, name: 'n', doc: '{"a": 1, "b": [1, 2, 3], "c": {"d": "x", "k y": true}}', extra: '{"k": 1}' },
    after: { id: 5, name: 'm', doc: '{"whole": true}', extra: '{"k": 1, "l": 2}' },
  }]);
  // value_options 0: no partial bitmap at all, every value whole
  const plain = Buffer.concat([packedInt(0), Buffer.from([0b0100]), int32(5), varchar('n'), json(jdoc([3]))]);
  assert.deepEqual(partialRows(partialUpdate({ doc: jdoc(BEFORE), extra: extraBefore }, plain)), [{
    before: { id: 5, name: 'n', doc: '{"a": 1, "b": [1, 2, 3], "c": {"d": "x", "k y": true}}', extra: '{"k": 1}' },
    after: { id: 5, name: 'n', doc: null, extra: '[3]' },
  }]);
  // an after image without `name` (bitmap 0b1101): the null bitmap covers 3 columns, the partial bits still 2
  const shared = Buffer.concat([packedInt(1), Buffer.from([0b01]), Buffer.from([0b100]), int32(5), jsonDiffs([{ op: 2, path: '$.a' }])]);
  assert.deepEqual(partialRows(partialUpdate({ doc: jdoc({ a: 1, b: 2 }), extra: null }, shared, { presentAfter: 0b1101 })), [{
    before: { id: 5, name: 'n', doc: '{"a": 1, "b": 2}', extra: null },
    after: { id: 5, doc: '{"b": 2}', extra: null },
  }]);
});

test('PARTIAL_UPDATE_ROWS: a diff that does not apply, or without a before value, stops with a coded error naming the setting', () => {
  const cases: Array<[string, Buffer, { doc: Buffer | null; extra: Buffer | null }, RegExp]> = [
    ['missing member', jsonDiffs([{ op: 0, path: '$.nope', value: 1 }]), { doc: jdoc(BEFORE), extra: null }, /REPLACE \$\.nope: no such member/],
    ['index past the end', jsonDiffs([{ op: 2, path: '$.b[3]' }]), { doc: jdoc(BEFORE), extra: null }, /no element 3/],
    ['parent not an array', jsonDiffs([{ op: 1, path: '$.a[0]', value: 1 }]), { doc: jdoc(BEFORE), extra: null }, /parent is not an array/],
    ['SQL NULL before', jsonDiffs([{ op: 1, path: '$.a', value: 1 }]), { doc: null, extra: null }, /no before value/],
  ];
  for (const [what, diff, before, re] of cases) {
    const after = Buffer.concat([packedInt(1), Buffer.from([0b01]), Buffer.from([0b1000]), int32(5), varchar('n'), diff]);
    assert.throws(() => partialRows(partialUpdate(before, after)), (e: unknown) => {
      assert.ok(e instanceof FerryError, what);
      assert.equal(e.code, 'FERRY_SOURCE_ERROR', what);
      assert.match(e.message, re, what);
      assert.match(e.message, /shop\.items at binlog\.000007:\d+.*binlog_row_value_options=''/s, what);
      return true;
    });
  }
});

test('GTID events with the MySQL 8.0 body (logical clock, commit timestamps, transaction length, server versions): the GTID of the transaction, the body skipped', () => {
  const b = gtidBody(UUID, 1234567, { lastCommitted: 11, seq: 12, immediateUs: 1_733_500_000_123_456, originalUs: 1_733_499_999_000_001, txLength: 70000, serverVersion: 80400, originalServerVersion: 80036 });
  const old = gtidBody(UUID, 3); // a 5.7-era event: the post-header only
  assert.deepEqual(strip(run(stream([[EventType.GTID, old]]).packets)), [{ type: 'gtid', gtid: `${UUID}:3` }]);
  // through the dispatcher: the GTID of the transaction
  const evs = strip(run(stream([[EventType.GTID, b]]).packets));
  assert.deepEqual(evs, [{ type: 'gtid', gtid: `${UUID}:1234567` }]);
});

test('GTID_TAGGED_LOG_EVENT (MySQL 8.4 tagged GTIDs): a coded error, never a silently dropped GTID', () => {
  const s = stream([[EventType.GTID_TAGGED, Buffer.from([0x02, 0x5a, 0x00])]]);
  assert.throws(() => run(s.packets), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_PREREQUISITE' && /tagged GTID .* at binlog\.000007:\d+/.test(e.message) && /gtid_next/.test(e.message));
});

test('positions with MySQL GTID sets: round trip with several sources, log order decided by file and offset only', () => {
  const set = `${UUID}:1-100:102,ffffffff-0000-0000-0000-000000000001:1-5`;
  const a = withGtid({ file: 'binlog.000002', pos: 900 }, set);
  assert.deepEqual(parseBinlogPosition(a), { file: 'binlog.000002', pos: 900, gtid: set });
  // a later position whose GTID text sorts first: still later
  const b = withGtid({ file: 'binlog.000002', pos: 1000 }, `00000000-0000-0000-0000-000000000000:1,${UUID}:1-101`);
  const c = withGtid({ file: 'binlog.000010', pos: 4 }, undefined);
  assert.ok(compareLogOrder(a, b) < 0 && compareLogOrder(b, c) < 0);
  assert.ok(comparePositions(a, b) < 0 && comparePositions(b, c) < 0);
  assert.equal(earliest([c, b, a]), a);
  // the GTID of a transaction added to the set (DDL checkpoints)
  assert.equal(addGtid(`${UUID}:1-100:102`, `${UUID}:101`, false), `${UUID}:1-102`);
});

test('TRANSACTION_PAYLOAD: a schema lookup pending inside a payload holds the rest of it, which then resumes in order', async () => {
  const out: string[] = [];
  let pending: Promise<unknown> | null = null;
  const d = new EventDispatcher({
    handler: {
      captured: () => true,
      codecFor: () => new Promise((resolve) => setTimeout(() => { out.push('codec'); resolve(codec); }, 20)),
      onEvent: (ev) => { out.push(ev.type === 'xid' ? `xid@${ev.pos}` : ev.type); },
      onError: (e) => { throw e; },
    },
    block: (p) => { pending = p; }, file: FILE, pos: 4, checksum: true,
  });
  const s = stream([[EventType.TRANSACTION_PAYLOAD, payloadBody(innerEvents(transaction()), 'zstd')]]);
  // the client's loop: the payload's events before the next packet, nothing while a promise is pending
  for (const p of s.packets) {
    d.packet(p);
    for (;;) {
      if (pending) { await pending; pending = null; continue; }
      if (!d.step()) break;
    }
  }
  assert.deepEqual(out, ['format', 'query', 'codec', 'rows', `xid@${s.ends[0]}`]);
});

test('TABLE_MAP: a map repeated byte for byte reuses its entry; another table under the same id, or a forgotten table, is looked up again', () => {
  const looked: string[] = [];
  const rows: unknown[] = [];
  const d = new EventDispatcher({
    handler: {
      captured: () => true,
      codecFor: (map) => { looked.push(`${map.schema}.${map.table}`); return codec; },
      onEvent: (ev) => { if (ev.type === 'rows') rows.push(ev.rows); },
      onError: (e) => { throw e; },
    },
    block: () => { throw new Error('nothing blocks here'); }, file: FILE, pos: 4, checksum: true,
  });
  const write = (id: number) => Buffer.concat([rowsHeader(id), packedInt(4), Buffer.from([0x0f]), Buffer.from([0b1110]), int32(id)]);
  const { packets } = stream([
    [EventType.TABLE_MAP, tableMapBody(91, 'shop', 'items', COLS)], [EventType.WRITE_ROWS_V2, write(91)], [EventType.XID, xidBody(1)],
    [EventType.TABLE_MAP, tableMapBody(91, 'shop', 'items', COLS)], [EventType.WRITE_ROWS_V2, write(91)], [EventType.XID, xidBody(2)],
    [EventType.TABLE_MAP, tableMapBody(91, 'shop', 'other', COLS)], [EventType.WRITE_ROWS_V2, write(91)], [EventType.XID, xidBody(3)],
    [EventType.TABLE_MAP, tableMapBody(91, 'shop', 'other', COLS)], [EventType.WRITE_ROWS_V2, write(91)], [EventType.XID, xidBody(4)],
  ]);
  const [, , ...events] = packets;
  d.packet(packets[0]!);
  d.packet(packets[1]!);
  for (const p of events.slice(0, 6)) d.packet(p);
  assert.deepEqual(looked, ['shop.items']);
  for (const p of events.slice(6, 9)) d.packet(p);
  assert.deepEqual(looked, ['shop.items', 'shop.other']);
  d.forgetTable('shop', 'other');
  for (const p of events.slice(9)) d.packet(p);
  assert.deepEqual(looked, ['shop.items', 'shop.other', 'shop.other']);
  assert.deepEqual(rows, Array.from({ length: 4 }, () => [{ id: 91, name: null, doc: null, extra: null }]));
});
