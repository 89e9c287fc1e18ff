// The full load's binary COPY path (pg-copy-binary.ts): snapshot reads decoded lazily from their Avro bytes, as the
// sink worker hands them over, land exactly as the text path writes the same events (eagerly decoded records), value
// for value, including edge values; values the binary path does not take (NUL, beyond 2^53 µs) fall back per record,
// a record the target cannot hold is rejected, and a redelivered full load falls back to upserts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import type { ChangeEvent, ConnectType, Row, TableSchema } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { afterImageAt, RecordDecoder } from '../../../../runtime/src/sink-worker/record-decoder.ts';
import { kafkaStream } from '../../../../runtime/src/sink-worker/record-identity.ts';
import { decimalToBytes } from '../../../../schemas/src/decimal.ts';
import { EventEncoder } from '../../../../schemas/src/event-encoder.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
import { binaryRowEncoder } from '../../src/pg-copy-binary.ts';
import { dropSchema, targetOptions, withPg } from '../helpers.ts';

const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

const DEC = 'org.apache.kafka.connect.data.Decimal';
const col = (name: string, type: ConnectType, o: { logical?: string; params?: Record<string, string>; nullable?: boolean } = {}) => ({
  name, type: { type, ...(o.logical ? { logical: o.logical } : {}), ...(o.params ? { params: o.params } : {}) }, nullable: o.nullable ?? true, sourceType: type,
});
const dec = (scale: number, precision: number) => ({ logical: DEC, params: { scale: String(scale), 'connect.decimal.precision': String(precision) } });

const table: TableSchema = { id: { schema: 'shop', table: 'wide' }, version: 1, primaryKey: ['id'], columns: [
  col('id', 'int64', { nullable: false }), col('i16', 'int16'), col('i32', 'int32'), col('i64', 'int64'),
  col('d2', 'bytes', dec(2, 12)), col('d30', 'bytes', dec(30, 65)), col('u64', 'bytes', dec(0, 20)),
  col('f32', 'float32'), col('f64', 'float64'), col('b', 'boolean'), col('s', 'string'), col('bin', 'bytes'),
  col('d', 'int32', { logical: 'io.debezium.time.Date' }), col('ts', 'int64', { logical: 'io.debezium.time.MicroTimestamp' }),
  col('tsm', 'int64', { logical: 'io.debezium.time.Timestamp' }), col('yr', 'int32', { logical: 'io.debezium.time.Year' }),
  col('en', 'string', { logical: 'io.debezium.data.Enum', params: { allowed: 'a,b' } }),
] } as TableSchema;

const base: Row = { i16: 1, i32: 2, i64: 3, d2: decimalToBytes('1.50', 2), d30: decimalToBytes('1', 30), u64: decimalToBytes('7', 0), f32: 1, f64: 1, b: true, s: 'x', bin: Buffer.from([1]), d: 1, ts: 1, tsm: 1, yr: 2024, en: 'a' };
const rowsIn: Row[] = [
  { i16: 0, i32: 0, i64: 0, d2: decimalToBytes('0.00', 2), d30: decimalToBytes('0', 30), u64: decimalToBytes('0', 0), f32: 0, f64: -0, b: false, s: '', bin: Buffer.alloc(0), d: 0, ts: 0, tsm: 0 },
  { i16: -32768, i32: -2147483648, i64: -9007199254740991, d2: decimalToBytes('-9999999999.99', 2), d30: decimalToBytes('-12345678901234567890123456789012345.123456789012345678901234567890', 30),
    u64: decimalToBytes('18446744073709551615', 0), f32: -3.4028234663852886e38, f64: -1.7976931348623157e308, s: 'tab\there\nnew\\line "q" \u00e9\u4e2d\ud83d\ude00', bin: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    d: -719162, ts: -62135596800000000n, tsm: -62135596800000 },
  { i16: 32767, i32: 2147483647, i64: 9223372036854775807n, d2: decimalToBytes('0.01', 2), d30: decimalToBytes('0.000000000000000000000000000001', 30), u64: decimalToBytes('9007199254740993', 0),
    f32: Math.fround(1.1), f64: Number.NaN, d: 2932896, ts: 253402300799999999n, tsm: -1, yr: 1901 },
  { i64: null, s: null, bin: null, d2: null, f32: Number.NEGATIVE_INFINITY, f64: Number.POSITIVE_INFINITY, ts: 1_700_000_000_123_456, tsm: 1_700_000_000_123 },
  { s: 'before\u0000after' }, // NUL: PostgreSQL text cannot hold it → rejected
  { d2: decimalToBytes('-0.01', 2), d30: decimalToBytes('99999999999999999999999999999999999.999999999999999999999999999999', 30), i64: -9223372036854775808n, ts: -1, d: -1 },
  { d2: decimalToBytes('12345.60', 2), d30: decimalToBytes('-0.5', 30), ts: 9_007_199_254_740_993n, d: 2932897 }, // beyond 2^53 µs, year 10000: the text path
];

