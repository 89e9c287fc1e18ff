/**
 * The narrow interface every Redshift statement goes through, so the sink does not care how SQL reaches the
 * cluster: the PostgreSQL wire protocol (PgSqlExecutor, below), the Redshift Data API, or the test-only stand-in
 * (test/TestOnlyPgCopyExecutor.ts). One executor is one session: temp tables and transactions span its calls.
 */
import pg from 'pg';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';

export interface SqlResult {
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number;
}

export interface SqlExecutor {
  execute(sql: string): Promise<SqlResult>;
  close(): Promise<void>;
}

export interface PgConnectionOptions {
  readonly host: string;
  /** Default 5439 (Redshift). */
  readonly port?: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** TLS; Redshift requires it by default. Default true. */
  readonly ssl?: boolean;
  readonly connectTimeoutMs?: number;
  /** Per-statement timeout; default none. */
  readonly statementTimeoutMs?: number;
}

/** SQLSTATEs retrying cannot fix: syntax, undefined object, privileges, authentication, data errors. */
const FATAL_SQLSTATE = /^(42|28|22|0A)/;

export function classifySqlError(e: unknown, sql: string): FerryError {
  const code = (e as { code?: string }).code;
  const first = sql.split('\n')[0]!.slice(0, 200);
  const fatal = typeof code === 'string' && FATAL_SQLSTATE.test(code);
  return new FerryError('FERRY_SINK_ERROR', `Redshift statement failed${code ? ` (SQLSTATE ${code})` : ''}: ${errorMessage(e)} — in: ${first}`, {
    cause: e, disposition: fatal ? 'fatal' : 'retry', ...(code ? { details: { sqlstate: code } } : {}),
  });
}

/** Redshift over the PostgreSQL wire protocol (the `pg` driver). Reconnects lazily after a failure. */
export class PgSqlExecutor implements SqlExecutor {
  readonly #o: PgConnectionOptions;
  #client: pg.Client | undefined;

  constructor(options: PgConnectionOptions) {
    this.#o = options;
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const c = new pg.Client({
      host: this.#o.host, port: this.#o.port ?? 5439, database: this.#o.database, user: this.#o.user, password: this.#o.password,
      ssl: this.#o.ssl === false ? false : { rejectUnauthorized: true }, connectionTimeoutMillis: this.#o.connectTimeoutMs ?? 10000,
      ...(this.#o.statementTimeoutMs ? { statement_timeout: this.#o.statementTimeoutMs } : {}),
    });
    c.on('error', () => { this.#client = undefined; });
    try {
      await c.connect();
    } catch (e: unknown) {
      throw classifySqlError(e, `connect to ${this.#o.host}:${this.#o.port ?? 5439}`);
    }
    this.#client = c;
    return c;
  }

  async execute(sql: string): Promise<SqlResult> {
    const c = await this.#connect();
    try {
      const r = await c.query(sql);
      return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
    } catch (e: unknown) {
      const err = classifySqlError(e, sql);
      if (err.disposition === 'retry') {
        // The session may be gone (and a transaction with it): start over on a new connection.
        await c.end().catch(() => {});
        this.#client = undefined;
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
  }
}
