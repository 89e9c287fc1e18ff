/**
 * One assigned sink unit on a cluster worker (sink-units.ts, docs/cluster.md#sink-placement): one consumer of a
 * task's target in the target's consumer group (runTaskSinkWorkers with that target only and one consumer), started
 * again after a failure while this worker holds the unit. Records delivered again after a move are applied
 * idempotently by database targets (upserts, deletes by key); lake targets are at least once (docs/cluster.md).
 */
import { errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { parseTaskAsync } from '../task-file/load-task.ts';
import { runTaskSinkWorkers } from '../task/targets.ts';
import type { ClusterWorker } from './ClusterWorker.ts';
import type { SinkUnit } from './sink-units.ts';
import { RESTART_DELAY_MS, type TaskRunStatus } from './task-run.ts';

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

export class SinkRun {
  readonly #worker: ClusterWorker;
  readonly name: string;
  readonly unit: SinkUnit;
  readonly generation: number;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #attempt: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  status: TaskRunStatus = { state: 'starting', reason: null, since: new Date().toISOString() };
  metrics: PromMetrics | null = null;

  constructor(o: { worker: ClusterWorker; name: string; unit: SinkUnit; generation: number; log: Logger }) {
    this.#worker = o.worker;
    this.name = o.name;
    this.unit = o.unit;
    this.generation = o.generation;
    this.#log = o.log;
  }

  start(): void {
    this.#done = this.#loop();
  }

  restart(reason: string): void {
    this.#log.info(`restarting sink unit ${this.name}: ${reason}`);
    this.#attempt?.abort();
  }

  /** Stops the consumer: its batch in progress is written and committed, then it leaves the target's group. */
  async stop(_why: 'revoked' | 'lost', reason?: string): Promise<void> {
    this.#log.info(`stopping sink unit ${this.name}${reason ? `: ${reason}` : ''}`);
    this.#stop.abort();
    this.#attempt?.abort();
    await this.#done;
  }

  /** Each unit counts 1 for the assignor. */
  load(): number {
    return 1;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      const attempt = new AbortController();
      this.#attempt = attempt;
      const signal = AbortSignal.any([this.#stop.signal, attempt.signal]);
      try {
        this.status = { state: 'starting', reason: null, since: new Date().toISOString() };
        const record = this.#worker.definitions.get(this.unit.task);
        if (!record) throw new Error(`task ${this.unit.task} has no definition in ${this.#worker.topics.config}`);
        const task = await parseTaskAsync(structuredClone(record.definition), { file: `task ${this.unit.task}`, cwd: this.#worker.o.stateDir });
        const metrics = new PromMetrics({ defaultLabels: { task: this.unit.task, target: this.unit.target, unit: String(this.unit.n) }, collectProcessMetrics: false });
        this.metrics = metrics;
        this.status = { state: 'running', reason: null, since: new Date().toISOString() };
        await runTaskSinkWorkers({ task: { ...task, settings: { ...task.settings, stateDir: this.#worker.taskStateDir(this.name.replace(/\//g, '_')) } }, log: this.#log, metrics, only: [this.unit.target], consumersPerTarget: 1,
          // The cluster's session timeout: a dead worker's unit leaves the target's group as fast as its tasks move.
          consumer: { sessionTimeoutMs: this.#worker.o.sessionTimeoutMs ?? 6000, heartbeatIntervalMs: this.#worker.o.heartbeatIntervalMs ?? 1000, rebalanceTimeoutMs: this.#worker.o.rebalanceTimeoutMs ?? 10000 } }, signal);
        failures = 0;
      } catch (e: unknown) {
        if (this.#stop.signal.aborted) break;
        const msg = redact(errorMessage(e));
        const delay = Math.min(RESTART_DELAY_MS, 1000 * 2 ** Math.min(failures++, 8));
        this.#log.error({ err: e }, `sink unit ${this.name} failed: ${msg}; starting it again in ${delay / 1000} s while this worker holds it`);
        this.status = { state: 'failed', reason: msg, since: new Date().toISOString() };
        await sleep(delay, this.#stop.signal);
      }
    }
    this.status = { state: 'stopped', reason: 'moved or stopped by the cluster', since: new Date().toISOString() };
  }
}
