// Batch-optimized CDC through the binary stage path (table-writer.ts #planUpserts): inserts and updates whose
// after-image bytes the sink worker's decoder scanned are copied into the stage table in binary, not encoded as text.
// The target must end exactly as the text path leaves it (eagerly decoded records of the same events), value for value,
// edge values included; a value the target cannot hold is rejected once and the key's net change is computed again
// without it; a redelivered batch changes nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { binlogPosition } from '../../../../core/src/position.ts';
import type { SinkRecord } from '../../../../core/src/record-sink.ts';
import type { ChangeEvent, ConnectType, Row, TableSchema } from '../../../../core/src/types.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { afterBytesAt, RecordDecoder } from '../../../../runtime/src/sink-worker/record-decoder.ts';
import { kafkaStream } from '../../../../runtime/src/sink-worker/record-identity.ts';
import { decimalToBytes } from '../../../../schemas/src/decimal.ts';
import { EventEncoder } from '../../../../schemas/src/event-encoder.ts';
import { uniqueName } from '../../../../test/helpers/services.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { PostgresSink } from '../../src/PostgresSink.ts';
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
  col('d2', 'bytes', dec(2, 12)), col('d30', 'bytes', dec(30, 65)), col('f64', 'float64'), col('b', 'boolean'), col('s', 'string'),
  col('bin', 'bytes'), col('d', 'int32', { logical: 'io.debezium.time.Date' }), col('ts', 'int64', { logical: 'io.debezium.time.MicroTimestamp' }),
] } as TableSchema;

const base: Row = { i16: 1, i32: 2, i64: 3, d2: decimalToBytes('1.50', 2), d30: decimalToBytes('1', 30), f64: 1, b: true, s: 'x', bin: Buffer.from([1]), d: 1, ts: 1 };
/** Values of the rows, by key 1…8. */
const values: Row[] = [
  { i16: 0, i32: 0, i64: 0, d2: decimalToBytes('0.00', 2), d30: decimalToBytes('0', 30), f64: -0, b: false, s: '', bin: Buffer.alloc(0), d: 0, ts: 0 },
  { i16: -32768, i32: -2147483648, i64: -9007199254740991, d2: decimalToBytes('-9999999999.99', 2), d30: decimalToBytes('-12345678901234567890123456789012345.123456789012345678901234567890', 30),
    f64: -1.7976931348623157e308, s: 'tab\there\nnew\\line "q" \u00e9\u4e2d\ud83d\ude00', bin: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), d: -719162, ts: -62135596800000000n },
  { i16: 32767, i32: 2147483647, i64: 9223372036854775807n, d2: decimalToBytes('0.01', 2), d30: decimalToBytes('0.000000000000000000000000000001', 30), f64: Number.NaN, d: 2932896, ts: 253402300799999999n },
  { i64: null, s: null, bin: null, d2: null, f64: Number.POSITIVE_INFINITY, ts: 1_700_000_000_123_456 },
  { d2: decimalToBytes('12345.60', 2), ts: 9_007_199_254_740_993n, d: 2932897 }, // beyond 2^53 µs, year 10000: the text path
  { s: 'seven' },
  { s: 'eight', i64: -9223372036854775808n },
  { s: 'nine' },
];
const NUL = { s: 'before\u0000after' }; // PostgreSQL text cannot hold it: rejected

/**
 * One batch: inserts of keys 1…8 (in transactions of 2), then updates (key k takes the values of key k+1), a delete
 * of key 3, an update of key 4 that is the key's last change and holds a NUL (rejected: key 4 keeps its update before),
 * an insert of key 9 with a NUL (rejected: no row 9), and a delete then a re-insert of key 5.
 */
function events(prefix: string): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  let pos = 4;
  const ev = (op: 'c' | 'u' | 'd', id: number, before: Row | null, afterRow: Row | null): void => {
    pos += 100;
    out.push({ op, key: { id }, before: before === null ? null : { ...base, ...before, id }, after: afterRow === null ? null : { ...base, ...afterRow, id }, tsMs: 0, table,
      source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: 'false', db: 'shop', table: 'wide', position: binlogPosition({ file: 'mariadb-bin.000001', pos: pos - (pos % 200) }) } } as ChangeEvent);
  };
  values.forEach((v, i) => ev('c', i + 1, null, v));
  for (let i = 0; i < values.length - 1; i++) ev('u', i + 1, values[i]!, values[i + 1]!);
  ev('d', 3, values[3]!, null);
  ev('u', 4, values[4]!, { ...values[4]!, ...NUL });
  ev('c', 9, null, NUL);
  ev('d', 5, values[5]!, null);
  ev('c', 5, null, { s: 'back' });
  return out;
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

