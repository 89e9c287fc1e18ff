/**
 * A TLS failure of a database connection as one line that names the endpoint and the connection, the reason in
 * words and the option that fixes it; Node's TLS codes are classified by core/src/tls-failure.ts (shared with the
 * Kafka, registry and AWS paths), the database-specific parts (a server without TLS, the names and dates of the
 * certificate, the FERRY_TLS_* codes and the `ssl.*` fixes) are here. Pure: it reads the error's code, message and (for a host-name mismatch) the
 * certificate Node attaches, plus what a probe of the server's certificate found (tls-probe.ts), when given.
 * Never includes a secret: only the host, port, option names, certificate names and dates.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { tlsFailureOf } from '../../../core/src/tls-failure.ts';

/** What the server's certificate says, as far as known. */
export interface PeerCertificateInfo {
  readonly subject?: string | undefined;
  readonly issuer?: string | undefined;
  /** Names it is valid for: its subject alternative names ("DNS:localhost, IP Address:127.0.0.1"). */
  readonly altNames?: string | undefined;
  readonly validFrom?: Date | undefined;
  readonly validTo?: Date | undefined;
}

export interface TlsFailureContext {
  /** "mariadb at 127.0.0.1:3306" */
  readonly endpoint: string;
  /** "binlog connection", "replication connection", "query connection", … */
  readonly connection: string;
  /** The option block, as the user writes it: "source.ssl", "targets[pg].ssl". */
  readonly option: string;
  /** The host name Ferry connected to. */
  readonly host: string;
  readonly peer?: PeerCertificateInfo | undefined;
}

/** OpenSSL's verification results (as Node's error codes) for a chain that does not lead to a trusted CA. */
export const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'INVALID_PURPOSE',
]);

interface ErrLike { code?: unknown; message?: unknown; reason?: unknown; host?: unknown; cert?: unknown }

