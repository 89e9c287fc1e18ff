/**
 * Assembles and runs one task: logger, metrics endpoint, offset store, source, Kafka event sink and targets,
 * and the pipeline between them. Used by `ferry run` and `ferry demo`.
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { Logger, OffsetStore, Sink } from '../../../core/src/types.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../../runtime/src/metrics/metrics-server.ts';
import { openOffsetStore } from '../../../runtime/src/offsets/open-offset-store.ts';
import { createAdmin, createProducer, type RecordProducer } from '../../../runtime/src/kafka/kafka-client.ts';
import { logTaskKafkaSecurity, taskKafkaConnection, taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import { KafkaEventSink } from '../../../runtime/src/kafka/KafkaEventSink.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { Pipeline, type PipelineResult } from '../../../runtime/src/pipeline/Pipeline.ts';
import { ControlApi } from '../../../runtime/src/control/control-api.ts';
import { Readiness } from '../../../runtime/src/health/readiness.ts';
import { startDmsMetrics } from '../../../runtime/src/metrics/cloudwatch-exporter.ts';
import { createSource } from './sources.ts';
import { TaskNotifications } from './task-notifications.ts';
import { withTaskEvents } from '../../../runtime/src/events/source-events.ts';
import { connectorName } from '../plugins.ts';
import { withTableMapping } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { TaskStatistics, withTaskStatistics } from '../tasks-api/task-statistics.ts';
import type { ContinuousValidation } from '../validate-data/continuous-validation.ts';
import { withLobHandling } from '../../../runtime/src/lob/LobStage.ts';
import { withCdcStopPoint } from '../../../runtime/src/pipeline/cdc-stop-point.ts';
import { checkBeforeStart, guardDestinations } from './start-checks.ts';
import { checkOutputSettings } from './output-check.ts';
import { kafkaOutputOf } from '../../../runtime/src/config/output-settings.ts';
import { openStateKeyring, stateCipherOf } from '../../../runtime/src/encryption/state-keyring.ts';
import { logSecretRefreshes } from '../../../runtime/src/config/secret-refresh.ts';
import { defaultBatchMaxBytes } from '../../../runtime/src/pipeline/event-bytes.ts';

export interface TaskRunOptions {
  readonly task: ResolvedTask;
  readonly log: Logger;
  /** Share a metrics registry (e.g. the demo); a new one is made otherwise. */
  readonly metrics?: PromMetrics;
  /** Serve /metrics (default: task.settings.metrics.enabled). */
  readonly serveMetrics?: boolean;
  /** Per-table statistics and latencies (`ferry serve`, app/src/tasks-api): fed from the source's batches. */
  readonly statistics?: TaskStatistics;
  /**
   * The cluster's task (`ferry worker --cluster`, runtime/src/cluster/task-transaction.ts): the Kafka event sink's
   * producer and the offset store, both inside the task's Kafka transaction, instead of the task's own.
   */
  readonly cluster?: { readonly producer: RecordProducer; readonly offsets: OffsetStore };
}

export interface TaskRunResult extends PipelineResult {
  readonly metricsUrl: string | undefined;
  /** Stopped by POST /stop on the control API (`ferry cutover`). */
  readonly stopRequested: boolean;
}

