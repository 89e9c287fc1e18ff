/**
 * A task's state in the cluster's topics, and its writes fenced by one Kafka transaction per commit
 * (docs/cluster.md#fencing):
 *
 *   - `ferry-<cluster>-offsets` (compacted): key = task name, value = the StoredOffset (offset-codec.ts), as
 *     KafkaOffsetStore writes it (sealed with the task's state key when settings.stateEncryption is on);
 *   - `ferry-<cluster>-state` (compacted): key = `<task>/<file>`, value = the whole file, for the files of the task's
 *     state folder that a new owner needs: the MySQL schema history (mysql-schema-history.jsonl, the counterpart of
 *     Debezium's schema-history topic) and the keyring of an encrypted task (keyring.json). Snapshot progress and
 *     incremental-snapshot windows are part of the offset.
 *
 * The task's producer has transactional.id `ferry-<cluster>-task-<task>`. `open` registers it first (InitProducerId),
 * which fences every older producer of the task and aborts its open transaction, then reads the offset and state
 * with read_committed and writes the state files into the (emptied) local state folder. The pipeline's writes go
 * into an open transaction; the offset commit checks that this worker still owns the task in the current
 * generation, adds the offset and every changed state file, and commits: events, offset and schema history become
 * visible together or not at all. A worker that lost the task (frozen, cut off) fails at its next send or commit
 * (PRODUCER_FENCED): FERRY_WORKER_FENCED, and what it wrote since the last commit is aborted.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { OffsetStore, StoredOffset } from '../../../core/src/types.ts';
import { createTransactionSession, isProducerFenced, readCommittedToEnd, type KafkaConnectionOptions, type OutgoingRecord, type RecordProducer, type TransactionSession, type Compression } from '../kafka/kafka-client.ts';
import { decodeOffset, encodeOffset } from '../offsets/offset-codec.ts';
import { stateCipherOf } from '../encryption/state-keyring.ts';

/** The files of a task's state folder kept in the state topic. */
export const MIRRORED_STATE_FILES = ['mysql-schema-history.jsonl', 'keyring.json'] as const;

export interface ClusterTopicNames {
  readonly config: string;
  readonly status: string;
  readonly offsets: string;
  readonly state: string;
}

export function clusterTopics(cluster: string): ClusterTopicNames {
  return { config: `ferry-${cluster}-config`, status: `ferry-${cluster}-status`, offsets: `ferry-${cluster}-offsets`, state: `ferry-${cluster}-state` };
}

/** How long a transaction with sends but no offset commit stays open before it is committed on its own (ms). */
export const IDLE_COMMIT_MS = 5000;

export const transactionalIdOf = (cluster: string, task: string) => `ferry-${cluster}-task-${task}`;

export interface TaskTransactionOptions extends KafkaConnectionOptions {
  readonly cluster: string;
  readonly task: string;
  /** The task's local state folder: emptied, then filled from the state topic. */
  readonly stateDir: string;
  /** The state the task cannot resume without, once it has an offset (e.g. the MySQL schema history). */
  readonly requiredFiles: readonly string[];
  /** False once this worker no longer owns the task in the current generation: the commit is refused. */
  owns(): boolean;
  readonly compression?: Compression;
  readonly maxMessageBytes?: number;
}

export class TaskTransaction {
  readonly #o: TaskTransactionOptions;
  readonly #topics: ClusterTopicNames;
  readonly #session: TransactionSession;
  #offsetText: string | null = null;
  /** The content of each mirrored file as last committed (or restored). */
  readonly #mirrored = new Map<string, string>();
  #failed: FerryError | null = null;

  private constructor(o: TaskTransactionOptions) {
    this.#o = o;
    this.#topics = clusterTopics(o.cluster);
    this.#session = createTransactionSession({ ...o, clientId: `${o.clientId}-${o.task}`, transactionalId: transactionalIdOf(o.cluster, o.task), compression: o.compression, maxMessageBytes: o.maxMessageBytes });
  }

