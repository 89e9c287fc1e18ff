/**
 * A small client of the task REST API, used by `ferry tasks …`, `ferry tokens …`, `ferry audit` and `ferry top --api`
 * (app/src/cli/commands). Speaks http:// and https://; with `ca` an https:// server is verified against that CA
 * (PEM) instead of the system's, host name included. A certificate that fails verification is a one-line error naming
 * the server, the reason and the option that fixes it (--ca).
 */
import type { IncomingMessage } from 'node:http';
import { http } from '../../../core/src/node-http.ts';
import { request as httpsRequest } from 'node:https';
import { FerryError, errorMessage, type ErrorCode } from '../../../core/src/errors.ts';
import { tlsFailureOf, type TlsFailureKind } from '../../../core/src/tls-failure.ts';

export interface ApiClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8470 or https://ferry.internal:8470. */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs?: number;
  /** PEM of the CA(s) that signed an https:// server's certificate (`--ca FILE`); default the system CAs. */
  readonly ca?: string;
}

const TLS_CODES: Partial<Record<TlsFailureKind, ErrorCode>> = {
  'unknown-ca': 'FERRY_TLS_UNTRUSTED_CERT', 'host-mismatch': 'FERRY_TLS_HOSTNAME_MISMATCH', expired: 'FERRY_TLS_CERT_EXPIRED', 'not-tls': 'FERRY_TLS_NOT_SUPPORTED',
};

/** The error of a request that got no HTTP answer: a TLS failure named with its fix, or nothing answering. */
function transportError(url: string, e: unknown, withCa: boolean): FerryError {
  const tls = tlsFailureOf(e);
  if (tls) {
    const fix = tls.kind === 'unknown-ca' ? (withCa ? 'the --ca file is not the CA that signed the server\'s certificate: pass that CA' : 'pass --ca FILE with the CA (PEM) that signed the server\'s certificate')
      : tls.kind === 'host-mismatch' ? 'use a URL with a host name the certificate names (or reissue the certificate with this one)'
        : tls.kind === 'not-tls' ? 'the server serves plain HTTP: use an http:// URL (or start it with --tls-cert and --tls-key)'
          : 'renew the server\'s certificate (`ferry serve --tls-cert`)';
    return new FerryError(TLS_CODES[tls.kind] ?? 'FERRY_TLS_HANDSHAKE', `the task API at ${url}: ${tls.reason}; ${fix}`, { cause: e });
  }
  const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
  return new FerryError('FERRY_SOURCE_UNREACHABLE', `nothing answers at ${url} (${cause}); start the server with \`ferry serve\` or pass --url`, { cause: e });
}

/** An answer other than 2xx: the HTTP status and the API's error body. */
export class ApiResponseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: readonly { path: string; message: string }[];
  constructor(status: number, code: string, message: string, problems: readonly { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

export class ApiClient {
  readonly #o: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#o = options;
  }

  /** One request; the answer's status and body text. */
  #send(method: string, path: string, body: string | undefined, accept: string): Promise<{ status: number; statusText: string; text: string }> {
    let url: URL;
    try {
      url = new URL(`${this.#o.url.replace(/\/+$/, '')}${path}`);
    } catch {
      return Promise.reject(new FerryError('FERRY_USAGE', `--url ${JSON.stringify(this.#o.url)} is not a URL (e.g. https://127.0.0.1:8470)`));
    }
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') return Promise.reject(new FerryError('FERRY_USAGE', `--url must be http:// or https:// (got ${url.protocol})`));
    const headers: Record<string, string> = { authorization: `Bearer ${this.#o.token}`, accept, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
    const options = { method, headers, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 120000), ...(https && this.#o.ca !== undefined ? { ca: this.#o.ca } : {}) };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', (e) => reject(transportError(this.#o.url, e, this.#o.ca !== undefined)));
      };
      const req = https ? httpsRequest(url, options, onResponse) : http.request(url, options, onResponse);
      req.on('error', (e) => reject(transportError(this.#o.url, e, this.#o.ca !== undefined)));
      req.end(body);
    });
  }

  /** GET of a JSON-lines answer (the audit export): its text, as sent. */
  async text(path: string): Promise<string> {
    const res = await this.#send('GET', path, undefined, 'application/x-ndjson');
    if (res.status < 200 || res.status > 299) this.#fail(res.status, res.statusText, res.text);
    return res.text;
  }

  #fail(status: number, statusText: string, text: string): never {
    let json: unknown = {};
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    const err = (json as { error?: { code?: string; message?: string; problems?: { path: string; message: string }[] } }).error;
    throw new ApiResponseError(status, err?.code ?? 'http_error', err?.message ?? `HTTP ${status} ${statusText}`, err?.problems ?? []);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json');
    if (res.status < 200 || res.status > 299) this.#fail(res.status, res.statusText, res.text);
    try {
      return (res.text === '' ? {} : JSON.parse(res.text)) as T;
    } catch {
      return {} as T;
    }
  }
}

const enc = encodeURIComponent;
export const paths = {
  tasks: () => '/tasks',
  task: (name: string) => `/tasks/${enc(name)}`,
  action: (name: string, action: 'start' | 'stop' | 'reload-table' | 'tables' | 'stats' | 'status') => `/tasks/${enc(name)}/${action}`,
  tokens: () => '/tokens',
  token: (name: string) => `/tokens/${enc(name)}`,
  audit: (q: { since?: string; action?: string; limit?: number; format?: 'json' | 'jsonl' }) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) s.set(k, String(v));
    return `/audit${s.size ? `?${s.toString()}` : ''}`;
  },
};
