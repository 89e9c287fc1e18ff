import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent, Column, FieldType, Row, SourceInfo, TableSchema } from '../../../core/src/types.ts';
import { binlogPosition, lsnPosition } from '../../../core/src/position.ts';
import { avroSchemaToString, KNOWN_LOGICAL_TYPES } from '../../src/avro-mapping.ts';
import { avscType, LONG_TYPE } from '../../src/avro-types.ts';
import { bytesToDecimal, bytesToUnscaled, decimalToBytes, unscaledToBytes } from '../../src/decimal.ts';
import { decodeWire, encodeWire, EventEncoder, readWireHeader, WireDecoder, writeWireHeader } from '../../src/event-encoder.ts';
import { MYSQL_ALL_TYPES } from './fixtures.ts';

/** avsc decodes records into generated classes; compare as plain data. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(plain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** Independent reference: zig-zag varint of a bigint. */
function refLong(v: bigint): Buffer {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  do {
    const b = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z > 0n ? b | 0x80 : b);
  } while (z > 0n);
  return Buffer.from(out);
}

describe('int64', () => {
  const values = [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 31n, -(2n ** 31n), 2n ** 52n - 1n, 2n ** 52n + 1n, -(2n ** 52n) - 1n,
    2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), 1700000000123456789n];
  it('encodes exactly like a reference zig-zag varint, from bigint and from number', () => {
    for (const v of values) {
      assert.deepEqual(LONG_TYPE.toBuffer(v), refLong(v), `bigint ${v}`);
      if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) assert.deepEqual(LONG_TYPE.toBuffer(Number(v)), refLong(v), `number ${v}`);
    }
  });
  it('encodes repeated and alternating values exactly (the writer keeps the last two values\' halves)', () => {
    const big = values.filter((v) => v >= 2n ** 52n || v <= -(2n ** 52n));
    const order = [0, 0, 1, 0, 1, 1, 2, 0, 2, 3, 3, 1, 4, 0, 4, 5, 5, 5].map((i) => big[i % big.length]!);
    for (const v of order) assert.deepEqual(LONG_TYPE.toBuffer(v), refLong(v), `bigint ${v}`);
  });
  it('reads a number when safe, a bigint above 2^53', () => {
    for (const v of values) {
      const back = LONG_TYPE.fromBuffer(refLong(v)) as number | bigint;
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(back, Number(v));
      else assert.equal(back, v);
    }
  });
  it('refuses values that are not exact int64s', () => {
    assert.throws(() => LONG_TYPE.toBuffer(2n ** 63n));
    assert.throws(() => LONG_TYPE.toBuffer(-(2n ** 63n) - 1n));
    assert.throws(() => LONG_TYPE.toBuffer(2 ** 60));
    assert.throws(() => LONG_TYPE.toBuffer(1.5));
    assert.equal(LONG_TYPE.isValid(2n ** 63n - 1n), true);
    assert.equal(LONG_TYPE.isValid('1'), false);
  });
  it('works inside unions and as a field default', () => {
    const t = avscType({ type: 'record', name: 'R', fields: [{ name: 'a', type: ['null', 'long'], default: null }, { name: 'b', type: 'long', default: 7 }] });
    assert.deepEqual(plain(t.fromBuffer(t.toBuffer({ a: 2n ** 63n - 1n }))), { a: 2n ** 63n - 1n, b: 7 });
  });
});

