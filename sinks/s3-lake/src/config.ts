/**
 * Options of the data-lake sink (task targets of type `parquet` and `csv`). Declared once with zod: validation,
 * defaults and the reference documentation come from here.
 */
import { z } from 'zod';
import { s3Schema } from '../../../runtime/src/storage/s3-options.ts';

export const partitioningSchema = z.strictObject({
  by: z.enum(['none', 'commit-date', 'commit-hour', 'column']).default('commit-date')
    .meta({ description: 'Hive-style partitions: by the change’s commit date (date=YYYY-MM-DD), date and hour (…/hour=HH), a column’s value (<column>=<value>), or none.' }),
  column: z.string().min(1).optional().meta({ description: 'by=column: the column whose value names the partition (the row after the change; before it for deletes). Dates and timestamps use their date.' }),
}).superRefine((p, ctx) => {
  if (p.by === 'column' && p.column === undefined) ctx.addIssue({ code: 'custom', path: ['column'], message: 'required when by is "column"', input: undefined });
});

export const csvSchema = z.strictObject({
  delimiter: z.string().length(1).default(',').meta({ description: 'Field delimiter (DMS CsvDelimiter).' }),
  quote: z.string().length(1).default('"').meta({ description: 'Quote character; a quote inside a value is doubled.' }),
  quoteAll: z.boolean().default(false).meta({ description: 'Quote every value, not only those containing the delimiter, quote or a line break.' }),
  header: z.boolean().default(false).meta({ description: 'Write a header line with the column names (DMS AddColumnName).' }),
  nullValue: z.string().default('').meta({ description: 'How NULL is written (DMS CsvNullValue); empty strings are then written quoted.' }),
  gzip: z.boolean().default(false).meta({ description: 'Compress files with gzip (.csv.gz).' }),
}).prefault({});

export const lakeSchema = z.strictObject({
  location: z.string().min(1).meta({ description: 'Where files go: s3://bucket/prefix, or a local directory.', examples: ['s3://lake/ferry', '/data/lake'] }),
  format: z.enum(['parquet', 'csv']).default('parquet').meta({ description: 'File format.' }),
  compression: z.enum(['zstd', 'snappy', 'gzip', 'uncompressed']).default('zstd').meta({ description: 'Parquet compression codec.' }),
  partitioning: partitioningSchema.prefault({}).meta({ description: 'Hive-style partition folders under <location>/<schema>/<table>/.' }),
  maxFileRows: z.int().min(1).max(100_000_000).default(250_000).meta({ description: 'Most rows in one file; also the most records in one batch (the worker holds a batch in memory: about 1 KB per row).' }),
  maxFileBytes: z.int().min(1024).max(16 * 1024 ** 3).default(256 * 1024 * 1024).meta({ description: 'Most input bytes (encoded change events) in one file or batch; files are smaller after compression.' }),
  maxFileAgeMs: z.int().min(0).max(3_600_000).default(60_000).meta({ description: 'Longest time a change waits before its file is written (the batch closes).' }),
  rowGroupRows: z.int().min(1024).max(10_000_000).default(250_000).meta({ description: 'Rows per Parquet row group.' }),
  beforeImage: z.boolean().default(false).meta({ description: 'Also write the row before the change, as columns named <beforeImagePrefix><column>.' }),
  beforeImagePrefix: z.string().min(1).default('BI_').meta({ description: 'Prefix of the before-image columns (DMS before-image-def column-prefix).' }),
  opColumn: z.string().min(1).default('Op').meta({ description: 'Name of the operation column: I (insert or snapshot read), U, D, T (truncate).' }),
  timestampColumn: z.string().min(1).default('_commit_ts').meta({ description: 'Name of the commit-timestamp column (DMS TimestampColumnName).' }),
  csv: csvSchema.meta({ description: 'CSV options (format csv), DMS-compatible.' }),
  s3: s3Schema.meta({ description: 'S3 client settings (location s3://…).' }),
  uploadConcurrency: z.int().min(1).max(64).default(4).meta({ description: 'Files uploaded in parallel.' }),
  duckdbThreads: z.int().min(1).max(64).default(2).meta({ description: 'DuckDB threads for encoding and compression.' }),
  duckdbMemoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i).default('512MB').meta({ description: 'DuckDB memory limit (beyond it DuckDB spills to temporary files); e.g. 1GB.' }),
});

export type LakeConfigInput = z.input<typeof lakeSchema>;
export type LakeConfig = z.output<typeof lakeSchema>;

export function parseLakeConfig(input: LakeConfigInput): LakeConfig {
  return lakeSchema.parse(input);
}
