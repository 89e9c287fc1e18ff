/**
 * Reads a database server's TLS certificate without trusting it, to explain a failed verification (the date of an
 * expired certificate, the issuer of an untrusted one): the drivers' errors carry only OpenSSL's code. Speaks just
 * enough of each protocol to start TLS (PostgreSQL's SSLRequest; MySQL's handshake and SSL request packet), reads
 * the certificate and closes the connection before authenticating. Best effort: null on any failure or timeout.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { FerryError } from '../../../core/src/errors.ts';
import { tlsFailureError, tlsFailureKind, type PeerCertificateInfo, type TlsFailureContext } from './tls-errors.ts';

export interface ProbeOptions {
  readonly protocol: 'postgres' | 'mysql';
  readonly host: string;
  readonly port: number;
  readonly timeoutMs?: number;
}

/** "CN=localhost, O=Example" */
function dn(x: Record<string, unknown> | undefined): string | undefined {
  if (!x) return undefined;
  const parts = Object.entries(x).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function certificateInfo(c: PeerCertificate): PeerCertificateInfo {
  const date = (s: string | undefined) => (s ? new Date(s) : undefined);
  return {
    subject: dn(c.subject as unknown as Record<string, unknown>), issuer: dn(c.issuer as unknown as Record<string, unknown>),
    altNames: c.subjectaltname || undefined, validFrom: date(c.valid_from), validTo: date(c.valid_to),
  };
}

const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** MySQL's SSL request: capabilities (PROTOCOL_41 | SSL | SECURE_CONNECTION | LONG_PASSWORD), max packet, charset, filler. */
function mysqlSslRequest(): Buffer {
  const body = Buffer.alloc(32);
  body.writeUInt32LE(0x0001 | 0x0200 | 0x0800 | 0x8000, 0);
  body.writeUInt32LE(0x01000000, 4);
  body[8] = 45; // utf8mb4_general_ci
  const head = Buffer.from([32, 0, 0, 1]); // payload length 32, sequence 1
  return Buffer.concat([head, body]);
}

/** The server's certificate, or null. */
export function probePeerCertificate(o: ProbeOptions): Promise<PeerCertificateInfo | null> {
  return new Promise((resolve) => {
    let done = false;
    let sock: Socket | null = null;
    let secure: Socket | null = null;
    const finish = (v: PeerCertificateInfo | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Closed on the next turn, never from inside a TLS callback, and through the TLS socket once there is one.
      setImmediate(() => (secure ?? sock)?.destroy());
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), o.timeoutMs ?? 5000);
    timer.unref();
    const upgrade = (raw: Socket) => {
      raw.removeAllListeners('data');
      const t = tlsConnect({ socket: raw, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(o.host) ? {} : { servername: o.host }) }, () => {
        const c = t.getPeerCertificate();
        finish(c && Object.keys(c).length > 0 ? certificateInfo(c) : null);
      });
      secure = t;
      t.on('error', () => finish(null));
    };
    const raw = netConnect({ host: o.host, port: o.port });
    sock = raw;
    raw.on('error', () => finish(null));
    raw.on('close', () => finish(null));
    if (o.protocol === 'postgres') {
      raw.on('connect', () => raw.write(PG_SSL_REQUEST));
      raw.once('data', (b: Buffer) => (b[0] === 0x53 /* S */ ? upgrade(raw) : finish(null)));
    } else {
      let buf = Buffer.alloc(0);
      raw.on('data', (b: Buffer) => {
        buf = Buffer.concat([buf, b]);
        if (buf.length < 4) return;
        const len = buf.readUIntLE(0, 3);
        if (buf.length < 4 + len) return;
        if (buf[4] === 0xff) { finish(null); return; } // an error packet instead of the handshake
        raw.write(mysqlSslRequest());
        upgrade(raw);
      });
    }
  });
}

/**
 * The FerryError for a TLS failure of a connection to `host:port`, with the server's certificate probed when that
 * helps the message (expired: its date; untrusted: its issuer); null when `e` is not a TLS failure.
 */
export async function explainTlsFailure(e: unknown, ctx: Omit<TlsFailureContext, 'peer'> & { readonly protocol: 'postgres' | 'mysql'; readonly port: number }): Promise<FerryError | null> {
  const kind = tlsFailureKind(e);
  if (kind === null) return null;
  const peer = kind === 'expired' || kind === 'not-yet-valid' || kind === 'untrusted'
    ? await probePeerCertificate({ protocol: ctx.protocol, host: ctx.host, port: ctx.port, timeoutMs: 3000 })
    : null;
  return tlsFailureError(e, { ...ctx, ...(peer ? { peer } : {}) });
}
