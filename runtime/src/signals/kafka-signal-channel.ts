/**
 * Debezium's Kafka signalling channel (signal.kafka.topic, docs/signals.md): records on the signal topic whose key is
 * the task's topic prefix and whose value is {"type": ..., "data": {...}} become signals for the source, one at a time
 * in offset order. Records with another key are for another connector and are skipped.
 *
 * Position: nothing is committed to Kafka. Each signal handed to the source carries the offset after its record
 * (SourceSignal.channelOffset); the incremental snapshotter keeps it in the offset state it commits with what the
 * signal changed (a queued snapshot, a stop, a pause), so the two are stored together: a restart reads the topic
 * from the stored offset, neither losing an accepted signal nor applying one twice. Without a stored offset (a
 * first run, or no signal received yet) the topic is read from its beginning, as Debezium's consumer does. Like
 * Debezium, only partition 0 is read: the signal topic must have one partition.
 */
import { Consumer, type Message } from '@platformatic/kafka';
import { errorMessage } from '../../../core/src/errors.ts';
import type { Logger, SignalResult, SourceSignal } from '../../../core/src/types.ts';
import { brokersOf, securityOf, type KafkaConnectionOptions } from '../kafka/kafka-connection.ts';
import { createAdmin } from '../kafka/kafka-admin.ts';
import type { ChannelOffset } from '../snapshot/signal-table.ts';
import { signalOfKafkaRecord } from './debezium-signal.ts';

export interface KafkaSignalChannelOptions extends KafkaConnectionOptions {
  readonly topic: string;
  /** The task's topic prefix: the key a signal record must have. */
  readonly topicPrefix: string;
  /** Where to start (the stored offset state's channel offset); null: the topic's beginning. */
  readonly start: ChannelOffset | null;
  /** Replication factor if the topic must be created (one partition). */
  readonly replicationFactor: number;
  readonly deliver: (s: SourceSignal) => Promise<SignalResult>;
  readonly log: Logger;
  /** Milliseconds before reconnecting after an error; default 5000. */
  readonly retryMs?: number;
}

const PARTITION = 0;

/** Reads the signal topic until `signal` aborts; errors are logged and the read starts again after retryMs. */
export async function runKafkaSignalChannel(o: KafkaSignalChannelOptions, signal: AbortSignal): Promise<void> {
  // The stored offset belongs to this topic only; a changed kafkaTopic starts the new one from its beginning.
  let next: bigint | null = o.start !== null && o.start.topic === o.topic && o.start.partition === PARTITION ? BigInt(o.start.next) : null;
  while (!signal.aborted) {
    try {
      next = await readSignals(o, next, signal);
    } catch (e: unknown) {
      if (signal.aborted) return;
      o.log.warn({ topic: o.topic, err: errorMessage(e) }, `the kafka signal channel failed (${errorMessage(e)}): reading ${o.topic} again in ${(o.retryMs ?? 5000) / 1000} s`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.retryMs ?? 5000);
        signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
      });
    }
  }
}

/** One consumer session; returns the next offset to read when `signal` aborts. */
async function readSignals(o: KafkaSignalChannelOptions, from: bigint | null, signal: AbortSignal): Promise<bigint | null> {
  const admin = createAdmin(o);
  try {
    await admin.ensureTopics([{ name: o.topic, partitions: 1, replicationFactor: o.replicationFactor }]);
  } finally {
    await admin.close().catch(() => undefined);
  }
  const consumer = new Consumer({
    clientId: o.clientId, groupId: `${o.clientId}-signal`, bootstrapBrokers: brokersOf(o), ...securityOf(o),
    timeout: o.timeoutMs ?? 30000, autocommit: false,
  });
  let next = from;
  try {
    const stream = await consumer.consume({
      topics: [o.topic], autocommit: false, maxWaitTime: 500,
      ...(from !== null ? { mode: 'manual' as const, offsets: [{ topic: o.topic, partition: PARTITION, offset: from }] } : { mode: 'earliest' as const }),
    });
    const close = () => { void stream.close(); };
    signal.addEventListener('abort', close, { once: true });
    o.log.info({ topic: o.topic, from: from === null ? 'beginning' : String(from) }, `reading signals from kafka topic ${o.topic}`);
    try {
      for await (const m of stream as AsyncIterable<Message>) {
        if (signal.aborted) break;
        if (m.partition !== PARTITION || (next !== null && m.offset < next)) continue;
        next = m.offset + 1n;
        const origin = `${o.topic}:${m.partition}:${m.offset}`;
        const s = signalOfKafkaRecord(m.key ?? null, m.value ?? null, o.topicPrefix, origin);
        if (s === null) continue;
        if (typeof s === 'string') {
          o.log.warn({ channel: 'kafka', origin }, `signal refused: ${s}`);
          continue;
        }
        const r = await o.deliver({ ...s, channelOffset: { topic: o.topic, partition: PARTITION, next: String(next) } });
        if (r.accepted) o.log.info({ channel: 'kafka', origin, type: s.type, id: r.signal.id }, `signal ${s.type} accepted`);
        else o.log.warn({ channel: 'kafka', origin, type: s.type }, `signal ${s.type} refused: ${r.reason}`);
      }
    } finally {
      signal.removeEventListener('abort', close);
      await stream.close().catch(() => undefined);
    }
    return next;
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
}
