/**
 * Rows → a Parquet or CSV file, through DuckDB: the rows are written into DuckDB data chunks (typed vectors, 2048
 * rows each), appended to a staging table, and written with `COPY … TO` (the fastest writer measured here:
 * docs/dependencies.md §5; compression and encoding run on DuckDB's own threads).
 */
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { ValueRejected, type ColumnCodec, type WritableVector } from './column-types.ts';

export interface FileColumn<R, C> {
  readonly name: string;
  readonly codec: ColumnCodec;
  /** The column's value for a row (null/undefined = NULL); `ctx` is computed once per row by the caller's `prepare`. */
  readonly get: (row: R, ctx: C) => unknown;
}

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export interface ParquetFormat {
  readonly kind: 'parquet';
  readonly compression: ParquetCompression;
  readonly rowGroupRows: number;
}

export interface CsvFormat {
  readonly kind: 'csv';
  readonly delimiter: string;
  readonly quote: string;
  /** Quote every value, not only those that need it. */
  readonly quoteAll: boolean;
  readonly header: boolean;
  readonly nullValue: string;
  readonly gzip: boolean;
}

export type FileFormat = ParquetFormat | CsvFormat;

export interface WriteOutcome<R> {
  readonly rows: number;
  readonly rejected: readonly { readonly row: R; readonly reason: string }[];
}

const CHUNK = 2048;
const RUN_COLUMN = '"__ferry_run"';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export interface DuckFileWriterOptions {
  /** DuckDB worker threads (compression, encoding); default 2. */
  readonly threads?: number;
  /** e.g. '1GB'; default DuckDB's (80% of RAM). */
  readonly memoryLimit?: string;
  /** Where temporary files go; default the OS temp dir. */
  readonly tempDir?: string;
}

