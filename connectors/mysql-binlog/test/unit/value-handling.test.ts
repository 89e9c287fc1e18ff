// The MySQL source's value-handling stage (value-handling.ts) on TableSchemas as the codecs build them: each mode's
// field type and value, column defaults converted alike, keys too, edge values (BIGINT UNSIGNED wrap, negative TIME
// floors to ms, TIME beyond a mode's range refused), and column.propagate.source.type's parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeBatch, ChangeEvent, TableSchema } from '../../../../core/src/types.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { defaultValueHandling, type ValueHandling } from '../../../../core/src/value-handling.ts';
import { toTableSchema } from '../../src/mysql-schema.ts';
import { codecFor } from '../../src/row-codec.ts';
import { changesValues, mysqlSourceTypeInfo, retypeTable, withValueHandling } from '../../src/value-handling.ts';

const def = {
  schema: 'shop', table: 't', charset: 'utf8mb4', primaryKey: ['id'],
  columns: [
    { name: 'id', columnType: 'decimal(10,2)', nullable: false, charset: null },
    { name: 'd', columnType: 'decimal(10,2)', nullable: true, charset: null, defaultText: '1.50' },
    { name: 'bu', columnType: 'bigint(20) unsigned', nullable: true, charset: null },
    { name: 't0', columnType: 'time', nullable: true, charset: null },
    { name: 't6', columnType: 'time(6)', nullable: true, charset: null },
    { name: 'dt6', columnType: 'datetime(6)', nullable: true, charset: null },
    { name: 'dd', columnType: 'date', nullable: true, charset: null },
    { name: 'b', columnType: 'varbinary(10)', nullable: true, charset: null },
    { name: 'bits', columnType: 'bit(10)', nullable: true, charset: null },
  ],
};
const modes = (m: Partial<ValueHandling>): ValueHandling => ({ ...defaultValueHandling('mysql'), ...m });
const rowOf = () => codecFor(def, 1).convert({ id: '12.30', d: '-0.01', bu: '18446744073709551615', t0: '-00:00:00', t6: '-00:00:00.000001', dt6: '2024-02-29 23:59:59.123456', dd: '2024-02-29', b: Buffer.from([0xfb, 0xff]), bits: Buffer.from([0x02, 0x01]) });

function apply(m: Partial<ValueHandling>): { table: TableSchema; row: Record<string, unknown>; key: Record<string, unknown> } {
  const r = retypeTable(toTableSchema(def, 1), modes(m));
  const row = rowOf();
  const out: Record<string, unknown> = { ...row };
  for (const [n, conv] of r.convs) if (out[n] !== null) out[n] = conv(out[n]);
  return { table: r.table, row: out, key: { id: out.id } };
}
const typeOf = (t: TableSchema, c: string) => t.columns.find((x) => x.name === c)!.type;

test('the defaults change nothing: the same TableSchema object and no converters', () => {
  const t = toTableSchema(def, 1);
  assert.equal(changesValues(defaultValueHandling('mysql')), false);
  const r = retypeTable(t, defaultValueHandling('mysql'));
  assert.equal(r.table, t);
  assert.equal(r.convs.size, 0);
});

test('decimal string / double: the text at the column scale, and the nearest double; the default converts too', () => {
  const s = apply({ decimal: 'string' });
  assert.deepEqual(typeOf(s.table, 'd'), { type: 'string' });
  assert.deepEqual([s.row.id, s.row.d], ['12.30', '-0.01']);
  assert.equal(s.table.columns.find((c) => c.name === 'd')!.defaultValue, '1.50');
  const d = apply({ decimal: 'double' });
  assert.deepEqual(typeOf(d.table, 'd'), { type: 'float64' });
  assert.deepEqual([d.row.id, d.row.d, d.table.columns.find((c) => c.name === 'd')!.defaultValue], [12.3, -0.01, 1.5]);
  // BIGINT UNSIGNED keeps its own mode
  assert.equal(typeOf(s.table, 'bu').logical, 'org.apache.kafka.connect.data.Decimal');
});

test('bigint unsigned long: int64, wrapped as Debezium (2^64-1 → -1, 2^63 → -2^63)', () => {
  const r = retypeTable(toTableSchema(def, 1), modes({ bigintUnsigned: 'long' }));
  assert.deepEqual(typeOf(r.table, 'bu'), { type: 'int64' });
  const conv = r.convs.get('bu')!;
  const wire = (s: string) => codecFor(def, 1).convert({ id: '1', d: null, bu: s, t0: null, t6: null, dt6: null, dd: null, b: null, bits: null }).bu;
  assert.equal(conv(wire('18446744073709551615')), -1);
  assert.equal(conv(wire('9223372036854775808')), -9223372036854775808n);
  assert.equal(conv(wire('9223372036854775807')), 9223372036854775807n);
  assert.equal(conv(wire('42')), 42);
});

