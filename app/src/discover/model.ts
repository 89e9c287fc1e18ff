/**
 * The shape of `ferry discover`'s report (docs/discovery.md): declared once in zod, with descriptions. The JSON output
 * is this object; docs/discovery.schema.json is generated from it (`z.toJSONSchema`), and the tests parse the
 * command's output with it, so the document and the output cannot drift apart.
 */
import { z } from 'zod';

export const DISCOVER_ENGINES = ['mysql', 'mariadb', 'postgres'] as const;
export type DiscoverEngine = (typeof DISCOVER_ENGINES)[number];

/** The target engines discovery weighs for each database. */
export const CANDIDATE_TARGETS = ['postgres', 'mysql', 'mariadb'] as const;
export type CandidateTarget = (typeof CANDIDATE_TARGETS)[number];

export const FEATURE_KINDS = [
  'views', 'procedures', 'functions', 'triggers', 'lobColumns', 'partitionedTables', 'generatedColumns', 'foreignKeys',
  'sequences', 'extensions', 'events', 'jsonColumns', 'spatialColumns', 'userDefinedTypes',
] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

const count = z.int().min(0);

export const featureItemSchema = z.strictObject({
  object: z.string().meta({ description: 'The object, qualified: "db.view", "db.table.column", "db.table.trigger"; PostgreSQL: "schema.object" within the database.' }),
  detail: z.string().optional().meta({ description: 'What it is: the column type, the trigger timing and event, the partitioning method and count, the extension version.' }),
});
export type FeatureItem = z.infer<typeof featureItemSchema>;

export const tableSchema = z.strictObject({
  schema: z.string().meta({ description: 'MySQL/MariaDB: the database; PostgreSQL: the schema.' }),
  name: z.string(),
  rows: z.int().min(0).nullable().meta({ description: 'Row count: estimated from the catalog (MySQL TABLE_ROWS, PostgreSQL reltuples), or exact with --exact-counts. null: the catalog has no estimate yet (PostgreSQL table never analyzed).' }),
  rowsExact: z.boolean().meta({ description: 'Whether `rows` was counted with COUNT(*).' }),
  dataBytes: count.meta({ description: 'Size of the data (MySQL DATA_LENGTH; PostgreSQL pg_table_size, with TOAST), partitions included.' }),
  indexBytes: count.meta({ description: 'Size of the indexes (MySQL INDEX_LENGTH; PostgreSQL pg_indexes_size), partitions included.' }),
  primaryKey: z.boolean().meta({ description: 'Whether the table has a primary key (change capture and validation need one, or a full-row identity).' }),
  partitions: count.meta({ description: 'Number of partitions; 0 when not partitioned.' }),
  engine: z.string().optional().meta({ description: 'MySQL/MariaDB storage engine (InnoDB, MyISAM, Aria…).' }),
});
export type DiscoveredTable = z.infer<typeof tableSchema>;

export const candidateSchema = z.strictObject({
  target: z.enum(CANDIDATE_TARGETS),
  score: count.meta({ description: 'Effort points (docs/discovery.md, "Effort score"): manual items weigh by kind, warnings 1, keyless tables 2, plus the features the converter does not handle.' }),
  level: z.enum(['none', 'low', 'medium', 'high']),
  auto: count.meta({ description: 'Objects the schema conversion (ferry convert-schema) converts automatically.' }),
  warning: count.meta({ description: 'Objects converted with a warning.' }),
  manual: count.meta({ description: 'Objects that need manual work.' }),
  manualByKind: z.record(z.string(), count).meta({ description: 'Manual items per object kind (procedure, trigger, column type…), plus the discovery-only kinds (event, extension, partitioned table).' }),
  topIssues: z.array(z.strictObject({ kind: z.string(), object: z.string(), reason: z.string() })).meta({ description: 'Up to 10 manual items, procedures and triggers first.' }),
});
export type Candidate = z.infer<typeof candidateSchema>;

