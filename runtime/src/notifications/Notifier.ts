/**
 * The notifier: listens on a task's event bus, and for each subscription of settings.notifications whose filters
 * (categories, tasks, tables) match, spools the event (spool.ts: at least once across restarts) and queues it for
 * that subscription's destination (delivery-queue.ts: asynchronous, bounded, retried with backoff, then dead-lettered
 * in dead-letters.ts). The listener only appends and enqueues, so the task never waits on a destination.
 * docs/notifications.md describes the behaviour.
 */
import { stateCipherOf } from '../encryption/state-keyring.ts';
import { join } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import type { Logger, MetricsRegistry } from '../../../core/src/types.ts';
import { redact } from '../config/secrets.ts';
import type { NotificationSettings, NotificationSubscription } from '../config/notification-settings.ts';
import type { TaskEvent, TaskEventBus } from '../events/task-events.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { NotificationDeadLetters } from './dead-letters.ts';
import type { NotificationDestination } from './destination.ts';
import { snsDestination } from './sns.ts';
import { NotificationSpool } from './spool.ts';
import { webhookDestination } from './webhook.ts';
import type { KafkaSecurityOptions } from '../kafka/kafka-connection.ts';

export interface NotifierOptions {
  readonly settings: NotificationSettings;
  readonly task: string;
  /** The task's state folder: spool.jsonl and dead-letters.jsonl go in <stateDir>/notifications/. */
  readonly stateDir: string;
  /** The task's kafka.brokers: the default of kafka subscriptions and the dead-letter topic. */
  readonly kafkaBrokers?: readonly string[] | undefined;
  /** TLS/SASL of the task's cluster (kafka.tls, kafka.sasl), used with kafkaBrokers (not with a subscription's own brokers). */
  readonly kafkaSecurity?: KafkaSecurityOptions | undefined;
  readonly log: Logger;
  readonly metrics?: MetricsRegistry | undefined;
  /** The spool's file name in <stateDir>/notifications/ (one per process sharing the state folder); default "spool". */
  readonly spoolName?: string;
}

/** Whether a subscription takes an event (enabled, category, task, table). */
export function subscriptionMatches(s: NotificationSubscription, e: TaskEvent): boolean {
  if (!s.enabled) return false;
  if (s.categories && !s.categories.includes(e.category)) return false;
  if (s.tasks && !s.tasks.includes(e.task)) return false;
  if (s.tables && e.table !== undefined && !s.tables.includes(e.table)) return false;
  return true;
}

interface Subscribed { readonly sub: NotificationSubscription; readonly queue: DeliveryQueue }

export class Notifier {
  readonly #o: NotifierOptions;
  readonly #subs: readonly Subscribed[];
  readonly #spool: NotificationSpool;
  readonly #dead: NotificationDeadLetters;
  readonly #unsubscribe: (() => void)[] = [];

  private constructor(o: NotifierOptions, subs: readonly Subscribed[], spool: NotificationSpool, dead: NotificationDeadLetters) {
    this.#o = o;
    this.#subs = subs;
    this.#spool = spool;
    this.#dead = dead;
  }

