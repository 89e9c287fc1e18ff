/**
 * The Iceberg sink: one Apache Iceberg table (format version 2) per source table, in a SQL catalog, on S3 or a
 * local folder. See docs/sinks/iceberg.md.
 *
 *   upsert  the table holds the source's current rows: each batch's net change per key is one data file per
 *           partition, and the rows it replaces or deletes are removed by position deletes found in Ferry's key
 *           index (or by equality deletes on the primary key, `deletes: equality`).
 *   append  every change is a row, with the DMS-style Op, _commit_ts and source-position columns.
 *
 * Exactly once: every commit records the source positions it applied in its snapshot summary (`ferry.positions`);
 * a batch delivered again drops what the table already holds (runtime/src/relational/applied-positions.ts).
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import type { IcebergCatalog, TableIdentifier } from './catalog/catalog.ts';
import { CommitConflictError } from './catalog/catalog.ts';
import { openSqlDriver, SqlCatalog } from './catalog/sql-catalog.ts';
import { parseIcebergConfig, type IcebergConfig, type IcebergConfigInput } from './config.ts';
import { FileIO } from './io.ts';
import { openObjectStore } from '../../../runtime/src/storage/object-store.ts';
import { Duck } from './writer/duck.ts';
import { TableWriter } from './writer/table-writer.ts';

export const ICEBERG_SOURCE_FIELDS = ['ts_ms', 'ts_us', 'file', 'pos', 'lsn', 'snapshot'] as const;

export interface IcebergSinkOptions {
  readonly name?: string;
  readonly config: IcebergConfigInput;
  /** Use this catalog instead of opening config.catalog (tests, the REST catalog). */
  readonly catalog?: IcebergCatalog;
}

/** The table a source table lands in. */
export function tableIdentifier(t: Pick<SinkTable, 'schema' | 'table'>, c: Pick<IcebergConfig, 'namespace'>): TableIdentifier {
  return { namespace: c.namespace === undefined ? [t.schema] : c.namespace.split('.'), name: t.table };
}

export class IcebergSink implements RecordSink {
  readonly name: string;
  readonly config: IcebergConfig;
  readonly batchPolicy;
  readonly sourceFields = ICEBERG_SOURCE_FIELDS;
  readonly io: FileIO;
  #catalog: IcebergCatalog | undefined;
  #duck: Duck | undefined;
  readonly #writers = new Map<string, TableWriter>();

  constructor(o: IcebergSinkOptions) {
    this.config = parseIcebergConfig(o.config);
    this.name = o.name ?? 'iceberg';
    this.batchPolicy = { maxRecords: this.config.maxBatchRows, maxBytes: this.config.maxBatchBytes, maxDelayMs: this.config.maxBatchAgeMs };
    this.io = new FileIO(this.config.s3);
    this.#catalog = o.catalog;
  }

  async catalog(): Promise<IcebergCatalog> {
    if (this.#catalog === undefined) {
      const c = this.config.catalog;
      if (c.type === 'rest') {
        const { RestCatalog } = await import('./catalog/rest-catalog.ts');
        this.#catalog = new RestCatalog(c);
      } else {
        this.#catalog = new SqlCatalog({ name: c.name, driver: await openSqlDriver(c.uri), io: this.io, warehouse: this.config.warehouse });
      }
    }
    return this.#catalog;
  }

  /** For `ferry validate`, read-only: the catalog database answers, and an s3:// warehouse can be listed. */
  async check(): Promise<void> {
    try {
      const driver = await openSqlDriver(this.config.catalog.uri);
      try {
        await driver.query('SELECT 1');
      } finally {
        await driver.close();
      }
    } catch (e: unknown) {
      throw new FerryError(e instanceof FerryError ? e.code : 'FERRY_SINK_ERROR', `cannot reach the Iceberg catalog database: ${errorMessage(e)}`, { cause: e });
    }
    if (this.config.warehouse.startsWith('s3')) {
      const store = await openObjectStore(this.config.warehouse, this.config.s3);
      try {
        await store.list('');
      } catch (e: unknown) {
        throw new FerryError(e instanceof FerryError ? e.code : 'FERRY_SINK_ERROR', `cannot list the warehouse ${this.config.warehouse}: ${errorMessage(e)}`, { cause: e });
      } finally {
        await store.close();
      }
    }
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const catalog = await this.catalog();
    this.#duck ??= await Duck.create({ threads: this.config.duckdbThreads, memoryLimit: this.config.duckdbMemoryLimit });
    const byTable = new Map<string, SinkRecord[]>();
    for (const r of records) {
      const id = tableIdentifier(r.table, this.config);
      const key = `${id.namespace.join('\u0000')}\u0001${id.name}`;
      let list = byTable.get(key);
      if (list === undefined) {
        byTable.set(key, (list = []));
        if (!this.#writers.has(key)) this.#writers.set(key, new TableWriter({ id, config: this.config, catalog, io: this.io, duck: this.#duck }));
      }
      list.push(r);
    }
    const rejected: RejectedRecord[] = [];
    for (const [key, list] of byTable) {
      try {
        rejected.push(...await this.#writers.get(key)!.write(list, ctx));
      } catch (e: unknown) {
        if (e instanceof CommitConflictError) throw new FerryError('FERRY_SINK_ERROR', `Iceberg commit of ${this.#writers.get(key)!.name} lost a race (${e.message}); the batch is retried from the table's new state`, { cause: e });
        throw e;
      }
    }
    return { rejected };
  }

  async close(): Promise<void> {
    for (const w of this.#writers.values()) await w.reset();
    this.#writers.clear();
    await this.#duck?.close();
    this.#duck = undefined;
    await this.#catalog?.close();
    this.#catalog = undefined;
    await this.io.close();
  }
}
