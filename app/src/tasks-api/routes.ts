/**
 * The one table of the task REST API's endpoints (http-server.ts): each with the role it requires, the action name the
 * audit log records, and whether a successful call is audited. The server dispatches only through this table, checks
 * the role from it, and docs/api.md's "Roles" table is rendered from it (rolesTableMarkdown; a test fails on drift),
 * so an endpoint cannot exist without a role.
 *
 * Roles are ordered: viewer < operator < admin; a token of a higher role may do what a lower one may.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** `public`: no token needed (GET /healthz only). */
export type RequiredRole = Role | 'public';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether a token of role `has` may call an endpoint that requires `needs`. */
export function roleAllows(has: Role, needs: RequiredRole): boolean {
  return needs === 'public' || RANK[has] >= RANK[needs];
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path; `{name}` is one path segment (percent-decoded). */
  readonly path: string;
  /** The audit log's name of the action. */
  readonly action: string;
  readonly role: RequiredRole;
  /**
   * Whether a successful call is written to the audit log. Every call that changes state is; so are the reads of the
   * audit log and of the token list. A refused call (401, 403) is always written, whatever this says.
   */
  readonly audited: boolean;
  readonly does: string;
}

export const ROUTES = [
  { method: 'GET', path: '/healthz', action: 'health', role: 'public', audited: false, does: 'liveness' },
  { method: 'GET', path: '/whoami', action: 'whoami', role: 'viewer', audited: false, does: 'the calling token\'s name and role (the console shows only the actions the role may take)' },
  { method: 'GET', path: '/tasks', action: 'tasks.list', role: 'viewer', audited: false, does: 'list the tasks' },
  { method: 'GET', path: '/tasks/{name}', action: 'tasks.get', role: 'viewer', audited: false, does: 'a task\'s definition (secrets masked) and status' },
  { method: 'GET', path: '/tasks/{name}/stats', action: 'tasks.stats', role: 'viewer', audited: false, does: 'per-table statistics' },
  { method: 'GET', path: '/tasks/{name}/status', action: 'tasks.status', role: 'viewer', audited: false, does: 'status, full-load progress, latencies' },
  { method: 'GET', path: '/tasks/{name}/history', action: 'tasks.history', role: 'viewer', audited: false, does: 'the last hour of latency and throughput samples, and recent state changes with error codes' },
  { method: 'POST', path: '/tasks/{name}/assessment', action: 'tasks.assess', role: 'operator', audited: true, does: 'run `ferry assess` on the task (read-only on the source; a temporary probe table on a postgres/mysql target) and keep the report as its latest' },
  { method: 'GET', path: '/tasks/{name}/assessment', action: 'tasks.assessment', role: 'viewer', audited: false, does: 'the task\'s latest assessment report (`ferry assess --json`), or none yet' },
  { method: 'GET', path: '/tasks/{name}/schema-conversion', action: 'tasks.schemaConversion', role: 'viewer', audited: false, does: '`ferry convert-schema`\'s conversion for each postgres/mysql target, computed from the source catalog: per table the DDL, type mappings, warnings' },
  { method: 'GET', path: '/tasks/{name}/validation-failures', action: 'tasks.validationFailures', role: 'viewer', audited: false, does: 'the task\'s rows of each postgres/mysql target\'s ferry_validation_failures, paged (?table=&limit=&after=)' },
  { method: 'POST', path: '/tasks/{name}/start', action: 'tasks.start', role: 'operator', audited: true, does: 'start, or resume from the stored offset' },
  { method: 'POST', path: '/tasks/{name}/stop', action: 'tasks.stop', role: 'operator', audited: true, does: 'graceful stop' },
  { method: 'POST', path: '/tasks/{name}/reload-table', action: 'tasks.reloadTable', role: 'operator', audited: true, does: 're-snapshot tables (an execute-snapshot signal)' },
  { method: 'POST', path: '/validate', action: 'tasks.validate', role: 'admin', audited: false, does: 'validate a task document as a create would (nothing stored, nothing connected)' },
  { method: 'POST', path: '/plan', action: 'tasks.plan', role: 'admin', audited: true, does: '`ferry plan` of a task document: reads its source catalog and schema registry' },
  { method: 'POST', path: '/tasks', action: 'tasks.create', role: 'admin', audited: true, does: 'create a task' },
  { method: 'PUT', path: '/tasks/{name}', action: 'tasks.update', role: 'admin', audited: true, does: 'replace the definition of a stopped task (secrets left as *** keep their values; the name stays)' },
  { method: 'DELETE', path: '/tasks/{name}', action: 'tasks.delete', role: 'admin', audited: true, does: 'delete a task and its stored offset' },
  { method: 'POST', path: '/tasks/{name}/tables', action: 'tasks.addTables', role: 'admin', audited: true, does: 'add tables to the selection (changes the task)' },
  { method: 'DELETE', path: '/tasks/{name}/tables', action: 'tasks.removeTables', role: 'admin', audited: true, does: 'remove tables from the selection (changes the task)' },
  { method: 'GET', path: '/tokens', action: 'tokens.list', role: 'admin', audited: true, does: 'list the API tokens (never the tokens themselves)' },
  { method: 'POST', path: '/tokens', action: 'tokens.create', role: 'admin', audited: true, does: 'issue a token with a name and a role' },
  { method: 'DELETE', path: '/tokens/{name}', action: 'tokens.revoke', role: 'admin', audited: true, does: 'revoke a token (refused from the next request on)' },
  { method: 'GET', path: '/audit', action: 'audit.read', role: 'admin', audited: true, does: 'query or export the audit log' },
] as const satisfies readonly RouteSpec[];

export type RouteAction = (typeof ROUTES)[number]['action'];

export interface RouteMatch {
  /** The route, or null when the path exists but not with this method (405). */
  readonly route: RouteSpec | null;
  /** The raw (still percent-encoded) {name} segment, when the path has one. */
  readonly rawName: string | undefined;
  /** The methods the path takes (for 405's Allow header). */
  readonly allowed: readonly string[];
}

/** A matcher over a route table (this one, or a cluster worker's: app/src/worker/worker-routes.ts). */
export function routeMatcher(routes: readonly RouteSpec[]): (method: string, pathname: string) => RouteMatch | null {
  const compiled = routes.map((r) => ({ route: r, re: new RegExp(`^${r.path.replace(/\{name\}/g, '([^/]+)')}/?$`) }));
  return (method, pathname) => {
    const hits = compiled.map((c) => ({ c, m: c.re.exec(pathname) })).filter((h) => h.m !== null);
    if (hits.length === 0) return null;
    const hit = hits.find((h) => h.c.route.method === method);
    return { route: hit?.c.route ?? null, rawName: (hit ?? hits[0]!).m![1], allowed: hits.map((h) => h.c.route.method) };
  };
}

/** The route of a request, or null when no route has this path (404). */
export const matchRoute = routeMatcher(ROUTES);

/** The roles table of docs/api.md, from ROUTES. */
export function rolesTableMarkdown(): string {
  const rows = ROUTES.map((r) => `| \`${r.method} ${r.path}\` | ${r.role === 'public' ? 'none (no token)' : `\`${r.role}\``} | \`${r.action}\` | ${r.audited ? 'yes' : 'refusals only'} | ${r.does} |`);
  return ['| endpoint | role needed | audit action | audited | does |', '|---|---|---|---|---|', ...rows].join('\n');
}
