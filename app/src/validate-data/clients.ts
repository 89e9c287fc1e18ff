/**
 * Database connections of `ferry validate-data`: a pool per side implementing the validation core's SqlClient
 * (runtime/src/validation/model.ts). Every session reads in UTC (MySQL time_zone +00:00, PostgreSQL TimeZone UTC)
 * with utf8mb4 / UTF8 text; the source's sessions are read-only (SET SESSION TRANSACTION READ ONLY,
 * default_transaction_read_only), so validation cannot write to the source even by mistake.
 */
import { mysql2Ssl, pgSsl, type SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { errorMessage, FerryError, type ErrorCode } from '../../../core/src/errors.ts';
import type { SqlClient, ValidationEngine } from '../../../runtime/src/validation/model.ts';

export interface Connection {
  readonly engine: ValidationEngine;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** PostgreSQL: the database; MySQL: optional. */
  readonly database?: string;
  /** The source's or target's `ssl` (runtime/src/config/tls-settings.ts). */
  readonly ssl?: SslSettings | undefined;
  readonly connectTimeoutMs: number;
  readonly readOnly: boolean;
  /** Pool size: the most concurrent queries. */
  readonly connections: number;
  /** For error messages: 'the source' / 'the target pg'. */
  readonly label: string;
  /** The error code of a connection failure. */
  readonly unreachable: ErrorCode;
}

export interface PooledClient extends SqlClient {
  /** Runs a statement that writes (the failures table on the target); never used on the source. */
  execute(sql: string, values?: readonly unknown[]): Promise<void>;
  /** Runs statements in one transaction (the failures table on the target); never used on the source. */
  transaction(statements: readonly { readonly sql: string; readonly values: readonly unknown[] }[]): Promise<void>;
  /** A read query with parameters (`?` on MySQL, `$1…` on PostgreSQL), every value as text (the console's failures reader). */
  select(sql: string, values: readonly unknown[]): Promise<readonly (readonly (string | null)[])[]>;
  end(): Promise<void>;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));


export async function openClient(c: Connection): Promise<PooledClient> {
  const client = c.engine === 'mysql' ? await openMySql(c) : await openPg(c);
  try {
    await client.query('SELECT 1');
  } catch (e: unknown) {
    await client.end().catch(() => undefined);
    const tlsError = await explainTlsFailure(e, {
      protocol: c.engine === 'mysql' ? 'mysql' : 'postgres', endpoint: `${c.label} at ${c.host}:${c.port}`, connection: 'validation connection',
      option: c.unreachable === 'FERRY_SOURCE_UNREACHABLE' ? 'source.ssl' : 'targets[].ssl', host: c.host, port: c.port,
    });
    if (tlsError) throw tlsError;
    throw new FerryError(c.unreachable, `cannot connect to ${c.label} (${c.engine === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'} at ${c.host}:${c.port}, user ${c.user}): ${errorMessage(e)}`, { cause: e });
  }
  return client;
}

async function openMySql(c: Connection): Promise<PooledClient> {
  const { createPool } = await import('mysql2/promise');
  const ssl = mysql2Ssl(c.ssl, c.host);
  const pool = createPool({
    host: c.host, port: c.port, user: c.user, password: c.password, ...(c.database ? { database: c.database } : {}), connectTimeout: c.connectTimeoutMs,
    charset: 'utf8mb4', timezone: 'Z', connectionLimit: c.connections, rowsAsArray: true, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, ...(ssl ? { ssl } : {}),
  });
  // Queued on the new connection before the first query a caller sends on it.
  pool.pool.on('connection', (conn) => {
    conn.on('error', () => undefined);
    conn.query("SET time_zone = '+00:00'");
    if (c.readOnly) conn.query('SET SESSION TRANSACTION READ ONLY');
  });
  return {
    engine: 'mysql',
    async query(sql) {
      const [rows] = await pool.query({ sql, rowsAsArray: true });
      return (rows as unknown[][]).map((r) => r.map(text));
    },
    async select(sql, values) {
      const [rows] = await pool.query({ sql, rowsAsArray: true }, values as unknown[]);
      return (rows as unknown[][]).map((r) => r.map(text));
    },
    async execute(sql, values) {
      if (c.readOnly) throw new FerryError('FERRY_INTERNAL', 'validate-data tried to write to the source');
      await pool.query(sql, values as unknown[] | undefined);
    },
    async transaction(statements) {
      if (c.readOnly) throw new FerryError('FERRY_INTERNAL', 'validate-data tried to write to the source');
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        for (const s of statements) await conn.query(s.sql, s.values as unknown[]);
        await conn.commit();
      } catch (e: unknown) {
        await conn.rollback().catch(() => undefined);
        throw e;
      } finally {
        conn.release();
      }
    },
    end: () => pool.end(),
  };
}

async function openPg(c: Connection): Promise<PooledClient> {
  const { default: pg } = await import('pg');
  const ssl = pgSsl(c.ssl);
  const pool = new pg.Pool({
    host: c.host, port: c.port, user: c.user, password: c.password, ...(c.database ? { database: c.database } : {}), connectionTimeoutMillis: c.connectTimeoutMs,
    max: c.connections, application_name: 'ferry-validate-data', ...(ssl ? { ssl } : {}),
    options: `-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=1 -c client_encoding=UTF8${c.readOnly ? ' -c default_transaction_read_only=on' : ''}`,
  });
  pool.on('error', () => undefined);
  return {
    engine: 'postgres',
    async query(sql) {
      const r = await pool.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } as never });
      return (r.rows as unknown[][]).map((row) => row.map(text));
    },
    async select(sql, values) {
      const r = await pool.query({ text: sql, values: values as unknown[], rowMode: 'array', types: { getTypeParser: () => (v: string) => v } as never });
      return (r.rows as unknown[][]).map((row) => row.map(text));
    },
    async execute(sql, values) {
      if (c.readOnly) throw new FerryError('FERRY_INTERNAL', 'validate-data tried to write to the source');
      await pool.query(sql, values as unknown[] | undefined);
    },
    async transaction(statements) {
      if (c.readOnly) throw new FerryError('FERRY_INTERNAL', 'validate-data tried to write to the source');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const s of statements) await client.query(s.sql, s.values as unknown[]);
        await client.query('COMMIT');
      } catch (e: unknown) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    end: () => pool.end(),
  };
}
