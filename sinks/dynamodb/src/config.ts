/** Options of the DynamoDB sink (task targets of type `dynamodb`), declared once with zod. See docs/sinks/dynamodb.md. */
import { z } from 'zod';
import { s3Schema } from '../../../runtime/src/storage/s3-options.ts';

export const dynamoClientSchema = z.strictObject({
  region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
  endpoint: z.url().optional().meta({ description: 'DynamoDB-compatible endpoint (moto, DynamoDB Local).', examples: ['http://127.0.0.1:5000'] }),
  accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain (environment, profile, instance role).' }),
  secretAccessKey: z.string().min(1).optional().meta({ description: 'Secret access key (with accessKeyId).', secret: true }),
  maxAttempts: z.int().min(1).max(20).default(3).meta({ description: 'Attempts of each request inside the AWS SDK (its own retry of network errors and 5xx); the sink adds its own adaptive backoff for throttling and unprocessed items.' }),
}).prefault({});

export const lobSchema = z.strictObject({
  mode: z.enum(['truncate', 'dlq', 's3']).default('dlq')
    .meta({ description: 'An item over maxItemBytes (DynamoDB’s 400 KB): truncate its largest string/binary attributes and list them in _ferry_truncated; dlq: reject the change to the dead-letter queue with the reason; s3: upload the largest values to s3.location and store {uri, sha256, size} instead (listed in _ferry_offloaded).' }),
  maxItemBytes: z.int().min(1024).max(409_600).default(400_000).meta({ description: 'Largest item written, in DynamoDB’s item-size accounting (UTF-8 attribute names + values; binary counts its raw bytes). DynamoDB documents 400 KB; 400,000 keeps a margin.' }),
  s3: z.strictObject({
    location: z.string().regex(/^s3:\/\//, 'expected s3://bucket/prefix').meta({ description: 'Where offloaded values go; objects are named <location>/<table>/<sha256> (content-addressed, so retries rewrite the same object).', examples: ['s3://my-bucket/ferry-lob'] }),
    client: s3Schema.meta({ description: 'S3 client settings.' }),
  }).optional().meta({ description: 'mode s3: the bucket for offloaded values.' }),
}).prefault({}).superRefine((l, ctx) => {
  if (l.mode === 's3' && !l.s3) ctx.addIssue({ code: 'custom', path: ['s3'], message: 'required when mode is "s3"', input: undefined });
});

export const dynamoSchema = z.strictObject({
  client: dynamoClientSchema.meta({ description: 'DynamoDB client settings.' }),
  tableName: z.string().min(1).default('{schema}_{table}')
    .meta({ description: 'Name of the DynamoDB table of a source table: {schema} (MySQL database / PostgreSQL schema) and {table} are replaced; characters DynamoDB does not allow become _.' }),
  tables: z.record(z.string(), z.string().min(3).max(255)).default({})
    .meta({ description: 'Explicit names, by "<schema>.<table>", overriding tableName.', examples: [{ 'shop.orders': 'Orders' }] }),
  createTables: z.boolean().default(true).meta({ description: 'Create missing tables (on-demand billing, key schema from the primary key, TTL on _ferry_expires when tombstones expire).' }),
  writeMode: z.enum(['conditional', 'batch']).default('conditional')
    .meta({ description: 'conditional: one conditional PutItem per changed key (ordering is checked by DynamoDB at write time); batch: read the keys’ positions (BatchGetItem), then BatchWriteItem the newer changes (cheaper, but a concurrent writer between the read and the write is not caught).' }),
  concurrency: z.int().min(1).max(256).default(32).meta({ description: 'Requests in flight per batch (PutItem in conditional mode, BatchWriteItem calls in batch mode).' }),
  deletes: z.enum(['tombstone', 'delete']).default('tombstone')
    .meta({ description: 'tombstone: a delete replaces the item by its key, _ferry_pos, _ferry_deleted = true and _ferry_expires, so an older change replayed later is still refused; delete: DeleteItem (conditional on the position), after which a replayed older insert could recreate the item.' }),
  tombstoneTtlSeconds: z.int().min(0).default(7 * 86400)
    .meta({ description: 'Tombstones get _ferry_expires = delete time + this (epoch seconds) for DynamoDB TTL; 0: tombstones never expire.' }),
  json: z.enum(['string', 'map']).default('string').meta({ description: 'JSON columns: the JSON text as S, or parsed into M/L/N/S/BOOL/NULL (numbers keep their exact text).' }),
  temporal: z.enum(['iso', 'epoch']).default('iso')
    .meta({ description: 'Dates, times and timestamps: ISO-8601 text (S) at the column’s precision, or the wire number (N: days, ms/µs/ns since the epoch or midnight).' }),
  noPrimaryKey: z.enum(['dlq', 'fail']).default('dlq').meta({ description: 'A table without a primary key has no item key: dead-letter its changes, or stop the worker.' }),
  truncate: z.enum(['dlq', 'ignore']).default('dlq').meta({ description: 'TRUNCATE events: dead-letter them (the table is not emptied), or skip them.' }),
  lob: lobSchema.meta({ description: 'Items over 400 KB (DMS LOB settings).' }),
  maxBatchRecords: z.int().min(1).max(1_000_000).default(10_000).meta({ description: 'Most changes per batch.' }),
  maxBatchDelayMs: z.int().min(0).max(3_600_000).default(500).meta({ description: 'Longest time a change waits for its batch.' }),
});

export type DynamoConfigInput = z.input<typeof dynamoSchema>;
export type DynamoConfig = z.output<typeof dynamoSchema>;
