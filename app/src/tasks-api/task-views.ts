/**
 * What the task API returns for a task: its summary (GET /tasks), its detail with the definition (secrets masked),
 * its status (state, full-load progress, CDC latencies) and its per-table statistics. Shapes are declared in
 * docs/api/openapi.yaml.
 */
import { maskTaskSecrets } from '../task/secret-fields.ts';
import type { ManagedTask } from './task-manager.ts';
import type { TaskState } from './task-store.ts';
import type { FullLoadProgress, LatencyView, TableStatistics } from './task-statistics.ts';

export interface TaskSummary {
  readonly name: string;
  /** 'starting' until the running task's source is open. */
  readonly status: TaskState;
  readonly reason: string | null;
  readonly since: string;
  readonly desired: 'running' | 'stopped';
  readonly engine: string | null;
  readonly migrationType: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TaskDetail extends TaskSummary {
  /** The definition as created, with literal secret values replaced by "***" (references are kept). */
  readonly definition: Record<string, unknown>;
}

export interface TaskStatusView extends TaskSummary {
  readonly fullLoad: FullLoadProgress;
  readonly latency: LatencyView;
  readonly tables: { readonly total: number; readonly beforeLoad: number; readonly fullLoad: number; readonly completed: number; readonly cancelled: number; readonly error: number };
  readonly pendingReloads: readonly string[];
  /** Durable events (changes and full-load rows) per second over the last history sample (task-history.ts); null before two samples. */
  readonly eventsPerSecond: number | null;
}

export interface TaskStatsView {
  readonly name: string;
  readonly status: TaskState;
  readonly tables: readonly TableStatistics[];
}

export function summaryView(t: ManagedTask): TaskSummary {
  const r = t.record;
  const def = r.definition as { source?: { engine?: unknown }; migrationType?: unknown };
  const state: TaskState = t.run && r.status.state === 'running' && !t.stats.source ? 'starting' : r.status.state;
  return {
    name: r.name, status: state, reason: r.status.reason, since: r.status.since, desired: r.desired,
    engine: typeof def.source?.engine === 'string' ? def.source.engine : null,
    migrationType: typeof def.migrationType === 'string' ? def.migrationType : null,
    createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

/** The definition as stored, with every literal secret shown as "***" (app/src/task/secret-fields.ts). */
export function detailView(t: ManagedTask): TaskDetail {
  return { ...summaryView(t), definition: maskTaskSecrets(t.record.definition) };
}

export function statsView(t: ManagedTask): TaskStatsView {
  return { name: t.record.name, status: summaryView(t).status, tables: t.stats.tables() };
}

/** Row estimates of the initial snapshot's tables, from the source's `snapshot_rows_total_estimate` gauge. */
async function estimates(t: ManagedTask): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = t.metrics?.registry.getSingleMetric('ferry_snapshot_rows_total_estimate');
  if (!metric) return out;
  const { values } = await metric.get();
  for (const v of values) if (typeof v.labels.table === 'string' && v.value > 0) out.set(v.labels.table, v.value);
  return out;
}

export async function statusView(t: ManagedTask, eventsPerSecond: number | null = null): Promise<TaskStatusView> {
  const tables = t.stats.tables();
  const count = (s: TableStatistics['tableState']) => tables.filter((x) => x.tableState === s).length;
  return {
    ...summaryView(t),
    fullLoad: t.stats.fullLoad(await estimates(t)),
    latency: t.stats.latency(),
    tables: { total: tables.length, beforeLoad: count('Before load'), fullLoad: count('Full load'), completed: count('Table completed'), cancelled: count('Table cancelled'), error: count('Table error') },
    pendingReloads: t.record.pendingReloads ?? [],
    eventsPerSecond,
  };
}
