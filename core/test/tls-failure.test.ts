// The TLS failure reasons (core/src/tls-failure.ts): Node's codes and messages, nested as clients nest them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tlsFailureMessage, tlsFailureOf } from '../src/tls-failure.ts';

const err = (code: string | undefined, message: string) => Object.assign(new Error(message), code ? { code } : {});

test('codes and messages map to the reasons', () => {
  const cases: [unknown, string][] = [
    [err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'unknown-ca'],
    [err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'unknown-ca'],
    [err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'unknown-ca'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'host-mismatch'],
    [err('CERT_HAS_EXPIRED', 'certificate has expired'), 'expired'],
    [err('CERT_NOT_YET_VALID', 'certificate is not yet valid'), 'not-yet-valid'],
    [err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'not-tls'],
    [err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'), 'client-cert-required'],
    [err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca'), 'client-cert-rejected'],
    [err(undefined, 'Connection to h:1 failed: certificate has expired'), 'expired'],
  ];
  for (const [e, kind] of cases) assert.equal(tlsFailureOf(e)?.kind, kind, String(e));
});

test('found in causes and AggregateErrors; unrelated errors are not TLS failures', () => {
  const nested = new TypeError('fetch failed', { cause: err('CERT_HAS_EXPIRED', 'certificate has expired') });
  assert.equal(tlsFailureOf(nested)?.kind, 'expired');
  const agg = new AggregateError([new Error('Connection closed'), err('ERR_TLS_CERT_ALTNAME_INVALID', 'x')], 'Listing topics failed.');
  assert.equal(tlsFailureOf(agg)?.kind, 'host-mismatch');
  assert.equal(tlsFailureOf(err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')), undefined);
  assert.equal(tlsFailureOf(new Error('Connection closed')), undefined);
});

test('the message names the endpoint, the reason with its code, and the option', () => {
  const f = tlsFailureOf(err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'))!;
  assert.equal(tlsFailureMessage('Kafka b:9093', f, 'kafka.tls'),
    'TLS to Kafka b:9093 failed: the server certificate is signed by a CA that is not trusted (unknown CA) (SELF_SIGNED_CERT_IN_CHAIN); set kafka.tls.ca to the CA that signed the server certificate (PEM text or file)');
});
