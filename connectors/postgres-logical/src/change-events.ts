/**
 * pgoutput changes → Debezium change events (op c/u/d/t), with PostgreSQL's source block: schema, table, txId,
 * lsn (of the change), sequence ["<last commit end LSN>","<change LSN>"], xmin null, ts_ms/ts_us/ts_ns of the
 * commit.
 *
 * Unchanged TOAST values ('u') are filled from the old row image, which REPLICA IDENTITY FULL provides; without one
 * the value is not in the WAL at all: the stream reads it by key (toast-lookup.ts, source.unchangedToast: lookup, the
 * default) before it calls updateEvents, or, with unchangedToast: fail, the change fails loudly. No placeholder ever
 * reaches a sink. The one exception is an outbox table (EventContext.insertOnlyTables): the router skips its
 * updates, so such an update goes on without the value.
 * A primary-key change becomes a delete of the old key and a create of the new one, as Debezium emits it.
 */
import type { ChangeEvent, Position, Row, SourceInfo } from '../../../core/src/types.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { lsnPosition } from '../../../core/src/position.ts';
import { UNCHANGED_TOAST, pgTimeToUnixMicros, type DeleteMessage, type InsertMessage, type Tuple, type UpdateMessage } from './protocol/pgoutput-decoder.ts';
import { NullInRequiredColumn, type SchemaTracker, type TableCodec } from './table-codec.ts';

/** A relation as the stream knows it: its current codec, or null when the table is not captured. */
export interface RelationState {
  codec: TableCodec | null;
  readonly replicaIdentity: string;
}

/** What every event of one transaction shares. */
export interface TxnInfo {
  readonly txId: string;
  readonly commitMs: number;
  readonly tsUs: number;
  readonly tsNs: bigint;
  readonly position: Position;
  /** `["<last commit LSN>","` — the change LSN and `"]` complete the sequence. */
  readonly seqPrefix: string;
}

export function txnInfo(xid: number, commitTime: bigint, finalLsn: bigint, lastCommit: bigint | null): TxnInfo {
  const us = pgTimeToUnixMicros(commitTime);
  return {
    txId: String(xid), commitMs: Math.floor(us / 1000), tsUs: us, tsNs: BigInt(us) * 1000n, position: lsnPosition(finalLsn),
    seqPrefix: `[${lastCommit === null ? 'null' : `"${lastCommit}"`},"`,
  };
}

export interface EventContext {
  readonly topicPrefix: string;
  readonly database: string;
  readonly tracker: SchemaTracker;
  /**
   * Outbox tables ('schema.table'), whose updates the outbox router skips: an unchanged TOAST value PostgreSQL did not
   * send is left out of such an update (null, or the column's fallback when NOT NULL) instead of stopping the task.
   */
  readonly insertOnlyTables?: ReadonlySet<string>;
}

function source(ctx: EventContext, codec: TableCodec, tx: TxnInfo, lsn: bigint): SourceInfo {
  const n = Number(lsn);
  return {
    connector: 'postgresql', name: ctx.topicPrefix, tsMs: tx.commitMs, snapshot: 'false', db: ctx.database,
    schema: codec.id.schema, table: codec.id.table, txId: tx.txId, position: tx.position,
    extra: { lsn: n, sequence: `${tx.seqPrefix}${n}"]`, xmin: null, ts_us: tx.tsUs, ts_ns: tx.tsNs },
  };
}

/** Converts with the relation's codec; a null in a column the catalog calls NOT NULL relaxes the schema once. */
function convert(ctx: EventContext, rel: RelationState, f: (c: TableCodec) => Row): Row {
  for (let attempt = 0; ; attempt++) {
    const codec = rel.codec!;
    try {
      return f(codec);
    } catch (e: unknown) {
      if (!(e instanceof NullInRequiredColumn) || attempt > codec.columnCount) throw e;
      rel.codec = ctx.tracker.relax(codec, e.column);
    }
  }
}

