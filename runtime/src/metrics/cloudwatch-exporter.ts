/**
 * Publishes DMS's task metrics (dms-metrics.ts) to Amazon CloudWatch every settings.cloudwatch.intervalSeconds,
 * under DMS's metric names and dimensions (ReplicationInstanceIdentifier, ReplicationTaskIdentifier):
 *
 * - mode put-metric-data: PutMetricData calls of at most MAX_DATUMS values each;
 * - mode emf: one CloudWatch Logs event per interval in the embedded metric format (EMF), PutLogEvents to
 *   logGroup/logStream, created when missing.
 *
 * Off the pipeline's path: a timer (unref'd) takes a snapshot into a bounded buffer, and a single sender drains it.
 * A failed send keeps the data (the oldest dropped beyond MAX_BUFFERED intervals), is logged once per failure streak
 * (the message of the SDK's error: no credentials), and is retried with exponential backoff up to MAX_BACKOFF_MS.
 * Each request is bounded by REQUEST_TIMEOUT_MS (or the interval, if shorter), and close() by CLOSE_TIMEOUT_MS, so an
 * endpoint that never answers costs the task nothing while it runs and at most 5 s at shutdown.
 */
import { hostname } from 'node:os';
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Logger, MetricsRegistry } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { CloudWatchSettings } from '../config/cloudwatch-settings.ts';
import { DMS_TASK_METRICS, DMS_VALIDATION_METRICS, DmsMetrics, type DmsSnapshot, type DmsUnit } from './dms-metrics.ts';
import { awsClientTls } from '../aws/aws-tls.ts';

/** PutMetricData takes up to 1000 metric values per request (and 1 MB). */
export const MAX_DATUMS = 1000;
/** Intervals kept while CloudWatch is unreachable (an hour at the default 60 s). */
export const MAX_BUFFERED = 60;
export const MAX_BACKOFF_MS = 60_000;
const FIRST_BACKOFF_MS = 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 3000;
const CLOSE_TIMEOUT_MS = 5000;

const UNITS = new Map<string, DmsUnit>([...DMS_TASK_METRICS, ...DMS_VALIDATION_METRICS].map((d) => [d.name, d.unit]));

interface DataSet { readonly at: number; readonly values: DmsSnapshot }

/** What the exporter sends: one implementation per mode. */
interface Sender {
  send(sets: readonly DataSet[]): Promise<void>;
  close(): void;
}

export interface CloudWatchExporterOptions {
  readonly settings: CloudWatchSettings;
  readonly taskName: string;
  /** The values to publish (DmsMetrics.snapshot). */
  readonly snapshot: () => DmsSnapshot;
  readonly log: Logger;
}

export class CloudWatchExporter {
  readonly #o: CloudWatchExporterOptions;
  readonly #dimensions: { readonly instance: string; readonly task: string };
  readonly #buffer: DataSet[] = [];
  #sender: Promise<Sender> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #failures = 0;
  #dropped = 0;
  /** Intervals exported, and send attempts that failed (tests and logs). */
  exports = 0;
  failedAttempts = 0;

  constructor(options: CloudWatchExporterOptions) {
    this.#o = options;
    this.#dimensions = { instance: options.settings.replicationInstanceIdentifier ?? hostname(), task: options.settings.replicationTaskIdentifier ?? options.taskName };
  }

  start(): this {
    if (!this.#timer) {
      this.#timer = setInterval(() => this.collect(), this.#o.settings.intervalSeconds * 1000);
      this.#timer.unref();
    }
    return this;
  }

