/** `ferry run <task-file>`: run a task in the foreground. SIGINT/SIGTERM stop it gracefully; a second one forces exit. */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { runTask } from '../../task/TaskRunner.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { outJson, reportError } from '../output.ts';
import { isFerryError } from '../../../../core/src/errors.ts';

export async function runCommand(file: string, options: { json?: boolean; skipAssessment?: boolean }): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  const log = createLogger({ level: task.settings.logLevel }).child({ task: task.name });
  // The premigration assessment's fast profile (docs/assessment.md): an error-level finding refuses the start.
  if (options.skipAssessment) log.warn('--skip-assessment: starting without the premigration assessment');
  else {
    try {
      const { assessBeforeRun } = await import('../../assess/run-gate.ts');
      await assessBeforeRun(task, log);
    } catch (e: unknown) {
      reportError(e, json);
      return isFerryError(e) && e.code === 'FERRY_ASSESSMENT_FAILED' ? EXIT.ASSESSMENT_ERRORS : EXIT.FAILED;
    }
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info({ signal: sig }, `${sig} received: stopping gracefully (flushing in-flight events and committing their position); send it again to force`);
      controller.abort();
    } else {
      log.warn({ signal: sig }, `${sig} received again: exiting now; events since the last commit will be redelivered on restart`);
      process.exit(EXIT.FAILED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    log.info({ file, engine: task.source.engine, migrationType: task.migrationType }, `starting task ${task.name}`);
    const result = await runTask({ task, log }, controller.signal);
    const summary = { ok: true, task: task.name, events: result.events, lastCommitted: result.lastCommitted, snapshotDone: result.snapshotDone, stoppedBy: controller.signal.aborted ? 'signal' : result.stopRequested ? 'control-api' : 'completed', seconds: (Date.now() - started) / 1000 };
    log.info(summary, `task ${task.name} ${summary.stoppedBy === 'completed' ? 'finished' : 'stopped'}: ${result.events} events, last committed position ${result.lastCommitted ?? 'none'}`);
    if (json) outJson(summary);
    return EXIT.OK;
  } catch (e: unknown) {
    log.error({ err: e }, `task ${task.name} failed`);
    return reportError(e, json);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
