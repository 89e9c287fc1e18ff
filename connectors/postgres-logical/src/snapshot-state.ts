/**
 * Resume state of an interrupted snapshot, committed by the runtime with every snapshot batch
 * (ChangeBatch.state → StoredOffset.state):
 *
 *   { v: 1, pg: { position, slot, tables: { "<schema>.<table>": { done: true } | { after: [<pk texts>] } } } }
 *
 * `position` is where streaming starts after the snapshot (the slot's consistent point); `after` is the highest
 * primary key (as the column types' text) such that every row at or below it has been emitted — a contiguous
 * prefix, since chunks finish out of order. Tables without a primary key only record `done`.
 */
import type { Position } from '../../../core/src/types.ts';

export interface TableProgress {
  readonly done?: boolean;
  readonly after?: readonly string[];
  /** A keyless table read whole in a resumed snapshot: the position of that read (runtime/src/snapshot/resumed-keyless.ts). */
  readonly at?: Position;
}

export interface SnapshotState {
  readonly position: Position;
  readonly slot: string | null;
  readonly tables: Readonly<Record<string, TableProgress>>;
}

export const STATE_VERSION = 1;

export function readSnapshotState(state: Readonly<Record<string, unknown>> | undefined): SnapshotState | null {
  if (!state || state.v !== STATE_VERSION || typeof state.pg !== 'object' || state.pg === null) return null;
  const s = state.pg as Record<string, unknown>;
  if (typeof s.position !== 'string' || typeof s.tables !== 'object' || s.tables === null) return null;
  return { position: s.position as Position, slot: typeof s.slot === 'string' ? s.slot : null, tables: s.tables as Record<string, TableProgress> };
}

export function snapshotStateRecord(s: SnapshotState): Readonly<Record<string, unknown>> {
  return { v: STATE_VERSION, pg: { position: s.position, slot: s.slot, tables: s.tables } };
}

/** Per table, which chunks (numbered in key order) are emitted, turned into the contiguous watermark. */
export class ProgressTracker {
  readonly #tables = new Map<string, TableProgress>();
  readonly #pending = new Map<string, { next: number; done: Map<number, readonly string[] | null> }>();

  constructor(initial: Readonly<Record<string, TableProgress>> = {}) {
    for (const [k, v] of Object.entries(initial)) this.#tables.set(k, v);
  }

  get(table: string): TableProgress | undefined {
    return this.#tables.get(table);
  }

  /** Chunk `seq` of `table` is emitted; `hi` is its upper key bound, null for the table's last chunk. */
  chunkDone(table: string, seq: number, hi: readonly string[] | null, keyed: boolean, at?: Position): void {
    let p = this.#pending.get(table);
    if (!p) this.#pending.set(table, (p = { next: 0, done: new Map() }));
    p.done.set(seq, hi);
    while (p.done.has(p.next)) {
      const h = p.done.get(p.next)!;
      p.done.delete(p.next);
      p.next++;
      if (h === null) this.#tables.set(table, at === undefined || keyed ? { done: true } : { done: true, at });
      else if (keyed) this.#tables.set(table, { after: h });
    }
  }

  snapshot(): Record<string, TableProgress> {
    return Object.fromEntries(this.#tables);
  }
}
