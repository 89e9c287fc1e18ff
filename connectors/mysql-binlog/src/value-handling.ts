/**
 * Debezium's value-handling modes on the MySQL/MariaDB source (settings.decimalHandlingMode, timePrecisionMode,
 * binaryHandlingMode, bigintUnsignedHandlingMode, columnPropagateSourceType; core/src/value-handling.ts).
 *
 * The codecs (row-codec.ts) always produce the defaults (precise decimals, adaptive_time_microseconds, bytes,
 * precise BIGINT UNSIGNED); this stage re-types each table version once and converts the affected values of every
 * event (snapshot, binlog and incremental snapshot alike, keys and column defaults too), exactly:
 *   decimal.handling.mode   double: the decimal's nearest float64 (BigDecimal#doubleValue); string: its plain text
 *                           at the column's scale ('1.50', BigDecimal#toPlainString)
 *   time.precision.mode     connect: DATE, TIME, DATETIME as Kafka Connect Date (days), Time (ms) and Timestamp (ms),
 *                           fractions beyond ms cut (floor); adaptive is refused (as Debezium's MySQL connector does)
 *   binary.handling.mode    BINARY/VARBINARY/BLOB as base64, base64-url-safe or hex text
 *   bigint.unsigned.handling.mode  long: int64, values above 2^63-1 wrapped to negative (as Debezium)
 * When every mode is the default the batches pass through untouched.
 */
import type { ChangeBatch, ChangeEvent, Column, FieldType, Row, TableSchema } from '../../../core/src/types.ts';
import { binaryToText, defaultValueHandling, type ValueHandling } from '../../../core/src/value-handling.ts';
import { bytesToDecimal, bytesToUnscaled } from '../../../schemas/src/decimal.ts';
import { sourceTypeMatcher, withSourceTypeParams, type SourceTypeInfo } from '../../../schemas/src/propagate-source-type.ts';
import { parseColumnType } from './type-mapping.ts';
import { FerryError } from '../../../core/src/errors.ts';

type Convert = (v: unknown) => unknown;

