/**
 * The engine's part of the task file: the kafka block, the settings block (batching, snapshots, offsets, LOB
 * modes, metrics) and the secret type, declared once each with type, default and description. The task file as a
 * whole (source, targets) is assembled from these and from the plugins' own declarations in
 * app/src/task-file/task-schema.ts; validation and docs/configuration.md both come from that one declaration.
 */
import { KAFKA_PARTITIONERS } from '../kafka/kafka-partitioner.ts';
import { z } from 'zod';
import { Secret } from './secrets.ts';
import { outboxSettingsSchema } from './outbox-settings.ts';
import { valueHandlingShape } from './value-handling-settings.ts';
import { flattenSettingsSchema, formatSettingsSchema } from './output-settings.ts';
import { signalSettingsSchema } from './signal-settings.ts';
import { topicRoutingSettingsSchema } from './topic-routing-settings.ts';
import { cdcWindowShape } from './cdc-window-settings.ts';
import { notificationSettingsSchema } from './notification-settings.ts';
import { cloudwatchSettingsSchema } from './cloudwatch-settings.ts';
import { stateEncryptionSchema } from '../encryption/state-encryption-settings.ts';
import { kafkaSecurityShape } from './kafka-security-settings.ts';

export const MIGRATION_TYPES = ['full-load', 'cdc', 'full-load-and-cdc'] as const;

/** A secret string: shown as *** everywhere (see secrets.ts). Use ${env:NAME} or ${file:path} rather than a literal. */
export const secret = () =>
  z.string().min(1).meta({ secret: true }).transform((s) => new Secret(s));

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"').meta({ examples: ['127.0.0.1:9092'] });

export const kafkaSchema = z.strictObject({
  brokers: z.array(hostPort).min(1).meta({ description: 'Bootstrap brokers of the Kafka cluster Ferry writes change events to.' }),
  schemaRegistry: z.url({ protocol: /^https?$/ }).meta({ description: 'Base URL of a Confluent-compatible schema registry (Apicurio: …/apis/ccompat/v7). Credentials in its user info (http://user:${env:NAME}@host:8081/…; percent-encode @ : / ? # \\ in them) are sent as HTTP Basic auth and never shown.', examples: ['http://127.0.0.1:8081/apis/ccompat/v7'] }),
  topicPrefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, ".", "_" or "-"').max(200).optional()
    .meta({ description: 'Prefix of every topic (Debezium topic.prefix): data topics are <prefix>.<db>.<table>. Default: the task name.' }),
  clientId: z.string().min(1).optional().meta({ description: 'Kafka client id. Default: ferry-<task name>.' }),
  partitions: z.int().min(1).max(10000).default(1).meta({ description: 'Partitions of each data topic Ferry creates. Events are keyed by primary key, so per-key order holds with any count.' }),
  partitioner: z.enum(KAFKA_PARTITIONERS).default('murmur2').meta({ description: 'How a keyed event picks its partition. murmur2: as Kafka\'s Java clients do ((murmur2(key) & 0x7fffffff) % partitions), so Debezium, Kafka Connect and Java producers put every key on the same partition as Ferry. murmur2-unsigned: ((murmur2(key) >>> 0) % partitions), what Ferry 0.1 did; it differs only for partition counts that are not a power of two, where an upgrade should keep it until consumers have caught up (keys would change partition mid-stream otherwise). Keyless tables always go to partition 0 (docs/event-format.md).' }),
  replicationFactor: z.int().min(1).max(32).default(1).meta({ description: 'Replication factor of the topics Ferry creates.' }),
  compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none').meta({ description: 'Producer compression codec (lz4 cost 9–27% of produce throughput on loopback; worth it over a network).' }),
  maxMessageBytes: z.int().min(1024).max(268435456).default(8388608).meta({ description: 'Largest change event Ferry produces; topics Ferry creates get this max.message.bytes. A larger event stops the task with FERRY_EVENT_TOO_LARGE (never dropped). Existing topics and the broker (message.max.bytes, replica.fetch.max.bytes) must allow it too.' }),
  ...kafkaSecurityShape, // kafka.tls, kafka.sasl, kafka.schemaRegistryTls, kafka.schemaRegistryAuth (kafka-security-settings.ts)
});

