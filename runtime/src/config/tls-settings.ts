/**
 * TLS to a database, declared once: the `ssl` block of the MySQL/MariaDB and PostgreSQL sources and of the mysql
 * and postgres sinks, and its translation into the drivers' options (mysql2 and node-postgres), so that every
 * connection Ferry opens to one of these databases (query, snapshot, binlog and replication connections, the
 * app's commands) verifies the same way.
 *
 * The modes are libpq's sslmode, without its opportunistic ones:
 *   disable      no TLS;
 *   require      TLS, the certificate is not checked (encryption only; a warning is logged at every start);
 *   verify-ca    TLS, the certificate must chain to `ca` (or the system CAs); its name is not checked;
 *   verify-full  verify-ca, and the certificate must name the host Ferry connects to (`host`).
 * An `ssl` block without `mode` means verify-full; no `ssl` block at all means no TLS (as before this option).
 * Client certificates (mutual TLS): `cert` and `key`.
 */
import { z } from 'zod';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Logger } from '../../../core/src/types.ts';
import { isSecretReference, Secret } from './secrets.ts';
import { installMysql2HostCheck, VERIFY_HOST } from './mysql2-host-check.ts';

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

const PEM_CERT = '-----BEGIN CERTIFICATE-----';
const isPem = (marker: RegExp) => (s: string) => isSecretReference(s) || marker.test(s);
const pemMessage = (what: string) => `expected ${what} as PEM text (-----BEGIN …-----); to read a file, write \${file:path}`;

const pemCertificates = (description: string) =>
  z.string().min(1).refine(isPem(new RegExp(PEM_CERT)), { message: pemMessage('certificates') }).meta({ description });

export const sslSchema = z.strictObject({
  mode: z.enum(SSL_MODES).default('verify-full').meta({
    description: 'disable: no TLS. require: TLS without checking the server certificate (encryption only; logs a warning at every start). verify-ca: the server certificate must chain to `ca` (default: the system CAs). verify-full: verify-ca, and the certificate must name `host` (DNS name or IP address in its subject alternative names). Default when `ssl` is given: verify-full.',
  }),
  ca: pemCertificates('PEM of the CA certificate(s) the server certificate must chain to (verify-ca, verify-full). Default: the system CAs. Use ${file:path}.').optional(),
  cert: pemCertificates('Client certificate (mutual TLS), PEM, with `key`; intermediate certificates may follow it. Use ${file:path}.').optional(),
  key: z.string().min(1).refine(isPem(/-----BEGIN [A-Z ]*PRIVATE KEY-----/), { message: pemMessage('an unencrypted private key') })
    .meta({ secret: true }).transform((s) => new Secret(s)).optional()
    .meta({ description: 'Private key of `cert` (mutual TLS), PEM, unencrypted. Use ${file:path}; never logged.', secret: true }),
}).superRefine((s, ctx) => {
  if ((s.cert === undefined) !== (s.key === undefined)) {
    ctx.addIssue({ code: 'custom', path: [s.cert === undefined ? 'cert' : 'key'], message: 'cert and key go together (mutual TLS): give both, or neither', input: undefined });
  }
  if (s.mode === 'disable' && (s.ca !== undefined || s.cert !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [s.ca !== undefined ? 'ca' : 'cert'], message: 'mode disable uses no TLS: remove ca/cert/key, or choose a TLS mode (verify-full)', input: undefined });
  }
  if (s.mode === 'require' && s.ca !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['ca'], message: 'mode require does not check the certificate, so ca would be ignored: use mode verify-ca or verify-full to check it against ca, or remove ca', input: undefined });
  }
});

export type SslSettingsInput = z.input<typeof sslSchema>;
export type SslSettings = z.output<typeof sslSchema>;

/** The `ssl` key as the sources and sinks declare it: absent means no TLS. */
export const sslOption = () =>
  sslSchema.optional().meta({ description: 'TLS to the database: {mode, ca, cert, key}. Absent: no TLS. Given without mode: verify-full. See docs/tls.md.' });

/** The key as the drivers need it: revealed only here. */
type KeyValue = Pick<Secret, 'reveal'> | string;
interface SslLike { readonly mode: SslMode; readonly ca?: string | undefined; readonly cert?: string | undefined; readonly key?: KeyValue | undefined }

const keyText = (k: KeyValue | undefined): string | undefined => (k === undefined ? undefined : typeof k === 'string' ? k : k.reveal());

/** Whether `ssl` asks for TLS at all. */
export function usesTls(ssl: SslLike | undefined): ssl is SslLike {
  return ssl !== undefined && ssl.mode !== 'disable';
}

/** Whether the server certificate goes unchecked (mode require): warn at every start. */
export function tlsVerificationOff(ssl: SslLike | undefined): boolean {
  return ssl !== undefined && ssl.mode === 'require';
}

/** The warning logged at every start of a connection owner with mode require. */
export function tlsVerificationOffWarning(endpoint: string, option: string): string {
  return `TLS to ${endpoint} does not verify the server certificate (${option}.mode: require): the connection is encrypted, but anyone able to intercept it can impersonate the server. Set ${option}.mode: verify-full and ${option}.ca to verify it`;
}

/**
 * The `ssl` options of mysql2 (ConnectionOptions.ssl) for a connection to `host`; undefined for no TLS. verify-full's
 * host-name check is Ferry's (mysql2-host-check.ts): mysql2's own would check an IP address against "localhost".
 */
export function mysql2Ssl(ssl: SslLike | undefined, host: string): { rejectUnauthorized: boolean; verifyIdentity: false; ca?: string; cert?: string; key?: string; [VERIFY_HOST]?: string } | undefined {
  if (!usesTls(ssl)) return undefined;
  const key = keyText(ssl.key);
  if (ssl.mode === 'verify-full') installMysql2HostCheck();
  return {
    rejectUnauthorized: ssl.mode !== 'require', verifyIdentity: false,
    ...(ssl.mode === 'verify-full' ? { [VERIFY_HOST]: host } : {}),
    ...(ssl.ca !== undefined && ssl.mode !== 'require' ? { ca: ssl.ca } : {}),
    ...(ssl.cert !== undefined && key !== undefined ? { cert: ssl.cert, key } : {}),
  };
}

/** The `ssl` option of node-postgres (ClientConfig.ssl, passed to tls.connect); false for no TLS. */
export function pgSsl(ssl: SslLike | undefined): false | TlsConnectionOptions {
  if (!usesTls(ssl)) return false;
  const key = keyText(ssl.key);
  return {
    rejectUnauthorized: ssl.mode !== 'require',
    ...(ssl.mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    ...(ssl.ca !== undefined && ssl.mode !== 'require' ? { ca: ssl.ca } : {}),
    ...(ssl.cert !== undefined && key !== undefined ? { cert: ssl.cert, key } : {}),
  };
}

/** A short description for logs and `ferry plan`: "TLS verify-full, client certificate", "no TLS". */
export function describeSsl(ssl: SslLike | undefined): string {
  if (!usesTls(ssl)) return 'no TLS';
  return `TLS ${ssl.mode}${ssl.ca !== undefined ? ', own CA' : ''}${ssl.cert !== undefined ? ', client certificate' : ''}`;
}

/** Logs the warning of mode require (called once at every start of a source or sink); does nothing otherwise. */
export function warnIfTlsUnverified(ssl: unknown, endpoint: string, option: string, log: Pick<Logger, 'warn'>): void {
  if (tlsVerificationOff(ssl as SslLike | undefined)) log.warn({ endpoint, option: `${option}.mode` }, tlsVerificationOffWarning(endpoint, option));
}
