/**
 * An outbox event as the router sees it, read from an outbox row (a change event's `after`) or from a PostgreSQL
 * logical-decoding message's JSON content, by the entry's column names (runtime/src/config/outbox-settings.ts).
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeEvent, SourceMessage, TableSchema } from '../../../core/src/types.ts';
import type { OutboxEntry } from '../config/outbox-settings.ts';

export interface OutboxEvent {
  readonly id: unknown;
  readonly aggregateType: unknown;
  readonly aggregateId: unknown;
  readonly type: unknown;
  /** JSON text (string), raw bytes (Buffer), a parsed JSON value (messages: `parsed` true), or null. */
  readonly payload: unknown;
  /** The payload is already a JSON value (message content), not JSON text. */
  readonly parsed: boolean;
  /** additionalFields' values by column name. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Record timestamp (ms): the change event's processing time, as Debezium's ts_ms. */
  readonly tsMs: number;
  /** Where it came from, for messages: "shop.outbox at <position>". */
  readonly where: string;
}

/** The columns an entry reads: the roles, then the additional fields. */
export function outboxColumns(entry: OutboxEntry): string[] {
  const c = entry.columns;
  const names = [c.id, c.aggregateType, c.aggregateId, ...(c.type !== null ? [c.type] : []), c.payload, ...entry.additionalFields.map((f) => f.column)];
  return [...new Set(names)];
}

/** The entry's columns the table lacks (empty when it has them all). */
export function missingColumns(entry: OutboxEntry, table: Pick<TableSchema, 'columns'>): string[] {
  const have = new Set(table.columns.map((c) => c.name));
  return outboxColumns(entry).filter((n) => !have.has(n));
}

export function missingColumnsError(entry: OutboxEntry, missing: readonly string[], have: readonly string[]): FerryError {
  return new FerryError('FERRY_CONFIG_INVALID',
    `outbox table ${entry.table} has no column${missing.length === 1 ? '' : 's'} ${missing.map((m) => `"${m}"`).join(', ')} (it has ${have.map((h) => `"${h}"`).join(', ')}). ` +
    'Name its columns in settings.outbox[].columns (and additionalFields), or add them to the table (docs/outbox.md)',
    { disposition: 'fatal', details: { table: entry.table, missing } });
}

export function fromRow(entry: OutboxEntry, e: ChangeEvent): OutboxEvent {
  const row = e.after ?? {};
  const c = entry.columns;
  const fields: Record<string, unknown> = {};
  for (const f of entry.additionalFields) fields[f.column] = row[f.column] ?? null;
  return {
    id: row[c.id] ?? null, aggregateType: row[c.aggregateType] ?? null, aggregateId: row[c.aggregateId] ?? null,
    type: c.type !== null ? (row[c.type] ?? null) : null, payload: row[c.payload] ?? null, parsed: false, fields, tsMs: e.tsMs,
    where: `${entry.table} at ${e.source.position}`,
  };
}

/**
 * A message's content: a JSON object with the entry's column names as fields. Required: the aggregate type (a
 * string) and the id; the aggregate id, type and payload may be missing (null). The payload is any JSON value.
 */
export function fromMessage(entry: OutboxEntry, m: SourceMessage): OutboxEvent {
  const where = `message "${m.prefix}" at ${m.position}`;
  let content: unknown;
  try {
    content = JSON.parse(m.content.toString('utf8'));
  } catch (e: unknown) {
    throw badMessage(where, `its content is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (content === null || typeof content !== 'object' || Array.isArray(content)) throw badMessage(where, 'its content is not a JSON object');
  const o = content as Record<string, unknown>;
  const c = entry.columns;
  const fields: Record<string, unknown> = {};
  for (const f of entry.additionalFields) fields[f.column] = o[f.column] ?? null;
  return {
    id: o[c.id] ?? null, aggregateType: o[c.aggregateType] ?? null, aggregateId: o[c.aggregateId] ?? null,
    type: c.type !== null ? (o[c.type] ?? null) : null, payload: o[c.payload] ?? null, parsed: true, fields, tsMs: m.tsMs, where,
  };
}

function badMessage(where: string, why: string): FerryError {
  return new FerryError('FERRY_SOURCE_ERROR', `outbox ${where} cannot be routed: ${why}. Write the content as a JSON object with the outbox fields (docs/outbox.md#logical-decoding-messages)`, { disposition: 'fatal' });
}

/** A value as text (topic part, key, header): strings as they are, numbers and booleans printed, objects as JSON; bytes stay bytes. */
export function textOf(v: unknown): string | Buffer {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

export function bytesOf(v: unknown): Buffer {
  const t = textOf(v);
  return typeof t === 'string' ? Buffer.from(t, 'utf8') : t;
}

/** A JSON-able value for an envelope field or an Avro value: bigint → number when exact, else string; Buffer kept. */
export function jsonValueOf(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}
