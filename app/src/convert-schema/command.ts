/** `ferry convert-schema <task-file> [--target T] [--out DIR] [--json]` (docs/cli.md, docs/schema-conversion.md). */
import { resolve } from 'node:path';
import { isFerryError } from '../../../core/src/errors.ts';
import type { Dialect } from '../../../runtime/src/schema-conversion/quoting.ts';
import { UsageError } from '../cli/arg-parsers.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { out, outJson, reportError } from '../cli/output.ts';
import { loadTaskFileAsync } from '../task-file/load-task.ts';
import { applyToMySql, applyToPostgres, convertTaskSchema, taskTargetConnection, taskTargetDialect, TARGET_DIALECTS, writeConversion } from './convert-schema.ts';

export interface ConvertSchemaCommandOptions {
  readonly target?: Dialect;
  readonly out?: string;
  readonly json?: boolean;
  readonly apply?: boolean;
  /** With apply: only the foreign keys, views, triggers and routines (after a full load created the tables). */
  readonly afterLoad?: boolean;
}

/** Errors that mean the source could not be reached or read as configured: exit 3, like validate and plan. */
const CHECK_CODES = new Set(['FERRY_SOURCE_UNREACHABLE', 'FERRY_SOURCE_AUTH', 'FERRY_SOURCE_PRIVILEGES', 'FERRY_SOURCE_DATABASE_MISSING', 'FERRY_SOURCE_PREREQUISITE', 'FERRY_NO_TABLES_SELECTED']);

export async function convertSchemaCommand(file: string, options: ConvertSchemaCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  const target = options.target ?? taskTargetDialect(task);
  if (!target) throw new UsageError(`convert-schema needs --target (${TARGET_DIALECTS.join(', ')}): the task has no postgres or mysql target`);
  const dir = resolve(options.out ?? `${task.name}-schema`);
  const connection = taskTargetConnection(task, target);
  if (options.afterLoad && !options.apply) throw new UsageError('--after-load goes with --apply');
  if (options.apply && !connection) {
    throw new UsageError(target === 'postgres' ? '--apply needs a postgres target in the task (host, port, user, password, database, and optionally schema)' : '--apply needs a mysql target in the task (host, port, user, password, and optionally database)');
  }
  try {
    const converted = await convertTaskSchema(task, target, connection?.schema);
    const files = writeConversion(dir, task.name, converted);
    const a = converted.assessment;
    const applied = options.apply && connection
      ? { target: connection.name, ...(target === 'postgres' ? await applyToPostgres(connection, options.afterLoad ? converted.afterLoad : converted.statements) : await applyToMySql(connection, converted, options.afterLoad === true)) }
      : undefined;
    if (json) {
      outJson({ ok: true, task: task.name, files, ...(applied ? { applied } : {}), ...a });
    } else {
      out(`convert-schema: task ${task.name}, ${a.source.engine} → ${target}: ${converted.tables.length} tables`);
      for (const s of a.summary.filter((x) => x.total > 0)) out(`  ${s.kind.padEnd(12)} ${String(s.total).padStart(4)} total, ${s.auto} converted, ${s.warning} with a warning, ${s.manual} manual`);
      for (const i of a.issues.filter((x) => x.outcome === 'manual')) out(`  manual: ${i.kind} ${i.object}: ${i.reason}`);
      out(`wrote ${files.schemaSql}, ${files.markdown}, ${files.html}, ${files.json}`);
      if (applied) out(`applied ${applied.statements} statements to the target ${applied.target}${target === 'postgres' ? ' in one transaction' : ''}`);
    }
    return EXIT.OK;
  } catch (e: unknown) {
    const code = reportError(e, json);
    const connect = isFerryError(e) && e.code === 'FERRY_TARGET_DDL' && (e.details as { stage?: string } | undefined)?.stage === 'connect';
    return isFerryError(e) && (CHECK_CODES.has(e.code) || connect) ? EXIT.CHECK_FAILED : code;
  }
}
