/** Options of the Kafka/MSK target sink (task targets of type `kafka`), declared once with zod. */
import { z } from 'zod';

const pem = (what: string) => z.string().min(1).meta({ description: `${what}: PEM text, or the path of a PEM file.` });

export const tlsSchema = z.strictObject({
  ca: pem('CA certificate(s) the brokers’ certificates are checked against').optional()
    .meta({ description: 'CA certificate(s) the brokers’ certificates are checked against: PEM text or a file path. Default: the system CAs (right for MSK and most managed clusters).' }),
  cert: pem('Client certificate (mutual TLS)').optional(),
  key: z.string().min(1).optional().meta({ description: 'Client private key (mutual TLS): PEM text or a file path. Use ${file:path} or a path; never logged.', secret: true }),
  keyPassword: z.string().min(1).optional().meta({ description: 'Passphrase of the client key.', secret: true }),
  servername: z.string().min(1).optional().meta({ description: 'TLS server name (SNI) to send and check, when it differs from the broker host.' }),
  rejectUnauthorized: z.boolean().default(true).meta({ description: 'Check the brokers’ certificates. Turn off only for local tests.' }),
});

export const saslSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).meta({ description: 'SASL mechanism.' }),
    username: z.string().min(1).meta({ description: 'SASL user.' }),
    password: z.string().min(1).meta({ description: 'Its password; use ${env:NAME} or ${file:path}. Never logged.', secret: true }),
  }),
  z.strictObject({
    mechanism: z.literal('aws-msk-iam').meta({ description: 'AWS MSK IAM: SASL/OAUTHBEARER with a SigV4-signed token, refreshed for every connection.' }),
    region: z.string().min(1).meta({ description: 'AWS region of the MSK cluster.', examples: ['eu-west-1'] }),
    accessKeyId: z.string().min(1).optional().meta({ description: 'Access key; default: the AWS default credential chain (env, profile, SSO, web identity, ECS/EC2 role).' }),
    secretAccessKey: z.string().min(1).optional().meta({ description: 'Its secret.', secret: true }),
    sessionToken: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials.', secret: true }),
    profile: z.string().min(1).optional().meta({ description: 'Shared-config profile for the default credential chain.' }),
  }),
]);

export const kafkaTargetSchema = z.strictObject({
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).meta({ description: 'Bootstrap brokers of the target cluster (not Ferry’s own).', examples: [['b-1.msk.example:9098']] }),
  clientId: z.string().min(1).default('ferry-kafka-target').meta({ description: 'Client id on the target cluster.' }),
  tls: z.union([z.boolean(), tlsSchema]).default(false).meta({ description: 'TLS to the target: true (system CAs), an object (CA, client certificate, SNI), or false (plaintext).' }),
  sasl: saslSchema.optional().meta({ description: 'SASL authentication: SCRAM-SHA-256/512 or PLAIN with a user and password, or AWS MSK IAM. Default: none.' }),
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