export class DuckFileWriter {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly tempDir: string;
  #n = 0;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, tempDir: string) {
    this.#instance = instance;
    this.#conn = conn;
    this.tempDir = tempDir;
  }

  static async create(o: DuckFileWriterOptions = {}): Promise<DuckFileWriter> {
    const tempDir = join(o.tempDir ?? tmpdir(), `ferry-duck-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    await mkdir(tempDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(o.threads ?? 2),
      ...(o.memoryLimit ? { memory_limit: o.memoryLimit } : {}),
      temp_directory: join(tempDir, 'spill'),
    });
    const conn = await instance.connect();
    await conn.run("SET TimeZone='UTC'");
    // Rows stay in append order in the file: readers see a partition's records in offset order.
    await conn.run('SET preserve_insertion_order = true');
    return new DuckFileWriter(instance, conn, tempDir);
  }

  /** A fresh temp file path with an extension. */
  tempPath(ext: string): string {
    return join(this.tempDir, `f${++this.#n}-${Math.random().toString(36).slice(2, 8)}.${ext}`);
  }

  /**
   * Writes `rows` (in order) to `path`. A row one of whose values the column type cannot hold is left out and
   * reported in `rejected`. Writes no file when every row was rejected (rows = 0).
   */
  async write<R, C>(rows: readonly R[], prepare: (row: R) => C, columns: readonly FileColumn<R, C>[], path: string, format: FileFormat): Promise<WriteOutcome<R>> {
    const table = `stage_${++this.#n}`;
    const ddl = columns.map((c) => `${quoteIdent(c.name)} ${c.codec.sql}`).join(', ');
    await this.#conn.run(`CREATE TABLE ${table} (${ddl})`);
    const rejected: { row: R; reason: string }[] = [];
    let written = 0;
    try {
      const appender = await this.#conn.createAppender(table);
      const types = columns.map((c) => c.codec.duckType);
      const ncol = columns.length;
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
      try {
        for (const row of rows) {
          const ctx = prepare(row);
          try {
            for (let i = 0; i < ncol; i++) {
              const col = columns[i]!;
              const v = col.get(row, ctx);
              if (v === null || v === undefined) vecs[i]!.setItem(n, null);
              else col.codec.put(vecs[i]!, n, v);
            }
          } catch (e: unknown) {
            // The row is left out: its slot is overwritten by the next row.
            rejected.push({ row, reason: e instanceof ValueRejected ? e.message : `cannot store a value: ${e instanceof Error ? e.message : String(e)}` });
            continue;
          }
          if (++n === CHUNK) emit();
        }
        if (n > 0) emit();
      } finally {
        appender.closeSync();
      }
      if (written === 0) return { rows: 0, rejected };
      await this.#conn.run(`COPY ${this.#select(table, columns, format)} TO ${sqlString(path)} (${this.#options(format)})`);
      return { rows: written, rejected };
    } finally {
      await this.#conn.run(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  /**
   * The columnar path: a staging table (the columns, then an INTEGER run number) that the caller appends data chunks
   * to as its rows arrive; then each run is copied to its file, in append order. Each staging table has a connection
   * of its own, used by one caller at a time: the appends of the batch being read overlap the COPYs of the batch being
   * written, and a DuckDB connection must not run a query on a pool thread while an appender on it flushes.
   */
  async stagingTable(columns: readonly { readonly name: string; readonly codec: ColumnCodec }[]): Promise<StagingTable> {
    const name = `stage_${++this.#n}`;
    const ddl = [...columns.map((c) => `${quoteIdent(c.name)} ${c.codec.sql}`), `${RUN_COLUMN} INTEGER`].join(', ');
    const conn = await this.#instance.connect();
    try {
      await conn.run("SET TimeZone='UTC'");
      await conn.run(`CREATE TABLE ${name} (${ddl})`);
      const appender = await conn.createAppender(name);
      return new StagingTable(conn, name, columns, appender, (f) => this.#options(f));
    } catch (e: unknown) {
      await conn.run(`DROP TABLE IF EXISTS ${name}`).catch(() => {});
      conn.closeSync();
      throw e;
    }
  }

  #select<R, C>(table: string, columns: readonly FileColumn<R, C>[], format: FileFormat): string {
    if (format.kind === 'parquet' || !columns.some((c) => c.codec.sql === 'BLOB')) return table;
    // CSV has no bytes: BLOBs are written as hex.
    return `(SELECT ${columns.map((c) => (c.codec.sql === 'BLOB' ? `hex(${quoteIdent(c.name)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ')} FROM ${table})`;
  }

  #options(f: FileFormat): string {
    if (f.kind === 'parquet') {
      return `FORMAT parquet, COMPRESSION ${f.compression}, ROW_GROUP_SIZE ${f.rowGroupRows}`;
    }
    return [
      'FORMAT csv', `DELIMITER ${sqlString(f.delimiter)}`, `QUOTE ${sqlString(f.quote)}`, `ESCAPE ${sqlString(f.quote)}`,
      `HEADER ${f.header}`, `NULLSTR ${sqlString(f.nullValue)}`, ...(f.quoteAll ? ['FORCE_QUOTE *'] : []),
      `COMPRESSION ${f.gzip ? 'gzip' : 'none'}`,
    ].join(', ');
  }

  /** Runs a query on the writer's DuckDB (tests, tools). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const r = await this.#conn.runAndReadAll(sql);
    return r.getRowObjects() as Record<string, unknown>[];
  }

  async close(): Promise<void> {
    this.#conn.closeSync();
    this.#instance.closeSync();
    await rm(this.tempDir, { recursive: true, force: true });
  }
}

/** A staging table of the columnar path (DuckFileWriter.stagingTable): append chunks, close, copy runs, drop. */
export class StagingTable {
  readonly #conn: DuckDBConnection;
  readonly name: string;
  readonly #columns: readonly { readonly name: string; readonly codec: ColumnCodec }[];
  readonly #options: (f: FileFormat) => string;
  #appender: DuckDBAppender | null;
  #dropped = false;

  constructor(conn: DuckDBConnection, name: string, columns: readonly { readonly name: string; readonly codec: ColumnCodec }[], appender: DuckDBAppender, options: (f: FileFormat) => string) {
    this.#conn = conn;
    this.name = name;
    this.#columns = columns;
    this.#appender = appender;
    this.#options = options;
  }

  /** Appends a chunk (the columns and the run number); the appender copies it. */
  append(chunk: DuckDBDataChunk): void {
    if (this.#appender === null) throw new Error(`staging table ${this.name} is closed`);
    this.#appender.appendDataChunk(chunk);
  }

  /** Flushes the appended rows into the table (idempotent); no appends after it. */
  close(): void {
    const a = this.#appender;
    this.#appender = null;
    a?.closeSync();
  }

  /** Writes the rows of run `run` (append order) to `path`; resolves with the number of rows written. */
  async copy(run: number, path: string, format: FileFormat): Promise<number> {
    this.close();
    const cols = this.#columns.map((c) => (format.kind === 'csv' && c.codec.sql === 'BLOB' ? `hex(${quoteIdent(c.name)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
    const r = await this.#conn.run(`COPY (SELECT ${cols.join(', ')} FROM ${this.name} WHERE ${RUN_COLUMN} = ${run}) TO ${sqlString(path)} (${this.#options(format)})`);
    return r.rowsChanged;
  }

  /** Frees the table and its connection (idempotent). */
  async drop(): Promise<void> {
    if (this.#dropped) return;
    this.#dropped = true;
    try {
      this.close();
    } catch {
      // (an appender that cannot flush: its rows are dropped with the table)
    }
    try {
      await this.#conn.run(`DROP TABLE IF EXISTS ${this.name}`);
    } finally {
      this.#conn.closeSync();
    }
  }
}
