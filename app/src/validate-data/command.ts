/**
 * `ferry validate-data <task-file> [--table schema.table …] [--json] [--max-concurrency N] [--rows-per-second N]`
 * (docs/cli.md#ferry-validate-data, docs/validation.md). Progress lines go to stderr, the summary to stdout.
 * With --repair (repair.ts) the differing rows are repaired through the running task and compared again; the exit
 * code then says what is left. Exit codes: 0 every table matches (or was repaired); 4 mismatches were found (and recorded in the targets' failures tables);
 * 1 a table could not be validated (an error; the others are still reported); 2 bad usage or an invalid task file;
 * 3 the source or a target could not be reached.
 */
import { isFerryError } from '../../../core/src/errors.ts';
import { UsageError } from '../cli/arg-parsers.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { err, out, outJson, reportError } from '../cli/output.ts';
import { loadTaskFileAsync } from '../task-file/load-task.ts';
import { validateData, type DataValidationReport, type Progress } from './validate-data.ts';

export interface ValidateDataCommandOptions {
  readonly table?: readonly string[];
  readonly json?: boolean;
  readonly maxConcurrency?: number;
  readonly rowsPerSecond?: number;
  readonly chunkRows?: number;
  readonly repair?: boolean;
}

const CHECK_CODES = new Set(['FERRY_SOURCE_UNREACHABLE', 'FERRY_SOURCE_AUTH', 'FERRY_SOURCE_PRIVILEGES', 'FERRY_SOURCE_DATABASE_MISSING', 'FERRY_SINK_ERROR', 'FERRY_NO_TABLES_SELECTED']);

const n = (x: number): string => x.toLocaleString('en-US');

function progressLine(p: Progress): string {
  const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds}s`;
  return `validate-data: ${n(p.rows)}${p.estimatedRows > 0 ? ` of ~${n(p.estimatedRows)}` : ''} rows, ${n(p.rowsPerSecond)} rows/s${eta}, tables ${p.tablesDone}/${p.tables}`;
}

export async function validateDataCommand(file: string, options: ValidateDataCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: DataValidationReport;
  try {
    report = await validateData(task, {
      ...(options.table ? { tables: options.table } : {}),
      ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
      ...(options.rowsPerSecond ? { rowsPerSecond: options.rowsPerSecond } : {}),
      ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}),
      ...(options.repair ? { repair: { file, onProgress: (line: string) => err(line) } } : {}),
      signal: stop.signal,
      onProgress: (p) => err(progressLine(p)),
    });
  } catch (e: unknown) {
    if (isFerryError(e) && e.code === 'FERRY_USAGE') throw new UsageError(e.message);
    const code = reportError(e, json);
    return isFerryError(e) && CHECK_CODES.has(e.code) ? EXIT.CHECK_FAILED : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (json) outJson(report);
  else printReport(report);
  if (report.totals.errors > 0) return EXIT.FAILED;
  return report.ok ? EXIT.OK : EXIT.MISMATCHES;
}

function printReport(r: DataValidationReport): void {
  out(`validate-data: task ${r.task}, ${r.totals.tables} table${r.totals.tables === 1 ? '' : 's'}, ${n(r.totals.rows)} source rows in ${(r.durationMs / 1000).toFixed(1)}s (${n(r.rowsPerSecond)} rows/s)`);
  for (const t of r.targets) {
    out(`target ${t.target} (${t.type})${t.failuresTable ? `: failures in ${t.failuresTable}` : ''}`);
    if (t.failuresError) err(`warning: ${t.failuresError}`);
    for (const x of t.tables) {
      const detail = x.state === 'Validated' || x.state === 'Mismatched records'
        ? `${n(x.sourceRows)} source / ${n(x.targetRows)} target rows, ${x.method}${x.failures > 0 ? `, ${n(x.failures)} mismatches` : ''}`
        : x.message ?? '';
      out(`  ${x.state.padEnd(18)} ${x.source} → ${x.target || '?'}: ${detail}`);
      for (const m of x.mismatches.slice(0, 10)) out(`      ${m.type.padEnd(14)} ${JSON.stringify(m.key)}${m.columns.length > 0 ? ` columns ${m.columns.join(', ')}` : ''}`);
      if (x.failures > 10) out(`      … ${n(x.failures - 10)} more (see ${t.failuresTable ? 'the failures table, or ' : ''}--json)`);
      for (const s of x.skippedColumns) out(`      not compared: ${s.column}: ${s.reason}`);
    }
  }
  const t = r.totals;
  out(`${t.validated} validated, ${t.mismatched} with mismatched records (${n(t.failures)} rows), ${t.errors} errors, ${t.notSupported} not supported`);
  if (r.repair) {
    for (const x of r.repair.tables) {
      out(`repair ${x.source} → ${x.target}: ${n(x.recopied)} re-copied, ${n(x.deleted)} deleted, ${x.remaining.length === 0 ? 'now equal' : `${n(x.remaining.length)} still differ`}`);
      for (const m of x.remaining.slice(0, 10)) out(`      ${m.type.padEnd(14)} ${JSON.stringify(m.key)}${m.columns.length > 0 ? ` columns ${m.columns.join(', ')}` : ''}`);
    }
    out(r.ok ? 'repair: every differing row is equal now' : 'repair: some rows still differ (kept in the failures tables)');
  }
}
