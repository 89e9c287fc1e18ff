/**
 * The sink worker's metrics (Prometheus names get the `ferry_` prefix from the registry facade). Counters are
 * updated once per batch from per-batch tallies: a label lookup per record would cost more than decoding it.
 *
 *   sink_records_total{sink,table,op}     rows written, per table and operation
 *   sink_batches_total{sink}              batches made durable
 *   sink_files_total{sink,table}          files / staged objects written
 *   sink_bytes_total{sink,table}          bytes of those files
 *   sink_batch_seconds{sink}              time to make one batch durable (sink latency)
 *   sink_lag_ms{sink}                     now − source commit time of the last record written (end-to-end lag)
 *   sink_dead_letters_total{sink,stage}   records sent to the dead-letter queue (stage: decode | sink)
 *   sink_skipped_total{sink,reason}       records with nothing to write (tombstones)
 *   sink_retries_total{sink}              failed attempts that were retried
 *   sink_commits_total{sink}              offset commits
 *   sink_commit_failures_total{sink}      offset commits given up on (the records are redelivered later)
 */
import type { Counter, Gauge, Histogram, MetricsRegistry } from '../../../core/src/types.ts';
import { opOf, sourceMsOf } from './record-decoder.ts';
import type { SinkRecord, SinkReporter, SinkTable } from '../../../core/src/record-sink.ts';

const BATCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function tableName(t: SinkTable): string {
  return `${t.schema}.${t.table}`;
}

export class SinkMetrics {
  readonly sink: string;
  readonly #records: Counter;
  readonly #batches: Counter;
  readonly #files: Counter;
  readonly #bytes: Counter;
  readonly #seconds: Histogram;
  readonly #lag: Gauge;
  readonly #dead: Counter;
  readonly #skipped: Counter;
  readonly retries: Counter;
  readonly commits: Counter;
  readonly commitFailures: Counter;
  /** Running totals, for progress logs and results. */
  totals = { records: 0, batches: 0, files: 0, bytes: 0, deadLetters: 0, skipped: 0 };

  constructor(metrics: MetricsRegistry, sink: string) {
    this.sink = sink;
    this.#records = metrics.counter('sink_records_total', 'Rows written by a sink, by table and operation', ['sink', 'table', 'op']);
    this.#batches = metrics.counter('sink_batches_total', 'Batches a sink made durable', ['sink']);
    this.#files = metrics.counter('sink_files_total', 'Files (or staged objects) a sink wrote, by table', ['sink', 'table']);
    this.#bytes = metrics.counter('sink_bytes_total', 'Bytes of the files a sink wrote, by table', ['sink', 'table']);
    this.#seconds = metrics.histogram('sink_batch_seconds', 'Time to make one batch durable in the sink', ['sink'], BATCH_BUCKETS);
    this.#lag = metrics.gauge('sink_lag_ms', 'Milliseconds between the source commit of the last record written and its write', ['sink']);
    this.#dead = metrics.counter('sink_dead_letters_total', 'Records sent to the dead-letter queue, by stage (decode or sink)', ['sink', 'stage']);
    this.#skipped = metrics.counter('sink_skipped_total', 'Records with nothing to write (tombstones)', ['sink', 'reason']);
    this.retries = metrics.counter('sink_retries_total', 'Failed sink attempts that were retried', ['sink']);
    this.commits = metrics.counter('sink_commits_total', 'Offset commits after durable batches', ['sink']);
    this.commitFailures = metrics.counter('sink_commit_failures_total', 'Offset commits given up on (the records are delivered again later)', ['sink']);
  }

  readonly reporter: SinkReporter = {
    file: (table, bytes) => {
      const t = tableName(table);
      this.#files.inc({ sink: this.sink, table: t });
      this.#bytes.inc({ sink: this.sink, table: t }, bytes);
      this.totals.files++;
      this.totals.bytes += bytes;
    },
  };

  /** After a batch is durable: rows per table and op (of the records written, not rejected), batch time, lag. */
  batchWritten(records: readonly SinkRecord[], seconds: number, staged?: BatchTally): void {
    const tally = staged ?? new BatchTally();
    tally.add(records);
    const byName = new Map<string, number>();
    for (const [t, ops] of tally.ops) {
      for (const [op, n] of ops) {
        const k = `${tableName(t)}\u0000${op}`;
        byName.set(k, (byName.get(k) ?? 0) + n);
      }
    }
    for (const [k, n] of byName) {
      const [table, op] = k.split('\u0000') as [string, string];
      this.#records.inc({ sink: this.sink, table, op }, n);
    }
    this.#batches.inc({ sink: this.sink });
    this.#seconds.observe({ sink: this.sink }, seconds);
    if (tally.lastSourceMs > 0) this.#lag.set({ sink: this.sink }, Math.max(0, Date.now() - tally.lastSourceMs));
    this.totals.records += tally.records;
    this.totals.batches++;
  }

  deadLettered(stage: 'decode' | 'sink', n: number): void {
    if (n === 0) return;
    this.#dead.inc({ sink: this.sink, stage }, n);
    this.totals.deadLetters += n;
  }

  skipped(reason: string, n: number): void {
    if (n === 0) return;
    this.#skipped.inc({ sink: this.sink, reason }, n);
    this.totals.skipped += n;
  }
}

/** Rows per table version and op, and the latest source time, of records a batch writes (counted as they go). */
export class BatchTally {
  readonly ops = new Map<SinkTable, Map<string, number>>();
  lastSourceMs = 0;
  records = 0;

  add(records: readonly SinkRecord[]): void {
    let last: SinkTable | undefined;
    let ops = new Map<string, number>();
    for (const r of records) {
      if (r.table !== last) { // (consecutive records mostly share their table version)
        last = r.table;
        const found = this.ops.get(last);
        if (found === undefined) this.ops.set(last, (ops = new Map()));
        else ops = found;
      }
      const op = opOf(r);
      ops.set(op, (ops.get(op) ?? 0) + 1);
      const ts = sourceMsOf(r);
      if (ts !== null && ts > this.lastSourceMs) this.lastSourceMs = ts;
    }
    this.records += records.length;
  }
}