export async function runTask(options: TaskRunOptions, outerSignal: AbortSignal): Promise<TaskRunResult> {
  const { task, log } = options;
  // POST /stop (the control API; `ferry cutover`) stops the run as the caller's signal does.
  const stopRequest = new AbortController();
  const signal = AbortSignal.any([outerSignal, stopRequest.signal]);
  // GET /readyz on the metrics server (runtime/src/health): the pipeline and the source report into it.
  const readiness = new Readiness();
  const metrics = options.metrics ?? new PromMetrics({ defaultLabels: { task: task.name } });
  let server: MetricsServer | undefined;
  const closers: (() => Promise<void>)[] = [];
  // POST/GET /signals on the metrics server (incremental snapshots: `ferry snapshot`), with a token in <stateDir>/control-token
  const control = new ControlApi({ stateDir: task.settings.stateDir, stop: () => { log.info('stop requested through the control API (POST /stop): stopping gracefully'); stopRequest.abort(); } });
  // settings.stateEncryption (docs/security.md#encryption-at-rest): the state directory's key, checked and unwrapped before any state is read or written.
  await openStateKeyring(task.settings.stateDir, task.settings.stateEncryption);
  // settings.notifications (docs/notifications.md): task events go out from here on; closed last, after the failure or stop.
  const notify = await TaskNotifications.open(task, { log, metrics });
  closers.push(() => notify.close());
  // ${aws-sm:…} secrets fetched again after a refused login are logged (runtime/src/config/secret-refresh.ts).
  const stopRefreshLog = logSecretRefreshes(task, log);
  closers.push(async () => stopRefreshLog());
  try {
    // Before anything is created: at least one table selected, and no two sharing a destination (start-checks.ts).
    checkOutputSettings(task, 'run'); // settings.format / flatten: refused without Kafka (docs/formats.md)
    const destinations = await checkBeforeStart(task, log);
    if (options.serveMetrics ?? task.settings.metrics.enabled) {
      server = await startMetricsServer({ metrics, host: task.settings.metrics.host, port: task.settings.metrics.port, handle: control.handler(), readiness });
      log.info({ url: server.url }, `metrics at ${server.url}`);
    }
    // DMS's task metrics (ferry_dms_*) and their export to CloudWatch (settings.cloudwatch; docs/metrics.md).
    const dms = startDmsMetrics({ taskName: task.name, metrics, log, cloudwatch: task.settings.cloudwatch });
    closers.push(() => dms.close());
    const offsets: OffsetStore = options.cluster?.offsets ?? openOffsetStore(task);
    closers.push(() => offsets.close());

    const sinks: Sink[] = [];
    if (task.kafka) {
      const k = task.kafka;
      logTaskKafkaSecurity(k, log); // kafka.tls / sasl / schemaRegistryTls: a warning at every start when verification is off
      const registry = new ConfluentRegistryClient({ ...taskRegistryOptions(k), log, signal });
      const sink = new KafkaEventSink({
        producer: options.cluster?.producer ?? createProducer({ ...taskKafkaConnection(k), compression: k.compression, maxMessageBytes: k.maxMessageBytes }),
        admin: createAdmin(taskKafkaConnection(k)),
        registry, connector: connectorName(task.source.engine), topicPrefix: k.topicPrefix,
        partitions: k.partitions, replicationFactor: k.replicationFactor, maxMessageBytes: k.maxMessageBytes, tombstonesOnDelete: task.settings.tombstonesOnDelete, transactionMetadata: task.settings.provideTransactionMetadata, metrics,
        topicRouting: task.settings.topicRouting, output: kafkaOutputOf(task.settings), outbox: task.settings.outbox,
      });
      sinks.push(sink);
      closers.push(() => sink.close());
      if (task.targets.length > 0) log.info({ targets: task.targets.map((t) => t.name ?? t.type) }, 'targets are written by `ferry sink` workers reading the Kafka topics');
    } else if (task.targets.length > 0) {
      // Direct mode: the targets run in-process behind the source (app/src/task/targets.ts).
      const { createDirectSinks } = await import('./targets.ts');
      for (const s of await createDirectSinks(task, { log, metrics, events: notify.bus })) {
        sinks.push(s);
        closers.push(() => s.close());
      }
    }
    // The table mapping's transformations and source filters apply here, once, for the Kafka sink and direct targets alike.
    // Then each table's destinations are checked before its first event goes on (a table created while the task runs).
    // settings.cdcStopPosition: the source's stop batch is committed with the stop recorded, and the task ends (cdc-stop-point.ts).
    const stopping = withCdcStopPoint(await createSource(task, { log, metrics }), task.settings.cdcStopPosition, log);
    const mapped = guardDestinations(withTableMapping(stopping, task.tableMappings, log), destinations);
    // LOB modes and the oversize policy (runtime/src/lob, docs/lob.md), after the mapping: the events as the sinks get them.
    const source = withLobHandling(mapped, { settings: task.settings.lob, mapping: task.tableMappings, ...(task.kafka ? { maxMessageBytes: task.kafka.maxMessageBytes } : {}), log, metrics, cipher: stateCipherOf(task.settings.stateDir) });
    closers.push(() => source.close());
    control.attach(source);
    // Per-table statistics count the events as the sinks get them, once durable (app/src/tasks-api).
    const validating = task.settings.validation.enabled;
    const statistics = options.statistics ?? (validating ? new TaskStatistics() : undefined);
    const counted = withTaskStatistics(withTaskEvents(source, notify.bus, task), statistics); // + full load completed, CDC started, schema change
    // settings.validation: compares the tables with the database targets while the pipeline runs (docs/validation.md).
    let validation: ContinuousValidation | null = null;
    if (validating && statistics) {
      const stats = statistics;
      // Loaded only for a validating task (with the validation engine and its database clients: ~2 MB of heap).
      const { ContinuousValidation } = await import('../validate-data/continuous-validation.ts');
      validation = new ContinuousValidation({
        task, settings: task.settings.validation, log, metrics, durable: () => stats.durablePosition, loaded: (t) => stats.loaded(t), report: (t, v) => { stats.setValidation(t, v); dms.observer.validation(t, { pending: v.validationPendingRecords, failed: v.validationFailedRecords, suspended: v.validationSuspendedRecords }); notify.validation(t, v.validationFailedRecords); },
      });
      closers.push(() => validation!.close());
      await validation.open();
    }
    const pipeline = new Pipeline({
      taskName: task.name, source: counted, sinks, offsets, log, metrics,
      maxBatchEvents: task.settings.batch.maxEvents, maxBatchBytes: task.settings.batch.maxBytes ?? defaultBatchMaxBytes(task.settings.batch.maxEvents), ...(task.settings.batch.queueBytes !== undefined ? { queueCapacityBytes: task.settings.batch.queueBytes } : {}), maxBatchDelayMs: task.settings.batch.maxDelayMs, latencyTargetMs: task.settings.batch.latencyTargetMs, paceReads: task.settings.batch.paceReads, heartbeatIntervalMs: task.settings.heartbeatIntervalMs,
      offsetCommitIntervalMs: task.settings.offsetCommitIntervalMs, readiness, observer: dms.observer,
    });
    const stopValidation = new AbortController();
    const onAbort = () => stopValidation.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // (A full-load task compares each table once, after the load: final() below.)
    const validating$ = task.migrationType === 'full-load' ? undefined : validation?.run(stopValidation.signal).catch((e: unknown) => log.error({ err: e }, 'validation stopped'));
    try {
      notify.started();
      const result = await pipeline.run(signal);
      notify.stopped(result);
      // A full load only: each table is compared once the load is over, before the task ends.
      if (validation && task.migrationType === 'full-load' && !signal.aborted) {
        await validation.final(signal);
      }
      return { ...result, metricsUrl: server?.url, stopRequested: stopRequest.signal.aborted };
    } finally {
      stopValidation.abort();
      signal.removeEventListener('abort', onAbort);
      await validating$;
    }
  } catch (e: unknown) {
    notify.failed(e);
    throw e;
  } finally {
    for (const close of closers.reverse()) await close().catch((e: unknown) => log.warn({ err: e }, 'error while closing'));
    await server?.close();
  }
}
