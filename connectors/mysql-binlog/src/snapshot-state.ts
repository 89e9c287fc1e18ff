/**
 * The resume state of an interrupted snapshot, committed by the runtime with each snapshot batch
 * (ChangeBatch.state → StoredOffset.state) and read back from ctx.resumeFrom.state:
 *
 *   { v: 1, snapshot: { position, tables: { "<db>.<table>": { done: true } | { after: [<pk values>] } } } }
 *
 * `position` is the binlog position streaming starts from (the minimum of every snapshot transaction's position,
 * including those of earlier attempts); `after` is the highest primary key such that every row at or below it
 * has been emitted (a contiguous prefix: chunks finish out of order, the watermark only moves over finished ones).
 * Key values are kept in their driver form (numbers, decimal strings, date text, base64 for bytes) so they can
 * be sent back as query parameters exactly.
 */
import type { Position } from '../../../core/src/types.ts';

export type KeyValue = number | string | { readonly b64: string } | null;
export type EncodedKey = readonly KeyValue[];

export interface TableProgress {
  readonly done?: boolean;
  readonly after?: EncodedKey;
  /** A keyless table read whole in a resumed snapshot: the position of that read (runtime/src/snapshot/resumed-keyless.ts). */
  readonly at?: Position;
}

export interface SnapshotState {
  readonly position: Position;
  readonly tables: Readonly<Record<string, TableProgress>>;
}

export const STATE_VERSION = 1;

export function encodeKeyValue(v: unknown): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return { b64: v.toString('base64') };
  return String(v);
}

export function decodeKeyValue(v: KeyValue): unknown {
  if (v !== null && typeof v === 'object') return Buffer.from(v.b64, 'base64');
  return v;
}

/** The snapshot state in a stored offset's state, if it holds one Ferry can read. */
export function readSnapshotState(state: Readonly<Record<string, unknown>> | undefined): SnapshotState | null {
  if (!state || state.v !== STATE_VERSION || typeof state.snapshot !== 'object' || state.snapshot === null) return null;
  const s = state.snapshot as Record<string, unknown>;
  if (typeof s.position !== 'string' || typeof s.tables !== 'object' || s.tables === null) return null;
  return { position: s.position as Position, tables: s.tables as Record<string, TableProgress> };
}

export function snapshotStateRecord(s: SnapshotState): Readonly<Record<string, unknown>> {
  return { v: STATE_VERSION, snapshot: { position: s.position, tables: s.tables } };
}

/**
 * Tracks, per table, which chunks (numbered in key order) are fully emitted, and turns that into the contiguous
 * watermark the state records.
 */
export class ProgressTracker {
  readonly #tables = new Map<string, TableProgress>();
  readonly #pending = new Map<string, { next: number; done: Map<number, { hi: EncodedKey | null }> }>();

  constructor(initial: Readonly<Record<string, TableProgress>> = {}) {
    for (const [k, v] of Object.entries(initial)) this.#tables.set(k, v);
  }

  get(table: string): TableProgress | undefined {
    return this.#tables.get(table);
  }

  /** Chunk `seq` of `table` (0-based, in key order since the last watermark) is emitted; `hi` null = it was the last. */
  chunkDone(table: string, seq: number, hi: EncodedKey | null): void {
    let p = this.#pending.get(table);
    if (!p) this.#pending.set(table, (p = { next: 0, done: new Map() }));
    p.done.set(seq, { hi });
    while (p.done.has(p.next)) {
      const c = p.done.get(p.next)!;
      p.done.delete(p.next);
      p.next++;
      this.#tables.set(table, c.hi === null ? { done: true } : { after: c.hi });
    }
  }

  /** A table read whole (no primary key) is emitted. */
  tableDone(table: string, at?: Position): void {
    this.#tables.set(table, at === undefined ? { done: true } : { done: true, at });
  }

  snapshot(): Record<string, TableProgress> {
    return Object.fromEntries(this.#tables);
  }
}
