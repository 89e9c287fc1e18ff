/**
 * Per-table statistics of a task, modelled on AWS DMS's TableStatistics, plus the task's CDC latencies.
 *
 * `withTaskStatistics` wraps the task's source once (app/src/task/TaskRunner.ts, next to withTableMapping):
 * every batch the source yields is noted when read, and its counts are applied when the pipeline acknowledges its
 * checkpoint — that is, after the batch is durable in every sink and its offset committed. So inserts, updates,
 * deletes and full-load rows count what was durably written, each event once (exact across graceful stops; after a
 * crash, events redelivered from the last committed offset may be counted again).
 *
 * Tables are keyed by their source name ('<db>.<table>' / '<schema>.<table>', from the event's source block, which
 * the table mapping leaves alone).
 */
import type { ChangeBatch, Position, SignalStatus, SourceConnector } from '../../../core/src/types.ts';

export type TableState = 'Before load' | 'Full load' | 'Table completed' | 'Table cancelled' | 'Table error';

export interface TableStatistics {
  schemaName: string;
  tableName: string;
  inserts: number;
  updates: number;
  deletes: number;
  /** Schema changes seen in the stream (a new table version) and truncates. */
  ddls: number;
  fullLoadRows: number;
  /** True once the table was reloaded (reload-table / an added table). */
  fullLoadReloaded: boolean;
  fullLoadStartTime: string | null;
  fullLoadEndTime: string | null;
  lastUpdateTime: string | null;
  tableState: TableState;
  /** DMS's validation state of the table (docs/validation.md#validation-during-cdc); "Not enabled" without settings.validation. */
  validationState: ValidationState;
  /** Source rows the last comparison found equal on the target (the fewest over the database targets). */
  validationValidatedRecords: number;
  /** Rows found different that wait for the stream to pass them before they are re-checked (DMS ValidationPendingRecords). */
  validationPendingRecords: number;
  /** Confirmed mismatches (DMS ValidationFailedRecords), as recorded in the target's failures table. */
  validationFailedRecords: number;
  /** Rows that kept changing at every re-check (DMS ValidationSuspendedRecords). */
  validationSuspendedRecords: number;
  /** Why the state is what it is (an error message, a target), or null. */
  validationStateDetails: string | null;
}

/** DMS's table validation states (its TableStatistics.ValidationState). */
export type ValidationState = 'Not enabled' | 'Pending validation' | 'Validated' | 'Pending records' | 'Mismatched records' | 'Suspended records' | 'No primary key' | 'Not supported' | 'Error';

/** A table's validation, as the continuous validator reports it (app/src/validate-data/continuous-validation.ts). */
export type TableValidationStatistics = Pick<TableStatistics, 'validationState' | 'validationValidatedRecords' | 'validationPendingRecords' | 'validationFailedRecords' | 'validationSuspendedRecords' | 'validationStateDetails'>;

interface Counts { inserts: number; updates: number; deletes: number; ddls: number; fullLoadRows: number }
interface Pending { readonly checkpoint: Position | null; readonly counts: Map<string, Counts>; readonly lastChangeTs: number; readonly snapshotDone: boolean }

/** A reload in progress: the signal that copies the table, so its state follows the signal's. */
interface Reload { readonly signalId: string | null }

const NOT_VALIDATED: TableValidationStatistics = { validationState: 'Not enabled', validationValidatedRecords: 0, validationPendingRecords: 0, validationFailedRecords: 0, validationSuspendedRecords: 0, validationStateDetails: null };

const zero = (): Counts => ({ inserts: 0, updates: 0, deletes: 0, ddls: 0, fullLoadRows: 0 });
const iso = (ms: number) => new Date(ms).toISOString();

export interface LatencyView {
  /** now − source commit time of the last change read from the source; null before the first change. */
  readonly sourceMs: number | null;
  /** now − source commit time of the last change durably written (sinks + offset); null before the first. */
  readonly targetMs: number | null;
  readonly lastChangeSourceTime: string | null;
  readonly lastChangeWrittenTime: string | null;
}

