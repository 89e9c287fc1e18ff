/**
 * The last hour of each task's latency and throughput, and its recent state changes, kept in memory by `ferry serve`
 * (GET /tasks/{name}/history, the console's charts): a ring buffer of samples per task, one sample every
 * `sampleMs` (5 s: 720 samples an hour), and the last 50 state changes (failures with their error code).
 *
 * A sample holds the task's CDC latencies at that moment and its events per second since the previous sample:
 * inserts, updates, deletes, DDLs and full-load rows made durable (the same counts as GET /tasks/{name}/stats), so a
 * stopped task's samples show 0 events/s and no latency. History is not persisted: a restarted server starts empty.
 */
import { ERROR_CODES, type ErrorCode } from '../../../core/src/errors.ts';
import type { LatencyView, TableStatistics } from './task-statistics.ts';

export interface HistorySample {
  /** ISO time of the sample. */
  readonly time: string;
  /** The task's state then (running, stopped, ...). */
  readonly state: string;
  /** latency.sourceMs and latency.targetMs of GET /tasks/{name}/status at that time; null while not running. */
  readonly sourceLatencyMs: number | null;
  readonly targetLatencyMs: number | null;
  /** Durable events (changes and full-load rows) per second since the previous sample; null for a task's first one. */
  readonly eventsPerSecond: number | null;
  /** Durable events counted so far (the sum over the task's tables). */
  readonly eventsTotal: number;
}

export interface HistoryEvent {
  readonly time: string;
  readonly state: string;
  readonly reason: string | null;
  /** A failure's error code (docs/errors.md), when the error had one. */
  readonly code: string | null;
  /** What the code means and whether the runtime retries it (docs/errors.md), when there is a code. */
  readonly meaning: string | null;
  readonly disposition: string | null;
}

export interface TaskHistoryView {
  readonly name: string;
  readonly sampleMs: number;
  readonly samples: readonly HistorySample[];
  readonly events: readonly HistoryEvent[];
}

export const HISTORY_WINDOW_MS = 60 * 60 * 1000;
const MAX_EVENTS = 50;

/** The durable events a task's statistics count: every change and every full-load row. */
export function eventsTotal(tables: readonly TableStatistics[]): number {
  let n = 0;
  for (const t of tables) n += t.inserts + t.updates + t.deletes + t.ddls + t.fullLoadRows;
  return n;
}

interface Series {
  readonly samples: HistorySample[];
  readonly events: HistoryEvent[];
  /** The previous sample's time and event total. */
  last: { at: number; total: number } | null;
}

export class TaskHistory {
  readonly sampleMs: number;
  readonly #capacity: number;
  readonly #series = new Map<string, Series>();

  constructor(sampleMs = 5000) {
    this.sampleMs = sampleMs;
    this.#capacity = Math.max(2, Math.ceil(HISTORY_WINDOW_MS / sampleMs));
  }

  #of(name: string): Series {
    let s = this.#series.get(name);
    if (!s) this.#series.set(name, (s = { samples: [], events: [], last: null }));
    return s;
  }

  /** Records one sample of a task; `running` false gives null latencies. */
  sample(name: string, state: string, latency: LatencyView, tables: readonly TableStatistics[], running: boolean, now = Date.now()): HistorySample {
    const s = this.#of(name);
    const total = eventsTotal(tables);
    // A reload starts a table's fullLoadRows over, so the total may fall: that interval counts as 0 new events.
    const eps = s.last === null || now <= s.last.at ? null : Math.max(0, Math.round(((total - s.last.total) * 1000) / (now - s.last.at) * 10) / 10);
    s.last = { at: now, total };
    const sample: HistorySample = {
      time: new Date(now).toISOString(), state,
      sourceLatencyMs: running ? latency.sourceMs : null,
      targetLatencyMs: running ? latency.targetMs : null,
      eventsPerSecond: eps, eventsTotal: total,
    };
    s.samples.push(sample);
    if (s.samples.length > this.#capacity) s.samples.splice(0, s.samples.length - this.#capacity);
    return sample;
  }

  /** Records a state change (newest last; the last 50 are kept); `code`: the failure's error code. */
  event(name: string, state: string, reason: string | null, code: ErrorCode | null = null, time = new Date().toISOString()): void {
    const s = this.#of(name);
    const known = code !== null && code in ERROR_CODES ? ERROR_CODES[code] : null;
    s.events.push({ time, state, reason, code: known ? code : null, meaning: known?.meaning ?? null, disposition: known?.disposition ?? null });
    if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
  }

  /** Events per second of the last sample, or null before a task has two samples. */
  eventsPerSecond(name: string): number | null {
    const samples = this.#series.get(name)?.samples;
    return samples && samples.length > 0 ? samples[samples.length - 1]!.eventsPerSecond : null;
  }

  view(name: string): TaskHistoryView {
    const s = this.#series.get(name);
    return { name, sampleMs: this.sampleMs, samples: s ? [...s.samples] : [], events: s ? [...s.events] : [] };
  }

  forget(name: string): void {
    this.#series.delete(name);
  }
}
