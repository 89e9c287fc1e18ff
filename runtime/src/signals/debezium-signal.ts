/**
 * Debezium's signals as Ferry reads them, from any channel (the signal table, the Kafka signal topic, POST /signals):
 * a type and a `data` JSON document (docs/signals.md). Pure functions, no I/O.
 *
 *   execute-snapshot  {"data-collections": ["db.t", ...], "type": "incremental",
 *                      "additional-conditions": [{"data-collection": "db.t", "filter": "<SQL condition>"}]}
 *                     (Debezium 2.0's single "additional-condition": "<SQL condition>" applies to every table)
 *   stop-snapshot     {"data-collections": ["db.t", ...], "type": "incremental"}  (no data-collections: stop all)
 *   pause-snapshot    {"type": "incremental"} or no data
 *   resume-snapshot   {"type": "incremental"} or no data
 *
 * Refused, with the reason (the channel logs it; POST /signals answers 400): other signal types (log,
 * schema-changes, ...), blocking snapshots, "surrogate-key", and malformed data. Data-collection names are exact
 * '<db>.<table>' names, not Debezium's regular expressions.
 */
import type { Row, SourceSignal } from '../../../core/src/types.ts';

export const SIGNAL_TYPES = ['execute-snapshot', 'stop-snapshot', 'pause-snapshot', 'resume-snapshot'] as const;
type SignalType = (typeof SIGNAL_TYPES)[number];

const TYPES_TEXT = SIGNAL_TYPES.join(', ');

function isSignalType(t: unknown): t is SignalType {
  return typeof t === 'string' && (SIGNAL_TYPES as readonly string[]).includes(t);
}

