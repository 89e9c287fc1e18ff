/**
 * The PostgreSQL stream's CDC window (settings.cdcStartTime and settings.cdcStopPosition; docs/sources/postgres.md
 * "CDC start and stop points"). pgoutput sends each transaction's commit LSN and commit time in its Begin message (and
 * in Stream Commit for a streamed one), so every decision is exact and made before anything of the transaction is
 * emitted:
 *  - start time T: transactions committed before T (microseconds) are skipped, up to the first one at or after T.
 *  - stop time T (server_time: or commit_time:, both the commit timestamp here): a transaction committed at or before
 *    T is in, the first one committed after it is out; the stream ends before it. With no such transaction, the stream
 *    ends once the server's clock passed T by a second and the stream has read up to the WAL position the server
 *    reported then (pg_current_wal_insert_lsn()), which Ferry's heartbeat messages (settings.heartbeatIntervalMs) carry it past.
 *  - stop LSN L: a transaction whose commit record begins before L is in (so L = pg_current_wal_insert_lsn() read after
 *    a commit includes it; pg_current_wal_lsn() can lag a commit with synchronous_commit off); the first one whose commit record begins at or after L is out.
 * The stream's last checkpoint is the out transaction's commit LSN (or the heartbeat's LSN): a slot restarted there
 * skips exactly the transactions that were in, and gives the first one that was out.
 */
import type { CdcStop } from '../../../runtime/src/config/cdc-window-settings.ts';
import { lsnPosition, parseLsnText } from '../../../core/src/position.ts';
import type { Logger, Position } from '../../../core/src/types.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export class PgCdcWindow {
  readonly #stop: CdcStop | null;
  readonly #stopLsn: bigint | null;
  #skipBeforeUs: bigint | null;
  readonly #log: Logger;
  readonly #serverEnd: () => Promise<bigint>;
  #endTarget: bigint | null = null;
  #asking = false;
  /** The stream reached the stop point. */
  done = false;

  constructor(o: { stop: CdcStop | null; skipBeforeMs: number | null; log: Logger; serverEnd: () => Promise<bigint> }) {
    this.#stop = o.stop;
    this.#stopLsn = o.stop?.kind === 'lsn' ? parseLsnText(o.stop.lsn) : null;
    this.#skipBeforeUs = o.skipBeforeMs === null ? null : BigInt(o.skipBeforeMs) * 1000n;
    this.#log = o.log;
    this.#serverEnd = o.serverEnd;
  }

  /** A transaction with commit record at `commitLsn`, committed at `commitUs` (µs since the epoch). */
  transaction(commitLsn: bigint, commitUs: bigint): 'stop' | 'skip' | 'emit' {
    const stop = this.#stop;
    if (stop?.kind === 'time' && commitUs > BigInt(stop.ms) * 1000n) {
      return this.#reached(`the first transaction after it (commit at ${lsnPosition(commitLsn)}) committed at ${iso(Number(commitUs / 1000n))}`);
    }
    if (this.#stopLsn !== null && commitLsn >= this.#stopLsn) return this.#reached(`the next transaction commits at ${lsnPosition(commitLsn)}`);
    if (this.#skipBeforeUs !== null) {
      if (commitUs < this.#skipBeforeUs) return 'skip';
      this.#log.info({ position: lsnPosition(commitLsn) }, `cdcStartTime ${iso(Number(this.#skipBeforeUs / 1000n))}: the first transaction at or after it commits at ${lsnPosition(commitLsn)} (${iso(Number(commitUs / 1000n))}); the ones before were skipped`);
      this.#skipBeforeUs = null;
    }
    return 'emit';
  }

  /** The stream is at `lsn` outside any transaction (a heartbeat): whether the stop point is behind it. */
  idle(lsn: bigint): boolean {
    if (this.#stopLsn !== null && lsn >= this.#stopLsn) return this.#reached(`the stream is at ${lsnPosition(lsn)}`) === 'stop';
    const stop = this.#stop;
    if (stop?.kind !== 'time' || Date.now() < stop.ms + 1000) return false;
    if (this.#endTarget === null) {
      if (!this.#asking) {
        this.#asking = true;
        this.#serverEnd().then((l) => { this.#endTarget = l; }, (e: unknown) => { this.#asking = false; this.#log.warn({ err: e }, 'reading the WAL position for the stop time failed; trying again'); });
      }
      return false;
    }
    if (lsn < this.#endTarget) return false;
    return this.#reached(`no transaction committed after it yet, and the stream read the WAL up to ${lsnPosition(this.#endTarget)}`) === 'stop';
  }

  /** The last batch: the stop point's text on it, checkpointed at `at`. */
  finalBatch(at: Position): { events: []; checkpoint: Position; stopReached: string } {
    return { events: [], checkpoint: at, stopReached: this.#stop!.text };
  }

  #reached(why: string): 'stop' {
    this.done = true;
    this.#log.info({ stop: this.#stop!.text }, `reached cdcStopPosition ${this.#stop!.text}: ${why}`);
    return 'stop';
  }
}
