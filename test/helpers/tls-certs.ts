/**
 * Test-only certificates made with openssl (a CA of the test's own, server certificates with chosen names or dates),
 * and a throwaway PostgreSQL server in a temp folder whose TLS settings a test changes and reloads (initdb takes
 * about a second). The local services' own CA is in test/helpers/services.ts (servicesCaFile).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
export { freePort } from './services.ts';
import { freePort } from './services.ts';

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

export interface CertFiles { readonly cert: string; readonly key: string }

/** A new CA in `dir` (ca.pem, ca.key). */
export function makeCa(dir: string, name: string): CertFiles {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/**
 * A server certificate signed by `ca`, for `san` (e.g. "DNS:db.example.test"), valid between `start` and `end`
 * (openssl ca's YYYYMMDDHHMMSSZ; default: from now for 30 days) — an expired one with dates in the past.
 */
export function makeServerCert(dir: string, ca: CertFiles, o: { name: string; san: string; start?: string; end?: string }): CertFiles {
  const d = join(dir, `${o.name}.ca`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(join(d, 'openssl.cnf'), [
    '[ca]', 'default_ca = test', '[test]', `dir = ${d}`, 'database = $dir/index.txt', 'serial = $dir/serial', 'new_certs_dir = $dir',
    'default_md = sha256', 'policy = any', 'copy_extensions = none', 'unique_subject = no', 'default_days = 30',
    '[any]', 'commonName = supplied', '[ext]', `subjectAltName = ${o.san}`, 'extendedKeyUsage = serverAuth', 'basicConstraints = CA:FALSE',
  ].join('\n'));
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${o.name}`, '-keyout', `${o.name}.key`, '-out', join(d, 'req.csr')], dir);
  openssl(['ca', '-batch', '-notext', '-config', join(d, 'openssl.cnf'), '-extensions', 'ext', '-cert', ca.cert, '-keyfile', ca.key,
    ...(o.start ? ['-startdate', o.start] : []), ...(o.end ? ['-enddate', o.end] : []), '-in', join(d, 'req.csr'), '-out', `${o.name}.pem`], dir);
  return { cert: join(dir, `${o.name}.pem`), key: join(dir, `${o.name}.key`) };
}

export interface ThrowawayPostgres {
  readonly port: number;
  /** Installs this server certificate (or turns TLS off with null) and reloads the server's configuration. */
  useCertificate(files: CertFiles | null): void;
  stop(): void;
}

const PG_BIN = process.env.FERRY_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL server in a temp folder, trust auth on 127.0.0.1, TLS off until useCertificate. Runs as `postgres` when root. */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const root = userInfo().uid === 0;
  const dir = mkdtempSync('/tmp/ferry-tls-pg-');
  const postgresUid = root ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : -1;
  if (root) chownSync(dir, postgresUid, -1);
  const as = (cmd: string, args: string[]) => execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const data = join(dir, 'data');
  as(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  writeFileSync(join(data, 'postgresql.auto.conf'), `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = off\nssl = off\n`);
  if (root) chownSync(join(data, 'postgresql.auto.conf'), postgresUid, -1);
  as(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  const copy = (from: string, to: string) => {
    writeFileSync(to, readFileSync(from), { mode: 0o600 });
    if (root) chownSync(to, postgresUid, -1);
  };
  return {
    port,
    useCertificate(files) {
      let conf = `listen_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = off\n`;
      if (files) {
        copy(files.cert, join(dir, 'server.pem'));
        copy(files.key, join(dir, 'server.key'));
        conf += `ssl = on\nssl_cert_file = '${dir}/server.pem'\nssl_key_file = '${dir}/server.key'\n`;
      } else {
        conf += 'ssl = off\n';
      }
      writeFileSync(join(data, 'postgresql.auto.conf'), conf);
      if (root) chownSync(join(data, 'postgresql.auto.conf'), postgresUid, -1);
      as(join(PG_BIN, 'pg_ctl'), ['-D', data, 'reload', '-s']);
    },
    stop() {
      try { as(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop', '-s']); } catch { /* already down */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
