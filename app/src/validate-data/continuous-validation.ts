/**
 * Validation while the task runs (settings.validation; docs/validation.md#validation-during-cdc), in `ferry run`'s
 * direct mode, next to the pipeline (app/src/task/TaskRunner.ts).
 *
 * Each selected table is compared with each database target once its full load is over, then again every
 * `intervalSeconds`, with the same range checksums as `ferry validate-data` (runtime/src/validation). A row found
 * different while the task replicates may be in flight, so it becomes a pending record and is re-checked once the
 * target has durably applied past the source position read after the comparison (pending-records.ts); only a row
 * that still differs while its source row stays the same is reported as failed, in the target's failures table and
 * in the table statistics (DMS's validation states and counters) and metrics. A full-load-only task compares each
 * table once after the load, when nothing moves any more, and reports what differs at once.
 *
 * Read-only on the source; on each target it writes only the failures table. Errors of one table (a target table
 * missing, a lost connection) put that table in state Error with the message and are retried at the next pass.
 */
import { errorMessage, isFerryError } from '../../../core/src/errors.ts';
import type { Logger, MetricsRegistry, Position } from '../../../core/src/types.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import type { ValidationSettings } from '../../../runtime/src/config/settings-schema.ts';
import { keyTextsKey } from '../../../runtime/src/validation/key-rows.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';
import { RowRate, Semaphore } from '../../../runtime/src/validation/limits.ts';
import type { Mismatch, TableValidationResult } from '../../../runtime/src/validation/model.ts';
import { PendingRecords } from '../../../runtime/src/validation/pending-records.ts';
import { planTable, type ValidationTablePlan } from '../../../runtime/src/validation/table-plan.ts';
import { validateTable } from '../../../runtime/src/validation/validate-table.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { TableValidationStatistics, ValidationState } from '../tasks-api/task-statistics.ts';
import { targetName } from '../task/targets.ts';
import { openClient, type PooledClient } from './clients.ts';
import { recordFailures } from './failures-table.ts';
import { SourcePositions } from './source-position.ts';
import { databaseTargets, selectedTables, sourceConnection, sourceEngineOf, tableJob, tableName, targetConnection, type TableJob } from './task-tables.ts';

export interface ContinuousValidationOptions {
  readonly task: ResolvedTask;
  readonly settings: ValidationSettings;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** The task's committed position: everything read up to it is durable in every target. */
  readonly durable: () => Position | null;
  /** Whether the full load of a source table (schema.table) is over. */
  readonly loaded: (table: string) => boolean;
  /** A table's validation view, after every change (the table statistics). */
  readonly report: (table: string, v: TableValidationStatistics) => void;
  /** How often pending records are looked at (ms); default 1000. */
  readonly tickMs?: number;
}

interface Target {
  readonly name: string;
  readonly client: PooledClient;
  readonly stateSchema: string;
  readonly schema?: string;
}

interface Entry {
  readonly table: string;
  readonly target: Target;
  readonly job: TableJob;
  plan?: ValidationTablePlan;
  pending?: PendingRecords;
  readonly failed: Map<string, Mismatch>;
  readonly suspended: Map<string, Mismatch>;
  /** The failures table does not hold the current `failed` yet. */
  dirty: boolean;
  nextPassAt: number;
  passes: number;
  /** Source rows the last pass found equal. */
  validated: number;
  error: string | null;
}

/** States from best to worst: a table validated against several targets shows its worst. */
const RANK: readonly ValidationState[] = ['Validated', 'Pending validation', 'Pending records', 'Suspended records', 'Mismatched records', 'No primary key', 'Not supported', 'Error'];

/** The continuous validator. `run` resolves when `signal` aborts; `final` compares what is left once and resolves. */
export class ContinuousValidation {
  readonly #o: ContinuousValidationOptions;
  readonly #entries: Entry[] = [];
  #source: PooledClient | null = null;
  #positions: SourcePositions | null = null;
  readonly #targets: Target[] = [];
  readonly #slots: Semaphore;
  readonly #rate: RowRate;
  readonly #gRecords;
  readonly #cRows;

