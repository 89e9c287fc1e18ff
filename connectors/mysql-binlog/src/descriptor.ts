/**
 * The MySQL/MariaDB source as a plugin (core/src/plugin.ts): binlog capture for `source.engine: mysql | mariadb`.
 * Cheap to import; the driver (mysql2) and the binlog client load when a task uses this source.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SourcePlugin } from '../../../core/src/plugin.ts';
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
  },
  defaults: (source, taskName) => ({
    serverId: source.serverId ?? 5400 + (createHash('sha256').update(taskName).digest().readUInt32BE(0) % 1000),
  }),
  prerequisites: [
    'log_bin ON, binlog_format ROW, binlog_row_image FULL, a non-zero server_id, binlog retention longer than the longest outage',
    'GTIDs recommended (MySQL gtid_mode ON; MariaDB always has them, gtid_strict_mode ON recommended)',
    'a user with SELECT, REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR); MySQL also RELOAD',
  ],
  async create(o) {
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
    return describeMySqlTables(o.source as MySqlSourceConfig, o.selector);
  },
  async readCatalog(o) {
    const { readMySqlCatalog } = await import('./catalog-reader.ts');
    return readMySqlCatalog(o.source as MySqlSourceConfig, o.selector);
  },
};
