/**
 * AWS DMS's replication task metrics (CDCLatencySource, CDCIncomingChanges, FullLoadThroughputRowsTarget, ...),
 * computed from what the pipeline sees, with DMS's meaning and unit, and served as Prometheus gauges
 * `ferry_dms_*{task}` next to Ferry's own metrics (docs/metrics.md). The CloudWatch exporter
 * (cloudwatch-exporter.ts) publishes `snapshot()` under DMS's names.
 *
 * The pipeline calls the observer per batch (never per event with work beyond a comparison): `read` when a batch
 * comes from the source (before it is queued), `writing` when the writer takes events from the queue, `written` when
 * they are durable in every sink. A timer (unref'd, every TICK_MS) turns the running totals into rates over the last
 * RATE_WINDOW_MS and sets the gauges; scrapes and exports read those values.
 *
 * Definitions (DMS's, mapped onto Ferry):
 * - CDCLatencySource: seconds between the source commit of the last change read and the moment Ferry read it.
 * - CDCLatencyTarget: seconds between the source commit of the oldest change read and not yet durable in the sinks,
 *   and now; with nothing waiting, the delay of the last change written (commit → durable).
 * - CDCIncomingChanges: changes read from the source and not yet durable in the sinks (memory + disk).
 * - CDCChangesMemorySource / Target: of those, the ones queued behind the source / being written to the sinks.
 * - CDCChangesDiskSource / Target: Ferry keeps no committed changes on disk between source and sinks: always 0.
 * - CDC/FullLoad Throughput Rows: change events (op c/u/d/t) / full-load rows (op r) per second over the window.
 * - CDC/FullLoad Throughput Bandwidth: KB (1024 bytes) per second of the row images, estimated from three events of
 *   each batch read (row-bytes.ts, PAYLOAD; the walk of a source batch is shared with the queue's byte budget), and
 *   for the target the same bytes as the events are written: Ferry does not see the source's or the sinks' wire bytes.
 * - Validation{Pending,Failed,Suspended}OverallCount: the continuous validator's rows, summed over tables.
 */
import type { ChangeBatch, ChangeEvent, Gauge, MetricsRegistry } from '../../../core/src/types.ts';
import { PAYLOAD, eventBytes, eventsBytes } from '../pipeline/row-bytes.ts';

/** A CloudWatch unit (StandardUnit) the DMS metrics use. */
export type DmsUnit = 'Seconds' | 'Count' | 'Count/Second' | 'Kilobytes/Second';

export interface DmsMetricDef {
  /** DMS's CloudWatch metric name. */
  readonly name: string;
  /** The Prometheus name without the `ferry_` prefix. */
  readonly prom: string;
  readonly unit: DmsUnit;
  readonly help: string;
}

