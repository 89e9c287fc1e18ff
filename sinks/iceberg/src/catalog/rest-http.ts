/**
 * The HTTP layer of the Iceberg REST catalog client: one request with a timeout, authentication, retries with
 * exponential backoff where a retry is safe, and the catalog's answers mapped to FerryErrors that name the endpoint
 * and the fix. Uses Node's fetch (undici).
 *
 * Retry policy. Reads (GET, HEAD) and idempotent writes (create namespace or table: a repeat answers 409, which the
 * caller reads as "exists"; drop) are retried after a network error, a timeout, 429 and 5xx. A commit (`commit:
 * true`) is retried only when the catalog surely did not apply it: connection refused, 429, 503. After a timeout,
 * a connection lost mid-request, or 500/502/504 (the REST spec's CommitStateUnknown) its outcome is unknown: that
 * raises FERRY_ICEBERG_COMMIT_UNKNOWN, which RestCatalog.commitTable resolves by reloading the table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError } from '../../../../core/src/errors.ts';
import { restAuth, type RestAuth } from './rest-auth.ts';
import type { RestCatalogConfig } from './rest-config.ts';

export interface RestRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE';
  /** After the catalog's base URI, e.g. `/v1/config`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** A table commit: retried only where it surely was not applied. */
  commit?: boolean;
}

export interface RestResult {
  status: number;
  /** The parsed JSON body (undefined when empty). */
  json: unknown;
  /** `METHOD https://host/path`, for messages (no query, no user info). */
  endpoint: string;
  /** Integers in the body beyond 2^53 (as written), which a JS number cannot hold exactly (e.g. 63-bit snapshot ids). */
  unsafeIntegers: string[];
}

/** JSON.parse that also reports integer literals a JS number would round (Node 24's reviver source text). */
export function parseJson(text: string): { json: unknown; unsafeIntegers: string[] } {
  const unsafeIntegers: string[] = [];
  const json: unknown = JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
      unsafeIntegers.push(context.source);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
  return { json, unsafeIntegers };
}

/** The catalog's error body (OpenAPI ErrorModel), or a short excerpt of whatever it sent. */
export function describeError(json: unknown, text: string): { type?: string; message: string } {
  const err = (json as { error?: { message?: unknown; type?: unknown } } | undefined)?.error;
  if (err && typeof err === 'object' && typeof err.message === 'string') {
    return { ...(typeof err.type === 'string' ? { type: err.type } : {}), message: err.message };
  }
  const flat = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return { message: flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || '(empty body)' };
}

export class RestHttp {
  readonly #config: RestCatalogConfig;
  readonly #base: URL;
  readonly auth: RestAuth;

