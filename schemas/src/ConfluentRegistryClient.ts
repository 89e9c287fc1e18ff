/**
 * A SchemaRegistry over the Confluent Schema Registry REST API, as served by Apicurio
 * (`/apis/ccompat/v7`), Confluent, Karapace and Redpanda.
 *
 * - Caches: (subject, schema fingerprint) → id, and id → schema. Concurrent identical requests share one call.
 * - Every request has a timeout (AbortSignal.timeout) and follows the caller's AbortSignal.
 * - Network errors, timeouts, 408, 429 and 5xx are retried with exponential backoff; other 4xx are not.
 * - Errors are FerryErrors: FERRY_REGISTRY_UNREACHABLE (names the URL and `npm run services:status`),
 *   FERRY_SCHEMA_INCOMPATIBLE (409 on register, names the subject), FERRY_REGISTRY_ERROR (with the
 *   registry's error_code and message; 'fatal' for 4xx, 'retry' for 5xx), FERRY_ABORTED.
 * - Basic auth from the options or from user info in the URL, or a bearer token; never logged or put in a message.
 * - https:// with the system CAs, or with `tls` (a private CA, a client certificate); a certificate that fails
 *   verification is a fatal one-line error naming the URL, the reason and the option to fix.
 * - Requests go over node:http/node:https (registry-http.ts), not the global fetch, whose HTTP client and
 *   WebAssembly parser would stay resident for the life of the process.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, SchemaRegistry } from '../../core/src/types.ts';
import { FerryError, errorMessage } from '../../core/src/errors.ts';
import { tlsFailureMessage, tlsFailureOf } from '../../core/src/tls-failure.ts';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { registryFetch, type RegistryFetch, type RegistryResponse } from './registry-http.ts';
import { avroSchemaToString } from './avro-mapping.ts';

export type CompatibilityLevel =
  | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE';

export interface ConfluentRegistryClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. User info in it is used as basic auth. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** A static bearer token (`Authorization: Bearer …`), instead of basic auth. */
  readonly bearerToken?: string;
  /** TLS options for an https:// URL (ca, cert, key, passphrase, servername, rejectUnauthorized); default: system CAs. */
  readonly tls?: TlsOptions;
  /** The option that holds `tls`, named in certificate errors; default `kafka.schemaRegistryTls`. */
  readonly tlsOption?: string;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt for retriable failures; default 4. */
  readonly retries?: number;
  /** First backoff delay, doubled per retry up to 5 s; default 100 ms. */
  readonly backoffMs?: number;
  /** Cancels every request and backoff wait. */
  readonly signal?: AbortSignal;
  /** Injected for tests (the global fetch fits); defaults to node:http/node:https (registry-http.ts). */
  readonly fetch?: RegistryFetch;
  readonly log?: Logger;
}

export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: object;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAX_BACKOFF_MS = 5000;

class HttpError extends Error {
  readonly status: number;
  readonly errorCode: number | undefined;
  readonly registryMessage: string;
  constructor(status: number, errorCode: number | undefined, registryMessage: string) {
    super(`HTTP ${status}${errorCode !== undefined ? `, error_code ${errorCode}` : ''}: ${registryMessage}`);
    this.status = status;
    this.errorCode = errorCode;
    this.registryMessage = registryMessage;
  }
}

function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The schema text as registered, and its fingerprint for the caches. */
function schemaText(schema: object): { readonly text: string; readonly fingerprint: string } {
  const text = typeof schema === 'string' ? schema : avroSchemaToString(schema);
  return { text, fingerprint: createHash('sha256').update(text).digest('base64url') };
}

export class ConfluentRegistryClient implements SchemaRegistry {
  /** The base URL without credentials, for messages. */
  readonly url: string;
  readonly #auth: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: RegistryFetch;
  readonly #log: Logger | undefined;
  readonly #tlsOption: string;
  readonly #ids = new Map<string, Promise<number>>();
  readonly #schemas = new Map<number, Promise<object>>();

