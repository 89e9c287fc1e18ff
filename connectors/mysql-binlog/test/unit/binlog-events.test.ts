import { test } from 'node:test';
import assert from 'node:assert/strict';
import { framePacket, PacketFramer } from '../../src/binlog/packet-framer.ts';
import {
  EventType, parseFormatDescription, parseHeader, parseMariaDbGtid, parseMySqlGtid, parseQuery, parseRotate, parseTableMap,
  readLenenc, rowsBodyStart, rowsKind, rowsTableId,
} from '../../src/binlog/binlog-events.ts';
import { decodeRows, type TableDecoder } from '../../src/binlog/rows-event.ts';
import type { Cursor } from '../../src/binlog/row-values.ts';

/** A packet as the server frames it: 3-byte length, sequence id, payload. */
function wire(payload: Buffer, seq: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}

test('framer: whole payloads from arbitrary chunking, including a split 3-byte length', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(70000, 7)];
  const bytes = Buffer.concat(payloads.map((p, i) => wire(p, i)));
  for (const size of [1, 2, 3, 5, 4096, bytes.length]) {
    const f = new PacketFramer();
    const got: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      f.push(bytes.subarray(i, i + size));
      for (let p = f.next(); p !== null; p = f.next()) got.push(Buffer.from(p));
    }
    assert.deepEqual(got, payloads, `chunk size ${size}`);
    assert.equal(f.buffered, 0);
  }
});

test('framer: a payload of 16 MiB - 1 or more arrives as 0xffffff-byte packets plus a shorter one, and is joined', () => {
  const big = Buffer.alloc(0xffffff + 10);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  const exact = Buffer.alloc(0xffffff, 3); // exactly the maximum: followed by an empty packet
  const bytes = Buffer.concat([
    wire(big.subarray(0, 0xffffff), 1), wire(big.subarray(0xffffff), 2),
    wire(exact, 3), wire(Buffer.alloc(0), 4),
    wire(Buffer.from('x'), 5),
  ]);
  const f = new PacketFramer();
  const got: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 1 << 20) {
    f.push(bytes.subarray(i, i + (1 << 20)));
    for (let p = f.next(); p !== null; p = f.next()) got.push(p);
  }
  assert.equal(got.length, 3);
  assert.ok(got[0]!.equals(big));
  assert.ok(got[1]!.equals(exact));
  assert.equal(got[2]!.toString(), 'x');
});

test('framer: releaseChunks() between reads (as the client calls it) changes no payload, whatever the chunking', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(9000, 5), Buffer.from('hello world'), Buffer.alloc(70000, 7), Buffer.alloc(20000, 9)];
  const bytes = Buffer.concat(payloads.map((p, i) => wire(p, i)));
  for (const size of [1, 3, 5, 4096, 65536, bytes.length]) {
    const f = new PacketFramer();
    const got: Buffer[] = [];
    let held: Buffer[] = [];
    let released = 0;
    for (let i = 0; i < bytes.length; i += size) {
      // Each chunk is its own copy, overwritten once let go of: a payload must not depend on a released chunk.
      const chunk = Buffer.from(bytes.subarray(i, i + size));
      held.push(chunk);
      f.push(chunk);
      for (let p = f.next(); p !== null; p = f.next()) got.push(Buffer.from(p));
      if (f.releaseChunks()) {
        for (const c of held) c.fill(0xee);
        released += held.length;
        held = [];
      }
    }
    assert.deepEqual(got, payloads, `chunk size ${size}`);
    assert.equal(f.buffered, 0);
    assert.ok(released > 0, `chunk size ${size}: chunks were released`);
  }
});

test('framer: releaseChunks() copies a small unread tail and lets the chunk go; a large tail stays where it is', () => {
  const first = Buffer.alloc(3000, 1);
  const second = Buffer.alloc(40000, 2);
  const bytes = Buffer.concat([wire(first, 0), wire(second, 1)]);
  /** One chunk: the first packet, then `tail` bytes of the second; the chunk is overwritten after releaseChunks(). */
  const secondAfter = (tail: number): { released: boolean; payload: Buffer } => {
    const f = new PacketFramer();
    const chunk = Buffer.from(bytes.subarray(0, 3004 + tail));
    f.push(chunk);
    assert.ok(f.next()!.equals(first));
    assert.equal(f.next(), null);
    const released = f.releaseChunks();
    assert.equal(f.buffered, tail);
    chunk.fill(0xee, 3004 + 4); // the socket's chunk, reused elsewhere (from the payload of the second packet on)
    f.push(Buffer.from(bytes.subarray(3004 + tail)));
    return { released, payload: f.next()! };
  };
  const small = secondAfter(100);
  assert.equal(small.released, true);
  assert.ok(small.payload.equals(second), 'the small tail was copied before the chunk was let go');
  // A tail of more than 16 KiB is left in its chunk (copying it for every chunk of a large packet would be quadratic).
  const large = secondAfter(30000);
  assert.equal(large.released, false);
  assert.ok(large.payload.subarray(0, 100).every((b) => b === 0xee), 'the large tail was not copied');
});

