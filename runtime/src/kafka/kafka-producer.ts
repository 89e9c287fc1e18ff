/** Producers: the idempotent producer (acks=all) with request splitting, and the transactional producer. */
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { FerryError } from '../../../core/src/errors.ts';
import { createPartitioner } from './kafka-partitioner.ts';
import { securityOf, brokersOf, wrap, collectMessages, DEFAULT_MAX_REQUEST_BYTES, MAX_REQUEST_RECORDS, type KafkaConnectionOptions, type Compression, type OutgoingRecord, type RecordProducer } from './kafka-connection.ts';

export function createProducer(options: KafkaConnectionOptions & { compression?: Compression; maxRequestBytes?: number; maxMessageBytes?: number }): RecordProducer {
  const producer = new Producer({
    clientId: options.clientId,
    bootstrapBrokers: brokersOf(options),
    ...securityOf(options),
    acks: ProduceAcks.ALL,
    idempotent: true,
    compression: options.compression ?? 'none',
    autocreateTopics: true,
    timeout: options.timeoutMs ?? 30000,
    retries: 5,
    partitioner: createPartitioner(options.partitioner),
  });
  const maxMessage = options.maxMessageBytes ?? 1048588;
  const budget = requestBudget(options.maxRequestBytes, maxMessage);
  const sendChunk = async (records: readonly OutgoingRecord[]) => {
      try {
        await producer.send({ messages: toMessages(records) });
      } catch (e: unknown) {
        throw produceError(e, records, options);
      }
  };
  return {
    send: (records) => sendChunked(records, budget, maxMessage, sendChunk),
    async close() {
      await producer.close();
    },
  };
}

/**
 * Ferry's records as the client's messages. A record without headers or its own timestamp is passed as it is: the
 * client reads topic, key, value and partition from it (null and undefined alike mean none), copies them into its own
 * message and stamps the batch's time on it, as it would for a converted record. Only the other records get a new
 * object (headers as Buffers, a bigint timestamp); a batch with none of them is passed without a new array.
 */
function toMessages(records: readonly OutgoingRecord[]): never {
  let i = 0;
  while (i < records.length && asIs(records[i]!)) i++;
  if (i === records.length) return records as never;
  // One bigint for the records without a timestamp (and one per run of equal timestamps), not one per record.
  const now = BigInt(Date.now());
  let lastMs: number | undefined;
  let lastTs = now;
  const timestamp = (ms: number | undefined): bigint => {
    if (ms === undefined) return now;
    if (ms !== lastMs) {
      lastMs = ms;
      lastTs = BigInt(ms);
    }
    return lastTs;
  };
  return records.map((r) => asIs(r) ? r : {
    topic: r.topic,
    key: r.key ?? undefined,
    value: r.value ?? undefined,
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
    ...(r.headers ? { headers: new Map([...r.headers].map(([k, v]) => [Buffer.from(k), v])) } : {}),
    timestamp: timestamp(r.timestampMs),
  }) as never;
}

const asIs = (r: OutgoingRecord): boolean => r.headers === undefined && r.timestampMs === undefined;

function produceError(e: unknown, records: readonly OutgoingRecord[], options: KafkaConnectionOptions): FerryError {
  if (/MESSAGE_TOO_LARGE|larger than the max message size/i.test(collectMessages(e))) {
    return new FerryError('FERRY_EVENT_TOO_LARGE', `Kafka refused a record batch as too large for topic ${records[0]?.topic}: ${collectMessages(e)}. Raise the topic's max.message.bytes (kafka.maxMessageBytes for topics Ferry creates)`, { cause: e });
  }
  return wrap(e, 'produce', options);
}

/**
 * The bytes one request may carry. The broker applies a topic's max.message.bytes to each partition's record batch,
 * and every record of a request may go to one partition, so a request stays under that limit too.
 */
function requestBudget(maxRequestBytes: number | undefined, maxMessage: number): number {
  return Math.min(maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, maxMessage);
}

/**
 * A record's share of a record batch: key, value and headers, plus 80 bytes of framing, enough for the 61-byte
 * batch header and the record's own varints (at most ~19 bytes) when a batch holds one record.
 */
function recordBytes(r: OutgoingRecord): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 80;
  if (r.headers) for (const [k, v] of r.headers) n += Buffer.byteLength(k) + v.length + 10;
  return n;
}

