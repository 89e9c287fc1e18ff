/**
 * Kafka destination: CloudEvents in structured JSON mode (payloads.ts), keyed by the task name (one task's events
 * keep their order in one partition), with the header content-type: application/cloudevents+json. The topic is
 * created with one partition if it does not exist. Produced with acks=all through Ferry's Kafka door.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { TaskEvent } from '../events/task-events.ts';
import { createAdmin, createProducer, type KafkaSecurityOptions, type RecordProducer } from '../kafka/kafka-client.ts';
import type { NotificationDestination } from './destination.ts';
import { toCloudEvent } from './payloads.ts';

export interface KafkaNotificationOptions {
  readonly name: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS/SASL (the task's kafka.tls, kafka.sasl when the subscription uses the task's brokers). */
  readonly security?: KafkaSecurityOptions;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** Races `p` with `signal` (a produce cannot be cancelled; it is abandoned and its result ignored). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('no answer in time'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('no answer in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e as Error); });
  });
}

export function kafkaNotificationDestination(o: KafkaNotificationOptions): NotificationDestination {
  let producer: RecordProducer | undefined;
  let topicReady = false;
  return {
    name: o.name,
    type: 'kafka',
    where: `kafka topic ${o.topic}`,
    async send(event: TaskEvent, signal: AbortSignal): Promise<void> {
      try {
        if (!topicReady) {
          const admin = createAdmin({ brokers: o.brokers, clientId: o.clientId, ...o.security, timeoutMs: 10000 });
          try {
            await untilAborted(admin.ensureTopics([{ name: o.topic, partitions: 1, replicationFactor: 1 }]), signal);
          } finally {
            await admin.close().catch(() => undefined);
          }
          topicReady = true;
        }
        producer ??= createProducer({ brokers: o.brokers, clientId: o.clientId, ...o.security, timeoutMs: 10000 });
        await untilAborted(producer.send([{
          topic: o.topic, key: Buffer.from(event.task), value: Buffer.from(JSON.stringify(toCloudEvent(event))),
          headers: new Map([['content-type', Buffer.from(CLOUDEVENTS_CONTENT_TYPE)], ['ce_id', Buffer.from(event.id)]]),
        }]), signal);
      } catch (e: unknown) {
        throw new FerryError('FERRY_NOTIFICATION_DELIVERY', `producing to Kafka topic ${o.topic} (subscription ${o.name}) failed: ${errorMessage(e)}`, { cause: e });
      }
    },
    async close(): Promise<void> {
      await producer?.close();
    },
  };
}
