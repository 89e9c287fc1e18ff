// Node's TLS failures as one-line FerryErrors (runtime/src/config/tls-errors.ts): code, reason in words, the names
// and dates that explain it, and the option that fixes it; and nothing else is taken for a TLS failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { tlsFailureError, tlsFailureKind, type TlsFailureContext } from '../../../src/config/tls-errors.ts';

const ctx: TlsFailureContext = { endpoint: 'mariadb at 127.0.0.1:3306', connection: 'binlog connection', option: 'source.ssl', host: '127.0.0.1' };
/** An error as Node's TLS socket emits it for an OpenSSL verification result. */
const verifyError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('unknown CA, self-signed and incomplete chains: FERRY_TLS_UNTRUSTED_CERT naming the endpoint, the connection and ssl.ca', () => {
  const cases: [string, string, string][] = [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', 'the server certificate is signed by an unknown CA'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate', 'the server certificate is signed by an unknown CA'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', 'the server certificate chains to a self-signed CA that is not trusted'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'the server certificate is self-signed'],
  ];
  for (const [code, message, words] of cases) {
    const e = tlsFailureError(verifyError(code, message), ctx);
    assert.ok(e, code);
    assert.equal(e.code, 'FERRY_TLS_UNTRUSTED_CERT');
    assert.equal(e.disposition, 'fatal');
    assert.equal(e.message, `mariadb at 127.0.0.1:3306 (binlog connection): TLS certificate not trusted: ${words} (${code}). Set source.ssl.ca to the PEM of the CA that signed it (e.g. \${file:ca.pem}), or source.ssl.mode: require to encrypt without verifying the server`);
    assert.ok(!e.message.includes('\n'));
  }
  const withIssuer = tlsFailureError(verifyError('SELF_SIGNED_CERT_IN_CHAIN', 'x'), { ...ctx, peer: { issuer: 'CN=Other CA' } });
  assert.match(withIssuer!.message, /not trusted \(issuer: CN=Other CA\) \(SELF_SIGNED_CERT_IN_CHAIN\)/);
});

test('host name mismatch (a real error of tls.checkServerIdentity): the names in the certificate and ssl.mode verify-ca', () => {
  const cert = { subject: { CN: 'db.internal' }, subjectaltname: 'DNS:db.internal, IP Address:10.0.0.5' } as unknown as PeerCertificate;
  const err = checkServerIdentity('db.example.com', cert);
  assert.ok(err);
  assert.equal((err as { code?: string }).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  const e = tlsFailureError(err, { ...ctx, host: 'db.example.com', endpoint: 'postgres at db.example.com:5432', connection: 'replication connection' });
  assert.equal(e?.code, 'FERRY_TLS_HOSTNAME_MISMATCH');
  assert.equal(e?.message, 'postgres at db.example.com:5432 (replication connection): TLS host name does not match the certificate: connected to "db.example.com", the certificate is for DNS:db.internal, IP Address:10.0.0.5. Connect with a name the certificate lists (the host setting), or set source.ssl.mode: verify-ca to check the CA only');
  // an IP address that the certificate does not list
  const ipErr = checkServerIdentity('127.0.0.1', { subject: { CN: 'x' }, subjectaltname: 'DNS:only.example' } as unknown as PeerCertificate);
  assert.match(tlsFailureError(ipErr, ctx)!.message, /connected to "127\.0\.0\.1", the certificate is for DNS:only\.example\./);
});

test('expired and not yet valid: FERRY_TLS_CERT_EXPIRED with the date when the probe read it', () => {
  const expired = tlsFailureError(verifyError('CERT_HAS_EXPIRED', 'certificate has expired'), { ...ctx, peer: { validTo: new Date('2024-03-01T12:00:00Z'), subject: 'CN=localhost' } });
  assert.equal(expired?.code, 'FERRY_TLS_CERT_EXPIRED');
  assert.equal(expired?.message, 'mariadb at 127.0.0.1:3306 (binlog connection): TLS certificate expired on 2024-03-01T12:00:00Z (subject: CN=localhost). Renew the server certificate; source.ssl.mode: require would encrypt without verifying it');
  assert.equal(tlsFailureError(verifyError('CERT_HAS_EXPIRED', 'certificate has expired'), ctx)?.message,
    'mariadb at 127.0.0.1:3306 (binlog connection): TLS certificate expired. Renew the server certificate; source.ssl.mode: require would encrypt without verifying it');
  const early = tlsFailureError(verifyError('CERT_NOT_YET_VALID', 'certificate is not yet valid'), { ...ctx, peer: { validFrom: new Date('2030-01-01T00:00:00Z') } });
  assert.equal(early?.code, 'FERRY_TLS_CERT_EXPIRED');
  assert.match(early!.message, /TLS certificate not valid yet \(not before 2030-01-01T00:00:00Z\)\. Renew the server certificate or correct the clock/);
});

test('a server without TLS (mysql2 and node-postgres wording): FERRY_TLS_NOT_SUPPORTED', () => {
  const my = Object.assign(new Error('Server does not support secure connection'), { code: 'HANDSHAKE_NO_SSL_SUPPORT' });
  const pg = new Error('The server does not support SSL connections');
  for (const err of [my, pg]) {
    const e = tlsFailureError(err, ctx);
    assert.equal(e?.code, 'FERRY_TLS_NOT_SUPPORTED');
    assert.equal(e?.message, 'mariadb at 127.0.0.1:3306 (binlog connection): the server does not support TLS, and source.ssl asks for it. Enable TLS on the server, or remove source.ssl (or source.ssl.mode: disable) to connect in plain text');
  }
});

test('other handshake failures: FERRY_TLS_HANDSHAKE with OpenSSL\'s reason; a wrapped cause is found', () => {
  const alert = Object.assign(new Error('error:0A000418:SSL routines::tlsv1 alert unknown ca'), { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' });
  const e = tlsFailureError(new Error('connect failed', { cause: alert }), { ...ctx, option: 'targets[pg].ssl' });
  assert.equal(e?.code, 'FERRY_TLS_HANDSHAKE');
  assert.equal(e?.message, "mariadb at 127.0.0.1:3306 (binlog connection): TLS handshake failed: the server rejected the client certificate (not signed by a CA it trusts, or expired) (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA). Check targets[pg].ssl.cert and targets[pg].ssl.key (the server may require or refuse the client certificate) and the server's TLS settings");
});

test('errors that are not TLS failures are left alone', () => {
  for (const err of [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error("Access denied for user 'x'@'localhost'"), { code: 'ER_ACCESS_DENIED_ERROR' }),
    Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }),
    new Error('timeout expired'), 'a string', null, undefined,
  ]) {
    assert.equal(tlsFailureKind(err), null);
    assert.equal(tlsFailureError(err, ctx), null);
  }
});

