/**
 * Dead-letter queues: where records that can never be written go, so the worker can continue past them.
 *
 * Kafka (sink worker): topic `<prefix>.dlq` by default. Each dead letter is the ORIGINAL record: the same key and
 * value bytes and headers, plus these headers (names follow Kafka Connect's DLQ so existing tooling reads them):
 *   __connect.errors.topic / .partition / .offset   where the record came from
 *   __connect.errors.stage                          'decode' (bytes Ferry cannot decode) or 'sink' (the sink refused it)
 *   __connect.errors.connector.name                 the sink's name
 *   __connect.errors.exception.message              why
 *   __ferry.errors.timestamp                        when it was dead-lettered (ISO-8601)
 *   __ferry.errors.record.timestamp                 the original record's timestamp (ms)
 *
 * File (direct mode, no Kafka): JSON lines, one object per dead letter with the same fields, the event as JSON; with
 * settings.stateEncryption each line is a sealed record (runtime/src/encryption/sealed-lines.ts). The Kafka dead-letter
 * topic holds copies of records already on Kafka topics and is written as they are.
 */
import { appendFile, mkdir, open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { lineCodec } from '../encryption/sealed-lines.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';
import type { KafkaAdmin, OutgoingRecord, RecordProducer } from '../kafka/kafka-client.ts';

export type DeadLetterStage = 'decode' | 'sink';

export interface DeadLetter {
  readonly stage: DeadLetterStage;
  readonly reason: string;
  readonly topic: string;
  readonly partition: number | null;
  readonly offset: bigint | null;
  /** Direct mode: the source position and event ordinal. */
  readonly position?: string | null;
  readonly event?: number | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, Buffer>;
  readonly timestampMs: number;
  /** Direct mode: the change event as JSON-able data (there are no wire bytes). */
  readonly json?: unknown;
}

export interface DeadLetterQueue {
  /** Where dead letters go, for logs ('kafka topic x', 'file y'). */
  readonly target: string;
  /** Resolves when every letter is durable. */
  send(letters: readonly DeadLetter[], sinkName: string): Promise<void>;
  close(): Promise<void>;
}

export const DLQ_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  stage: '__connect.errors.stage',
  connector: '__connect.errors.connector.name',
  message: '__connect.errors.exception.message',
  failedAt: '__ferry.errors.timestamp',
  recordTimestamp: '__ferry.errors.record.timestamp',
} as const;

export function kafkaDeadLetterQueue(options: {
  readonly producer: RecordProducer;
  readonly admin: KafkaAdmin;
  readonly topic: string;
  readonly replicationFactor?: number;
}): DeadLetterQueue {
  let ensured: Promise<void> | undefined;
  return {
    target: `Kafka topic ${options.topic}`,
    async send(letters, sinkName) {
      if (letters.length === 0) return;
      ensured ??= options.admin.ensureTopics([{ name: options.topic, partitions: 1, replicationFactor: options.replicationFactor ?? 1 }]);
      ensured.catch(() => { ensured = undefined; });
      await ensured;
      const now = new Date().toISOString();
      const records: OutgoingRecord[] = letters.map((l) => {
        const headers = new Map(l.headers);
        headers.set(DLQ_HEADERS.topic, Buffer.from(l.topic));
        if (l.partition !== null) headers.set(DLQ_HEADERS.partition, Buffer.from(String(l.partition)));
        if (l.offset !== null) headers.set(DLQ_HEADERS.offset, Buffer.from(String(l.offset)));
        headers.set(DLQ_HEADERS.stage, Buffer.from(l.stage));
        headers.set(DLQ_HEADERS.connector, Buffer.from(sinkName));
        headers.set(DLQ_HEADERS.message, Buffer.from(l.reason.slice(0, 4000)));
        headers.set(DLQ_HEADERS.failedAt, Buffer.from(now));
        headers.set(DLQ_HEADERS.recordTimestamp, Buffer.from(String(l.timestampMs)));
        return { topic: options.topic, key: l.key, value: l.value, headers };
      });
      await options.producer.send(records);
    },
    async close() {
      await options.producer.close();
      await options.admin.close();
    },
  };
}

function jsonable(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') return { base64: Buffer.from((v as { data: number[] }).data).toString('base64') };
  return v;
}

/** JSON lines in a local file, fsynced per send (direct mode); sealed line by line with a cipher (settings.stateEncryption). */
export function fileDeadLetterQueue(path: string, cipher: RecordCipher | null = null): DeadLetterQueue {
  const codec = lineCodec(cipher, `dlq/${basename(path)}`);
  return {
    target: `file ${path}`,
    async send(letters, sinkName) {
      if (letters.length === 0) return;
      await mkdir(dirname(path), { recursive: true });
      const now = new Date().toISOString();
      const lines = letters.map((l) => codec.encode(JSON.stringify({
        failedAt: now, sink: sinkName, stage: l.stage, reason: l.reason, topic: l.topic, partition: l.partition, offset: l.offset,
        position: l.position ?? null, event: l.event ?? null, timestampMs: l.timestampMs,
        key: l.key?.toString('base64') ?? null, value: l.value?.toString('base64') ?? null, change: l.json ?? null,
      }, jsonable))).join('\n') + '\n';
      await appendFile(path, lines);
      const fh = await open(path, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
    async close() {},
  };
}
