/**
 * A cluster worker's HTTP endpoint (`ferry worker --http`, docs/cluster.md#http):
 *
 *   GET  /healthz   200 while the process and its membership loop respond
 *   GET  /readyz    200 once a member of the group and every assigned task runs; 503 {ready:false, reason}
 *   GET  /status    {workerId, cluster, generation, leader, members, tasks:[{name, owner, state}]}
 *   GET  /metrics   Prometheus text: the worker's gauges and its running tasks' metrics
 *   GET  /tasks, GET /tasks/{name}                      answered by any worker (from the config and status topics)
 *   POST /tasks, POST /tasks/{name}/start|stop, DELETE /tasks/{name}   forwarded to the leader, which writes the
 *        config topic (and so rebalances)
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { ConfigError, parseTaskAsync } from '../task-file/load-task.ts';
import { apiReferencePolicy, maskTaskSecrets } from '../task/secret-fields.ts';
import type { StoredTask } from '../tasks-api/task-store.ts';
import { DEFAULT_SECRET_ENV_PREFIX } from '../tasks-api/task-manager.ts';
import type { ClusterWorker } from './ClusterWorker.ts';
import { mergePrometheusText } from './merge-metrics.ts';

const NAME_RE = /^[A-Za-z0-9_.-]{1,200}$/;
const MAX_BODY = 1024 * 1024;
/** /healthz fails when the membership loop has not moved for this long (a join waits at most the rebalance timeout). */
const LOOP_STALL_MS = 30_000;
export const FORWARDED_HEADER = 'x-ferry-forwarded-by';

type Reply = { status: number; body: unknown };

/** Serves before the worker has joined (`worker()` undefined): /healthz answers, everything else is a 503. */
export function startWorkerHttp(worker: () => ClusterWorker | undefined, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const w = worker();
    if (!w) {
      const alive = (req.url ?? '').startsWith('/healthz');
      return send(res, { status: alive ? 200 : 503, body: alive ? { ok: true, starting: true } : { ready: false, error: 'FERRY_CLUSTER_ERROR', reason: 'the worker is starting (reading the cluster topics, joining the group)' } });
    }
    void handle(w, req, res).catch((e: unknown) => send(res, { status: 500, body: { error: 'internal', message: redact(errorMessage(e)) } }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function send(res: ServerResponse, r: Reply, contentType = 'application/json'): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { 'content-type': contentType });
  res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new FerryError('FERRY_CONFIG_TOO_LARGE', 'the request body is larger than 1 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString();
}

async function handle(w: ClusterWorker, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://worker');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/healthz') {
    const stalled = Date.now() - w.loopAlive;
    return send(res, stalled < LOOP_STALL_MS ? { status: 200, body: { ok: true } } : { status: 503, body: { ok: false, reason: `the membership loop has not moved for ${Math.round(stalled / 1000)} s` } });
  }
  if (method === 'GET' && path === '/readyz') return send(res, readiness(w));
  if (method === 'GET' && path === '/status') return send(res, { status: 200, body: statusOf(w) });
  if (method === 'GET' && path === '/metrics') {
    const texts = [await w.metrics.text()];
    for (const r of w.runs.values()) if (r.metrics) texts.push(await r.metrics.text());
    return send(res, { status: 200, body: mergePrometheusText(texts) }, 'text/plain; version=0.0.4');
  }
  if (method === 'GET' && path === '/tasks') return send(res, { status: 200, body: { tasks: [...w.definitions.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => taskView(w, t, false)) } });
  const one = /^\/tasks\/([^/]+)$/.exec(path);
  if (method === 'GET' && one) {
    const t = w.definitions.get(decodeURIComponent(one[1]!));
    return send(res, t ? { status: 200, body: { task: taskView(w, t, true) } } : notFound(decodeURIComponent(one[1]!)));
  }
  const action = /^\/tasks\/([^/]+)\/(start|stop)$/.exec(path);
  if ((method === 'POST' && (path === '/tasks' || action)) || (method === 'DELETE' && one)) {
    const view = w.view;
    if (!view) return send(res, { status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: 'this worker is not in the cluster right now (joining or rebalancing); retry in a few seconds' } });
    const body = method === 'POST' ? await readBody(req) : '';
    if (!view.isLeader) return forward(w, view.leader.url, req, body, res);
    if (path === '/tasks') return send(res, await createTask(w, body));
    const name = decodeURIComponent((action ?? one)![1]!);
    const t = w.definitions.get(name);
    if (!t) return send(res, notFound(name));
    if (method === 'DELETE') {
      await w.deleteDefinition(name);
      return send(res, { status: 200, body: { deleted: name } });
    }
    const desired = action![2] === 'start' ? 'running' : 'stopped';
    const next: StoredTask = { ...t, desired, updatedAt: t.desired === desired ? t.updatedAt : new Date().toISOString() };
    if (t.desired !== desired) await w.putDefinition(next);
    return send(res, { status: 200, body: { task: taskView(w, next, false) } });
  }
  return send(res, { status: 404, body: { error: 'not_found', message: `no ${method} ${path} on a cluster worker (docs/cluster.md#http)` } });
}

function notFound(name: string): Reply {
  return { status: 404, body: { error: 'not_found', message: `no task named "${name}" in this cluster (GET /tasks lists them)` } };
}