async function contents(schema: string): Promise<string[]> {
  return withPg(async (c) => (await c.query(`SELECT row_to_json(t)::text AS r FROM "${schema}"."wide" t ORDER BY id`)).rows.map((x: { r: string }) => x.r));
}

test('batch-optimized CDC copies scanned after-images in binary and leaves the target as the text path does', async () => {
  const fast = uniqueName('pgcdcbin');
  const text = uniqueName('pgcdctxt');
  schemas.push(fast, text);
  const lazy = await lazyRecords(events(fast), fast);
  // Every insert and update but the first record of the version (decoded to learn the table's names) keeps its bytes.
  assert.equal(lazy.filter((r) => afterBytesAt(r) >= 0).length, lazy.filter((r) => r.envelope.op !== 'd').length - 1);
  const eager = (await kafkaRecords(events(text), { prefix: text })).records;
  assert.ok(eager.every((r) => afterBytesAt(r) < 0));
  const options = (schema: string) => ({ ...targetOptions(schema), applyMode: 'batch-optimized', copyThreshold: 2 }) as never;
  const a = new PostgresSink({ config: options(fast) });
  const b = new PostgresSink({ config: options(text) });
  try {
    const ra = await a.write(lazy, ctx());
    const rb = await b.write(eager, ctx());
    const offsetsOf = (r: { rejected?: readonly { record: SinkRecord }[] }) => r.rejected?.map((x) => x.record.offset).sort();
    assert.deepEqual(offsetsOf(ra), [16n, 17n], 'the NUL update of key 4 and the NUL insert of key 9, once each');
    assert.deepEqual(offsetsOf(rb), [16n, 17n]);
    assert.match(ra.rejected![0]!.reason, /NUL/);
    const got = await contents(fast);
    assert.deepEqual(got, await contents(text));
    const row = (id: number) => got.map((r) => JSON.parse(r) as Record<string, unknown>).find((r) => r.id === id);
    assert.deepEqual(got.map((r) => (JSON.parse(r) as { id: number }).id), [1, 2, 4, 5, 6, 7, 8]);
    assert.deepEqual([row(1)!.s, row(1)!.i16, row(1)!.d, row(1)!.ts], ['tab\there\nnew\\line "q" \u00e9\u4e2d\ud83d\ude00', -32768, '0001-01-01', '0001-01-01T00:00:00']);
    assert.deepEqual([String(row(2)!.f64), row(2)!.d, row(2)!.ts, row(2)!.d2], ['NaN', '9999-12-31', '9999-12-31T23:59:59.999999', 0.01]);
    assert.deepEqual([row(4)!.d2, row(4)!.ts, row(4)!.d, row(4)!.s], [12345.6, '2255-06-05T23:47:34.740993', '10000-01-01', 'x'], 'key 4 keeps its update before the rejected one');
    assert.deepEqual([row(5)!.s, row(6)!.s, row(7)!.s, row(8)!.s], ['back', 'eight', 'nine', 'nine']);
    const exact = await withPg(async (c) => (await c.query(`SELECT id, i64::text AS i64, d30::text AS d30 FROM "${fast}"."wide" WHERE id IN (1, 2, 6) ORDER BY id`)).rows);
    assert.deepEqual(exact, [
      { id: '1', i64: '-9007199254740991', d30: '-12345678901234567890123456789012345.123456789012345678901234567890' },
      { id: '2', i64: '9223372036854775807', d30: '0.000000000000000000000000000001' },
      { id: '6', i64: '-9223372036854775808', d30: '1.000000000000000000000000000000' },
    ]);

    // The same batch again (a redelivery): nothing changes, nothing is rejected again.
    const again = await a.write(lazy, ctx());
    assert.deepEqual(again.rejected ?? [], []);
    assert.deepEqual(await contents(fast), got);
    // The same changes under another stream (applied again as upserts and deletes): the same contents.
    const other = await a.write(await lazyRecords(events(fast), `${fast}x`), ctx());
    assert.deepEqual(offsetsOf(other), [16n, 17n]);
    assert.deepEqual(await contents(fast), got);
  } finally {
    await a.close();
    await b.close();
  }
});
