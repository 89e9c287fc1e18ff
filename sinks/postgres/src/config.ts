/** Options of the PostgreSQL sink (task targets of type `postgres`), declared once with zod. */
import { z } from 'zod';
import { sslOption, sslSchema } from '../../../runtime/src/config/tls-settings.ts';
import { targetConsumersShape } from '../../../runtime/src/sink-worker/target-options.ts';

/** The shared `ssl` declaration of database sources and targets (runtime/src/config/tls-settings.ts). */
export const postgresSslSchema = sslSchema;

export const postgresSinkSchema = z.strictObject({
  host: z.string().min(1).meta({ description: 'Host name or IP address of the target PostgreSQL server.', examples: ['127.0.0.1'] }),
  port: z.int().min(1).max(65535).default(5432).meta({ description: 'TCP port.' }),
  user: z.string().min(1).meta({ description: 'User the sink connects as: CREATE on the database (for schemas) or on the target schemas, and INSERT/UPDATE/DELETE/TRUNCATE on the tables (docs/sinks/postgres.md#privileges).' }),
  password: z.string().min(1).meta({ description: 'Password of `user`. Use a reference: ${env:NAME} or ${file:path}.', secret: true }),
  database: z.string().min(1).meta({ description: 'Target database.' }),
  schema: z.string().min(1).optional().meta({ description: 'Schema of every target table. Default: the source schema name (the MySQL database), so each table lands in a schema of the same name.' }),
  stateSchema: z.string().min(1).default('public').meta({ description: 'Schema of the sink’s own tables (_ferry_sink_offsets: applied positions; _ferry_sink_tables: prepared tables).' }),
  ssl: sslOption().meta({ description: 'TLS to the target server: {mode: disable | require | verify-ca | verify-full, ca, cert, key}, as the sources’ (docs/tls.md). Absent: no TLS. Given without mode: verify-full.' }),
  applyMode: z.enum(['batch-optimized', 'transactional']).default('batch-optimized').meta({ description: 'batch-optimized: the net change per key over a batch, one target transaction per batch (fast). transactional: each source transaction is one target transaction, in commit order.' }),
  tablePreparation: z.enum(['do-nothing', 'drop-and-create', 'truncate-before-load']).default('do-nothing').meta({ description: 'What happens to a target table the first time this sink writes it (DMS TargetTablePrepMode). do-nothing: create it if missing, keep its rows; drop-and-create: drop and create it; truncate-before-load: create if missing, else TRUNCATE. A table is created from the schema conversion of the source catalog (types, defaults, primary and unique keys, checks, indexes; docs/schema-conversion.md) when the task’s source is readable at start, else from the event schema.' }),
  createTablesFrom: z.enum(['source-catalog', 'event-schema']).default('source-catalog').meta({ description: 'What a table the sink creates is built from. source-catalog: the schema conversion of the task’s source catalog, read once at start (`ferry run`, and `ferry sink` when the task’s source is reachable; else the event schema, with a warning); event-schema: the columns and primary key of the change events only (as Debezium’s JDBC sink).' }),
  indexes: z.enum(['with-table', 'after-full-load']).default('after-full-load').meta({ description: 'When the secondary indexes of a table created from the source catalog are built. after-full-load: when the table’s full load is over (the snapshot’s last event, or the table’s first streamed change), so the load does not maintain them row by row; with-table: in CREATE TABLE’s transaction. The primary key and unique keys are always created with the table.' }),
  droppedColumns: z.enum(['drop', 'keep']).default('drop').meta({ description: 'A column the source dropped (absent from a new schema version while an earlier version the sink saw has it). drop: ALTER TABLE … DROP COLUMN before the first change without it, so the target keeps the source’s shape (as AWS DMS applies DROP COLUMN); keep: the column stays, made nullable, with the values it had (as Debezium’s JDBC sink). A column the source renamed is renamed either way when the event schema says so (docs/sinks/postgres.md#schema-changes-during-cdc).' }),
  disableTriggersAndForeignKeys: z.enum(['if-permitted', 'required', 'no']).default('if-permitted').meta({ description: 'SET session_replication_role = replica so triggers and foreign keys do not fire or block the load. if-permitted: try, and log a warning when the user may not (PostgreSQL 15: superuser, or GRANT SET ON PARAMETER session_replication_role); required: fail when it may not; no: leave them on.' }),
  timeType: z.enum(['auto', 'time', 'interval']).default('auto').meta({ description: 'Target type of time-of-day columns (Debezium Time/MicroTime). auto: interval for MySQL/MariaDB sources (their TIME may be negative or beyond 24 h), time for PostgreSQL sources; time: always time (values outside 00:00–24:00 are dead-lettered); interval: always interval.' }),
  copyThreshold: z.int().min(1).default(64).meta({ description: 'A table’s upserts or deletes of one batch go through COPY into a temp table when there are at least this many, else through multi-row statements. Full loads always COPY.' }),
  maxBatchRecords: z.int().min(1).max(10_000_000).default(50_000).meta({ description: 'Most changes per batch (one target transaction in batch-optimized mode).' }),
  maxBatchBytes: z.int().min(1024).default(128 * 1024 * 1024).meta({ description: 'Most input bytes per batch.' }),
  maxBatchDelayMs: z.int().min(0).max(3_600_000).default(1_000).meta({ description: 'Longest time a change waits for its batch.' }),
  connectTimeoutMs: z.int().min(100).max(600_000).default(10_000).meta({ description: 'How long to wait for a connection, in milliseconds.' }),
  ...targetConsumersShape,
});

export type PostgresSinkConfigInput = z.input<typeof postgresSinkSchema>;
export type PostgresSinkConfig = z.output<typeof postgresSinkSchema>;
