/**
 * The watermark window of one incremental-snapshot chunk (DBLog, read-only variant), with no I/O so that it can be
 * tested with synthetic events. See incremental-snapshotter.ts for the driver, docs/sources/mysql.md and docs/sources/postgres.md.
 *
 *   1. The window opens before the low watermark is read: every streamed event of the table seen from then on
 *      marks its key as touched.
 *   2. The chunk's rows arrive (SELECT between the low and the high watermark): touched keys are dropped, and every
 *      later streamed event of the table drops its key from the buffer too.
 *   3. Once the stream's checkpoint reaches the high watermark, the remaining rows go out as op 'r'. A row that was
 *      changed after the SELECT could have read it has been dropped, so an 'r' never overwrites a newer change.
 *
 * Dropping too much is always safe (the key's value then comes from the streamed change); the window opens early
 * (before the low watermark, in stream order) on purpose.
 */
import type { ChangeEvent, Position, Row } from '../../../core/src/types.ts';

/** A position in a table's key order, JSON-serialisable (each source encodes its key values its own way). */
export type EncodedKey = readonly unknown[];

/** A key as a map key: its values in order, bigint and Buffer spelled out. */
export function keyString(key: Row | null): string {
  if (key === null) return 'null';
  return JSON.stringify(Object.values(key), (_k, v: unknown) => {
    if (typeof v === 'bigint') return `n:${v}`;
    if (v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `b:${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    return v;
  });
}

/** Whether the stream, having committed up to `checkpoint`, has read every transaction before the high watermark. */
export type HasPassed = (checkpoint: Position, high: Position) => boolean;

export class ChunkWindow {
  readonly table: string;
  readonly #touched = new Set<string>();
  #rows: Map<string, ChangeEvent> | null = null;
  #high: Position | null = null;
  #last: EncodedKey | null = null;
  #truncated = false;
  /** Rows the window dropped because the stream changed them. */
  dropped = 0;

  readonly #hasPassed: HasPassed;

  /** `table`: '<schema>.<table>' as in TableSchema.id ('<db>.<table>' for MySQL). */
  constructor(table: string, hasPassed: HasPassed) {
    this.table = table;
    this.#hasPassed = hasPassed;
  }

  /** Streamed events, in stream order: those of this table drop (or pre-drop) their key. */
  observe(events: readonly ChangeEvent[]): void {
    for (const e of events) {
      if (e.op === 'r' || `${e.table.id.schema}.${e.table.id.table}` !== this.table) continue;
      if (e.op === 't') {
        this.#truncated = true;
        if (this.#rows) { this.dropped += this.#rows.size; this.#rows.clear(); }
        continue;
      }
      const k = keyString(e.key);
      if (this.#rows) {
        if (this.#rows.delete(k)) this.dropped++;
      } else {
        this.#touched.add(k);
      }
    }
  }

  /**
   * The chunk's rows (op 'r' events, key order), read between the watermarks; `high` is the high watermark,
   * `last` where the next chunk starts (null: the table is finished).
   */
  fill(rows: readonly ChangeEvent[], high: Position, last: EncodedKey | null): void {
    const m = new Map<string, ChangeEvent>();
    if (!this.#truncated) {
      for (const r of rows) {
        const k = keyString(r.key);
        if (this.#touched.has(k)) this.dropped++;
        else m.set(k, r);
      }
    } else {
      this.dropped += rows.length;
    }
    this.#touched.clear();
    this.#rows = m;
    this.#high = high;
    this.#last = last;
  }

  get filled(): boolean {
    return this.#rows !== null;
  }

  get high(): Position | null {
    return this.#high;
  }

  get last(): EncodedKey | null {
    return this.#last;
  }

  /** Whether the remaining rows may go out after the batch whose checkpoint is `checkpoint`. */
  readyAt(checkpoint: Position): boolean {
    return this.#high !== null && this.#hasPassed(checkpoint, this.#high);
  }

  /** The rows still in the buffer, in key order; closes the window. */
  take(): ChangeEvent[] {
    const rows = [...(this.#rows?.values() ?? [])];
    this.#rows = new Map();
    return rows;
  }
}