  constructor(options: ConfluentRegistryClientOptions) {
    const endpoint = registryEndpoint(options.url, options);
    this.url = endpoint.url;
    this.#auth = options.bearerToken !== undefined ? `Bearer ${options.bearerToken}` : endpoint.authorization;
    this.#tlsOption = options.tlsOption ?? 'kafka.schemaRegistryTls';
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = options.retries ?? 4;
    this.#backoffMs = options.backoffMs ?? 100;
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? registryFetch(options.tls);
    this.#log = options.log;
  }

  /** The registered subjects (GET /subjects): also the reachability check of `ferry validate`. */
  async listSubjects(): Promise<string[]> {
    try {
      const body = await this.#request('GET', '/subjects');
      if (!Array.isArray(body)) throw this.#unexpected('subject list', body);
      return body.filter((x): x is string => typeof x === 'string');
    } catch (e: unknown) {
      throw this.#toFerryError(e, 'list subjects');
    }
  }

  /** Registers (idempotently) under `subject` and returns the global id. Cached per (subject, schema text). */
  register(subject: string, schema: object): Promise<number> {
    const { text, fingerprint } = schemaText(schema);
    const k = `${subject}\u0000${fingerprint}`;
    let p = this.#ids.get(k);
    if (p === undefined) {
      p = this.#register(subject, text);
      p.catch(() => this.#ids.delete(k));
      this.#ids.set(k, p);
    }
    return p;
  }

  /**
   * Registers a schema of another type (JSON Schema, Protobuf: docs/formats.md) as its text, idempotently; cached per
   * (subject, type, text).
   */
  registerSchema(subject: string, schemaType: 'AVRO' | 'JSON' | 'PROTOBUF', text: string): Promise<number> {
    const k = `${subject}\u0000${schemaType}\u0000${createHash('sha256').update(text).digest('base64url')}`;
    let p = this.#ids.get(k);
    if (p === undefined) {
      p = this.#register(subject, text, schemaType);
      p.catch(() => this.#ids.delete(k));
      this.#ids.set(k, p);
    }
    return p;
  }

  async #register(subject: string, text: string, schemaType: 'AVRO' | 'JSON' | 'PROTOBUF' = 'AVRO'): Promise<number> {
    try {
      const body = await this.#request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schemaType, schema: text });
      const id = (body as { id?: unknown }).id;
      if (typeof id !== 'number') throw this.#unexpected('register', body);
      return id;
    } catch (e: unknown) {
      if (e instanceof HttpError && e.status === 409) {
        throw new FerryError('FERRY_SCHEMA_INCOMPATIBLE',
          `the new schema for subject ${subject} is incompatible with its registered versions under the subject's compatibility level (registry: ${e.registryMessage}); ` +
          'evolve the table compatibly, or change the subject\'s compatibility level in the registry',
          { cause: e, details: { subject, errorCode: e.errorCode } });
      }
      throw this.#toFerryError(e, `register a schema under subject ${subject}`);
    }
  }

  /** The schema with a global id, parsed. Cached. */
  getById(id: number): Promise<object> {
    let p = this.#schemas.get(id);
    if (p === undefined) {
      p = this.#getById(id);
      p.catch(() => this.#schemas.delete(id));
      this.#schemas.set(id, p);
    }
    return p;
  }

  async #getById(id: number): Promise<object> {
    try {
      const body = await this.#request('GET', `/schemas/ids/${id}`);
      return this.#parseSchema(body, `schema id ${id}`);
    } catch (e: unknown) {
      throw this.#toFerryError(e, `fetch schema id ${id}`);
    }
  }

  /**
   * Whether `schema` is compatible with the subject's latest version under the subject's compatibility level.
   * A subject (or version) that does not exist yet accepts anything: true.
   */
  async isCompatible(subject: string, schema: object): Promise<boolean> {
    const { text } = schemaText(schema);
    try {
      const body = await this.#request('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, { schemaType: 'AVRO', schema: text });
      const v = (body as { is_compatible?: unknown }).is_compatible;
      if (typeof v !== 'boolean') throw this.#unexpected('compatibility check', body);
      return v;
    } catch (e: unknown) {
      if (e instanceof HttpError && e.status === 404 && (e.errorCode === undefined || e.errorCode === 40401 || e.errorCode === 40402 || e.errorCode === 404)) return true;
      throw this.#toFerryError(e, `check compatibility for subject ${subject}`);
    }
  }

  /** The latest registered version of a subject, or null when the subject does not exist. */
  async latestVersion(subject: string): Promise<SubjectVersion | null> {
    try {
      const body = await this.#request('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`) as Record<string, unknown>;
      if (typeof body.id !== 'number' || typeof body.version !== 'number') throw this.#unexpected('latest version', body);
      return { subject: typeof body.subject === 'string' ? body.subject : subject, version: body.version, id: body.id, schema: this.#parseSchema(body, `subject ${subject}`) };
    } catch (e: unknown) {
      if (e instanceof HttpError && e.status === 404) return null;
      throw this.#toFerryError(e, `fetch the latest version of subject ${subject}`);
    }
  }

  /** Sets a subject's compatibility level (PUT /config/{subject}). */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    try {
      await this.#request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    } catch (e: unknown) {
      throw this.#toFerryError(e, `set the compatibility of subject ${subject}`);
    }
  }

  /** Deletes a subject (soft, then with `permanent` also hard). Returns the deleted versions; [] when absent. */
  async deleteSubject(subject: string, options: { readonly permanent?: boolean } = {}): Promise<number[]> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    try {
      const versions = await this.#request('DELETE', path) as number[];
      if (options.permanent) await this.#request('DELETE', `${path}?permanent=true`);
      for (const k of this.#ids.keys()) if (k.startsWith(`${subject}\u0000`)) this.#ids.delete(k);
      return Array.isArray(versions) ? versions : [];
    } catch (e: unknown) {
      if (e instanceof HttpError && e.status === 404) return [];
      throw this.#toFerryError(e, `delete subject ${subject}`);
    }
  }

  #parseSchema(body: unknown, what: string): object {
    const text = (body as { schema?: unknown }).schema;
    if (typeof text !== 'string') throw this.#unexpected(what, body);
    try {
      return JSON.parse(text) as object;
    } catch (e: unknown) {
      throw new FerryError('FERRY_REGISTRY_ERROR', `the registry at ${this.url} returned ${what} as text that is not JSON`, { cause: e, disposition: 'fatal' });
    }
  }

