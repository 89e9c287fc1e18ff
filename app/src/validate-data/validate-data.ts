/**
 * `ferry validate-data`: compares each selected table of a task between the source and each relational target
 * (postgres, mysql), with the validation core (runtime/src/validation/, docs/validation.md). The target table and
 * column names come from the task's table mapping and the target's options exactly as the sinks compute them:
 * MappingTransformer's plan (renames, removed columns), then postgres `schema` / mysql `database` when set.
 * Columns a mapping computes (add-column expressions, change-data-type conversions, masks) and LOB columns the LOB
 * policy may truncate or move are not compared (listed per table). Tables with a source filter are not supported yet.
 * Read-only on the source; on each target it writes only the failures table (failures-table.ts).
 */
import { errorMessage, FerryError, isFerryError } from '../../../core/src/errors.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import { estimateRows } from '../../../runtime/src/validation/engine-sql.ts';
import { mapConcurrent, RowRate, Semaphore } from '../../../runtime/src/validation/limits.ts';
import type { Mismatch, SkippedColumn, TableValidationResult, ValidationMethod } from '../../../runtime/src/validation/model.ts';
import { planTable, type ValidationTablePlan } from '../../../runtime/src/validation/table-plan.ts';
import { validateTable } from '../../../runtime/src/validation/validate-table.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { targetName } from '../task/targets.ts';
import { openClient, type PooledClient } from './clients.ts';
import { repairMismatches, type RepairReport, type RepairTarget } from './repair.ts';
import { databaseTargets, selectedTables, sourceConnection, sourceEngineOf, tableJob, tableName, targetConnection } from './task-tables.ts';
import { FAILURES_TABLE, recordFailures } from './failures-table.ts';
import { stateTargetCount, validateStateTargets } from './state-targets.ts';

const DB_TYPES: ReadonlySet<string> = new Set(['postgres', 'mysql']);

/** DMS's table validation states that a one-off run can reach. */
export type TableState = 'Validated' | 'Mismatched records' | 'No primary key' | 'Not supported' | 'Error';

export interface ValidateDataOptions {
  /** Source tables (schema.table) to validate; default every selected table. */
  readonly tables?: readonly string[];
  /** Most concurrent range queries (each: one on the source, one on the target). Default 2. */
  readonly maxConcurrency?: number;
  /** Most rows validated per second, over all tables. Default: unlimited. */
  readonly rowsPerSecond?: number;
  /** Rows per range (default 20,000). */
  readonly chunkRows?: number;
  /** Most mismatches kept and recorded per table (default 10,000; the rest are counted). */
  readonly maxFailures?: number;
  readonly signal?: AbortSignal;
  /** Called about every `progressMs` with the rows validated so far. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressMs?: number;
  /** Repair what differs through the running task, then compare it again (repair.ts). */
  readonly repair?: { readonly file: string; readonly timeoutMs?: number; readonly onProgress?: (line: string) => void };
}

export interface Progress {
  readonly rows: number;
  /** The catalogs' row estimate of everything to validate. */
  readonly estimatedRows: number;
  readonly rowsPerSecond: number;
  readonly etaSeconds: number | null;
  readonly tablesDone: number;
  readonly tables: number;
}

export interface TableReport {
  readonly source: string;
  readonly target: string;
  readonly state: TableState;
  readonly method?: ValidationMethod;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly failures: number;
  readonly ranges?: number;
  readonly mismatchedRanges?: number;
  readonly rowsCompared?: number;
  readonly columns?: number;
  readonly skippedColumns: readonly SkippedColumn[];
  readonly mismatches: readonly Mismatch[];
  readonly message?: string;
  readonly durationMs: number;
}

export interface TargetReport {
  readonly target: string;
  /** kafka: Ferry's own topics (a kafka block) or a kafka target's; parquet/csv: a lake; redshift (state-targets.ts, no failures table). */
  readonly type: 'postgres' | 'mysql' | 'kafka' | 'parquet' | 'csv' | 'redshift';
  /** schema.table of the failures table (absent when it could not be written). */
  readonly failuresTable?: string;
  /** Why the failures table could not be written (the comparison's results stand). */
  readonly failuresError?: string;
  readonly tables: readonly TableReport[];
}

