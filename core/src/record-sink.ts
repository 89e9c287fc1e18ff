/**
 * The record-sink contract: what every sink behind the sink worker implements, in both modes.
 *
 *   Kafka mode    runSinkWorker(): a consumer-group member reads Ferry's Avro topics, decodes each record through
 *                 the schema registry, and hands batches to the sink.
 *   direct mode   DirectSinkAdapter: the same sink runs in-process behind a source (runtime/src/pipeline), with no
 *                 Kafka in between; events take an in-memory Avro round trip so the sink sees identical values.
 *
 * The runtime, never the sink, owns batching, retries with backoff, offsets, ordering, dead-lettering and
 * backpressure. A sink only has to make one batch durable, idempotently.
 */
import type { ConnectType, Logger, MetricsRegistry, Op, Row } from './types.ts';
import type { AvroRecordSchema } from './avro-json.ts';
import type { IncomingRecord } from './kafka-record.ts';

/** A column's type, read from the value's Avro schema (Debezium's Connect type, logical name and parameters). */
export interface SinkFieldType {
  /** The Kafka Connect type; 'struct' for VariableScaleDecimal, Geometry, Geography and Point. */
  readonly connect: ConnectType | 'struct' | 'array' | 'map';
  /** Debezium's semantic type (`connect.name`), e.g. 'io.debezium.time.MicroTimestamp', 'org.apache.kafka.connect.data.Decimal'. */
  readonly logical?: string;
  /** `connect.parameters`, e.g. { scale: '2', 'connect.decimal.precision': '10' }; Decimal also gets `precision` from the Avro type. */
  readonly params?: Readonly<Record<string, string>>;
}

export interface SinkColumn {
  /** The Avro field name: the column name after Debezium's field-name adjustment (usually the column name). */
  readonly name: string;
  readonly type: SinkFieldType;
  readonly optional: boolean;
  /**
   * Earlier names of the column, most recent first (the Avro field's `aliases`: a RENAME COLUMN in the source).
   * A relational sink renames a target column of such a name to `name` when the target has no `name` yet.
   */
  readonly renamedFrom?: readonly string[];
}

/** One version of a captured table's shape, as a sink sees it. Immutable and shared by every record of that version. */
export interface SinkTable {
  /** The Kafka topic of the table (in direct mode: the topic it would have). */
  readonly topic: string;
  /** MySQL database or PostgreSQL schema. */
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly SinkColumn[];
  /** Key (primary-key) field names in key order; empty when the table has no primary key. */
  readonly primaryKey: readonly string[];
  /** Identifies this schema version: the registry id of the value schema (Kafka), `v<n>` (direct mode). */
  readonly version: string;
  /** The Envelope schema (Avro JSON) as registered. */
  readonly valueSchema: AvroRecordSchema;
  /** The Key schema (Avro JSON); null when the table has no primary key. */
  readonly keySchema: AvroRecordSchema | null;
}

/** The Debezium envelope of one change. `source` holds the fields of the source block the worker was asked to decode. */
export interface Envelope {
  readonly before: Row | null;
  readonly after: Row | null;
  readonly source: Readonly<Record<string, unknown>>;
  readonly op: Op;
  readonly ts_ms: number | null;
}

/**
 * One change as a sink receives it. Values are in Debezium's wire representation (docs/event-format.md §5):
 * Decimal → Buffer of the unscaled two's-complement value, MicroTimestamp → number (bigint beyond 2^53), Json → string...
 *
 * Identity, deterministic across redelivery, for idempotent naming and deduplication:
 *   Kafka mode   (partition, offset) within `topic`; `position`/`event` are null.
 *   direct mode  (position, event): the source position and the event's ordinal at that position (0 for snapshot
 *                reads, 1, 2, ... within a transaction); `partition`/`offset` are null.
 * `stream` names the ordered log the identity belongs to; see record-identity.ts for sortable sequence strings.
 */
export interface SinkRecord {
  readonly topic: string;
  readonly stream: string;
  readonly partition: number | null;
  readonly offset: bigint | null;
  readonly position: string | null;
  readonly event: number | null;
  readonly key: Row | null;
  readonly envelope: Envelope;
  readonly table: SinkTable;
  /** Kafka record timestamp (direct mode: when the event was processed), ms since the epoch. */
  readonly timestampMs: number;
  /** Encoded size of the record (key + value bytes), for batching by bytes. */
  readonly sizeBytes: number;
  /** Kafka mode: the original value bytes (Confluent wire format: magic 0, schema id, Avro), for sinks that forward them. */
  readonly valueBytes?: Buffer;
}

