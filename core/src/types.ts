/**
 * Ferry's core contracts. Every source, sink and store is written against these types;
 * the pipeline (runtime/src/pipeline) is the only place that wires them together.
 *
 * Delivery invariant, owned by the pipeline and never by a plugin:
 *   sink durable  →  offset committed (OffsetStore.commit)  →  source told it may discard (SourceConnector.acknowledge).
 */
import type { Position } from './position.ts';

export type { Position } from './position.ts';

/** Debezium operation codes: read (snapshot), create, update, delete, truncate. */
export type Op = 'r' | 'c' | 'u' | 'd' | 't';

/** A row as column name → value. Values follow the JS representation of their column's ConnectType (see FieldType). */
export type Row = Record<string, unknown>;

/**
 * Kafka Connect primitive types, which Debezium's schemas are written in. `schemas/` turns them into Avro.
 * JS value representation: int8/16/32 and float32/64 → number; int64 → bigint or number; boolean → boolean;
 * string → string; bytes → Buffer.
 */
export type ConnectType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes';

/**
 * A column's wire type: the Connect primitive plus Debezium's semantic (logical) type name and parameters.
 * `type: 'array'` with `items` is a Connect array (PostgreSQL array columns; JS value: an array, elements may be null).
 */
export interface FieldType {
  readonly type: ConnectType | 'array' | 'map';
  /** Element type of an 'array'; value type of a 'map' (keys are strings: PostgreSQL hstore under hstore.handling.mode=map). */
  readonly items?: FieldType;
  /** e.g. 'io.debezium.time.MicroTimestamp', 'org.apache.kafka.connect.data.Decimal', 'io.debezium.data.Json'. */
  readonly logical?: string;
  readonly version?: number;
  /** Connect schema parameters, e.g. { scale: '2', 'connect.decimal.precision': '10' } or { allowed: 'a,b' }. */
  readonly params?: Readonly<Record<string, string>>;
}

export interface Column {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** The column's type as the source database spells it, e.g. 'decimal(10,2) unsigned'. */
  readonly sourceType: string;
  /** The column's default value in the wire representation, when the source declares one. */
  readonly defaultValue?: unknown;
  /**
   * The names this column had before RENAME COLUMN / CHANGE COLUMN statements, most recent first, when the source
   * knows them (the MySQL source: from the DDL it parses). Carried as Avro field `aliases`, so a sink renames the
   * target column instead of adding an empty one.
   */
  readonly renamedFrom?: readonly string[];
}

/** The shape of one captured table at one point in the log. A DDL change produces a new version. */
export interface TableSchema {
  /** Fully qualified source id: '<db>.<table>' for MySQL, '<schema>.<table>' for PostgreSQL. */
  readonly id: TableId;
  readonly version: number;
  readonly columns: readonly Column[];
  /** Primary-key column names in key order; empty when the table has none (events then have a null key). */
  readonly primaryKey: readonly string[];
}

export interface TableId {
  /** MySQL database or PostgreSQL schema. */
  readonly schema: string;
  readonly table: string;
}

/** The `source` block of a Debezium envelope; fields beyond the common ones are connector specific. */
export interface SourceInfo {
  readonly connector: 'mysql' | 'mariadb' | 'postgresql';
  /** The logical server name: the task's topic prefix. */
  readonly name: string;
  /** Commit time of the change in the source, ms since the epoch (0 for snapshot reads without one). */
  readonly tsMs: number;
  readonly snapshot: 'true' | 'first' | 'last' | 'false' | 'incremental' | 'first_in_data_collection' | 'last_in_data_collection';
  readonly db: string;
  readonly schema?: string;
  readonly table: string;
  readonly txId?: string;
  /** Connector-specific fields (file, pos, gtid, row, server_id / lsn, sequence, xmin ...). */
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly position: Position;
}

export interface ChangeEvent {
  readonly op: Op;
  readonly key: Row | null;
  readonly before: Row | null;
  readonly after: Row | null;
  readonly source: SourceInfo;
  /** When Ferry processed the event, ms since the epoch. */
  readonly tsMs: number;
  readonly table: TableSchema;
  /**
   * PostgreSQL under REPLICA IDENTITY DEFAULT: the columns an UPDATE left unchanged out of line (TOAST), which
   * PostgreSQL did not send and the source read by key (source.unchangedToast: lookup). Kafka header
   * `ferry.unchanged-toast` (a JSON array of the names; docs/event-format.md).
   */
  readonly unchangedToast?: readonly string[];
}

/**
 * A DDL statement a source applied to captured tables: one record of Debezium's schema-change topic (the MySQL
 * connector's `include.schema.changes`), per database the statement changed.
 */
export interface SchemaChange {
  /** The database whose captured tables the statement changed (the record's key). */
  readonly databaseName: string;
  /** The statement as the source logged it. */
  readonly ddl: string;
  /** The `source` block: the statement's binlog position, GTID, server id and time; `table` lists the changed tables. */
  readonly source: SourceInfo;
}