/** LOB handling (docs/lob.md). Declared once here; the stage is runtime/src/lob/LobStage.ts. */
export const LOB_MODES = ['full', 'limited', 'inline', 'claim-check'] as const;
export const lobSettingsSchema = z.strictObject({
  mode: z.enum(LOB_MODES).default('full').meta({ description: 'How LOB columns (text, blob, json, bytea, unbounded varchar; never key columns) are carried. full: whole values. limited: truncated to maxSizeKb, truncated columns named in the extra field __ferry_truncated. inline: values up to inlineThresholdKb inline, larger ones written to S3 (claimCheck) and referenced. claim-check: values over claimCheck.thresholdKb written to S3 and referenced. DMS per-table lob-settings override it (docs/lob.md).' }),
  maxSizeKb: z.int().min(1).max(1048576).default(32).meta({ description: 'limited: the most bytes (KiB, UTF-8 for text) a LOB value keeps; DMS LobMaxSize.' }),
  inlineThresholdKb: z.int().min(1).max(1048576).default(64).meta({ description: 'inline: values up to this size (KiB) stay in the event; larger ones go to S3 (DMS InlineLobMaxSize).' }),
  oversize: z.enum(['fail', 'truncate', 'claim-check']).default('fail').meta({ description: 'An event still larger than kafka.maxMessageBytes after LOB handling: fail = stop the task with FERRY_EVENT_TOO_LARGE before anything of the batch is committed; truncate = truncate its largest LOB values until it fits (flagged in __ferry_truncated); claim-check = move its largest LOB values to S3 until it fits. Never dropped.' }),
  claimCheck: z.strictObject({
    bucket: z.string().min(3).max(63).meta({ description: 'S3 bucket that receives LOB values (it must exist).' }),
    prefix: z.string().default('ferry-lob').meta({ description: 'Key prefix; objects are <prefix>/<target schema>/<target table>/<sha256> (with settings.stateEncryption, a keyed HMAC of the value instead of its sha256).' }),
    thresholdKb: z.int().min(0).max(1048576).default(256).meta({ description: 'claim-check: values larger than this (KiB) go to S3.' }),
    kmsKeyId: z.string().min(1).optional().meta({ description: 'Encrypt objects with this KMS key (SSE-KMS). Default: the bucket’s default encryption.' }),
    region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
    endpoint: z.url().optional().meta({ description: 'S3-compatible endpoint (moto, MinIO); path-style addressing is used with it.', examples: ['http://127.0.0.1:5000'] }),
    accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain.' }),
    secretAccessKey: secret().optional().meta({ description: 'Secret access key (with accessKeyId). Use ${env:NAME} or ${file:path}.', secret: true }),
  }).optional().meta({ description: 'Where claim-checked LOB values go: required by modes inline and claim-check and by oversize claim-check.' }),
}).superRefine((l, ctx) => {
  const needs = l.mode === 'inline' || l.mode === 'claim-check' ? `mode "${l.mode}"` : l.oversize === 'claim-check' ? 'oversize "claim-check"' : null;
  if (needs && !l.claimCheck) ctx.addIssue({ code: 'custom', path: ['claimCheck'], message: `${needs} writes large values to S3: set claimCheck.bucket (and endpoint/region)`, input: undefined });
});

/** Continuous data validation (docs/validation.md#validation-during-cdc); the validator is app/src/validate-data/continuous-validation.ts. */
export const validationSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false).meta({ description: 'Validate every selected table against each postgres and mysql target of the task: after its full load, then every intervalSeconds during CDC; rows that differ while changing are pending and re-checked once the stream has passed them. Runs in `ferry run` without a kafka block (direct mode); with Kafka, run `ferry validate-data`.' }),
  intervalSeconds: z.int().min(1).max(604800).default(300).meta({ description: 'Time between two full comparisons of a table during CDC (each pass reads the table on both sides, by key ranges with checksums in the databases).' }),
  maxConcurrency: z.int().min(1).max(64).default(1).meta({ description: 'Most range queries at once (each one on the source and one on the target).' }),
  rowsPerSecond: z.int().min(0).max(100000000).default(0).meta({ description: 'Most rows compared per second over all tables (bounds the load on both databases); 0 = unlimited.' }),
  chunkRows: z.int().min(100).max(10000000).default(20000).meta({ description: 'Rows per key range (one count-and-checksum query per side).' }),
  failureMaxCount: z.int().min(1).max(10000000).default(10000).meta({ description: 'Most mismatches kept per table (DMS FailureMaxCount); more are counted, not recorded.' }),
  recheckConfirmations: z.int().min(1).max(100).default(2).meta({ description: 'A row still different is confirmed failed after this many re-checks that saw its source row unchanged, each after the target caught up.' }),
  maxRecheckAttempts: z.int().min(2).max(1000).default(10).meta({ description: 'A row whose source changed at every re-check is suspended after this many (DMS suspended records); the next full pass looks at it again.' }),
}).meta({ description: 'Continuous data validation.' });

