/**
 * Every SQL statement the Redshift sink sends is generated here, and only here, so the exact text can be tested
 * (test/unit/redshift-dialect.test.ts) and reviewed in one place. Dialect: Amazon Redshift (PostgreSQL 8.0-based,
 * with COPY … FROM 's3://…', DISTKEY/SORTKEY, VARBYTE, MERGE without extra conditions).
 *
 * Identifiers are always double-quoted and lower-cased: Redshift folds identifiers to lower case unless
 * enable_case_sensitive_identifier is on, so lower-casing makes quoted and unquoted use agree.
 */
import type { SinkColumn, SinkFieldType } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

/** A Redshift column: name, type, nullability. */
export interface RsColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

export interface TypeOptions {
  /** Length of VARCHAR columns with no better bound (Redshift's maximum is 65535 bytes). */
  readonly varcharLength: number;
  /** Length of VARBYTE columns (Redshift's maximum is 1024000 bytes). */
  readonly varbyteLength: number;
}

export const DEFAULT_TYPE_OPTIONS: TypeOptions = { varcharLength: 65535, varbyteLength: 1024000 };

export function ident(name: string): string {
  return `"${name.toLowerCase().replace(/"/g, '""')}"`;
}

export function tableName(t: TableRef): string {
  return `${ident(t.schema)}.${ident(t.table)}`;
}

export function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Debezium column type → Redshift type (docs/sinks/redshift.md). Mirrors the lake's Parquet types
 * (runtime/src/columnar/column-types.ts), which is what the staged files hold.
 */
export function redshiftType(t: SinkFieldType, o: TypeOptions = DEFAULT_TYPE_OPTIONS): string {
  const varchar = `VARCHAR(${o.varcharLength})`;
  switch (t.logical) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const { scale, precision } = decimalOf(t);
      if (precision === null || precision > 38 || precision < 1 || scale > precision || scale < 0) return varchar;
      return `DECIMAL(${precision},${scale})`;
    }
    case 'io.debezium.data.VariableScaleDecimal': return varchar;
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date': return 'DATE';
    case 'io.debezium.time.Time':
    case 'io.debezium.time.MicroTime':
    case 'io.debezium.time.NanoTime':
    case 'org.apache.kafka.connect.data.Time': return 'TIME';
    case 'io.debezium.time.Timestamp':
    case 'io.debezium.time.MicroTimestamp':
    case 'io.debezium.time.NanoTimestamp':
    case 'org.apache.kafka.connect.data.Timestamp': return 'TIMESTAMP';
    case 'io.debezium.time.ZonedTimestamp': return 'TIMESTAMPTZ';
    case 'io.debezium.data.Uuid': return 'VARCHAR(36)';
    case 'io.debezium.data.Bits':
    case 'io.debezium.data.geometry.Geometry':
    case 'io.debezium.data.geometry.Geography':
    case 'io.debezium.data.geometry.Point': return `VARBYTE(${o.varbyteLength})`;
  }
  switch (t.connect) {
    case 'int8':
    case 'int16': return 'SMALLINT';
    case 'int32': return 'INTEGER';
    case 'int64': return 'BIGINT';
    case 'float32': return 'REAL';
    case 'float64': return 'DOUBLE PRECISION';
    case 'boolean': return 'BOOLEAN';
    case 'bytes': return `VARBYTE(${o.varbyteLength})`;
    default: return varchar;
  }
}

export function redshiftColumns(columns: readonly SinkColumn[], o: TypeOptions = DEFAULT_TYPE_OPTIONS): RsColumn[] {
  return columns.map((c) => ({ name: c.name.toLowerCase(), type: redshiftType(c.type, o), nullable: c.optional }));
}

