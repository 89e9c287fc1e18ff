/** Options of the Kafka/MSK target sink (task targets of type `kafka`), declared once with zod. */
import { z } from 'zod';
import { kafkaSaslField, kafkaTlsField, saslSchema, tlsSchema } from '../../../runtime/src/config/kafka-security-settings.ts';

// tls and sasl are declared once, shared with the task's own cluster (kafka.tls, kafka.sasl).
export { tlsSchema, saslSchema };

export const kafkaTargetSchema = z.strictObject({
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).meta({ description: 'Bootstrap brokers of the target cluster (not Ferry’s own).', examples: [['b-1.msk.example:9098']] }),
  clientId: z.string().min(1).default('ferry-kafka-target').meta({ description: 'Client id on the target cluster.' }),
  tls: kafkaTlsField('the target'),
  sasl: kafkaSaslField(),
  topic: z.string().min(1).default('{topic}').meta({
    description: 'Target topic name template. Placeholders: {topic} (the source topic), {prefix} (Ferry’s topic prefix), {schema} (database or schema), {table}.',
    examples: ['{prefix}.{schema}.{table}', 'cdc.{table}'],
  }),
  topics: z.record(z.string(), z.string().min(1)).default({}).meta({
    description: 'Explicit renames, before the template: a source topic (`shop.shop.orders`) or `<schema>.<table>` (`shop.orders`) → target topic.',
  }),
  partitioning: z.enum(['key', 'source']).default('key').meta({
    description: 'Target partition: `key` (hash of the key bytes, so one key stays in one partition and in order), or `source` (the source partition number; the target topic needs at least as many partitions).',
  }),
  delivery: z.enum(['exactly-once', 'at-least-once']).default('exactly-once').meta({
    description: 'exactly-once: one transaction per source partition and batch, with the source offsets stored in the target (read_committed consumers see every change once). at-least-once: the idempotent producer, no transactions; a crash can repeat the last batch.',
  }),
  transactionalIdPrefix: z.string().min(1).optional().meta({
    description: 'Prefix of the transactional ids and of the offset groups (`<prefix><source topic>-<partition>`). Default `ferry-<target name>-`. Must be unique per task and target on one target cluster.',
  }),
  offsetsTopic: z.string().min(1).default('ferry-sink-offsets').meta({ description: 'Empty 1-partition anchor topic on the target: exactly-once stores each source partition’s offset as the committed offset of group `<transactionalIdPrefix><topic>-<partition>` for its partition 0, inside each transaction.' }),
  createTopics: z.strictObject({
    enabled: z.boolean().default(true).meta({ description: 'Create missing target topics (and the offsets topic).' }),
    partitions: z.int().min(1).default(1).meta({ description: 'Partitions of created target topics.' }),
    replicationFactor: z.int().min(-1).default(-1).meta({ description: 'Replication factor of created topics; -1 = the broker’s default.' }),
    config: z.record(z.string(), z.string()).default({}).meta({ description: 'Topic configs of created target topics, e.g. { cleanup.policy: compact }.' }),
  }).prefault({}).meta({ description: 'Creating target topics.' }),
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('lz4').meta({ description: 'Compression of produced batches (the record bytes themselves are unchanged).' }),
  maxMessageBytes: z.int().min(1024).default(1048588).meta({ description: 'Largest record the target accepts (its max.message.bytes); larger records are dead-lettered.' }),
  timeoutMs: z.int().min(1000).default(30000).meta({ description: 'Request timeout, also the transaction timeout, in ms.' }),
  maxBatchRecords: z.int().min(1).default(20000).meta({ description: 'Most records per batch (one transaction per source partition and batch).' }),
  maxBatchDelayMs: z.int().min(0).default(500).meta({ description: 'Longest time a record waits for its batch.' }),
});

export type KafkaTargetConfigInput = z.input<typeof kafkaTargetSchema>;
export type KafkaTargetConfig = z.output<typeof kafkaTargetSchema>;
