/** `ferry validate <task-file>`: the task file, then connectivity and source prerequisites. */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { runTaskChecks } from '../../checks/validate-task.ts';
import type { CheckResult } from '../../../../core/src/check-result.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';

export interface ValidateCommandOptions {
  readonly json?: boolean;
  /** Only check the file; do not connect to anything. */
  readonly offline?: boolean;
  readonly timeoutMs?: number;
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export async function validateCommand(file: string, options: ValidateCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  if (options.offline) {
    if (json) outJson({ ok: true, file, config: 'valid', checks: [] });
    else out(`ok   config: ${file} is valid`);
    return EXIT.OK;
  }
  const checks = await runTaskChecks(task, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  const failed = checks.filter((c) => c.status === 'fail');
  const warned = checks.filter((c) => c.status === 'warn');
  if (json) {
    outJson({ ok: failed.length === 0, file, config: 'valid', checks });
  } else {
    out(`ok   config: ${file} is valid`);
    for (const c of checks) out(line(c));
    const summary = `${checks.length} checks: ${failed.length} failed, ${warned.length} warning${warned.length === 1 ? '' : 's'}`;
    if (failed.length > 0) err(`validate: ${summary}`);
    else out(`validate: ${summary}`);
  }
  return failed.length > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
}

function line(c: CheckResult): string {
  return `${MARK[c.status]} ${c.check}: ${c.message}${c.fix && c.status !== 'ok' ? ` (fix: ${c.fix})` : ''}`;
}
