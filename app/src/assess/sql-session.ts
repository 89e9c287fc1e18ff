/**
 * One database session for the assessment's own queries: the source through the source plugin's connection code
 * (read-only: every statement the assessment sends the source is a SELECT or SHOW), a postgres/mysql target through
 * the target's options (app/src/convert-schema/convert-schema.ts taskTargetConnection). Rows come back as plain
 * objects of text (PostgreSQL: raw text, MySQL: big numbers as strings).
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { TargetConnection } from '../convert-schema/convert-schema.ts';

export type Row = Record<string, unknown>;

export interface SqlSession {
  readonly engine: 'mysql' | 'postgres';
  /** PostgreSQL placeholders are $1…, MySQL's ?. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** A read-only session on the task's source (MySQL/MariaDB or PostgreSQL). */
export async function openSourceSession(task: ResolvedTask): Promise<SqlSession> {
  if (task.source.engine === 'postgres') {
    const { openSession } = await import('../../../connectors/postgres-logical/src/pg-connection.ts');
    const client = await openSession(task.source as never, { applicationName: 'ferry-assess', settings: { default_transaction_read_only: 'on' } });
    return {
      engine: 'postgres',
      async query(sql, params) { return (await client.query(sql, params as unknown[] | undefined)).rows as Row[]; },
      close: () => client.end().catch(() => undefined),
    };
  }
  const { openMySql } = await import('../../../connectors/mysql-binlog/src/mysql-connection.ts');
  const conn = await openMySql(task.source as never);
  conn.on('error', () => undefined);
  await conn.query('SET SESSION TRANSACTION READ ONLY');
  return {
    engine: 'mysql',
    async query(sql, params) { return (await conn.query(sql, params as unknown[] | undefined))[0] as Row[]; },
    close: () => conn.end().catch(() => undefined),
  };
}

/** A session on a postgres/mysql target; FERRY_SINK_ERROR naming the target when it cannot connect. */
export async function openTargetSession(c: TargetConnection): Promise<SqlSession> {
  const { mysql2Ssl, pgSsl } = await import('../../../runtime/src/config/tls-settings.ts');
  try {
    if (c.type === 'postgres') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({
        host: c.host, port: c.port, user: c.user, password: c.password, ...(c.database !== undefined ? { database: c.database } : {}),
        connectionTimeoutMillis: c.connectTimeoutMs, application_name: 'ferry-assess', ssl: pgSsl(c.ssl),
        types: { getTypeParser: () => (v: string) => v } as never,
      });
      client.on('error', () => undefined);
      await client.connect();
      return {
        engine: 'postgres',
        async query(sql, params) { return (await client.query(sql, params as unknown[] | undefined)).rows as Row[]; },
        close: () => client.end().catch(() => undefined),
      };
    }
    const { createConnection } = await import('mysql2/promise');
    const conn = await createConnection({
      host: c.host, port: c.port, user: c.user, password: c.password, connectTimeout: c.connectTimeoutMs, charset: 'utf8mb4',
      supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, ...(mysql2Ssl(c.ssl, c.host) ? { ssl: mysql2Ssl(c.ssl, c.host) } : {}),
    });
    conn.on('error', () => undefined);
    return {
      engine: 'mysql',
      async query(sql, params) { return (await conn.query(sql, params as unknown[] | undefined))[0] as Row[]; },
      close: () => conn.end().catch(() => undefined),
    };
  } catch (e: unknown) {
    const { targetTlsError } = await import('../convert-schema/convert-schema.ts');
    const tlsError = await targetTlsError(e, c, c.type === 'postgres' ? 'postgres' : 'mysql', 'assessment connection');
    if (tlsError) throw tlsError;
    throw new FerryError('FERRY_SINK_ERROR', `cannot connect to the target ${c.name} (${c.type === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} at ${c.host}:${c.port}, user ${c.user}): ${errorMessage(e)}`, { cause: e });
  }
}

/** Runs `fn` with a session and closes it. */
export async function withSession<T>(open: () => Promise<SqlSession>, fn: (s: SqlSession) => Promise<T>): Promise<T> {
  const s = await open();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
