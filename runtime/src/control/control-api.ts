/**
 * The control API of a running task, served next to /metrics (settings.metrics.host:port):
 *
 *   POST /signals  {"type":"execute-snapshot","tables":["db.table", ...]}  → 202 {"id", "signal"}
 *                  optional "additional-conditions": [{"data-collection": "db.table", "filter": "id IN (4, 17)"}]
 *                  (Debezium's: only the rows meeting the filter are re-read)
 *                  400 {"error"} for a malformed body, an unknown table or one outside the task's mapping
 *                  {"type":"stop-snapshot","tables":[...]} (no tables: every snapshot), {"type":"pause-snapshot"},
 *                  {"type":"resume-snapshot"}; or any signal in Debezium's form {"type": ..., "data": {...}}
 *                  (runtime/src/signals/debezium-signal.ts, docs/signals.md)
 *   GET  /signals  → 200 {"signals": [SignalStatus, ...]}  (pending, running, done and failed, oldest first)
 *
 * Both need `Authorization: Bearer <token>` with this run's token, which the task writes to
 * `<stateDir>/control-token` (mode 0600, control-token.ts) when it starts serving; a missing or wrong token answers
 * 401 and says where the token is. POST takes `content-type: application/json` only (415 otherwise), and a request
 * carrying an Origin header other than the server's own is refused (403): a web page cannot post a signal, even
 * one that guessed the port (a cross-site form or fetch can send text/plain without a preflight, never a token).
 *
 *   POST /stop     → 202 {"stopping": true}: stops the run gracefully, as SIGTERM does (the batch in flight is written and
 *                  its position committed, then `ferry run` exits 0); used by `ferry cutover` (app/src/cutover). 501 when
 *                  the process has no stop (ControlApiOptions.stop). Same token and Origin rules.
 *
 * The source receives signals through SourceConnector.signal (core/src/types.ts); a source without it
 * answers 501. Used by `ferry snapshot` (app/src/cli/commands/snapshot.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../../core/src/errors.ts';
import type { SourceConnector, SourceSignal } from '../../../core/src/types.ts';
import { controlTokenPath, tokensEqual, writeControlToken } from './control-token.ts';
import { parseDebeziumSignal, SIGNAL_TYPES } from '../signals/debezium-signal.ts';

const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
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
  const o = v as { type?: unknown; tables?: unknown; data?: unknown; 'additional-conditions'?: unknown };
  // Debezium's form, as in the signal table and on the signal topic.
  if (o.data !== undefined) return parseDebeziumSignal(o.type, o.data);
  if (!(SIGNAL_TYPES as readonly unknown[]).includes(o.type)) return `unknown signal type ${JSON.stringify(o.type)}: the types are ${SIGNAL_TYPES.map((t) => `"${t}"`).join(', ')}`;
  if (o.type === 'pause-snapshot' || o.type === 'resume-snapshot') return { type: o.type, tables: [] };
  const stop = o.type === 'stop-snapshot';
  if (stop && o.tables === undefined) return { type: 'stop-snapshot', tables: [] };
  if (!Array.isArray(o.tables) || (!stop && o.tables.length === 0) || !o.tables.every((t) => typeof t === 'string' && t !== '')) {
    return `"tables" must be a ${stop ? '' : 'non-empty '}array of "<db>.<table>" names`;
  }
  if (stop) return { type: 'stop-snapshot', tables: [...new Set(o.tables as string[])] };
  const extra = o['additional-conditions'];
  if (extra === undefined) return { type: 'execute-snapshot', tables: o.tables as string[] };
  // Debezium's form: [{"data-collection": "<db>.<table>", "filter": "<SQL condition>"}, ...]
  if (!Array.isArray(extra) || !extra.every((c) => typeof c === 'object' && c !== null && typeof c['data-collection'] === 'string' && typeof c.filter === 'string' && c.filter.trim() !== '')) {
    return '"additional-conditions" must be an array of {"data-collection": "<db>.<table>", "filter": "<SQL condition>"}';
  }
  const conditions: Record<string, string> = {};
  for (const c of extra as { 'data-collection': string; filter: string }[]) {
    if (conditions[c['data-collection']] !== undefined) return `"additional-conditions" names ${c['data-collection']} twice`;
    conditions[c['data-collection']] = c.filter;
  }
  return { type: 'execute-snapshot', tables: o.tables as string[], conditions };
}

export interface ControlApiOptions {
  /** The task's state folder: the run's token is written to `<stateDir>/control-token`. */
  readonly stateDir: string;
  /** POST /stop calls it (the run's graceful stop); absent = 501. */
  readonly stop?: () => void;
}

