/**
 * The lock-free initial snapshot (settings.snapshotLocking none, or auto without RELOAD): what MySqlSource adds around
 * the IncrementalSnapshotter's initial job (runtime/src/snapshot/incremental-snapshotter.ts queueInitial) — how a
 * stored offset shows one in progress, and its progress log and gauges, the same as the locked snapshot's
 * (snapshot.ts): a line per table every few seconds with rows copied, the estimate and the ETA, one when a table is
 * done, and snapshot_rows_copied / snapshot_rows_total_estimate. docs/sources/mysql.md "Lock-free snapshots".
 */
import type { Logger, MetricsRegistry } from '../../../core/src/types.ts';
import { readIncrementalState } from './incremental-snapshot.ts';

/** Whether a stored offset's state holds a lock-free initial snapshot still in progress. */
export function lockFreeInitialIn(state: Readonly<Record<string, unknown>> | undefined): boolean {
  return readIncrementalState(state).some((j) => j.initial === true);
}

export class InitialLoadProgress {
  readonly #log: Logger;
  readonly #estimates: ReadonlyMap<string, number>;
  readonly #copied = new Map<string, { rows: number; since: number }>();
  readonly #done = new Set<string>();
  readonly #gCopied;
  readonly #timer: NodeJS.Timeout;
  #total = 0;
  readonly #started = Date.now();

  constructor(o: { readonly log: Logger; readonly metrics: MetricsRegistry; readonly estimates: ReadonlyMap<string, number>; readonly intervalMs?: number | undefined }) {
    this.#log = o.log;
    this.#estimates = o.estimates;
    this.#gCopied = o.metrics.gauge('snapshot_rows_copied', 'Rows copied by the snapshot so far', ['table']);
    const gTotal = o.metrics.gauge('snapshot_rows_total_estimate', 'Rows of the table according to information_schema (an estimate)', ['table']);
    for (const [table, n] of o.estimates) gTotal.set({ table }, n);
    this.#timer = setInterval(() => this.#report(), o.intervalMs ?? 5000);
    this.#timer.unref();
  }

  /** `rows` of `table` emitted in one chunk; `tableDone` when it was the table's last. */
  rows(table: string, rows: number, tableDone: boolean): void {
    let c = this.#copied.get(table);
    if (!c) this.#copied.set(table, (c = { rows: 0, since: Date.now() }));
    c.rows += rows;
    this.#total += rows;
    this.#gCopied.set({ table }, c.rows);
    if (tableDone) {
      this.#done.add(table);
      this.#log.info({ table, rows: c.rows }, `snapshot of ${table} finished: ${c.rows} rows`);
    }
  }

  #report(): void {
    for (const [table, c] of this.#copied) {
      if (this.#done.has(table) || c.rows === 0) continue;
      const total = this.#estimates.get(table) ?? 0;
      const rate = c.rows / Math.max((Date.now() - c.since) / 1000, 0.001);
      this.#log.info({ table, rowsCopied: c.rows, rowsTotalEstimate: total, rowsPerSecond: Math.round(rate), etaSeconds: total > c.rows ? Math.round((total - c.rows) / rate) : 0 },
        `snapshot of ${table}: ${c.rows} of ~${total} rows (lock-free)`);
    }
  }

  /** The load is over (or the source closes): stops the progress lines. */
  close(finished: boolean): void {
    clearInterval(this.#timer);
    if (!finished) return;
    const secs = (Date.now() - this.#started) / 1000;
    this.#log.info({ rows: this.#total, seconds: Math.round(secs * 10) / 10, rowsPerSecond: Math.round(this.#total / Math.max(secs, 0.001)) },
      `snapshot finished: ${this.#total} rows in ${secs.toFixed(1)} s (lock-free)`);
  }
}
