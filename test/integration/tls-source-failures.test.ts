// Certificate failures of database connections name the endpoint, the connection, the reason and the fix
// (runtime/src/config/tls-errors.ts), against real servers: the local services' TLS listeners with a CA Ferry is not
// given (query, binlog and replication connections), and a throwaway PostgreSQL server that first offers no TLS,
// then an expired certificate, then one for another host name (verify-ca accepts that one). The postgres and mysql
// sinks use the same declaration: verify-full succeeds with the services' CA and fails with another.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../core/src/errors.ts';
import { openMySql, type MySqlConnectionConfig } from '../../connectors/mysql-binlog/src/mysql-connection.ts';
import { BinlogClient } from '../../connectors/mysql-binlog/src/binlog-client.ts';
import { openSession, type PgConnectionConfig } from '../../connectors/postgres-logical/src/pg-connection.ts';
import { sslSchema, type SslSettingsInput } from '../../runtime/src/config/tls-settings.ts';
import { probePeerCertificate } from '../../runtime/src/config/tls-probe.ts';
import { PostgresSink } from '../../sinks/postgres/src/PostgresSink.ts';
import { MySqlSink } from '../../sinks/mysql/src/MySqlSink.ts';
import { services, servicesCaFile } from '../helpers/services.ts';
import { makeCa, makeServerCert, startThrowawayPostgres } from '../helpers/tls-certs.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const caPath = servicesCaFile();
const work = mkdtempSync(join(tmpdir(), 'ferry-tls-fail-'));
const otherCa = makeCa(work, 'Another CA');
const OTHER_CA = readFileSync(otherCa.cert, 'utf8');
after(() => rmSync(work, { recursive: true, force: true }));
const SERVICES_CA = () => readFileSync(caPath, 'utf8');
const ssl = (v: SslSettingsInput) => sslSchema.parse(v);
const PASSWORD = 'tls-secret-pw-123';
const secret = (s: string) => ({ reveal: () => s });

/** Waits until the server at `port` presents a certificate with this subject. */
async function presents(port: number, subject: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await probePeerCertificate({ protocol: 'postgres', host: '127.0.0.1', port, timeoutMs: 2000 }))?.subject === subject) return;
    await sleep(100);
  }
  assert.fail(`the server never presented ${subject}`);
}

function requireTlsServices(): void {
  assert.ok(existsSync(caPath), `no test CA at ${caPath}: the local services predate their TLS listeners; restart them (infra/services.sh down && infra/services.sh up)`);
}

async function failure(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e: unknown) {
    assert.ok(e instanceof FerryError, `expected a FerryError, got ${String(e)}`);
    assert.ok(!e.message.includes(PASSWORD) && !e.message.includes('PRIVATE KEY'), 'no secret in the message');
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail('expected a failure');
}

const mariadb = (o: SslSettingsInput, user = 'cdc', password = 'cdc'): MySqlConnectionConfig => ({ engine: 'mariadb', ...services.mariadb, user, password: secret(password), connectTimeoutMs: 5000, ssl: ssl(o) });
const postgres = (o: SslSettingsInput, port = services.postgres.port, user = 'cdc', password = 'cdc'): PgConnectionConfig => ({ host: '127.0.0.1', port, user, password: secret(password), database: 'postgres', connectTimeoutMs: 5000, ssl: ssl(o) });

