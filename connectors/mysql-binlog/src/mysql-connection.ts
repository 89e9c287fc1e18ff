/**
 * Opening a connection to MySQL/MariaDB, with driver errors turned into coded, actionable FerryErrors.
 * Messages name host, port and user; never the password.
 */
import mysql from 'mysql2/promise';
import { FerryError } from '../../../core/src/errors.ts';
import type { Secret } from '../../../runtime/src/config/secrets.ts';
import { mysql2Ssl, type SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { connectWithCredentialRefresh, isMySqlAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';

export interface MySqlConnectionConfig {
  readonly engine: 'mysql' | 'mariadb' | 'postgres';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Pick<Secret, 'reveal'>;
  readonly database?: string | undefined;
  readonly connectTimeoutMs: number;
  /** source.ssl (runtime/src/config/tls-settings.ts); absent: no TLS. */
  readonly ssl?: SslSettings | undefined;
}

export function connectionOptions(c: MySqlConnectionConfig): mysql.ConnectionOptions {
  const ssl = mysql2Ssl(c.ssl, c.host);
  return {
    ...(ssl ? { ssl } : {}),
    host: c.host, port: c.port, user: c.user, password: c.password.reveal(),
    ...(c.database ? { database: c.database } : {}),
    connectTimeout: c.connectTimeoutMs,
    // Exact values: DECIMAL and BIGINT as strings, dates as text in UTC, JSON as its text (MariaDB JSON is a
    // LONGTEXT that mysql2 would otherwise JSON.parse, losing big numbers) (see docs/sources/mysql.md).
    supportBigNumbers: true, bigNumberStrings: true, decimalNumbers: false, dateStrings: true, timezone: 'Z', jsonStrings: true,
    charset: 'utf8mb4_general_ci', multipleStatements: false,
  };
}

/** `connection` names it in errors: "query connection", "snapshot connection", … */
export async function openMySql(c: MySqlConnectionConfig, connection = 'query connection'): Promise<mysql.Connection> {
  // A refused password from ${aws-sm:…} is fetched again once (a rotated secret): secret-refresh.ts.
  return connectWithCredentialRefresh({ connect: () => openMySqlOnce(c, connection), isAuthFailure: isMySqlAuthFailure, secrets: [c.password] });
}

async function openMySqlOnce(c: MySqlConnectionConfig, connection: string): Promise<mysql.Connection> {
  try {
    const conn = await mysql.createConnection(connectionOptions(c));
    await conn.query("SET time_zone = '+00:00'");
    return conn;
  } catch (e: unknown) {
    throw (await mysqlTlsError(e, c, connection)) ?? mysqlConnectError(e, c);
  }
}

/** A TLS failure of a connection to the source as its FerryError (tls-errors.ts), or null when it is not one. */
export function mysqlTlsError(e: unknown, c: MySqlConnectionConfig, connection: string): Promise<FerryError | null> {
  return explainTlsFailure(e, { protocol: 'mysql', endpoint: `${c.engine} at ${c.host}:${c.port}`, connection, option: 'source.ssl', host: c.host, port: c.port });
}

export function mysqlConnectError(e: unknown, c: MySqlConnectionConfig): FerryError {
  const err = e as { code?: string; errno?: number; message?: string };
  const where = `${c.engine} at ${c.host}:${c.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: connection refused. Check source.host and source.port, and that the server is running`, { cause: e });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: no answer within ${c.connectTimeoutMs} ms (${err.code}). Check source.host, source.port and firewalls`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: host name "${c.host}" does not resolve. Check source.host`, { cause: e });
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
      return new FerryError('FERRY_SOURCE_AUTH', `${where} rejected user "${c.user}": wrong password, or the user may not connect from this host. Check source.user and source.password`, { cause: e });
    case 'ER_BAD_DB_ERROR':
      return new FerryError('FERRY_SOURCE_DATABASE_MISSING', `database "${c.database}" does not exist on ${where}. Check source.database`, { cause: e });
    case 'ER_DBACCESS_DENIED_ERROR':
      return new FerryError('FERRY_SOURCE_PRIVILEGES', `user "${c.user}" may not access database "${c.database}" on ${where}. GRANT SELECT ON \`${c.database}\`.* TO the user`, { cause: e });
    default:
      return new FerryError('FERRY_SOURCE_ERROR', `cannot connect to ${where}: ${err.message ?? String(e)}`, { cause: e });
  }
}