export class TaskStatistics {
  readonly #tables = new Map<string, TableStatistics>();
  readonly #versions = new Map<string, number>();
  readonly #reloads = new Map<string, Reload>();
  /** Rows the initial full load copied of each table reloaded since (its fullLoadRows started over): the task's figure keeps them. */
  readonly #initialRows = new Map<string, number>();
  #pending: Pending[] = [];
  #source: SourceConnector | null = null;
  #lastReadChangeTs = 0;
  #lastDurableChangeTs = 0;
  #lastDurableAt = 0;
  #durable: Position | null = null;
  #fullLoadStartedAt = 0;
  #fullLoadDone = false;
  #changed = false;

  /** The wrapped source of the current run (for signals), or null when the task is not running. */
  get source(): SourceConnector | null {
    return this.#source;
  }

  attach(source: SourceConnector | null): void {
    this.#source = source;
    this.#pending = []; // a new run re-reads from the committed offset: what was pending is redelivered
  }

  /** True when counts changed since the last call (the manager persists them then). */
  takeChanged(): boolean {
    const c = this.#changed;
    this.#changed = false;
    return c;
  }

  #table(key: string, schemaName: string, tableName: string): TableStatistics {
    let t = this.#tables.get(key);
    if (!t) {
      t = { schemaName, tableName, inserts: 0, updates: 0, deletes: 0, ddls: 0, fullLoadRows: 0, fullLoadReloaded: false, fullLoadStartTime: null, fullLoadEndTime: null, lastUpdateTime: null, tableState: 'Before load', ...NOT_VALIDATED };
      this.#tables.set(key, t);
    }
    return t;
  }

  /** A batch read from the source (not yet durable). */
  onRead(batch: ChangeBatch): void {
    const counts = new Map<string, Counts>();
    let lastChangeTs = 0;
    const now = Date.now();
    for (const e of batch.events) {
      const schemaName = e.source.schema ?? e.source.db;
      const key = `${schemaName}.${e.source.table}`;
      const t = this.#table(key, schemaName, e.source.table);
      let c = counts.get(key);
      if (!c) counts.set(key, (c = zero()));
      const seen = this.#versions.get(key);
      if (seen !== undefined && seen !== e.table.version && e.op !== 'r') c.ddls++;
      this.#versions.set(key, e.table.version);
      if (e.op === 'r') {
        c.fullLoadRows++;
        if (e.source.snapshot === 'incremental' && !this.#reloads.has(key) && t.tableState !== 'Before load') this.#reloads.set(key, { signalId: null }); // a reload not asked through the API
        if (t.tableState === 'Before load' || (e.source.snapshot === 'incremental' && t.tableState === 'Table completed' && this.#reloads.get(key)?.signalId === null)) {
          t.tableState = 'Full load';
          t.fullLoadStartTime = iso(now);
          t.fullLoadEndTime = null;
          if (e.source.snapshot !== 'incremental' && this.#fullLoadStartedAt === 0) this.#fullLoadStartedAt = now;
        }
      } else {
        if (e.op === 'c') c.inserts++;
        else if (e.op === 'u') c.updates++;
        else if (e.op === 'd') c.deletes++;
        else if (e.op === 't') c.ddls++;
        if (e.source.tsMs > 0) lastChangeTs = e.source.tsMs;
      }
    }
    if (lastChangeTs > 0) this.#lastReadChangeTs = lastChangeTs;
    this.#pending.push({ checkpoint: batch.checkpoint, counts, lastChangeTs, snapshotDone: batch.snapshotDone === true });
  }

  /** The last position the pipeline committed (everything read up to it is durable in every sink), or null. */
  get durablePosition(): Position | null {
    return this.#durable;
  }

  /** Whether a table's full load is over (the initial one, and no reload of it running): validation may compare it. */
  loaded(key: string): boolean {
    return this.#fullLoadDone && !this.#reloads.has(key) && this.#tables.get(key)?.tableState !== 'Full load';
  }

  /** The continuous validator's view of a table (source name schema.table). */
  setValidation(key: string, v: TableValidationStatistics): void {
    const dot = key.indexOf('.');
    const t = this.#table(key, key.slice(0, dot), key.slice(dot + 1));
    const changed = (Object.keys(v) as (keyof TableValidationStatistics)[]).some((k) => t[k] !== v[k]);
    Object.assign(t, v);
    if (changed) this.#changed = true;
  }

  /** The pipeline committed `position`: every batch read up to the last one with that checkpoint is durable. */
  onDurable(position: Position): void {
    this.#durable = position;
    let upTo = -1;
    for (let i = 0; i < this.#pending.length; i++) if (this.#pending[i]!.checkpoint === position) upTo = i;
    if (upTo < 0) return;
    const done = this.#pending.splice(0, upTo + 1);
    const now = Date.now();
    for (const p of done) {
      for (const [key, c] of p.counts) {
        const t = this.#tables.get(key);
        if (!t) continue;
        t.inserts += c.inserts; t.updates += c.updates; t.deletes += c.deletes; t.ddls += c.ddls; t.fullLoadRows += c.fullLoadRows;
        t.lastUpdateTime = iso(now);
        // a table seen only in the stream (CDC-only task, or one created later) has nothing to load
        if (t.tableState === 'Before load' && c.fullLoadRows === 0 && !this.#reloads.has(key) && (this.#fullLoadDone || this.#fullLoadStartedAt === 0)) t.tableState = 'Table completed';
      }
      if (p.lastChangeTs > 0) { this.#lastDurableChangeTs = p.lastChangeTs; this.#lastDurableAt = now; }
      if (p.snapshotDone) this.#finishFullLoad(now);
      this.#changed = true;
    }
  }

  #finishFullLoad(now: number): void {
    this.#fullLoadDone = true;
    for (const [key, t] of this.#tables) {
      if (this.#reloads.has(key)) continue;
      if (t.tableState === 'Full load' || t.tableState === 'Before load') {
        t.tableState = 'Table completed';
        t.fullLoadEndTime ??= iso(now);
      }
    }
  }

  /** A reload (execute-snapshot) was queued for these tables: their full-load counters start over. */
  reloadRequested(tables: readonly string[], signalId: string): void {
    for (const key of tables) {
      const dot = key.indexOf('.');
      const t = this.#table(key, key.slice(0, dot), key.slice(dot + 1));
      t.tableState = 'Before load';
      if (!t.fullLoadReloaded) this.#initialRows.set(key, t.fullLoadRows);
      t.fullLoadRows = 0;
      t.fullLoadReloaded = true;
      t.fullLoadStartTime = null;
      t.fullLoadEndTime = null;
      this.#reloads.set(key, { signalId });
    }
    this.#changed = true;
  }

  /** Tables removed from the task's selection. */
  cancelled(tables: readonly string[]): void {
    for (const key of tables) {
      const t = this.#tables.get(key);
      if (t) t.tableState = 'Table cancelled';
      this.#reloads.delete(key);
    }
    this.#changed = true;
  }

  /** Follows reloads through the source's signal statuses (done → completed, failed → error). */
  #followReloads(signals: readonly SignalStatus[]): void {
    const now = Date.now();
    for (const [key, r] of this.#reloads) {
      const s = signals.find((x) => (r.signalId === null || x.id === r.signalId) && x.tables.includes(key));
      if (!s) continue;
      const t = this.#tables.get(key);
      if (!t) continue;
      const doneHere = s.status === 'done' || (s.status === 'running' && s.tables.indexOf(key) < s.tablesDone);
      if (doneHere) {
        t.tableState = 'Table completed';
        t.fullLoadEndTime ??= iso(now);
        this.#reloads.delete(key);
      } else if (s.status === 'failed') {
        t.tableState = 'Table error';
        this.#reloads.delete(key);
      }
    }
  }

  tables(): TableStatistics[] {
    const src = this.#source;
    if (src?.signals && this.#reloads.size > 0) this.#followReloads(src.signals());
    return [...this.#tables.values()].map((t) => ({ ...t })).sort((a, b) => `${a.schemaName}.${a.tableName}`.localeCompare(`${b.schemaName}.${b.tableName}`));
  }

  latency(now = Date.now()): LatencyView {
    return {
      sourceMs: this.#lastReadChangeTs > 0 ? Math.max(0, now - this.#lastReadChangeTs) : null,
      targetMs: this.#lastDurableChangeTs > 0 ? Math.max(0, now - this.#lastDurableChangeTs) : null,
      lastChangeSourceTime: this.#lastReadChangeTs > 0 ? iso(this.#lastReadChangeTs) : null,
      lastChangeWrittenTime: this.#lastDurableAt > 0 ? iso(this.#lastDurableAt) : null,
    };
  }

  /** The initial full load's progress; `estimates` are the source's row estimates per table when it gives them. */
  fullLoad(estimates: ReadonlyMap<string, number>, now = Date.now()): FullLoadProgress {
    let rows = 0;
    // the initial full load's rows: a reloaded table counts what the initial load copied of it, not its reload
    for (const [key, t] of this.#tables) rows += this.#reloads.has(key) || t.fullLoadReloaded ? this.#initialRows.get(key) ?? 0 : t.fullLoadRows;
    let total = 0;
    for (const v of estimates.values()) total += v;
    const state = this.#fullLoadDone ? 'done' : this.#fullLoadStartedAt > 0 ? 'running' : 'not started';
    const percent = this.#fullLoadDone ? 100 : total > 0 ? Math.min(99.9, Math.round((rows / total) * 1000) / 10) : null;
    const secs = (now - this.#fullLoadStartedAt) / 1000;
    const eta = state === 'running' && total > rows && rows > 0 && secs > 0 ? Math.round((total - rows) / (rows / secs)) : state === 'done' ? 0 : null;
    return { state, rows, rowsTotalEstimate: total > 0 ? total : null, percent, etaSeconds: eta };
  }

  /** The persisted form (task status in the task store). */
  toJSON(): PersistedStatistics {
    return {
      tables: [...this.#tables.values()], fullLoadDone: this.#fullLoadDone, fullLoadStartedAt: this.#fullLoadStartedAt, lastDurableChangeTs: this.#lastDurableChangeTs, lastDurableAt: this.#lastDurableAt,
      ...(this.#initialRows.size > 0 ? { initialFullLoadRows: Object.fromEntries(this.#initialRows) } : {}),
    };
  }

  static restore(p: PersistedStatistics | undefined): TaskStatistics {
    const s = new TaskStatistics();
    if (!p) return s;
    for (const t of p.tables) s.#tables.set(`${t.schemaName}.${t.tableName}`, { ...NOT_VALIDATED, ...t, tableState: t.tableState === 'Full load' ? 'Before load' : t.tableState });
    s.#fullLoadDone = p.fullLoadDone;
    s.#fullLoadStartedAt = p.fullLoadStartedAt;
    s.#lastDurableChangeTs = p.lastDurableChangeTs;
    s.#lastReadChangeTs = p.lastDurableChangeTs;
    s.#lastDurableAt = p.lastDurableAt;
    for (const [k, n] of Object.entries(p.initialFullLoadRows ?? {})) s.#initialRows.set(k, n);
    return s;
  }
}

export interface FullLoadProgress {
  readonly state: 'not started' | 'running' | 'done';
  readonly rows: number;
  readonly rowsTotalEstimate: number | null;
  readonly percent: number | null;
  readonly etaSeconds: number | null;
}

export interface PersistedStatistics {
  readonly tables: readonly TableStatistics[];
  readonly fullLoadDone: boolean;
  readonly fullLoadStartedAt: number;
  readonly lastDurableChangeTs: number;
  readonly lastDurableAt: number;
  /** Rows the initial full load copied of each table reloaded since. */
  readonly initialFullLoadRows?: Readonly<Record<string, number>>;
}

/** Wraps the task's source so `stats` sees every batch read and every durable checkpoint. No-op without stats. */
export function withTaskStatistics(source: SourceConnector, stats: TaskStatistics | undefined): SourceConnector {
  if (!stats) return source;
  const wrapped: SourceConnector = {
    async *read(ctx) {
      for await (const batch of source.read(ctx)) {
        stats.onRead(batch);
        yield batch;
      }
    },
    acknowledge: async (position) => {
      stats.onDurable(position);
      await source.acknowledge(position);
    },
    close: () => source.close(), // the runner closes the inner source itself; the task manager detaches the stats
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  stats.attach(wrapped);
  return wrapped;
}
