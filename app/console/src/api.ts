/**
 * The console's only way to the server: the REST API (docs/api.md) with the token the user entered, kept in
 * sessionStorage (gone when the tab closes). Every call reports whether the server answered, so the page can show
 * the "server not answering" banner and recover by itself; a 401 signs the user out with the server's message.
 */
export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export const may = (role: Role | null, needs: Role): boolean => role !== null && RANK[role] >= RANK[needs];

export interface Problem { path: string; message: string; line?: number | null }

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[];
  constructor(status: number, code: string, message: string, problems: Problem[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

/** The server did not answer (down, restarting, network gone). */
export class ServerGone extends Error {}

const KEY = 'ferry.console.token';
export const token = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface Connection { up: boolean; since: number }
type Listener = (c: Connection) => void;
let connection: Connection = { up: true, since: Date.now() };
const listeners = new Set<Listener>();
export function onConnection(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
function setUp(up: boolean): void {
  if (connection.up === up) return;
  connection = { up, since: Date.now() };
  for (const l of listeners) l(connection);
}

let onUnauthorized: (message: string) => void = () => undefined;
export function handleUnauthorized(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

export interface CallOptions { readonly yaml?: boolean; readonly query?: Record<string, string | undefined> }

export async function api<T>(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<T> {
  const t = token.get();
  const headers: Record<string, string> = {};
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = o.yaml ? 'application/yaml' : 'application/json';
  const q = o.query ? Object.entries(o.query).filter(([, v]) => v !== undefined && v !== '') as [string, string][] : [];
  const url = q.length ? `${path}?${new URLSearchParams(q)}` : path;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, cache: 'no-store', ...(body !== undefined ? { body: o.yaml ? String(body) : JSON.stringify(body) } : {}) });
  } catch {
    setUp(false);
    throw new ServerGone(`the Ferry server at ${location.origin} is not answering`);
  }
  // A proxy's 502-504 means the same to the user: the server is gone.
  if (res.status >= 502 && res.status <= 504) { setUp(false); throw new ServerGone(`the Ferry server at ${location.origin} is not answering (HTTP ${res.status})`); }
  setUp(true);
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; problems?: Problem[] } } | null)?.error;
    const err = new ApiError(res.status, e?.code ?? 'http', e?.message ?? `HTTP ${res.status} from ${method} ${path}`, e?.problems ?? []);
    if (res.status === 401) onUnauthorized(err.message);
    throw err;
  }
  return json as T;
}

/** The message of any error, for the page. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
