/**
 * Serves GET /metrics (Prometheus text), GET /healthz (liveness) and GET /readyz (readiness: runtime/src/health) over
 * HTTP, plus the routes of an optional `handle` (the control API). /healthz and /readyz need no token and do no I/O:
 * /healthz answers 200 while the event loop does; /readyz answers 200 when every component is ready, 503 otherwise,
 * with the Readiness report as its JSON body (docs/operations.md).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../../../core/src/node-http.ts';
import type { AddressInfo } from 'node:net';
import type { PromMetrics } from './metrics.ts';
import type { Readiness } from '../health/readiness.ts';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  metrics: PromMetrics; host: string; port: number; health?: () => object;
  /** Served as GET /readyz; without it /readyz answers 200 as soon as the server listens. */
  readiness?: Readiness;
  /** Extra routes (runtime/src/control): returns true when it answered the request. */
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}): Promise<MetricsServer> {
  const server: Server = http.createServer((req, res) => {
    if (options.handle?.(req, res)) return;
    const path = (req.url ?? '').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/readyz') {
      const report = options.readiness?.report() ?? { ready: true, notReady: [], components: {} };
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(report)}\n`);
    } else if (req.method === 'GET' && path === '/metrics') {
      options.metrics.text().then(
        (body) => { res.writeHead(200, { 'content-type': options.metrics.registry.contentType }); res.end(body); },
        (e: unknown) => { res.writeHead(500); res.end(String(e)); },
      );
    } else if ((req.method === 'GET' || req.method === 'HEAD') && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(options.health?.() ?? { status: 'ok' }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try GET /metrics, GET /healthz or GET /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
