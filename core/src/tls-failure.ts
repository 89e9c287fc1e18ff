/**
 * Why a TLS connection failed, from Node's TLS/OpenSSL error codes and messages, in words a user can act on:
 * the server's certificate is signed by an unknown CA, is for another host name, has expired (or is not valid yet),
 * was revoked; the server does not speak TLS on that port; or the server rejected (or wanted) our client
 * certificate. Pure: no I/O, used by the Kafka, schema registry and AWS error paths to build one-line messages that
 * name the endpoint, the reason and the option that fixes it.
 */

export type TlsFailureKind =
  | 'unknown-ca' | 'host-mismatch' | 'expired' | 'not-yet-valid' | 'revoked' | 'bad-certificate'
  | 'not-tls' | 'client-cert-required' | 'client-cert-rejected' | 'bad-key';

export interface TlsFailure {
  readonly kind: TlsFailureKind;
  /** A short reason in words, e.g. "the certificate is signed by an unknown CA (SELF_SIGNED_CERT_IN_CHAIN)". */
  readonly reason: string;
  /** The Node/OpenSSL code, when there was one. */
  readonly code: string | undefined;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA',
]);

const REASONS: Record<TlsFailureKind, string> = {
  'unknown-ca': 'the server certificate is signed by a CA that is not trusted (unknown CA)',
  'host-mismatch': 'the server certificate is for another host name (host name mismatch)',
  expired: 'the server certificate has expired',
  'not-yet-valid': 'the server certificate is not valid yet',
  revoked: 'the server certificate was revoked',
  'bad-certificate': 'the server certificate is invalid',
  'not-tls': 'the server does not speak TLS on this port (a plaintext listener?)',
  'client-cert-required': 'the server requires a client certificate (mutual TLS) and none was sent',
  'client-cert-rejected': 'the server rejected the client certificate (not signed by a CA it trusts, or expired)',
  'bad-key': 'the client key cannot be used (wrong passphrase, or it does not match the certificate)',
};

/** Classifies one error object (not its causes): by code first, then by message. */
function classifyOne(e: unknown): TlsFailure | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
  const message = typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : '';
  const make = (kind: TlsFailureKind): TlsFailure => ({ kind, reason: `${REASONS[kind]}${code ? ` (${code})` : ''}`, code });
  if (code !== undefined) {
    if (UNKNOWN_CA.has(code)) return make('unknown-ca');
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') return make('host-mismatch');
    if (code === 'CERT_HAS_EXPIRED') return make('expired');
    if (code === 'CERT_NOT_YET_VALID') return make('not-yet-valid');
    if (code === 'CERT_REVOKED') return make('revoked');
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') return make('not-tls');
    if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return make('client-cert-required');
    if (/^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_CERTIFICATE_EXPIRED|SSLV3_ALERT_CERTIFICATE_UNKNOWN|TLSV1_ALERT_ACCESS_DENIED|SSLV3_ALERT_HANDSHAKE_FAILURE)$/.test(code)) {
      return make(/HANDSHAKE_FAILURE/.test(code) ? 'client-cert-required' : 'client-cert-rejected');
    }
    if (/^ERR_OSSL_(BAD_DECRYPT|EVP_BAD_DECRYPT|PEM_BAD_DECRYPT|X509_KEY_VALUES_MISMATCH|KEY_VALUES_MISMATCH)$/.test(code)) return make('bad-key');
    if (/^(CERT_|ERR_TLS_CERT|INVALID_PURPOSE|UNABLE_TO_)/.test(code)) return make('bad-certificate');
  }
  if (/self[- ]signed certificate|unable to (verify|get (local )?issuer)/i.test(message)) return make('unknown-ca');
  if (/Hostname\/IP does not match|does not match certificate's altnames/i.test(message)) return make('host-mismatch');
  if (/certificate has expired/i.test(message)) return make('expired');
  if (/certificate is not yet valid/i.test(message)) return make('not-yet-valid');
  if (/wrong version number|packet length too long|first record does not look like a TLS handshake/i.test(message)) return make('not-tls');
  if (/alert certificate required/i.test(message)) return make('client-cert-required');
  if (/alert (bad certificate|unknown ca|certificate unknown|certificate expired)/i.test(message)) return make('client-cert-rejected');
  if (/bad decrypt|key values mismatch/i.test(message)) return make('bad-key');
  return undefined;
}

/** The TLS failure in an error or anywhere in its causes (`cause`, AggregateError `errors`), or undefined. */
export function tlsFailureOf(e: unknown, depth = 0): TlsFailure | undefined {
  if (depth > 8 || e === null || e === undefined) return undefined;
  const own = classifyOne(e);
  if (own) return own;
  const any = e as { errors?: unknown; cause?: unknown };
  if (Array.isArray(any.errors)) {
    for (const x of any.errors.slice(0, 8)) {
      const f = tlsFailureOf(x, depth + 1);
      if (f) return f;
    }
  }
  return any.cause !== undefined ? tlsFailureOf(any.cause, depth + 1) : undefined;
}

/** Which option fixes a failure, for the message: `<prefix>.ca`, `<prefix>.servername`, `<prefix>.cert`/`key`… */
export function tlsFixOf(kind: TlsFailureKind, prefix: string): string {
  switch (kind) {
    case 'unknown-ca': return `set ${prefix}.ca to the CA that signed the server certificate (PEM text or file)`;
    case 'host-mismatch': return `connect with the host name the certificate names, or set ${prefix}.servername to it`;
    case 'expired': case 'not-yet-valid': case 'revoked': case 'bad-certificate':
      return `renew the server certificate (or check this machine's clock); ${prefix}.rejectUnauthorized: false turns checking off, for tests only`;
    case 'not-tls': return `turn TLS off for this endpoint or use its TLS port (${prefix})`;
    case 'client-cert-required': return `set ${prefix}.cert and ${prefix}.key to a client certificate the server trusts`;
    case 'client-cert-rejected': return `set ${prefix}.cert and ${prefix}.key to a valid client certificate signed by a CA the server trusts`;
    case 'bad-key': return `check ${prefix}.key and ${prefix}.keyPassword`;
  }
}

/** The one-line message: `TLS to <endpoint> failed: <reason>; <fix>`. */
export function tlsFailureMessage(endpoint: string, f: TlsFailure, prefix: string): string {
  return `TLS to ${endpoint} failed: ${f.reason}; ${tlsFixOf(f.kind, prefix)}`;
}