/** The error and its causes, outermost first (drivers sometimes wrap the TLS error). */
function chain(e: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur !== null && typeof cur === 'object'; i++) {
    out.push(cur as ErrLike);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * OpenSSL's verification messages (as Node words them) → Node's codes: mysql2 reports every TLS failure with code
 * HANDSHAKE_SSL_ERROR and the original message, so the message is what tells them apart there.
 */
const MESSAGE_CODES: readonly (readonly [RegExp, string])[] = [
  [/^self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/^self[- ]signed certificate/i, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/^unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/^unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/^unable to get issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT'],
  [/^certificate signature failure/i, 'CERT_SIGNATURE_FAILURE'],
  [/^certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/^certificate is not yet valid/i, 'CERT_NOT_YET_VALID'],
  [/^Hostname\/IP does not match certificate's altnames/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
];

/** Node's code of a TLS error, also when a driver replaced it (mysql2: HANDSHAKE_SSL_ERROR). */
function codeOf(x: ErrLike): string {
  const code = str(x.code);
  if (code !== 'HANDSHAKE_SSL_ERROR') return code;
  const message = str(x.message);
  return MESSAGE_CODES.find(([re]) => re.test(message))?.[1] ?? code;
}

/** The kind of TLS failure an error is, or null when it is not one. Node's codes are classified by core/src/tls-failure.ts. */
export function tlsFailureKind(e: unknown): 'untrusted' | 'hostname' | 'expired' | 'not-yet-valid' | 'not-supported' | 'handshake' | null {
  const links = chain(e);
  // The database answered that it has no TLS (mysql2: HANDSHAKE_NO_SSL_SUPPORT; node-postgres: a plain Error).
  if (links.some((x) => str(x.code) === 'HANDSHAKE_NO_SSL_SUPPORT' || /server does not support (SSL|secure connection)/i.test(str(x.message)))) return 'not-supported';
  const f = tlsFailureOf(e);
  switch (f?.kind) {
    case 'unknown-ca': return 'untrusted';
    case 'host-mismatch': return 'hostname';
    case 'expired': return 'expired';
    case 'not-yet-valid': return 'not-yet-valid';
    case undefined: break;
    default: return 'handshake';
  }
  return links.some((x) => /^ERR_SSL_|^ERR_OSSL_|^ERR_TLS_/.test(str(x.code)) || str(x.code) === 'EPROTO' || str(x.code) === 'HANDSHAKE_SSL_ERROR') ? 'handshake' : null;
}

/** "Mon, 05 Jan 2026 10:00:00 GMT" → "2026-01-05T10:00:00Z" (what a reader compares). */
function isoDay(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The certificate's names from the host-name error itself (Node attaches the peer certificate). */
function altNamesOf(e: unknown): string | undefined {
  for (const x of chain(e)) {
    const cert = x.cert as { subjectaltname?: unknown; subject?: { CN?: unknown } } | undefined;
    if (cert && typeof cert.subjectaltname === 'string') return cert.subjectaltname;
    if (cert && typeof cert.subject?.CN === 'string') return `CN=${cert.subject.CN}`;
    const m = /(?:altnames|list): (.*)$/.exec(str(x.reason));
    if (m) return m[1];
  }
  return undefined;
}

/** OpenSSL's reason: core/src/tls-failure.ts's words when it knows the code, else the error's own message. */
function tlsReason(e: unknown): string {
  const f = tlsFailureOf(e);
  if (f && f.code !== undefined && f.code !== 'HANDSHAKE_SSL_ERROR') return f.reason;
  const x = chain(e).find((y) => /^ERR_SSL_|^ERR_OSSL_|^ERR_TLS_/.test(str(y.code)) || ['EPROTO', 'HANDSHAKE_SSL_ERROR'].includes(str(y.code))) ?? chain(e)[0];
  const words = f ? `${f.reason.replace(/ \(HANDSHAKE_SSL_ERROR\)$/, '')}: ` : '';
  return `${words}${str(x?.message) || String(e)}${x && str(x.code) ? ` (${str(x.code)})` : ''}`;
}

/**
 * The FerryError for a TLS failure, or null when `e` is not one. The message is one line:
 * "<endpoint> (<connection>): TLS <reason>. <fix>".
 */
export function tlsFailureError(e: unknown, ctx: TlsFailureContext): FerryError | null {
  const kind = tlsFailureKind(e);
  if (kind === null) return null;
  const where = `${ctx.endpoint} (${ctx.connection})`;
  const o = ctx.option;
  const details = { endpoint: ctx.endpoint, connection: ctx.connection, reason: kind };
  const make = (code: 'FERRY_TLS_UNTRUSTED_CERT' | 'FERRY_TLS_HOSTNAME_MISMATCH' | 'FERRY_TLS_CERT_EXPIRED' | 'FERRY_TLS_NOT_SUPPORTED' | 'FERRY_TLS_HANDSHAKE', text: string) =>
    new FerryError(code, `${where}: ${text}`, { cause: e, details });
  switch (kind) {
    case 'untrusted': {
      const code = chain(e).map(codeOf).find((c) => UNTRUSTED_CODES.has(c)) ?? '';
      const self = code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'the server certificate is self-signed' : code === 'SELF_SIGNED_CERT_IN_CHAIN' ? 'the server certificate chains to a self-signed CA that is not trusted' : 'the server certificate is signed by an unknown CA';
      const issuer = ctx.peer?.issuer ? ` (issuer: ${ctx.peer.issuer})` : '';
      return make('FERRY_TLS_UNTRUSTED_CERT', `TLS certificate not trusted: ${self}${issuer} (${code}). Set ${o}.ca to the PEM of the CA that signed it (e.g. \${file:ca.pem}), or ${o}.mode: require to encrypt without verifying the server`);
    }
    case 'hostname': {
      const names = altNamesOf(e) ?? ctx.peer?.altNames;
      return make('FERRY_TLS_HOSTNAME_MISMATCH', `TLS host name does not match the certificate: connected to "${ctx.host}", the certificate is for ${names ?? 'other names'}. Connect with a name the certificate lists (the host setting), or set ${o}.mode: verify-ca to check the CA only`);
    }
    case 'expired':
    case 'not-yet-valid': {
      const date = kind === 'expired' ? ctx.peer?.validTo : ctx.peer?.validFrom;
      const when = date ? (kind === 'expired' ? ` on ${isoDay(date)}` : ` before ${isoDay(date)}`) : '';
      const what = kind === 'expired' ? `TLS certificate expired${when}` : `TLS certificate not valid yet (not${when || ' before its start date'})`;
      const subject = ctx.peer?.subject ? ` (subject: ${ctx.peer.subject})` : '';
      return make('FERRY_TLS_CERT_EXPIRED', `${what}${subject}. Renew the server certificate${kind === 'not-yet-valid' ? ' or correct the clock' : ''}; ${o}.mode: require would encrypt without verifying it`);
    }
    case 'not-supported':
      return make('FERRY_TLS_NOT_SUPPORTED', `the server does not support TLS, and ${o} asks for it. Enable TLS on the server, or remove ${o} (or ${o}.mode: disable) to connect in plain text`);
    case 'handshake':
      return make('FERRY_TLS_HANDSHAKE', `TLS handshake failed: ${tlsReason(e)}. Check ${o}.cert and ${o}.key (the server may require or refuse the client certificate) and the server's TLS settings`);
  }
}