function resolveToast(codec: TableCodec, t: Tuple, old: Tuple | null): Tuple {
  let out: Tuple | null = null;
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== UNCHANGED_TOAST) continue;
    const v = old?.[i];
    if (old === null || v === undefined || v === UNCHANGED_TOAST) {
      throw new FerryError('FERRY_SOURCE_PREREQUISITE',
        `an UPDATE of ${codec.key} left an out-of-line (TOASTed) value unchanged and PostgreSQL did not send it: the table is not REPLICA IDENTITY FULL, and source.unchangedToast is fail. ` +
        `The value is not in the WAL, so this change cannot be replayed exactly. Run ALTER TABLE ${codec.key} REPLICA IDENTITY FULL, then re-copy the table (new task or offset), exclude the table, ` +
        `or set source.unchangedToast: lookup (the value is read by key; docs/sources/postgres.md#toast-values)`,
        { details: { table: codec.key } });
    }
    out ??= [...t];
    out[i] = v;
  }
  return out ?? t;
}

export function insertEvents(ctx: EventContext, rel: RelationState, m: InsertMessage, lsn: bigint, tx: TxnInfo, now: number, out: ChangeEvent[]): void {
  const after = convert(ctx, rel, (c) => c.convertTuple(m.newTuple));
  const codec = rel.codec!;
  out.push({ op: 'c', key: codec.keyOf(after), before: null, after, source: source(ctx, codec, tx, lsn), tsMs: now, table: codec.schema });
}

/** `unchangedToast`: the columns whose values PostgreSQL did not send and the stream read by key (toast-lookup.ts). */
export function updateEvents(ctx: EventContext, rel: RelationState, m: UpdateMessage, lsn: bigint, tx: TxnInfo, now: number, out: ChangeEvent[], unchangedToast?: readonly string[]): void {
  const insertOnly = ctx.insertOnlyTables?.has(rel.codec!.key) === true;
  const newTuple = insertOnly ? m.newTuple : resolveToast(rel.codec!, m.newTuple, m.oldTuple);
  // An outbox table's update (skipped by the router): convertKeyTuple leaves an unsent TOAST value out (null or fallback).
  const after = insertOnly ? rel.codec!.convertKeyTuple(newTuple) : convert(ctx, rel, (c) => c.convertTuple(newTuple));
  const before = m.oldTuple !== null ? convert(ctx, rel, (c) => c.convertTuple(m.oldTuple!))
    : m.keyTuple !== null ? rel.codec!.convertKeyTuple(m.keyTuple) : null;
  const codec = rel.codec!;
  const src = source(ctx, codec, tx, lsn);
  const newKey = codec.keyOf(after);
  if (before !== null && newKey !== null) {
    const oldKey = codec.keyOf(before)!;
    if (codec.primaryKey.some((k) => !sameValue(oldKey[k], newKey[k]))) {
      out.push({ op: 'd', key: oldKey, before, after: null, source: src, tsMs: now, table: codec.schema });
      out.push({ op: 'c', key: newKey, before: null, after, source: src, tsMs: now, table: codec.schema, ...(unchangedToast ? { unchangedToast } : {}) });
      return;
    }
  }
  out.push({ op: 'u', key: newKey, before, after, source: src, tsMs: now, table: codec.schema, ...(unchangedToast ? { unchangedToast } : {}) });
}

export function deleteEvents(ctx: EventContext, rel: RelationState, m: DeleteMessage, lsn: bigint, tx: TxnInfo, now: number, out: ChangeEvent[]): void {
  const before = m.oldTuple !== null ? convert(ctx, rel, (c) => c.convertTuple(m.oldTuple!)) : rel.codec!.convertKeyTuple(m.keyTuple!);
  const codec = rel.codec!;
  out.push({ op: 'd', key: codec.keyOf(before), before, after: null, source: source(ctx, codec, tx, lsn), tsMs: now, table: codec.schema });
}

export function truncateEvent(ctx: EventContext, codec: TableCodec, lsn: bigint, tx: TxnInfo, now: number): ChangeEvent {
  return { op: 't', key: null, before: null, after: null, source: source(ctx, codec, tx, lsn), tsMs: now, table: codec.schema };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}