export interface CreateTableOptions {
  /** DISTSTYLE KEY on the first primary-key column (else AUTO). */
  readonly distKey: boolean;
  /** COMPOUND SORTKEY on the primary key. */
  readonly sortKey: boolean;
}

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`;
}

/** The target table of a captured table. Primary keys are informational in Redshift; the sink enforces uniqueness. */
export function createTable(t: TableRef, columns: readonly RsColumn[], primaryKey: readonly string[], o: CreateTableOptions): string {
  const cols = columns.map((c) => `  ${ident(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  if (primaryKey.length > 0) cols.push(`  PRIMARY KEY (${primaryKey.map(ident).join(', ')})`);
  const attrs: string[] = [];
  if (o.distKey && primaryKey.length > 0) attrs.push(`DISTSTYLE KEY DISTKEY (${ident(primaryKey[0]!)})`);
  else attrs.push('DISTSTYLE AUTO');
  if (o.sortKey && primaryKey.length > 0) attrs.push(`COMPOUND SORTKEY (${primaryKey.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (\n${cols.join(',\n')}\n) ${attrs.join(' ')}`;
}

/** A column the source added. Redshift adds one column per statement; it is always nullable here. */
export function addColumn(t: TableRef, c: RsColumn): string {
  return `ALTER TABLE ${tableName(t)} ADD COLUMN ${ident(c.name)} ${c.type}`;
}

/** The target's columns in order (to stage files that match them by position). */
export function selectColumns(t: TableRef): string {
  return `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ${literal(t.schema.toLowerCase())} AND table_name = ${literal(t.table.toLowerCase())} ORDER BY ordinal_position`;
}

export const OP_COLUMN = '_ferry_op';

/** A session temp table shaped like the target plus the operation (I/U/D). */
export function createStagingTable(stage: string, columns: readonly RsColumn[]): string {
  const cols = [...columns.map((c) => `${ident(c.name)} ${c.type}`), `${ident(OP_COLUMN)} CHAR(1)`];
  return `CREATE TEMP TABLE ${ident(stage)} (${cols.join(', ')})`;
}

export function dropStagingTable(stage: string): string {
  return `DROP TABLE IF EXISTS ${ident(stage)}`;
}

export type CopyAuth =
  | { readonly iamRole: string }
  | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };

export type CopyFormat =
  | { readonly kind: 'parquet' }
  | { readonly kind: 'csv'; readonly delimiter: string; readonly quote: string; readonly nullAs: string; readonly gzip: boolean };

export interface CopyOptions {
  /** Target: a table name already quoted (a temp table) or a TableRef. */
  readonly into: TableRef | { readonly temp: string };
  /** Columns to load, in file order (CSV); Parquet loads by position and takes none. */
  readonly columns?: readonly string[];
  /** s3://bucket/key: every object whose key starts with it is loaded. */
  readonly from: string;
  readonly auth: CopyAuth;
  readonly format: CopyFormat;
  /** The bucket's region when it differs from the cluster's. */
  readonly region?: string;
}

function authClause(a: CopyAuth): string {
  if ('iamRole' in a) return `IAM_ROLE ${literal(a.iamRole)}`;
  return `ACCESS_KEY_ID ${literal(a.accessKeyId)} SECRET_ACCESS_KEY ${literal(a.secretAccessKey)}${a.sessionToken ? ` SESSION_TOKEN ${literal(a.sessionToken)}` : ''}`;
}

export function copy(o: CopyOptions): string {
  const target = 'temp' in o.into ? ident(o.into.temp) : tableName(o.into);
  const cols = o.columns && o.format.kind === 'csv' ? ` (${o.columns.map(ident).join(', ')})` : '';
  const parts = [`COPY ${target}${cols}`, `FROM ${literal(o.from)}`, authClause(o.auth)];
  if (o.format.kind === 'parquet') {
    parts.push('FORMAT AS PARQUET');
  } else {
    const f = o.format;
    parts.push(`FORMAT AS CSV DELIMITER AS ${literal(f.delimiter)} QUOTE AS ${literal(f.quote)} NULL AS ${literal(f.nullAs)}`);
    parts.push("TIMEFORMAT 'auto' DATEFORMAT 'auto'");
    if (f.gzip) parts.push('GZIP');
  }
  if (o.region) parts.push(`REGION ${literal(o.region)}`);
  return parts.join('\n');
}

const keyMatch = (target: string, stage: string, pk: readonly string[]): string =>
  pk.map((k) => `${target}.${ident(k)} = ${stage}.${ident(k)}`).join(' AND ');

/** Deletes the target rows of the staged deletes. */
export function deleteStagedDeletes(t: TableRef, stage: string, pk: readonly string[]): string {
  return `DELETE FROM ${tableName(t)} USING ${ident(stage)} WHERE ${keyMatch(tableName(t), ident(stage), pk)} AND ${ident(stage)}.${ident(OP_COLUMN)} = 'D'`;
}

/** Leaves only the upserts in the staging table. */
export function dropDeletesFromStage(stage: string): string {
  return `DELETE FROM ${ident(stage)} WHERE ${ident(OP_COLUMN)} = 'D'`;
}

/** Upserts the staged rows (one per key): update the matched, insert the rest. */
export function merge(t: TableRef, stage: string, columns: readonly string[], pk: readonly string[]): string {
  const keys = new Set(pk.map((k) => k.toLowerCase()));
  const nonKey = columns.filter((c) => !keys.has(c.toLowerCase()));
  const s = ident(stage);
  const lines = [`MERGE INTO ${tableName(t)} USING ${s} ON ${keyMatch(tableName(t), s, pk)}`];
  if (nonKey.length > 0) lines.push(`WHEN MATCHED THEN UPDATE SET ${nonKey.map((c) => `${ident(c)} = ${s}.${ident(c)}`).join(', ')}`);
  else lines.push(`WHEN MATCHED THEN UPDATE SET ${ident(pk[0]!)} = ${s}.${ident(pk[0]!)}`);
  lines.push(`WHEN NOT MATCHED THEN INSERT (${columns.map(ident).join(', ')}) VALUES (${columns.map((c) => `${s}.${ident(c)}`).join(', ')})`);
  return lines.join('\n');
}

/** delete-insert apply mode: remove every staged key from the target ... */
export function deleteStagedKeys(t: TableRef, stage: string, pk: readonly string[]): string {
  return `DELETE FROM ${tableName(t)} USING ${ident(stage)} WHERE ${keyMatch(tableName(t), ident(stage), pk)}`;
}

/** ... then insert the staged rows that are not deletes. */
export function insertFromStage(t: TableRef, stage: string, columns: readonly string[]): string {
  return `INSERT INTO ${tableName(t)} (${columns.map(ident).join(', ')}) SELECT ${columns.map(ident).join(', ')} FROM ${ident(stage)} WHERE ${ident(OP_COLUMN)} <> 'D'`;
}

/** A truncate in the source: inside the batch's transaction (TRUNCATE would commit it). */
export function deleteAll(t: TableRef): string {
  return `DELETE FROM ${tableName(t)}`;
}

// ---------------------------------------------------------------- the applied-position table (exactly-once)

/** Per sink and stream (Kafka partition or source), the last applied record; written in the same transaction as the data. */
export function createOffsetsTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (\n  "sink" VARCHAR(256) NOT NULL,\n  "stream" VARCHAR(1024) NOT NULL,\n  "seq" VARCHAR(1024) NOT NULL,\n  "updated_at" TIMESTAMP NOT NULL,\n  PRIMARY KEY ("sink", "stream")\n)`;
}

/** Serialises appliers of the same sink (a rebalance can leave a previous owner finishing a batch). */
export function lockOffsets(t: TableRef): string {
  return `LOCK ${tableName(t)}`;
}

export function selectOffsets(t: TableRef, sink: string): string {
  return `SELECT "stream", "seq" FROM ${tableName(t)} WHERE "sink" = ${literal(sink)}`;
}

/** Moves a stream's applied position forward (never back). Two statements: Redshift has no INSERT … ON CONFLICT. */
export function advanceOffset(t: TableRef, sink: string, stream: string, seq: string): string[] {
  const where = `"sink" = ${literal(sink)} AND "stream" = ${literal(stream)}`;
  return [
    `UPDATE ${tableName(t)} SET "seq" = ${literal(seq)}, "updated_at" = GETDATE() WHERE ${where} AND "seq" < ${literal(seq)}`,
    `INSERT INTO ${tableName(t)} ("sink", "stream", "seq", "updated_at") SELECT ${literal(sink)}, ${literal(stream)}, ${literal(seq)}, GETDATE() WHERE NOT EXISTS (SELECT 1 FROM ${tableName(t)} WHERE ${where})`,
  ];
}

export const BEGIN = 'BEGIN';
export const COMMIT = 'COMMIT';
export const ROLLBACK = 'ROLLBACK';
