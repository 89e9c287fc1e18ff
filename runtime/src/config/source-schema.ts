/**
 * The connection keys every source shares in the task's `source` block. Each source plugin adds its own keys
 * (SourcePlugin.options in core/src/plugin.ts); app/src/task-file/task-schema.ts joins them into one declaration.
 */
import { z } from 'zod';
import { secret } from './settings-schema.ts';
import { sslOption } from './tls-settings.ts';

export const sourceConnectionShape = {
  host: z.string().min(1).meta({ description: 'Host name or IP address of the source database.', examples: ['127.0.0.1'] }),
  port: z.int().min(1).max(65535).optional().meta({ description: 'TCP port. Default: the engine’s (3306 for mysql/mariadb, 5432 for postgres).' }),
  user: z.string().min(1).meta({ description: 'User Ferry connects as. See docs/sources for the privileges it needs.' }),
  password: secret().meta({ description: 'Password of `user`. Use a reference: ${env:NAME} or ${file:path}.', secret: true }),
  database: z.string().min(1).optional().meta({ description: 'postgres: the database to capture (required). mysql/mariadb: optional default schema for the connection.' }),
  connectTimeoutMs: z.int().min(100).max(600000).default(10000).meta({ description: 'How long to wait for a connection to the source, in milliseconds.' }),
  ssl: sslOption().meta({ description: 'TLS to the source, for every connection Ferry opens to it (queries, snapshots, and the binlog or replication connection): {mode: disable | require | verify-ca | verify-full, ca, cert, key}. Absent: no TLS. Given without mode: verify-full. See docs/tls.md.' }),
};
