/** A small client of the task REST API, used by `ferry tasks …` (app/src/cli/commands/tasks.ts). */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';

export interface ApiClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8470. */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs?: number;
}

/** An answer other than 2xx: the HTTP status and the API's error body. */
export class ApiResponseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: readonly { path: string; message: string }[];
  constructor(status: number, code: string, message: string, problems: readonly { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

export class ApiClient {
  readonly #o: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#o = options;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.#o.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.#o.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 120000),
      });
    } catch (e: unknown) {
      const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
      throw new FerryError('FERRY_SOURCE_UNREACHABLE', `nothing answers at ${this.#o.url} (${cause}); start the server with \`ferry serve\` or pass --url`, { cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = {};
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; problems?: { path: string; message: string }[] } }).error;
      throw new ApiResponseError(res.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${res.status} ${res.statusText}`, err?.problems ?? []);
    }
    return json as T;
  }
}

const enc = encodeURIComponent;
export const paths = {
  tasks: () => '/tasks',
  task: (name: string) => `/tasks/${enc(name)}`,
  action: (name: string, action: 'start' | 'stop' | 'reload-table' | 'tables' | 'stats' | 'status') => `/tasks/${enc(name)}/${action}`,
};
