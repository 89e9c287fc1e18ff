/**
 * Readiness state of a running process (`ferry run`, `ferry sink`), served as GET /readyz by the metrics server
 * (metrics-server.ts) in the form Kubernetes readiness probes use: 200 when every component is ready, 503 with a JSON
 * body naming what is not. The components report their own state as it changes (the pipeline, the sources' reconnect
 * loops, the sink workers, withRetry's onRetry), so answering a probe reads memory only: no I/O per request.
 *
 * A component is one of:
 *   starting    not connected yet (or waiting for something it needs: topics to appear, the first read)
 *   ready       connected and working
 *   retrying    an operation failed and is being retried with backoff (a lost connection, a failing write)
 *   stopping    the process was asked to stop (a pod being terminated stops receiving traffic at once)
 *   failed      it gave up: the process is about to exit
 */

export type ComponentState = 'starting' | 'ready' | 'retrying' | 'stopping' | 'failed';

export interface ComponentStatus {
  readonly state: ComponentState;
  /** Why it is not ready (the error being retried, what it waits for); absent when ready. */
  readonly reason?: string;
  /** When it entered this state (ISO 8601). */
  readonly since: string;
  /** Retries since it was last ready (only while retrying). */
  readonly attempts?: number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** The components that are not ready, by name (empty when ready). */
  readonly notReady: readonly string[];
  readonly components: Readonly<Record<string, ComponentStatus>>;
}

/** One component's handle: what the pipeline, a source or a sink worker calls as its state changes. */
export interface ComponentHealth {
  ready(): void;
  starting(reason: string): void;
  retrying(reason: string): void;
  stopping(): void;
  failed(reason: string): void;
}

interface Entry { state: ComponentState; reason: string | undefined; since: number; attempts: number }

export class Readiness {
  readonly #components = new Map<string, Entry>();

  /** Registers a component (starting, with `reason`) and returns its handle; the same name returns the same entry. */
  component(name: string, reason = 'starting'): ComponentHealth {
    if (!this.#components.has(name)) this.#components.set(name, { state: 'starting', reason, since: Date.now(), attempts: 0 });
    const set = (state: ComponentState, why: string | undefined) => {
      const e = this.#components.get(name)!;
      if (e.state === 'failed') return; // final
      if (e.state === 'stopping' && state !== 'failed') return;
      if (state === 'retrying') e.attempts = e.state === 'retrying' ? e.attempts + 1 : 1;
      else e.attempts = 0;
      if (e.state !== state) e.since = Date.now();
      e.state = state;
      e.reason = why;
    };
    return {
      ready: () => { const e = this.#components.get(name)!; if (e.state !== 'ready') set('ready', undefined); },
      starting: (why) => set('starting', why),
      retrying: (why) => set('retrying', why),
      stopping: () => set('stopping', 'the process is stopping'),
      failed: (why) => set('failed', why),
    };
  }

  /** Every component stopping: called once the process was asked to stop. */
  stopping(): void {
    for (const name of this.#components.keys()) this.component(name).stopping();
  }

  /** Removes a component (a worker that ended normally). */
  remove(name: string): void {
    this.#components.delete(name);
  }

  report(): ReadinessReport {
    const components: Record<string, ComponentStatus> = {};
    const notReady: string[] = [];
    for (const [name, e] of this.#components) {
      components[name] = {
        state: e.state, since: new Date(e.since).toISOString(),
        ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.state === 'retrying' ? { attempts: e.attempts } : {}),
      };
      if (e.state !== 'ready') notReady.push(name);
    }
    // No component registered yet: nothing is connected, so not ready.
    if (this.#components.size === 0) return { ready: false, notReady: ['process'], components: { process: { state: 'starting', reason: 'starting', since: new Date().toISOString() } } };
    return { ready: notReady.length === 0, notReady, components };
  }
}

/** The first line of an error's message, for a reason (short: it goes in probe bodies and events). */
export function reasonOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split('\n')[0] ?? m;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