  /** Fences older owners, reads the task's offset and state, and restores the state files into stateDir. */
  static async open(o: TaskTransactionOptions): Promise<TaskTransaction> {
    const t = new TaskTransaction(o);
    try {
      await t.#session.init();
      const read = (topic: string) => readCommittedToEnd({ ...o, clientId: `${o.clientId}-${o.task}-restore`, topic });
      const [offsets, state] = await Promise.all([read(t.#topics.offsets), read(t.#topics.state)]);
      for (const r of offsets) if (r.key?.toString() === o.task) t.#offsetText = r.value === null ? null : r.value.toString();
      const prefix = `${o.task}/`;
      const files = new Map<string, string | null>();
      for (const r of state) {
        const k = r.key?.toString();
        if (k?.startsWith(prefix)) files.set(k.slice(prefix.length), r.value === null ? null : r.value.toString());
      }
      rmSync(o.stateDir, { recursive: true, force: true });
      mkdirSync(o.stateDir, { recursive: true });
      for (const [name, text] of files) {
        if (text === null || !(MIRRORED_STATE_FILES as readonly string[]).includes(name)) continue;
        writeFileSync(join(o.stateDir, name), text);
        t.#mirrored.set(name, text);
      }
      if (t.#offsetText !== null) {
        for (const need of o.requiredFiles) {
          if (!t.#mirrored.has(need)) {
            throw new FerryError('FERRY_STATE_MISSING', `task ${o.task} has a committed offset in ${t.#topics.offsets} but no ${need} in ${t.#topics.state} (key "${o.task}/${need}"), so it cannot resume on this worker. Restore the topic, or create the task again under a new name (a new snapshot)`, { details: { task: o.task, file: need, topic: t.#topics.state } });
          }
        }
      }
      return t;
    } catch (e: unknown) {
      await t.#session.close().catch(() => undefined);
      throw e;
    }
  }

  /** Sends and commits run one at a time, in call order. */
  #chain: Promise<unknown> = Promise.resolve();
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /**
   * A send not followed by an offset commit within IDLE_COMMIT_MS (a heartbeat record written after the last commit
   * of a quiet stream) is committed on its own, so no transaction stays open to its timeout.
   */
  #idle: NodeJS.Timeout | undefined;
  #armIdleCommit(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      void this.#serial(async () => {
        if (this.#failed) return;
        await this.#session.commit([]).catch((e: unknown) => this.#fail(e, 'committing a quiet transaction'));
      }).catch(() => undefined);
    }, IDLE_COMMIT_MS);
    this.#idle.unref();
  }

  /** The producer for the task's Kafka event sink: every send joins the open transaction. */
  readonly producer: RecordProducer = {
    send: (records) => this.#serial(async () => {
      this.#check();
      await this.#session.send(records).catch((e: unknown) => this.#fail(e, 'writing events'));
      this.#armIdleCommit();
    }),
    close: async () => undefined, // the session is closed by close()
  };

  /** The task's offset store: the offset read at open, and commits in the transaction. */
  readonly offsets: OffsetStore = {
    read: async (taskName: string): Promise<StoredOffset | null> => {
      if (taskName !== this.#o.task || this.#offsetText === null) return null;
      const what = `offset of task ${taskName} in topic ${this.#topics.offsets}`;
      const c = stateCipherOf(this.#o.stateDir);
      return decodeOffset(c ? c.openText(this.#offsetText, this.#offsetContext(), what) : this.#offsetText, what);
    },
    commit: (taskName: string, offset: StoredOffset): Promise<void> => this.#serial(async () => {
      this.#check();
      clearTimeout(this.#idle);
      if (!this.#o.owns()) {
        await this.#session.abort();
        this.#failed = new FerryError('FERRY_WORKER_FENCED', `task ${taskName}: this worker no longer owns the task in the cluster's current generation; the offset was not committed and the open transaction was aborted (another worker runs the task now)`, { disposition: 'fatal' });
        throw this.#failed;
      }
      const c = stateCipherOf(this.#o.stateDir);
      const text = encodeOffset(offset);
      const records: OutgoingRecord[] = [{ topic: this.#topics.offsets, key: Buffer.from(taskName), value: Buffer.from(c ? c.sealText(text, this.#offsetContext()) : text) }];
      const changed = new Map<string, string>();
      for (const name of MIRRORED_STATE_FILES) {
        const file = join(this.#o.stateDir, name);
        if (!existsSync(file)) continue;
        const content = readFileSync(file, 'utf8');
        if (this.#mirrored.get(name) === content) continue;
        changed.set(name, content);
        records.push({ topic: this.#topics.state, key: Buffer.from(`${taskName}/${name}`), value: Buffer.from(content) });
      }
      await this.#session.commit(records).catch((e: unknown) => this.#fail(e, 'committing the offset'));
      for (const [k, v] of changed) this.#mirrored.set(k, v);
      this.#offsetText = text;
    }),
    reset: async (taskName: string): Promise<void> => {
      this.#check();
      const records: OutgoingRecord[] = [{ topic: this.#topics.offsets, key: Buffer.from(taskName), value: null }];
      for (const name of MIRRORED_STATE_FILES) records.push({ topic: this.#topics.state, key: Buffer.from(`${taskName}/${name}`), value: null });
      await this.#session.commit(records).catch((e: unknown) => this.#fail(e, 'resetting the offset'));
      this.#offsetText = null;
      this.#mirrored.clear();
    },
    close: async () => undefined,
  };

  #offsetContext(): string {
    return `offsets-topic/${this.#topics.offsets}/${this.#o.task}`;
  }

  #check(): void {
    if (this.#failed) throw this.#failed;
  }

  #fail(e: unknown, what: string): never {
    this.#failed = isProducerFenced(e)
      ? new FerryError('FERRY_WORKER_FENCED', `task ${this.#o.task}: Kafka fenced this worker's transactional producer (${transactionalIdOf(this.#o.cluster, this.#o.task)}) while ${what}: another worker has taken the task over; nothing written since the last commit is visible to read_committed readers`, { cause: e, disposition: 'fatal' })
      : new FerryError('FERRY_TRANSACTION_ABORTED', `task ${this.#o.task}: the Kafka transaction failed while ${what} (${errorMessage(e)}) and was aborted; the task restarts from its last committed offset`, { cause: e, disposition: 'fatal' });
    throw this.#failed;
  }

  async close(): Promise<void> {
    clearTimeout(this.#idle);
    await this.#chain;
    await this.#session.abort().catch(() => undefined);
    await this.#session.close().catch(() => undefined);
  }
}
