/**
 * `ferry sink <task-file>`: run sink workers for the task's targets (any sink type), reading the task's Kafka
 * topics in one consumer group per target. Start more processes with the same file to share the partitions.
 * SIGINT/SIGTERM stop gracefully (the batch in progress is written and committed, the group is left); a second forces exit.
 */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../../../runtime/src/metrics/metrics-server.ts';
import { runTaskSinkWorkers } from '../../task/targets.ts';
import { TaskNotifications } from '../../task/task-notifications.ts';
import { Readiness } from '../../../../runtime/src/health/readiness.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { outJson, reportError } from '../output.ts';
import { logSecretRefreshes } from '../../../../runtime/src/config/secret-refresh.ts';

export async function sinkCommand(file: string, options: { json?: boolean; target?: string[] }): Promise<ExitCode> {
  const json = options.json === true;
  let task;
  try {
    task = await loadTaskFileAsync(file);
  } catch (e: unknown) {
    return reportError(e, json);
  }
  const log = createLogger({ level: task.settings.logLevel }).child({ task: task.name, role: 'sink' });
  logSecretRefreshes(task, log); // ${aws-sm:…} secrets fetched again after a refused login (runtime/src/config/secret-refresh.ts)
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals === 1) {
      log.info({ signal: sig }, `${sig} received: finishing the batches in progress, committing, leaving the group; send it again to force`);
      controller.abort();
    } else {
      log.warn({ signal: sig }, `${sig} received again: exiting now; records since the last commit will be delivered again`);
      process.exit(EXIT.FAILED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const metrics = new PromMetrics({ defaultLabels: { task: task.name } });
  let server: MetricsServer | undefined;
  const readiness = new Readiness(); // GET /readyz: one component per consumer (runtime/src/health)
  const started = Date.now();
  let notify: TaskNotifications | undefined;
  try {
    if (task.settings.metrics.enabled) {
      server = await startMetricsServer({ metrics, host: task.settings.metrics.host, port: task.settings.metrics.port, readiness });
      log.info({ url: server.url }, `metrics at ${server.url}`);
    }
    notify = await TaskNotifications.open(task, { log, metrics, role: { sink: options.target ?? [] } }); // table-errors events (docs/notifications.md)
    const results = await runTaskSinkWorkers({ task, log, metrics, readiness, ...(notify.active ? { events: notify.bus } : {}), ...(options.target && options.target.length > 0 ? { only: options.target } : {}) }, controller.signal);
    const summary = { ok: true, task: task.name, targets: results, seconds: (Date.now() - started) / 1000 };
    log.info(summary, `sink workers of task ${task.name} stopped`);
    if (json) outJson(summary);
    return EXIT.OK;
  } catch (e: unknown) {
    log.error({ err: e }, `sink workers of task ${task.name} failed`);
    notify?.failed(e); // a failure event (docs/notifications.md), sent before the notifier closes below
    return reportError(e, json);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server?.close();
    await notify?.close();
  }
}
