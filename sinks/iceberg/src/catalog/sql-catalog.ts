/**
 * The SQL catalog: the JDBC catalog's layout (Apache Iceberg's JdbcCatalog, PyIceberg's SqlCatalog, Trino's and
 * Spark's `jdbc` catalog) in PostgreSQL or SQLite:
 *
 *   iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location)
 *   iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
 *
 * A namespace is its levels joined with '.'. The catalog writes each metadata version to
 * `<table location>/metadata/<version>-<uuid>.metadata.json` and commits by compare-and-swap on metadata_location:
 * `UPDATE … SET metadata_location = new WHERE … AND metadata_location = base`, one row or a CommitConflictError.
 */
import { randomUUID } from 'node:crypto';
import { FerryError } from '../../../../core/src/errors.ts';
import type { FileIO } from '../io.ts';
import { applyUpdates, checkRequirements } from '../metadata/apply-updates.ts';
import type { TableMetadataV2 } from '../metadata/table-metadata.ts';
import { CommitConflictError, TableExistsError, type CommitRequest, type CreateTableRequest, type IcebergCatalog, type LoadedTable, type TableIdentifier } from './catalog.ts';

/** The few SQL calls the catalog makes; `$1…` placeholders. */
export interface SqlDriver {
  readonly dialect: 'postgres' | 'sqlite';
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;
  close(): Promise<void>;
}

/** How many earlier metadata files the metadata-log keeps (Iceberg's write.metadata.previous-versions-max default). */
const METADATA_LOG_MAX = 100;

export async function openSqlDriver(uri: string): Promise<SqlDriver> {
  if (/^postgres(ql)?:\/\//.test(uri)) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: uri, max: 2 });
    return {
      dialect: 'postgres',
      async query(sql, params = []) {
        const r = await pool.query(sql, params as unknown[]);
        return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
      },
      close: () => pool.end(),
    };
  }
  const m = /^sqlite:(?:\/\/)?(.+)$/.exec(uri);
  if (m) {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(m[1]!);
    db.exec('PRAGMA busy_timeout = 10000');
    return {
      dialect: 'sqlite',
      // node:sqlite is synchronous; each statement is one call.
      async query(sql, params = []) {
        const st = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
        if (/^\s*select/i.test(sql)) return { rows: st.all(...(params as never[])) as Record<string, unknown>[], rowCount: 0 };
        const r = st.run(...(params as never[]));
        return { rows: [], rowCount: Number(r.changes) };
      },
      async close() { db.close(); },
    };
  }
  throw new FerryError('FERRY_CONFIG_INVALID', `Iceberg SQL catalog uri ${uri.replace(/\/\/[^@/]*@/, '//***@')} is neither postgresql://… nor sqlite:/path/to/catalog.db; use one of those`);
}

export interface SqlCatalogOptions {
  /** catalog_name of the rows (PyIceberg's and Spark's catalog name). */
  readonly name: string;
  readonly driver: SqlDriver;
  readonly io: FileIO;
  /** Where tables go when a create request names no location: `<warehouse>/<namespace>.db/<table>`. */
  readonly warehouse: string;
}

const ns = (id: TableIdentifier) => id.namespace.join('.');

export class SqlCatalog implements IcebergCatalog {
  readonly #o: SqlCatalogOptions;
  #ready: Promise<void> | undefined;

  constructor(o: SqlCatalogOptions) {
    this.#o = o;
  }