function events(prefix: string, t: TableSchema = table, op: 'r' | 'c' = 'r'): ChangeEvent[] {
  return rowsIn.map((r, i) => {
    const after = { ...base, ...r, id: i + 1 };
    return { op, key: t.primaryKey.length > 0 ? { id: i + 1 } : null, before: null, after, tsMs: 0, table: t,
      source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: op === 'r' ? 'true' : 'false', db: 'shop', table: t.id.table, position: binlogPosition({ file: 'mariadb-bin.000001', pos: 4 }) } } as ChangeEvent;
  });
}

/** The records as the sink worker hands them to this sink (lazyDecode 'snapshot-reads'). */
async function lazyRecords(evs: readonly ChangeEvent[], prefix: string): Promise<SinkRecord[]> {
  const registry = new FakeRegistry();
  const encoder = new EventEncoder({ connector: 'mariadb', topicPrefix: prefix });
  const decoder = new RecordDecoder({ registry, sourceFields: ['ts_ms', 'txId', 'gtid', 'file', 'pos', 'snapshot'], lazy: 'snapshot-reads' });
  const out: SinkRecord[] = [];
  let offset = 0n;
  for (const e of evs) {
    const enc = await encoder.encodeRegistered(e, registry);
    const raw = { topic: enc.topic, partition: 0, offset: offset++, key: enc.key, value: enc.value, timestampMs: 0, headers: new Map<string, Buffer>() };
    let d = decoder.decode(raw, kafkaStream(raw.topic, 0));
    if (d.kind === 'missing') {
      await decoder.prefetch(d.ids);
      d = decoder.decode(raw, kafkaStream(raw.topic, 0));
    }
    if (d.kind !== 'record') throw new Error(`unexpected ${d.kind}`);
    out.push(d.record);
  }
  return out;
}

const ctx = () => ({ signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } });

async function contents(schema: string, name = 'wide'): Promise<string[]> {
  return withPg(async (c) => (await c.query(`SELECT row_to_json(t)::text AS r FROM "${schema}"."${name}" t ORDER BY id`)).rows.map((x: { r: string }) => x.r));
}

