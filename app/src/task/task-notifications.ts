/**
 * A running task's events and notifications (docs/notifications.md): the event bus the task's parts emit into, and
 * the notifier that sends them to settings.notifications' subscriptions. runTask (TaskRunner.ts) opens it first and
 * closes it last, so the task's failure or stop is among the events delivered (within drainTimeoutMs).
 */
import { openStateKeyring } from '../../../runtime/src/encryption/state-keyring.ts';
import type { SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import type { RowDataPacket } from 'mysql2';
import type { Logger } from '../../../core/src/types.ts';
import type { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { TaskWatch } from '../../../runtime/src/events/task-watch.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { TaskEventBus, type TaskEventInput } from '../../../runtime/src/events/task-events.ts';
import { Notifier } from '../../../runtime/src/notifications/Notifier.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { kafkaSecurityOf } from '../../../runtime/src/kafka/kafka-security.ts';

export class TaskNotifications {
  readonly bus: TaskEventBus;
  readonly #notifier: Notifier | null;
  readonly #task: ResolvedTask;
  readonly #watch: TaskWatch | null;
  readonly #validationFailed = new Map<string, number>();

  private constructor(task: ResolvedTask, bus: TaskEventBus, notifier: Notifier | null, watch: TaskWatch | null) {
    this.#task = task;
    this.bus = bus;
    this.#notifier = notifier;
    this.#watch = watch;
  }

  /** `role` sink (`ferry sink`): its own spool (sink-<targets>), and no storage or retention checks (`ferry run` does them). */
  static async open(task: ResolvedTask, o: { readonly log: Logger; readonly metrics: PromMetrics; readonly role?: { readonly sink: readonly string[] } }): Promise<TaskNotifications> {
    const log = o.log.child({ component: 'notifications' });
    const bus = new TaskEventBus({ task: task.name, log });
    const n = task.settings.notifications;
    const spoolName = o.role ? `spool-sink-${(o.role.sink.length > 0 ? [...o.role.sink].sort().join('+') : 'all').replace(/[^A-Za-z0-9_.+-]/g, '_')}` : 'spool';
    const notifier = await Notifier.open({ settings: n, task: task.name, stateDir: task.settings.stateDir, kafkaBrokers: task.kafka?.brokers, kafkaSecurity: task.kafka && kafkaSecurityOf(task.kafka, 'kafka'), log, metrics: o.metrics, spoolName });
    if (!notifier) return new TaskNotifications(task, bus, null, null);
    notifier.attach(bus);
    if (o.role) return new TaskNotifications(task, bus, notifier, null);
    // low-storage and retention-at-risk: periodic checks (runtime/src/events/task-watch.ts).
    const watch = new TaskWatch({
      events: bus, stateDir: task.settings.stateDir, intervalMs: n.checkIntervalSeconds * 1000, log,
      lowStorageFreeMb: n.lowStorageFreeMb, slotLagBytesAtRisk: n.slotLagBytesAtRisk, binlogRetentionAtRiskPercent: n.binlogRetentionAtRiskPercent,
      binlogExpireSeconds: n.binlogRetentionAtRiskPercent > 0 ? await binlogExpireSeconds(task, log) : undefined,
      readGauge: async (name) => ((await o.metrics.registry.getSingleMetric(`ferry_${name}`)?.get())?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value })),
    });
    return new TaskNotifications(task, bus, notifier, watch);
  }

  /** Whether any subscription is enabled (events are delivered somewhere). */
  get active(): boolean {
    return this.#notifier !== null;
  }

  /** Validation mismatch: data validation's confirmed mismatches of `table` grew to `failed` (key: table and count). */
  validation(table: string, failed: number): void {
    const before = this.#validationFailed.get(table) ?? 0;
    this.#validationFailed.set(table, failed);
    if (failed <= before) return;
    this.bus.emit({ category: 'validation-mismatch', key: `${table}\u0000${failed}`, table, message: `validation: ${failed} rows of ${table} differ between source and target (${failed - before} new)`, details: { failedRecords: failed, newFailedRecords: failed - before } });
  }

  /** State change: the task is running (its pipeline starts). */
  started(): void {
    this.bus.emit({ category: 'state-change', message: `task ${this.#task.name} started (${this.#task.migrationType})`, details: { state: 'running', migrationType: this.#task.migrationType } });
  }

  /** State change: the task stopped without an error. */
  stopped(r: { readonly events: number; readonly lastCommitted: string | null; readonly snapshotDone: boolean }): void {
    this.bus.emit({ category: 'state-change', message: `task ${this.#task.name} stopped after ${r.events} events${r.lastCommitted ? `; last committed position ${r.lastCommitted}` : ''}`, details: { state: 'stopped', events: r.events, lastCommitted: r.lastCommitted, fullLoadDone: r.snapshotDone } });
  }

  /** Failure: the task stopped with `e`. */
  failed(e: unknown): void {
    const code = e instanceof FerryError ? e.code : 'FERRY_INTERNAL';
    if (code === 'FERRY_ABORTED') { // a cancelled start is a stop, not a failure
      this.bus.emit({ category: 'state-change', message: `task ${this.#task.name} stopped before it started`, details: { state: 'stopped' } });
      return;
    }
    const disposition = e instanceof FerryError ? e.disposition : 'fatal';
    const message = redact(errorMessage(e));
    this.bus.emit({ category: 'failure', message: `task ${this.#task.name} failed: ${message}`, details: { state: 'failed', code, disposition, error: message } });
  }

  async close(): Promise<void> {
    await this.#watch?.close();
    await this.#notifier?.close();
  }
}

/** MySQL/MariaDB: the server's binlog retention in seconds (0: never purged), or undefined when not MySQL or unreadable. */
async function binlogExpireSeconds(task: ResolvedTask, log: Logger): Promise<number | undefined> {
  const src = task.source as { engine: string; host: string; port?: number; user: string; password: { reveal(): string } };
  if (src.engine !== 'mysql' && src.engine !== 'mariadb') return undefined;
  try {
    const mysql = await import('mysql2/promise');
    const { mysql2Ssl } = await import('../../../runtime/src/config/tls-settings.ts');
    const ssl = mysql2Ssl((task.source as { ssl?: SslSettings }).ssl, src.host); // source.ssl, as every connection to the source
    const c = await mysql.createConnection({ host: src.host, port: src.port ?? 3306, user: src.user, password: src.password.reveal(), connectTimeout: 10000, ...(ssl ? { ssl } : {}) });
    try {
      const [rows] = await c.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_expire_logs_seconds', 'expire_logs_days')");
      const v = new Map(rows.map((r) => [String(r['Variable_name']), Number(r['Value'])]));
      return (v.get('binlog_expire_logs_seconds') || 0) || (v.get('expire_logs_days') ?? 0) * 86400;
    } finally {
      await c.end();
    }
  } catch (e: unknown) {
    log.warn({ err: e }, `could not read the source's binlog retention (${redact(errorMessage(e))}): retention-at-risk events for the binlog are off`);
    return undefined;
  }
}

/**
 * One event outside a run (`ferry serve`: creation, deletion, configuration change), sent with the task's own
 * settings.notifications while the task is not running (its spool is free): waits for delivery up to drainTimeoutMs;
 * what is left stays in the spool and goes out when the task next runs. Never throws: a problem is logged.
 */
export async function notifyOnce(taskOf: () => ResolvedTask | Promise<ResolvedTask>, input: TaskEventInput, log: Logger): Promise<void> {
  try {
    const task = await taskOf();
    if (!task.settings.notifications.subscriptions.some((s) => s.enabled)) return;
    const nlog = log.child({ component: 'notifications', task: task.name });
    await openStateKeyring(task.settings.stateDir, task.settings.stateEncryption); // the spool is sealed with settings.stateEncryption
    const notifier = await Notifier.open({ settings: task.settings.notifications, task: task.name, stateDir: task.settings.stateDir, kafkaBrokers: task.kafka?.brokers, kafkaSecurity: task.kafka && kafkaSecurityOf(task.kafka, 'kafka'), log: nlog });
    if (!notifier) return;
    const bus = new TaskEventBus({ task: task.name, log: nlog });
    notifier.attach(bus);
    bus.emit(input);
    await notifier.close();
  } catch (e: unknown) {
    log.warn({ err: e }, `the ${input.category} notification could not be sent: ${redact(errorMessage(e))}`);
  }
}
