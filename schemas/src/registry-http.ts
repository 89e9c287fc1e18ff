/**
 * The schema registry client's HTTP: one request with a JSON body, a timeout and an AbortSignal, over node:http or
 * node:https with one keep-alive Agent per client and protocol.
 *
 * Not the global fetch: its first request loads undici's HTTP client (the llhttp WebAssembly parser, its pools and
 * their code), which then stays resident for the life of the process: about 17 MB of RSS in a bare Node process
 * (50 registry GETs: 60 → 81 MB with fetch, 60 → 63 MB with node:http), a few MB in a `ferry run` task, which
 * shares much of that code anyway (docs/performance.md, "Memory"); a task to Kafka uses no other fetch. The global
 * fetch also cannot take a CA or a client certificate without undici's Agent (not a
 * dependency). Certificates are verified unless `rejectUnauthorized: false` is given explicitly; without `tls`,
 * https:// uses Node's default CAs, as fetch does.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { http as nodeHttp } from '../../core/src/node-http.ts';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** What the registry client reads of a response; a fetch Response has it too. */
export interface RegistryResponse {
  readonly ok: boolean;
  readonly status: number;
  text(): Promise<string>;
}

export interface RegistryRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
  readonly signal: AbortSignal;
}

/** The registry client's transport; the global fetch fits it (tests inject fakes of that shape). */
export type RegistryFetch = (url: string, init: RegistryRequestInit) => Promise<RegistryResponse>;

/** A RegistryFetch over node:http / node:https; `tls` applies to https:// URLs. */
export function registryFetch(tls: TlsOptions = {}): RegistryFetch {
  const { ca, cert, key, passphrase, servername, rejectUnauthorized } = tls;
  let http: HttpAgent | undefined;
  let https: HttpsAgent | undefined;
  const agentFor = (protocol: string): HttpAgent => {
    if (protocol === 'http:') return (http ??= new nodeHttp.Agent({ keepAlive: true, maxSockets: 8 }));
    return (https ??= new HttpsAgent({
      keepAlive: true, maxSockets: 8,
      ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}), ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: rejectUnauthorized !== false,
    }));
  };
  return (input, init) => {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
    const request = url.protocol === 'http:' ? nodeHttp.request : httpsRequest;
    const body = init.body !== undefined ? Buffer.from(init.body, 'utf8') : undefined;
    const headers = body ? { ...init.headers, 'content-length': String(body.length) } : init.headers;
    return new Promise<RegistryResponse>((resolve, reject) => {
      // As the global fetch does: a network or TLS failure is a TypeError with the socket error as its cause.
      const failed = (e: Error) => reject(init.signal.aborted ? e : new TypeError('fetch failed', { cause: e }));
      const req = request(url, { method: init.method, headers, agent: agentFor(url.protocol), signal: init.signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', failed);
        res.on('end', () => {
          const status = res.statusCode ?? 500;
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ ok: status >= 200 && status < 300, status, text: () => Promise.resolve(text) });
        });
      });
      req.on('error', failed);
      req.end(body);
    });
  };
}