export const effortSchema = z.strictObject({
  recommendedTarget: z.enum(CANDIDATE_TARGETS),
  score: count.meta({ description: 'The recommended target\'s effort score.' }),
  level: z.enum(['none', 'low', 'medium', 'high']).meta({ description: 'none: 0; low: 1–10; medium: 11–50; high: over 50.' }),
  reasons: z.array(z.string()).meta({ description: 'Why this target, in words.' }),
  candidates: z.array(candidateSchema),
});
export type Effort = z.infer<typeof effortSchema>;

export const databaseSchema = z.strictObject({
  name: z.string().meta({ description: 'MySQL/MariaDB: the database (schema); PostgreSQL: the database.' }),
  schemas: z.array(z.string()).meta({ description: 'PostgreSQL: the schemas holding objects (system schemas left out); MySQL/MariaDB: [name].' }),
  tables: z.array(tableSchema),
  totals: z.strictObject({
    tables: count,
    rows: count.meta({ description: 'Sum of the known row counts.' }),
    dataBytes: count,
    indexBytes: count,
    tablesWithoutPrimaryKey: count,
  }),
  features: z.strictObject(Object.fromEntries(FEATURE_KINDS.map((k) => [k, z.array(featureItemSchema)])) as Record<FeatureKind, z.ZodArray<typeof featureItemSchema>>)
    .meta({ description: 'The features in use, each a list of objects. lobColumns: BLOB/TEXT/JSON (MySQL), bytea/text/json/jsonb/xml (PostgreSQL); extensions: PostgreSQL only; events: MySQL/MariaDB only; sequences: PostgreSQL and MariaDB.' }),
  rowWritesPerSecond: z.number().min(0).nullable().meta({ description: 'Rows inserted, updated and deleted per second in this database during the sample (PostgreSQL pg_stat_database; MySQL performance_schema table I/O when it is on); null when the engine does not tell or no sample was taken.' }),
  effort: effortSchema.nullable().meta({ description: 'The migration effort and recommended target; null when the catalog could not be read (see notes).' }),
});
export type DiscoveredDatabase = z.infer<typeof databaseSchema>;

export const writeRateSchema = z.strictObject({
  method: z.enum(['binlog', 'wal']),
  sampledSeconds: z.number().min(0),
  logBytes: count.nullable().meta({ description: 'Bytes the binlog (SHOW BINARY LOGS / SHOW MASTER STATUS positions) or the WAL (pg_current_wal_lsn() difference) grew by during the sample.' }),
  logBytesPerSecond: z.number().min(0).nullable(),
  rowWritesPerSecond: z.number().min(0).nullable().meta({ description: 'Server-wide rows written per second (PostgreSQL: tup_inserted + tup_updated + tup_deleted of every database); MySQL/MariaDB: DML statements per second (Com_insert, Com_update, Com_delete, Com_replace and their multi-table forms).' }),
  note: z.string().optional().meta({ description: 'Why a value is null (a missing privilege, binary logging off, a standby).' }),
});
export type WriteRate = z.infer<typeof writeRateSchema>;

export const discoveryReportSchema = z.strictObject({
  ok: z.literal(true),
  discoveredAt: z.string().meta({ description: 'When discovery started (ISO 8601, UTC).' }),
  server: z.strictObject({
    engine: z.enum(DISCOVER_ENGINES),
    host: z.string(),
    port: z.int(),
    version: z.string(),
  }),
  options: z.strictObject({ exactCounts: z.boolean(), sampleSeconds: z.number().min(0), databases: z.array(z.string()).meta({ description: 'The --database filter; empty: every database.' }) }),
  writeRate: writeRateSchema.nullable().meta({ description: 'null with --sample-seconds 0.' }),
  databases: z.array(databaseSchema),
  totals: z.strictObject({ databases: count, tables: count, rows: count, dataBytes: count, indexBytes: count }),
  notes: z.array(z.string()).meta({ description: 'What discovery could not see and why (a database without CONNECT, a missing privilege).' }),
}).meta({ title: 'ferry discover report', description: 'The output of `ferry discover --json` (docs/discovery.md).' });
export type DiscoveryReport = z.infer<typeof discoveryReportSchema>;

export function emptyFeatures(): Record<FeatureKind, FeatureItem[]> {
  return Object.fromEntries(FEATURE_KINDS.map((k) => [k, [] as FeatureItem[]])) as Record<FeatureKind, FeatureItem[]>;
}
