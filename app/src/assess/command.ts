/**
 * `ferry assess <task-file> [--json] [--html FILE] [--table …]` (docs/assessment.md, docs/cli.md). Exit codes: 0 no
 * error finding (warnings and infos allowed), 5 at least one error finding, 2 an invalid task file or usage, 1 the
 * assessment itself failed.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { UsageError } from '../cli/arg-parsers.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { out, outJson, reportError } from '../cli/output.ts';
import { loadTaskFileAsync } from '../task-file/load-task.ts';
import { assessTask } from './assess-task.ts';
import { htmlReport } from './report-html.ts';
import { textReport } from './report-text.ts';

export interface AssessCommandOptions {
  readonly json?: boolean;
  readonly html?: string;
  readonly table?: readonly string[];
  readonly rowsPerSecond?: number;
  readonly lobSampleRows?: number;
  readonly timeoutMs?: number;
}

export async function assessCommand(file: string, options: AssessCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  for (const t of options.table ?? []) {
    const dot = t.indexOf('.');
    if (dot <= 0 || !createTableSelector(task.tableMappings).includes({ schema: t.slice(0, dot), table: t.slice(dot + 1) })) {
      throw new UsageError(`--table ${t}: the task's table mapping does not select it (give schema.table of a selected table)`);
    }
  }
  try {
    const report = await assessTask(task, {
      profile: 'full',
      ...(options.table ? { tables: options.table } : {}),
      ...(options.rowsPerSecond !== undefined ? { rowsPerSecond: options.rowsPerSecond } : {}),
      ...(options.lobSampleRows !== undefined ? { lobSampleRows: options.lobSampleRows } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    if (options.html) writeFileSync(resolve(options.html), redact(htmlReport(report)));
    if (json) outJson({ ok: report.summary.errors === 0, ...report });
    else {
      process.stdout.write(redact(textReport(report)));
      if (options.html) out(`wrote ${resolve(options.html)}`);
    }
    return report.summary.errors > 0 ? EXIT.ASSESSMENT_ERRORS : EXIT.OK;
  } catch (e: unknown) {
    return reportError(e, json);
  }
}
