/**
 * The pipeline: source → sinks, with the delivery order every model of this field follows:
 *
 *     sink durable  →  offset committed  →  source acknowledged
 *
 * A reader loop pulls source batches into a bounded BatchQueue (backpressure); a writer loop takes merged batches,
 * writes them to every sink (retrying retryable failures with backoff), commits the last checkpoint in the batch,
 * then tells the source it may discard up to there. Commits are coalesced to one per offsetCommitIntervalMs while
 * batches keep coming. A crash anywhere can only cause redelivery from the last committed checkpoint; sinks make
 * redelivery harmless.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { ChangeEvent, Counter, Logger, MetricsRegistry, OffsetStore, Position, SchemaChange, Sink, SourceConnector, SourceMessage, StoredOffset } from '../../../core/src/types.ts';
import { BatchQueue } from './BatchQueue.ts';
import { ReadPacer } from './ReadPacer.ts';
import { LatencyBudget } from './LatencyBudget.ts';
import { withRetry } from './retry.ts';
import { reasonOf, type Readiness } from '../health/readiness.ts';
import type { PipelineObserver } from '../metrics/dms-metrics.ts';

export interface PipelineOptions {
  readonly taskName: string;
  readonly source: SourceConnector;
  readonly sinks: readonly Sink[];
  readonly offsets: OffsetStore;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly maxBatchEvents: number;
  /** Approximate bytes (event-bytes.ts) of a merged batch: a batch is full at maxBatchEvents or at this. Default unbounded. */
  readonly maxBatchBytes?: number;
  /**
   * A fixed batch delay (ms): a batch is written when full or when its first change waited this long. Absent =
   * adaptive batching within `latencyTargetMs` (LatencyBudget.ts).
   */
  readonly maxBatchDelayMs?: number | undefined;
  /** Adaptive batching's latency budget (ms) when no fixed maxBatchDelayMs is given; default 20. */
  readonly latencyTargetMs?: number;
  /**
   * Offsets are committed at most this often while batches keep coming (each commit is a durable write, and the
   * source is acknowledged after it); a quiet stream commits at once. 0 or absent = after every batch.
   */
  readonly offsetCommitIntervalMs?: number;
  /** Heartbeats to the sinks after commits, at most this often (ms); 0 = none. */
  readonly heartbeatIntervalMs?: number;
  /** Events the queue holds before the source is paused; default 4 × maxBatchEvents. */
  readonly queueCapacityEvents?: number;
  /** Approximate bytes the queue holds before the source is paused; default 4 × maxBatchBytes. */
  readonly queueCapacityBytes?: number;
  /** Read pacing (ReadPacer.ts): hold the source's reads while small batches linger and are written. Default true. */
  readonly paceReads?: boolean;
  /**
   * After `signal` aborts, failing writes and offset commits are retried this long (ms) so a graceful stop can finish
   * its batch; then the run ends with the error. Default 30,000.
   */
  readonly shutdownTimeoutMs?: number;
  /** GET /readyz (runtime/src/health): the pipeline reports 'source', 'sinks' and 'offsets' here. */
  readonly readiness?: Readiness;
  /** Told of each batch read, taken and written (DMS's task metrics: runtime/src/metrics/dms-metrics.ts). */
  readonly observer?: PipelineObserver;
}

/**
 * events_total by table and operation: one counter update per (table, op) of the batch, not one per event (a labelled
 * prom-client update hashes its labels each time).
 */
function countEvents(events: readonly ChangeEvent[], counter: Counter): void {
  let table = events[0]!.table;
  let op = events[0]!.op;
  let n = 0;
  const flush = () => counter.inc({ table: `${table.id.schema}.${table.id.table}`, op }, n);
  for (const e of events) {
    if (e.table !== table || e.op !== op) {
      flush();
      table = e.table;
      op = e.op;
      n = 0;
    }
    n++;
  }
  flush();
}

/** Adaptive batching's default latency budget (settings.batch.latencyTargetMs). */
export const DEFAULT_LATENCY_TARGET_MS = 20;

export interface PipelineResult {
  readonly events: number;
  readonly lastCommitted: Position | null;
  readonly snapshotDone: boolean;
}

export class Pipeline {
  readonly #o: PipelineOptions;
  #events = 0;
  #lastCommitted: Position | null = null;
  #snapshotDone = false;

  constructor(options: PipelineOptions) {
    this.#o = options;
  }

