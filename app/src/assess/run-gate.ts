/**
 * `ferry run`'s assessment before it starts (the 'run' profile of assess-task.ts): an open error-level finding
 * refuses the run with FERRY_ASSESSMENT_FAILED, listing the findings and naming --skip-assessment. Warnings are
 * logged in one line. An assessment that cannot run (a driver failure, an unexpected error) is logged and does not
 * block the run: the task's own start-up checks still apply.
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { assessTask } from './assess-task.ts';
import type { Finding } from './finding.ts';
import { findingLines } from './report-text.ts';

export const SKIP_FLAG = '--skip-assessment';

/** Throws FERRY_ASSESSMENT_FAILED (details.findings: the error findings) when the run must not start. */
export async function assessBeforeRun(task: ResolvedTask, log: Logger): Promise<void> {
  let findings: readonly Finding[];
  const started = Date.now();
  try {
    findings = (await assessTask(task, { profile: 'run' })).findings;
  } catch (e: unknown) {
    log.warn({ err: e }, `the premigration assessment could not run (${errorMessage(e)}); starting without it`);
    return;
  }
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  if (warnings.length > 0) log.warn({ findings: warnings.map((f) => f.code) }, `assessment: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (${[...new Set(warnings.map((f) => f.code))].join(', ')}); run ferry assess for the details`);
  log.debug({ ms: Date.now() - started }, 'assessment before start done');
  if (errors.length === 0) return;
  throw refusal(errors);
}

export function refusal(errors: readonly Finding[]): FerryError {
  const list = errors.map((f) => findingLines(f).join('\n')).join('\n');
  return new FerryError('FERRY_ASSESSMENT_FAILED',
    `the premigration assessment found ${errors.length} error${errors.length === 1 ? '' : 's'}, so the task was not started:\n${list}\nFix them (ferry assess <task-file> shows every finding), or start anyway with ferry run ${SKIP_FLAG}`,
    { details: { findings: errors } });
}
