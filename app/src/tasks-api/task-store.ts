/**
 * Where `ferry serve` keeps its task definitions and their status, so both survive a restart:
 *   - single-machine mode: SQLite (node:sqlite) in the server's state folder, WAL + synchronous=FULL, like
 *     SqliteOffsetStore;
 *   - the Kafka-backed task store (not a cluster): a compacted Kafka topic (kafka-task-store.ts), key = task name, value = this record as JSON,
 *     a tombstone for a deleted task, like KafkaOffsetStore.
 *
 * A definition is stored as it was given: `${env:…}`/`${file:…}` references stay references (resolved again at
 * every start), so a task created with references stores no secret. A literal password in a created task is
 * stored as given; use references. With `ferry serve --state-key-file/--state-kms-key` the SQLite value column
 * holds a sealed record (runtime/src/encryption) bound to its row ("tasks.db/tasks/<name>"): definitions, literal
 * secrets among them, and status are not readable on disk; the task name stays readable.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FerryError } from '../../../core/src/errors.ts';
import type { PersistedStatistics } from './task-statistics.ts';
import type { RecordCipher } from '../../../runtime/src/encryption/record-cipher.ts';

export type TaskState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface TaskStatusRecord {
  readonly state: TaskState;
  /** Why the task is in this state: the failure for 'failed', e.g. "stopped by request" or "full load completed". */
  readonly reason: string | null;
  /** ISO time of the last state change. */
  readonly since: string;
}

export interface StoredTask {
  readonly name: string;
  /** The task document as created (JSON), secret references unresolved. */
  readonly definition: Record<string, unknown>;
  /** Whether the task should run: a server that restarts resumes the tasks whose desired state is 'running'. */
  readonly desired: 'running' | 'stopped';
  readonly status: TaskStatusRecord;
  readonly statistics?: PersistedStatistics;
  /** Tables added while the task was stopped or restarting, to re-snapshot once its source is open. */
  readonly pendingReloads?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TaskStore {
  /** Every stored task, by name. */
  list(): Promise<StoredTask[]>;
  /** Resolves once the record is durable. */
  put(task: StoredTask): Promise<void>;
  delete(name: string): Promise<void>;
  close(): Promise<void>;
  /** In words, for logs and `ferry serve`'s banner. */
  readonly description: string;
}

export const TASK_RECORD_VERSION = 1;

export function encodeTask(t: StoredTask): string {
  return JSON.stringify({ v: TASK_RECORD_VERSION, ...t });
}

export function decodeTask(text: string, what: string): StoredTask {
  let v: Partial<StoredTask> & { v?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch (e: unknown) {
    throw new FerryError('FERRY_INTERNAL', `${what} is not valid JSON; it was written by something else or is damaged`, { cause: e });
  }
  if (v.v !== TASK_RECORD_VERSION || typeof v.name !== 'string' || typeof v.definition !== 'object' || v.status === undefined) {
    throw new FerryError('FERRY_INTERNAL', `${what} has an unknown format (version ${String(v.v)}); this Ferry reads version ${TASK_RECORD_VERSION}`);
  }
  const { v: _version, ...task } = v;
  return task as StoredTask;
}

export class SqliteTaskStore implements TaskStore {
  readonly #db: DatabaseSync;
  readonly #upsert: StatementSync;
  readonly #cipher: RecordCipher | null;
  readonly description: string;

  constructor(options: { path: string; cipher?: RecordCipher | null }) {
    this.#cipher = options.cipher ?? null;
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      this.#db = new DatabaseSync(options.path);
      this.#db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
      this.#db.exec('CREATE TABLE IF NOT EXISTS tasks (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)');
    } catch (e: unknown) {
      throw new FerryError('FERRY_CONFIG_INVALID', `cannot open the task store ${options.path}: ${(e as Error).message}. Check --state-dir is writable`, { cause: e });
    }
    this.#upsert = this.#db.prepare('INSERT INTO tasks (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
    this.description = `SQLite ${options.path}${this.#cipher ? ' (encrypted)' : ''}`;
  }

  async list(): Promise<StoredTask[]> {
    const rows = this.#db.prepare('SELECT name, value FROM tasks ORDER BY name').all() as { name: string; value: string }[];
    return rows.map((r) => {
      const what = `stored task ${r.name}`;
      return decodeTask(this.#cipher ? this.#cipher.openText(r.value, taskRowContext(r.name), what) : r.value, what);
    });
  }

  async put(task: StoredTask): Promise<void> {
    const text = encodeTask(task);
    this.#upsert.run(task.name, this.#cipher ? this.#cipher.sealText(text, taskRowContext(task.name)) : text, task.updatedAt);
  }

  async delete(name: string): Promise<void> {
    this.#db.prepare('DELETE FROM tasks WHERE name = ?').run(name);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

const taskRowContext = (name: string) => `tasks.db/tasks/${name}`;
