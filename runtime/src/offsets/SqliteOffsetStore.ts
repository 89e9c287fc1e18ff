/**
 * Offsets in an embedded SQLite database (node:sqlite), for single-machine runs without Kafka.
 * A commit is one upsert in WAL mode with synchronous=FULL: when commit() returns, the offset survives a crash
 * of the process or the machine.
 * With settings.stateEncryption the value column holds a sealed record (runtime/src/encryption) bound to the row
 * ("offsets.db/offsets/<task>"): the task name stays readable, the position and snapshot state do not.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FerryError } from '../../../core/src/errors.ts';
import type { OffsetStore, StoredOffset } from '../../../core/src/types.ts';
import { decodeOffset, encodeOffset } from './offset-codec.ts';
import { stateCipherOf } from '../encryption/state-keyring.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';

export class SqliteOffsetStore implements OffsetStore {
  readonly #db: DatabaseSync;
  readonly #upsert: StatementSync;
  readonly #select: StatementSync;
  readonly #stateDir: string;

  constructor(options: { path: string }) {
    this.#stateDir = dirname(options.path);
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      this.#db = new DatabaseSync(options.path);
      this.#db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
      this.#db.exec('CREATE TABLE IF NOT EXISTS offsets (task TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)');
    } catch (e: unknown) {
      throw new FerryError('FERRY_OFFSET_STORE', `cannot open the offset store ${options.path}: ${(e as Error).message}. Check settings.stateDir is writable`, { cause: e, disposition: 'fatal' });
    }
    this.#upsert = this.#db.prepare('INSERT INTO offsets (task, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(task) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
    this.#select = this.#db.prepare('SELECT value FROM offsets WHERE task = ?');
  }

  async read(taskName: string): Promise<StoredOffset | null> {
    const row = this.#select.get(taskName) as { value: string } | undefined;
    if (!row) return null;
    const what = `sqlite offset of task ${taskName}`;
    const c = this.#cipher();
    return decodeOffset(c ? c.openText(row.value, rowContext(taskName), what) : row.value, what);
  }

  async commit(taskName: string, offset: StoredOffset): Promise<void> {
    const c = this.#cipher();
    const text = encodeOffset(offset);
    this.#upsert.run(taskName, c ? c.sealText(text, rowContext(taskName)) : text, new Date().toISOString());
  }

  /**
   * The state directory's cipher (settings.stateEncryption), looked up at the first read or commit (the keyring is
   * opened at the task's start, after the store is made) and kept: not a path resolve and a stat per commit.
   */
  #cipherOnce: RecordCipher | null | undefined;
  #cipher(): RecordCipher | null {
    if (this.#cipherOnce === undefined) this.#cipherOnce = stateCipherOf(this.#stateDir);
    return this.#cipherOnce;
  }

  async reset(taskName: string): Promise<void> {
    this.#db.prepare('DELETE FROM offsets WHERE task = ?').run(taskName);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

const rowContext = (task: string) => `offsets.db/offsets/${task}`;
