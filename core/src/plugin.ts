/**
 * The plugin contract: what one folder under connectors/ or sinks/ tells the rest of Ferry about itself.
 *
 * Each plugin folder exports one descriptor from `src/descriptor.ts`, and app/src/plugins.ts lists them (one line
 * each). Everything that needs to know which sources and sinks exist reads that list: the task-file schema and its
 * reference docs, `ferry validate`, `ferry plan`, task assembly (`ferry run`) and the sink worker (`ferry sink`).
 *
 * A descriptor module must stay cheap to import: zod option declarations and plain data only. Drivers and SDKs
 * (mysql2, pg, the AWS SDK, DuckDB, the Kafka client) are loaded by `create`, `check` and `describeTables` with
 * `await import()`, so a task loads only the drivers it uses.
 */
import type { z } from 'zod';
import type { SourceCatalog } from './catalog.ts';
import type { CheckResult } from './check-result.ts';
import type { RecordSink } from './record-sink.ts';
import type { TableSelector } from './table-selector.ts';
import type { Logger, MetricsRegistry, SourceConnector, SourceInfo, TableSchema } from './types.ts';

/** The task's `source` block after validation, with the port and the plugin's own defaults filled in. */
export interface SourceBlock {
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** A Secret (runtime/src/config/secrets.ts): `.reveal()` gives the text; it prints as ***. */
  readonly password: { reveal(): string };
  readonly database?: string | undefined;
  readonly connectTimeoutMs: number;
  /** The plugin's own options (SourcePlugin.options). */
  readonly [option: string]: unknown;
}

