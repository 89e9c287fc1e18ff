/**
 * A receiver for Ferry's webhook notifications (settings.notifications, docs/notifications.md), shared by the
 * recipes page-on-failure.ts and validate-on-full-load.ts. Dependency-free (node:http, node:crypto): copy it.
 *
 * For each POST it checks, before acting on anything:
 *   - X-Ferry-Timestamp is within the replay window (default 300 s) of this machine's clock;
 *   - X-Ferry-Signature is "v1=" + hex HMAC-SHA256(secret, "<timestamp>.<raw body>"), compared in constant time;
 *   - the CloudEvent id was not handled already (Ferry delivers at least once: a retry carries the same id).
 * A bad request answers 401 and runs nothing; a good one answers 204 at once and the handler runs after (Ferry
 * retries anything but a 2xx, so a slow handler must not hold the answer).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** The CloudEvent Ferry posts (structured JSON mode). */
export interface FerryCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  /** io.ferry.task.<category>: failure, full-load-completed, state-change, ... */
  readonly type: string;
  readonly time: string;
  readonly subject?: string;
  readonly data: {
    readonly task: string;
    readonly category: string;
    readonly dmsCategory: string;
    readonly table?: string;
    readonly message: string;
    readonly details: Record<string, unknown>;
  };
}

export interface ReceiverOptions {
  readonly secret: string;
  readonly port: number;
  readonly host?: string;
  /** Seconds; default 300. */
  readonly replayWindowSeconds?: number;
  /** Called once per event id, after the 204 went out. */
  readonly onEvent: (event: FerryCloudEvent) => void | Promise<void>;
  readonly log?: (line: string) => void;
}

/** Why a request is refused, or null when it is genuine. */
export function verify(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, windowSeconds = 300): string | null {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return 'missing or malformed X-Ferry-Timestamp';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > windowSeconds) return 'X-Ferry-Timestamp outside the replay window';
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad X-Ferry-Signature';
  return null;
}

export async function startReceiver(o: ReceiverOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const seen = new Set<string>();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= 1024 * 1024) parts.push(c); });
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      const header = (n: string) => { const v = req.headers[n]; return Array.isArray(v) ? v[0] : v; };
      const refused = req.method !== 'POST' ? 'use POST' : size > 1024 * 1024 ? 'body over 1 MiB' : verify(o.secret, header('x-ferry-timestamp'), header('x-ferry-signature'), body, o.replayWindowSeconds);
      if (refused !== null) {
        log(`refused a request: ${refused}`);
        res.writeHead(401, { 'content-type': 'text/plain' }).end(`${refused}\n`);
        return;
      }
      let event: FerryCloudEvent;
      try {
        event = JSON.parse(body) as FerryCloudEvent;
      } catch {
        res.writeHead(400).end('not JSON\n');
        return;
      }
      res.writeHead(204).end();
      if (seen.has(event.id)) return; // a redelivery
      seen.add(event.id);
      Promise.resolve(o.onEvent(event)).catch((e: unknown) => log(`handler failed for event ${event.id}: ${e instanceof Error ? e.message : String(e)}`));
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(o.port, o.host ?? '127.0.0.1', () => resolve()); });
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** The `ferry` command: $FERRY (a command line, e.g. "npx ferry" or "node /opt/ferry/bin/ferry.js"), default "npx ferry". */
export function ferryCommand(): string[] {
  return (process.env.FERRY ?? 'npx ferry').split(' ').filter((w) => w !== '');
}

/** A required environment variable, or exit 2 naming it. */
export function requiredEnv(name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    process.stderr.write(`error: set ${name} (${what})\n`);
    process.exit(2);
  }
  return v;
}