/**
 * A logical-decoding message (PostgreSQL pg_logical_emit_message) with a prefix the task asked for: the outbox router
 * turns it into an event (docs/outbox.md). A transactional message is passed on only once its transaction committed.
 */
export interface SourceMessage {
  readonly prefix: string;
  readonly content: Buffer;
  readonly transactional: boolean;
  /** The message's own log position (its LSN). */
  readonly position: Position;
  /** The writing transaction's id (transactional messages). */
  readonly txId?: string;
  /** Commit time (transactional) or receive time (non-transactional), ms since the epoch. */
  readonly tsMs: number;
}

/**
 * A unit of work from a source. A batch never splits a source transaction unless `checkpoint` is null:
 * `checkpoint` is the position to resume from once every event in this batch (and all before it) is durable.
 */
export interface ChangeBatch {
  readonly events: readonly ChangeEvent[];
  readonly checkpoint: Position | null;
  /** DDL statements applied before `checkpoint` (Sink.writeSchemaChanges); durable before it is committed. */
  readonly schemaChanges?: readonly SchemaChange[];
  /** Logical-decoding messages the task asked for (settings.outbox messagePrefix; Sink.writeMessages), in log order; durable before `checkpoint` is committed. */
  readonly messages?: readonly SourceMessage[];
  /** Set on the last batch of the initial snapshot: resuming from `checkpoint` must not snapshot again. */
  readonly snapshotDone?: boolean;
  /** Source resume state committed with `checkpoint` (e.g. a snapshot's completed chunks); see StoredOffset.state. */
  readonly state?: Readonly<Record<string, unknown>>;
  /**
   * Commit `checkpoint` (and `state`) before any later batch is written, and do not merge later batches into this
   * one. A source sets it where a crash before the commit could not be reconciled: a new snapshot's stream-start
   * position, stored before its first row is sent, so a restart resumes that snapshot instead of taking a new one
   * at a later position (rows deleted in between would keep their snapshot record downstream).
   */
  readonly commitNow?: boolean;
  /**
   * Set on a source's last batch when it reached settings.cdcStopPosition (the point as written): everything before
   * the point was emitted, `checkpoint` is where it stopped, and the source's read() ends after it (cdc-window.ts).
   */
  readonly stopReached?: string;
  /**
   * Approximate bytes this batch holds in memory, when the source knows them (the pipeline's byte budgets,
   * settings.batch.maxBytes / queueBytes); absent = estimated from a few of its events (runtime/src/pipeline/event-bytes.ts).
   */
  readonly bytes?: number;
}

export interface StoredOffset {
  readonly position: Position;
  readonly snapshotDone: boolean;
  /** Bumped when the stored encoding changes, so an old offset is migrated or refused, never misread. */
  readonly formatVersion: number;
  /** Source-specific resume state (e.g. a snapshot's completed chunks), JSON-serialisable. */
  readonly state?: Readonly<Record<string, unknown>>;
}

export interface OffsetStore {
  read(taskName: string): Promise<StoredOffset | null>;
  /** Resolves only when the offset is durable. */
  commit(taskName: string, offset: StoredOffset): Promise<void>;
  /** Forgets the task's offset, so its next run starts over (a new snapshot for full-load-and-cdc). */
  reset(taskName: string): Promise<void>;
  close(): Promise<void>;
}

export interface SourceContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** The last committed offset, or null on a first run. */
  readonly resumeFrom: StoredOffset | null;
  /**
   * Optional read pacing from the pipeline (runtime/src/pipeline/ReadPacer.ts): while `held`, a streaming source
   * should leave its replication socket unread (pause it), so that changes arrive in fewer, larger reads. A hint
   * only: ignoring it is correct, and a hold is always released within a second.
   */
  readonly pacing?: ReadPacing;
  /**
   * Optional: where the source reports its connection, for GET /readyz (runtime/src/health): `connected()` once its
   * log stream is open (again), `reconnecting(reason)` while it waits to reconnect after a lost connection.
   */
  readonly health?: SourceHealth;
}

export interface SourceHealth {
  connected(): void;
  reconnecting(reason: string): void;
}

export interface ReadPacing {
  readonly held: boolean;
  /** Calls `listener` on every change of `held`; returns the unsubscribe function. */
  subscribe(listener: (held: boolean) => void): () => void;
}