/** Sends in requests of at most ~`budget` bytes and MAX_REQUEST_RECORDS records, one after another (order holds). */
async function sendChunked(records: readonly OutgoingRecord[], budget: number, maxMessage: number, sendChunk: (records: readonly OutgoingRecord[]) => Promise<void>): Promise<void> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const size = recordBytes(r);
    if (size > maxMessage) {
      throw new FerryError('FERRY_EVENT_TOO_LARGE', `a record for topic ${r.topic} is ${size} bytes, over the ${maxMessage}-byte limit (kafka.maxMessageBytes); nothing of this batch was committed. Raise kafka.maxMessageBytes (and the broker's message.max.bytes / replica.fetch.max.bytes), or limit the row's large columns`, { details: { topic: r.topic, bytes: size, limit: maxMessage } });
    }
    if (i > start && (bytes + size > budget || i - start >= MAX_REQUEST_RECORDS)) {
      await sendChunk(records.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) await sendChunk(start === 0 ? records : records.slice(start));
}

/**
 * A transactional producer (one transactional.id). Readers with isolation.level=read_committed see a transaction's
 * records all at once after it committed, or never.
 */
export interface TransactionalProducer {
  /**
   * Registers the transactional id with its coordinator: fences every older producer with the same id (their
   * sends and commits fail from now on) and completes their open transaction (aborted). Idempotent.
   */
  init(): Promise<void>;
  /**
   * One transaction: sends `records` (in order, split into requests like RecordProducer.send) and commits. On
   * failure the transaction is aborted (best effort) and the error thrown; the producer may be fenced and should be
   * closed and replaced.
   */
  sendInTransaction(records: readonly OutgoingRecord[], offsets?: TransactionalGroupOffset): Promise<void>;
  close(): Promise<void>;
}

/**
 * A consumer-group offset committed inside a transaction (TxnOffsetCommit, as a standalone group: generation -1, no
 * member): it becomes the group's committed offset when the transaction commits and is discarded when it aborts.
 * The topic must exist on the producer's cluster. `coordinator` is the group coordinator's node id (KafkaAdmin.groupCoordinator).
 */
export interface TransactionalGroupOffset {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit (the next one to read). */
  readonly offset: bigint;
  readonly coordinator: number;
}

export function createTransactionalProducer(options: KafkaConnectionOptions & { transactionalId: string; compression?: Compression; maxRequestBytes?: number; maxMessageBytes?: number }): TransactionalProducer {
  // The client uses `timeout` as the request timeout and as the transaction timeout (InitProducerId).
  const producer = new Producer({
    clientId: options.clientId, bootstrapBrokers: brokersOf(options), ...securityOf(options),
    acks: ProduceAcks.ALL, idempotent: true, transactionalId: options.transactionalId,
    // A new producer must ask for its id with -1/-1: the client's default (0/0) is taken by the coordinator as "bump
    // the epoch of producer 0", which fails with PRODUCER_FENCED once the transactional id has any state.
    producerId: -1n, producerEpoch: -1,
    compression: options.compression ?? 'none', autocreateTopics: false, timeout: options.timeoutMs ?? 30000, retries: 5,
    partitioner: createPartitioner(options.partitioner),
  });
  const maxMessage = options.maxMessageBytes ?? 1048588;
  const budget = requestBudget(options.maxRequestBytes, maxMessage);
  let initialized = false;
  const what = `transaction of ${options.transactionalId}`;
  return {
    async init() {
      if (initialized) return;
      try {
        // Beginning a transaction initializes the transactional producer id (InitProducerId); cancel() only forgets
        // the empty transaction on the client, so nothing is sent for it.
        const tx = await producer.beginTransaction();
        await tx.cancel();
      } catch (e: unknown) {
        throw wrap(e, `init ${what}`, options);
      }
      initialized = true;
    },
    async sendInTransaction(records, offsets) {
      await this.init();
      let tx: Awaited<ReturnType<typeof producer.beginTransaction>>;
      try {
        tx = await producer.beginTransaction();
      } catch (e: unknown) {
        throw wrap(e, `begin ${what}`, options);
      }
      try {
        await sendChunked(records, budget, maxMessage, async (chunk) => {
          try {
            await tx.send({ messages: toMessages(chunk) });
          } catch (e: unknown) {
            throw produceError(e, chunk, options);
          }
        });
        if (offsets) {
          await tx.addConsumer({ groupId: offsets.groupId } as never).catch((e: unknown) => {
            throw wrap(e, `add the offsets of group ${offsets.groupId} to ${what}`, options);
          });
          // The client takes the group's coordinates from a consumed message's metadata; this is that shape.
          const message = { topic: offsets.topic, partition: offsets.partition, offset: offsets.offset - 1n, metadata: { consumer: { groupId: offsets.groupId, generationId: -1, memberId: '', coordinatorId: offsets.coordinator } } };
          await tx.addOffset(message as never).catch((e: unknown) => {
            throw wrap(e, `commit the offsets of group ${offsets.groupId} in ${what}`, options);
          });
        }
        await tx.commit().catch((e: unknown) => {
          throw wrap(e, `commit ${what}`, options);
        });
      } catch (e: unknown) {
        if (!tx.completed) await tx.abort().catch(() => tx.cancel().catch(() => {}));
        throw e;
      }
    },
    async close() {
      await producer.close();
    },
  };
}

