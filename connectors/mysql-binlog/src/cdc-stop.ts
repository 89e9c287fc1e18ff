/**
 * The binlog stream's CDC window (settings.cdcStartTime and settings.cdcStopPosition; docs/sources/mysql.md "CDC start
 * and stop points"): which transactions the stream skips or stops before. binlog-stream.ts asks it at each
 * transaction's first event (its GTID event, or BEGIN without GTIDs), at each commit, and once a second while idle.
 *
 * A transaction's time is the timestamp of its first event: the GTID event, which the server writes at commit with the
 * start time of the committing statement (an autocommit statement, or COMMIT), so it is the commit time to the second.
 *  - start time T: transactions whose time is before T are skipped (their DDL still reaches the schema history), up
 *    to the first one at or after T; from there on everything is emitted.
 *  - stop time T (server_time: or commit_time:, the same for the binlog): a transaction whose time is after T is the
 *    first one out; the stream ends before it. With no such transaction, the stream ends once the server's clock
 *    passed T by a second and the stream has read up to the binlog end the server reported then (SHOW MASTER STATUS).
 *  - stop position P (file:pos): transactions that end at or before P are in; the first transaction that begins at or
 *    after P, or that ends after P (P inside it), is out. A transaction larger than batch.maxEvents has its first
 *    batches written before its end is known: when P lies inside such a transaction it is kept whole (a warning says so).
 */
import type { CdcStop } from '../../../runtime/src/config/cdc-window-settings.ts';
import type { Logger, Position } from '../../../core/src/types.ts';
import { compareLogOrder, withGtid } from './binlog-position.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export class BinlogWindow {
  readonly #stop: CdcStop | null;
  readonly #stopPos: Position | null;
  #skipBeforeMs: number | null;
  readonly #log: Logger;
  readonly #serverEnd: () => Promise<Position>;
  #endTarget: Position | null = null;
  #asking = false;
  /** The stream reached the stop point: nothing more is emitted. */
  done = false;
  /** The current transaction is skipped (before the start time). */
  skipping = false;

  constructor(o: { stop: CdcStop | null; skipBeforeMs: number | null; log: Logger; serverEnd: () => Promise<Position> }) {
    this.#stop = o.stop;
    this.#stopPos = o.stop?.kind === 'binlog' ? withGtid({ file: o.stop.file, pos: o.stop.pos }, undefined) : null;
    this.#skipBeforeMs = o.skipBeforeMs;
    this.#log = o.log;
    this.#serverEnd = o.serverEnd;
  }

  /** A transaction begins at `start` with time `tsMs`: true when it is past the stop point (the stream ends before it). */
  begin(start: Position, tsMs: number): boolean {
    if (this.done) return true;
    const stop = this.#stop;
    if (stop?.kind === 'time' && tsMs > stop.ms) return this.#reached(`the first transaction after it (at ${start}) committed at ${iso(tsMs)}`);
    if (this.#stopPos !== null && compareLogOrder(start, this.#stopPos) >= 0) return this.#reached(`the next transaction begins at ${start}`);
    if (this.#skipBeforeMs !== null) {
      if (tsMs < this.#skipBeforeMs) this.skipping = true;
      else {
        this.#log.info({ position: start }, `cdcStartTime ${iso(this.#skipBeforeMs)}: the first transaction at or after it begins at ${start} (committed ${iso(tsMs)}); the ones before were skipped`);
        this.#skipBeforeMs = null;
        this.skipping = false;
      }
    }
    return false;
  }

  /** A commit ending at `end` of the transaction begun at `start`: 'drop' = the stop position lies inside it (end it before it). */
  commit(start: Position | null, end: Position, partial: boolean): 'drop' | 'keep' {
    if (this.#stopPos === null || this.done || compareLogOrder(end, this.#stopPos) <= 0) return 'keep';
    if (start !== null && compareLogOrder(start, this.#stopPos) < 0 && partial) {
      this.#log.warn({ start, end, stop: this.#stop!.text }, `cdcStopPosition ${this.#stop!.text} lies inside a transaction larger than batch.maxEvents whose first part was already written: it is kept whole, and the task stops after it at ${end}`);
      return 'keep';
    }
    return 'drop';
  }

  /** After a commit: whether the stream is at or past the stop position (it ends here). */
  afterCommit(boundary: Position): boolean {
    this.skipping = false;
    if (this.#stopPos === null || this.done || compareLogOrder(boundary, this.#stopPos) < 0) return false;
    return this.#reached(`the stream is at ${boundary}`);
  }

  /** Once a second with no transaction open: a time stop ends the stream once it read everything the server held a second past the time. */
  idle(boundary: Position): boolean {
    const stop = this.#stop;
    if (stop?.kind !== 'time' || this.done || Date.now() < stop.ms + 1000) return false;
    if (this.#endTarget === null) {
      if (!this.#asking) {
        this.#asking = true;
        this.#serverEnd().then((p) => { this.#endTarget = p; }, (e: unknown) => { this.#asking = false; this.#log.warn({ err: e }, 'reading the binlog end for the stop time failed; trying again'); });
      }
      return false;
    }
    if (compareLogOrder(boundary, this.#endTarget) < 0) return false;
    return this.#reached(`no transaction committed after it yet, and the stream read the whole binlog up to ${this.#endTarget}`);
  }

  /** The last batch: the stop point's text on it, checkpointed at `at`. */
  finalBatch(at: Position): { events: []; checkpoint: Position; stopReached: string } {
    return { events: [], checkpoint: at, stopReached: this.#stop!.text };
  }

  #reached(why: string): true {
    this.done = true;
    this.#log.info({ stop: this.#stop!.text }, `reached cdcStopPosition ${this.#stop!.text}: ${why}`);
    return true;
  }
}