/** Every DMS task metric Ferry computes, in the order docs/metrics.md lists them. */
export const DMS_TASK_METRICS = [
  { name: 'CDCLatencySource', prom: 'dms_cdc_latency_source_seconds', unit: 'Seconds', help: 'DMS CDCLatencySource: seconds between the source commit of the last change read and its read' },
  { name: 'CDCLatencyTarget', prom: 'dms_cdc_latency_target_seconds', unit: 'Seconds', help: 'DMS CDCLatencyTarget: seconds since the source commit of the oldest change not yet durable in the sinks (none waiting: commit-to-durable delay of the last change)' },
  { name: 'CDCIncomingChanges', prom: 'dms_cdc_incoming_changes', unit: 'Count', help: 'DMS CDCIncomingChanges: change events read from the source and waiting to be durable in the sinks' },
  { name: 'CDCChangesMemorySource', prom: 'dms_cdc_changes_memory_source', unit: 'Count', help: 'DMS CDCChangesMemorySource: change events in memory queued behind the source, not yet taken by the writer' },
  { name: 'CDCChangesMemoryTarget', prom: 'dms_cdc_changes_memory_target', unit: 'Count', help: 'DMS CDCChangesMemoryTarget: change events in memory being written to the sinks, not yet durable' },
  { name: 'CDCChangesDiskSource', prom: 'dms_cdc_changes_disk_source', unit: 'Count', help: 'DMS CDCChangesDiskSource: committed change events held on disk on the source side (Ferry keeps none: 0)' },
  { name: 'CDCChangesDiskTarget', prom: 'dms_cdc_changes_disk_target', unit: 'Count', help: 'DMS CDCChangesDiskTarget: change events held on disk waiting for the target (Ferry keeps none: 0)' },
  { name: 'CDCThroughputRowsSource', prom: 'dms_cdc_throughput_rows_source_per_second', unit: 'Count/Second', help: 'DMS CDCThroughputRowsSource: change events read from the source per second' },
  { name: 'CDCThroughputRowsTarget', prom: 'dms_cdc_throughput_rows_target_per_second', unit: 'Count/Second', help: 'DMS CDCThroughputRowsTarget: change events made durable in the sinks per second' },
  { name: 'CDCThroughputBandwidthSource', prom: 'dms_cdc_throughput_bandwidth_source_kb_per_second', unit: 'Kilobytes/Second', help: 'DMS CDCThroughputBandwidthSource: KB/s of change row images read (estimated from the values)' },
  { name: 'CDCThroughputBandwidthTarget', prom: 'dms_cdc_throughput_bandwidth_target_kb_per_second', unit: 'Kilobytes/Second', help: 'DMS CDCThroughputBandwidthTarget: KB/s of change row images made durable (estimated from the values)' },
  { name: 'FullLoadThroughputRowsSource', prom: 'dms_full_load_throughput_rows_source_per_second', unit: 'Count/Second', help: 'DMS FullLoadThroughputRowsSource: full-load rows read from the source per second' },
  { name: 'FullLoadThroughputRowsTarget', prom: 'dms_full_load_throughput_rows_target_per_second', unit: 'Count/Second', help: 'DMS FullLoadThroughputRowsTarget: full-load rows made durable in the sinks per second' },
  { name: 'FullLoadThroughputBandwidthSource', prom: 'dms_full_load_throughput_bandwidth_source_kb_per_second', unit: 'Kilobytes/Second', help: 'DMS FullLoadThroughputBandwidthSource: KB/s of full-load rows read (estimated from the values)' },
  { name: 'FullLoadThroughputBandwidthTarget', prom: 'dms_full_load_throughput_bandwidth_target_kb_per_second', unit: 'Kilobytes/Second', help: 'DMS FullLoadThroughputBandwidthTarget: KB/s of full-load rows made durable (estimated from the values)' },
] as const satisfies readonly DmsMetricDef[];

/** DMS's validation metrics, published once validation reports (settings.validation). */
export const DMS_VALIDATION_METRICS = [
  { name: 'ValidationPendingOverallCount', prom: 'dms_validation_pending_overall_count', unit: 'Count', help: 'DMS ValidationPendingOverallCount: rows whose validation is still pending, over all tables' },
  { name: 'ValidationFailedOverallCount', prom: 'dms_validation_failed_overall_count', unit: 'Count', help: 'DMS ValidationFailedOverallCount: rows where validation failed (confirmed mismatches), over all tables' },
  { name: 'ValidationSuspendedOverallCount', prom: 'dms_validation_suspended_overall_count', unit: 'Count', help: 'DMS ValidationSuspendedOverallCount: rows whose validation was suspended (they kept changing), over all tables' },
] as const satisfies readonly DmsMetricDef[];

export type DmsTaskMetricName = (typeof DMS_TASK_METRICS)[number]['name'];
export type DmsValidationMetricName = (typeof DMS_VALIDATION_METRICS)[number]['name'];
export type DmsSnapshot = Record<DmsTaskMetricName, number> & Partial<Record<DmsValidationMetricName, number>>;

/** The pipeline's observer (runtime/src/pipeline/Pipeline.ts: PipelineOptions.observer). */
export interface PipelineObserver {
  /** A batch the source yielded, before it is queued. */
  read(batch: ChangeBatch): void;
  /** The writer took these events from the queue and starts writing them. */
  writing(events: readonly ChangeEvent[]): void;
  /** These events are durable in every sink. */
  written(events: readonly ChangeEvent[]): void;
}

