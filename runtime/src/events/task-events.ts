/**
 * The task event bus: the things that happen to a task that someone may want to be told about, in DMS's event
 * categories (docs/notifications.md). Components emit with one line (`events.emit({ category, message, ... })`);
 * listeners (the notifier, runtime/src/notifications/) get a complete TaskEvent with an idempotency id.
 *
 * The id is deterministic where the event is: an event tied to a log position (full load completed at checkpoint X,
 * a schema change at position Y) gets sha256(task, category, key), so the same event emitted again after a restart
 * (the batch was redelivered because its offset was not committed yet) has the same id and a receiver can drop it.
 * An event without a key (a failure, a state change) gets a random id.
 *
 * A listener must never block or throw into the emitter: emit() is synchronous, catches listener errors, and the
 * notifier only enqueues. So a slow or broken destination never holds up the pipeline.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../../../core/src/types.ts';

/** The categories, with DMS's names (DescribeEventCategories) where DMS has one. */
export const EVENT_CATEGORIES = {
  'creation': { dms: 'Creation', when: 'A task was created (`ferry serve`: POST /tasks).' },
  'deletion': { dms: 'Deletion', when: 'A task was deleted (`ferry serve`: DELETE /tasks/{name}).' },
  'state-change': { dms: 'State change', when: 'A task started or stopped (details.state: running, stopped).' },
  'configuration-change': { dms: 'Configuration change', when: 'A task’s definition or table selection was changed (`ferry serve`).' },
  'failure': { dms: 'Failure', when: 'A task stopped with an error (details.code, details.disposition).' },
  'low-storage': { dms: 'Low storage', when: 'The state directory’s file system is nearly full.' },
  'full-load-completed': { dms: 'Full load completed', when: 'The last batch of the initial full load (snapshot) is durable in every sink and its position committed.' },
  'cdc-started': { dms: 'CDC started', when: 'The first change captured from the log (not a full-load row) is durable in every sink, once per run.' },
  'schema-change': { dms: 'Schema change', when: 'A DDL statement captured from the log (MySQL/MariaDB) was written to the sinks.' },
  'table-errors': { dms: 'Table errors', when: 'Records of a table were rejected by a sink and sent to the dead-letter topic.' },
  'validation-mismatch': { dms: 'Validation mismatch', when: 'Data validation confirmed rows that differ between source and target.' },
  'retention-at-risk': { dms: 'Replication slot or binlog retention at risk', when: 'The PostgreSQL slot holds back too much WAL, or the binlog the task needs is about to be purged.' },
} as const;

export type EventCategory = keyof typeof EVENT_CATEGORIES;
export const EVENT_CATEGORY_NAMES = Object.keys(EVENT_CATEGORIES) as [EventCategory, ...EventCategory[]];

export interface TaskEvent {
  /** Idempotency id: the same for a redelivery of the same event (see the file comment). */
  readonly id: string;
  readonly category: EventCategory;
  /** DMS's name of the category. */
  readonly dmsCategory: string;
  readonly task: string;
  /** "<schema>.<table>" (or the database for a schema change without a table), when the event concerns one. */
  readonly table?: string;
  /** ISO 8601, when the event was emitted. */
  readonly time: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface TaskEventInput {
  readonly category: EventCategory;
  readonly message: string;
  readonly table?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** What makes the event unique within its task and category (a position, a DDL at a position); omitted = random id. */
  readonly key?: string;
}

export type TaskEventListener = (event: TaskEvent) => void;

/** Where components emit; never throws, never waits. */
export interface TaskEventEmitter {
  emit(input: TaskEventInput): void;
}

/** An emitter that drops everything: the default where no notifier is configured. */
export const NO_EVENTS: TaskEventEmitter = { emit: () => undefined };

/** The deterministic id of an event with a key. */
export function taskEventId(task: string, category: EventCategory, key: string): string {
  const h = createHash('sha256').update(`${task}\u0000${category}\u0000${key}`).digest('hex');
  // UUID layout (version nibble 5-like, name-based) so receivers that expect a UUID take it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class TaskEventBus implements TaskEventEmitter {
  readonly #task: string;
  readonly #log: Logger | undefined;
  readonly #listeners = new Set<TaskEventListener>();

  constructor(options: { readonly task: string; readonly log?: Logger }) {
    this.#task = options.task;
    this.#log = options.log;
  }

  get task(): string {
    return this.#task;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: TaskEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(input: TaskEventInput): void {
    const event: TaskEvent = {
      id: input.key !== undefined ? taskEventId(this.#task, input.category, input.key) : randomUUID(),
      category: input.category,
      dmsCategory: EVENT_CATEGORIES[input.category].dms,
      task: this.#task,
      ...(input.table !== undefined ? { table: input.table } : {}),
      time: new Date().toISOString(),
      message: input.message,
      details: input.details ?? {},
    };
    this.#log?.debug({ event: { id: event.id, category: event.category, table: event.table } }, `task event ${event.category}: ${event.message}`);
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (e: unknown) {
        this.#log?.warn({ err: e, category: event.category }, 'a task event listener failed; the event is not delivered to it');
      }
    }
  }
}
