/**
 * `ferry worker --cluster <name>`: one member of a Ferry cluster (docs/cluster.md). Kafka is the only coordinator:
 *
 *   ferry-<cluster>-config   task definitions (key = task name, the task store's record, task-store.ts), compacted
 *   ferry-<cluster>-status   each task's state as its owner last wrote it (key = task name), compacted
 *   ferry-<cluster>-offsets  offsets, written in the task's transaction (runtime/src/cluster/task-transaction.ts)
 *   ferry-<cluster>-state    the state files a new owner needs (MySQL schema history, keyring), same transaction
 *   group ferry-<cluster>    membership and the leader's assignment (runtime/src/cluster/group-member.ts)
 *
 * Every worker follows the config and status topics; the group's leader places the tasks whose desired state is
 * running and rebalances when that set changes. A worker runs its assigned tasks with runTask (app/src/task),
 * each in its own Kafka transaction, from a state folder filled from the topics, so a task resumes on any worker.
 */
import { join } from 'node:path';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { createAdmin, createProducer, tailTopic, type KafkaSecurityOptions, type RecordProducer, type TopicTail } from '../../../runtime/src/kafka/kafka-client.ts';
import { GroupMember, type GroupView } from '../../../runtime/src/cluster/group-member.ts';
import { clusterTopics, type ClusterTopicNames } from '../../../runtime/src/cluster/task-transaction.ts';
import { decodeTask, encodeTask, type StoredTask } from '../tasks-api/task-store.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { TaskRun, type TaskRunStatus } from './task-run.ts';

export interface ClusterWorkerOptions {
  readonly cluster: string;
  readonly brokers: readonly string[];
  readonly security: KafkaSecurityOptions;
  readonly workerId: string;
  /** This worker's HTTP address as other workers reach it (http://host:port). */
  readonly url: string;
  /** Local scratch space: each task's state folder is <stateDir>/tasks/<name>, refilled from the topics at every start. */
  readonly stateDir: string;
  readonly log: Logger;
  /** Group session timeout (ms): how long a silent worker keeps its tasks. Default 6000 (the broker's minimum). */
  readonly sessionTimeoutMs?: number;
  /** Default 1000. */
  readonly heartbeatIntervalMs?: number;
  /** How long a rebalance waits for members to rejoin (ms). Default 10000. */
  readonly rebalanceTimeoutMs?: number;
  /** Replication factor of the cluster's topics; default 1. */
  readonly replicationFactor?: number;
}

/** The status a task's owner writes to the status topic. */
export interface ClusterTaskStatus extends TaskRunStatus {
  readonly owner: string;
  readonly generation: number;
}

export const CLUSTER_NAME_RE = /^[A-Za-z0-9_.-]{1,100}$/;

export class ClusterWorker {
  readonly o: ClusterWorkerOptions;
  readonly topics: ClusterTopicNames;
  readonly metrics: PromMetrics;
  readonly definitions = new Map<string, StoredTask>();
  readonly statuses = new Map<string, ClusterTaskStatus>();
  readonly #runs = new Map<string, TaskRun>();
  readonly #tails: TopicTail[] = [];
  #producer: RecordProducer | undefined;
  #member: GroupMember | undefined;
  #running: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #rejoinedFor = '';

  private constructor(o: ClusterWorkerOptions) {
    this.o = o;
    this.topics = clusterTopics(o.cluster);
    this.metrics = new PromMetrics({ defaultLabels: { worker: o.workerId } });
  }

  get connection() {
    return { brokers: this.o.brokers, clientId: `ferry-${this.o.cluster}-${this.o.workerId}`, ...this.o.security };
  }

  get view(): GroupView | null {
    return this.#member?.view ?? null;
  }

  get loopAlive(): number {
    return this.#member?.loopAlive ?? Date.now();
  }

