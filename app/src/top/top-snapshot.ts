/**
 * What `ferry top` shows, built from two sources: a running `ferry run`'s metrics server (GET /metrics and /readyz
 * on settings.metrics host:port), or a `ferry serve`'s task REST API (GET /tasks/{name}/status and /stats). Rates
 * (events/s, rows copied/s and the ETA from it) come from the difference between two consecutive samples.
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { ReadinessReport } from '../../../runtime/src/health/readiness.ts';
import type { ApiClient } from '../tasks-api/api-client.ts';
import { paths } from '../tasks-api/api-client.ts';
import type { TaskStatsView, TaskStatusView, TaskSummary } from '../tasks-api/task-views.ts';
import { parsePrometheusText, select, sum, type MetricFamilies } from './prometheus-text.ts';

export interface TopTable {
  readonly table: string;
  readonly state: string;
  readonly rowsCopied: number;
  readonly rowsEstimate: number | null;
  /** rowsCopied of rowsEstimate, 0–100 (null without an estimate). */
  readonly percent: number | null;
  /** Seconds left at the copy rate of the last interval (null: not copying or no estimate). */
  readonly etaSeconds: number | null;
  /** Change and snapshot events written for the table so far. */
  readonly events: number;
  /** Events per second over the last interval (null on the first sample). */
  readonly eventsPerSecond: number | null;
  /** Rows that failed validation, or 1 when the table is in an error state (API). */
  readonly errors: number;
}

export interface TopSnapshot {
  readonly source: 'metrics' | 'api';
  readonly endpoint: string;
  readonly task: string;
  readonly state: string;
  readonly reason: string | null;
  readonly migrationType: string | null;
  readonly uptimeSeconds: number | null;
  readonly eventsPerSecond: number | null;
  readonly latencySourceSeconds: number | null;
  readonly latencyTargetSeconds: number | null;
  readonly deadLetters: number;
  readonly retries: number;
  readonly tables: readonly TopTable[];
  /** When the sample was taken (ISO 8601). */
  readonly at: string;
}

/** The raw counts of one sample, kept to compute the next sample's rates. */
export interface RawSample {
  readonly atMs: number;
  readonly events: ReadonlyMap<string, number>;
  readonly copied: ReadonlyMap<string, number>;
}

export interface Sampled {
  readonly snapshot: TopSnapshot;
  readonly raw: RawSample;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

function rate(now: RawSample, prev: RawSample | undefined, key: string, which: 'events' | 'copied'): number | null {
  if (!prev) return null;
  const secs = (now.atMs - prev.atMs) / 1000;
  const before = prev[which].get(key);
  if (secs <= 0 || before === undefined) return null;
  return round(Math.max(0, (now[which].get(key) ?? 0) - before) / secs);
}

function progress(copied: number, estimate: number | null, copyRate: number | null): { percent: number | null; etaSeconds: number | null } {
  if (estimate === null || estimate <= 0) return { percent: null, etaSeconds: null };
  const percent = Math.min(100, round((copied / estimate) * 100));
  const etaSeconds = copied >= estimate ? 0 : copyRate && copyRate > 0 ? Math.ceil((estimate - copied) / copyRate) : null;
  return { percent, etaSeconds };
}

const REQUEST_TIMEOUT_MS = 5000;

async function get(url: string, what: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { 'cache-control': 'no-store' } });
  } catch (e: unknown) {
    const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
    throw new FerryError('FERRY_TASK_NOT_RUNNING', `nothing answers at ${url} (${cause}): ${what}`, { cause: e });
  }
}

export interface MetricsTarget {
  /** Base URL of the task's metrics server, e.g. http://127.0.0.1:9464. */
  readonly url: string;
  readonly task: string;
  readonly migrationType: string | null;
  /** The hint in the error when nothing answers. */
  readonly hint: string;
}

/** The per-table view of a metrics sample (exported for the unit test). */
export function fromMetrics(f: MetricFamilies, readiness: ReadinessReport | null, target: MetricsTarget, atMs: number, prev?: RawSample): Sampled {
  const events = new Map<string, number>();
  for (const s of select(f, 'ferry_events_total')) {
    const t = s.labels.table;
    if (t !== undefined) events.set(t, (events.get(t) ?? 0) + s.value);
  }
  const copied = new Map<string, number>();
  const estimates = new Map<string, number>();
  for (const s of select(f, 'ferry_snapshot_rows_copied')) if (s.labels.table !== undefined) copied.set(s.labels.table, s.value);
  for (const s of select(f, 'ferry_snapshot_rows_total_estimate')) if (s.labels.table !== undefined) estimates.set(s.labels.table, s.value);
  const raw: RawSample = { atMs, events, copied };
  const names = [...new Set([...events.keys(), ...copied.keys(), ...estimates.keys()])].sort();
  const tables = names.map((table): TopTable => {
    const rows = copied.get(table) ?? 0;
    const estimate = estimates.has(table) ? estimates.get(table)! : null;
    const copyRate = rate(raw, prev, table, 'copied');
    const p = progress(rows, estimate, copyRate);
    const changes = select(f, 'ferry_events_total', { table }).filter((s) => s.labels.op !== 'r').reduce((a, s) => a + s.value, 0);
    // Metrics carry no table state: a table with a snapshot gauge is loading until its copy reaches the estimate
    // (or stops growing after having copied rows); one without is streaming changes only.
    const loading = (copyRate ?? 0) > 0 || (estimate !== null && rows < estimate && (prev === undefined || rows === 0));
    const state = !copied.has(table) ? 'cdc' : loading ? 'full load' : target.migrationType === 'full-load' && changes === 0 ? 'loaded' : 'loaded, cdc';
    const failed = select(f, 'ferry_validation_records', { table, state: 'failed' }).reduce((a, s) => a + s.value, 0);
    return { table, state, rowsCopied: rows, rowsEstimate: estimate, ...p, events: events.get(table) ?? 0, eventsPerSecond: rate(raw, prev, table, 'events'), errors: failed };
  });
  const start = sum(f, 'ferry_process_start_time_seconds');
  const throughput = [sum(f, 'ferry_dms_cdc_throughput_rows_source_per_second'), sum(f, 'ferry_dms_full_load_throughput_rows_source_per_second')];
  const notReady = readiness?.notReady ?? [];
  const reason = notReady.map((c) => `${c}: ${readiness?.components[c]?.reason ?? readiness?.components[c]?.state ?? 'not ready'}`).join('; ');
  return {
    raw,
    snapshot: {
      source: 'metrics', endpoint: target.url, task: target.task,
      state: readiness === null ? 'unknown' : readiness.ready ? 'running' : 'not ready', reason: reason === '' ? null : reason,
      migrationType: target.migrationType,
      uptimeSeconds: start === null ? null : Math.max(0, Math.round(atMs / 1000 - start)),
      eventsPerSecond: throughput.every((v) => v === null) ? null : round(throughput.reduce<number>((a, b) => a + (b ?? 0), 0)),
      latencySourceSeconds: sum(f, 'ferry_dms_cdc_latency_source_seconds'),
      latencyTargetSeconds: sum(f, 'ferry_dms_cdc_latency_target_seconds'),
      deadLetters: (sum(f, 'ferry_sink_dead_letters_total') ?? 0) + (sum(f, 'ferry_notifications_dead_letters_total') ?? 0),
      retries: sum(f, 'ferry_sink_retries_total') ?? 0,
      tables, at: new Date(atMs).toISOString(),
    },
  };
}

