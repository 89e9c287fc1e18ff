/**
 * Options of the Iceberg sink (task targets of type `iceberg`). Declared once with zod: validation, defaults and the
 * reference documentation come from here.
 */
import { z } from 'zod';
import { s3Schema } from '../../../runtime/src/storage/s3-options.ts';
import { restCatalogSchema } from './catalog/rest-config.ts';

export const TRANSFORMS = ['identity', 'year', 'month', 'day', 'hour', 'truncate', 'bucket'] as const;

export const partitionFieldSchema = z.strictObject({
  column: z.string().min(1).meta({ description: 'The source column (in append mode also _commit_ts, the commit time: hidden partitioning on event time).' }),
  transform: z.enum(TRANSFORMS).default('identity').meta({ description: 'Iceberg partition transform: identity, year, month, day, hour (of a date or timestamp), truncate (width: integers to a multiple, strings to a prefix), bucket (buckets: Murmur3 hash of an integer, date, string or binary column).' }),
  width: z.int().min(1).max(1_000_000).optional().meta({ description: 'truncate: the width W.' }),
  buckets: z.int().min(1).max(1_000_000).optional().meta({ description: 'bucket: the number of buckets N.' }),
}).superRefine((p, ctx) => {
  if (p.transform === 'truncate' && p.width === undefined) ctx.addIssue({ code: 'custom', path: ['width'], message: 'required when transform is "truncate"', input: undefined });
  if (p.transform === 'bucket' && p.buckets === undefined) ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'required when transform is "bucket"', input: undefined });
});

export const sqlCatalogSchema = z.strictObject({
  type: z.literal('sql').meta({ description: 'The JDBC/SQL catalog layout (iceberg_tables), as PyIceberg, Spark and Trino read it.' }),
  uri: z.string().min(1).meta({ description: 'postgresql://user:password@host:port/database, or sqlite:/path/to/catalog.db.', examples: ['postgresql://ferry:secret@127.0.0.1:5432/lake', 'sqlite:/data/lake/catalog.db'], secret: true }),
  name: z.string().min(1).default('ferry').meta({ description: 'The catalog name (catalog_name column; the name readers give the catalog).' }),
});

export const icebergSchema = z.strictObject({
  warehouse: z.string().min(1).meta({ description: 'Where tables go: s3://bucket/prefix or an absolute local folder; a table is <warehouse>/<namespace>.db/<table>.', examples: ['s3://lake/warehouse', '/data/lake'] }),
  catalog: z.discriminatedUnion('type', [sqlCatalogSchema, restCatalogSchema]).meta({ description: 'The catalog that holds the tables: sql (the JDBC layout in PostgreSQL or SQLite) or rest (the Iceberg REST protocol: Polaris, Nessie, Lakekeeper, Glue, S3 Tables; docs/sinks/iceberg.md#rest-catalog).' }),
  namespace: z.string().min(1).optional().meta({ description: 'The namespace of every table (dot-separated levels). Default: the source database (MySQL) or schema (PostgreSQL).' }),
  mode: z.enum(['upsert', 'append']).default('upsert').meta({ description: 'upsert: the table holds the source’s current rows (deletes on the primary key); append: every change as a row with DMS-style Op columns.' }),
  deletes: z.enum(['position', 'equality']).default('position').meta({ description: 'upsert: how a changed or deleted row is removed. position: position deletes from Ferry’s key index (every reader, PyIceberg included); equality: equality deletes on the primary key (Spark, Trino, Flink, Java; not PyIceberg).' }),
  partitioning: z.array(partitionFieldSchema).default([]).meta({ description: 'The partition spec of new tables, applied to every table that has the columns (others are unpartitioned).' }),
  opColumn: z.string().min(1).default('Op').meta({ description: 'append: the operation column: I (insert or snapshot read), U, D, T (truncate).' }),
  timestampColumn: z.string().min(1).default('_commit_ts').meta({ description: 'append: the commit-timestamp column.' }),
  maxBatchRows: z.int().min(1).max(10_000_000).default(500_000).meta({ description: 'Most records in one batch: one commit per table per batch.' }),
  maxBatchBytes: z.int().min(1024).max(16 * 1024 ** 3).default(512 * 1024 * 1024).meta({ description: 'Most input bytes (encoded change events) in one batch.' }),
  maxBatchAgeMs: z.int().min(0).max(3_600_000).default(30_000).meta({ description: 'Longest time a change waits before its commit (the batch closes).' }),
  maxSnapshots: z.int().min(2).max(100_000).default(500).meta({ description: 'Snapshots kept in the table metadata (time travel); older ones are expired from the metadata at each commit (their files stay while a kept snapshot uses them; no file is deleted).' }),
  manifestMergeThreshold: z.int().min(2).max(100_000).default(100).meta({ description: 'When a snapshot would list more manifests of one kind (data, deletes) than this, the commit merges them into one (their files listed as existing, sequence numbers kept), so readers open few manifests however many commits there were.' }),
  compression: z.enum(['zstd', 'snappy', 'gzip', 'uncompressed']).default('zstd').meta({ description: 'Parquet compression codec of data and delete files.' }),
  rowGroupRows: z.int().min(1024).max(10_000_000).default(250_000).meta({ description: 'Rows per Parquet row group.' }),
  s3: s3Schema.meta({ description: 'S3 client settings (warehouse s3://…).' }),
  duckdbThreads: z.int().min(1).max(64).default(2).meta({ description: 'DuckDB threads (staging, the key index, Parquet encoding).' }),
  duckdbMemoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i).default('1GB').meta({ description: 'DuckDB memory limit (beyond it DuckDB spills to temporary files); e.g. 2GB.' }),
});

export type IcebergConfigInput = z.input<typeof icebergSchema>;
export type IcebergConfig = z.output<typeof icebergSchema>;
export type PartitionFieldConfig = z.output<typeof partitionFieldSchema>;

export function parseIcebergConfig(input: IcebergConfigInput): IcebergConfig {
  return icebergSchema.parse(input);
}