/** `data` as an object: a JSON text (the signal table's column), an object (a Kafka value), or nothing. */
function dataObject(data: unknown): Record<string, unknown> | string {
  if (data === null || data === undefined) return {};
  let v: unknown = data;
  if (typeof data === 'string') {
    if (data.trim() === '') return {};
    try {
      v = JSON.parse(data);
    } catch {
      return `its data is not JSON: ${JSON.stringify(data.length > 200 ? `${data.slice(0, 200)}…` : data)}`;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'its data must be a JSON object';
  return v as Record<string, unknown>;
}

/** Debezium's snapshot "type": incremental (the default); blocking is refused. */
function snapshotKindProblem(d: Record<string, unknown>): string | null {
  const k = d.type;
  if (k === undefined || k === null) return null;
  if (typeof k !== 'string') return '"type" in its data must be "incremental"';
  if (k.toLowerCase() === 'incremental') return null;
  if (k.toLowerCase() === 'blocking') return 'blocking snapshots are not supported: use "type": "incremental" (the stream goes on while the tables are re-read)';
  return `unknown snapshot type ${JSON.stringify(k)} in its data: the only type is "incremental"`;
}

function collections(d: Record<string, unknown>, required: boolean): string[] | string {
  const c = d['data-collections'];
  if (c === undefined || c === null) return required ? '"data-collections" is missing: list the tables, e.g. {"data-collections": ["<db>.<table>"]}' : [];
  if (!Array.isArray(c) || !c.every((t) => typeof t === 'string' && t.trim() !== '')) return '"data-collections" must be an array of "<db>.<table>" names';
  if (required && c.length === 0) return '"data-collections" is empty: execute-snapshot needs at least one table';
  return [...new Set((c as string[]).map((t) => t.trim()))];
}

/** Additional conditions, in Debezium's current form (a list per table) or its 2.0 form (one string for all). */
function conditionsOf(d: Record<string, unknown>, tables: readonly string[]): Record<string, string> | undefined | string {
  const list = d['additional-conditions'];
  const single = d['additional-condition'];
  if (list !== undefined && single !== undefined) return 'give "additional-conditions" or the older "additional-condition", not both';
  if (single !== undefined && single !== null) {
    if (typeof single !== 'string') return '"additional-condition" must be a SQL condition (a string)';
    if (single.trim() === '') return undefined;
    return Object.fromEntries(tables.map((t) => [t, single]));
  }
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'object' && c !== null && typeof c['data-collection'] === 'string' && typeof c.filter === 'string' && c.filter.trim() !== '')) {
    return '"additional-conditions" must be an array of {"data-collection": "<db>.<table>", "filter": "<SQL condition>"}';
  }
  const out: Record<string, string> = {};
  for (const c of list as { 'data-collection': string; filter: string }[]) {
    if (out[c['data-collection']] !== undefined) return `"additional-conditions" names ${c['data-collection']} twice`;
    out[c['data-collection']] = c.filter;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A Debezium signal (`type` and `data`) as a SourceSignal, or why it is refused (a sentence naming the fix).
 * `origin`: the sender's id, for logs and statuses.
 */
export function parseDebeziumSignal(type: unknown, data: unknown, origin?: string): SourceSignal | string {
  if (!isSignalType(type)) {
    return `unsupported signal type ${JSON.stringify(type)}: Ferry takes ${TYPES_TEXT}`;
  }
  const d = dataObject(data);
  if (typeof d === 'string') return `${type}: ${d}`;
  const kind = snapshotKindProblem(d);
  if (kind !== null) return `${type}: ${kind}`;
  const o = origin !== undefined ? { origin } : {};
  switch (type) {
    case 'execute-snapshot': {
      if (d['surrogate-key'] !== undefined) return 'execute-snapshot: "surrogate-key" is not supported: incremental snapshots read each table in primary-key order';
      const tables = collections(d, true);
      if (typeof tables === 'string') return `execute-snapshot: ${tables}`;
      const conditions = conditionsOf(d, tables);
      if (typeof conditions === 'string') return `execute-snapshot: ${conditions}`;
      return { type, tables, ...(conditions ? { conditions } : {}), ...o };
    }
    case 'stop-snapshot': {
      const tables = collections(d, false);
      if (typeof tables === 'string') return `stop-snapshot: ${tables}`;
      return { type, tables, ...o };
    }
    default:
      return { type, tables: [], ...o };
  }
}

/** A column value of the signal table as text (varchar, text, or a binary column's bytes); null when absent. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/** A row inserted into the signal table (Debezium's layout: id, type, data) as a SourceSignal, or why it is refused. */
export function signalOfRow(row: Row): SourceSignal | string {
  const id = text(row.id);
  const type = text(row.type);
  if (type === null) return `the signal row ${id === null ? '' : `${JSON.stringify(id)} `}has no type: Ferry takes ${TYPES_TEXT}`;
  return parseDebeziumSignal(type, text(row.data), id ?? undefined);
}

/**
 * A Kafka signal record (Debezium's KafkaSignalChannel: the key is the connector's topic prefix, the value
 * {"id": ..., "type": ..., "data": {...}}, id optional) as a SourceSignal, its origin the id or else `origin`; null when the key names another connector (the record is not
 * for this task and is skipped silently, as Debezium does); a string when it is for this task but refused.
 */
export function signalOfKafkaRecord(key: Buffer | null, value: Buffer | null, topicPrefix: string, origin: string): SourceSignal | string | null {
  if (key === null || key.toString('utf8') !== topicPrefix) return null;
  if (value === null || value.length === 0) return 'the signal record has no value: send {"type": "<signal type>", "data": {...}}';
  let v: unknown;
  try {
    v = JSON.parse(value.toString('utf8'));
  } catch {
    return 'the signal record\'s value is not JSON: send {"type": "<signal type>", "data": {...}}';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the signal record\'s value must be a JSON object {"type": ..., "data": ...}';
  const o = v as { id?: unknown; type?: unknown; data?: unknown };
  return parseDebeziumSignal(o.type, o.data, typeof o.id === 'string' && o.id !== '' ? o.id : origin);
}