  /** The notifier of the enabled subscriptions, or null when there are none. Re-queues what an earlier run left in the spool. */
  static async open(o: NotifierOptions): Promise<Notifier | null> {
    const enabled = o.settings.subscriptions.filter((s) => s.enabled);
    if (enabled.length === 0) return null;
    const clientId = `ferry-${o.task}-notifications`;
    const brokersOf = (s: NotificationSubscription, what: string) => {
      const b = s.brokers ?? o.kafkaBrokers;
      if (!b) throw new FerryError('FERRY_CONFIG_INVALID', `settings.notifications: ${what} needs Kafka brokers: set its brokers, or give the task a kafka block`);
      return b;
    };
    const dir = join(o.stateDir, 'notifications');
    const deadTopic = o.settings.deadLetterTopic;
    // settings.stateEncryption: the dead letters and the spool are written sealed line by line (runtime/src/encryption).
    const cipher = stateCipherOf(o.stateDir);
    const dead = new NotificationDeadLetters({
      file: join(dir, 'dead-letters.jsonl'), log: o.log, cipher,
      topic: deadTopic ? { name: deadTopic, brokers: o.kafkaBrokers ?? fail(`settings.notifications.deadLetterTopic needs the task's kafka block (its brokers)`), clientId, ...(o.kafkaSecurity ? { security: o.kafkaSecurity } : {}) } : undefined,
    });
    const destinations: NotificationDestination[] = [];
    for (const s of enabled) {
      if (s.type === 'sns') destinations.push(await snsDestination({ name: s.name, topicArn: s.topicArn!, region: s.region, endpoint: s.endpoint, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey }));
      else if (s.type === 'webhook') destinations.push(webhookDestination({ name: s.name, url: s.url!, secret: s.secret!, ...(s.headers ? { headers: s.headers } : {}) }));
      // Loaded only for a kafka subscription: the Kafka client is not needed otherwise (direct mode among them).
      else destinations.push((await import('./kafka.ts')).kafkaNotificationDestination({ name: s.name, topic: s.topic!, brokers: brokersOf(s, `subscription ${s.name}`), clientId, ...(s.brokers === undefined && o.kafkaSecurity ? { security: o.kafkaSecurity } : {}) }));
    }
    const spool = new NotificationSpool(join(dir, `${o.spoolName ?? 'spool'}.jsonl`), cipher);
    const m = o.metrics;
    const sent = m?.counter('notifications_sent_total', 'Task events delivered, by subscription', ['subscription']);
    const failed = m?.counter('notifications_failed_attempts_total', 'Failed notification delivery attempts, by subscription', ['subscription']);
    const deadCount = m?.counter('notifications_dead_letters_total', 'Task events given up on and written to the dead letters, by subscription', ['subscription']);
    const subs = enabled.map((sub, i) => {
      const dest = destinations[i]!;
      const log = o.log.child({ subscription: sub.name });
      const queue = new DeliveryQueue(dest, o.settings, {
        delivered: (e, attempts) => {
          spool.done(sub.name, e.id);
          sent?.inc({ subscription: sub.name });
          log.debug({ eventId: e.id, category: e.category, attempts }, `notification delivered to ${dest.where}`);
        },
        failedAttempt: () => failed?.inc({ subscription: sub.name }),
        deadLettered: (e, attempts, reason) => {
          dead.write({ subscription: sub.name, destination: dest.type, where: dest.where, attempts, reason, event: e });
          spool.done(sub.name, e.id);
          deadCount?.inc({ subscription: sub.name });
          log.error({ eventId: e.id, category: e.category, attempts }, `notification ${e.category} could not be delivered to ${dest.where} (${redact(reason)}); written to ${dead.file}`);
        },
      }, log);
      return { sub, queue };
    });
    const notifier = new Notifier(o, subs, spool, dead);
    const left = spool.pending();
    for (const p of left) {
      const s = subs.find((x) => x.sub.name === p.sub);
      if (s) s.queue.push(p.event);
      else {
        spool.done(p.sub, p.event.id); // its subscription was removed or disabled since
        o.log.warn({ subscription: p.sub, eventId: p.event.id }, `dropping a spooled notification of subscription ${p.sub}, which is no longer enabled`);
      }
    }
    if (left.length > 0) o.log.info({ events: left.length }, `re-sending ${left.length} notifications left undelivered by the last run`);
    return notifier;
  }

  /** Sends the bus's events from now on. */
  attach(bus: TaskEventBus): void {
    this.#unsubscribe.push(bus.subscribe((e) => this.notify(e)));
  }

  /** Spools and queues `event` for every matching subscription; never waits on a destination. */
  notify(event: TaskEvent): void {
    for (const { sub, queue } of this.#subs) {
      if (!subscriptionMatches(sub, event)) continue;
      if (this.#spool.has(sub.name, event.id)) continue; // the same event again (a redelivered batch): already on its way
      this.#spool.add(sub.name, event);
      queue.push(event);
    }
  }

  /** Events queued or in flight over all subscriptions. */
  get queued(): number {
    return this.#subs.reduce((n, s) => n + s.queue.size, 0);
  }

  /** Delivers what is queued for up to settings.drainTimeoutMs, then stops; what is left stays spooled for the next start. */
  async close(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    const timeout = this.#o.settings.drainTimeoutMs;
    const drained = await Promise.all(this.#subs.map((s) => s.queue.drain(timeout)));
    const left = this.queued;
    if (drained.includes(false)) this.#o.log.warn({ events: left }, `${left} notifications not delivered within settings.notifications.drainTimeoutMs (${timeout} ms); they stay in the spool and are sent at the next start`);
    await Promise.all(this.#subs.map((s) => s.queue.close()));
    await Promise.all(this.#subs.map((s) => s.queue.destination.close().catch(() => undefined)));
    await this.#dead.close().catch(() => undefined);
    this.#spool.close();
  }
}

function fail(message: string): never {
  throw new FerryError('FERRY_CONFIG_INVALID', message);
}