/**
 * A transactional producer whose transaction stays open across sends until `commit` (the cluster's tasks,
 * runtime/src/cluster/task-transaction.ts: a batch's events and, at the offset commit, the offset and state records
 * go into one transaction). `init` fences every older producer with the same transactional id and aborts its open
 * transaction. Any failure aborts the open transaction (best effort) and is thrown; the session must then be closed.
 */
export interface TransactionSession {
  init(): Promise<void>;
  /** Sends within the open transaction, beginning one when none is open. */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  /** Sends `records` (may be empty) in the open transaction (or a new one) and commits it. */
  commit(records: readonly OutgoingRecord[]): Promise<void>;
  /** Aborts the open transaction, if any. */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** True when a Kafka error says this producer was fenced by a newer one with the same transactional id. */
export function isProducerFenced(e: unknown): boolean {
  return /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fence|newer producer|old epoch|TRANSACTIONAL_ID_AUTHORIZATION|INVALID_TXN_STATE/i.test(collectMessages(e));
}

export function createTransactionSession(options: KafkaConnectionOptions & { transactionalId: string; compression?: Compression; maxRequestBytes?: number; maxMessageBytes?: number; transactionTimeoutMs?: number }): TransactionSession {
  const producer = new Producer({
    clientId: options.clientId, bootstrapBrokers: brokersOf(options), ...securityOf(options),
    acks: ProduceAcks.ALL, idempotent: true, transactionalId: options.transactionalId,
    producerId: -1n, producerEpoch: -1, // see createTransactionalProducer
    compression: options.compression ?? 'none', autocreateTopics: false, timeout: options.transactionTimeoutMs ?? options.timeoutMs ?? 30000, retries: 3,
  });
  const maxMessage = options.maxMessageBytes ?? 1048588;
  const budget = requestBudget(options.maxRequestBytes, maxMessage);
  const what = `transaction of ${options.transactionalId}`;
  type Tx = Awaited<ReturnType<typeof producer.beginTransaction>>;
  let tx: Tx | undefined;
  const begin = async (): Promise<Tx> => {
    if (tx && !tx.completed) return tx;
    try {
      tx = await producer.beginTransaction();
      return tx;
    } catch (e: unknown) {
      throw wrap(e, `begin ${what}`, options);
    }
  };
  const fail = async (e: unknown): Promise<never> => {
    const open = tx;
    tx = undefined;
    if (open && !open.completed) await open.abort().catch(() => open.cancel().catch(() => {}));
    throw e;
  };
  const sendIn = async (t: Tx, records: readonly OutgoingRecord[]) => {
    await sendChunked(records, budget, maxMessage, async (chunk) => {
      try {
        await t.send({ messages: toMessages(chunk) });
      } catch (e: unknown) {
        throw produceError(e, chunk, options);
      }
    });
  };
  return {
    async init() {
      try {
        const t = await producer.beginTransaction();
        await t.cancel();
      } catch (e: unknown) {
        throw wrap(e, `init ${what}`, options);
      }
    },
    async send(records) {
      if (records.length === 0) return;
      const t = await begin();
      await sendIn(t, records).catch(fail);
    },
    async commit(records) {
      const t = await begin();
      try {
        await sendIn(t, records);
        await t.commit().catch((e: unknown) => { throw wrap(e, `commit ${what}`, options); });
        tx = undefined;
      } catch (e: unknown) {
        await fail(e);
      }
    },
    async abort() {
      const open = tx;
      tx = undefined;
      if (open && !open.completed) await open.abort().catch(() => open.cancel().catch(() => {}));
    },
    async close() {
      await producer.close();
    },
  };
}
