/**
 * One assigned task on a cluster worker: resolves its definition, opens its Kafka transaction (which fences any
 * older owner and restores its state folder from the topics), runs it with runTask, and starts it again after a
 * failure (5 s later) for as long as the worker owns it. Its status goes to the cluster's status topic.
 */
import { createHash } from 'node:crypto';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { TaskTransaction } from '../../../runtime/src/cluster/task-transaction.ts';
import { taskKafkaConnection } from '../../../runtime/src/kafka/task-kafka.ts';
import { parseTaskAsync, type ResolvedTask } from '../task-file/load-task.ts';
import { runTask } from '../task/TaskRunner.ts';
import { openPg } from '../../../connectors/postgres-logical/src/pg-connection.ts';
import { defaultSlotName } from '../../../connectors/postgres-logical/src/slot.ts';
import type { TaskState } from '../tasks-api/task-store.ts';
import type { ClusterWorker } from './ClusterWorker.ts';

export interface TaskRunStatus {
  readonly state: TaskState;
  readonly reason: string | null;
  readonly since: string;
}

export const RESTART_DELAY_MS = 5000;

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/** The binlog server_id of a task on a worker: 10000 + a hash of both (mod 1,000,000), clear of `ferry run`'s 5400-6399. */
export function workerServerId(task: string, workerId: string): number {
  return 10000 + (createHash('sha256').update(`${task}\0${workerId}`).digest().readUInt32BE(0) % 1_000_000);
}

/** The engines whose state folder holds a schema history a resumed task cannot do without. */
const HISTORY_ENGINES = new Set(['mysql', 'mariadb', 'aurora-mysql']);

export class TaskRun {
  readonly #worker: ClusterWorker;
  readonly name: string;
  readonly generation: number;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #attempt: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  status: TaskRunStatus = { state: 'starting', reason: null, since: new Date().toISOString() };
  metrics: PromMetrics | null = null;
  #events = 0;
  #eventsAt = Date.now();
  #rate = 0;

  constructor(o: { worker: ClusterWorker; name: string; generation: number; log: Logger }) {
    this.#worker = o.worker;
    this.name = o.name;
    this.generation = o.generation;
    this.#log = o.log;
  }

  start(): void {
    this.#done = this.#loop();
  }

  /** Restarts the current attempt (the definition changed). */
  restart(reason: string): void {
    this.#log.info(`restarting task ${this.name}: ${reason}`);
    this.#attempt?.abort();
  }

  /**
   * Stops the task. 'revoked': gracefully, its last batch committed. 'lost': the worker is out of the group, so
   * nothing more may be committed (the ownership check fails from now on).
   */
  async stop(why: 'revoked' | 'lost', reason?: string): Promise<void> {
    if (why === 'lost') this.#lost = true;
    this.#log.info(`stopping task ${this.name}: ${why === 'revoked' ? 'the cluster moved it or it was stopped' : reason}`);
    this.#stop.abort();
    this.#attempt?.abort();
    await this.#done;
  }

  #lost = false;
  /** Failures in a row (a run of a minute or more resets it). */
  #failures = 0;

  /** The load figure the assignor balances (assignor.ts): 1 + events per second / 1000. */
  load(): number {
    return 1 + this.#rate / 1000;
  }

