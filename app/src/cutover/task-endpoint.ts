/**
 * What `ferry cutover` asks a running task (`ferry run`) over its metrics server (settings.metrics.host:port):
 * GET /metrics (the source latency), GET /readyz (connected and not retrying), POST /stop (the control API's graceful
 * stop, with the run's token from `<stateDir>/control-token`), and GET /healthz until nothing answers (the process ended).
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { readControlToken } from '../../../runtime/src/control/control-token.ts';
import type { ReadinessReport } from '../../../runtime/src/health/readiness.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';

const REQUEST_TIMEOUT_MS = 10000;

/** The base URL of the task's metrics server (a wildcard listen address is reached on the loopback). */
export function taskBaseUrl(task: ResolvedTask, file: string): string {
  const m = task.settings.metrics;
  if (!m.enabled) {
    throw new FerryError('FERRY_CONFIG_INVALID', `task ${task.name} has settings.metrics.enabled false: ferry cutover reads the task's metrics and stops it through its control API, both on the metrics server; enable it and restart the task with \`ferry run ${file}\``);
  }
  const host = m.host === '0.0.0.0' || m.host === '::' ? '127.0.0.1' : m.host.includes(':') ? `[${m.host}]` : m.host;
  return `http://${host}:${m.port}`;
}

/**
 * DMS's CDCLatencySource, in seconds, from a Prometheus text exposition: the gap between the source commit of the last
 * change the task wrote and the moment it wrote it. Read from a metric named CDCLatencySource (any prefix or case,
 * e.g. ferry_cdc_latency_source_seconds) when the process exports one, else computed from ferry_source_lag_ms (ms → s).
 * null when neither has a sample for the task (nothing written since the task started: DMS reports 0 then).
 */
export function cdcLatencySourceSeconds(metricsText: string, taskName: string): number | null {
  let fromLag: number | null = null;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = m[2] ?? '';
    const task = /(?:^|[{,])\s*task="((?:[^"\\]|\\.)*)"/.exec(labels)?.[1];
    if (task !== undefined && task !== taskName) continue;
    if (/table="/.test(labels)) continue; // per-table series: the task's own is the one without a table
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const name = m[1]!.toLowerCase().replace(/_/g, '');
    if (name.endsWith('cdclatencysource') || name.endsWith('cdclatencysourceseconds')) return value;
    if (m[1] === 'ferry_source_lag_ms') fromLag = value / 1000;
  }
  return fromLag;
}

async function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { 'cache-control': 'no-store' } });
}

function notRunning(task: ResolvedTask, file: string, url: string, e: unknown): FerryError {
  const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
  return new FerryError('FERRY_TASK_NOT_RUNNING', `task ${task.name} is not running: nothing answers at ${url} (${cause}). Start it with \`ferry run ${file}\`, and run ferry cutover with the same task file`, { cause: e });
}

export interface TaskSample {
  /** CDCLatencySource in seconds (null: no sample yet). */
  readonly latencySeconds: number | null;
  readonly readiness: ReadinessReport;
}

/** One look at the running task: its latency and its readiness. */
export async function sampleTask(task: ResolvedTask, file: string): Promise<TaskSample> {
  const base = taskBaseUrl(task, file);
  let metrics: Response;
  let ready: Response;
  try {
    [metrics, ready] = await Promise.all([get(`${base}/metrics`), get(`${base}/readyz`)]);
  } catch (e: unknown) {
    throw notRunning(task, file, base, e);
  }
  const text = await metrics.text();
  if (!metrics.ok) throw new FerryError('FERRY_TASK_NOT_RUNNING', `GET ${base}/metrics answered HTTP ${metrics.status}: is another process listening on task ${task.name}'s metrics port?`);
  let report: ReadinessReport;
  try {
    report = await ready.json() as ReadinessReport;
  } catch (e: unknown) {
    throw new FerryError('FERRY_TASK_NOT_RUNNING', `GET ${base}/readyz did not answer a readiness report (HTTP ${ready.status}): the process at task ${task.name}'s metrics port is not a ferry run of this version`, { cause: e });
  }
  return { latencySeconds: cdcLatencySourceSeconds(text, task.name), readiness: report };
}

/** POST /stop with the run's control token: the task stops gracefully (writes and commits the batch in flight). */
export async function requestStop(task: ResolvedTask, file: string): Promise<void> {
  const base = taskBaseUrl(task, file);
  const token = readControlToken(task.settings.stateDir);
  if (token === undefined) {
    throw new FerryError('FERRY_TASK_NOT_RUNNING', `no control token in ${task.settings.stateDir}: \`ferry run ${file}\` writes one there when it starts; run ferry cutover from the same folder as the task (or set settings.stateDir)`);
  }
  let res: Response;
  try {
    res = await fetch(`${base}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e: unknown) {
    throw notRunning(task, file, base, e);
  }
  if (res.status !== 202) {
    const body = await res.json().catch(() => ({})) as { error?: string };
    throw new FerryError('FERRY_TASK_NOT_RUNNING', `task ${task.name} refused POST /stop (HTTP ${res.status}): ${body.error ?? res.statusText}`);
  }
}

/** Resolves true once nothing answers at the task's address any more (the process ended), false at the deadline. */
export async function waitForExit(task: ResolvedTask, file: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
  const url = `${taskBaseUrl(task, file)}/healthz`;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
    } catch (e: unknown) {
      // Refused: the server closed (it closes last, after the final commit). A timeout is a busy process: ask again.
      if ((e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return true;
    }
    await sleep(200, signal);
  }
  return false;
}