/** Why a request may not use the control API, or undefined when it may. */
function refusal(req: IncomingMessage, token: string | undefined, tokenFile: string): { status: number; error: string } | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
    return { status: 403, error: `requests from a web page (Origin ${JSON.stringify(origin)}) are refused: call /signals with \`ferry snapshot\` or from a script` };
  }
  const where = `send "Authorization: Bearer <token>" with the token in ${tokenFile} (written, readable by its owner only, when the task started; each run writes a new one; \`ferry snapshot <task-file>\` reads it from there)`;
  const header = req.headers.authorization;
  if (header === undefined || header.trim() === '') return { status: 401, error: `this endpoint needs the task's control token: ${where}` };
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  if (!m || m[1]!.toLowerCase() !== 'bearer') return { status: 401, error: `the Authorization header must use the Bearer scheme: ${where}` };
  if (token === undefined || !tokensEqual(m[2]!, token)) return { status: 401, error: `the control token is wrong (not this run's): ${where}` };
  return undefined;
}

/** The media type of a request, lower case, without its parameters. */
function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export class ControlApi {
  #source: SourceConnector | null = null;
  readonly #stateDir: string;
  readonly #stop: (() => void) | undefined;
  readonly #tokenFile: string;
  #token: string | undefined;

  constructor(options: ControlApiOptions) {
    this.#stateDir = options.stateDir;
    this.#stop = options.stop;
    this.#tokenFile = controlTokenPath(options.stateDir);
  }

  /**
   * Makes this run's token, writes it to `<stateDir>/control-token` (mode 0600), and returns the request handler
   * for the metrics server (startMetricsServer's `handle`). Until it is called every request is refused.
   */
  handler(): (req: IncomingMessage, res: ServerResponse) => boolean {
    this.#token = writeControlToken(this.#stateDir).token;
    return (req, res) => this.handle(req, res);
  }

  /** The task's source, once it exists; requests before that get 503. */
  attach(source: SourceConnector | null): void {
    this.#source = source;
  }

  /** Handles /signals; returns false for any other path (the metrics server's own routes). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/stop') return this.#handleStop(req, res);
    if (path !== '/signals') return false;
    const source = this.#source;
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, 405, { error: 'use GET /signals or POST /signals' });
      return true;
    }
    const refused = refusal(req, this.#token, this.#tokenFile);
    if (refused) {
      req.resume();
      send(res, refused.status, { error: refused.error }, refused.status === 401 ? { 'www-authenticate': 'Bearer realm="ferry-control"' } : {});
      return true;
    }
    if (req.method === 'POST' && mediaType(req) !== 'application/json') {
      req.resume();
      send(res, 415, { error: `POST /signals takes content-type application/json only (got ${JSON.stringify(req.headers['content-type'] ?? 'none')})` });
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

  /** POST /stop: the run's graceful stop. */
  #handleStop(req: IncomingMessage, res: ServerResponse): boolean {
    req.resume();
    if (req.method !== 'POST') {
      send(res, 405, { error: 'use POST /stop' });
      return true;
    }
    const refused = refusal(req, this.#token, this.#tokenFile);
    if (refused) {
      send(res, refused.status, { error: refused.error }, refused.status === 401 ? { 'www-authenticate': 'Bearer realm="ferry-control"' } : {});
      return true;
    }
    if (!this.#stop) {
      send(res, 501, { error: 'this process cannot be stopped through its control API: stop it with SIGTERM' });
      return true;
    }
    send(res, 202, { stopping: true });
    this.#stop();
    return true;
  }
}
