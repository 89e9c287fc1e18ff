/**
 * Dead letters of notifications: an event a subscription could not deliver after settings.notifications.maxAttempts
 * (or pushed out of a full queue) is appended to <stateDir>/notifications/dead-letters.jsonl, one JSON object a line:
 *
 *     {"time":"…","subscription":"ops-hook","destination":"webhook","where":"https://hooks.example.com",
 *      "attempts":8,"reason":"webhook ops-hook (https://hooks.example.com) answered HTTP 503 …","event":{…TaskEvent}}
 *
 * and, with settings.notifications.deadLetterTopic, produced to that Kafka topic too (key: the task; best effort: a
 * failure there is logged, the file has it). The reason is redacted; nothing here ever holds up the task.
 * With settings.stateEncryption each line of the file is a sealed record (runtime/src/encryption/sealed-lines.ts);
 * the topic gets the JSON (task events carry no row values).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { redact } from '../config/secrets.ts';
import { lineCodec, type LineCodec } from '../encryption/sealed-lines.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';
import type { TaskEvent } from '../events/task-events.ts';
import { createAdmin, createProducer, type KafkaSecurityOptions, type RecordProducer } from '../kafka/kafka-client.ts';

export interface DeadLetter {
  readonly time: string;
  readonly subscription: string;
  readonly destination: string;
  readonly where: string;
  readonly attempts: number;
  readonly reason: string;
  readonly event: TaskEvent;
}

export class NotificationDeadLetters {
  readonly #file: string;
  readonly #log: Logger;
  readonly #codec: LineCodec;
  readonly #topic: { readonly name: string; readonly producer: RecordProducer; readonly ready: Promise<void> } | undefined;
  #sending: Promise<void> = Promise.resolve();

  constructor(o: { readonly file: string; readonly log: Logger; readonly cipher?: RecordCipher | null; readonly topic?: { readonly name: string; readonly brokers: readonly string[]; readonly clientId: string; readonly security?: KafkaSecurityOptions } | undefined }) {
    this.#file = o.file;
    this.#log = o.log;
    this.#codec = lineCodec(o.cipher ?? null, 'notifications/dead-letters.jsonl');
    mkdirSync(dirname(o.file), { recursive: true });
    if (o.topic) {
      const { name, brokers, clientId, security } = o.topic;
      // The topic is created (one partition) if missing, once, before the first produce.
      const ready = (async () => {
        const admin = createAdmin({ brokers, clientId, ...security, timeoutMs: 10000 });
        try { await admin.ensureTopics([{ name, partitions: 1, replicationFactor: 1 }]); } finally { await admin.close().catch(() => undefined); }
      })();
      ready.catch(() => undefined);
      this.#topic = { name, producer: createProducer({ brokers, clientId, ...security, timeoutMs: 10000 }), ready };
    }
  }

  get file(): string {
    return this.#file;
  }

  /** Appends the dead letter to the file (synchronously, flushed) and starts its produce to the topic, if any. */
  write(d: Omit<DeadLetter, 'time'>): void {
    const letter: DeadLetter = { time: new Date().toISOString(), ...d, reason: redact(d.reason) };
    const line = `${JSON.stringify(letter)}\n`;
    try {
      appendFileSync(this.#file, `${this.#codec.encode(line.trimEnd())}\n`, { flush: true });
    } catch (e: unknown) {
      this.#log.error({ err: e, subscription: d.subscription, eventId: d.event.id }, `could not write the notification dead letter to ${this.#file}: ${errorMessage(e)}`);
    }
    if (this.#topic) {
      const t = this.#topic;
      // In order, one after the other; close() waits for them.
      this.#sending = this.#sending.then(async () => {
        await t.ready;
        await t.producer.send([{ topic: t.name, key: Buffer.from(d.event.task), value: Buffer.from(line.trimEnd()) }]);
      }).catch((e: unknown) => this.#log.warn({ err: e, topic: t.name }, `could not produce a notification dead letter to ${t.name} (it is in ${this.#file}): ${errorMessage(e)}`));
    }
  }

  async close(): Promise<void> {
    await this.#sending;
    await this.#topic?.producer.close();
  }
}
