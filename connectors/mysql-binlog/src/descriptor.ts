/**
 * The MySQL/MariaDB source as a plugin (core/src/plugin.ts): binlog capture for `source.engine: mysql | mariadb`.
 * Cheap to import; the driver (mysql2) and the binlog client load when a task uses this source.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { warnIfTlsUnverified } from '../../../runtime/src/config/tls-settings.ts';
import type { SourcePlugin } from '../../../core/src/plugin.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import type { MySqlSourceConfig } from './MySqlSource.ts';

export const mysqlSource: SourcePlugin = {
  kind: 'source',
  engines: ['mysql', 'mariadb'],
  summary: 'MySQL and MariaDB binlog capture (row-based), with consistent and incremental snapshots',
  docs: 'docs/sources/mysql.md',
  defaultPort: 3306,
  connectorName: (engine) => (engine === 'mariadb' ? 'mariadb' : 'mysql'),
  options: {
    serverId: z.int().min(1).max(4294967295).optional().meta({ description: 'mysql/mariadb: the replica server_id Ferry uses for its binlog connection; must be unique among the server’s replicas. Default: 5400 + a hash of the task name (mod 1000).' }),
    includeSchemaChanges: z.boolean().optional().meta({ description: "mysql/mariadb: the older alias of settings.includeSchemaChanges (Debezium's include.schema.changes). true (default, as Debezium): each DDL statement that changes captured tables is also written, once per database it changes, to the schema-change topic named by kafka.topicPrefix (key {databaseName}; value {source, ts_ms, databaseName, schemaName, ddl, tableChanges}, tableChanges left empty). Written with a kafka block only: direct-mode targets have no such topic. See docs/event-format.md §1." }),
    mariadbJsonAs: z.enum(['json', 'string']).optional().meta({ description: "mysql/mariadb: the schema of a MariaDB JSON column (a LONGTEXT with a json_valid() check). json (default): io.debezium.data.Json, as MySQL's native JSON; string: a plain string, as Debezium's MariaDB connector writes it, so the schemas match Debezium's field for field. The values are the same text either way; MySQL's native JSON stays io.debezium.data.Json. See docs/event-format.md." }),
  },
  defaults: (source, taskName) => ({
    serverId: source.serverId ?? 5400 + (createHash('sha256').update(taskName).digest().readUInt32BE(0) % 1000),
  }),
  prerequisites: [
    'log_bin ON, binlog_format ROW, binlog_row_image FULL, a non-zero server_id, binlog retention longer than the longest outage',
    'GTIDs recommended (MySQL gtid_mode ON; MariaDB always has them, gtid_strict_mode ON recommended)',
    'a user with SELECT, REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR); RELOAD (or LOCK TABLES) optional: without it the snapshot is lock-free (settings.snapshotLocking)',
  ],
  async create(o) {
    warnIfTlsUnverified(o.source.ssl, `${o.source.engine} at ${o.source.host}:${o.source.port}`, 'source.ssl', o.log);
    const { createMySqlSource } = await import('./MySqlSource.ts');
    return createMySqlSource({
      config: o.source as MySqlSourceConfig, migrationType: o.migrationType, selector: o.selector, topicPrefix: o.topicPrefix,
      settings: o.settings, stateDir: o.stateDir, log: o.log, metrics: o.metrics,
    });
  },
  async check(o) {
    const { checkMySqlPrerequisites } = await import('./prerequisites.ts');
    return checkMySqlPrerequisites(o.source as MySqlSourceConfig);
  },
  async describeTables(o) {
    const { describeMySqlTables } = await import('./describe-tables.ts');
    const { mariaDbJsonAsString } = await import('./json-columns.ts');
    const { retypeTable } = await import('./value-handling.ts');
    const { defaultValueHandling } = await import('../../../core/src/value-handling.ts');
    const described = await describeMySqlTables(o.source as MySqlSourceConfig, o.selector);
    const modes = (o.source as MySqlSourceConfig).valueHandling ?? defaultValueHandling('mysql');
    const jsonAs = (t: TableSchema) => (o.source.mariadbJsonAs === 'string' ? mariaDbJsonAsString(t) : t);
    return { ...described, tables: described.tables.map((t) => retypeTable(jsonAs(t), modes).table) };
  },
  async readCatalog(o) {
    const { readMySqlCatalog } = await import('./catalog-reader.ts');
    return readMySqlCatalog(o.source as MySqlSourceConfig, o.selector);
  },
};
