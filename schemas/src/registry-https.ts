/**
 * A `fetch` for an https:// schema registry with its own TLS options (a private CA, a client certificate for
 * mutual TLS, SNI), over node:https with one keep-alive Agent per client. The global fetch cannot take a CA or a
 * client certificate without undici's Agent (not a dependency); the registry client needs only request/response with
 * a JSON body, a timeout and an AbortSignal, which node:https gives directly. Certificates are verified unless
 * `rejectUnauthorized: false` is given explicitly.
 */
import { Agent, request } from 'node:https';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

export type FetchLike = typeof globalThis.fetch;

/** A fetch that sends every request through one https.Agent built from `tls`; http:// URLs use the global fetch. */
export function httpsFetch(tls: TlsOptions): FetchLike & { close(): void } {
  const { ca, cert, key, passphrase, servername, rejectUnauthorized } = tls;
  const agent = new Agent({
    keepAlive: true, maxSockets: 8,
    ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}), ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: rejectUnauthorized !== false,
  });
  const f = (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'https:') return globalThis.fetch(input, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => { headers[k] = v; });
    const body = typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : undefined;
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const nullBody = status === 204 || status === 304;
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: h }));
        });
      });
      // As the global fetch does: a network or TLS failure is a TypeError with the socket error as its cause.
      req.on('error', (e) => reject(init.signal?.aborted ? e : new TypeError('fetch failed', { cause: e })));
      req.end(body);
    });
  }) as FetchLike & { close(): void };
  f.close = () => agent.destroy();
  return f;
}