  async #setStatus(state: TaskState, reason: string | null): Promise<void> {
    this.status = { state, reason, since: new Date().toISOString() };
    await this.#worker.writeStatus(this.name, this.status, this.generation);
  }

  async #loop(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const attempt = new AbortController();
      this.#attempt = attempt;
      const signal = AbortSignal.any([this.#stop.signal, attempt.signal]);
      let tx: TaskTransaction | undefined;
      let sampler: NodeJS.Timeout | undefined;
      let runningSince = 0;
      try {
        await this.#setStatus('starting', null);
        const task = await this.#resolve();
        const k = task.kafka!;
        const metrics = new PromMetrics({ defaultLabels: { task: this.name }, collectProcessMetrics: false });
        this.metrics = metrics;
        tx = await TaskTransaction.open({
          ...taskKafkaConnection(k, `ferry-${this.#worker.o.cluster}-${this.#worker.o.workerId}`), cluster: this.#worker.o.cluster, task: this.name,
          stateDir: task.settings.stateDir, compression: k.compression, maxMessageBytes: k.maxMessageBytes,
          requiredFiles: [...(HISTORY_ENGINES.has(task.source.engine) ? ['mysql-schema-history.jsonl'] : []), ...(task.settings.stateEncryption ? ['keyring.json'] : [])],
          owns: () => !this.#lost && this.#worker.owns(this.name, this),
        });
        if (signal.aborted) break;
        if (task.source.engine === 'postgres') await takeOverSlot(task, this.#log);
        await this.#setStatus('running', null);
        runningSince = Date.now();
        sampler = setInterval(() => void this.#sample(), 5000);
        sampler.unref();
        const result = await runTask({ task, log: this.#log, metrics, serveMetrics: false, cluster: { producer: tx.producer, offsets: tx.offsets } }, signal);
        if (!signal.aborted) {
          await this.#setStatus('stopped', result.stopRequested ? 'stopped by request' : 'completed');
          break;
        }
      } catch (e: unknown) {
        const msg = redact(errorMessage(e));
        if (this.#stop.signal.aborted) {
          this.#log.info(`task ${this.name} stopped: ${msg}`);
          break;
        }
        // 1 s after a first failure (a broker restart aborted the transaction), doubling to RESTART_DELAY_MS; a run of a
        // minute or more counts as a fresh start.
        if (runningSince > 0 && Date.now() - runningSince >= 60_000) this.#failures = 0;
        const delay = Math.min(RESTART_DELAY_MS, 1000 * 2 ** Math.min(this.#failures++, 8));
        this.#log.error({ err: e }, `task ${this.name} failed: ${msg}; starting it again in ${delay / 1000} s while this worker owns it`);
        await this.#setStatus('failed', msg);
        await sleep(delay, this.#stop.signal);
      } finally {
        clearInterval(sampler);
        await tx?.close();
      }
    }
    if (!this.#lost && this.status.state !== 'stopped' && this.status.state !== 'failed') await this.#setStatus('stopped', 'moved or stopped by the cluster');
  }

  async #resolve(): Promise<ResolvedTask> {
    const record = this.#worker.definitions.get(this.name);
    if (!record) throw new FerryError('FERRY_CONFIG_INVALID', `task ${this.name} has no definition in ${this.#worker.topics.config}`);
    const definition = structuredClone(record.definition);
    const source = definition.source as Record<string, unknown> | undefined;
    // A binlog connection's server_id per task *and worker*: a frozen old owner still holds a dump connection with its
    // id, and MariaDB/MySQL, seeing the same id again, waits for that connection to go (up to net_write_timeout)
    // before serving the new owner. An explicit source.serverId is kept.
    if (source && HISTORY_ENGINES.has(String(source.engine)) && source.serverId === undefined) source.serverId = workerServerId(this.name, this.#worker.o.workerId);
    const task = await parseTaskAsync(definition, { file: `task ${this.name}`, cwd: this.#worker.o.stateDir });
    if (!task.kafka) throw new FerryError('FERRY_CONFIG_INVALID', `task ${this.name} has no kafka block: a cluster task writes its events to Kafka (docs/cluster.md#limits); add a kafka block on the cluster's Kafka`);
    return { ...task, settings: { ...task.settings, stateDir: this.#worker.taskStateDir(this.name) } };
  }

  /** Events per second over the last interval, from the pipeline's events_total. */
  async #sample(): Promise<void> {
    const text = await this.metrics?.text().catch(() => '') ?? '';
    let n = 0;
    for (const line of text.split('\n')) if (line.startsWith('ferry_events_total{')) n += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    const now = Date.now();
    this.#rate = Math.max(0, (n - this.#events) / Math.max(1, (now - this.#eventsAt) / 1000));
    this.#events = n;
    this.#eventsAt = now;
  }
}

/**
 * A PostgreSQL task's replication slot is still held by the old owner's walsender when that worker is frozen or cut
 * off (the server notices after wal_sender_timeout, 60 s by default). The new owner, which has fenced the old one,
 * ends that walsender (pg_terminate_backend: the same user may end its own backends) so the stream resumes at once.
 */
async function takeOverSlot(task: ResolvedTask, log: Logger): Promise<void> {
  const s = task.source as ResolvedTask['source'] & { slotName?: string; database?: string; connectTimeoutMs?: number; ssl?: unknown };
  const slot = s.slotName ?? defaultSlotName(task.name);
  let client: Awaited<ReturnType<typeof openPg>> | undefined;
  try {
    client = await openPg({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database!, connectTimeoutMs: s.connectTimeoutMs, ssl: s.ssl } as never, {}, 'slot take-over connection');
    const r = await client.query<{ pid: number }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot]);
    for (const { pid } of r.rows) {
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
      log.info({ slot, pid }, `replication slot "${slot}" was still held by backend ${pid} (the previous owner); ended it`);
    }
  } catch (e: unknown) {
    log.warn({ err: e }, `could not check replication slot "${slot}" before starting: ${redact(errorMessage(e))}; the source retries until the previous owner's walsender times out`);
  } finally {
    await client?.end().catch(() => undefined);
  }
}