export interface SourceConnector {
  /** Snapshot batches (op 'r') first unless resuming past the snapshot, then streaming batches. Ends on abort. */
  read(ctx: SourceContext): AsyncIterable<ChangeBatch>;
  /** Called only after `position` is committed to the OffsetStore (PostgreSQL: slot flush; MySQL: no-op). */
  acknowledge(position: Position): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: a request to the running source, from the control API (runtime/src/control: POST /signals) or a
   * signal channel (the Kafka signal topic, runtime/src/signals; the signal table is read inside the source).
   * Resolves once the signal is validated and queued (it runs later, while read() streams); a signal the source
   * refuses (unknown table, table outside the task's mapping, ...) resolves `{ accepted: false, reason }`.
   * Both sources implement it (docs/sources/mysql.md and docs/sources/postgres.md, "Incremental snapshots").
   */
  signal?(signal: SourceSignal): Promise<SignalResult>;
  /** Optional, with signal(): every signal received since the process started (or resumed from the offset state). */
  signals?(): readonly SignalStatus[];
}

/**
 * `execute-snapshot`: re-read these tables ('<db>.<table>') as op 'r' events while streaming goes on.
 * `stop-snapshot`: stop re-reading these tables (none: every pending and running snapshot).
 * `pause-snapshot` / `resume-snapshot`: hold or continue every incremental snapshot (no tables).
 * Debezium's signals of the same names (runtime/src/signals/debezium-signal.ts, docs/signals.md).
 */
export interface SourceSignal {
  readonly type: 'execute-snapshot' | 'stop-snapshot' | 'pause-snapshot' | 'resume-snapshot';
  readonly tables: readonly string[];
  /** The sender's id (the signal table's `id` column, a Kafka signal's key and offset): in logs and statuses. */
  readonly origin?: string;
  /**
   * Kafka channel: the offset after this signal's record, kept in the source's offset state with what the signal
   * changed, so that a restart reads the signal topic from there (neither losing nor replaying accepted signals).
   */
  readonly channelOffset?: { readonly topic: string; readonly partition: number; readonly next: string };
  /**
   * Debezium's additional-conditions: per table, a SQL condition (the source's dialect, over its column names) that
   * limits the rows re-read, e.g. `id IN (4, 17)`. Used by `ferry validate-data --repair`.
   */
  readonly conditions?: Readonly<Record<string, string>>;
}

export interface SignalStatus {
  readonly id: string;
  readonly type: SourceSignal['type'];
  readonly tables: readonly string[];
  readonly status: 'pending' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';
  /** The sender's id (SourceSignal.origin). */
  readonly origin?: string;
  /** Tables a stop-snapshot took out of this snapshot before they were read to the end. */
  readonly stoppedTables?: readonly string[];
  /** The table being read, while running. */
  readonly table?: string;
  readonly tablesDone: number;
  readonly rowsEmitted: number;
  readonly chunks: number;
  readonly error?: string;
}

export type SignalResult = { readonly accepted: true; readonly signal: SignalStatus } | { readonly accepted: false; readonly reason: string };

export interface SinkContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** True when the written events end at a source transaction boundary (the batch has a checkpoint). */
  readonly endsAtTransactionBoundary?: boolean;
}

export interface Sink {
  /** Resolves only when every event is durable in the target. Must be idempotent under redelivery. */
  write(events: readonly ChangeEvent[], ctx: SinkContext): Promise<void>;
  /** Flushes buffered work; resolves when durable. */
  flush(ctx: SinkContext): Promise<void>;
  /**
   * Optional: records that the task is alive at `position` (Debezium's heartbeat topic). Called by the pipeline
   * after a checkpoint is committed, at most once per settings.heartbeatIntervalMs.
   */
  heartbeat?(position: Position, ctx: SinkContext): Promise<void>;
  /**
   * Optional: writes schema-change records (Debezium's schema-change topic; the Kafka event sink). Called by the
   * pipeline before the batch's events, and resolves only when they are durable; a sink without it ignores them.
   */
  writeSchemaChanges?(changes: readonly SchemaChange[], ctx: SinkContext): Promise<void>;
  /**
   * Optional: writes logical-decoding messages (ChangeBatch.messages; the Kafka event sink's outbox router). Called
   * by the pipeline before the batch's events, and resolves only when they are durable; a sink without it ignores them.
   */
  writeMessages?(messages: readonly SourceMessage[], ctx: SinkContext): Promise<void>;
  close(): Promise<void>;
}

/** A Confluent-compatible schema registry (Apicurio's ccompat API, Confluent, Karapace, Redpanda). */
export interface SchemaRegistry {
  /** Registers (idempotently) and returns the global schema id. Cached. */
  register(subject: string, schema: object): Promise<number>;
  /** Fetches a schema by global id. Cached. */
  getById(id: number): Promise<object>;
  /** Whether `schema` is compatible with the subject's latest version under the subject's compatibility level. */
  isCompatible(subject: string, schema: object): Promise<boolean>;
}

/** Structured logger (pino-compatible subset). */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** The metrics facade every component uses; backed by prom-client (runtime/src/metrics). */
export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram;
}
export interface Counter { inc(labels?: Record<string, string>, value?: number): void }
export interface Gauge { set(labels: Record<string, string>, value: number): void }
export interface Histogram { observe(labels: Record<string, string>, value: number): void }