test('a CA Ferry does not trust: the query, binlog and replication connections fail naming themselves, the issuer and ssl.ca', { timeout: 30_000 }, async () => {
  requireTlsServices();
  const my = await failure(openMySql(mariadb({ ca: OTHER_CA }, 'cdc', PASSWORD)));
  assert.equal(my.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(my.message, new RegExp(`^mariadb at 127\\.0\\.0\\.1:${services.mariadb.port} \\(query connection\\): TLS certificate not trusted: the server certificate chains to a self-signed CA that is not trusted \\(issuer: CN=Ferry local test CA\\) \\(SELF_SIGNED_CERT_IN_CHAIN\\)\\. Set source\\.ssl\\.ca to the PEM of the CA that signed it`));

  const binlogError = await new Promise<unknown>((resolve) => {
    const client = new BinlogClient({
      cfg: mariadb({ ca: OTHER_CA }), serverId: 65001, start: { filename: 'mariadb-bin.000001', position: 4 }, isMariaDb: true,
      handler: { captured: () => false, codecFor: () => { throw new Error('unused'); }, onEvent: () => undefined, onError: (e) => { client.stop(); resolve(e); } },
    });
  });
  assert.ok(binlogError instanceof FerryError);
  assert.equal(binlogError.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(binlogError.message, new RegExp(`^mariadb at 127\\.0\\.0\\.1:${services.mariadb.port} \\(binlog connection\\): TLS certificate not trusted`));

  const pg = await failure(openSession(postgres({ mode: 'verify-ca', ca: OTHER_CA }), { replication: true }));
  assert.equal(pg.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(pg.message, new RegExp(`^postgres at 127\\.0\\.0\\.1:${services.postgres.port} \\(replication connection\\): TLS certificate not trusted: .*\\(issuer: CN=Ferry local test CA\\)`));
});

test('mode require encrypts without checking (the server reports the session\'s cipher); verify-full with the right CA by IP address', { timeout: 30_000 }, async () => {
  requireTlsServices();
  for (const o of [{ mode: 'require' }, { ca: SERVICES_CA() }] as const) {
    const conn = await openMySql(mariadb(o));
    const [rows] = await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'") as unknown as [{ Value: string }[]];
    await conn.end();
    assert.match(rows[0]!.Value, /^TLS_|^ECDHE-|^AES/, JSON.stringify(o));
  }
  const plain = await openMySql({ ...mariadb({}), ssl: undefined });
  const [rows] = await plain.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'") as unknown as [{ Value: string }[]];
  await plain.end();
  assert.equal(rows[0]!.Value, '', 'no ssl block: plain text, as before');
});

test('MariaDB verify-full checks the address dialled (mysql2 alone checks IP hosts against "localhost"): ::ffff:127.0.0.1 is not in the certificate', { timeout: 30_000 }, async () => {
  requireTlsServices();
  const mapped = { ...services.mariadb, host: '::ffff:127.0.0.1' };
  const e = await failure(openMySql({ ...mariadb({ ca: SERVICES_CA() }), ...mapped }));
  assert.equal(e.code, 'FERRY_TLS_HOSTNAME_MISMATCH');
  assert.equal(e.message, `mariadb at ::ffff:127.0.0.1:${services.mariadb.port} (query connection): TLS host name does not match the certificate: connected to "::ffff:127.0.0.1", the certificate is for DNS:localhost, IP Address:127.0.0.1. Connect with a name the certificate lists (the host setting), or set source.ssl.mode: verify-ca to check the CA only`);
  const binlogError = await new Promise<unknown>((resolve) => {
    const client = new BinlogClient({
      cfg: { ...mariadb({ ca: SERVICES_CA() }), ...mapped }, serverId: 65002, start: { filename: 'mariadb-bin.000001', position: 4 }, isMariaDb: true,
      handler: { captured: () => false, codecFor: () => { throw new Error('unused'); }, onEvent: () => undefined, onError: (x) => { client.stop(); resolve(x); } },
    });
  });
  assert.equal((binlogError as FerryError).code, 'FERRY_TLS_HOSTNAME_MISMATCH');
  assert.match((binlogError as FerryError).message, /\(binlog connection\): TLS host name does not match/);
  const conn = await openMySql({ ...mariadb({ mode: 'verify-ca', ca: SERVICES_CA() }), ...mapped });
  await conn.end();
});

test('throwaway PostgreSQL: no TLS, an expired certificate (with its date), another host name (names listed; verify-ca accepts it)', { timeout: 60_000 }, async (t) => {
  requireTlsServices();
  const servicesCa = { cert: caPath, key: join(caPath, '..', 'ca.key') };
  const expired = makeServerCert(work, servicesCa, { name: 'expired', san: 'IP:127.0.0.1,DNS:localhost', start: '20200101000000Z', end: '20200601000000Z' });
  const otherHost = makeServerCert(work, servicesCa, { name: 'other-host', san: 'DNS:db.example.test,DNS:replica.example.test' });
  const server = await startThrowawayPostgres();
  t.after(() => server.stop());
  const cfg = (o: SslSettingsInput) => postgres(o, server.port, 'postgres', PASSWORD);

  const none = await failure(openSession(cfg({ ca: SERVICES_CA() })));
  assert.equal(none.code, 'FERRY_TLS_NOT_SUPPORTED');
  assert.equal(none.message, `postgres at 127.0.0.1:${server.port} (query connection): the server does not support TLS, and source.ssl asks for it. Enable TLS on the server, or remove source.ssl (or source.ssl.mode: disable) to connect in plain text`);

  server.useCertificate(expired);
  await presents(server.port, 'CN=expired'); // the postmaster reloads on SIGHUP, a moment later
  const old = await failure(openSession(cfg({ ca: SERVICES_CA() }), { replication: true }));
  assert.equal(old.code, 'FERRY_TLS_CERT_EXPIRED');
  assert.equal(old.message, `postgres at 127.0.0.1:${server.port} (replication connection): TLS certificate expired on 2020-06-01T00:00:00Z (subject: CN=expired). Renew the server certificate; source.ssl.mode: require would encrypt without verifying it`);

  server.useCertificate(otherHost);
  await presents(server.port, 'CN=other-host');
  const host = await failure(openSession(cfg({ mode: 'verify-full', ca: SERVICES_CA() })));
  assert.equal(host.code, 'FERRY_TLS_HOSTNAME_MISMATCH');
  assert.match(host.message, new RegExp(`^postgres at 127\\.0\\.0\\.1:${server.port} \\(query connection\\): TLS host name does not match the certificate: connected to "127\\.0\\.0\\.1", the certificate is for DNS:db\\.example\\.test, DNS:replica\\.example\\.test\\. Connect with a name the certificate lists \\(the host setting\\), or set source\\.ssl\\.mode: verify-ca to check the CA only$`));
  const client = await openSession(cfg({ mode: 'verify-ca', ca: SERVICES_CA() }));
  const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  await client.end();
  assert.equal(String(rows[0]!.ssl), 't', 'verify-ca: the chain is checked, the host name is not');
});

test('the postgres and mysql sinks: verify-full with the services\' CA connects (by host name), another CA fails naming the target', { timeout: 30_000 }, async () => {
  requireTlsServices();
  const pgSink = (ca: string) => new PostgresSink({ name: 'pg-tls', config: { host: 'localhost', port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop', ssl: { ca } } });
  await pgSink(SERVICES_CA()).check();
  const e = await failure(pgSink(OTHER_CA).check());
  assert.equal(e.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(e.message, new RegExp(`^postgres target pg-tls at localhost:${services.postgres.port} \\(sink connection\\): TLS certificate not trusted: .*Set targets\\[pg-tls\\]\\.ssl\\.ca to the PEM`));
  const mySink = (ca: string) => new MySqlSink({ name: 'my-tls', config: { host: '127.0.0.1', port: services.mariadb.port, user: 'root', password: 'root', ssl: { ca } } });
  await mySink(SERVICES_CA()).check();
  const m = await failure(mySink(OTHER_CA).check());
  assert.equal(m.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(m.message, new RegExp(`^mysql target my-tls at 127\\.0\\.0\\.1:${services.mariadb.port} \\(sink connection\\): TLS certificate not trusted`));
});