describe('decimal bytes (BigInteger#toByteArray)', () => {
  const cases: Array<[bigint, number[]]> = [
    [0n, [0x00]], [1n, [0x01]], [127n, [0x7f]], [128n, [0x00, 0x80]], [255n, [0x00, 0xff]], [-1n, [0xff]], [-128n, [0x80]],
    [-129n, [0xff, 0x7f]], [-1234n, [0xfb, 0x2e]], [2n ** 64n - 1n, [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [v, bytes] of cases) {
    it(`${v}`, () => {
      assert.deepEqual(unscaledToBytes(v), Buffer.from(bytes));
      assert.equal(bytesToUnscaled(Buffer.from(bytes)), v);
    });
  }
  it('decimal strings at a scale', () => {
    assert.deepEqual(decimalToBytes('-12.34', 2), Buffer.from([0xfb, 0x2e]));
    assert.deepEqual(decimalToBytes('18446744073709551615', 0), unscaledToBytes(2n ** 64n - 1n));
    assert.equal(bytesToDecimal(Buffer.from([0xfb, 0x2e]), 2), '-12.34');
    assert.equal(bytesToDecimal(Buffer.from([0x05]), 3), '0.005');
    assert.equal(bytesToDecimal(decimalToBytes('-0.5', 1), 1), '-0.5');
    assert.deepEqual(decimalToBytes('1.50', 1), Buffer.from([15]));
    assert.throws(() => decimalToBytes('1.55', 1), { code: 'FERRY_INTERNAL' });
  });
});

describe('wire format', () => {
  it('header is magic 0 + 4-byte big-endian schema id', () => {
    const t = avscType('string');
    const buf = encodeWire(t, 0x01020304, 'hi');
    assert.deepEqual([...buf], [0x00, 0x01, 0x02, 0x03, 0x04, 0x04, 0x68, 0x69]);
    assert.equal(readWireHeader(buf), 0x01020304);
    assert.deepEqual(decodeWire(t, buf), { schemaId: 0x01020304, value: 'hi' });
  });
  it('rejects a bad magic byte, a short buffer and a schema id that does not fit', () => {
    assert.throws(() => readWireHeader(Buffer.from([1, 0, 0, 0, 1, 0])), { code: 'FERRY_INTERNAL' });
    assert.throws(() => readWireHeader(Buffer.from([0, 0, 0])), { code: 'FERRY_INTERNAL' });
    assert.throws(() => writeWireHeader(Buffer.alloc(5), 2 ** 31), { code: 'FERRY_INTERNAL' });
  });
  it('grows its scratch buffer for large values', () => {
    const t = avscType('bytes');
    const big = Buffer.alloc(300_000, 7);
    const buf = encodeWire(t, 9, big);
    assert.deepEqual(decodeWire(t, buf).value, big);
  });
});

const T0 = 1_700_000_000_123;

function mysqlSource(extra?: Record<string, unknown>): SourceInfo {
  return { connector: 'mysql', name: 'ferry-test', tsMs: T0, snapshot: 'false', db: 'inventory', table: 'all_types',
    position: binlogPosition({ file: 'mysql-bin.000003', pos: 4711, gtid: '0-1-42' }), ...(extra ? { extra } : {}) };
}

/** One row of MYSQL_ALL_TYPES, every value in its wire representation. */
const ALL_TYPES_ROW: Row = {
  id: 1, code: 'A1', tiny: -128, flag: true, qty: 4294967295, big: 2n ** 63n - 1n,
  ubig: unscaledToBytes(2n ** 64n - 1n), // BIGINT UNSIGNED 18446744073709551615 as Decimal(20,0)
  price: decimalToBytes('-12.34', 2), ratio: Math.fround(1.5), score: -0.1, bits: Buffer.from([0x01, 0x02]),
  name: 'n', notes: null, blob: Buffer.from([0, 1, 2, 255]), born: 19_000, alarm: 3_600_000_000, created: T0,
  updated: 1_700_000_000_123_456, seen: '2024-01-01T00:00:00Z', yr: 2024, color: 'red', tags: 'a,c', doc: '{"k":[1,2]}',
  shape: { wkb: Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'), srid: 4326, extensions: null },
  loc: { x: 1.5, y: -2.25, wkb: Buffer.from('0101000000000000000000f83f00000000000002c0', 'hex'), srid: null },
  area: { wkb: Buffer.from([1, 3, 0, 0, 0]), srid: null, extensions: { type: 'polygon' } },
  'my-col': 'x', '2nd': 2,
};

describe('EventEncoder (MySQL)', () => {
  const enc = new EventEncoder({ connector: 'mysql', topicPrefix: 'ferry-test', version: '9.9.9' });
  const event: ChangeEvent = { op: 'c', key: null, before: null, after: ALL_TYPES_ROW, source: mysqlSource(), tsMs: T0 + 5, table: MYSQL_ALL_TYPES };

  it('builds the Debezium source block, taking file/pos from the position unless given', () => {
    assert.deepEqual(enc.sourceRecord(event.source), {
      version: '9.9.9', connector: 'mysql', name: 'ferry-test', ts_ms: T0, snapshot: 'false', db: 'inventory', sequence: null,
      ts_us: T0 * 1000, ts_ns: BigInt(T0) * 1_000_000n, table: 'all_types', server_id: 0, gtid: null,
      file: 'mysql-bin.000003', pos: 4711, row: 0, thread: null, query: null,
    });
    const withExtra = enc.sourceRecord(mysqlSource({ server_id: 223344, file: 'mysql-bin.000004', pos: 10, row: 2, thread: '7', query: 'INSERT ...', gtid: '0-1-42' }));
    assert.deepEqual([withExtra.server_id, withExtra.file, withExtra.pos, withExtra.row, withExtra.thread, withExtra.query, withExtra.gtid],
      [223344, 'mysql-bin.000004', 10, 2, 7, 'INSERT ...', '0-1-42']);
  });

  it('round-trips every column type of the MySQL table through key and value wire format', () => {
    const out = enc.encode(event, { key: 11, value: 12 }, { transaction: { id: 'tx-1', totalOrder: 3, dataCollectionOrder: 2n ** 62n } });
    assert.equal(out.topic, 'ferry-test.inventory.all_types');
    assert.deepEqual([...out.key!.subarray(0, 5)], [0, 0, 0, 0, 11]);
    assert.deepEqual([...out.value.subarray(0, 5)], [0, 0, 0, 0, 12]);
    const types = enc.types(MYSQL_ALL_TYPES);
    assert.deepEqual(plain(decodeWire(types.key!, out.key!).value), { id: 1, code: 'A1' });
    const value = plain(decodeWire(types.envelope, out.value).value) as Record<string, unknown>;
    const { 'my-col': myCol, '2nd': second, ...rest } = ALL_TYPES_ROW;
    assert.deepEqual(value.after, { ...rest, my_col: myCol, _2nd: second });
    assert.equal(value.before, null);
    assert.deepEqual(value.transaction, { id: 'tx-1', total_order: 3, data_collection_order: 2n ** 62n });
    assert.deepEqual([value.op, value.ts_ms, value.ts_us, value.ts_ns], ['c', T0 + 5, (T0 + 5) * 1000, BigInt(T0 + 5) * 1_000_000n]);
    assert.deepEqual(value.source, enc.sourceRecord(event.source));
    const after = value.after as Record<string, unknown>;
    assert.equal(bytesToUnscaled(after.ubig as Buffer), 2n ** 64n - 1n);
    assert.equal(bytesToDecimal(after.price as Buffer, 2), '-12.34');
    assert.equal(after.big, 2n ** 63n - 1n);
  });

  it('a delete has before and a null after; the key comes from before when event.key is null', () => {
    const del: ChangeEvent = { ...event, op: 'd', before: ALL_TYPES_ROW, after: null };
    const rec = enc.envelopeRecord(del);
    assert.equal(rec.after, null);
    assert.equal(plain(decodeWire(enc.types(MYSQL_ALL_TYPES).key!, enc.encodeKey(del, 1)!).value) !== null, true);
  });

  it('a Geometry without `extensions` (as the MySQL connector builds it) gets the field default null', () => {
    const row = { ...ALL_TYPES_ROW, shape: { wkb: Buffer.from([1]), srid: 4326 } };
    const v = plain(decodeWire(enc.types(MYSQL_ALL_TYPES).envelope, enc.encodeValue({ ...event, after: row }, 1)).value) as { after: { shape: unknown } };
    assert.deepEqual(v.after.shape, { wkb: Buffer.from([1]), srid: 4326, extensions: null });
  });

  it('a truncate has a null key and null before/after', () => {
    const out = enc.encode({ ...event, op: 't', after: null }, { key: 1, value: 2 });
    assert.equal(out.key, null);
    const v = plain(decodeWire(enc.types(MYSQL_ALL_TYPES).envelope, out.value).value) as Record<string, unknown>;
    assert.deepEqual([v.op, v.before, v.after], ['t', null, null]);
  });

  it('a table without a primary key has a null key', () => {
    const table: TableSchema = { ...MYSQL_ALL_TYPES, primaryKey: [], version: 99 };
    assert.equal(enc.encode({ ...event, table }, { key: null, value: 1 }).key, null);
  });

  it('names the bad field when a value does not fit its schema', () => {
    const bad: ChangeEvent = { ...event, after: { ...ALL_TYPES_ROW, qty: 'many' } };
    assert.throws(() => enc.encodeValue(bad, 1), (e: Error & { code?: string }) =>
      e.code === 'FERRY_INTERNAL' && /after\.qty: "many" is not a valid/.test(e.message) && e.message.includes('ferry-test.inventory.all_types'));
  });

  it('events sharing one SourceInfo object (a snapshot chunk) encode exactly as with a source object each', () => {
    const shared = mysqlSource({ row: 3, server_id: 7 });
    const other = mysqlSource({ row: 4 });
    const rows = [1, 2, 3, 4, 5].map((id) => ({ ...ALL_TYPES_ROW, id }));
    // shared, shared, shared, another object, shared again (a new run), then a bad value while shared
    const sources = [shared, shared, shared, other, shared, shared];
    const fresh = new EventEncoder({ connector: 'mysql', topicPrefix: 'ferry-test', version: '9.9.9' });
    const sharing = new EventEncoder({ connector: 'mysql', topicPrefix: 'ferry-test', version: '9.9.9' });
    rows.forEach((row, i) => {
      const e: ChangeEvent = { ...event, op: 'r', after: row, source: sources[i]! };
      const expected = fresh.encodeValue({ ...e, source: { ...sources[i]! } }, 5);
      assert.deepEqual(sharing.encodeValue(e, 5), expected, `event ${i}`);
      const decoded = plain(decodeWire(sharing.types(MYSQL_ALL_TYPES).envelope, expected).value) as { source: unknown };
      assert.deepEqual(decoded.source, fresh.sourceRecord(sources[i]!));
    });
    const bad: ChangeEvent = { ...event, after: { ...ALL_TYPES_ROW, qty: 'many' }, source: shared };
    assert.throws(() => sharing.encodeValue(bad, 5), /after\.qty: "many" is not a valid/);
    assert.deepEqual(sharing.encodeValue({ ...event, source: shared }, 5), fresh.encodeValue({ ...event, source: { ...shared } }, 5));
  });

  it('registers key and envelope once per table version and decodes through the registry', async () => {
    const store = new Map<number, string>();
    const calls: string[] = [];
    const registry = {
      register: async (subject: string, schema: object) => { calls.push(subject); const id = store.size + 100; store.set(id, avroSchemaToString(schema)); return id; },
      getById: async (id: number) => JSON.parse(store.get(id)!) as object,
      isCompatible: async () => true,
    };
    const a = await enc.encodeRegistered(event, registry);
    await enc.encodeRegistered(event, registry);
    assert.deepEqual(calls.sort(), ['ferry-test.inventory.all_types-key', 'ferry-test.inventory.all_types-value']);
    const dec = new WireDecoder(registry);
    const v = await dec.decode(a.value);
    assert.equal(v.schemaId, readWireHeader(a.value));
    assert.equal((plain(v.value) as { op: string }).op, 'c');
  });
});

describe('EventEncoder (PostgreSQL): every logical type round-trips', () => {
  const samples: Record<string, unknown> = {
    'io.debezium.time.Date': -719_162, 'io.debezium.time.Time': 86_399_999, 'io.debezium.time.MicroTime': 86_399_999_999,
    'io.debezium.time.NanoTime': 86_399_999_999_999, 'io.debezium.time.Timestamp': -62_135_596_800_000,
    'io.debezium.time.MicroTimestamp': 253_402_300_799_999_999n, 'io.debezium.time.NanoTimestamp': 1_700_000_000_123_456_789n,
    'io.debezium.time.ZonedTimestamp': '2024-02-29T23:59:59.999999+05:30', 'io.debezium.time.ZonedTime': '10:15:30Z',
    'io.debezium.time.MicroDuration': -3_155_760_000_000_000, 'io.debezium.time.NanoDuration': 2n ** 63n - 1n,
    'io.debezium.time.Interval': 'P1Y2M3DT4H5M6.78S', 'io.debezium.time.Year': 1901,
    'io.debezium.data.Json': '{"a":"ü"}', 'io.debezium.data.Uuid': '6f1b1c3e-8d2a-4c1b-9e0f-1234567890ab', 'io.debezium.data.Xml': '<a/>',
    'io.debezium.data.Enum': 'b', 'io.debezium.data.EnumSet': 'a,b', 'io.debezium.data.Bits': Buffer.from([0xff, 0x03]),
    'org.apache.kafka.connect.data.Decimal': decimalToBytes('-99999999.99', 2),
    'org.apache.kafka.connect.data.Date': 19_000, 'org.apache.kafka.connect.data.Time': 1_000, 'org.apache.kafka.connect.data.Timestamp': T0,
    'io.debezium.data.VariableScaleDecimal': { scale: 5, value: unscaledToBytes(-123456789012345678901234567890n) },
    'io.debezium.data.geometry.Geometry': { wkb: Buffer.from([1, 2]), srid: 3857, extensions: null },
    'io.debezium.data.geometry.Geography': { wkb: Buffer.from([3]), srid: 4326 },
    'io.debezium.data.geometry.Point': { x: 0.5, y: 1e300, wkb: null, srid: 4326 },
  };
  const params: Record<string, Record<string, string>> = {
    'io.debezium.data.Enum': { allowed: 'a,b' }, 'io.debezium.data.EnumSet': { allowed: 'a,b' }, 'io.debezium.data.Bits': { length: '10' },
    'org.apache.kafka.connect.data.Decimal': { scale: '2', 'connect.decimal.precision': '10' },
  };
  const columns: Column[] = [{ name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' }, { name: 'i8', type: { type: 'int8' }, nullable: false, sourceType: 'x' }];
  const row: Row = { id: 1, i8: -128 };
  for (const [logical, info] of Object.entries(KNOWN_LOGICAL_TYPES)) {
    const type: FieldType = { type: info.type === 'struct' || info.type === 'array' || info.type === 'map' ? 'bytes' : info.type, logical, ...(params[logical] ? { params: params[logical] } : {}) };
    const name = logical.replace(/^(io\.debezium|org\.apache\.kafka\.connect)\./, '').replace(/\./g, '_').toLowerCase();
    columns.push({ name, type, nullable: false, sourceType: name }, { name: `${name}_null`, type, nullable: true, sourceType: name });
    row[name] = samples[logical];
    row[`${name}_null`] = null;
  }
  const table: TableSchema = { id: { schema: 'public', table: 'all_logical' }, version: 1, primaryKey: ['id'], columns };
  const enc = new EventEncoder({ connector: 'postgresql', topicPrefix: 'pg' });

  it('has a sample for every known logical type', () => {
    assert.deepEqual(Object.keys(KNOWN_LOGICAL_TYPES).filter((k) => !(k in samples)), []);
  });

  it('decodes to exactly the input values', () => {
    const source: SourceInfo = { connector: 'postgresql', name: 'pg', tsMs: T0, snapshot: 'first', db: 'shop', schema: 'public', table: 'all_logical',
      txId: '987', position: lsnPosition('16/B374D848'), extra: { sequence: '["1","2"]', xmin: 5 } };
    const event: ChangeEvent = { op: 'u', key: { id: 1 }, before: row, after: row, source, tsMs: T0, table };
    const buf = enc.encodeValue(event, 5);
    const v = plain(decodeWire(enc.types(table).envelope, buf).value) as Record<string, Record<string, unknown>>;
    assert.deepEqual(v.after, row);
    assert.deepEqual(v.before, row);
    assert.deepEqual(v.source, {
      version: '0.1.0-ferry', connector: 'postgresql', name: 'pg', ts_ms: T0, snapshot: 'first', db: 'shop', sequence: '["1","2"]',
      ts_us: T0 * 1000, ts_ns: BigInt(T0) * 1_000_000n, schema: 'public', table: 'all_logical', txId: 987, lsn: 0x16b374d848, xmin: 5,
      origin: null, origin_lsn: null,
    });
  });
});