  /** Runs until the source ends or `signal` aborts; then flushes what was read and commits it. */
  async run(signal: AbortSignal): Promise<PipelineResult> {
    const { log, metrics, offsets, taskName } = this.#o;
    // Readiness: the source is ready once its stream is open (or its first batch arrives), the offset store once read,
    // the sinks unless a write is being retried; a retry marks its component until the operation succeeds.
    const rs = this.#o.readiness;
    const health = rs ? { source: rs.component('source', 'connecting'), sinks: rs.component('sinks', 'not written yet'), offsets: rs.component('offsets', 'reading the stored offset') } : undefined;
    health?.sinks.ready();
    const retrying = (c: keyof NonNullable<typeof health>) => (e: unknown) => health?.[c].retrying(reasonOf(e));
    const onStop = () => rs?.stopping();
    if (signal.aborted) onStop(); else signal.addEventListener('abort', onStop, { once: true });
    const resumeFrom: StoredOffset | null = await withRetry(() => offsets.read(taskName), { what: 'reading the task offset', log, signal, maxAttempts: 5, onRetry: retrying('offsets') });
    health?.offsets.ready();
    this.#lastCommitted = resumeFrom?.position ?? null;
    this.#snapshotDone = resumeFrom?.snapshotDone ?? false;
    log.info({ resumeFrom }, resumeFrom ? `resuming from ${resumeFrom.position}` : 'no stored offset: starting fresh');

    const pacer = (this.#o.paceReads ?? true) ? new ReadPacer() : undefined;
    const latency = this.#o.maxBatchDelayMs === undefined ? new LatencyBudget({ targetMs: this.#o.latencyTargetMs ?? DEFAULT_LATENCY_TARGET_MS }) : undefined;
    const maxBytes = this.#o.maxBatchBytes ?? Infinity;
    const queue = new BatchQueue({ capacityEvents: this.#o.queueCapacityEvents ?? this.#o.maxBatchEvents * 4, capacityBytes: this.#o.queueCapacityBytes ?? maxBytes * 4, ...(pacer ? { pacer } : {}), ...(latency ? { latency } : {}) });
    // The writer stops on its own failure too; the reader then stops at its next push.
    const stop = new AbortController();
    const readerSignal = AbortSignal.any([signal, stop.signal]);
    // Retries go on after a stop (a graceful stop finishes its batch) until the shutdown deadline: a sink that keeps
    // failing then ends the run with its error instead of holding the process. The batch was not committed, so the
    // next run writes it again: nothing is lost.
    const hardStop = new AbortController();
    let hardTimer: NodeJS.Timeout | undefined;
    const onAbort = () => { hardTimer = setTimeout(() => hardStop.abort(), this.#o.shutdownTimeoutMs ?? 30000); };
    if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
    const retrySignal = AbortSignal.any([stop.signal, hardStop.signal]);
    const eventsTotal = metrics.counter('events_total', 'Change events written to the sinks, by table and operation', ['table', 'op']);
    const batchSeconds = metrics.histogram('batch_write_seconds', 'Time to make a batch durable in every sink', [], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    const lagMs = metrics.gauge('source_lag_ms', 'Milliseconds between the source commit of the last written event and its write', ['task']);
    const commits = metrics.counter('offset_commits_total', 'Offsets committed', ['task']);

    const reader = (async () => {
      try {
        const sourceHealth = health ? { connected: () => health.source.ready(), reconnecting: (why: string) => health.source.retrying(why) } : undefined;
        for await (const batch of this.#o.source.read({ signal: readerSignal, log, metrics, resumeFrom, ...(pacer ? { pacing: pacer } : {}), ...(sourceHealth ? { health: sourceHealth } : {}) })) {
          health?.source.ready();
          this.#o.observer?.read(batch);
          await queue.push(batch);
          if (readerSignal.aborted) break;
        }
      } catch (e: unknown) {
        if (!readerSignal.aborted) health?.source.failed(reasonOf(e));
        throw e;
      } finally {
        queue.close();
      }
    })();
    // Awaited below, once the writer is done; until then a source failure must not count as an unhandled rejection.
    reader.catch(() => undefined);

    let writerError: unknown;
    const interval = this.#o.offsetCommitIntervalMs ?? 0;
    let pending: StoredOffset | null = null;
    let lastCommitAt = 0;
    const commitPending = async () => {
      if (pending === null) return;
      const offset = pending;
      pending = null;
      await withRetry(() => offsets.commit(taskName, offset), { what: 'committing the offset', log, signal: retrySignal, onRetry: retrying('offsets') });
      health?.offsets.ready();
      lastCommitAt = Date.now();
      this.#lastCommitted = offset.position;
      commits.inc({ task: taskName });
      await this.#o.source.acknowledge(offset.position);
      await this.#heartbeat(offset.position, signal);
    };
    try {
      for (;;) {
        // A deferred commit waits for the interval, or goes at once when no batch is waiting.
        if (pending !== null && !(await queue.waitForItems(Math.max(0, interval - (Date.now() - lastCommitAt))))) await commitPending();
        const batch = await queue.take({ maxEvents: this.#o.maxBatchEvents, maxBytes, maxDelayMs: this.#o.maxBatchDelayMs ?? 0 });
        if (batch === null) {
          await commitPending();
          break;
        }
        if (batch.schemaChanges.length > 0) {
          await withRetry(() => this.#writeSchemaChanges(batch.schemaChanges, signal), { what: 'writing schema changes to the sinks', log, signal: retrySignal, onRetry: retrying('sinks') });
        }
        if (batch.messages.length > 0) {
          await withRetry(() => this.#writeMessages(batch.messages, signal), { what: 'writing logical-decoding messages to the sinks', log, signal: retrySignal, onRetry: retrying('sinks') });
        }
        if (batch.events.length > 0) {
          const started = performance.now();
          this.#o.observer?.writing(batch.events);
          await withRetry(() => this.#writeAll(batch.events, signal, batch.endsAtBoundary), { what: 'writing a batch to the sinks', log, signal: retrySignal, onRetry: retrying('sinks') });
          health?.sinks.ready();
          this.#o.observer?.written(batch.events);
          const tookMs = performance.now() - started;
          latency?.written(tookMs);
          batchSeconds.observe({}, tookMs / 1000);
          this.#events += batch.events.length;
          countEvents(batch.events, eventsTotal);
          const last = batch.events[batch.events.length - 1]!;
          if (last.source.tsMs > 0) lagMs.set({ task: taskName }, Date.now() - last.source.tsMs);
        }
        if (batch.checkpoint !== null) {
          if (batch.snapshotDone) this.#snapshotDone = true;
          pending = { position: batch.checkpoint, snapshotDone: this.#snapshotDone, formatVersion: 1, ...(batch.state ? { state: batch.state } : {}) };
          if (interval <= 0 || Date.now() - lastCommitAt >= interval || batch.snapshotDone || batch.commitNow) await commitPending();
        }
      }
    } catch (e: unknown) {
      writerError = e;
      health?.sinks.failed(reasonOf(e));
      if (hardStop.signal.aborted) log.error({ err: e }, `stopping with a batch that still fails ${Math.round((this.#o.shutdownTimeoutMs ?? 30000) / 1000)} s after the stop signal (${errorMessage(e)}): it was not committed, so the next run writes it again`);
      stop.abort();
      queue.close(); // wakes a reader blocked on a full queue, so run() can end
    } finally {
      clearTimeout(hardTimer);
      signal.removeEventListener('abort', onAbort);
      signal.removeEventListener('abort', onStop);
    }
    try {
      await reader;
    } catch (e: unknown) {
      if (writerError === undefined && !signal.aborted) throw e;
      if (writerError === undefined) log.warn({ err: e }, `source stopped with ${errorMessage(e)} during shutdown`);
    }
    if (writerError !== undefined) throw writerError;
    return { events: this.#events, lastCommitted: this.#lastCommitted, snapshotDone: this.#snapshotDone };
  }

  #lastHeartbeat = 0;

  async #heartbeat(position: Position, signal: AbortSignal): Promise<void> {
    const every = this.#o.heartbeatIntervalMs ?? 0;
    if (every <= 0 || Date.now() - this.#lastHeartbeat < every) return;
    this.#lastHeartbeat = Date.now();
    const ctx = { signal, log: this.#o.log, metrics: this.#o.metrics };
    for (const sink of this.#o.sinks) {
      // A heartbeat is advisory: a failure is logged, never fatal, and never holds up data.
      await sink.heartbeat?.(position, ctx).catch((e: unknown) => this.#o.log.warn({ err: e }, `heartbeat failed: ${errorMessage(e)}`));
    }
  }

  /** Schema-change records go to the sinks that write them (the Kafka event sink), before the batch's events. */
  async #writeSchemaChanges(changes: readonly SchemaChange[], signal: AbortSignal): Promise<void> {
    const ctx = { signal, log: this.#o.log, metrics: this.#o.metrics };
    for (const sink of this.#o.sinks) await sink.writeSchemaChanges?.(changes, ctx);
  }

  /** Logical-decoding messages go to the sinks that write them (the Kafka event sink's outbox router), before the batch's events. */
  async #writeMessages(messages: readonly SourceMessage[], signal: AbortSignal): Promise<void> {
    const ctx = { signal, log: this.#o.log, metrics: this.#o.metrics };
    for (const sink of this.#o.sinks) await sink.writeMessages?.(messages, ctx);
  }

  async #writeAll(events: readonly ChangeEvent[], signal: AbortSignal, endsAtTransactionBoundary: boolean): Promise<void> {
    const ctx = { signal, log: this.#o.log, metrics: this.#o.metrics, endsAtTransactionBoundary };
    for (const sink of this.#o.sinks) {
      try {
        await sink.write(events, ctx);
        await sink.flush(ctx);
      } catch (e: unknown) {
        throw e instanceof FerryError ? e : new FerryError('FERRY_SINK_ERROR', `sink write failed: ${errorMessage(e)}`, { cause: e });
      }
    }
  }
}
