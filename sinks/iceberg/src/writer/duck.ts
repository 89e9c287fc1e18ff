/**
 * The Iceberg writer's DuckDB: one in-memory database per sink holding the staged batch and each table's key
 * index, and writing Parquet with Iceberg field ids (COPY … (FORMAT parquet, FIELD_IDS {...})).
 */
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { ValueRejected, type ColumnCodec, type WritableVector } from '../../../../runtime/src/columnar/column-types.ts';

const CHUNK = 2048;

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export interface StageColumn<R> {
  /** The staging column's name. */
  readonly name: string;
  readonly codec: ColumnCodec;
  /** The value of a row (null/undefined: NULL). */
  readonly get: (row: R) => unknown;
}

export class Duck {
  readonly #instance: DuckDBInstance;
  readonly conn: DuckDBConnection;
  readonly tempDir: string;
  #n = 0;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, tempDir: string) {
    this.#instance = instance;
    this.conn = conn;
    this.tempDir = tempDir;
  }

  static async create(o: { threads: number; memoryLimit: string }): Promise<Duck> {
    const tempDir = join(tmpdir(), `ferry-iceberg-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    await mkdir(tempDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', { threads: String(o.threads), memory_limit: o.memoryLimit, temp_directory: join(tempDir, 'spill') });
    const conn = await instance.connect();
    await conn.run("SET TimeZone='UTC'");
    await conn.run('SET preserve_insertion_order = true');
    return new Duck(instance, conn, tempDir);
  }

  tempPath(ext: string): string {
    return join(this.tempDir, `f${++this.#n}-${Math.random().toString(36).slice(2, 8)}.${ext}`);
  }

  uniqueName(prefix: string): string {
    return `${prefix}_${++this.#n}`;
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  }

  /**
   * Creates `table` with `columns` and appends `rows` in order through data chunks. A row one of whose values its
   * column cannot hold is left out and returned with the reason.
   */
  async stage<R>(table: string, columns: readonly StageColumn<R>[], rows: Iterable<R>): Promise<{ rows: number; rejected: { row: R; reason: string }[] }> {
    await this.conn.run(`CREATE OR REPLACE TABLE ${table} (${columns.map((c) => `${ident(c.name)} ${c.codec.sql}`).join(', ')})`);
    const appender = await this.conn.createAppender(table);
    const types: DuckDBType[] = columns.map((c) => c.codec.duckType);
    const rejected: { row: R; reason: string }[] = [];
    let written = 0;
    try {
      let chunk = DuckDBDataChunk.create(types, CHUNK);
      let vecs = columns.map((_, i) => chunk.getColumnVector(i) as unknown as WritableVector);
      let n = 0;
      const emit = () => {
        for (const v of vecs) v.flush();
        chunk.rowCount = n;
        appender.appendDataChunk(chunk);
        written += n;
        n = 0;
        chunk = DuckDBDataChunk.create(types, CHUNK);
        vecs = columns.map((_, i) => chunk.getColumnVector(i) as unknown as WritableVector);
      };
      const ncol = columns.length;
      for (const row of rows) {
        try {
          for (let i = 0; i < ncol; i++) {
            const c = columns[i]!;
            const v = c.get(row);
            if (v === null || v === undefined) vecs[i]!.setItem(n, null);
            else c.codec.put(vecs[i]!, n, v);
          }
        } catch (e: unknown) {
          rejected.push({ row, reason: e instanceof ValueRejected ? e.message : `cannot store a value: ${e instanceof Error ? e.message : String(e)}` });
          continue;
        }
        if (++n === CHUNK) emit();
      }
      if (n > 0) emit();
    } finally {
      appender.closeSync();
    }
    return { rows: written, rejected };
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.#instance.closeSync();
    await rm(this.tempDir, { recursive: true, force: true });
  }
}