  constructor(config: RestCatalogConfig) {
    this.#config = config;
    this.#base = new URL(config.uri.replace(/\/+$/, ''));
    this.auth = restAuth(config.auth, this.#base.toString(), (url, init, what, signal) => this.#fetchOnce(url, init, what, false, signal));
  }

  /** The catalog's base URL for messages (without user info). */
  get base(): string { return `${this.#base.origin}${this.#base.pathname.replace(/\/+$/, '')}`; }

  url(path: string, query?: Record<string, string | undefined>): URL {
    const u = new URL(this.#base.toString());
    u.username = '';
    u.password = '';
    u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  async request(req: RestRequest): Promise<RestResult> {
    const url = this.url(req.path, req.query);
    const endpoint = `${req.method} ${url.origin}${url.pathname}`;
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      const baseHeaders: Record<string, string> = {
        accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.#config.headers,
      };
      const authHeaders = await this.auth.headers({ method: req.method, url, headers: baseHeaders, ...(body !== undefined ? { body } : {}) }, req.signal);
      const res = await this.#fetchOnce(url, { method: req.method, headers: { ...baseHeaders, ...authHeaders }, ...(body !== undefined ? { body } : {}) },
        endpoint, req.commit === true, req.signal, attempt < this.#config.retries);
      if (res === 'retry') { await this.#backoff(attempt, undefined, req.signal); continue; }
      const text = req.method === 'HEAD' ? '' : await res.text();
      let parsed: { json: unknown; unsafeIntegers: string[] } = { json: undefined, unsafeIntegers: [] };
      if (text !== '') { try { parsed = parseJson(text); } catch { /* not JSON: described below */ } }
      const { json } = parsed;
      const s = res.status;
      if ((s >= 200 && s < 300) || s === 404 || s === 409) return { status: s, json, endpoint, unsafeIntegers: parsed.unsafeIntegers };
      const { type, message } = describeError(json, text);
      const reason = `${s}${type ? ` ${type}` : ''}: ${message}`;
      if (s === 401 || s === 403) {
        if (s === 401 && !authRetried && this.auth.invalidate()) { authRetried = true; continue; }
        throw new FerryError('FERRY_ICEBERG_CATALOG_AUTH',
          `Iceberg REST catalog ${endpoint} refused Ferry's credentials (${reason}). Fix: ${s === 401
            ? `check catalog.auth (type ${this.#config.auth.type}${this.#config.auth.type === 'none' ? ': the catalog wants a token; set bearer, oauth2 or sigv4' : ''})`
            : 'grant the principal Ferry authenticates as the catalog privileges on this namespace/table'}.`,
          { details: { endpoint, status: s, ...(type ? { type } : {}) } });
      }
      const retryable = s === 429 || s === 503 || (s >= 500 && !req.commit);
      if (retryable && attempt < this.#config.retries) { await this.#backoff(attempt, res.headers.get('retry-after'), req.signal); continue; }
      if (req.commit && s >= 500 && s !== 503) {
        throw new FerryError('FERRY_ICEBERG_COMMIT_UNKNOWN', `Iceberg REST catalog ${endpoint}: the commit's outcome is unknown (${reason}).`,
          { details: { endpoint, status: s } });
      }
      throw new FerryError('FERRY_ICEBERG_CATALOG_ERROR', `Iceberg REST catalog ${endpoint} failed (${reason})${s < 500 ? '' : ` after ${attempt + 1} attempts`}.${hint(s, type)}`,
        { disposition: s >= 500 || s === 429 ? 'retry' : 'fatal', details: { endpoint, status: s, ...(type ? { type } : {}) } });
    }
  }

  /**
   * One fetch with the timeout. Network failures: 'retry' when `mayRetry` and a retry is safe; otherwise a
   * FerryError (UNREACHABLE, or COMMIT_UNKNOWN for a commit that may have reached the catalog).
   */
  async #fetchOnce(url: URL, init: RequestInit, endpoint: string, commit: boolean, signal?: AbortSignal, mayRetry?: false): Promise<Response>;
  async #fetchOnce(url: URL, init: RequestInit, endpoint: string, commit: boolean, signal: AbortSignal | undefined, mayRetry: boolean): Promise<Response | 'retry'>;
  async #fetchOnce(url: URL, init: RequestInit, endpoint: string, commit: boolean, signal?: AbortSignal, mayRetry = false): Promise<Response | 'retry'> {
    const timeout = AbortSignal.timeout(this.#config.timeoutMs);
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      if (signal?.aborted) throw new FerryError('FERRY_ABORTED', `Iceberg REST catalog ${endpoint}: cancelled`, { cause: e });
      const timedOut = timeout.aborted;
      const code = networkCode(e);
      const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      if (commit && !refused) {
        throw new FerryError('FERRY_ICEBERG_COMMIT_UNKNOWN',
          `Iceberg REST catalog ${endpoint}: the commit's outcome is unknown (${timedOut ? `no answer within ${this.#config.timeoutMs} ms` : code ?? 'connection lost'}).`,
          { cause: e, details: { endpoint, ...(code ? { code } : {}), timedOut } });
      }
      if (mayRetry) return 'retry';
      const why = timedOut ? `no answer within catalog.timeoutMs = ${this.#config.timeoutMs} ms` : code ?? (e instanceof Error ? e.message : String(e));
      throw new FerryError('FERRY_ICEBERG_CATALOG_UNREACHABLE',
        `Iceberg REST catalog ${endpoint} unreachable (${why}; retried with backoff up to catalog.retries = ${this.#config.retries} times). ` +
        `Fix: check catalog.uri (${this.base}) and that the catalog is running and reachable from here${timedOut ? ', or raise catalog.timeoutMs' : ''}.`,
        { cause: e, details: { endpoint, ...(code ? { code } : {}), timedOut } });
    }
  }

  async #backoff(attempt: number, retryAfter: string | null | undefined, signal?: AbortSignal): Promise<void> {
    const asked = retryAfter && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, 30_000) : 0;
    const exp = this.#config.retryBaseMs * 2 ** attempt;
    const ms = Math.max(asked, Math.min(exp, 30_000) * (0.5 + Math.random() / 2));
    try { await sleep(ms, undefined, signal ? { signal } : undefined); } catch (e) {
      throw new FerryError('FERRY_ABORTED', 'Iceberg REST catalog request cancelled', { cause: e });
    }
  }
}

function networkCode(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function hint(status: number, type: string | undefined): string {
  if (status === 400) return ' Fix: the catalog rejected the request as malformed; it may not support this operation or this format version (see its message).';
  if (type === 'NoSuchNamespaceException') return ' Fix: create the namespace, or check the namespace of the table.';
  if (status === 406 || type === 'UnsupportedOperationException') return ' Fix: the catalog does not support this operation.';
  return '';
}