  async #init(): Promise<void> {
    this.#ready ??= (async () => {
      const d = this.#o.driver;
      await d.query(`CREATE TABLE IF NOT EXISTS iceberg_tables (
        catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL,
        metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000),
        PRIMARY KEY (catalog_name, table_namespace, table_name))`);
      await d.query(`CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
        catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000),
        PRIMARY KEY (catalog_name, namespace, property_key))`);
    })();
    try {
      await this.#ready;
    } catch (e: unknown) {
      this.#ready = undefined;
      throw e;
    }
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable | undefined> {
    await this.#init();
    const r = await this.#o.driver.query('SELECT metadata_location FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3',
      [this.#o.name, ns(id), id.name]);
    const loc = r.rows[0]?.metadata_location;
    if (typeof loc !== 'string') return undefined;
    const metadata = JSON.parse((await this.#o.io.get(loc)).toString('utf8')) as TableMetadataV2;
    return { identifier: id, metadataLocation: loc, metadata, config: {} };
  }

  async createTable(req: CreateTableRequest): Promise<LoadedTable> {
    await this.#init();
    const location = (req.location ?? `${this.#o.warehouse.replace(/\/+$/, '')}/${ns(req.identifier)}.db/${req.identifier.name}`).replace(/\/+$/, '');
    const now = Date.now();
    const metadata: TableMetadataV2 = {
      'format-version': 2, 'table-uuid': randomUUID(), location, 'last-sequence-number': 0, 'last-updated-ms': now,
      'last-column-id': maxId(req.schema.fields), schemas: [req.schema], 'current-schema-id': req.schema['schema-id'],
      'partition-specs': [req.partitionSpec], 'default-spec-id': req.partitionSpec['spec-id'],
      'last-partition-id': Math.max(999, ...req.partitionSpec.fields.map((f) => f['field-id'])),
      properties: req.properties ?? {}, 'current-snapshot-id': null, snapshots: [], 'snapshot-log': [], 'metadata-log': [],
      'sort-orders': [req.sortOrder ?? { 'order-id': 0, fields: [] }], 'default-sort-order-id': req.sortOrder?.['order-id'] ?? 0, refs: {},
    };
    const file = metadataFile(location, 0);
    await this.#o.io.put(file, Buffer.from(JSON.stringify(metadata)));
    const d = this.#o.driver;
    const ignore = d.dialect === 'postgres' ? 'ON CONFLICT DO NOTHING' : '';
    await d.query(`INSERT ${d.dialect === 'sqlite' ? 'OR IGNORE ' : ''}INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES ($1, $2, 'exists', 'true') ${ignore}`,
      [this.#o.name, ns(req.identifier)]);
    const r = await d.query(`INSERT ${d.dialect === 'sqlite' ? 'OR IGNORE ' : ''}INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location) VALUES ($1, $2, $3, $4, NULL) ${ignore}`,
      [this.#o.name, ns(req.identifier), req.identifier.name, file]);
    if (r.rowCount !== 1) {
      await this.#o.io.delete([file]);
      throw new TableExistsError(`table ${ns(req.identifier)}.${req.identifier.name} already exists in catalog ${this.#o.name}`);
    }
    return { identifier: req.identifier, metadataLocation: file, metadata, config: {} };
  }

  async commitTable(req: CommitRequest): Promise<LoadedTable> {
    await this.#init();
    checkRequirements(req.base.metadata, req.requirements);
    const metadata = applyUpdates(req.base.metadata, req.updates, req.metadata['last-updated-ms']);
    const log = [...(req.base.metadata['metadata-log'] ?? []), { 'timestamp-ms': req.base.metadata['last-updated-ms'], 'metadata-file': req.base.metadataLocation }];
    metadata['metadata-log'] = log.slice(-METADATA_LOG_MAX);
    const file = metadataFile(metadata.location, versionOf(req.base.metadataLocation) + 1);
    await this.#o.io.put(file, Buffer.from(JSON.stringify(metadata)));
    const r = await this.#o.driver.query(
      'UPDATE iceberg_tables SET metadata_location = $1, previous_metadata_location = $2 WHERE catalog_name = $3 AND table_namespace = $4 AND table_name = $5 AND metadata_location = $2',
      [file, req.base.metadataLocation, this.#o.name, ns(req.identifier), req.identifier.name]);
    if (r.rowCount !== 1) {
      await this.#o.io.delete([file]).catch(() => undefined);
      throw new CommitConflictError(`table ${ns(req.identifier)}.${req.identifier.name} moved on from ${req.base.metadataLocation} (another commit won)`);
    }
    return { identifier: req.identifier, metadataLocation: file, metadata, config: {} };
  }

  async dropTable(id: TableIdentifier): Promise<boolean> {
    await this.#init();
    const r = await this.#o.driver.query('DELETE FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3', [this.#o.name, ns(id), id.name]);
    return r.rowCount > 0;
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    await this.#init();
    const r = await this.#o.driver.query('SELECT table_name FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 ORDER BY table_name', [this.#o.name, namespace.join('.')]);
    return r.rows.map((x) => ({ namespace, name: String(x.table_name) }));
  }

  async close(): Promise<void> {
    await this.#o.driver.close();
  }
}

function metadataFile(location: string, version: number): string {
  return `${location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** The version number in a metadata file name (`00012-<uuid>.metadata.json` → 12); 0 when the name has none. */
function versionOf(location: string): number {
  const m = /\/(\d+)-[^/]*\.metadata\.json$/.exec(location);
  return m ? Number(m[1]) : 0;
}

function maxId(fields: readonly { id: number }[]): number {
  return fields.reduce((a, f) => Math.max(a, f.id), 0);
}