test('binary COPY of lazily decoded snapshot reads writes what the text path writes, value for value', async () => {
  const fast = uniqueName('pgbin');
  const text = uniqueName('pgtxt');
  schemas.push(fast, text);
  const lazy = await lazyRecords(events(fast), fast);
  // The first record of a table version is decoded eagerly (the decoder learns the table's names from it).
  assert.equal(lazy.filter((r) => afterImageAt(r) >= 0).length, rowsIn.length - 1, 'the rest stay Avro bytes');
  const eager = (await kafkaRecords(events(text), { prefix: text })).records;
  assert.ok(eager.every((r) => afterImageAt(r) < 0));
  const a = new PostgresSink({ config: targetOptions(fast) as never });
  const b = new PostgresSink({ config: targetOptions(text) as never });
  try {
    const ra = await a.write(lazy, ctx());
    const rb = await b.write(eager, ctx());
    assert.deepEqual(ra.rejected?.map((r) => r.record.offset), [4n], 'the NUL string is rejected');
    assert.match(ra.rejected![0]!.reason, /NUL/);
    assert.deepEqual(rb.rejected?.map((r) => r.record.offset), [4n]);
    const got = await contents(fast);
    assert.equal(got.length, rowsIn.length - 1);
    assert.deepEqual(got, await contents(text));
    // Exact values read back independently.
    const row = (id: number) => JSON.parse(got.find((r) => JSON.parse(r).id === id)!) as Record<string, unknown>;
        assert.deepEqual([row(2).s, row(2).d, row(2).ts, row(2).i16], ['tab\there\nnew\\line "q" \u00e9\u4e2d\ud83d\ude00', '0001-01-01', '0001-01-01T00:00:00', -32768]);
    assert.deepEqual([String(row(3).f64), row(3).d, row(3).tsm, row(3).yr], ['NaN', '9999-12-31', '1969-12-31T23:59:59.999', 1901]);
    assert.deepEqual([row(4).i64, row(4).s, row(4).f32, row(4).f64, row(4).ts], [null, null, '-Infinity', 'Infinity', '2023-11-14T22:13:20.123456']);
    assert.deepEqual([row(6).d2, row(6).ts, row(6).d], [-0.01, '1969-12-31T23:59:59.999999', '1969-12-31']);
    assert.deepEqual([row(7).ts, row(7).d], ['2255-06-05T23:47:34.740993', '10000-01-01']);
    const text2 = await withPg(async (c) => (await c.query(`SELECT d30::text AS d30, u64::text AS u64, bin = '\\x${Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')}'::bytea AS bin FROM "${fast}"."wide" WHERE id = 2`)).rows[0]);
    assert.deepEqual(text2, { d30: '-12345678901234567890123456789012345.123456789012345678901234567890', u64: '18446744073709551615', bin: true });
    const big = await withPg(async (c) => (await c.query(`SELECT string_agg(i64::text, ',' ORDER BY id) AS v FROM "${fast}"."wide" WHERE id IN (3, 6)`)).rows[0].v);
    assert.equal(big, '9223372036854775807,-9223372036854775808');
    // The table version's columns all have a binary form (else the whole version would take the text path).
    const types = await withPg(async (c) => new Map((await c.query(`SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = '"${fast}"."wide"'::regclass AND attnum > 0 AND NOT attisdropped`)).rows.map((x: { attname: string; t: string }) => [x.attname, x.t])));
    assert.notEqual(binaryRowEncoder(lazy[1]!.table, types), null);

    // Redelivered under new offsets of another stream: COPY meets the rows, falls back to upserts; same contents.
    const again = await lazyRecords(events(fast), `${fast}x`);
    const rc = await a.write(again, ctx());
    assert.deepEqual(rc.rejected?.map((r) => r.record.offset), [4n]);
    assert.deepEqual(await contents(fast), got);
  } finally {
    await a.close();
    await b.close();
  }
});

test('snapshot reads left as Avro bytes outside a leading full load (a keyless table, reads after a change) are written as text', async () => {
  const fast = uniqueName('pgbin');
  const text = uniqueName('pgtxt');
  schemas.push(fast, text);
  const keyless = { ...table, id: { schema: 'shop', table: 'nokey' }, primaryKey: [] } as TableSchema;
  // A keyless table's reads; then, in the keyed table, an insert ahead of the reads (they are no longer leading).
  const mixed = (p: string) => [...events(p, keyless), events(p, table, 'c')[0]!, ...events(p).slice(1)];
  const lazy = await lazyRecords(mixed(fast), fast);
  assert.ok(lazy.filter((r) => afterImageAt(r) >= 0).length >= rowsIn.length * 2 - 4);
  const a = new PostgresSink({ config: targetOptions(fast) as never });
  const b = new PostgresSink({ config: targetOptions(text) as never });
  try {
    const ra = await a.write(lazy, ctx());
    const rb = await b.write((await kafkaRecords(mixed(text), { prefix: text })).records, ctx());
    assert.equal(ra.rejected?.length, 2, 'the NUL string of each table');
    assert.equal(rb.rejected?.length, 2);
    for (const name of ['nokey', 'wide']) {
      const got = await contents(fast, name);
      assert.equal(got.length, rowsIn.length - 1, name);
      assert.deepEqual(got, await contents(text, name), name);
    }
  } finally {
    await a.close();
    await b.close();
  }
});
