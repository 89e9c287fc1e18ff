/**
 * A consumer of the order events: reads outbox.event.Order with a consumer group, skips events it has seen (the
 * outbox router delivers at least once: after a crash, events after the last committed position come again, with
 * the same `id` header), and commits its offsets after handling each batch.
 *
 *   scripts/node examples/outbox/consumer.ts      (KAFKA_BROKERS, default 127.0.0.1:9092; TOPIC, default outbox.event.Order)
 */
import { Consumer, type Message } from '@platformatic/kafka';

export interface OutboxEvent {
  readonly id: string;
  readonly type: string | undefined;
  readonly aggregateId: string;
  readonly payload: unknown;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export interface ConsumeOptions {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly onEvent: (e: OutboxEvent) => void | Promise<void>;
  readonly signal: AbortSignal;
  /** Ids already handled (a real service keeps them in its database, in the transaction that handles the event). */
  readonly seen?: Set<string>;
}

const text = (b: Buffer | undefined) => (b === undefined ? undefined : b.toString('utf8'));

/** Reads until `signal` aborts; each event once per id. */
export async function consumeOutbox(o: ConsumeOptions): Promise<void> {
  const seen = o.seen ?? new Set<string>();
  const consumer = new Consumer({ clientId: `${o.groupId}-client`, groupId: o.groupId, bootstrapBrokers: [...o.brokers] });
  try {
    const stream = await consumer.consume({ topics: [...o.topics], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    const stop = () => { void stream.close(); };
    o.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
        const header = (name: string) => text(m.headerEntries.find(([k]) => k.toString() === name)?.[1]);
        const id = header('id');
        if (id !== undefined && !seen.has(id)) {
          seen.add(id);
          const type = header('type');
          await o.onEvent({ id, type, aggregateId: m.key.toString('utf8'), payload: m.value ? JSON.parse(m.value.toString('utf8')) : null, topic: m.topic, partition: m.partition, offset: m.offset });
        }
        await m.commit();
        if (o.signal.aborted) break;
      }
    } finally {
      o.signal.removeEventListener('abort', stop);
    }
  } finally {
    await consumer.close(true);
  }
}

if (import.meta.main) {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  await consumeOutbox({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), topics: [process.env.TOPIC ?? 'outbox.event.Order'],
    groupId: 'order-event-printer', signal: ac.signal,
    onEvent: (e) => console.log(`${e.type} ${e.aggregateId} (event ${e.id}): ${JSON.stringify(e.payload)}`),
  });
}