test('time connect: Date (days), Timestamp (ms, floor), Time (ms of the day; outside a day refused, naming the fix)', () => {
  const r = retypeTable(toTableSchema(def, 1), modes({ time: 'connect' }));
  assert.deepEqual(typeOf(r.table, 'dd'), { type: 'int32', logical: 'org.apache.kafka.connect.data.Date', version: 1 });
  assert.deepEqual(typeOf(r.table, 'dt6'), { type: 'int64', logical: 'org.apache.kafka.connect.data.Timestamp', version: 1 });
  assert.deepEqual(typeOf(r.table, 't0'), { type: 'int32', logical: 'org.apache.kafka.connect.data.Time', version: 1 });
  assert.deepEqual(typeOf(r.table, 't6'), { type: 'int32', logical: 'org.apache.kafka.connect.data.Time', version: 1 });
  assert.equal(r.convs.has('dd'), false);
  assert.equal(r.convs.get('dt6')!(1709251199123456), 1709251199123);
  assert.equal(r.convs.get('dt6')!(-1), -1);
  assert.equal(r.convs.get('dt6')!(-30610224000000000n), -30610224000000);
  assert.equal(r.convs.get('t6')!(86400000000), 86400000);
  assert.equal(r.convs.get('t6')!(45296789999), 45296789);
  assert.ok(Object.is(r.convs.get('t0')!(-0), 0), '-00:00:00 is 0 ms');
  assert.throws(() => r.convs.get('t6')!(-1), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_UNSUPPORTED' && /shop\.t\.t6 \(time\(6\)\): the TIME value of -0\.000001 s .*Fix: set settings\.timePrecisionMode: adaptive_time_microseconds/.test(e.message));
  assert.throws(() => r.convs.get('t0')!(86400001000), /cannot be carried under settings\.timePrecisionMode: connect/);
  // adaptive_time_microseconds (the default) and the other modes leave the time columns as they are
  assert.equal(retypeTable(toTableSchema(def, 1), modes({ time: 'adaptive_time_microseconds' })).table.columns.find((c) => c.name === 't0')!.type.logical, 'io.debezium.time.MicroTime');
});

test('binary modes: BINARY/VARBINARY/BLOB as text; BIT stays Bits', () => {
  assert.deepEqual([apply({ binary: 'base64' }).row.b, apply({ binary: 'base64-url-safe' }).row.b, apply({ binary: 'hex' }).row.b], ['+/8=', '-_8=', 'fbff']);
  const t = apply({ binary: 'hex' }).table;
  assert.deepEqual(typeOf(t, 'b'), { type: 'string' });
  assert.equal(typeOf(t, 'bits').logical, 'io.debezium.data.Bits');
});

test('column.propagate.source.type: Debezium\'s type name, length and scale on matching columns only', () => {
  const r = retypeTable(toTableSchema(def, 1), modes({ propagateSourceType: ['shop\\.t\\.(d|bu)'] }));
  assert.deepEqual(typeOf(r.table, 'd').params, { scale: '2', 'connect.decimal.precision': '10', '__debezium.source.column.name': 'd', '__debezium.source.column.type': 'DECIMAL', '__debezium.source.column.length': '10', '__debezium.source.column.scale': '2' });
  assert.equal(typeOf(r.table, 'bu').params!['__debezium.source.column.type'], 'BIGINT UNSIGNED');
  assert.equal(typeOf(r.table, 't0').params, undefined);
  assert.deepEqual(mysqlSourceTypeInfo("enum('a','b')"), { typeName: 'enum' });
  assert.deepEqual(mysqlSourceTypeInfo('datetime(6)'), { typeName: 'datetime', length: 6, scale: undefined });
});

test('withValueHandling converts keys, before and after images, once per table version', async () => {
  const table = toTableSchema(def, 1);
  const row = rowOf();
  const ev = { op: 'u', key: { id: row.id }, before: row, after: row, source: {}, tsMs: 0, table } as unknown as ChangeEvent;
  async function* batches(): AsyncGenerator<ChangeBatch> { yield { events: [ev, ev], checkpoint: null } as unknown as ChangeBatch; }
  const out: ChangeBatch[] = [];
  for await (const b of withValueHandling(batches(), modes({ decimal: 'string' }))) out.push(b);
  const [e1, e2] = out[0]!.events;
  assert.deepEqual([e1!.key, e1!.before!.id, e1!.after!.d], [{ id: '12.30' }, '12.30', '-0.01']);
  assert.equal(e1!.table, e2!.table);
  assert.notEqual(e1!.table, table);
});
