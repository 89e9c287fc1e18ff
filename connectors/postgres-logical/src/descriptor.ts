/**
 * The PostgreSQL source as a plugin (core/src/plugin.ts): logical decoding with pgoutput for `source.engine: postgres`.
 * Cheap to import; the driver (pg) and the replication stream load when a task uses this source.
 */
import { z } from 'zod';
import { warnIfTlsUnverified } from '../../../runtime/src/config/tls-settings.ts';
import type { SourcePlugin } from '../../../core/src/plugin.ts';
import type { PgSourceConfig } from './PgSource.ts';


export const postgresSource: SourcePlugin = {
  kind: 'source',
  engines: ['postgres'],
  summary: 'PostgreSQL logical decoding (pgoutput) with a managed slot and publication, consistent and incremental snapshots',
  docs: 'docs/sources/postgres.md',
  defaultPort: 5432,
  connectorName: () => 'postgresql',
  options: {
    slotName: z.string().regex(/^[a-z0-9_]{1,63}$/, 'expected 1-63 lower-case letters, digits or "_"').optional().meta({ description: 'postgres: the logical replication slot to use or create. Default: ferry_<task name>. See docs/sources/postgres.md.' }),
    publicationName: z.string().min(1).max(63).optional().meta({ description: 'postgres: an existing publication to read as it is. Default: ferry_<task name>, which Ferry creates and keeps in step with the table mapping.' }),
    decimalHandlingMode: z.enum(['precise', 'double', 'string']).optional().meta({ description: 'postgres: the older name of settings.decimalHandlingMode (Debezium\'s decimal.handling.mode), still accepted; a different value in both places is refused. Prefer the setting.' }),
    intervalHandlingMode: z.enum(['numeric', 'string']).optional().meta({ description: 'postgres: the older name of settings.intervalHandlingMode (Debezium\'s interval.handling.mode), still accepted; a different value in both places is refused. Prefer the setting.' }),
    failoverSlot: z.boolean().optional().meta({ description: 'postgres: create the replication slot as a failover slot (PostgreSQL 17+: CREATE_REPLICATION_SLOT … FAILOVER; an existing slot is altered), which standbys with sync_replication_slots = on keep in step, so the slot and the task survive a switch to a standby. Refused on PostgreSQL 16 and older. Default: off. See docs/sources/postgres.md "PostgreSQL versions".' }),
    unchangedToast: z.enum(['lookup', 'fail']).optional().meta({ description: "postgres: an UPDATE that leaves an out-of-line (TOASTed) value unchanged does not carry it under REPLICA IDENTITY DEFAULT. lookup (default): Ferry reads the value by primary key when the change is streamed, batched per table (the event lists the columns in the Kafka header ferry.unchanged-toast); the value read may already be a later one, whose own change follows, so targets converge; an update whose row is gone by then is not passed on (its delete follows). fail: such an update stops the task, and validate asks for REPLICA IDENTITY FULL. Under REPLICA IDENTITY FULL neither happens: the old row image carries the value. See docs/sources/postgres.md#toast-values." }),
    bitVaryingHandlingMode: z.enum(['bits', 'string']).optional().meta({ description: "postgres: how bit varying values travel. bits (default): Debezium's io.debezium.data.Bits, bytes that do not keep the bit count (B'01' reads back as the declared length); string: io.ferry.data.BitString, the exact bit string ('01'), which the database sinks write back exactly." }),
  },
  refine(source, problem) {
    if (source.database === undefined) problem('database', 'required field is missing (expected a string: the postgres database to capture)');
  },
  prerequisites: [
    'wal_level logical, a free replication slot and walsender (max_replication_slots, max_wal_senders)',
    'a user with REPLICATION, CONNECT and CREATE on the database (for the publication Ferry manages), and SELECT on the captured tables',
    'the tables\' owner creates the publication when Ferry\'s user does not own them (then set publicationName)',
    'a primary key or REPLICA IDENTITY FULL per table (REPLICA IDENTITY FULL where a column can be TOASTed is optional: values an UPDATE leaves unchanged are otherwise read by key)',
  ],
  async create(o) {
    warnIfTlsUnverified(o.source.ssl, `${o.source.engine} at ${o.source.host}:${o.source.port}`, 'source.ssl', o.log);
    const { createPgSource } = await import('./PgSource.ts');
    const source = o.source as PgSourceConfig;
    return createPgSource({
      config: source, migrationType: o.migrationType, selector: o.selector, topicPrefix: o.topicPrefix, settings: o.settings,
      stateDir: o.stateDir, log: o.log, metrics: o.metrics, taskName: o.taskName, heartbeatIntervalMs: o.settings.heartbeatIntervalMs,
      ...(source.slotName ? { slotName: source.slotName } : {}),
      ...(source.publicationName ? { publicationName: source.publicationName } : {}),
    });
  },
  async check(o) {
    const { checkPgPrerequisites } = await import('./prerequisites.ts');
    const { defaultSlotName } = await import('./slot.ts');
    const source = o.source as PgSourceConfig;
    return checkPgPrerequisites(source, {
      selector: o.selector,
      publicationName: source.publicationName ?? defaultSlotName(o.taskName),
      managedPublication: source.publicationName === undefined,
      insertOnlyTables: new Set(o.insertOnlyTables ?? []),
      unchangedToast: source.unchangedToast ?? 'lookup',
    });
  },
  async describeTables(o) {
    const { describePgTables } = await import('./describe-tables.ts');
    const { valueModesOf } = await import('./type-mapping.ts');
    return describePgTables(o.source as PgSourceConfig, o.selector, valueModesOf(o.source as PgSourceConfig));
  },
  async readCatalog(o) {
    const { readPgCatalog } = await import('./catalog-reader.ts');
    return readPgCatalog(o.source as PgSourceConfig, o.selector);
  },
};