  /** Takes the current values into the buffer and sends unless a send or a backoff is under way. */
  collect(): void {
    this.#buffer.push({ at: Date.now(), values: this.#o.snapshot() });
    if (this.#sending === undefined) this.#trim();
    if (this.#retryTimer === undefined) void this.#drain();
  }

  /** Drops the oldest intervals beyond MAX_BUFFERED (only between sends: a send owns the front of the buffer). */
  #trim(): void {
    if (this.#buffer.length > MAX_BUFFERED) this.#dropped += this.#buffer.splice(0, this.#buffer.length - MAX_BUFFERED).length;
  }

  /** Stops the timer, takes the last values and makes one bounded attempt to send what is buffered. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#retryTimer);
    this.#timer = undefined;
    this.#retryTimer = undefined;
    this.#buffer.push({ at: Date.now(), values: this.#o.snapshot() });
    // One more attempt, bounded: an unreachable endpoint delays the task's shutdown by CLOSE_TIMEOUT_MS at most.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      (async () => { await this.#sending; await this.#drain(); })(),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    if (this.#buffer.length > 0) this.#o.log.warn({ intervals: this.#buffer.length }, `CloudWatch: ${this.#buffer.length} interval(s) of metrics not exported at shutdown`);
    if (this.#sender) (await this.#sender.catch(() => null))?.close();
  }

  #drain(): Promise<void> {
    if (this.#sending) return this.#sending;
    this.#sending = (async () => {
      try {
        while (this.#buffer.length > 0) {
          this.#trim();
          const sets = this.#buffer.slice();
          const sender = await (this.#sender ??= this.#createSender());
          await sender.send(sets);
          this.#buffer.splice(0, sets.length);
          this.exports += sets.length;
          if (this.#failures > 0 || this.#dropped > 0) {
            this.#o.log.info({ failedAttempts: this.#failures, droppedIntervals: this.#dropped }, `CloudWatch export works again after ${this.#failures} failed attempt(s)${this.#dropped > 0 ? `; ${this.#dropped} interval(s) were dropped meanwhile` : ''}`);
          }
          this.#failures = 0;
          this.#dropped = 0;
        }
      } catch (e: unknown) {
        if (this.#sender && (await this.#sender.then(() => false, () => true))) this.#sender = undefined; // a client that could not be made is made again
        this.#failures++;
        this.failedAttempts++;
        const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.#failures - 1));
        if (this.#failures === 1) {
          this.#o.log.warn({ err: { message: errorMessage(e), name: (e as Error).name }, mode: this.#o.settings.mode, namespace: this.#o.settings.namespace }, `CloudWatch export failed (${errorMessage(e)}): the metrics are kept and sent again with backoff (up to ${MAX_BACKOFF_MS / 1000} s); the task is not affected. Check settings.cloudwatch (endpoint, region, credentials) and the ${this.#o.settings.mode === 'emf' ? 'logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents permissions' : 'cloudwatch:PutMetricData permission'}. Logged once until an export succeeds.`);
        }
        if (this.#timer !== undefined) {
          this.#retryTimer = setTimeout(() => { this.#retryTimer = undefined; void this.#drain(); }, backoff);
          this.#retryTimer.unref();
        }
      } finally {
        this.#sending = undefined;
      }
    })();
    return this.#sending;
  }

  async #createSender(): Promise<Sender> {
    const s = this.#o.settings;
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    const common = {
      region: s.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey.reveal() } } : {}),
      // The exporter does its own backoff; each attempt is bounded so an unreachable endpoint costs nothing else.
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: Math.min(REQUEST_TIMEOUT_MS, s.intervalSeconds * 1000), connectionTimeout: CONNECT_TIMEOUT_MS, throwOnRequestTimeout: true, ...awsClientTls().requestHandler }),
    };
    const highResolution = s.intervalSeconds < 60;
    const dims = this.#dimensions;
    if (s.mode === 'emf') {
      const logs = await import('@aws-sdk/client-cloudwatch-logs');
      const client = new logs.CloudWatchLogsClient(common);
      const group = s.logGroup;
      const stream = s.logStream ?? this.#o.taskName;
      let ready = false;
      const ignoreExists = (e: unknown) => { if ((e as Error).name !== 'ResourceAlreadyExistsException') throw e; };
      return {
        send: async (sets) => {
          if (!ready) {
            await client.send(new logs.CreateLogGroupCommand({ logGroupName: group })).catch(ignoreExists);
            await client.send(new logs.CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(ignoreExists);
            ready = true;
          }
          await client.send(new logs.PutLogEventsCommand({
            logGroupName: group, logStreamName: stream,
            logEvents: sets.map((d) => ({ timestamp: d.at, message: JSON.stringify(emfDocument(d, s.namespace, dims, highResolution)) })),
          }));
        },
        close: () => client.destroy(),
      };
    }
    const cw = await import('@aws-sdk/client-cloudwatch');
    const client = new cw.CloudWatchClient(common);
    return {
      send: async (sets) => {
        const data = sets.flatMap((d) => Object.entries(d.values).map(([name, value]) => ({
          MetricName: name, Value: value, Unit: (UNITS.get(name) ?? 'None') as StandardUnit, Timestamp: new Date(d.at),
          Dimensions: [{ Name: 'ReplicationInstanceIdentifier', Value: dims.instance }, { Name: 'ReplicationTaskIdentifier', Value: dims.task }],
          StorageResolution: highResolution ? 1 : 60,
        })));
        for (let i = 0; i < data.length; i += MAX_DATUMS) {
          await client.send(new cw.PutMetricDataCommand({ Namespace: s.namespace, MetricData: data.slice(i, i + MAX_DATUMS) }));
        }
      },
      close: () => client.destroy(),
    };
  }
}

/** One EMF log event: the values as top-level members, the metric directive under _aws (at most 100 metrics each). */
export function emfDocument(d: DataSet, namespace: string, dims: { readonly instance: string; readonly task: string }, highResolution: boolean): Record<string, unknown> {
  const names = Object.keys(d.values);
  const directives = [];
  for (let i = 0; i < names.length; i += 100) {
    directives.push({
      Namespace: namespace,
      Dimensions: [['ReplicationInstanceIdentifier', 'ReplicationTaskIdentifier']],
      Metrics: names.slice(i, i + 100).map((n) => ({ Name: n, Unit: UNITS.get(n) ?? 'None', ...(highResolution ? { StorageResolution: 1 } : {}) })),
    });
  }
  return { _aws: { Timestamp: d.at, CloudWatchMetrics: directives }, ReplicationInstanceIdentifier: dims.instance, ReplicationTaskIdentifier: dims.task, ...d.values };
}

/**
 * DMS's task metrics for one run of a task: the pipeline observer (its Prometheus gauges updating) and, with
 * settings.cloudwatch, the exporter. `close()` stops both after a last export attempt.
 */
export function startDmsMetrics(options: { taskName: string; metrics: MetricsRegistry; log: Logger; cloudwatch: CloudWatchSettings | undefined }): { readonly observer: DmsMetrics; close(): Promise<void> } {
  const observer = new DmsMetrics({ metrics: options.metrics, taskName: options.taskName }).start();
  const exporter = options.cloudwatch ? new CloudWatchExporter({ settings: options.cloudwatch, taskName: options.taskName, snapshot: () => observer.snapshot(), log: options.log }).start() : undefined;
  return {
    observer,
    close: async () => {
      observer.tick();
      observer.stop();
      await exporter?.close();
    },
  };
}
