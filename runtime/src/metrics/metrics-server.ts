/** Serves GET /metrics (Prometheus text) and GET /healthz over HTTP, plus the routes of an optional `handle` (the control API). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PromMetrics } from './metrics.ts';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  metrics: PromMetrics; host: string; port: number; health?: () => object;
  /** Extra routes (runtime/src/control): returns true when it answered the request. */
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (options.handle?.(req, res)) return;
    if (req.method === 'GET' && req.url === '/metrics') {
      options.metrics.text().then(
        (body) => { res.writeHead(200, { 'content-type': options.metrics.registry.contentType }); res.end(body); },
        (e: unknown) => { res.writeHead(500); res.end(String(e)); },
      );
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(options.health?.() ?? { status: 'ok' }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try GET /metrics or GET /healthz\n');
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
