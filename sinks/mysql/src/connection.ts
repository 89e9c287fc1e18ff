/**
 * The MySQL sink's connection: mysql2 options from the config (TLS modes as the sources name them), the names of the
 * GET_LOCK locks that serialize writers of one stream or one table's DDL, and which driver errors mean the connection
 * is gone rather than the data refused.
 */
import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'mysql2/promise';
import { mysql2Ssl } from '../../../runtime/src/config/tls-settings.ts';
import type { MySqlSinkConfig } from './config.ts';
import { currentSecretValue } from '../../../runtime/src/config/secrets.ts';

/** mysql2 connection options of the config. */
export function mysqlConnection(c: MySqlSinkConfig): ConnectionOptions {
  const ssl = mysql2Ssl(c.ssl, c.host);
  return {
    host: c.host, port: c.port, user: c.user, password: currentSecretValue(c.password), connectTimeout: c.connectTimeoutMs, charset: 'utf8mb4',
    supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, multipleStatements: false, ...(ssl ? { ssl } : {}),
  };
}

/**
 * A named lock of at most 64 characters (GET_LOCK's limit): the name, or a hash of it when longer. Each part but the
 * last is length-prefixed, so no two part lists share a name (and no NUL: the server cuts names at one).
 */
export function lockName(kind: 'stream' | 'ddl', ...parts: string[]): string {
  const key = parts.map((p, i) => (i < parts.length - 1 ? `${p.length}:${p}` : p)).join(':');
  const n = `ferry_${kind}:${key}`;
  return n.length <= 64 ? n : `ferry_${kind}:${createHash('sha256').update(key).digest('hex').slice(0, 48)}`;
}

/** Whether a mysql2 error lost the connection (or was not the server's): not a refusal of the data. */
export function connectionLost(e: unknown): boolean {
  const err = e as { sqlState?: unknown; fatal?: unknown };
  return err.fatal === true || typeof err.sqlState !== 'string' || err.sqlState === '' || err.sqlState.startsWith('08');
}