  constructor(o: ContinuousValidationOptions) {
    this.#o = o;
    this.#slots = new Semaphore(o.settings.maxConcurrency);
    this.#rate = new RowRate(o.settings.rowsPerSecond || undefined);
    this.#gRecords = o.metrics.gauge('validation_records', 'Rows of a table by validation outcome: pending (waiting for the stream to pass them), failed (confirmed mismatches), suspended (kept changing)', ['table', 'target', 'state']);
    this.#cRows = o.metrics.counter('validation_rows_total', 'Source rows compared by data validation passes', ['table', 'target']);
  }

  /** Opens the connections and reads the selected tables; the tables' state becomes "Pending validation". */
  async open(): Promise<void> {
    const { task, settings } = this.#o;
    const conns = settings.maxConcurrency + 1;
    const tables = await selectedTables(task);
    const transformer = new MappingTransformer(task.tableMappings);
    const lob = new LobPolicies(task.settings.lob, task.tableMappings);
    this.#source = await openClient(sourceConnection(task, conns));
    this.#positions = new SourcePositions(task, this.#source);
    for (const { index, t } of databaseTargets(task)) {
      const tc = targetConnection(task, index, conns);
      const target: Target = { name: targetName(t, index), client: await openClient(tc.connection), stateSchema: tc.stateSchema, ...(tc.schema !== undefined ? { schema: tc.schema } : {}) };
      this.#targets.push(target);
      for (const s of tables) {
        const job = tableJob(transformer, lob, s, tc.schema, sourceEngineOf(task));
        this.#entries.push({ table: tableName(s.id), target, job, failed: new Map(), suspended: new Map(), dirty: false, nextPassAt: 0, passes: 0, validated: 0, error: null });
      }
    }
    for (const e of this.#entries) this.#publish(e);
  }

  async close(): Promise<void> {
    await this.#positions?.close();
    await this.#source?.end().catch(() => undefined);
    for (const t of this.#targets) await t.client.end().catch(() => undefined);
  }

  /** Passes and re-checks until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const e of this.#entries) {
        if (signal.aborted) return;
        if (e.job.unsupported || !this.#o.loaded(e.table) || Date.now() < e.nextPassAt) continue;
        await this.#pass(e, signal, false);
      }
      for (const e of this.#entries) {
        if (signal.aborted) return;
        if (e.pending && e.pending.size > 0) await this.#recheck(e, signal);
      }
      await this.#flushFailures();
      await sleep(this.#o.tickMs ?? 1000, signal);
    }
  }

  /** After a full load only: each table not compared yet is compared once, and what differs fails at once. */
  async final(signal: AbortSignal): Promise<void> {
    for (const e of this.#entries) if (!e.job.unsupported && e.passes === 0 && !signal.aborted) await this.#pass(e, signal, true);
    await this.#flushFailures();
  }

  async #pass(e: Entry, signal: AbortSignal, final: boolean): Promise<void> {
    const s = this.#o.settings;
    const source = this.#source!;
    try {
      e.plan ??= await planTable(source, e.target.client, e.job.input!);
      e.pending ??= new PendingRecords(e.plan, { confirmations: s.recheckConfirmations, maxAttempts: s.maxRecheckAttempts });
      const r = await validateTable(e.plan, { source, target: e.target.client, slots: this.#slots, rate: this.#rate, concurrency: s.maxConcurrency, chunkRows: s.chunkRows, maxFailures: s.failureMaxCount, signal });
      const since = final ? null : await this.#positions!.now();
      const found = new Map(r.mismatches.map((m) => [keyTextsKey(e.plan!, m.key), m]));
      // Failed and suspended rows this pass found equal are resolved (repaired, or caught up); the ones it found again stay.
      for (const k of [...e.failed.keys()]) if (!found.has(k)) { e.failed.delete(k); e.dirty = true; }
      for (const k of [...e.suspended.keys()]) if (!found.has(k)) e.suspended.delete(k);
      const fresh = [...found].filter(([k]) => !e.failed.has(k));
      if (since === null) {
        for (const [k, m] of fresh) { e.failed.set(k, m); e.dirty = true; }
      } else {
        for (const [k] of fresh) e.suspended.delete(k); // a suspended row found again is looked at again
        e.pending.add(fresh.map(([, m]) => m), since);
      }
      e.passes++;
      e.validated = Math.max(0, r.sourceRows - found.size);
      e.error = null;
      this.#cRows.inc({ table: e.table, target: e.target.name }, r.sourceRows);
      if (e.passes === 1) this.#o.log.info({ table: e.table, target: e.target.name, rows: r.sourceRows, differing: r.failures, ms: r.durationMs }, `validation of ${e.table} against ${e.target.name}: ${r.sourceRows} rows compared, ${r.failures} differ${final ? '' : ' (pending until the stream passes them)'}`);
    } catch (err: unknown) {
      if (signal.aborted) return;
      e.error = isFerryError(err) ? `${err.code}: ${err.message}` : errorMessage(err);
      this.#o.log.warn({ table: e.table, target: e.target.name, err: e.error }, `validation of ${e.table} against ${e.target.name} failed; retried at the next pass`);
    } finally {
      e.nextPassAt = Date.now() + s.intervalSeconds * 1000;
      this.#publish(e);
    }
  }

  async #recheck(e: Entry, signal: AbortSignal): Promise<void> {
    try {
      const out = await e.pending!.recheck({ source: this.#source!, target: e.target.client, slots: this.#slots, rate: this.#rate, signal }, { sourceNow: () => this.#positions!.now(), durable: this.#o.durable });
      e.validated += out.validated;
      for (const m of out.failed) { e.failed.set(keyTextsKey(e.plan!, m.key), m); e.dirty = true; }
      for (const m of out.suspended) e.suspended.set(keyTextsKey(e.plan!, m.key), m);
      if (out.failed.length > 0) this.#o.log.warn({ table: e.table, target: e.target.name, failed: e.failed.size }, `validation: ${out.failed.length} more rows of ${e.table} differ on ${e.target.name} after the stream passed them (${e.failed.size} in all; see ${e.target.stateSchema}.ferry_validation_failures)`);
    } catch (err: unknown) {
      if (signal.aborted) return;
      e.error = isFerryError(err) ? `${err.code}: ${err.message}` : errorMessage(err);
    }
    this.#publish(e);
  }

  /** Writes the failed rows of each table whose set changed into its target's failures table. */
  async #flushFailures(): Promise<void> {
    for (const e of this.#entries) {
      if (!e.dirty || !e.plan) continue;
      const result = { source: e.plan.source, target: e.plan.target, mismatches: [...e.failed.values()] } as unknown as TableValidationResult;
      try {
        await recordFailures(e.target.client, e.target.stateSchema, this.#o.task.name, [result], new Date());
        e.dirty = false;
      } catch (err: unknown) {
        this.#o.log.warn({ table: e.table, target: e.target.name, err: errorMessage(err) }, `cannot record validation failures on ${e.target.name}; retrying`);
      }
    }
  }

  #publish(e: Entry): void {
    const pending = e.pending?.size ?? 0;
    const labels = { table: e.table, target: e.target.name };
    this.#gRecords.set({ ...labels, state: 'pending' }, pending);
    this.#gRecords.set({ ...labels, state: 'failed' }, e.failed.size);
    this.#gRecords.set({ ...labels, state: 'suspended' }, e.suspended.size);
    const targets = this.#targets.length > 1 ? ` (target ${e.target.name})` : '';
    const state = this.#stateOf(e);
    const details = e.job.unsupported ? e.job.unsupported.message
      : e.error !== null ? e.error + targets
        : e.failed.size > 0 ? `${e.failed.size} rows differ${targets}: ${e.target.stateSchema}.ferry_validation_failures` : null;
    // With several targets, the table shows its worst one.
    const all = this.#entries.filter((x) => x.table === e.table);
    const worst = all.map((x) => this.#stateOf(x)).reduce((a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a), state);
    this.#o.report(e.table, {
      validationState: worst,
      validationValidatedRecords: Math.min(...all.map((x) => x.validated)),
      validationPendingRecords: all.reduce((n, x) => n + (x.pending?.size ?? 0), 0),
      validationFailedRecords: all.reduce((n, x) => n + x.failed.size, 0),
      validationSuspendedRecords: all.reduce((n, x) => n + x.suspended.size, 0),
      validationStateDetails: details,
    });
  }

  #stateOf(e: Entry): ValidationState {
    if (e.job.unsupported) return e.job.unsupported.state;
    if (e.error !== null) return 'Error';
    if (e.passes === 0) return 'Pending validation';
    if (e.failed.size > 0) return 'Mismatched records';
    if (e.suspended.size > 0) return 'Suspended records';
    return (e.pending?.size ?? 0) > 0 ? 'Pending records' : 'Validated';
  }
}