/** A record the sink can never write (e.g. a value the target cannot represent). The runtime dead-letters it. */
export interface RejectedRecord {
  readonly record: SinkRecord;
  readonly reason: string;
}

export interface SinkWriteResult {
  readonly rejected?: readonly RejectedRecord[];
}

/** What a sink reports about the output it produced, for metrics. */
export interface SinkReporter {
  /** A file (or staged object) was written. */
  file(table: SinkTable, bytes: number, rows: number): void;
}

export interface SinkWriteContext {
  /** Aborts when the worker must stop without finishing (the graceful-shutdown deadline passed). */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly report: SinkReporter;
  /**
   * Kafka mode, for sinks with `rawInput`: the batch's Kafka records in poll order, each with its decoded record
   * (an entry of `records`) or null for a tombstone. Poison records are not in it (they are dead-lettered).
   */
  readonly input?: readonly RawInput[];
  /**
   * Sinks with `stage`: the batch's records the sink staged while the batch was built (they are not in `records`).
   * write() makes them durable together with `records`; it may be called again for the same batch (retries).
   */
  readonly staged?: StagedBatch;
}

/**
 * A batch being built, staged in the sink as its records arrive (RecordSink.stage), so that the worker need not hold
 * them as objects until the batch is written.
 */
export interface StagedBatch {
  /**
   * The next records of the batch, in poll order. Resolves with the records the sink rejects (dead letters) and
   * those it did not stage (`unstaged`: the worker passes them to write() as `records`); it keeps the others.
   */
  add(records: readonly SinkRecord[]): Promise<{ readonly rejected: readonly RejectedRecord[]; readonly unstaged: readonly SinkRecord[] }>;
  /** Frees what was staged: after the batch was written, or when it is dropped (rebalance, shutdown). Idempotent. */
  discard(): Promise<void>;
}

/** A Kafka record as read (bytes, headers) and what it decoded to; `record` is null for a tombstone. */
export interface RawInput {
  readonly raw: IncomingRecord;
  readonly record: SinkRecord | null;
}

/** Batch limits; whichever is reached first closes a batch. */
export interface BatchPolicy {
  readonly maxRecords: number;
  /** Sum of SinkRecord.sizeBytes. */
  readonly maxBytes: number;
  /** How long the first record of a batch may wait for the batch to fill. */
  readonly maxDelayMs: number;
}

/**
 * A sink behind the sink worker.
 *
 * write() contract:
 *  - `records` are in log order within each stream (Kafka partition / source); never reorder them within one.
 *  - Resolve only when everything not rejected is durable in the target: offsets are committed right after.
 *  - Throw to fail the whole batch: the runtime retries it with backoff (FerryError disposition 'fatal' stops the worker).
 *  - Return `rejected` for records that can never be written; everything else must be written. The runtime sends
 *    those to the dead-letter queue and continues.
 *  - Be idempotent: after a crash, records since the last commit are delivered again, possibly batched differently.
 *    Name outputs from record identities (record-identity.ts) so a retry overwrites instead of duplicating.
 */
export interface RecordSink {
  /** For logs and metrics. */
  readonly name: string;
  /** The batching this sink prefers; the worker's options override it. */
  readonly batchPolicy?: Partial<BatchPolicy>;
  /** Source-block fields the sink reads (the decoder skips the others); default: DEFAULT_SOURCE_FIELDS. */
  readonly sourceFields?: readonly string[] | 'all';
  /**
   * Kafka mode: also hand the raw Kafka records to write() (`ctx.input`), tombstones included, and call write() for
   * batches that hold only tombstones (for sinks that forward records as they are, e.g. to another Kafka cluster).
   */
  readonly rawInput?: boolean;
  /**
   * Kafka mode: do not decode each record's Avro payload when reading it; `record.envelope` and `record.key` decode
   * on first access (and throw on corrupt bytes). For sinks that decode `valueBytes` themselves; such a sink
   * dead-letters (rejects) a record whose payload it cannot decode, and calls noteDecoded() for the metrics.
   * 'snapshot-reads': only snapshot reads (op r) stay undecoded (their after-image's offset is known:
   * afterImageAt() in runtime/src/sink-worker/record-decoder.ts); every other record is decoded when read, and a
   * corrupt payload is a decode-stage dead letter as without lazy decoding.
   */
  readonly lazyDecode?: boolean | 'snapshot-reads';
  write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult | void>;
  /**
   * Kafka mode: the fetch sizes this sink's worker should use (bytes, as Kafka counts them: compressed), instead of
   * the worker's defaults; the worker's own consumer options override them. For sinks that hold little per record
   * (`stage`), where the records fetched ahead are most of the memory. `bufferedRecords`: the most records the
   * consumer keeps read ahead of the worker (the worker's default 10,000).
   */
  readonly consumerFetch?: { readonly maxFetchBytes?: number; readonly maxPartitionFetchBytes?: number; readonly bufferedRecords?: number };
  /**
   * Optional (Kafka mode, not with rawInput): a new batch's staging area; the worker adds the records as they are
   * read, drops the staged ones, and passes it to write() as `ctx.staged`. The sink must not lose staged records
   * before write() resolves, nor write them anywhere durable before it.
   */
  stage?(ctx: Pick<SinkWriteContext, 'log'>): StagedBatch;
  /**
   * Optional, for `ferry validate`: a quick, read-only check that the target is reachable with the configured
   * address and credentials. Resolves when it is; rejects with an error that names the problem and the fix.
   */
  check?(): Promise<void>;
  /**
   * Optional, for relational sinks: called once before the first write with the target tables the schema conversion
   * made of the source catalog (for the dialect and schema this sink declares in `tableDefinitions`), or with why
   * there are none (no catalog reader, the source unreachable from a sink worker); the sink then creates tables from
   * the event schema. Sinks without it never get definitions.
   */
  useTableDefinitions?(definitions: TableDefinitions): void;
  /** The dialect and target schema a sink with useTableDefinitions wants its definitions in. */
  readonly tableDefinitions?: TableDefinitionRequest;
  close(): Promise<void>;
}

