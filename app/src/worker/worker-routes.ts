/**
 * The route table of a cluster worker's HTTP endpoint (worker-http.ts, docs/cluster.md#http): the task API routes a
 * worker serves, taken from `ferry serve`'s table (routes.ts) with the same roles and audit actions, plus the worker's
 * own /readyz, /metrics (public: for probes and Prometheus) and /status (viewer). The worker dispatches only through
 * this table and checks the role from it.
 */
import { routeMatcher, ROUTES, type RouteSpec } from '../tasks-api/routes.ts';

const FROM_SERVE = ['health', 'whoami', 'tasks.list', 'tasks.get', 'tasks.create', 'tasks.start', 'tasks.stop', 'tasks.delete', 'tokens.list', 'tokens.create', 'tokens.revoke', 'audit.read'] as const;
export type WorkerAction = (typeof FROM_SERVE)[number] | 'ready' | 'metrics' | 'cluster.status';

export interface WorkerRoute extends RouteSpec {
  readonly action: WorkerAction;
  /** Forwarded to the cluster's leader (it writes the config or tokens topic). */
  readonly leader: boolean;
}

const LEADER_ACTIONS: ReadonlySet<string> = new Set(['tasks.create', 'tasks.start', 'tasks.stop', 'tasks.delete', 'tokens.create', 'tokens.revoke']);

export const WORKER_ROUTES: readonly WorkerRoute[] = [
  ...FROM_SERVE.map((action) => {
    const r = ROUTES.find((x) => x.action === action)!;
    return { ...r, action, leader: LEADER_ACTIONS.has(action) };
  }),
  { method: 'GET', path: '/readyz', action: 'ready', role: 'public', audited: false, leader: false, does: 'readiness: a member of the group, every assigned task running' },
  { method: 'GET', path: '/metrics', action: 'metrics', role: 'public', audited: false, leader: false, does: 'Prometheus metrics of the worker and its tasks' },
  { method: 'GET', path: '/status', action: 'cluster.status', role: 'viewer', audited: false, leader: false, does: 'the cluster as this worker sees it: generation, leader, members, owners' },
];

const match = routeMatcher(WORKER_ROUTES);

export function matchWorkerRoute(method: string, pathname: string): { route: WorkerRoute | null; rawName: string | undefined; allowed: readonly string[] } | null {
  const m = match(method, pathname);
  return m && { ...m, route: m.route as WorkerRoute | null };
}
