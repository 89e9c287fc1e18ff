/**
 * Opening a connection to PostgreSQL, with driver errors turned into coded, actionable FerryErrors.
 * Messages name host, port, user and database; never the password.
 */
import pg from 'pg';
import { FerryError } from '../../../core/src/errors.ts';
import type { Secret } from '../../../runtime/src/config/secrets.ts';
import { pgSsl, type SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { connectWithCredentialRefresh, isPgAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';

export interface PgConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Pick<Secret, 'reveal'>;
  readonly database?: string | undefined;
  readonly connectTimeoutMs: number;
  /** source.ssl (runtime/src/config/tls-settings.ts); absent: no TLS. */
  readonly ssl?: SslSettings | undefined;
}

/**
 * Session settings every connection of a change-capture task runs with, so that the text form of every value is
 * the same in snapshots (COPY) and in pgoutput (the walsender's output functions use its session settings), and
 * is what value-conversion.ts parses.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  DateStyle: 'ISO,YMD', IntervalStyle: 'postgres', TimeZone: 'UTC', extra_float_digits: '1', bytea_output: 'hex',
  lc_monetary: 'C', standard_conforming_strings: 'on', client_encoding: 'UTF8',
};

/** Every value as the server's text, never through a pg type parser (no JSON.parse of jsonb, no Date, no float int8). */
export const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: (() => (v: string) => v) as unknown as pg.CustomTypesConfig['getTypeParser'] };

/** A connection with SESSION_SETTINGS and raw text values; `replication` opens a walsender (replication=database). */
export async function openSession(c: PgConnectionConfig, options: { readonly replication?: boolean; readonly applicationName?: string; readonly settings?: Readonly<Record<string, string>> } = {}): Promise<pg.Client> {
  const settings = Object.entries({ ...options.settings, ...SESSION_SETTINGS }).map(([k, v]) => `-c ${k}=${v.replace(/[\\ ]/g, '\\$&')}`).join(' ');
  const connection = options.replication ? 'replication connection' : /snapshot/.test(options.applicationName ?? '') ? 'snapshot connection' : 'query connection';
  return openPg(c, {
    options: settings, types: RAW_TEXT, application_name: options.applicationName ?? 'ferry',
    ...(options.replication ? ({ replication: 'database' } as Partial<pg.ClientConfig>) : {}),
  }, connection);
}

/** Double-quotes an identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal (standard_conforming_strings is on in every Ferry session). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `connection` names it in errors: "query connection", "replication connection", … */
export async function openPg(c: PgConnectionConfig, extra: Partial<pg.ClientConfig> = {}, connection = 'query connection'): Promise<pg.Client> {
  // A refused password from ${aws-sm:…} is fetched again once (a rotated secret): secret-refresh.ts.
  return connectWithCredentialRefresh({ connect: () => openPgOnce(c, extra, connection), isAuthFailure: isPgAuthFailure, secrets: [c.password] });
}

async function openPgOnce(c: PgConnectionConfig, extra: Partial<pg.ClientConfig>, connection: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: c.host, port: c.port, user: c.user, password: c.password.reveal(), database: c.database ?? 'postgres',
    connectionTimeoutMillis: c.connectTimeoutMs, application_name: 'ferry', ssl: pgSsl(c.ssl), ...extra,
  });
  client.on('error', () => undefined); // reported through the failing query instead
  try {
    await client.connect();
    return client;
  } catch (e: unknown) {
    await client.end().catch(() => undefined);
    throw (await explainTlsFailure(e, { protocol: 'postgres', endpoint: `postgres at ${c.host}:${c.port}`, connection, option: 'source.ssl', host: c.host, port: c.port })) ?? pgConnectError(e, c);
  }
}

export function pgConnectError(e: unknown, c: PgConnectionConfig): FerryError {
  const err = e as { code?: string; message?: string };
  const where = `postgres at ${c.host}:${c.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: connection refused. Check source.host and source.port, and that the server is running`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: host name "${c.host}" does not resolve. Check source.host`, { cause: e });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: no answer within ${c.connectTimeoutMs} ms. Check source.host, source.port and firewalls`, { cause: e });
    case '28P01':
    case '28000':
      return new FerryError('FERRY_SOURCE_AUTH', `${where} rejected user "${c.user}": wrong password, or pg_hba.conf does not allow this user from this host. Check source.user and source.password`, { cause: e });
    case '3D000':
      return new FerryError('FERRY_SOURCE_DATABASE_MISSING', `database "${c.database}" does not exist on ${where}. Check source.database`, { cause: e });
    default:
      if (/timeout/i.test(err.message ?? '')) {
        return new FerryError('FERRY_SOURCE_UNREACHABLE', `cannot connect to ${where}: no answer within ${c.connectTimeoutMs} ms. Check source.host, source.port and firewalls`, { cause: e });
      }
      return new FerryError('FERRY_SOURCE_ERROR', `cannot connect to ${where}: ${err.message ?? String(e)}`, { cause: e });
  }
}