export async function sampleMetrics(target: MetricsTarget, prev?: RawSample): Promise<Sampled> {
  const [metrics, ready] = await Promise.all([get(`${target.url}/metrics`, target.hint), get(`${target.url}/readyz`, target.hint)]);
  const atMs = Date.now();
  if (!metrics.ok) throw new FerryError('FERRY_TASK_NOT_RUNNING', `GET ${target.url}/metrics answered HTTP ${metrics.status}: is another process listening on task ${target.task}'s metrics port?`);
  const families = parsePrometheusText(await metrics.text());
  const readiness = await ready.json().catch(() => null) as ReadinessReport | null;
  return fromMetrics(families, readiness?.components ? readiness : null, target, atMs, prev);
}

export interface ApiTarget {
  readonly api: ApiClient;
  readonly url: string;
  /** The task to show; without it, the only task of the server (or its only running one). */
  readonly task?: string;
}

async function pickTask(target: ApiTarget): Promise<string> {
  if (target.task) return target.task;
  const { tasks } = await target.api.request<{ tasks: TaskSummary[] }>('GET', paths.tasks());
  const running = tasks.filter((t) => t.status === 'running');
  const pick = tasks.length === 1 ? tasks[0] : running.length === 1 ? running[0] : undefined;
  if (!pick) {
    throw new FerryError('FERRY_USAGE', tasks.length === 0 ? `the server at ${target.url} has no tasks; create one with \`ferry tasks create <task-file>\`` : `the server at ${target.url} has ${tasks.length} tasks (${tasks.map((t) => t.name).join(', ')}): choose one with --task NAME`);
  }
  return pick.name;
}

export async function sampleApi(target: ApiTarget, prev?: RawSample): Promise<Sampled> {
  const name = await pickTask(target);
  const [status, stats] = await Promise.all([
    target.api.request<TaskStatusView>('GET', paths.action(name, 'status')),
    target.api.request<TaskStatsView>('GET', paths.action(name, 'stats')),
  ]);
  const atMs = Date.now();
  const events = new Map<string, number>();
  const copied = new Map<string, number>();
  for (const t of stats.tables) {
    const key = `${t.schemaName}.${t.tableName}`;
    events.set(key, t.inserts + t.updates + t.deletes + t.fullLoadRows);
    copied.set(key, t.fullLoadRows);
  }
  const raw: RawSample = { atMs, events, copied };
  const tables = stats.tables.map((t): TopTable => {
    const table = `${t.schemaName}.${t.tableName}`;
    return {
      table, state: t.tableState, rowsCopied: t.fullLoadRows, rowsEstimate: null, percent: null,
      etaSeconds: null, events: events.get(table) ?? 0, eventsPerSecond: rate(raw, prev, table, 'events'),
      errors: t.validationFailedRecords + (t.tableState === 'Table error' ? 1 : 0),
    };
  });
  const perTable = tables.map((t) => t.eventsPerSecond);
  const since = Date.parse(status.since);
  return {
    raw,
    snapshot: {
      source: 'api', endpoint: target.url, task: name, state: status.status, reason: status.reason,
      migrationType: status.migrationType,
      uptimeSeconds: status.status === 'running' && Number.isFinite(since) ? Math.max(0, Math.round((atMs - since) / 1000)) : null,
      eventsPerSecond: prev === undefined ? null : round(perTable.reduce<number>((a, b) => a + (b ?? 0), 0)),
      latencySourceSeconds: status.latency.sourceMs === null ? null : round(status.latency.sourceMs / 1000, 3),
      latencyTargetSeconds: status.latency.targetMs === null ? null : round(status.latency.targetMs / 1000, 3),
      deadLetters: 0, retries: 0,
      tables: tables.map((t) => (t.state === 'Full load' && status.fullLoad.etaSeconds !== null ? { ...t, etaSeconds: status.fullLoad.etaSeconds } : t)),
      at: new Date(atMs).toISOString(),
    },
  };
}