function readiness(w: ClusterWorker): Reply {
  const v = w.view;
  if (!v) return { status: 503, body: { ready: false, reason: 'not a member of the cluster yet (joining or rebalancing)' } };
  const notRunning = v.tasks.filter((t) => w.runs.get(t)?.status.state !== 'running');
  if (notRunning.length > 0) return { status: 503, body: { ready: false, reason: `assigned tasks not running yet: ${notRunning.map((t) => `${t} (${w.runs.get(t)?.status.state ?? 'not started'})`).join(', ')}` } };
  return { status: 200, body: { ready: true, generation: v.generation, tasks: v.tasks } };
}

export function statusOf(w: ClusterWorker) {
  const v = w.view;
  const names = new Set([...w.definitions.keys(), ...Object.keys(v?.owners ?? {})]);
  return {
    workerId: w.o.workerId, cluster: w.o.cluster, generation: v?.generation ?? null, leader: v?.leader ?? null, isLeader: v?.isLeader ?? false,
    members: v?.members ?? [],
    tasks: [...names].sort().map((name) => ({ name, owner: v?.owners[name] ?? null, state: stateOf(w, name) })),
  };
}

function stateOf(w: ClusterWorker, name: string): string {
  const local = w.runs.get(name);
  if (local) return local.status.state;
  const def = w.definitions.get(name);
  if (def?.desired === 'stopped') return 'stopped';
  const owner = w.view?.owners[name];
  const s = w.statuses.get(name);
  if (!owner) return 'unassigned';
  return s && s.owner === owner ? s.state : 'starting';
}

/** A task as the cluster sees it; shaped like `ferry serve`'s TaskSummary (status, engine, …) so `ferry tasks` reads it. */
function taskView(w: ClusterWorker, t: StoredTask, withDefinition: boolean) {
  const s = w.statuses.get(t.name);
  const source = (t.definition.source ?? {}) as { engine?: string };
  const state = stateOf(w, t.name);
  return {
    name: t.name, status: state, state, desired: t.desired, owner: w.view?.owners[t.name] ?? null, reason: s?.reason ?? null, since: s?.since ?? null,
    engine: source.engine ?? null, migrationType: typeof t.definition.migrationType === 'string' ? t.definition.migrationType : null,
    createdAt: t.createdAt, updatedAt: t.updatedAt, ...(withDefinition ? { definition: maskTaskSecrets(t.definition) } : {}),
  };
}

async function createTask(w: ClusterWorker, text: string): Promise<Reply> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
  } catch {
    return { status: 400, body: { error: 'invalid_task', message: 'the body must be a task document as a JSON object (docs/api.md)' } };
  }
  try {
    const sources = { envPrefix: DEFAULT_SECRET_ENV_PREFIX, fileDir: null };
    const task = await parseTaskAsync(doc, { file: 'task', cwd: w.o.stateDir, referencePolicy: apiReferencePolicy(doc, sources) });
    if (!NAME_RE.test(task.name)) return { status: 400, body: { error: 'invalid_task', message: `task name "${task.name}" must be 1-200 letters, digits, ".", "_" or "-"` } };
    if (!task.kafka) return { status: 400, body: { error: 'invalid_task', message: 'a cluster task needs a kafka block on the cluster\'s Kafka: its events, offset and state are written in one Kafka transaction (docs/cluster.md#limits)', problems: [{ path: 'kafka', message: 'required in a cluster' }] } };
    if (!task.kafka.brokers.some((b) => w.o.brokers.includes(b))) {
      return { status: 400, body: { error: 'invalid_task', message: `kafka.brokers (${task.kafka.brokers.join(', ')}) must name the cluster's Kafka (${w.o.brokers.join(', ')}): the task's events and its offset are committed in one transaction`, problems: [{ path: 'kafka.brokers', message: 'must be the cluster\'s Kafka' }] } };
    }
    if (w.definitions.has(task.name)) return { status: 409, body: { error: 'conflict', message: `a task named "${task.name}" already exists; choose another name (or delete that task first)` } };
    const now = new Date().toISOString();
    const record: StoredTask = { name: task.name, definition: doc, desired: 'running', status: { state: 'stopped', reason: null, since: now }, createdAt: now, updatedAt: now };
    await w.putDefinition(record);
    return { status: 201, body: { task: taskView(w, record, false) } };
  } catch (e: unknown) {
    if (e instanceof ConfigError) return { status: 400, body: { error: 'invalid_task', message: redact(e.message), problems: e.problems.map((p) => ({ path: p.path, message: redact(p.message) })) } };
    return { status: 400, body: { error: 'invalid_task', message: redact(errorMessage(e)) } };
  }
}

/** Sends the request to the leader and relays its answer. */
function forward(w: ClusterWorker, leaderUrl: string, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
  if (req.headers[FORWARDED_HEADER]) {
    send(res, { status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: 'the cluster is changing leader; retry in a few seconds' } });
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const target = new URL(req.url ?? '/', leaderUrl);
    const out = httpRequest(target, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/json', [FORWARDED_HEADER]: w.o.workerId }, timeout: 30_000 }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json', 'x-ferry-leader': leaderUrl });
      answer.pipe(res);
      answer.on('end', resolve);
    });
    out.on('error', (e) => {
      send(res, { status: 503, body: { error: 'FERRY_CLUSTER_ERROR', message: `the leader at ${leaderUrl} did not answer (${errorMessage(e)}); retry in a few seconds` } });
      resolve();
    });
    out.end(body);
  });
}
