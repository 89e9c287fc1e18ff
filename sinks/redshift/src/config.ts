/** Options of the Redshift sink (task targets of type `redshift`), declared once with zod. */
import { z } from 'zod';
import { s3Schema } from '../../../runtime/src/storage/s3-options.ts';

export const redshiftSchema = z.strictObject({
  connection: z.strictObject({
    host: z.string().min(1).meta({ description: 'Cluster or workgroup endpoint.', examples: ['examplecluster.abc123.us-east-1.redshift.amazonaws.com'] }),
    port: z.int().min(1).max(65535).default(5439).meta({ description: 'Port.' }),
    database: z.string().min(1).meta({ description: 'Database.' }),
    user: z.string().min(1).meta({ description: 'User the sink connects as (needs CREATE on the schemas, and INSERT/UPDATE/DELETE on the tables).' }),
    password: z.string().min(1).meta({ description: 'Password; use ${env:NAME} or ${file:path}.', secret: true }),
    ssl: z.boolean().default(true).meta({ description: 'TLS to the cluster.' }),
  }).meta({ description: 'How the sink reaches Redshift (PostgreSQL wire protocol).' }),
  targetSchema: z.string().min(1).optional().meta({ description: 'Schema of every target table. Default: the source schema (MySQL database) name.' }),
  stateSchema: z.string().min(1).default('public').meta({ description: 'Schema of the sink’s applied-position table (_ferry_sink_offsets).' }),
  staging: z.strictObject({
    location: z.string().regex(/^s3:\/\//, 'expected s3://bucket/prefix').meta({ description: 'Where batches are staged for COPY.', examples: ['s3://my-bucket/ferry-staging'] }),
    format: z.enum(['parquet', 'csv']).default('parquet').meta({ description: 'Staged file format.' }),
    keepFiles: z.boolean().default(false).meta({ description: 'Keep staged files after they are loaded (for debugging).' }),
    s3: s3Schema.meta({ description: 'S3 client settings for staging uploads.' }),
  }).meta({ description: 'S3 staging of batches.' }),
  copyAuth: z.union([
    z.strictObject({ iamRole: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+/, 'expected an IAM role ARN').meta({ description: 'IAM role the cluster assumes to read the staging bucket.' }) }),
    z.strictObject({
      accessKeyId: z.string().min(1).meta({ description: 'Access key COPY reads the staging bucket with.' }),
      secretAccessKey: z.string().min(1).meta({ description: 'Its secret.', secret: true }),
      sessionToken: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials.', secret: true }),
    }),
  ]).meta({ description: 'How COPY authenticates to S3: { iamRole } (recommended) or access keys.' }),
  copyRegion: z.string().min(1).optional().meta({ description: 'Region of the staging bucket, when it differs from the cluster’s (COPY … REGION).' }),
  applyMode: z.enum(['merge', 'delete-insert']).default('merge').meta({ description: 'How staged changes are applied: MERGE (updates in place), or DELETE the staged keys then INSERT.' }),
  fullLoad: z.enum(['copy', 'merge']).default('copy').meta({ description: 'Snapshot reads (op r) that come before any change of their Kafka partition: COPY straight into the table (the table must start empty), or apply them like changes. Direct mode always merges.' }),
  createTables: z.boolean().default(true).meta({ description: 'Create missing target tables (and add columns the source added).' }),
  distKey: z.boolean().default(true).meta({ description: 'DISTSTYLE KEY on the first primary-key column of created tables (else DISTSTYLE AUTO).' }),
  sortKey: z.boolean().default(true).meta({ description: 'COMPOUND SORTKEY on the primary key of created tables.' }),
  varcharLength: z.int().min(1).max(65535).default(65535).meta({ description: 'Length of VARCHAR columns (bytes). Longer values are dead-lettered.' }),
  varbyteLength: z.int().min(1).max(1024000).default(1024000).meta({ description: 'Length of VARBYTE columns. Longer values are dead-lettered.' }),
  maxBatchRecords: z.int().min(1).max(10_000_000).default(200_000).meta({ description: 'Most changes per batch (one COPY + apply per table).' }),
  maxBatchBytes: z.int().min(1024).default(256 * 1024 * 1024).meta({ description: 'Most input bytes per batch.' }),
  maxBatchDelayMs: z.int().min(0).max(3_600_000).default(30_000).meta({ description: 'Longest time a change waits for its batch.' }),
});

export type RedshiftConfigInput = z.input<typeof redshiftSchema>;
export type RedshiftConfig = z.output<typeof redshiftSchema>;
