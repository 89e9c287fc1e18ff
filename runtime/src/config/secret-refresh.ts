/**
 * Retrying a connection once with fetched-again credentials: when a database refuses the credentials (the password
 * was rotated in AWS Secrets Manager and on the server), the secrets the connection uses that can be fetched again
 * (Secret.refresh: `${aws-sm:…}` values) are fetched, and if one of them changed the connection is opened once more
 * with the new value (whose error, if any, is raised). Otherwise the first error is raised. Every later
 * connection (reconnects after a lost connection included) reads the current value through Secret.reveal().
 */
import type { Logger } from '../../../core/src/types.ts';
import { Secret, refreshableSecretOf, type SecretRefresh } from './secrets.ts';

export interface CredentialRefreshOptions<T> {
  /** Opens the connection; reads the secrets' current values with reveal() on every call. */
  readonly connect: () => Promise<T>;
  /** Whether an error of connect() is the server refusing the credentials. */
  readonly isAuthFailure: (e: unknown) => boolean;
  /**
   * The secrets the connection authenticates with (password, key passphrase…): those that are refreshable Secrets
   * (a Secret with a source, or any object with a refresh() like it) are fetched again; others are skipped.
   */
  readonly secrets: readonly unknown[];
}

/** connect(), and on an authentication failure, connect() once more after refreshing the secrets, if one changed. */
export async function connectWithCredentialRefresh<T>(o: CredentialRefreshOptions<T>): Promise<T> {
  try {
    return await o.connect();
  } catch (first: unknown) {
    if (!o.isAuthFailure(first)) throw first;
    const refreshes = o.secrets.map(refreshOf).filter((p): p is Promise<SecretRefresh> => p !== null);
    if (refreshes.length === 0) throw first;
    let changed: boolean;
    try {
      changed = (await Promise.all(refreshes)).some((r) => r.changed);
    } catch (e: unknown) {
      // The secret store failed too: the credentials error is the one to show, with why no new value came.
      (first as { refreshError?: unknown }).refreshError = e;
      throw first;
    }
    if (!changed) throw first;
    return await o.connect();
  }
}

function refreshOf(s: unknown): Promise<SecretRefresh> | null {
  const refresh = (s as Partial<Pick<Secret, 'refresh'>> | null | undefined)?.refresh;
  return typeof refresh === 'function' ? refresh.call(s) : null;
}

/** Whether `e`, or an error in its cause chain, matches. */
function inCauseChain(e: unknown, match: (err: { errno?: unknown; code?: unknown }) => boolean): boolean {
  let cur = e;
  for (let i = 0; i < 5 && cur !== null && typeof cur === 'object'; i++) {
    if (match(cur as { errno?: unknown; code?: unknown })) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** MySQL/MariaDB refusing the credentials: ER_ACCESS_DENIED_ERROR (errno 1045), or a FerryError caused by it. */
export function isMySqlAuthFailure(e: unknown): boolean {
  return inCauseChain(e, (x) => x.errno === 1045 || x.code === 'ER_ACCESS_DENIED_ERROR' || x.code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR');
}

/** PostgreSQL refusing the credentials: SQLSTATE 28P01 (invalid_password) or 28000 (invalid_authorization_specification). */
export function isPgAuthFailure(e: unknown): boolean {
  return inCauseChain(e, (x) => x.code === '28P01' || x.code === '28000');
}

/**
 * Logs every refresh of the refreshable secrets in `value` (a task): which reference was fetched again and whether
 * its value changed (never the value). Returns the function that stops logging.
 */
export function logSecretRefreshes(value: unknown, log: Logger): () => void {
  const stops: (() => void)[] = [];
  const seen = new Set<unknown>();
  const watch = (secret: Secret | undefined): void => {
    if (secret === undefined || secret.reference === undefined || seen.has(secret)) return;
    seen.add(secret);
    stops.push(secret.onRefresh((r) => log.warn({ secretReference: r.reference, changed: r.changed, ...(r.error ? { error: r.error } : {}) }, r.error
      ? `the credentials were refused, and fetching ${r.reference} again failed: ${r.error}`
      : r.changed
        ? `the credentials were refused: fetched ${r.reference} again and got a new value; connecting with it`
        : `the credentials were refused: fetched ${r.reference} again, but its value has not changed`)));
  };
  const walk = (v: unknown, depth: number): void => {
    // A target's options hold the text: its refreshable Secret is found by value.
    if (typeof v === 'string') return watch(refreshableSecretOf(v));
    if (depth > 64 || v === null || typeof v !== 'object' || seen.has(v)) return;
    if (v instanceof Secret) return watch(v);
    seen.add(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  walk(value, 0);
  return () => { for (const s of stops) s(); };
}