/** How often rates and latencies are recomputed. */
export const TICK_MS = 500;
/** Rates are averaged over this window. */
export const RATE_WINDOW_MS = 5000;

interface Totals { cdcRead: number; cdcReadBytes: number; cdcWritten: number; cdcWrittenBytes: number; flRead: number; flReadBytes: number; flWritten: number; flWrittenBytes: number }
/** A batch read and not fully written: `from` events of it already written; `bytes`: its row images, estimated when read. */
interface Pending { readonly events: readonly ChangeEvent[]; readonly bytes: number; from: number }
interface ValidationCounts { readonly pending: number; readonly failed: number; readonly suspended: number }

export class DmsMetrics implements PipelineObserver {
  readonly #task: string;
  readonly #gauges: Map<string, Gauge>;
  readonly #totals: Totals = { cdcRead: 0, cdcReadBytes: 0, cdcWritten: 0, cdcWrittenBytes: 0, flRead: 0, flReadBytes: 0, flWritten: 0, flWrittenBytes: 0 };
  readonly #samples: { at: number; totals: Totals }[] = [];
  /** Batches read and not yet written, oldest first (`from`: events of the first one already written). */
  readonly #pending: Pending[] = [];
  readonly #validation = new Map<string, ValidationCounts>();
  readonly #metrics: MetricsRegistry;
  #cdcTaken = 0;
  #sourceLatencyMs = 0;
  #lastWrittenDelayMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #snapshot: DmsSnapshot;

  constructor(options: { metrics: MetricsRegistry; taskName: string }) {
    this.#task = options.taskName;
    this.#metrics = options.metrics;
    this.#gauges = new Map(DMS_TASK_METRICS.map((d) => [d.name, options.metrics.gauge(d.prom, d.help, ['task'])]));
    this.#snapshot = this.#compute(Date.now());
  }

