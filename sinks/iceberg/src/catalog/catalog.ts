/**
 * What the Iceberg sink needs from a catalog: find a table's current metadata, create a table, and swap its
 * metadata atomically (Iceberg's optimistic concurrency). Two implementations: the SQL/JDBC catalog layout
 * (`iceberg_tables` in PostgreSQL or SQLite, `sql-catalog.ts`) and the REST catalog protocol (`rest-catalog.ts`).
 *
 * Both take a commit as the REST protocol states it, requirements plus updates, together with the metadata the
 * writer computed by applying those updates to `base`. A SQL catalog writes `metadata` to a new metadata file and
 * swaps the pointer if it still points at `base`'s file; a REST catalog sends the requirements and updates and the
 * server writes the metadata file. Either way a lost race surfaces as `CommitConflictError`, and the writer
 * reloads and retries.
 */
import type { IcebergSchema, PartitionSpec, SortOrder, TableMetadataV2, TableRequirement, TableUpdate } from '../metadata/table-metadata.ts';

/** A table name in a catalog: a namespace (one or more levels) and a name. */
export interface TableIdentifier { namespace: string[]; name: string }

export interface LoadedTable {
  identifier: TableIdentifier;
  /** Where the current metadata JSON is (an s3:// or file:// URI, or a local path). */
  metadataLocation: string;
  metadata: TableMetadataV2;
  /** Storage settings the catalog hands out (REST `config`, e.g. s3.endpoint, vended credentials); empty for SQL. */
  config: Record<string, string>;
}

export interface CreateTableRequest {
  identifier: TableIdentifier;
  schema: IcebergSchema;
  partitionSpec: PartitionSpec;
  sortOrder?: SortOrder;
  /** The table's location; a catalog may choose one under its warehouse when absent. */
  location?: string;
  properties?: Record<string, string>;
}

export interface CommitRequest {
  identifier: TableIdentifier;
  /** The metadata the commit was computed from (what `loadTable` returned). */
  base: LoadedTable;
  requirements: TableRequirement[];
  updates: TableUpdate[];
  /** `base.metadata` with `updates` applied, computed by the writer (used by catalogs that write metadata files). */
  metadata: TableMetadataV2;
}

export interface IcebergCatalog {
  /** `undefined` when the table does not exist. */
  loadTable(id: TableIdentifier, options?: { signal?: AbortSignal }): Promise<LoadedTable | undefined>;
  /** Creates the namespace if needed, then the table; `TableExistsError` if it exists. */
  createTable(request: CreateTableRequest, options?: { signal?: AbortSignal }): Promise<LoadedTable>;
  /** Atomically moves the table from `base` to the new metadata; `CommitConflictError` when `base` is stale. */
  commitTable(request: CommitRequest, options?: { signal?: AbortSignal }): Promise<LoadedTable>;
  dropTable(id: TableIdentifier, options?: { purge?: boolean; signal?: AbortSignal }): Promise<boolean>;
  listTables(namespace: string[], options?: { signal?: AbortSignal }): Promise<TableIdentifier[]>;
  close(): Promise<void>;
}

/** The catalog refused a commit because the table moved since `base` (another writer, or a retried commit). */
export class CommitConflictError extends Error {
  constructor(message: string) { super(message); this.name = 'CommitConflictError'; }
}

/** `createTable` found the table already there. */
export class TableExistsError extends Error {
  constructor(message: string) { super(message); this.name = 'TableExistsError'; }
}