test('messages carry no secret: only what the context and the certificate name', () => {
  const password = 's3cret-Passw0rd';
  const err = Object.assign(new Error(`unable to verify the first certificate`), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', config: { password } });
  const e = tlsFailureError(err, ctx);
  assert.ok(!e!.message.includes(password));
  assert.ok(!JSON.stringify(e!.toJSON()).includes(password));
  assert.deepEqual(e!.details, { endpoint: 'mariadb at 127.0.0.1:3306', connection: 'binlog connection', reason: 'untrusted' });
});

test('mysql2 replaces the code with HANDSHAKE_SSL_ERROR: the message (and the attached certificate) still tell the reason', () => {
  const wrapped = (message: string, extra: object = {}) => Object.assign(new Error(message), { code: 'HANDSHAKE_SSL_ERROR', fatal: true }, extra);
  const chainErr = tlsFailureError(wrapped('self-signed certificate in certificate chain'), ctx);
  assert.equal(chainErr?.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.match(chainErr!.message, /chains to a self-signed CA that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  assert.equal(tlsFailureError(wrapped('unable to verify the first certificate'), ctx)?.code, 'FERRY_TLS_UNTRUSTED_CERT');
  assert.equal(tlsFailureError(wrapped('certificate has expired'), ctx)?.code, 'FERRY_TLS_CERT_EXPIRED');
  const altname = checkServerIdentity('db.example.com', { subject: { CN: 'x' }, subjectaltname: 'DNS:other.example' } as unknown as PeerCertificate)!;
  (altname as { code?: string }).code = 'HANDSHAKE_SSL_ERROR'; // what mysql2 does to the error of its identity check
  const host = tlsFailureError(altname, { ...ctx, host: 'db.example.com' });
  assert.equal(host?.code, 'FERRY_TLS_HOSTNAME_MISMATCH');
  assert.match(host!.message, /the certificate is for DNS:other\.example\./);
  const other = tlsFailureError(wrapped('error:0A000086:SSL routines::certificate verify failed'), ctx);
  assert.equal(other?.code, 'FERRY_TLS_HANDSHAKE');
});
