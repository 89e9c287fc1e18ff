/**
 * The client side of a running task's control API (runtime/src/control/control-api.ts): POST /signals and
 * GET /signals on settings.metrics.host:port, with the run's token from `<stateDir>/control-token`. Used by
 * `ferry snapshot` and `ferry validate-data --repair`.
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { SignalStatus, SourceSignal } from '../../../core/src/types.ts';
import { controlTokenPath, readControlToken } from '../../../runtime/src/control/control-token.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

/** The task answered with an error status: its message, and the HTTP status. */
export class ControlRefusal extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ControlRefusal';
    this.status = status;
  }
}

export interface ControlClientOptions {
  /** The task file's path, for the messages (`ferry run <file>`). */
  readonly file: string;
  readonly timeoutMs?: number;
}

export class ControlClient {
  readonly #task: ResolvedTask;
  readonly #o: ControlClientOptions;
  readonly #url: string;

  constructor(task: ResolvedTask, o: ControlClientOptions) {
    const m = task.settings.metrics;
    if (!m.enabled) {
      throw new FerryError('FERRY_CONFIG_INVALID', `task ${task.name} has settings.metrics.enabled false: the control API (POST /signals) is served by the metrics server, so enable it and restart the task with \`ferry run ${o.file}\``);
    }
    const host = m.host === '0.0.0.0' || m.host === '::' ? '127.0.0.1' : m.host.includes(':') ? `[${m.host}]` : m.host;
    this.#task = task;
    this.#o = o;
    this.#url = `http://${host}:${m.port}/signals`;
  }

  /** Queues an incremental snapshot; returns its status. */
  async send(signal: SourceSignal): Promise<{ id: string; signal: SignalStatus }> {
    const body: Record<string, unknown> = { type: signal.type, tables: signal.tables };
    if (signal.conditions) body['additional-conditions'] = Object.entries(signal.conditions).map(([t, filter]) => ({ 'data-collection': t, filter }));
    const r = await this.#call('POST', JSON.stringify(body)) as { id: string; signal: SignalStatus };
    return r;
  }

  /** Every incremental snapshot since the task started. */
  async list(): Promise<SignalStatus[]> {
    return ((await this.#call('GET')) as { signals?: SignalStatus[] }).signals ?? [];
  }

  async #call(method: 'GET' | 'POST', body?: string): Promise<unknown> {
    const token = readControlToken(this.#task.settings.stateDir);
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.#url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30000) });
    } catch (e: unknown) {
      const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
      throw new FerryError('FERRY_SOURCE_UNREACHABLE', `task ${this.#task.name} is not running: nothing answers at ${this.#url} (${cause}). Start it with \`ferry run ${this.#o.file}\` (it serves the control API on settings.metrics.host:port)`, { cause: e });
    }
    const json = await res.json().catch(() => ({})) as { error?: string };
    if (!res.ok) {
      const message = res.status === 401 && token === undefined
        ? `no control token at ${controlTokenPath(this.#task.settings.stateDir)}: \`ferry run ${this.#o.file}\` writes one there when it starts (is the task running with this task file's settings.stateDir?)`
        : json.error ?? res.statusText;
      throw new ControlRefusal(res.status, message);
    }
    return json;
  }
}
