/**
 * TLS in front of the local plaintext services, for the encryption-in-transit tests (issue #20):
 *   - makeTestPki: a throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with
 *     openssl in a temp dir (plus a second, unrelated CA for "wrong CA" cases);
 *   - startHttpsProxy: an HTTPS server (optionally requiring a client certificate, and checking the Authorization
 *     header) forwarding each request to a plain HTTP service (the schema registry);
 *   - startTlsTerminator: a raw TLS-terminating TCP proxy (node:tls → net) in front of any plain TCP service (moto).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  /** A CA that signed nothing here. */
  readonly otherCaFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A server certificate for the same key and names, signed by the CA, valid only in January 2020. */
  readonly expiredServerCert: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-pki-'));
  const sh = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  sh('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ferry-test-ca');
  sh('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=ferry-other-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  sh('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  sh('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  // Expired: `openssl ca` takes explicit dates (`x509 -days` cannot make a past validity).
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  sh('ca', '-batch', '-config', 'ca.cnf', '-in', 'server.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-extfile', 'san.ext', '-notext');
  sh('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=ferry-client');
  sh('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
  return {
    dir, caFile: join(dir, 'ca.pem'), caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), otherCaFile: join(dir, 'other-ca.pem'),
    serverCert: readFileSync(join(dir, 'server.pem'), 'utf8'), serverKey: readFileSync(join(dir, 'server.key'), 'utf8'), expiredServerCert: readFileSync(join(dir, 'expired.pem'), 'utf8'),
    clientCertFile: join(dir, 'client.pem'), clientKeyFile: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunningProxy {
  readonly port: number;
  /** Requests forwarded (HTTPS proxy) or connections accepted (TLS terminator). */
  readonly count: () => number;
  close(): Promise<void>;
}

/** HTTPS on 127.0.0.1:<free port> → `target` (http://host:port). 401 when `authorization` is set and not matched. */
export async function startHttpsProxy(o: { pki: TestPki; target: string; requireClientCert?: boolean; authorization?: string; expired?: boolean }): Promise<RunningProxy> {
  const target = new URL(o.target);
  let n = 0;
  const server = createHttpsServer({
    key: o.pki.serverKey, cert: o.expired ? o.pki.expiredServerCert : o.pki.serverCert, ca: o.pki.caPem,
    requestCert: o.requireClientCert === true, rejectUnauthorized: o.requireClientCert === true,
  }, (req, res) => {
    if (o.authorization !== undefined && req.headers.authorization !== o.authorization) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    n++;
    const { authorization: _a, ...headers } = req.headers;
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port, count: () => n,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Raw TLS termination on 127.0.0.1:<free port> → a plain TCP service at `host:port`. */
export async function startTlsTerminator(o: { pki: TestPki; host: string; port: number }): Promise<RunningProxy> {
  let n = 0;
  const sockets = new Set<{ destroy(): void }>();
  const server = createTlsServer({ key: o.pki.serverKey, cert: o.pki.serverCert }, (tls) => {
    n++;
    const up = netConnect(o.port, o.host);
    sockets.add(tls);
    sockets.add(up);
    tls.pipe(up).pipe(tls);
    const end = () => { tls.destroy(); up.destroy(); sockets.delete(tls); sockets.delete(up); };
    tls.on('error', end);
    up.on('error', end);
    tls.on('close', end);
    up.on('close', end);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port, count: () => n,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
