/** The console's routing (the URL's hash, so no page path can collide with an API path) and its live polling. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ServerGone } from './api.ts';

/** Polling period of live pages (the issue asks for at most 2 s). */
export const POLL_MS = 2000;

export type Route =
  | { page: 'tasks' } | { page: 'task'; name: string } | { page: 'new' } | { page: 'edit'; name: string } | { page: 'copy'; name: string }
  | { page: 'audit' } | { page: 'login' } | { page: 'missing'; hash: string }
  | { page: 'assessment' | 'schema' | 'failures'; name: string };

const SUBPAGES: Record<string, 'edit' | 'copy' | 'assessment' | 'schema' | 'failures'> = { edit: 'edit', copy: 'copy', assessment: 'assessment', 'schema-conversion': 'schema', 'validation-failures': 'failures' };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '') || '/tasks';
  const m = /^\/tasks\/([^/]+)(?:\/(edit|copy|assessment|schema-conversion|validation-failures))?$/.exec(h);
  if (m) return m[2] ? { page: SUBPAGES[m[2]]!, name: decodeURIComponent(m[1]!) } : { page: 'task', name: decodeURIComponent(m[1]!) };
  if (h === '/tasks' || h === '/') return { page: 'tasks' };
  if (h === '/new') return { page: 'new' };
  if (h === '/audit') return { page: 'audit' };
  if (h === '/login') return { page: 'login' };
  return { page: 'missing', hash: h };
}

export const href = {
  tasks: '#/tasks', new: '#/new', audit: '#/audit',
  task: (name: string) => `#/tasks/${encodeURIComponent(name)}`,
  edit: (name: string) => `#/tasks/${encodeURIComponent(name)}/edit`,
  copy: (name: string) => `#/tasks/${encodeURIComponent(name)}/copy`,
  assessment: (name: string) => `#/tasks/${encodeURIComponent(name)}/assessment`,
  schema: (name: string) => `#/tasks/${encodeURIComponent(name)}/schema-conversion`,
  failures: (name: string) => `#/tasks/${encodeURIComponent(name)}/validation-failures`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export interface Polled<T> {
  data: T | null;
  /** The last error that was not the server being gone (that one shows as the banner). */
  error: Error | null;
  /** Fetch again now (after an action). */
  refresh: () => Promise<void>;
}

/**
 * Calls `load` now and every `ms` (0: only on refresh) while the page is shown (one call at a time). The last data stays on the page
 * while the server is gone, so a restart never blanks it.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], ms = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const busy = useRef(false);
  const refresh = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      setData(await loadRef.current());
      setError(null);
    } catch (e: unknown) {
      if (!(e instanceof ServerGone)) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      busy.current = false;
    }
  }, []);
  useEffect(() => {
    setData(null);
    setError(null);
    void refresh();
    if (ms <= 0) return undefined;
    const id = setInterval(() => { if (document.visibilityState !== 'hidden') void refresh(); }, ms);
    return () => clearInterval(id);
  }, deps);
  return { data, error, refresh };
}