export const settingsSchema = z.strictObject({
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info').meta({ description: 'Minimum level of log lines written to stderr.' }),
  stateDir: z.string().min(1).optional().meta({ description: 'Folder for local state (SQLite offset store, schema history). Default: .ferry/<task name> under the working directory.' }),
  stateEncryption: stateEncryptionSchema, // envelope encryption of the state at rest (docs/security.md#encryption-at-rest)
  offsetStore: z.enum(['auto', 'kafka', 'sqlite']).default('auto').meta({ description: 'Where committed positions live: a compacted Kafka topic, or SQLite in stateDir. auto = kafka when a kafka block is given.' }),
  offsetsTopic: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('ferry.offsets').meta({ description: 'Compacted topic that holds task offsets when offsetStore is kafka.' }),
  metrics: z.strictObject({
    enabled: z.boolean().default(true).meta({ description: 'Serve Prometheus metrics over HTTP.' }),
    host: z.string().min(1).default('127.0.0.1').meta({ description: 'Address the metrics server listens on.' }),
    port: z.int().min(0).max(65535).default(9464).meta({ description: 'Port of the metrics server (GET /metrics); 0 picks a free port.' }),
  }).prefault({}).meta({ description: 'Prometheus metrics endpoint.' }),
  batch: z.strictObject({
    maxEvents: z.int().min(1).max(1000000).default(2000).meta({ description: 'Most events written to the sinks in one batch.' }),
    maxBytes: z.int().min(1024).max(1073741824).optional().meta({ description: 'Most bytes in one batch written to the sinks, approximate: what its events hold in memory (row values, keys and objects), estimated from a few events of each source batch. A batch is full at maxEvents or at maxBytes, whichever comes first; a single source batch (a transaction up to maxEvents) larger than this is still written whole. Bounds memory by bytes for wide rows as well as narrow ones (docs/performance.md, "Memory"). Default 512 bytes × maxEvents, at least 1 MiB: 1 MiB (about 2,000 rows of 10 columns) with the default maxEvents, and proportionally more when maxEvents is raised (direct targets loading files or warehouses), so that maxEvents keeps its meaning for narrow rows.' }),
    queueBytes: z.int().min(1024).max(4294967296).optional().meta({ description: 'Most bytes (approximate, as for maxBytes) read from the source and waiting for the sinks; the source is left unread while the queue holds this much (or 4 × maxEvents events). Default 4 × maxBytes.' }),
    readAheadBytes: z.int().min(1024).max(1073741824).default(1048576).meta({ description: 'PostgreSQL sources: most bytes of pgoutput messages (as the server sent them) received from the replication connection and not yet turned into events; beyond that the connection is left unread, so a backlog waits in the server and the kernel instead of in Ferry\'s memory. Bounds the memory of a backlog drain by bytes (docs/performance.md, "Memory"). One socket read (up to 64 KiB) may go over it.' }),
    latencyTargetMs: z.int().min(0).max(60000).default(20).meta({ description: 'Adaptive batching (when maxDelayMs is not set): the longest a change should wait between its read and its write to the sinks, in milliseconds. A batch is written once its oldest change has used this budget less the recent write time, at once under a trickle (when lingering would gather nothing), and as soon as it is full, so bursts and backlogs still fill batches to maxEvents. A larger budget means fewer, larger writes and less CPU per change at moderate rates (docs/performance.md). 0 writes each read at once.' }),
    maxDelayMs: z.int().min(0).max(60000).optional().meta({ description: 'A fixed batch delay instead of adaptive batching: a batch is written when it holds maxEvents changes or when its first change has waited this long (ms), whatever the load. Not set by default (latencyTargetMs applies); 250-1000 suits lake and warehouse loading, where fewer, larger Kafka requests matter more than latency (docs/performance.md).' }),
    paceReads: z.boolean().default(true).meta({ description: 'While a small batch waits to fill (latencyTargetMs or maxDelayMs) or is being written, leave the replication connection unread, so the transactions of those milliseconds arrive in one read instead of waking Ferry once each. About three times fewer wake-ups at 1k tx/s, within the latency budget (with maxDelayMs: beyond maxDelayMs plus the write of the batch before); full batches are never held (docs/performance.md). false reads every transaction as it arrives.' }),
  }).prefault({}).meta({ description: 'Batching between source and sinks.' }),
  snapshot: z.strictObject({
    chunkSize: z.int().min(1).max(10000000).default(5000).meta({ description: 'Rows per primary-key chunk in a full load.' }),
    parallelism: z.int().min(1).max(64).default(2).meta({ description: 'Chunks read in parallel during a full load.' }),
    readAheadBytes: z.int().min(1024).max(4294967296).default(1048576).meta({ description: 'Most bytes of rows (approximate, as for batch.maxBytes) that the full load reads ahead of the pipeline, besides the chunk each reader is reading: a chunk waits while this much is read and not yet queued, unless nothing is. Bounds the snapshot memory by bytes whatever the row width (docs/performance.md, "Memory").' }),
  }).prefault({}).meta({ description: 'Full-load (snapshot) tuning.' }),
  snapshotLocking: z.enum(['auto', 'global', 'tables', 'none']).default('auto').meta({ description: 'MySQL/MariaDB sources: how the initial snapshot of a full-load-and-cdc task is tied to the binlog (Debezium snapshot.locking.mode; docs/sources/mysql.md "Snapshot locking"). global: FLUSH TABLES WITH READ LOCK for the milliseconds it takes to start the snapshot transactions and read the binlog position (RELOAD privilege). tables: LOCK TABLES … READ on the selected tables only, for as long (LOCK TABLES privilege). none: lock-free, as on RDS, Aurora, Cloud SQL and Azure: the binlog streams from the position read at start while the tables are read in key chunks between watermarks, with no lock and no long transaction (every table needs a primary key). auto: global when the user has RELOAD and the lock is granted (MariaDB: a snapshot transaction, which needs no lock there), otherwise none, with a log line saying why. PostgreSQL sources ignore it (their snapshot never locks).' }),
  offsetCommitIntervalMs: z.int().min(0).max(60000).default(100).meta({ description: 'Offsets are committed at most this often (ms) while batches keep coming, and at once when the stream goes quiet. Sinks are durable first either way; a longer interval means fewer offset writes (and source acknowledgements) and more redelivery after a crash. 0 commits after every batch.' }),
  heartbeatIntervalMs: z.int().min(0).max(3600000).default(10000).meta({ description: 'How often (at most) a heartbeat record {ts_ms} is written to __debezium-heartbeat.<topicPrefix> after a committed position, so consumers and monitors see the task alive while captured tables are idle; postgres also emits a pg_logical_emit_message this often so the slot advances while captured tables are idle, and polls slot lag. 0 turns heartbeats off.' }),
  provideTransactionMetadata: z.boolean().default(false).meta({ description: 'Debezium’s provide.transaction.metadata: BEGIN and END records (with event counts per table) on <topicPrefix>.transaction, and a transaction block {id, total_order, data_collection_order} in every streamed event.' }),
  ...valueHandlingShape,
  ...cdcWindowShape, // settings.cdcStartPosition, cdcStartTime, cdcStopPosition (DMS CDC start and stop points)
  tombstonesOnDelete: z.boolean().default(true).meta({ description: 'Follow each delete event with a tombstone (same key, null value), as Debezium does, so compacted topics drop the key.' }),
  format: formatSettingsSchema, flatten: flattenSettingsSchema.prefault({}),
  lob: lobSettingsSchema.prefault({}).meta({ description: 'LOB columns: full, limited, inline or claim-check, and what happens to an event larger than Kafka accepts (docs/lob.md).' }),
  outbox: outboxSettingsSchema,
  signals: signalSettingsSchema,
  topicRouting: topicRoutingSettingsSchema,
  notifications: notificationSettingsSchema, // event notifications: SNS, webhooks, Kafka CloudEvents (docs/notifications.md)
  cloudwatch: cloudwatchSettingsSchema, // DMS's task metrics to CloudWatch (docs/metrics.md#cloudwatch)
  dms: z.record(z.string(), z.unknown()).optional().meta({ description: 'An AWS DMS task-settings document (TargetMetadata, FullLoadSettings, ErrorBehavior, ValidationSettings, …), verbatim. Each setting Ferry supports is applied with DMS’s meaning onto the Ferry setting it maps to; any other is rejected with its path and the reason (docs/from-dms.md).' }),
  validation: validationSettingsSchema.prefault({}).meta({ description: 'Data validation while the task runs (DMS ValidationSettings): each table compared with every database target after its full load, then again and again during CDC (docs/validation.md).' }),
}).prefault({});

export type KafkaConfig = z.output<typeof kafkaSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type LobSettings = Settings['lob'];
export type ValidationSettings = Settings['validation'];
