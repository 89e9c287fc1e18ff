/**
 * `ferry cutover <task-file> [--max-latency S] [--timeout S] [--stop-timeout S] [--json]`: waits until the running task
 * is caught up (CDCLatencySource under the threshold) and drained (its committed position has reached the source's end
 * of log), stops it through its control API, and prints the final committed position (app/src/cutover/cutover.ts).
 */
import { isFerryError } from '../../../../core/src/errors.ts';
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { cutover } from '../../cutover/cutover.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';

export interface CutoverCommandOptions {
  readonly json?: boolean;
  /** Seconds. */
  readonly maxLatency: number;
  /** Seconds. */
  readonly timeout: number;
  /** Seconds. */
  readonly stopTimeout: number;
}

export async function cutoverCommand(file: string, options: CutoverCommandOptions): Promise<ExitCode> {
  const json = options.json === true;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const task = await loadTaskFileAsync(file);
    const r = await cutover(task, {
      file, maxLatencySeconds: options.maxLatency, timeoutMs: options.timeout * 1000, stopTimeoutMs: options.stopTimeout * 1000,
      signal: controller.signal, progress: (m) => err(`${task.name}: ${m}`),
    });
    if (json) outJson({ ok: true, ...r });
    else out(`${r.task}: stopped at ${r.finalPosition} (drained past the source's ${r.drainTarget}; CDCLatencySource ${r.latencySeconds ?? 0} s)`);
    return EXIT.OK;
  } catch (e: unknown) {
    const code = reportError(e, json);
    return isFerryError(e) && e.code === 'FERRY_CUTOVER_TIMEOUT' ? EXIT.TIMEOUT : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
