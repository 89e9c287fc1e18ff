/**
 * The control connection while the binlog streams: the schema tracker reads table definitions on it at every DDL,
 * the CDC window asks it for the server's position, and it idles for hours in between. A lost connection (a KILL, a
 * server restart, a network cut, a failover, a credential rotation that closes sessions) used to fail the task at the
 * next query ("Can't add new command when connection is in closed state"), although the binlog connection itself
 * reconnects. This wrapper opens a new connection when a query fails because the connection is gone, then runs the
 * query again once on it: the stream's queries on this connection only read (information_schema, SHOW, SELECT), so
 * running one again is harmless. Any other error is passed on as it is.
 *
 * Not for the snapshot phase: a lock or a transaction held on the connection would be lost silently with it.
 */
import type mysql from 'mysql2/promise';
import type { Logger } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { isConnectionLoss } from './binlog-errors.ts';

export interface ReconnectingControlOptions {
  /** The connection in use now. */
  readonly first: mysql.Connection;
  /** Opens a new one (openMySql: a refused password from a secret reference is fetched again). */
  readonly open: () => Promise<mysql.Connection>;
  /** Session settings to apply again on a new connection (e.g. SET SESSION wait_timeout). */
  readonly session?: readonly string[];
  readonly log: Logger;
}

/** The stream's session setting on the control connection: it idles between DDLs for as long as the task runs. */
export const STREAM_CONTROL_SESSION = 'SET SESSION wait_timeout = 31536000';

/** Whether a query failed because its connection is gone (rather than because of the query). */
export function isControlLost(e: unknown): boolean {
  if (isConnectionLoss(e)) return true;
  const err = e as { fatal?: unknown; message?: unknown; errno?: unknown };
  if (err.errno === 1927 || err.errno === 1053) return true; // ER_CONNECTION_KILLED (MariaDB), ER_SERVER_SHUTDOWN
  return err.fatal === true || /connection is in closed state/i.test(String(err.message ?? ''));
}

/** A Connection that reopens itself when a query finds it gone (see above). destroy() and end() reach the current one. */
export function reconnectingControl(o: ReconnectingControlOptions): mysql.Connection {
  let current = o.first;
  let reopening: Promise<mysql.Connection> | null = null;
  let closed = false;
  const reopen = (failed: mysql.Connection, cause: unknown): Promise<mysql.Connection> => {
    if (current !== failed) return Promise.resolve(current); // another query reopened it already
    reopening ??= (async () => {
      o.log.warn({ err: errorMessage(cause) }, 'the control connection to the source was lost; opening a new one');
      failed.destroy();
      const next = await o.open();
      for (const s of o.session ?? []) await next.query(s);
      current = next;
      return next;
    })().finally(() => { reopening = null; });
    return reopening;
  };
  const retrying = (method: 'query' | 'execute') => async (...args: unknown[]) => {
    const conn = current;
    try {
      return await (conn[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (e: unknown) {
      if (closed || !isControlLost(e)) throw e;
      const next = await reopen(conn, e);
      return (next[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    }
  };
  const query = retrying('query');
  const execute = retrying('execute');
  return new Proxy(o.first, {
    get(_target, prop) {
      if (prop === 'query') return query;
      if (prop === 'execute') return execute;
      if (prop === 'destroy' || prop === 'end') {
        return (...args: unknown[]) => {
          closed = true;
          return (current[prop] as (...a: unknown[]) => unknown)(...args);
        };
      }
      const v = (current as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current) : v;
    },
  });
}