  /** Creates the topics, reads the config and status topics to their end, and joins the group. */
  static async start(o: ClusterWorkerOptions): Promise<ClusterWorker> {
    if (!CLUSTER_NAME_RE.test(o.cluster)) throw new FerryError('FERRY_CONFIG_INVALID', `cluster name "${o.cluster}" must be 1-100 letters, digits, ".", "_" or "-" (it names the topics ferry-<cluster>-config, -status, -offsets, -state and the group ferry-<cluster>)`);
    const w = new ClusterWorker(o);
    const admin = createAdmin(w.connection);
    try {
      const rf = o.replicationFactor ?? 1;
      await admin.ensureTopics(Object.values(w.topics).map((name) => ({ name, partitions: 1, replicationFactor: rf, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' } })));
    } finally {
      await admin.close();
    }
    const config = tailTopic({ ...w.connection, topic: w.topics.config }, (r) => w.#onConfig(r.key?.toString(), r.value));
    const status = tailTopic({ ...w.connection, topic: w.topics.status }, (r) => {
      const name = r.key?.toString();
      if (!name) return;
      if (r.value === null) w.statuses.delete(name);
      else try { w.statuses.set(name, JSON.parse(r.value.toString()) as ClusterTaskStatus); } catch { /* not ours */ }
    });
    w.#tails.push(config, status);
    await Promise.all([config.ready, status.ready]);
    w.#member = new GroupMember({
      ...w.connection, groupId: `ferry-${o.cluster}`, log: o.log,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 6000, heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1000, rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10000,
      report: () => ({ workerId: o.workerId, url: o.url, owned: [...w.#runs.keys()].sort(), loads: Object.fromEntries([...w.#runs].map(([n, r]) => [n, r.load()])) }),
      tasks: () => w.#desiredRunning().map((name) => ({ name })),
      onAssigned: async (view) => w.#onAssigned(view),
      onRevokeAll: async (reason, graceful) => w.#revokeAll(reason, graceful),
    });
    w.#running = w.#member.run(w.#stop.signal);
    w.#running.catch((e: unknown) => o.log.error({ err: e }, `cluster membership stopped: ${errorMessage(e)}`));
    w.#gauges();
    return w;
  }

  #desiredRunning(): string[] {
    return [...this.definitions.values()].filter((t) => t.desired === 'running').map((t) => t.name).sort();
  }

  #onConfig(name: string | undefined, value: Buffer | null): void {
    if (!name) return;
    const before = this.definitions.get(name);
    if (value === null) this.definitions.delete(name);
    else {
      try {
        this.definitions.set(name, decodeTask(value.toString(), `task ${name} in topic ${this.topics.config}`));
      } catch (e: unknown) {
        this.o.log.warn({ err: e }, `ignoring a record of ${this.topics.config}: ${errorMessage(e)}`);
        return;
      }
    }
    const after = this.definitions.get(name);
    // The owner restarts a task whose definition changed; the leader rebalances when the set to run changed.
    if (before && after && before.updatedAt !== after.updatedAt && after.desired === 'running') this.#runs.get(name)?.restart('its definition changed');
    const view = this.view;
    if (view?.isLeader) {
      const placed = new Set([...Object.keys(view.owners), ...view.revoked]);
      const wanted = this.#desiredRunning();
      const signature = `${view.generation}:${wanted.join(',')}`;
      if ((wanted.length !== placed.size || wanted.some((t) => !placed.has(t))) && signature !== this.#rejoinedFor) {
        this.#rejoinedFor = signature; // once per generation and task set (the topic echoes this worker's own writes)
        this.#member?.requestRejoin(`the tasks to run changed (${name})`);
      }
    }
  }

  #onAssigned(view: GroupView): void {
    const mine = new Set(view.tasks);
    for (const [name, run] of this.#runs) {
      if (mine.has(name)) continue;
      // Given up gracefully (its last batch is committed); then the next generation can place it elsewhere.
      void run.stop('revoked').then(() => {
        if (this.#runs.get(name) === run) this.#runs.delete(name);
        if (view.revoked.includes(name)) this.#member?.requestRejoin(`gave up ${name}`);
      });
    }
    for (const name of mine) {
      if (this.#runs.has(name)) continue;
      const run = new TaskRun({ worker: this, name, generation: view.generation, log: this.o.log.child({ task: name }) });
      this.#runs.set(name, run);
      run.start();
    }
  }

  async #revokeAll(reason: string, graceful: boolean): Promise<void> {
    const runs = [...this.#runs];
    await Promise.all(runs.map(([, r]) => r.stop(graceful ? 'revoked' : 'lost', reason)));
    for (const [name, r] of runs) if (this.#runs.get(name) === r) this.#runs.delete(name);
  }

  /** True while `name` is this worker's in the current generation (checked before every offset commit). */
  owns(name: string, run: TaskRun): boolean {
    return this.#runs.get(name) === run && (this.view?.tasks.includes(name) ?? false);
  }

  /** The runs on this worker (for /readyz, /metrics). */
  get runs(): ReadonlyMap<string, TaskRun> {
    return this.#runs;
  }

  /** Writes a task's status to the status topic (best effort: status is informative). */
  async writeStatus(name: string, status: TaskRunStatus, generation: number): Promise<void> {
    const record: ClusterTaskStatus = { ...status, owner: this.o.workerId, generation };
    this.statuses.set(name, record);
    try {
      this.#producer ??= createProducer({ ...this.connection, clientId: `${this.connection.clientId}-status` });
      await this.#producer.send([{ topic: this.topics.status, key: Buffer.from(name), value: Buffer.from(JSON.stringify(record)) }]);
    } catch (e: unknown) {
      this.o.log.warn({ err: e }, `cannot write the status of task ${name}: ${errorMessage(e)}`);
    }
  }

  /** Stores a definition in the config topic (the leader does, for the task API). */
  async putDefinition(task: StoredTask): Promise<void> {
    this.#producer ??= createProducer({ ...this.connection, clientId: `${this.connection.clientId}-status` });
    await this.#producer.send([{ topic: this.topics.config, key: Buffer.from(task.name), value: Buffer.from(encodeTask(task)) }]);
    this.definitions.set(task.name, task);
    this.#onConfig(task.name, Buffer.from(encodeTask(task)));
  }

  async deleteDefinition(name: string): Promise<void> {
    this.#producer ??= createProducer({ ...this.connection, clientId: `${this.connection.clientId}-status` });
    await this.#producer.send([{ topic: this.topics.config, key: Buffer.from(name), value: null }, { topic: this.topics.status, key: Buffer.from(name), value: null }]);
    this.#onConfig(name, null);
    this.statuses.delete(name);
  }

  /** The state folder of a task on this worker. */
  taskStateDir(name: string): string {
    return join(this.o.stateDir, 'tasks', name);
  }

  #gauges(): void {
    const m = this.metrics;
    const assigned = m.gauge('worker_tasks_assigned', 'Tasks the cluster assigned to this worker in the current generation');
    const running = m.gauge('worker_tasks_running', 'Tasks running on this worker');
    const members = m.gauge('cluster_members', 'Members of the cluster in the current generation (as this worker saw it)');
    const unassigned = m.gauge('cluster_tasks_unassigned', 'Tasks to run that no worker has in the current generation (the leader reports it; 0 on other workers)');
    const leader = m.gauge('worker_is_leader', '1 on the cluster leader, else 0');
    const generation = m.gauge('cluster_generation', 'The group generation this worker is in');
    const timer = setInterval(() => {
      const v = this.view;
      assigned.set({}, v?.tasks.length ?? 0);
      running.set({}, [...this.#runs.values()].filter((r) => r.status.state === 'running').length);
      members.set({}, v?.members.length ?? 0);
      unassigned.set({}, v?.isLeader ? this.#desiredRunning().filter((t) => v.owners[t] === undefined).length : 0);
      leader.set({}, v?.isLeader ? 1 : 0);
      generation.set({}, v?.generation ?? 0);
    }, 500);
    timer.unref();
    this.#stop.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** Stops every task (their last batches committed), leaves the group, closes the clients. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#running?.catch(() => undefined);
    for (const t of this.#tails) await t.close();
    await this.#producer?.close().catch(() => undefined);
  }
}
