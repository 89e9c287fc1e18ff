/**
 * TABLE_MAP optional metadata (MySQL 8 binlog_row_metadata=MINIMAL/FULL) on hand-built fixtures, and the
 * column-name check Ferry runs with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTableMap } from '../../src/binlog/binlog-events.ts';
import { columnNamesDiffer, parseTableMapMetadata } from '../../src/binlog/table-map-metadata.ts';
import { packedInt, tableMapBody, type TableCol } from './mysql8-fixtures.ts';

const tlv = (type: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([type]), packedInt(value.length), value]);
const pstr = (s: string): Buffer => Buffer.concat([packedInt(Buffer.byteLength(s)), Buffer.from(s)]);
const nums = (...n: number[]): Buffer => Buffer.concat(n.map(packedInt));

// id INT UNSIGNED, name VARCHAR(10) utf8mb4, secret INT INVISIBLE, kind ENUM('a','b'), tags SET('x','y','z'),
// shape POINT, price DECIMAL(6,2), note VARCHAR(5) latin1
const COLS: TableCol[] = [
  { type: 3, meta: Buffer.alloc(0) },
  { type: 15, meta: Buffer.from([40, 0]) },
  { type: 3, meta: Buffer.alloc(0) },
  { type: 254, meta: Buffer.from([247, 1]) },
  { type: 254, meta: Buffer.from([248, 1]) },
  { type: 255, meta: Buffer.from([4]) },
  { type: 246, meta: Buffer.from([6, 2]) },
  { type: 15, meta: Buffer.from([5, 0]) },
];
const NAMES = ['id', 'name', 'secret', 'kind', 'tags', 'shape', 'price', 'note'];

const FULL = Buffer.concat([
  tlv(1, Buffer.from([0b10000000])), // numeric columns id, secret, price: only id unsigned
  tlv(2, nums(255, 1, 8)), // default utf8mb4_0900_ai_ci; character column 1 (note) is latin1_swedish_ci
  tlv(4, Buffer.concat(NAMES.map(pstr))),
  tlv(5, Buffer.concat([packedInt(3), pstr('x'), pstr('y'), pstr('z')])),
  tlv(6, Buffer.concat([packedInt(2), pstr('a'), pstr('b')])),
  tlv(7, nums(1)), // POINT
  tlv(8, nums(0)),
  tlv(10, nums(255)),
  tlv(12, Buffer.from([0b11011111])), // column 3 (secret) invisible
  tlv(99, Buffer.from([1, 2, 3])), // a field from a newer server: skipped
]);

test('optional metadata with binlog_row_metadata=FULL: every field type, unknown fields skipped', () => {
  const body = tableMapBody(12, 'shop', 'things', COLS, FULL);
  const t = parseTableMap(body, 0, body.length, 8);
  assert.equal(t.columnCount, 8);
  assert.deepEqual(t.optional, {
    unsigned: [true, false, false],
    defaultCharset: { collation: 255, exceptions: [[1, 8]] },
    columnNames: NAMES,
    setValues: [['x', 'y', 'z']],
    enumValues: [['a', 'b']],
    geometryTypes: [1],
    primaryKey: [[0, 0]],
    enumSetDefaultCharset: { collation: 255, exceptions: [] },
    visible: [true, true, false, true, true, true, true, true],
  });
});

test('optional metadata: MINIMAL fields, per-column charsets, primary key with prefixes, none at all', () => {
  const minimal = Buffer.concat([tlv(1, Buffer.from([0])), tlv(3, nums(255, 8)), tlv(9, nums(1, 4, 0, 0)), tlv(11, nums(45, 45))]);
  const body = tableMapBody(12, 'shop', 'things', COLS, minimal);
  assert.deepEqual(parseTableMap(body, 0, body.length, 8).optional, {
    unsigned: [false, false, false], columnCharsets: [255, 8], primaryKey: [[1, 4], [0, 0]], enumSetColumnCharsets: [45, 45],
  });
  const none = tableMapBody(12, 'shop', 'things', COLS);
  assert.equal(parseTableMap(none, 0, none.length, 8).optional, undefined);
});

test('optional metadata: a field running past the event is an error naming the table, when the metadata is read', () => {
  const bad = Buffer.concat([Buffer.from([4]), packedInt(40), pstr('id')]);
  const body = tableMapBody(12, 'shop', 'things', COLS, bad);
  // Parsed on first use only (a table map of an uncaptured or cached table never reads it)
  const map = parseTableMap(body, 0, body.length, 8);
  assert.equal(map.table, 'things');
  assert.throws(() => map.optional, /TABLE_MAP of shop\.things: table map metadata field 4 of 40 bytes runs past the event/);
  assert.throws(() => parseTableMapMetadata(Buffer.from([4, 3, 5, 0x61]), 0, 4, 1), /runs past/);
});

test('column names from the binlog against Ferry\'s schema: case-insensitive, order and count matter', () => {
  assert.equal(columnNamesDiffer(undefined, NAMES), null);
  assert.equal(columnNamesDiffer(['ID', 'Name'], ['id', 'name']), null);
  assert.equal(columnNamesDiffer(['id', 'b', 'c'], ['id', 'c', 'b']), "column 2 is `b` in the binlog, `c` in Ferry's schema");
  assert.equal(columnNamesDiffer(['id'], ['id', 'x']), "the binlog names 1 columns, Ferry's schema has 2");
});
