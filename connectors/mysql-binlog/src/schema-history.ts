/**
 * The durable schema history: an append-only JSON-lines file in stateDir, one line per table definition change:
 *
 *   {"pos":"mysql:0000000003:000000004711","key":"shop.orders","version":2,"def":{...},"cause":"ddl","ddl":"ALTER ..."}
 *
 * `pos` is the log order (file sequence and offset, no GTID) after which `def` is in effect; def null means the
 * table is gone (dropped, or renamed away). A snapshot or a first CDC start rewrites the file with one line per
 * captured table at its start position; each DDL appends. After a restart, the schema of a table at the resume
 * position is the last line for it at or before that position, so binlog events are decoded with the columns
 * they were written with, however the table looks now. A DDL met again after a restart (the checkpoint was
 * before it) is found by its position and not applied twice.
 *
 * With settings.stateEncryption each line is a sealed record instead ("fe1:<base64>", runtime/src/encryption/
 * sealed-lines.ts): table definitions and DDL text (which can hold default values) are not readable on disk.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import type { MySqlTableDef } from './type-mapping.ts';
import { stateCipherOf } from '../../../runtime/src/encryption/state-keyring.ts';
import { lineCodec, type LineCodec } from '../../../runtime/src/encryption/sealed-lines.ts';

export interface HistoryEntry {
  /** positionKey(): log order, no GTID. */
  readonly pos: string;
  readonly key: string;
  /** The TableSchema version of def; 0 when def is null. */
  readonly version: number;
  readonly def: MySqlTableDef | null;
  readonly cause: 'snapshot' | 'start' | 'ddl' | 'recovered';
  readonly ddl?: string;
}

export const HISTORY_FILE = 'mysql-schema-history.jsonl';

export class SchemaHistory {
  readonly file: string;
  #entries: HistoryEntry[] = [];
  readonly #codec: LineCodec;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true });
    this.file = join(stateDir, HISTORY_FILE);
    this.#codec = lineCodec(stateCipherOf(stateDir), HISTORY_FILE);
    if (existsSync(this.file)) this.#entries = parseHistory(readFileSync(this.file, 'utf8'), this.#codec);
  }

  get entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  get isEmpty(): boolean {
    return this.#entries.length === 0;
  }

  /** Replaces the whole history (a new snapshot or first start): written to a temporary file, then renamed. */
  reset(entries: readonly HistoryEntry[]): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, entries.map((e) => `${this.#codec.encode(JSON.stringify(e))}\n`).join(''));
    syncFile(tmp);
    renameSync(tmp, this.file);
    this.#entries = [...entries];
  }

  /** Appends entries durably (fsync) before the events that depend on them can be committed. */
  append(entries: readonly HistoryEntry[]): void {
    if (entries.length === 0) return;
    appendFileSync(this.file, entries.map((e) => `${this.#codec.encode(JSON.stringify(e))}\n`).join(''));
    syncFile(this.file);
    this.#entries.push(...entries);
  }

  /** Per table, the last entry at or before `pos` (a positionKey). */
  stateAt(pos: string): Map<string, HistoryEntry> {
    const out = new Map<string, HistoryEntry>();
    for (const e of this.#entries) if (e.pos <= pos) out.set(e.key, e);
    return out;
  }

  /** The entries written for the DDL at exactly `pos`, if it was applied before. */
  at(pos: string): HistoryEntry[] {
    return this.#entries.filter((e) => e.pos === pos && e.cause === 'ddl');
  }

  /** The highest version a table ever had (0 if never), so a new version never reuses a number. */
  maxVersion(key: string): number {
    let v = 0;
    for (const e of this.#entries) if (e.key === key && e.version > v) v = e.version;
    return v;
  }
}

/** Parses the file; a torn last line (crash mid-append) is ignored, any other bad line is an error. */
export function parseHistory(text: string, codec: LineCodec = lineCodec(null, HISTORY_FILE)): HistoryEntry[] {
  const lines = text.split('\n');
  const out: HistoryEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(codec.decode(line, `schema history line ${i + 1}`)) as HistoryEntry);
    } catch (e: unknown) {
      if (i >= lines.length - 2 && (e as { code?: string }).code !== 'FERRY_STATE_KEY_MISMATCH') break; // the last line, written partly
      if (e instanceof FerryError) throw e;
      throw new Error(`schema history line ${i + 1} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