interface Retyped {
  readonly table: TableSchema;
  /** Column name → converter, for the columns whose values change. */
  readonly convs: ReadonlyMap<string, Convert>;
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const prim = (type: FieldType['type']): FieldType => ({ type });
const named = (type: FieldType['type'], logical: string): FieldType => ({ type, logical, version: 1 });
const toNumber = (v: number | bigint): number | bigint => (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);
/** Floor division of a µs count by 1000 (java.time's toMillis floors). */
const usToMs = (v: unknown): number | bigint => (typeof v === 'bigint' ? toNumber(v >= 0n ? v / 1000n : -((-v + 999n) / 1000n)) : Math.floor(Number(v) / 1000) + 0);

const DAY_MS = 86400000;

/**
 * A TIME column's µs → Kafka Connect Time ms (floor). Connect's Time is a time of day: a MySQL TIME outside
 * 00:00:00–24:00:00 (it reaches ±838:59:59) cannot be one, so it stops the task, naming the value and the fix.
 */
function connectTime(c: Column, table: string): Convert {
  return (v) => {
    const ms = usToMs(v) as number;
    if (ms >= 0 && ms <= DAY_MS) return ms;
    throw new FerryError('FERRY_UNSUPPORTED', `${table}.${c.name} (${c.sourceType}): the TIME value of ${Number(v) / 1e6} s cannot be carried under settings.timePrecisionMode: connect (Kafka Connect Time holds a time of day, 00:00:00 to 24:00:00). Fix: set settings.timePrecisionMode: adaptive_time_microseconds (the MySQL default, io.debezium.time.MicroTime), or exclude the column`);
  };
}

/** Whether the modes differ from the MySQL defaults (then withValueHandling has work to do). */
export function changesValues(modes: ValueHandling): boolean {
  const d = defaultValueHandling('mysql');
  return modes.decimal !== d.decimal || modes.time !== d.time || modes.binary !== d.binary || modes.bigintUnsigned !== d.bigintUnsigned || modes.propagateSourceType.length > 0;
}

/** A column's type for column.propagate.source.type, as Debezium's MySQL DDL parser names it: 'DECIMAL UNSIGNED', length 10, scale 2. */
export function mysqlSourceTypeInfo(columnType: string): SourceTypeInfo {
  const t = parseColumnType(columnType);
  const typeName = `${t.base}${t.unsigned ? ' unsigned' : ''}${t.zerofill ? ' zerofill' : ''}`;
  if (t.base === 'enum' || t.base === 'set') return { typeName };
  const num = (i: number) => (t.args[i] !== undefined && /^\d+$/.test(t.args[i]!) ? Number(t.args[i]) : undefined);
  return { typeName, length: num(0), scale: num(1) };
}

/** The field type and value converter of one column under `modes`; null when neither changes. */
function retypeColumn(c: Column, modes: ValueHandling, table: string): { type: FieldType; conv: Convert | null } | null {
  const base = parseColumnType(c.sourceType).base;
  const ft = c.type;
  if (ft.logical === DECIMAL) {
    const scale = Number(ft.params?.scale ?? '0');
    if (base === 'bigint') {
      if (modes.bigintUnsigned !== 'long') return null;
      return { type: prim('int64'), conv: (v) => toNumber(BigInt.asIntN(64, bytesToUnscaled(v as Buffer))) };
    }
    if (modes.decimal === 'double') return { type: prim('float64'), conv: (v) => Number(bytesToDecimal(v as Buffer, scale)) };
    if (modes.decimal === 'string') return { type: prim('string'), conv: (v) => bytesToDecimal(v as Buffer, scale) };
    return null;
  }
  if (ft.type === 'bytes' && ft.logical === undefined && modes.binary !== 'bytes') {
    const text = binaryToText(modes.binary);
    return { type: prim('string'), conv: (v) => text(v as Buffer) };
  }
  switch (ft.logical) {
    case 'io.debezium.time.MicroTime':
      // adaptive is refused at validation, as Debezium's MySQL connector refuses it (app/src/task-file/value-handling.ts)
      return modes.time === 'connect' ? { type: named('int32', 'org.apache.kafka.connect.data.Time'), conv: connectTime(c, table) } : null;
    case 'io.debezium.time.Date':
      return modes.time === 'connect' ? { type: named('int32', 'org.apache.kafka.connect.data.Date'), conv: null } : null;
    case 'io.debezium.time.Timestamp':
      return modes.time === 'connect' ? { type: named('int64', 'org.apache.kafka.connect.data.Timestamp'), conv: null } : null;
    case 'io.debezium.time.MicroTimestamp':
      return modes.time === 'connect' ? { type: named('int64', 'org.apache.kafka.connect.data.Timestamp'), conv: usToMs } : null;
    default:
      return null;
  }
}

/** A table version re-typed under `modes`, with the converters of the columns whose values change. */
export function retypeTable(table: TableSchema, modes: ValueHandling): Retyped {
  const propagate = sourceTypeMatcher(modes.propagateSourceType);
  const convs = new Map<string, Convert>();
  let changed = false;
  const columns = table.columns.map((c) => {
    const r = retypeColumn(c, modes, `${table.id.schema}.${table.id.table}`);
    let out = c;
    if (r) {
      if (r.conv) convs.set(c.name, r.conv);
      const dflt = c.defaultValue === undefined || c.defaultValue === null || !r.conv ? c.defaultValue : r.conv(c.defaultValue);
      out = { ...c, type: r.type, ...(dflt !== undefined ? { defaultValue: dflt } : {}) };
    }
    if (propagate?.(table.id.schema, table.id.table, c.name)) out = { ...out, type: withSourceTypeParams(out.type, c.name, mysqlSourceTypeInfo(c.sourceType)) };
    if (out !== c) changed = true;
    return out;
  });
  return { table: changed ? { ...table, columns } : table, convs };
}

function convertRow(row: Row | null, convs: ReadonlyMap<string, Convert>): Row | null {
  if (row === null) return null;
  let out: Row | null = null;
  for (const [name, conv] of convs) {
    const v = row[name];
    if (v === null || v === undefined) continue;
    out ??= { ...row };
    out[name] = conv(v);
  }
  return out ?? row;
}

/** The source's batches with `modes` applied to every event (each table version re-typed once). */
export async function* withValueHandling(batches: AsyncIterable<ChangeBatch>, modes: ValueHandling): AsyncGenerator<ChangeBatch> {
  const retyped = new WeakMap<TableSchema, Retyped>();
  const of = (t: TableSchema): Retyped => {
    let r = retyped.get(t);
    if (r === undefined) retyped.set(t, (r = retypeTable(t, modes)));
    return r;
  };
  for await (const batch of batches) {
    if (batch.events.length === 0) { yield batch; continue; }
    const events: ChangeEvent[] = batch.events.map((e) => {
      const r = of(e.table);
      if (r.table === e.table) return e;
      if (r.convs.size === 0) return { ...e, table: r.table };
      return { ...e, table: r.table, key: convertRow(e.key, r.convs), before: convertRow(e.before, r.convs), after: convertRow(e.after, r.convs) };
    });
    yield { ...batch, events };
  }
}
