/** Retry with exponential backoff and jitter, for errors whose disposition is 'retry'. */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';

export interface RetryOptions {
  readonly what: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts before giving up; default unlimited for retryable errors. */
  readonly maxAttempts?: number;
  /** Called before each wait, with the error being retried (readiness: runtime/src/health). */
  readonly onRetry?: (e: unknown, attempt: number) => void;
}

export function isRetryable(e: unknown): boolean {
  return e instanceof FerryError ? e.disposition === 'retry' : true;
}

export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  let delay = o.initialDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e: unknown) {
      if (!isRetryable(e) || o.signal.aborted || attempt >= (o.maxAttempts ?? Infinity)) throw e;
      const wait = Math.min(delay, o.maxDelayMs ?? 30000) * (0.8 + Math.random() * 0.4);
      o.log.warn({ err: e, attempt, retryInMs: Math.round(wait) }, `${o.what} failed (${errorMessage(e)}); retrying`);
      o.onRetry?.(e, attempt);
      await sleep(wait, o.signal);
      delay *= 2;
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