test('framePacket writes the header the server expects', () => {
  assert.equal(framePacket(Buffer.from([0x12, 1, 2]), 0).toString('hex'), '030000' + '00' + '120102');
});

/** A v4 event: header + body (+ CRC placeholder when `checksum`). */
function event(type: number, body: Buffer, o: { ts?: number; serverId?: number; nextPos?: number } = {}): Buffer {
  const h = Buffer.alloc(19);
  h.writeUInt32LE(o.ts ?? 1700000000, 0);
  h[4] = type;
  h.writeUInt32LE(o.serverId ?? 1, 5);
  h.writeUInt32LE(19 + body.length, 9);
  h.writeUInt32LE(o.nextPos ?? 0, 13);
  return Buffer.concat([h, body]);
}

test('header fields', () => {
  const e = event(EventType.XID, Buffer.alloc(8), { ts: 1234, serverId: 77, nextPos: 999 });
  assert.deepEqual(parseHeader(e, 0), { timestamp: 1234, type: 16, serverId: 77, size: 27, nextPos: 999, flags: 0 });
  assert.throws(() => parseHeader(Buffer.alloc(10), 0), /shorter than its header/);
});

test('rotate and query', () => {
  const rot = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('mysql-bin.000042')]);
  assert.deepEqual(parseRotate(rot, 0, rot.length), { file: 'mysql-bin.000042', pos: 4 });
  // thread id, exec time, schema length 2, error code, status vars length 3, status vars, 'db', NUL, query
  const post = Buffer.alloc(13);
  post[8] = 2;
  post.writeUInt16LE(3, 11);
  const q = Buffer.concat([post, Buffer.from([9, 9, 9]), Buffer.from('db\0'), Buffer.from('ALTER TABLE t ADD c INT -- é')]);
  assert.deepEqual(parseQuery(q, 0, q.length), { schema: 'db', query: 'ALTER TABLE t ADD c INT -- é' });
});

test('format description: checksum algorithm and post-header lengths', () => {
  const body = Buffer.alloc(2 + 50 + 4 + 1);
  body.writeUInt16LE(4, 0);
  body.write('10.11.6-MariaDB-0+deb12u1-log', 2, 'latin1');
  body[56] = 19;
  const ph = Buffer.from([56, 13, 0, 8, 0, 18, 0, 4, 4, 4, 4, 18, 0, 0, 245, 0, 0, 0, 8, 0, 8, 8, 8, 10, 10, 10]);
  for (const alg of [0, 1]) {
    const full = Buffer.concat([body, ph, Buffer.from([alg]), Buffer.alloc(4)]);
    const f = parseFormatDescription(full, 0, full.length);
    assert.equal(f.serverVersion, '10.11.6-MariaDB-0+deb12u1-log');
    assert.equal(f.checksum, alg === 1);
    assert.deepEqual([...f.postHeaderLengths], [...ph]);
  }
});

test('GTIDs: MariaDB domain-server-seq with its standalone flag, MySQL uuid:gno', () => {
  const m = Buffer.alloc(13);
  m.writeBigUInt64LE(18446744073709551615n, 0);
  m.writeUInt32LE(3, 8);
  m[12] = 1;
  assert.deepEqual(parseMariaDbGtid(m, 0, 42), { gtid: '3-42-18446744073709551615', standalone: true });
  m[12] = 0x0c;
  assert.equal(parseMariaDbGtid(m, 0, 42).standalone, false);
  const g = Buffer.alloc(25);
  g[0] = 1;
  Buffer.from('3e11fa4771ca11e19e33c80aa9429562', 'hex').copy(g, 1);
  g.writeBigUInt64LE(23n, 17);
  assert.equal(parseMySqlGtid(g, 0), '3e11fa47-71ca-11e1-9e33-c80aa9429562:23');
});