  #unexpected(what: string, body: unknown): FerryError {
    return new FerryError('FERRY_REGISTRY_ERROR', `unexpected ${what} response from the schema registry at ${this.url}: ${JSON.stringify(body)?.slice(0, 300)}`, { disposition: 'fatal' });
  }

  #toFerryError(e: unknown, action: string): FerryError {
    if (e instanceof FerryError) return e;
    if (e instanceof HttpError) {
      return new FerryError('FERRY_REGISTRY_ERROR',
        `schema registry at ${this.url} refused to ${action}: ${e.message}`,
        { cause: e, disposition: isRetriableStatus(e.status) ? 'retry' : 'fatal', details: { status: e.status, errorCode: e.errorCode } });
    }
    return new FerryError('FERRY_INTERNAL', `failed to ${action}: ${errorMessage(e)}`, { cause: e });
  }

  /** One REST call with timeout, retries and backoff. Resolves with the parsed JSON body (null when empty). */
  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.url}${path}`;
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.#auth !== undefined) headers.authorization = this.#auth;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let lastNetworkError: unknown;
    for (let attempt = 0; ; attempt++) {
      if (this.#signal?.aborted) throw this.#aborted(method, path);
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
      let res: RegistryResponse | undefined;
      try {
        res = await this.#fetch(url, { method, headers, body: payload, signal });
      } catch (e: unknown) {
        if (this.#signal?.aborted) throw this.#aborted(method, path);
        const tls = this.url.startsWith('https:') ? tlsFailureOf(e) : undefined;
        if (tls) {
          throw new FerryError('FERRY_REGISTRY_ERROR', tlsFailureMessage(`the schema registry at ${this.url}`, tls, this.#tlsOption), { cause: e, disposition: 'fatal', details: { url: this.url, reason: tls.kind } });
        }
        lastNetworkError = timeout.aborted ? new Error(`no answer within ${this.#timeoutMs} ms`) : e;
      }
      if (res !== undefined) {
        const text = await res.text().catch(() => '');
        if (res.ok) {
          try {
            return text === '' ? null : JSON.parse(text) as unknown;
          } catch (e: unknown) {
            throw new FerryError('FERRY_REGISTRY_ERROR', `schema registry at ${this.url} answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: e, disposition: 'fatal' });
          }
        }
        const err = parseError(res.status, text);
        if (!isRetriableStatus(res.status) || attempt >= this.#retries) throw err;
        this.#log?.warn({ url, method, status: res.status, attempt: attempt + 1 }, 'schema registry request failed; retrying');
      } else if (attempt >= this.#retries) {
        throw new FerryError('FERRY_REGISTRY_UNREACHABLE',
          `schema registry at ${this.url} is unreachable (${describeNetworkError(lastNetworkError)}) after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}; ` +
          'check that it is running: npm run services:status',
          { cause: lastNetworkError, details: { url: this.url } });
      } else {
        this.#log?.warn({ url, method, attempt: attempt + 1, error: describeNetworkError(lastNetworkError) }, 'schema registry unreachable; retrying');
      }
      const delay = Math.min(this.#backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
      try {
        await sleep(delay, undefined, this.#signal ? { signal: this.#signal } : undefined);
      } catch {
        throw this.#aborted(method, path);
      }
    }
  }

  #aborted(method: string, path: string): FerryError {
    return new FerryError('FERRY_ABORTED', `schema registry request ${method} ${path} was cancelled`);
  }
}

/**
 * The registry's base URL without user info (for requests, which fetch refuses with credentials in the URL, and for
 * messages), and the HTTP Basic authorization built from the user info or from explicit options. A percent-encoded
 * user name or password is decoded; one that is not valid percent-encoding is taken as written.
 */
export function registryEndpoint(url: string, credentials: { readonly username?: string; readonly password?: string } = {}): { readonly url: string; readonly authorization: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e: unknown) {
    const shown = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
    throw new FerryError('FERRY_REGISTRY_ERROR', `schema registry URL is not a valid URL: ${JSON.stringify(shown)}`, { cause: e, disposition: 'fatal' });
  }
  const decode = (s: string): string => { try { return decodeURIComponent(s); } catch { return s; } };
  const user = credentials.username ?? (parsed.username !== '' ? decode(parsed.username) : undefined);
  const password = credentials.password ?? (parsed.password !== '' ? decode(parsed.password) : undefined);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString().replace(/\/+$/, ''),
    authorization: user !== undefined || password !== undefined ? `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64')}` : undefined,
  };
}

function parseError(status: number, text: string): HttpError {
  try {
    const j = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    return new HttpError(status, typeof j.error_code === 'number' ? j.error_code : undefined,
      typeof j.message === 'string' ? j.message : text.slice(0, 300));
  } catch {
    return new HttpError(status, undefined, text.slice(0, 300) || '(empty body)');
  }
}

function describeNetworkError(e: unknown): string {
  // fetch (and registry-http.ts) wrap the socket error: TypeError('fetch failed', { cause: Error { code: 'ECONNREFUSED' } }).
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string' && cause.message !== '') return cause.message;
  return errorMessage(e);
}
