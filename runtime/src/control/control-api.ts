/**
 * The control API of a running task, served next to /metrics (settings.metrics.host:port):
 *
 *   POST /signals  {"type":"execute-snapshot","tables":["db.table", ...]}  → 202 {"id", "signal"}
 *                  400 {"error"} for a malformed body, an unknown table or one outside the task's mapping
 *   GET  /signals  → 200 {"signals": [SignalStatus, ...]}  (pending, running, done and failed, oldest first)
 *
 * The source receives signals through SourceConnector.signal (core/src/types.ts); a source without it
 * answers 501. Used by `ferry snapshot` (app/src/cli/commands/snapshot.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../../core/src/errors.ts';
import type { SourceConnector, SourceSignal } from '../../../core/src/types.ts';

const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new Error(`request body over ${MAX_BODY} bytes`)); req.destroy(); return; }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses a POST /signals body; a string is the reason it is not a signal. */
export function parseSignal(body: string): SourceSignal | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return 'the body is not JSON: send {"type":"execute-snapshot","tables":["<db>.<table>", ...]}';
  }
  if (typeof v !== 'object' || v === null) return 'the body must be a JSON object';
  const o = v as { type?: unknown; tables?: unknown };
  if (o.type !== 'execute-snapshot') return `unknown signal type ${JSON.stringify(o.type)}: the only type is "execute-snapshot"`;
  if (!Array.isArray(o.tables) || o.tables.length === 0 || !o.tables.every((t) => typeof t === 'string' && t !== '')) {
    return '"tables" must be a non-empty array of "<db>.<table>" names';
  }
  return { type: 'execute-snapshot', tables: o.tables as string[] };
}

export class ControlApi {
  #source: SourceConnector | null = null;

  /** The task's source, once it exists; requests before that get 503. */
  attach(source: SourceConnector | null): void {
    this.#source = source;
  }

  /** Handles /signals; returns false for any other path (the metrics server's own routes). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/signals') return false;
    const source = this.#source;
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, 405, { error: 'use GET /signals or POST /signals' });
      return true;
    }
    if (!source) {
      send(res, 503, { error: 'the task is starting: its source is not open yet; try again' });
      return true;
    }
    if (!source.signal || !source.signals) {
      send(res, 501, { error: 'this task\'s source does not take signals (incremental snapshots are supported for MySQL and MariaDB)' });
      return true;
    }
    if (req.method === 'GET') {
      send(res, 200, { signals: source.signals() });
      return true;
    }
    const signalFn = source.signal.bind(source);
    readBody(req).then(async (body) => {
      const s = parseSignal(body);
      if (typeof s === 'string') { send(res, 400, { error: s }); return; }
      const r = await signalFn(s);
      if (r.accepted) send(res, 202, { id: r.signal.id, signal: r.signal });
      else send(res, 400, { error: r.reason });
    }).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: errorMessage(e) });
    });
    return true;
  }
}
