/**
 * The host-name check of `ssl.mode: verify-full` for mysql2 connections, done by Ferry.
 *
 * mysql2 (3.x) upgrades to TLS with tls.connect({socket, servername}) and sets servername only for DNS names, so for a
 * host given as an IP address Node checks the certificate against "localhost" instead of the address (a certificate
 * for localhost would pass for any IP; one that lists the IP would fail). Ferry therefore turns mysql2's own check off
 * (verifyIdentity: false) and checks the certificate against the configured host — DNS name or IP address — with
 * tls.checkServerIdentity between the TLS handshake and the credentials: mysql2's startTLS(onSecure) calls onSecure
 * once the server is verified and sends the credentials from it, so the check runs in a wrapper of that callback,
 * and a mismatch fails the connection before any credential is sent. The wrapper acts only on connections whose
 * `ssl` carries VERIFY_HOST (set by mysql2Ssl in tls-settings.ts); every other mysql2 connection is untouched.
 */
import { createRequire } from 'node:module';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

/** The key of mysql2's `ssl` object that names the host to check. */
export const VERIFY_HOST = 'ferryVerifyHost';

interface Mysql2Connection {
  config?: { ssl?: Record<string, unknown> | false };
  stream?: Partial<TLSSocket>;
}
type StartTls = (this: Mysql2Connection, onSecure: (err?: Error) => void) => unknown;

let installed = false;

/** Wraps mysql2's Connection.prototype.startTLS once per process (idempotent). */
export function installMysql2HostCheck(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const { Connection } = require('mysql2') as { Connection: { prototype: { startTLS: StartTls } } };
  const original = Connection.prototype.startTLS;
  if (typeof original !== 'function') throw new Error('mysql2 has no Connection.prototype.startTLS: the verify-full host check cannot be installed (mysql2 changed; see runtime/src/config/mysql2-host-check.ts)');
  Connection.prototype.startTLS = function startTLS(this: Mysql2Connection, onSecure: (err?: Error) => void) {
    const host = this.config?.ssl ? this.config.ssl[VERIFY_HOST] : undefined;
    if (typeof host !== 'string') return original.call(this, onSecure);
    return original.call(this, (err?: Error) => {
      if (err) { onSecure(err); return; }
      const cert = this.stream?.getPeerCertificate?.(true) as PeerCertificate | undefined;
      const mismatch = cert && Object.keys(cert).length > 0 ? checkServerIdentity(host, cert) : new Error(`no server certificate to check against ${host}`);
      onSecure(mismatch ?? undefined);
    });
  };
  installed = true;
}
