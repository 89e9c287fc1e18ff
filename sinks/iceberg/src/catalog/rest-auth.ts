/**
 * Authentication of the Iceberg REST catalog client: a static bearer token, OAuth2 client credentials
 * (POST /v1/oauth/tokens, or the IdP's token URL; the token is cached until shortly before it expires and fetched
 * again after a 401), or AWS SigV4 request signing for Glue's and S3 Tables' Iceberg endpoints. SigV4 uses the AWS
 * SDK's own signer, @smithy/signature-v4, loaded only when a catalog asks for it. No secret reaches a message.
 */
import { createHash, createHmac } from 'node:crypto';
import { FerryError } from '../../../../core/src/errors.ts';
import { credentialProvider, type CredentialProvider } from '../../../../runtime/src/kafka/msk-iam.ts';
import type { RestAuthConfig } from './rest-config.ts';

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface RestAuth {
  /** Headers to add to `req` (Authorization, and for SigV4 the x-amz-* headers). */
  headers(req: SignableRequest, signal?: AbortSignal): Promise<Record<string, string>>;
  /** The catalog answered 401: forget a cached token, so that the next request fetches a fresh one. Returns true
   *  when a retry with new credentials can help. */
  invalidate(): boolean;
}

/** `fetchImpl` carries the timeout and error mapping of the HTTP layer (rest-http.ts) to the token request. */
export type TokenFetch = (url: URL, init: RequestInit, what: string, signal?: AbortSignal) => Promise<Response>;

export function restAuth(config: RestAuthConfig, catalogUri: string, fetchToken: TokenFetch): RestAuth {
  switch (config.type) {
    case 'none':
      return { headers: () => Promise.resolve({}), invalidate: () => false };
    case 'bearer': {
      const h = { authorization: `Bearer ${config.token}` };
      return { headers: () => Promise.resolve(h), invalidate: () => false };
    }
    case 'oauth2':
      return new OAuth2ClientCredentials(config, catalogUri, fetchToken);
    case 'sigv4':
      return new SigV4Auth(config);
  }
}

class OAuth2ClientCredentials implements RestAuth {
  readonly #config: Extract<RestAuthConfig, { type: 'oauth2' }>;
  readonly #tokenUrl: URL;
  readonly #fetch: TokenFetch;
  #token: { value: string; refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(config: Extract<RestAuthConfig, { type: 'oauth2' }>, catalogUri: string, fetchToken: TokenFetch) {
    this.#config = config;
    this.#tokenUrl = new URL(config.tokenUri ?? `${catalogUri.replace(/\/+$/, '')}/v1/oauth/tokens`);
    this.#fetch = fetchToken;
  }

  async headers(_req: SignableRequest, signal?: AbortSignal): Promise<Record<string, string>> {
    if (this.#token && Date.now() < this.#token.refreshAt) return { authorization: `Bearer ${this.#token.value}` };
    this.#pending ??= this.#fetchToken(signal).finally(() => { this.#pending = undefined; });
    return { authorization: `Bearer ${await this.#pending}` };
  }

  invalidate(): boolean {
    this.#token = undefined;
    return true;
  }

  async #fetchToken(signal?: AbortSignal): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials', client_id: this.#config.clientId, client_secret: this.#config.clientSecret, scope: this.#config.scope,
    });
    const endpoint = `POST ${this.#tokenUrl.origin}${this.#tokenUrl.pathname}`;
    const res = await this.#fetch(this.#tokenUrl, {
      method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    }, endpoint, signal);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* described below */ }
    if (!res.ok) {
      // OAuth2 error responses: { error, error_description }; never echo the request (it holds the secret).
      const reason = [json['error'], json['error_description']].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`;
      throw new FerryError('FERRY_ICEBERG_CATALOG_AUTH',
        `Iceberg REST catalog: the token endpoint ${endpoint} refused the client credentials of client "${this.#config.clientId}" (${res.status} ${reason}). ` +
        'Fix: check catalog.auth.clientId and clientSecret (and scope), or set catalog.auth.tokenUri to your identity provider\'s token URL.',
        { details: { endpoint, status: res.status } });
    }
    const token = json['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw new FerryError('FERRY_ICEBERG_CATALOG_AUTH',
        `Iceberg REST catalog: the token endpoint ${endpoint} answered ${res.status} without an access_token. Fix: point catalog.auth.tokenUri at an OAuth2 token endpoint.`,
        { details: { endpoint, status: res.status } });
    }
    const expiresIn = typeof json['expires_in'] === 'number' ? json['expires_in'] : 3600;
    // refresh at 90% of the lifetime (at least 5 s before it ends)
    this.#token = { value: token, refreshAt: Date.now() + Math.max(1, Math.min(expiresIn * 900, expiresIn * 1000 - 5000)) };
    return token;
  }
}

/** The SHA-256 (and HMAC) class @smithy/signature-v4 wants, on node:crypto. */
class Sha256 {
  readonly #h;
  constructor(secret?: string | Uint8Array) { this.#h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(d: string | Uint8Array): void { this.#h.update(d); }
  digest(): Promise<Uint8Array> { return Promise.resolve(new Uint8Array(this.#h.digest())); }
}

interface Signer {
  sign(req: unknown, o?: { signingDate?: Date }): Promise<{ headers: Record<string, string> }>;
}

export class SigV4Auth implements RestAuth {
  readonly #config: Extract<RestAuthConfig, { type: 'sigv4' }>;
  readonly #credentials: CredentialProvider;
  #signer: Promise<Signer> | undefined;

  constructor(config: Extract<RestAuthConfig, { type: 'sigv4' }>, credentials?: CredentialProvider) {
    this.#config = config;
    this.#credentials = credentials ?? credentialProvider(config);
  }

  /** The signed headers for `req`, at `signingDate` (tests compare with a reference signature). */
  async headers(req: SignableRequest, _signal?: AbortSignal, signingDate?: Date): Promise<Record<string, string>> {
    this.#signer ??= import('@smithy/signature-v4').then(({ SignatureV4 }) => new SignatureV4({
      service: this.#config.service, region: this.#config.region, sha256: Sha256 as never,
      credentials: () => this.#credentials(), uriEscapePath: true, applyChecksum: true,
    }) as unknown as Signer);
    const signer = await this.#signer;
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    const payloadHash = createHash('sha256').update(req.body ?? '', 'utf8').digest('hex');
    const signed = await signer.sign({
      method: req.method, protocol: req.url.protocol, hostname: req.url.hostname, port: req.url.port ? Number(req.url.port) : undefined,
      path: req.url.pathname, query, body: req.body ?? '',
      headers: { ...req.headers, host: req.url.host, 'x-amz-content-sha256': payloadHash },
    }, signingDate ? { signingDate } : undefined);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== 'host') out[k] = v;
    return out;
  }

  invalidate(): boolean { return false; }
}
