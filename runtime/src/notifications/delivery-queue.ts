/**
 * One subscription's delivery: a bounded in-memory queue and one worker that sends its events in order, each attempt
 * bounded by timeoutMs, retried with exponential backoff (doubling from initialBackoffMs up to maxBackoffMs, ±20%
 * jitter) up to maxAttempts, then handed to the dead letters. push() never waits: when the queue is full the oldest
 * waiting event is dead-lettered to make room, so nothing upstream is ever held up by a slow or broken destination.
 */
import { errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { redact } from '../config/secrets.ts';
import type { TaskEvent } from '../events/task-events.ts';
import type { NotificationDestination } from './destination.ts';
import { sleep } from '../pipeline/retry.ts';

export interface DeliveryPolicy {
  readonly queueCapacity: number;
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
}

export interface DeliveryOutcome {
  delivered(event: TaskEvent, attempts: number): void;
  failedAttempt(event: TaskEvent, attempt: number, error: unknown): void;
  deadLettered(event: TaskEvent, attempts: number, reason: string): void;
}

export class DeliveryQueue {
  readonly #dest: NotificationDestination;
  readonly #policy: DeliveryPolicy;
  readonly #outcome: DeliveryOutcome;
  readonly #log: Logger;
  readonly #items: TaskEvent[] = [];
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  #busy = false;
  #idle: (() => void)[] = [];
  readonly #worker: Promise<void>;

  constructor(dest: NotificationDestination, policy: DeliveryPolicy, outcome: DeliveryOutcome, log: Logger) {
    this.#dest = dest;
    this.#policy = policy;
    this.#outcome = outcome;
    this.#log = log;
    this.#worker = this.#run();
  }

  get destination(): NotificationDestination {
    return this.#dest;
  }

  /** Events waiting or being sent. */
  get size(): number {
    return this.#items.length + (this.#busy ? 1 : 0);
  }

  push(event: TaskEvent): void {
    if (this.#items.length >= this.#policy.queueCapacity) {
      const dropped = this.#items.shift()!;
      this.#outcome.deadLettered(dropped, 0, `the queue of subscription ${this.#dest.name} is full (${this.#policy.queueCapacity} events: settings.notifications.queueCapacity) while ${this.#dest.where} is slow or down`);
    }
    this.#items.push(event);
    this.#wake?.();
  }

  /** Resolves when the queue is empty and nothing is being sent, or after `timeoutMs`; returns whether it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  /** Stops the worker (an attempt in flight is abandoned; its event stays in the spool for the next start). */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#worker;
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const event = this.#items.shift();
      if (event === undefined) {
        for (const f of this.#idle.splice(0)) f();
        await new Promise<void>((resolve) => { this.#wake = resolve; });
        this.#wake = undefined;
        continue;
      }
      this.#busy = true;
      try {
        await this.#deliver(event, stop);
      } finally {
        this.#busy = false;
      }
    }
  }

  async #deliver(event: TaskEvent, stop: AbortSignal): Promise<void> {
    let delay = this.#policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.any([stop, AbortSignal.timeout(this.#policy.timeoutMs)]);
      try {
        await this.#dest.send(event, signal);
        this.#outcome.delivered(event, attempt);
        return;
      } catch (e: unknown) {
        if (stop.aborted) return; // closing: the event stays spooled
        const reason = redact(errorMessage(e));
        this.#outcome.failedAttempt(event, attempt, e);
        if (attempt >= this.#policy.maxAttempts) {
          this.#outcome.deadLettered(event, attempt, reason);
          return;
        }
        const wait = Math.round(Math.min(delay, this.#policy.maxBackoffMs) * (0.8 + Math.random() * 0.4));
        this.#log.warn({ subscription: this.#dest.name, eventId: event.id, category: event.category, attempt, retryInMs: wait }, `notification to ${this.#dest.where} failed (${reason}); retrying`);
        await sleep(wait, stop);
        delay *= 2;
      }
    }
  }
}