/** What a relational sink asks the schema conversion for: its dialect and the schema (database) every table lands in. */
export interface TableDefinitionRequest {
  readonly dialect: 'postgres' | 'mysql' | 'mariadb';
  /** PostgreSQL `schema` / MySQL `database` of the target, overriding the mapped schema; absent: the mapped schema. */
  readonly schema?: string;
}

/** One column of a converted target table; the clauses are SQL text in the target's dialect, in DDL order. */
export interface TargetColumnDefinition {
  readonly name: string;
  /** The target type as written in DDL: 'numeric(20)', 'varchar(40)', "enum('a','b')". */
  readonly type: string;
  readonly nullable: boolean;
  /** MySQL: ' COLLATE …' / ' CHARACTER SET … COLLATE …' (with its leading space). */
  readonly collation?: string;
  /** Identity / auto-increment clause with its leading space: ' GENERATED BY DEFAULT AS IDENTITY (START WITH 7)', ' AUTO_INCREMENT'. */
  readonly identity?: string;
  /** ' GENERATED ALWAYS AS (…) STORED' (same-engine copies). */
  readonly generated?: string;
  /** The DEFAULT expression (without DEFAULT). */
  readonly default?: string;
  /** MySQL ON UPDATE expression (without ON UPDATE). */
  readonly onUpdate?: string;
  /** A column CHECK expression (without CHECK): the ENUM domain on PostgreSQL. */
  readonly check?: string;
}

/** A target table as the schema conversion (runtime/src/schema-conversion) defines it from the source catalog. */
export interface TargetTableDefinition {
  /** The source table, 'schema.table'. */
  readonly source: string;
  /** Target names after the table mapping and the target's schema key. */
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly TargetColumnDefinition[];
  readonly primaryKey: readonly string[];
  /** Unique keys and checks as CREATE TABLE clauses: `CONSTRAINT "t_email" UNIQUE ("email")`, `CONSTRAINT … CHECK (…)`. */
  readonly constraints: readonly { readonly kind: 'unique' | 'check'; readonly sql: string }[];
  /** Text after CREATE TABLE's closing parenthesis (MySQL: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 …'). */
  readonly tableOptions: string;
  /** Statements the table needs first (PostgreSQL enum types and sequences of its columns), each safe to run again. */
  readonly before: readonly string[];
  /** Statements right after CREATE TABLE (PostgreSQL: ALTER SEQUENCE … OWNED BY). */
  readonly after: readonly string[];
  /** CREATE INDEX statements of its secondary indexes (not the primary or unique keys). Foreign keys are not here. */
  readonly indexes: readonly string[];
}

export type TableDefinitions =
  | { readonly tables: readonly TargetTableDefinition[]; readonly from: string }
  | { readonly unavailable: string };

/** The source-block fields decoded unless a sink asks for others. */
export const DEFAULT_SOURCE_FIELDS: readonly string[] = [
  'connector', 'ts_ms', 'ts_us', 'snapshot', 'db', 'schema', 'table', 'file', 'pos', 'row', 'gtid', 'lsn', 'txId', 'sequence',
];