export interface DataValidationReport {
  readonly ok: boolean;
  readonly task: string;
  readonly targets: readonly TargetReport[];
  readonly totals: { readonly tables: number; readonly validated: number; readonly mismatched: number; readonly errors: number; readonly notSupported: number; readonly rows: number; readonly failures: number };
  readonly durationMs: number;
  readonly rowsPerSecond: number;
  /** With --repair: what was re-copied and deleted, and what still differs (the failures tables hold that). */
  readonly repair?: RepairReport;
}


export async function validateData(task: ResolvedTask, options: ValidateDataOptions = {}): Promise<DataValidationReport> {
  const started = Date.now();
  const targets = databaseTargets(task);
  // Kafka topics, lakes and Redshift: state-targets.ts.
  const stateTargets = stateTargetCount(task);
  if (targets.length === 0 && stateTargets === 0) throw new FerryError('FERRY_USAGE', `the task ${task.name} has no kafka block and no postgres, mysql, parquet or redshift target: nothing to validate`);
  const concurrency = Math.max(1, options.maxConcurrency ?? 2);
  const tables = await selectedTables(task, options.tables);
  const transformer = new MappingTransformer(task.tableMappings);
  const lob = new LobPolicies(task.settings.lob, task.tableMappings);
  const source = await openClient(sourceConnection(task, concurrency));
  const slots = new Semaphore(concurrency);
  const rate = new RowRate(options.rowsPerSecond);
  let rows = 0;
  let tablesDone = 0;
  const estimates = await Promise.all(tables.map((t) => estimateRows(source, t.id).catch(() => 0)));
  const estimatedRows = estimates.reduce((a, b) => a + b, 0) * (targets.length + stateTargets);
  const totalTables = tables.length * (targets.length + stateTargets);
  const progress = (): Progress => {
    const s = (Date.now() - started) / 1000;
    const rps = s > 0 ? rows / s : 0;
    return { rows, estimatedRows, rowsPerSecond: Math.round(rps), etaSeconds: rps > 0 && estimatedRows > rows ? Math.round((estimatedRows - rows) / rps) : null, tablesDone, tables: totalTables };
  };
  const timer = options.onProgress ? setInterval(() => options.onProgress!(progress()), options.progressMs ?? 2000) : undefined;
  const reports: TargetReport[] = [];
  const open: { client: PooledClient; stateSchema: string; repair: RepairTarget }[] = [];
  let repair: RepairReport | undefined;
  try {
    for (const { index, t } of targets) {
      const tc = targetConnection(task, index, concurrency);
      const target = await openClient(tc.connection);
      const repairTables: { table: string; plan: ValidationTablePlan; mismatches: readonly Mismatch[] }[] = [];
      open.push({ client: target, stateSchema: tc.stateSchema, repair: { name: targetName(t, index), client: target, tables: repairTables } });
      {
        const jobs = tables.map((s) => tableJob(transformer, lob, s, tc.schema, sourceEngineOf(task)));
        const results: (TableReport & { result?: TableValidationResult; plan?: ValidationTablePlan })[] = await mapConcurrent(jobs, concurrency, async (job) => {
          const t0 = Date.now();
          const src = tableName(job.source.id);
          try {
            if (job.unsupported || !job.input) return { source: src, target: '', state: job.unsupported!.state, sourceRows: 0, targetRows: 0, failures: 0, skippedColumns: [], mismatches: [], message: job.unsupported!.message, durationMs: 0 };
            const plan = await planTable(source, target, job.input);
            const r = await validateTable(plan, { source, target, slots, rate, concurrency, ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}), ...(options.maxFailures ? { maxFailures: options.maxFailures } : {}), ...(options.signal ? { signal: options.signal } : {}), onRows: (n) => { rows += n; } });
            return {
              source: src, target: tableName(r.target), state: r.failures > 0 ? 'Mismatched records' : 'Validated', method: r.method, sourceRows: r.sourceRows, targetRows: r.targetRows, failures: r.failures,
              ranges: r.ranges, mismatchedRanges: r.mismatchedRanges, rowsCompared: r.rowsCompared, columns: r.columns.length, skippedColumns: r.skippedColumns, mismatches: r.mismatches, durationMs: r.durationMs, result: r, plan,
            };
          } catch (e: unknown) {
            if (isFerryError(e) && e.code === 'FERRY_ABORTED') throw e;
            const state: TableState = isFerryError(e) && e.code === 'FERRY_UNSUPPORTED' ? 'Not supported' : 'Error';
            return { source: src, target: job.input ? tableName(job.input.target) : '', state, sourceRows: 0, targetRows: 0, failures: 0, skippedColumns: job.input?.skipped ?? [], mismatches: [], message: isFerryError(e) ? `${e.code}: ${e.message}` : errorMessage(e), durationMs: Date.now() - t0 };
          } finally {
            tablesDone++;
          }
        });
        const validated = results.flatMap((r) => (r.result ? [r.result] : []));
        let failuresTable: string | undefined;
        let failuresError: string | undefined;
        if (validated.length > 0) {
          try {
            await recordFailures(target, tc.stateSchema, task.name, validated, new Date());
            failuresTable = `${tc.stateSchema}.${FAILURES_TABLE}`;
          } catch (e: unknown) {
            // The comparison stands; only its record in the target is missing (privileges, a read-only replica).
            failuresError = `cannot write ${tc.stateSchema}.${FAILURES_TABLE} on the target ${targetName(t, index)}: ${errorMessage(e)}`;
          }
        }
        for (const r of results) if (r.plan && r.result && r.result.failures > 0) repairTables.push({ table: r.source, plan: r.plan, mismatches: r.result.mismatches });
        reports.push({ target: targetName(t, index), type: t.type as 'postgres' | 'mysql', ...(failuresTable ? { failuresTable } : {}), ...(failuresError ? { failuresError } : {}), tables: results.map(({ result: _r, plan: _p, ...rest }) => rest) });
      }
    }
    if (stateTargets > 0) {
      reports.push(...await validateStateTargets({
        task, tables, transformer, lob, source, rate, onRows: (n) => { rows += n; }, onTableDone: () => { tablesDone++; },
        ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}), ...(options.maxFailures ? { maxFailures: options.maxFailures } : {}), ...(options.signal ? { signal: options.signal } : {}),
      }));
    }
    if (options.repair && open.some((o) => o.repair.tables.length > 0)) {
      const o = options.repair;
      repair = await repairMismatches({
        task, file: o.file, source, targets: open.map((x) => x.repair), slots, rate,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      // The failures tables keep what still differs.
      for (const x of open) {
        const left = repair.tables.filter((r) => x.repair.tables.some((t) => `${t.plan.target.schema}.${t.plan.target.table}` === r.target && t.table === r.source));
        const results = x.repair.tables.map((t) => ({ source: t.plan.source, target: t.plan.target, mismatches: left.find((r) => r.source === t.table)?.remaining ?? [] }) as unknown as TableValidationResult);
        await recordFailures(x.client, x.stateSchema, task.name, results, new Date()).catch(() => undefined);
      }
    }
  } finally {
    if (timer) clearInterval(timer);
    for (const x of open) await x.client.end().catch(() => undefined);
    await source.end().catch(() => undefined);
  }
  const all = reports.flatMap((r) => r.tables);
  const totals = {
    tables: all.length, validated: all.filter((t) => t.state === 'Validated').length, mismatched: all.filter((t) => t.state === 'Mismatched records').length,
    errors: all.filter((t) => t.state === 'Error').length, notSupported: all.filter((t) => t.state === 'Not supported' || t.state === 'No primary key').length,
    rows: all.reduce((a, t) => a + t.sourceRows, 0), failures: all.reduce((a, t) => a + t.failures, 0),
  };
  const durationMs = Date.now() - started;
  // --repair repairs postgres/mysql targets only: a topic, lake or Redshift table that differs keeps the run failed.
  const stateMismatched = reports.some((r) => !DB_TYPES.has(r.type) && r.tables.some((t) => t.state === 'Mismatched records'));
  const repaired = repair !== undefined && repair.tables.every((t) => t.remaining.length === 0) && !stateMismatched;
  return {
    ok: (totals.mismatched === 0 || repaired) && totals.errors === 0, task: task.name, targets: reports, totals, durationMs, rowsPerSecond: durationMs > 0 ? Math.round((totals.rows / durationMs) * 1000) : 0,
    ...(repair ? { repair } : {}),
  };
}