/** What every source takes from the task besides its connection: the options shared by each source's factory. */
export interface SourceTaskOptions {
  readonly migrationType: 'full-load' | 'cdc' | 'full-load-and-cdc';
  readonly selector: TableSelector;
  /** Debezium topic.prefix: the logical server name in every event's source block. */
  readonly topicPrefix: string;
  readonly settings: {
    /** readAheadBytes absent (sources built by hand, tests): unbounded by bytes. */
    readonly snapshot: { readonly chunkSize: number; readonly parallelism: number; readonly readAheadBytes?: number };
    /** settings.snapshotLocking (MySQL/MariaDB sources; connectors/mysql-binlog/src/snapshot-locking.ts); absent: auto. */
    readonly snapshotLocking?: 'auto' | 'global' | 'tables' | 'none' | undefined;
    /** readAheadBytes (settings.batch.readAheadBytes) absent: the source's own default. */
    readonly batch: { readonly maxEvents: number; readonly readAheadBytes?: number };
    /** settings.signals (runtime/src/config/signal-settings.ts): the signal table the incremental snapshotter reads. */
    readonly signals?: { readonly enabledChannels: readonly string[]; readonly dataCollection?: string | undefined };
    /** settings.outbox (runtime/src/config/outbox-settings.ts): the PostgreSQL source passes on the messages with these prefixes. */
    readonly outbox?: readonly { readonly table?: string | undefined; readonly messagePrefix?: string | undefined }[];
    /** settings.cdcStartPosition / cdcStartTime / cdcStopPosition (runtime/src/config/cdc-window-settings.ts). */
    readonly cdcStartPosition?: string | undefined;
    readonly cdcStartTime?: string | undefined;
    readonly cdcStopPosition?: string | undefined;
  };
  /** The task's local state folder (schema history, spill files). */
  readonly stateDir: string;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

/** What a source plugin's `create` is given: the task's source block, its name, and the engine settings sources read. */
export interface SourceCreateOptions extends SourceTaskOptions {
  readonly source: SourceBlock;
  readonly taskName: string;
  readonly settings: SourceTaskOptions['settings'] & { readonly heartbeatIntervalMs: number };
}

/** What `ferry validate` and `ferry plan` hand a source's check and catalog reader. */
export interface SourceCatalogOptions {
  readonly source: SourceBlock;
  readonly taskName: string;
  readonly selector: TableSelector;
  /**
   * Tables ('<db>.<table>' / '<schema>.<table>') whose updates and deletes Ferry does not carry: the outbox tables
   * (settings.outbox; insertOnlyTables() in runtime/src/config/outbox-settings.ts). A source may drop the checks that
   * exist only for updates (PostgreSQL: REPLICA IDENTITY FULL for TOAST-able columns).
   */
  readonly insertOnlyTables?: readonly string[];
}

export interface DescribedTables {
  readonly tables: readonly TableSchema[];
  /** Tables (or columns) the source cannot capture as they are. */
  readonly problems: readonly { readonly table: string; readonly message: string }[];
}

export interface SourcePlugin {
  readonly kind: 'source';
  /** The `source.engine` values it serves, e.g. ['mysql', 'mariadb']. */
  readonly engines: readonly string[];
  /** One line for listings and docs. */
  readonly summary: string;
  /** Its page under docs/. */
  readonly docs: string;
  /** The port used when the task gives none. */
  readonly defaultPort: number;
  /** Debezium's connector name in each event's source block (`source.connector`), per engine. */
  connectorName(engine: string): SourceInfo['connector'];
  /**
   * Its own keys in the task's `source` block, besides the connection keys every source shares
   * (runtime/src/config/source-schema.ts). Each is optional in the shared declaration; a key given with another
   * engine is refused. Descriptions feed docs/configuration.md.
   */
  readonly options: Readonly<Record<string, z.ZodType>>;
  /** Cross-field rules of a source block with one of its engines: call `problem` for each. */
  refine?(source: Readonly<Record<string, unknown>>, problem: (path: string, message: string) => void): void;
  /** Derived defaults of its own keys (e.g. a server id from the task name); merged over the validated block. */
  defaults?(source: Readonly<Record<string, unknown>>, taskName: string): Readonly<Record<string, unknown>>;
  /** Prerequisites on the source database, as shown by `ferry validate` (one line each, for docs). */
  readonly prerequisites: readonly string[];
  create(o: SourceCreateOptions): Promise<SourceConnector>;
  /** Read-only checks for `ferry validate`: connection, configuration, privileges, retention. Never throws. */
  check(o: SourceCatalogOptions): Promise<CheckResult[]>;
  /** Catalog reader for `ferry plan`: the selected tables' definitions, read-only. */
  describeTables?(o: SourceCatalogOptions): Promise<DescribedTables>;
  /** Catalog reader for `ferry convert-schema` (core/src/catalog.ts): the selected tables and their objects, read-only. */
  readCatalog?(o: SourceCatalogOptions): Promise<SourceCatalog>;
}

/** What a sink is built with: the target's name, type and its own keys (besides type and name), as in the task. */
export interface SinkCreateOptions {
  readonly name: string;
  readonly type: string;
  /** Plain values (secret references already resolved to text). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The task's DMS table mapping, validated (runtime/src/config/table-mapping-schema.ts); sinks that apply
   * object-mapping rules (DynamoDB, Kinesis, Kafka) read theirs from it. Absent in tests that build a sink alone.
   */
  readonly tableMappings?: unknown;
}

/** A table as its destination is named from: its names after the table mapping, and its Kafka topic. */
export interface DestinationTable {
  /** The table's Kafka topic (in direct mode: the topic it would have), `<prefix>.<schema>.<table>` sanitized. */
  readonly topic: string;
  /** MySQL database or PostgreSQL schema, after the table mapping. */
  readonly schema: string;
  /** The table name, after the table mapping. */
  readonly table: string;
}

/** Where a target writes one table's changes. */
export interface SinkDestination {
  /** What it is, for messages: 'topic', 'table', 'folder'. */
  readonly kind: string;
  /** Its name as the target writes it (e.g. `shop_orders`, `shop.orders`, `s3://lake/shop/orders/`). */
  readonly name: string;
  /**
   * The text compared across tables, when the target treats different names as one (case folding, Kafka's '.'
   * and '_'); default `name`.
   */
  readonly compareAs?: string;
}

export interface SinkPlugin {
  readonly kind: 'sink';
  /** The `targets[].type` values it serves, e.g. ['parquet', 'csv']. */
  readonly types: readonly string[];
  readonly summary: string;
  readonly docs: string;
  /**
   * The declaration of a target's own keys (besides type and name) for one of its types, with descriptions:
   * validation of `targets[]` and the sink sections of docs/configuration.md come from it.
   */
  options(type: string): z.ZodType;
  /** What the target needs to exist or allow (one line each, for docs). */
  readonly prerequisites: readonly string[];
  /**
   * Builds the sink (loading its SDK lazily). Rejects with a zod error for invalid options. The sink's optional
   * `check()` is the read-only reachability check `ferry validate` runs.
   */
  create(o: SinkCreateOptions): Promise<RecordSink>;
  /**
   * Where the target writes a table's changes, from the target's own keys (plain values, as `create` gets them: parse
   * them with the sink's declaration for the defaults) and the table's names after the table mapping. `ferry validate`, `ferry plan` and `ferry run` (at start, and for each
   * table created later) compare the destinations of the selected tables and refuse two that share one
   * (FERRY_DESTINATION_COLLISION). Pure and cheap (no SDK). Omitted when all tables share one destination by
   * design and each record names its table (Kinesis: one stream). Several destinations (of different kinds) when the
   * sink keys its state by more than one name (the Kafka target: the source topic and the target topic).
   */
  destinationOf?(table: DestinationTable, o: { readonly type: string; readonly options: Readonly<Record<string, unknown>> }): SinkDestination | readonly SinkDestination[];
}