test('length-encoded integers', () => {
  const c = { pos: 0 };
  const b = Buffer.from([0xfa, 0xfc, 0x34, 0x12, 0xfd, 1, 2, 3, 0xfe, 1, 0, 0, 0, 1, 0, 0, 0]);
  assert.equal(readLenenc(b, c), 250);
  assert.equal(readLenenc(b, c), 0x1234);
  assert.equal(readLenenc(b, c), 0x030201);
  assert.equal(readLenenc(b, c), 2 ** 32 + 1);
  assert.equal(c.pos, b.length);
  assert.throws(() => readLenenc(Buffer.from([0xff]), { pos: 0 }), /invalid length-encoded/);
});

test('table map', () => {
  const b = Buffer.concat([
    Buffer.from([0x2a, 0, 0, 0, 0, 0, 1, 0]), // table id 42, flags
    Buffer.from([3]), Buffer.from('shp\0'), Buffer.from([6]), Buffer.from('orders\0'),
    Buffer.from([3, 3, 15, 246]), // 3 columns: LONG, VARCHAR, NEWDECIMAL
    Buffer.from([4, 0x2c, 0x01, 10, 2]), // metadata: varchar max 300, decimal(10,2)
    Buffer.from([0b110]), // nullability
  ]);
  const t = parseTableMap(b, 0, b.length, 8);
  assert.equal(t.tableId, 42);
  assert.equal(t.schema, 'shp');
  assert.equal(t.table, 'orders');
  assert.equal(t.columnCount, 3);
  assert.deepEqual([...t.columnTypes], [3, 15, 246]);
  assert.deepEqual([...t.metadata], [0x2c, 0x01, 10, 2]);
});

/** A decoder reading one little-endian int32 (a stand-in for row-values.ts). */
const int32 = (c: Cursor) => { const v = c.buf.readInt32LE(c.pos); c.pos += 4; return v; };
const T: TableDecoder = { schema: 's', table: 't', names: ['a', 'b', 'c'], decoders: [int32, int32, int32] };

function int(v: number): Buffer { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; }

test('rows events: v1 write with nulls, v2 update with extra data, images decoded exactly', () => {
  // WRITE_ROWS_v1: table id, flags, column count 3, present 0b111, then two rows
  const w = Buffer.concat([
    Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([3, 0b111]),
    Buffer.from([0b000]), int(1), int(-2), int(3),
    Buffer.from([0b010]), int(4), int(6),
  ]);
  assert.equal(rowsTableId(w, 0, 8), 7);
  assert.equal(rowsKind(EventType.WRITE_ROWS_V1), 'write');
  assert.deepEqual(decodeRows(w, rowsBodyStart(w, 0, EventType.WRITE_ROWS_V1, 8), w.length, 'write', T), [{ a: 1, b: -2, c: 3 }, { a: 4, b: null, c: 6 }]);
  // UPDATE_ROWS_v2: table id, flags, extra-data length 4 (2 bytes of extra), column count, two bitmaps, before, after
  const u = Buffer.concat([
    Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0xaa, 0xbb]), Buffer.from([3, 0b111, 0b111]),
    Buffer.from([0b100]), int(1), int(2), Buffer.from([0b000]), int(1), int(20), int(30),
  ]);
  assert.equal(rowsKind(EventType.UPDATE_ROWS_V2), 'update');
  assert.deepEqual(decodeRows(u, rowsBodyStart(u, 0, EventType.UPDATE_ROWS_V2, 10), u.length, 'update', T), [
    { before: { a: 1, b: 2, c: null }, after: { a: 1, b: 20, c: 30 } },
  ]);
  // a partial image (MINIMAL): only a and c present
  const d = Buffer.concat([Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([3, 0b101]), Buffer.from([0b10]), int(5)]);
  assert.deepEqual(decodeRows(d, rowsBodyStart(d, 0, EventType.DELETE_ROWS_V1, 8), d.length, 'delete', T), [{ a: 5, c: null }]);
  // a column count that differs from the table map is an error, not a misread
  const bad = Buffer.concat([Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([2, 0b11, 0]), int(1), int(2)]);
  assert.throws(() => decodeRows(bad, 8, bad.length, 'write', T), /has 2 columns, its table map 3/);
});
