/**
 * The server `ferry discover` inventories: a task file's source block, a connection URL without a password
 * (`mysql://user@host:3306`, `mariadb://…`, `postgres://user@host:5432/db`), or the task source's keys as flags
 * (--engine, --host, --port, --user, --database). The password comes only from an environment variable
 * (--password-env) or a file (--password-file), never from the command line, and travels as a Secret.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { SourceBlock } from '../../../core/src/plugin.ts';
import { MAX_SECRET_FILE_BYTES, Secret } from '../../../runtime/src/config/secrets.ts';
import { UsageError } from '../cli/arg-parsers.ts';
import { loadTaskFile } from '../task-file/load-task.ts';
import { DISCOVER_ENGINES, type DiscoverEngine } from './model.ts';

export interface ConnectionFlags {
  readonly engine?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly passwordEnv?: string;
  readonly passwordFile?: string;
  readonly timeoutMs?: number;
}

export interface DiscoverConnection {
  readonly engine: DiscoverEngine;
  /** The source block the connectors' readers take (password a Secret). */
  readonly source: SourceBlock;
  /** A database named by the task file or the URL (PostgreSQL: the one to connect to first). */
  readonly database?: string;
}

const DEFAULT_PORTS: Readonly<Record<DiscoverEngine, number>> = { mysql: 3306, mariadb: 3306, postgres: 5432 };
const URL_RE = /^(mysql|mariadb|postgres|postgresql):\/\//i;

export function isConnectionUrl(s: string): boolean {
  return URL_RE.test(s);
}

function engineOf(value: string): DiscoverEngine {
  const e = value.toLowerCase() === 'postgresql' ? 'postgres' : value.toLowerCase();
  if (!(DISCOVER_ENGINES as readonly string[]).includes(e)) throw new UsageError(`--engine expects one of ${DISCOVER_ENGINES.join(', ')}, got ${JSON.stringify(value)}`);
  return e as DiscoverEngine;
}

function password(flags: ConnectionFlags): Secret {
  if (flags.passwordEnv !== undefined && flags.passwordFile !== undefined) throw new UsageError('give the password with --password-env or --password-file, not both');
  if (flags.passwordEnv !== undefined) {
    const v = process.env[flags.passwordEnv];
    if (v === undefined) throw new UsageError(`--password-env names the environment variable ${JSON.stringify(flags.passwordEnv)}, which is not set (export it before running ferry)`);
    return new Secret(v);
  }
  if (flags.passwordFile !== undefined) {
    let size: number;
    try {
      size = statSync(flags.passwordFile).size;
    } catch {
      throw new UsageError(`--password-file: cannot read ${JSON.stringify(flags.passwordFile)}`);
    }
    if (size > MAX_SECRET_FILE_BYTES) throw new UsageError(`--password-file: ${JSON.stringify(flags.passwordFile)} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    return new Secret(readFileSync(flags.passwordFile, 'utf8').replace(/\r?\n$/, ''));
  }
  return new Secret('');
}

/** The connection from a URL or the flags; `target` is the command's argument (a task file or a URL), if any. */
export function resolveConnection(target: string | undefined, flags: ConnectionFlags): DiscoverConnection {
  const timeout = flags.timeoutMs ?? 10_000;
  if (target !== undefined && !isConnectionUrl(target)) {
    if (!existsSync(target)) throw new UsageError(`${JSON.stringify(target)} is neither a task file nor a connection URL (mysql://user@host:port, mariadb://…, postgres://user@host:port/database)`);
    const given = (['engine', 'host', 'port', 'user', 'passwordEnv', 'passwordFile'] as const).filter((k) => flags[k] !== undefined);
    if (given.length > 0) throw new UsageError(`with a task file the connection comes from its source block: drop ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
    const task = loadTaskFile(target);
    const engine = engineOf(task.source.engine);
    return { engine, source: { ...task.source, ...(flags.timeoutMs !== undefined ? { connectTimeoutMs: timeout } : {}) }, ...(task.source.database ? { database: task.source.database } : {}) };
  }
  let engine = flags.engine !== undefined ? engineOf(flags.engine) : undefined;
  let host = flags.host;
  let port = flags.port;
  let user = flags.user;
  let database: string | undefined;
  if (target !== undefined) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError('the connection URL does not parse: expected mysql://user@host:port, mariadb://user@host:port or postgres://user@host:port/database');
    }
    // Never echo the URL: it may hold a password.
    if (url.password !== '') throw new UsageError('the connection URL holds a password: pass it with --password-env VAR or --password-file PATH instead (never on the command line)');
    const fromUrl = engineOf(url.protocol.slice(0, -1));
    if (engine !== undefined && engine !== fromUrl) throw new UsageError(`--engine ${engine} contradicts the URL's ${fromUrl}`);
    engine = fromUrl;
    host = host ?? (decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') || undefined);
    port = port ?? (url.port !== '' ? Number(url.port) : undefined);
    user = user ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (path !== '') database = path;
  }
  if (engine === undefined) throw new UsageError('discover needs a task file, a connection URL, or --engine (mysql, mariadb or postgres) with --host and --user');
  if (host === undefined) throw new UsageError('discover needs --host (or a host in the connection URL)');
  if (user === undefined) throw new UsageError('discover needs --user (or a user in the connection URL)');
  const source: SourceBlock = {
    engine, host, port: port ?? DEFAULT_PORTS[engine], user, password: password(flags), connectTimeoutMs: timeout,
    ...(database !== undefined ? { database } : {}),
  };
  return { engine, source, ...(database !== undefined ? { database } : {}) };
}
