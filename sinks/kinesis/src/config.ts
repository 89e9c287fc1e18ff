/**
 * Options of the Kinesis sink (task targets of type `kinesis`), declared once with zod: validation, defaults and the
 * reference documentation come from here. Names follow AWS DMS's Kinesis endpoint where DMS has one.
 */
import { z } from 'zod';

/** The Kinesis API limits (PutRecords). */
export const KINESIS_LIMITS = {
  /** Records in one PutRecords call. */
  callRecords: 500,
  /** Bytes in one PutRecords call: data and partition keys of all its records. */
  callBytes: 5 * 1024 * 1024,
  /** Bytes in one record: data and partition key. */
  recordBytes: 1024 * 1024,
  /** Partition keys are 1 to 256 Unicode characters. */
  partitionKeyChars: 256,
} as const;

export const kinesisClientSchema = z.strictObject({
  region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
  endpoint: z.url().optional().meta({ description: 'Kinesis-compatible endpoint (moto, LocalStack).', examples: ['http://127.0.0.1:5000'] }),
  accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain (environment, profile, instance role).' }),
  secretAccessKey: z.string().min(1).optional().meta({ description: 'Secret access key (with accessKeyId).', secret: true }),
  sessionToken: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials.', secret: true }),
}).prefault({});

export const PARTITION_KEY_TYPES = ['primary-key', 'schema-table', 'transaction-id', 'constant', 'attribute'] as const;

export const kinesisSchema = z.strictObject({
  stream: z.string().min(1).max(128).meta({ description: 'Stream name (or ARN) records are written to; it must exist.', examples: ['ferry-changes'] }),
  format: z.enum(['json', 'avro']).default('json')
    .meta({ description: 'Record payload: json (DMS’s data + metadata layout) or avro (the Debezium change event, Confluent-framed: magic 0, schema id, Avro).' }),
  partitionKeyType: z.enum(PARTITION_KEY_TYPES).default('primary-key')
    .meta({ description: 'How the partition key is chosen (DMS partition-key-type): the primary key values, <schema>.<table>, the source transaction, a constant, or a column (partitionKeyAttribute).' }),
  partitionKeyAttribute: z.string().min(1).optional().meta({ description: 'partitionKeyType attribute: the column whose value is the partition key (the row after the change; before it for deletes).' }),
  partitionKeyConstant: z.string().min(1).max(256).default('ferry').meta({ description: 'partitionKeyType constant: the partition key of every record.' }),
  ordering: z.enum(['row', 'partition-key']).default('row')
    .meta({ description: 'The unit whose order is never broken: each source row (its primary key), or each partition key (stricter: one record or aggregate per partition key per call).' }),
  aggregation: z.strictObject({
    enabled: z.boolean().default(false).meta({ description: 'Pack small records of one partition key into one Kinesis record in the KPL aggregated format.' }),
    maxBytes: z.int().min(1024).max(KINESIS_LIMITS.recordBytes - 1024).default(51_200).meta({ description: 'Most bytes in one aggregated record (KPL AggregationMaxSize).' }),
    maxRecords: z.int().min(1).max(100_000).default(1000).meta({ description: 'Most user records in one aggregated record.' }),
  }).prefault({}).meta({ description: 'KPL-style aggregation (consumers de-aggregate with the KCL or aws-kinesis-agg).' }),
  beforeImage: z.boolean().default(false).meta({ description: 'json: also write the row before an update or delete, as "before-image" (DMS BeforeImageSettings).' }),
  includeNullAndEmpty: z.boolean().default(true).meta({ description: 'json: keep columns whose value is NULL (DMS IncludeNullAndEmpty); false omits them.' }),
  schemaRegistry: z.url().optional()
    .meta({ description: 'format avro in direct mode (no Kafka): a Confluent-compatible registry to register envelope schemas in (subject <topic>-value). Kafka mode forwards the original bytes.' }),
  client: kinesisClientSchema.meta({ description: 'Kinesis client settings.' }),
  maxRecordsPerCall: z.int().min(1).max(KINESIS_LIMITS.callRecords).default(KINESIS_LIMITS.callRecords).meta({ description: 'Most records in one PutRecords call (API limit 500).' }),
  maxBytesPerCall: z.int().min(1024).max(KINESIS_LIMITS.callBytes).default(KINESIS_LIMITS.callBytes).meta({ description: 'Most bytes (data + partition keys) in one PutRecords call (API limit 5 MiB).' }),
  maxRecordBytes: z.int().min(256).max(KINESIS_LIMITS.recordBytes).default(KINESIS_LIMITS.recordBytes).meta({ description: 'Most bytes in one record (API limit 1 MiB); a larger change is dead-lettered.' }),
  parallelCalls: z.int().min(1).max(64).default(4).meta({ description: 'PutRecords calls in flight; records are split into lanes by ordering key, one call at a time per lane.' }),
  retry: z.strictObject({
    initialDelayMs: z.int().min(1).max(60_000).default(100).meta({ description: 'First backoff after throttling or failed records.' }),
    maxDelayMs: z.int().min(1).max(300_000).default(5_000).meta({ description: 'Longest backoff between attempts.' }),
    giveUpAfterMs: z.int().min(100).max(3_600_000).default(120_000)
      .meta({ description: 'How long a batch keeps retrying failed records before the write fails (the worker then retries the whole batch; already-written records may repeat).' }),
  }).prefault({}).meta({ description: 'Retries of failed records and throttled calls inside one write (adaptive backoff).' }),
  maxBatchRecords: z.int().min(1).max(1_000_000).default(10_000).meta({ description: 'Most changes per batch (the worker commits offsets after each batch).' }),
  maxBatchBytes: z.int().min(1024).default(32 * 1024 * 1024).meta({ description: 'Most input bytes per batch.' }),
  maxBatchDelayMs: z.int().min(0).max(3_600_000).default(200).meta({ description: 'Longest time a change waits for its batch.' }),
}).superRefine((c, ctx) => {
  if (c.partitionKeyType === 'attribute' && c.partitionKeyAttribute === undefined) {
    ctx.addIssue({ code: 'custom', path: ['partitionKeyAttribute'], message: 'required when partitionKeyType is "attribute"', input: undefined });
  }
});

export type KinesisConfigInput = z.input<typeof kinesisSchema>;
export type KinesisConfig = z.output<typeof kinesisSchema>;

export function parseKinesisConfig(input: KinesisConfigInput): KinesisConfig {
  return kinesisSchema.parse(input);
}
