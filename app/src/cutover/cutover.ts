/**
 * `ferry cutover <task-file>`: the last step of a migration, as a check a script can wait on.
 *
 *   1. latency  wait until the running task is ready (GET /readyz: connected, not retrying) and its CDCLatencySource
 *               is at most --max-latency seconds (task-endpoint.ts). A latency left high by the last change written
 *               counts as 0 once the task has caught up (its committed position has reached the source's end of log).
 *   2. drain    read the source's current position once (source-log.ts), then wait until the task's committed
 *               position (its offset store, as `ferry offsets show` reads it) has reached it: every change the source
 *               had committed when the drain began is durable in the task's sinks, and none is in flight.
 *   3. stop     POST /stop on the task's control API (a graceful stop: the batch in flight is written and committed,
 *               then `ferry run` exits 0), and wait until the process has ended (its metrics server is gone).
 *   4. report   the final committed position, read from the offset store after the process ended.
 *
 * Steps 1 and 2 share --timeout; on a timeout the task is left running (FERRY_CUTOVER_TIMEOUT). Step 3 has its own
 * --stop-timeout. Writers must have stopped before the drain for the final position to be the source's last write.
 */
import { openStateKeyring } from '../../../runtime/src/encryption/state-keyring.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { OffsetStore, Position } from '../../../core/src/types.ts';
import { openOffsetStore } from '../../../runtime/src/offsets/open-offset-store.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { compareLog, currentSourcePosition } from './source-log.ts';
import { requestStop, sampleTask, waitForExit, type TaskSample } from './task-endpoint.ts';

export interface CutoverOptions {
  /** The task file's path, for messages. */
  readonly file: string;
  /** CDCLatencySource threshold, seconds. */
  readonly maxLatencySeconds: number;
  /** How long the latency wait and the drain may take together (ms). */
  readonly timeoutMs: number;
  /** How long the task may take to stop after POST /stop (ms). */
  readonly stopTimeoutMs: number;
  /** Poll interval (ms); default 500. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Progress lines (stderr). */
  readonly progress?: (message: string) => void;
}

export interface CutoverResult {
  readonly task: string;
  /** The task's committed position after it stopped. */
  readonly finalPosition: Position;
  /** The source's end of log when the drain began: finalPosition is at or past it. */
  readonly drainTarget: Position;
  /** CDCLatencySource when the threshold was met (0 when caught up; null when the task had written nothing). */
  readonly latencySeconds: number | null;
  readonly seconds: { readonly latency: number; readonly drain: number; readonly stop: number };
}

const secondsSince = (t: number) => Math.round((Date.now() - t) / 100) / 10;

async function committed(store: OffsetStore, task: ResolvedTask): Promise<Position | null> {
  return (await store.read(task.name))?.position ?? null;
}

function timeout(task: ResolvedTask, o: CutoverOptions, phase: string, what: string, details: Record<string, unknown>): FerryError {
  return new FerryError('FERRY_CUTOVER_TIMEOUT', `task ${task.name}: ${what} within --timeout ${Math.round(o.timeoutMs / 1000)} s; the task was left running. Run ferry cutover again (with a longer --timeout), or look at the task's log and GET /readyz`, { details: { phase, ...details } });
}

export async function cutover(task: ResolvedTask, o: CutoverOptions): Promise<CutoverResult> {
  const poll = o.pollMs ?? 500;
  const say = o.progress ?? (() => undefined);
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  await openStateKeyring(task.settings.stateDir, task.settings.stateEncryption); // settings.stateEncryption
  const store = openOffsetStore(task);
  try {
    // 1. latency
    let sample: TaskSample = await sampleTask(task, o.file);
    let latency: number | null = sample.latencySeconds;
    let lastCatchUpCheck = 0;
    for (;;) {
      if (o.signal?.aborted) throw new FerryError('FERRY_ABORTED', 'ferry cutover was interrupted; the task was left running');
      if (sample.readiness.ready) {
        if (latency === null || latency <= o.maxLatencySeconds) break;
        // A latency sample stays at the last change written: caught up (nothing left to read) means 0.
        if (Date.now() - lastCatchUpCheck >= 5000) {
          lastCatchUpCheck = Date.now();
          const [at, end] = await Promise.all([committed(store, task), currentSourcePosition(task)]);
          if (at !== null && compareLog(at, end) >= 0) { latency = 0; break; }
        }
      }
      if (Date.now() >= deadline) {
        throw timeout(task, o, 'latency', sample.readiness.ready ? `CDCLatencySource stayed above ${o.maxLatencySeconds} s (last ${latency} s)` : `the task did not become ready (not ready: ${sample.readiness.notReady.join(', ')})`,
          { latencySeconds: latency, maxLatencySeconds: o.maxLatencySeconds, readiness: sample.readiness });
      }
      await sleep(poll, o.signal);
      sample = await sampleTask(task, o.file);
      latency = sample.latencySeconds;
    }
    const latencyDone = Date.now();
    say(`CDCLatencySource ${latency ?? 0} s (at most ${o.maxLatencySeconds} s): draining`);

    // 2. drain
    const target = await currentSourcePosition(task);
    say(`waiting for the committed position to reach the source's ${target}`);
    let at = await committed(store, task);
    while (at === null || compareLog(at, target) < 0) {
      if (o.signal?.aborted) throw new FerryError('FERRY_ABORTED', 'ferry cutover was interrupted; the task was left running');
      if (Date.now() >= deadline) throw timeout(task, o, 'drain', `the committed position ${at ?? '(none)'} did not reach the source's ${target}`, { committed: at, drainTarget: target });
      await sampleTask(task, o.file); // the task is still running (a task that died would never drain)
      await sleep(poll, o.signal);
      at = await committed(store, task);
    }
    const drained = Date.now();
    say(`drained at ${at}: stopping the task`);

    // 3. stop
    await requestStop(task, o.file);
    if (!(await waitForExit(task, o.file, Date.now() + o.stopTimeoutMs, o.signal))) {
      throw new FerryError('FERRY_CUTOVER_TIMEOUT', `task ${task.name} was asked to stop (POST /stop) but still answers after --stop-timeout ${Math.round(o.stopTimeoutMs / 1000)} s: it may be retrying a failing write (see its log); stop it with SIGTERM`, { details: { phase: 'stop', committed: at, drainTarget: target } });
    }

    // 4. report
    const final = await committed(store, task);
    if (final === null || compareLog(final, target) < 0) {
      throw new FerryError('FERRY_INTERNAL', `task ${task.name} stopped with committed position ${final ?? '(none)'}, before the drain target ${target} it had reached`);
    }
    return {
      task: task.name, finalPosition: final, drainTarget: target, latencySeconds: latency,
      seconds: { latency: (latencyDone - started) / 1000, drain: (drained - latencyDone) / 1000, stop: secondsSince(drained) },
    };
  } finally {
    await store.close();
  }
}