  /** Starts the timer that updates the gauges (unref'd: it never keeps the process alive). */
  start(): this {
    if (!this.#timer) {
      this.#timer = setInterval(() => this.tick(), TICK_MS);
      this.#timer.unref();
      this.tick();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  read(batch: ChangeBatch): void {
    const events = batch.events;
    if (events.length === 0) return;
    const now = Date.now();
    let cdc = 0;
    let lastTs = 0;
    for (const e of events) {
      if (e.op !== 'r') { cdc++; if (e.source.tsMs > 0) lastTs = e.source.tsMs; }
    }
    const bytes = estimateBatchBytes(events);
    const t = this.#totals;
    t.cdcRead += cdc;
    t.flRead += events.length - cdc;
    t.cdcReadBytes += (bytes * cdc) / events.length;
    t.flReadBytes += (bytes * (events.length - cdc)) / events.length;
    if (lastTs > 0) this.#sourceLatencyMs = Math.max(0, now - lastTs);
    this.#pending.push({ events, bytes, from: 0 });
  }

  writing(events: readonly ChangeEvent[]): void {
    this.#cdcTaken += countCdc(events);
  }

  written(events: readonly ChangeEvent[]): void {
    if (events.length === 0) return;
    const now = Date.now();
    const cdc = countCdc(events);
    // The pipeline writes what it read, in order: drop as many events from the front of the pending list, with their
    // share of the bytes estimated when they were read (the written batches are not walked again).
    let n = events.length;
    let bytes = 0;
    while (n > 0 && this.#pending.length > 0) {
      const p = this.#pending[0]!;
      const take = Math.min(p.events.length - p.from, n);
      bytes += (p.bytes * take) / p.events.length;
      p.from += take;
      n -= take;
      if (p.from === p.events.length) this.#pending.shift();
    }
    if (n > 0) bytes += (estimateBatchBytes(events) * n) / events.length; // more written than read: not the pipeline's way
    const t = this.#totals;
    t.cdcWritten += cdc;
    t.flWritten += events.length - cdc;
    t.cdcWrittenBytes += (bytes * cdc) / events.length;
    t.flWrittenBytes += (bytes * (events.length - cdc)) / events.length;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.op !== 'r' && e.source.tsMs > 0) { this.#lastWrittenDelayMs = Math.max(0, now - e.source.tsMs); break; }
    }
  }

  /** A table's validation counts (app/src/validate-data/continuous-validation.ts reports them). */
  validation(table: string, counts: ValidationCounts): void {
    if (this.#validation.size === 0) {
      for (const d of DMS_VALIDATION_METRICS) this.#gauges.set(d.name, this.#metrics.gauge(d.prom, d.help, ['task']));
    }
    this.#validation.set(table, counts);
  }

  /** The latest values under DMS's names (recomputed every TICK_MS once started). */
  snapshot(): DmsSnapshot {
    return { ...this.#snapshot };
  }

  /** Recomputes rates and latencies and sets the gauges. */
  tick(now = Date.now()): void {
    this.#samples.push({ at: now, totals: { ...this.#totals } });
    while (this.#samples.length > 2 && now - this.#samples[1]!.at >= RATE_WINDOW_MS) this.#samples.shift();
    this.#snapshot = this.#compute(now);
    const labels = { task: this.#task };
    for (const [name, value] of Object.entries(this.#snapshot)) this.#gauges.get(name)?.set(labels, value);
  }

  #compute(now: number): DmsSnapshot {
    const t = this.#totals;
    const first = this.#samples[0];
    const secs = first ? (now - first.at) / 1000 : 0;
    const rate = (k: keyof Totals, scale = 1) => (first && secs > 0 ? round((t[k] - first.totals[k]) / secs / scale) : 0);
    const incoming = t.cdcRead - t.cdcWritten;
    const oldest = this.#oldestPendingTs();
    const s: DmsSnapshot = {
      CDCLatencySource: round(this.#sourceLatencyMs / 1000),
      CDCLatencyTarget: round((oldest > 0 ? Math.max(0, now - oldest) : this.#lastWrittenDelayMs) / 1000),
      CDCIncomingChanges: incoming,
      CDCChangesMemorySource: t.cdcRead - this.#cdcTaken,
      CDCChangesMemoryTarget: this.#cdcTaken - t.cdcWritten,
      CDCChangesDiskSource: 0,
      CDCChangesDiskTarget: 0,
      CDCThroughputRowsSource: rate('cdcRead'),
      CDCThroughputRowsTarget: rate('cdcWritten'),
      CDCThroughputBandwidthSource: rate('cdcReadBytes', 1024),
      CDCThroughputBandwidthTarget: rate('cdcWrittenBytes', 1024),
      FullLoadThroughputRowsSource: rate('flRead'),
      FullLoadThroughputRowsTarget: rate('flWritten'),
      FullLoadThroughputBandwidthSource: rate('flReadBytes', 1024),
      FullLoadThroughputBandwidthTarget: rate('flWrittenBytes', 1024),
    };
    if (this.#validation.size > 0) {
      let pending = 0, failed = 0, suspended = 0;
      for (const v of this.#validation.values()) { pending += v.pending; failed += v.failed; suspended += v.suspended; }
      s.ValidationPendingOverallCount = pending;
      s.ValidationFailedOverallCount = failed;
      s.ValidationSuspendedOverallCount = suspended;
    }
    return s;
  }

  /** Source commit time of the oldest change event read and not yet written, or 0. */
  #oldestPendingTs(): number {
    for (const p of this.#pending) {
      for (let i = p.from; i < p.events.length; i++) {
        const e = p.events[i]!;
        if (e.op !== 'r' && e.source.tsMs > 0) return e.source.tsMs;
      }
    }
    return 0;
  }
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function countCdc(events: readonly ChangeEvent[]): number {
  let n = 0;
  for (const e of events) if (e.op !== 'r') n++;
  return n;
}

/** The bytes of a batch's row images (row-bytes.ts, PAYLOAD): its sample's mean times the batch length. */
export function estimateBatchBytes(events: readonly ChangeEvent[]): number {
  return eventsBytes(events, PAYLOAD);
}

/** The size of an event's row images (before and after): strings by length, numbers 8, buffers by length. */
export function estimateEventBytes(e: ChangeEvent): number {
  return eventBytes(e, PAYLOAD);
}
