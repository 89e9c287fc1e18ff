/**
 * Ferry's one door to Kafka. Everything else in Ferry talks to Kafka through these few functions, so the client
 * library can be swapped without touching sources, sinks or the offset store.
 *
 * Client: @platformatic/kafka (pure JS, maintained, works on Node 24 with zstd; chosen by measurement, see
 * docs/dependencies.md and bench/kafka-clients/bench.ts).
 *
 * Producer guarantees: acks=all and the idempotent producer, so a send that resolves is durable on every in-sync
 * replica, and a retried send does not duplicate or reorder records within a partition.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Admin, Consumer, Producer, ProduceAcks, type Message } from '@platformatic/kafka';
import { FerryError, errorMessage } from '../core/errors.ts';

/** SASL for a secured cluster (a Kafka target sink's cluster; Ferry's own cluster uses none). */
export type KafkaSasl =
  | { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string }
  /** `token` is called for every new connection (and re-authentication), e.g. a fresh AWS MSK IAM token. */
  | { readonly mechanism: 'OAUTHBEARER'; readonly token: () => Promise<string> };

export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Request timeout in ms; default 30000. */
  readonly timeoutMs?: number;
  /** TLS to the brokers (node:tls options: ca, cert, key, servername, rejectUnauthorized); omitted = plaintext. */
  readonly tls?: TlsOptions;
  readonly sasl?: KafkaSasl;
}

/** The client's security options for a connection (nothing for plaintext without SASL). */
function securityOf(o: KafkaConnectionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.tls) out.tls = o.tls;
  if (o.sasl) out.sasl = o.sasl.mechanism === 'OAUTHBEARER' ? { mechanism: 'OAUTHBEARER', token: o.sasl.token } : { mechanism: o.sasl.mechanism, username: o.sasl.username, password: o.sasl.password };
  return out;
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  /** null = tombstone. */
  readonly value: Buffer | null;
  readonly partition?: number;
  readonly headers?: ReadonlyMap<string, Buffer>;
  /** CreateTime in ms; default now. */
  readonly timestampMs?: number;
}

export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  readonly headers: ReadonlyMap<string, Buffer>;
}

export interface RecordProducer {
  /**
   * Resolves when every record is acknowledged by all in-sync replicas. Records keep their order per partition.
   * Large sends are split into requests of at most ~`maxRequestBytes` (sent one after another, so order holds):
   * the broker limits each partition's record batch to the topic's max.message.bytes.
   */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Per-request payload budget: below the broker's default max.message.bytes (1 MiB) with room for headers. */
const DEFAULT_MAX_REQUEST_BYTES = 900 * 1024;
/** Records per request: ~1000 measured fastest (bench/kafka-clients, docs/dependencies.md). */
const MAX_REQUEST_RECORDS = 1000;

const brokersOf = (o: KafkaConnectionOptions): string[] => [...o.brokers];

function wrap(e: unknown, what: string, o: KafkaConnectionOptions): FerryError {
  if (e instanceof FerryError) return e;
  const msg = collectMessages(e);
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Cannot connect|connect to any broker/i.test(msg)) {
    return new FerryError('FERRY_KAFKA_UNREACHABLE', `cannot reach Kafka at ${o.brokers.join(', ')} (${what}): ${msg}. Check kafka.brokers, and that the broker runs (npm run services:status)`, { cause: e });
  }
  return new FerryError('FERRY_KAFKA_ERROR', `Kafka ${what} failed: ${msg}`, { cause: e });
}

/** Error text including nested causes / AggregateErrors, which the client uses for per-broker failures. */
function collectMessages(e: unknown, depth = 0): string {
  if (depth > 4 || e === null || e === undefined) return '';
  const parts = [errorMessage(e)];
  const any = e as { errors?: unknown[]; cause?: unknown; code?: string };
  if (Array.isArray(any.errors)) for (const x of any.errors.slice(0, 3)) parts.push(collectMessages(x, depth + 1));
  if (any.cause) parts.push(collectMessages(any.cause, depth + 1));
  return [...new Set(parts.filter(Boolean))].join(': ');
}

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
  });
  const budget = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxMessage = options.maxMessageBytes ?? 1048588;
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

function toMessages(records: readonly OutgoingRecord[]): never {
  return records.map((r) => ({
    topic: r.topic,
    key: r.key ?? undefined,
    value: r.value ?? undefined,
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
    ...(r.headers ? { headers: new Map([...r.headers].map(([k, v]) => [Buffer.from(k), v])) } : {}),
    timestamp: BigInt(r.timestampMs ?? Date.now()),
  })) as never;
}

function produceError(e: unknown, records: readonly OutgoingRecord[], options: KafkaConnectionOptions): FerryError {
  if (/MESSAGE_TOO_LARGE|larger than the max message size/i.test(collectMessages(e))) {
    return new FerryError('FERRY_EVENT_TOO_LARGE', `Kafka refused a record batch as too large for topic ${records[0]?.topic}: ${collectMessages(e)}. Raise the topic's max.message.bytes (kafka.maxMessageBytes for topics Ferry creates)`, { cause: e });
  }
  return wrap(e, 'produce', options);
}

/** Sends in requests of at most ~`budget` bytes and MAX_REQUEST_RECORDS records, one after another (order holds). */
async function sendChunked(records: readonly OutgoingRecord[], budget: number, maxMessage: number, sendChunk: (records: readonly OutgoingRecord[]) => Promise<void>): Promise<void> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;
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
  });
  const budget = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxMessage = options.maxMessageBytes ?? 1048588;
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

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

export interface KafkaAdmin {
  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Partition count of a topic, or undefined when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** The topic's configuration values that are set (e.g. cleanup.policy). */
  topicConfig(topic: string): Promise<Record<string, string>>;
  /** Node id of a consumer group's coordinator. */
  groupCoordinator(groupId: string): Promise<number>;
  /**
   * Each group's committed offset for one topic partition (-1 = none), with require_stable: an offset still pending
   * in an open transaction makes the broker answer "unstable" until the transaction ends (retried here).
   */
  committedOffsets(groupIds: readonly string[], topic: string, partition: number): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export function createAdmin(options: KafkaConnectionOptions): KafkaAdmin {
  const admin = new Admin({ clientId: options.clientId, bootstrapBrokers: brokersOf(options), ...securityOf(options), timeout: options.timeoutMs ?? 30000, retries: 2 });
  const metadata = async (topics: string[]) => {
    try {
      return await admin.metadata({ topics, forceUpdate: true });
    } catch (e: unknown) {
      throw wrap(e, 'metadata', options);
    }
  };
  return {
    async ensureTopics(topics) {
      const existing = new Set(await this.listTopics());
      for (const t of topics) {
        if (existing.has(t.name)) continue;
        try {
          await admin.createTopics({
            topics: [t.name], partitions: t.partitions, replicas: t.replicationFactor,
            ...(t.config ? { configs: Object.entries(t.config).map(([name, value]) => ({ name, value })) } : {}),
          });
        } catch (e: unknown) {
          if (/already exists/i.test(collectMessages(e))) continue;
          throw wrap(e, `create topic ${t.name}`, options);
        }
      }
    },
    async listTopics() {
      try {
        return await admin.listTopics({ includeInternals: false });
      } catch (e: unknown) {
        throw wrap(e, 'list topics', options);
      }
    },
    async partitionCount(topic) {
      const md = await metadata([topic]).catch((e: unknown) => {
        if (/UNKNOWN_TOPIC|Unknown topic|does not exist/i.test(collectMessages(e))) return undefined;
        throw e;
      });
      return md?.topics.get(topic)?.partitionsCount;
    },
    async deleteTopics(topics) {
      try {
        await admin.deleteTopics({ topics: [...topics] });
      } catch (e: unknown) {
        throw wrap(e, 'delete topics', options);
      }
    },
    async topicConfig(topic) {
      try {
        const [d] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic }] });
        const out: Record<string, string> = {};
        for (const c of d?.configs ?? []) if (c.value !== null && c.value !== undefined) out[c.name] = c.value;
        return out;
      } catch (e: unknown) {
        throw wrap(e, `describe topic ${topic}`, options);
      }
    },
    async groupCoordinator(groupId) {
      try {
        const [c] = await admin.findCoordinator({ keyType: 0, keys: [groupId] });
        if (!c) throw new Error(`no coordinator for group ${groupId}`);
        return c.nodeId;
      } catch (e: unknown) {
        throw wrap(e, `find the coordinator of group ${groupId}`, options);
      }
    },
    async committedOffsets(groupIds, topic, partition) {
      const out = new Map<string, bigint>();
      if (groupIds.length === 0) return out;
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await admin.listConsumerGroupOffsets({ groups: groupIds.map((groupId) => ({ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] })) as never, requireStable: true });
          for (const g of res as unknown as { groupId: string; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[] }[]) {
            const p = g.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
            out.set(g.groupId, p?.committedOffset ?? -1n);
          }
          return out;
        } catch (e: unknown) {
          if (attempt < 30 && /UNSTABLE_OFFSET_COMMIT|unstable/i.test(collectMessages(e))) {
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          throw wrap(e, `list committed offsets of ${groupIds.length} groups`, options);
        }
      }
    },
    async close() {
      await admin.close();
    },
  };
}

export interface ReadTopicOptions extends KafkaConnectionOptions {
  readonly topic: string;
  /** Stop when this many records were read (default: read up to the end offsets seen at the start). */
  readonly limit?: number;
  /** Give up after this long, in ms (default 30000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads a whole topic, every partition from its first offset up to the end offsets seen when the read began,
 * without committing anything. For the offset store, schema history and tests; not a streaming consumer.
 */
export async function readTopicToEnd(options: ReadTopicOptions): Promise<IncomingRecord[]> {
  const consumer = new Consumer({
    clientId: options.clientId,
    groupId: `${options.clientId}-reader-${process.pid}-${Date.now()}`,
    bootstrapBrokers: brokersOf(options),
    ...securityOf(options),
    timeout: 30000,
  });
  const out: IncomingRecord[] = [];
  try {
    const ends = await consumer.listOffsets({ topics: [options.topic] }).catch((e: unknown) => {
      throw wrap(e, `list offsets of ${options.topic}`, options);
    });
    const endOffsets = ends.get(options.topic) ?? [];
    const remaining = new Map<number, bigint>();
    endOffsets.forEach((end, p) => { if (end > 0n) remaining.set(p, end); });
    if (remaining.size === 0) return out;
    const stream = await consumer.consume({
      topics: [options.topic], mode: 'earliest', autocommit: false, maxWaitTime: 200,
    });
    const deadline = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 30000), ...(options.signal ? [options.signal] : [])]);
    try {
      for await (const m of stream as AsyncIterable<Message>) {
        const end = remaining.get(m.partition);
        if (end !== undefined && m.offset < end) {
          out.push(toIncoming(m));
          if (m.offset + 1n >= end) remaining.delete(m.partition);
        }
        if (remaining.size === 0 || (options.limit !== undefined && out.length >= options.limit) || deadline.aborted) break;
      }
    } finally {
      await stream.close();
    }
    if (remaining.size > 0 && options.limit === undefined) {
      throw new FerryError('FERRY_KAFKA_ERROR', `timed out reading ${options.topic} to its end (${out.length} records read)`);
    }
    return out;
  } finally {
    await consumer.close(true);
  }
}

export function toIncoming(m: Message): IncomingRecord {
  const headers = new Map<string, Buffer>();
  for (const [k, v] of m.headers) headers.set(k.toString(), v);
  return {
    topic: m.topic, partition: m.partition, offset: m.offset,
    key: m.key && m.key.length > 0 ? m.key : (m.key ?? null),
    value: m.value ?? null,
    timestampMs: Number(m.timestamp), headers,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Group consumer with manual commits (the sink worker's input).

export interface GroupConsumerOptions extends KafkaConnectionOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a partition starts when the group has no committed offset for it; default 'earliest'. */
  readonly startFrom?: 'earliest' | 'latest';
  /**
   * Static membership (KIP-345): a stable id per worker (e.g. its host or pod name). A restarted member with the same
   * id takes its partitions back at once instead of waiting for the session timeout and a rebalance.
   */
  readonly groupInstanceId?: string;
  /** Group session timeout in ms; default 30000. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval in ms; default 3000. */
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin during a rebalance, in ms; default 60000. */
  readonly rebalanceTimeoutMs?: number;
  /** Most bytes one fetch returns (all partitions together); default 32 MiB. */
  readonly maxFetchBytes?: number;
  /** Most bytes one fetch returns per partition; default 8 MiB. */
  readonly maxPartitionFetchBytes?: number;
  /** How long the broker may hold a fetch waiting for data, in ms; default 100. */
  readonly maxWaitMs?: number;
  /** Records the client buffers ahead of the reader (backpressure bound); default 10000. */
  readonly bufferedRecords?: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** An offset to commit: the offset of the next record to read (last processed + 1), as Kafka defines it. */
export interface PartitionOffset extends TopicPartition {
  readonly offset: bigint;
}

/**
 * A consumer-group member that never commits on its own. Records of one partition come in offset order.
 *
 * Rebalances: when the group's assignment changes, `generation` increases and `onRebalance` listeners run. The
 * records the client had buffered may then belong to partitions this member no longer owns, and the client
 * re-reads every assigned partition from its committed offset; a reader that wants neither stale nor repeated
 * records calls `restart()` once it has committed what it keeps, which starts a fresh stream at the committed
 * offsets (without leaving the group).
 */
export interface GroupConsumer {
  /**
   * Waits up to `waitMs` for records and returns those available (at most `max`), or [] on timeout, abort or
   * after close. Throws when the stream failed.
   */
  poll(max: number, waitMs: number, signal?: AbortSignal): Promise<IncomingRecord[]>;
  /** Commits offsets for the group (manual commit); resolves when the coordinator accepted them. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** The group's committed offsets for these partitions (-1 = none). */
  committed(partitions: readonly TopicPartition[]): Promise<PartitionOffset[]>;
  /** The partitions assigned to this member now. */
  assignments(): TopicPartition[];
  /** Increases on every completed (re)join of the group. */
  readonly generation: number;
  onRebalance(listener: (assigned: TopicPartition[]) => void): () => void;
  /** Replaces the record stream with a fresh one that starts at the committed offsets; optionally with new topics. */
  restart(topics?: readonly string[]): Promise<void>;
  /** Stops fetching, leaves the group (so its partitions move at once) and closes connections. */
  close(): Promise<void>;
}

const EMPTY_HEADERS: ReadonlyMap<string, Buffer> = new Map();

function incoming(m: Message): IncomingRecord {
  let headers = EMPTY_HEADERS;
  if (m.headers.size > 0) {
    const h = new Map<string, Buffer>();
    for (const [k, v] of m.headers) h.set(k.toString(), v);
    headers = h;
  }
  return { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, timestampMs: Number(m.timestamp), headers };
}

export async function createGroupConsumer(options: GroupConsumerOptions): Promise<GroupConsumer> {
  const consumer = new Consumer({
    clientId: options.clientId,
    groupId: options.groupId,
    bootstrapBrokers: brokersOf(options),
    ...securityOf(options),
    timeout: options.timeoutMs ?? 30000,
    sessionTimeout: options.sessionTimeoutMs ?? 30000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60000,
    ...(options.groupInstanceId ? { groupInstanceId: options.groupInstanceId } : {}),
    autocommit: false,
    retries: 5,
  });
  let topics = [...options.topics];
  let generation = 0;
  let failure: unknown;
  let closed = false;
  const listeners = new Set<(assigned: TopicPartition[]) => void>();
  const assignments = (): TopicPartition[] =>
    (consumer.assignments ?? []).flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
  consumer.on('consumer:group:join', () => {
    generation++;
    const assigned = assignments();
    for (const l of listeners) l(assigned);
  });

  type Stream = Awaited<ReturnType<typeof consumer.consume>>;
  let stream: Stream;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const open = async (): Promise<Stream> => {
    let s: Stream;
    try {
      s = await consumer.consume({
        topics: [...topics], mode: 'committed', fallbackMode: options.startFrom ?? 'earliest', autocommit: false,
        maxBytes: options.maxFetchBytes ?? 32 * 1024 * 1024, maxBytesPerPartition: options.maxPartitionFetchBytes ?? 8 * 1024 * 1024,
        maxWaitTime: options.maxWaitMs ?? 100, highWaterMark: options.bufferedRecords ?? 10000,
      });
    } catch (e: unknown) {
      throw wrap(e, `join group ${options.groupId}`, options);
    }
    s.on('readable', notify);
    s.on('error', (e: unknown) => {
      if (s === stream) failure = e;
      notify();
    });
    s.on('end', notify);
    return s;
  };
  stream = await open();

  return {
    get generation() {
      return generation;
    },
    async poll(max, waitMs, signal) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        if (failure !== undefined) {
          const e = failure;
          failure = undefined;
          throw wrap(e, 'consume', options);
        }
        const out: IncomingRecord[] = [];
        const s = stream;
        while (out.length < max) {
          const m = s.read() as Message | null;
          if (m === null) break;
          out.push(incoming(m));
        }
        const left = deadline - Date.now();
        if (out.length > 0 || closed || left <= 0 || signal?.aborted) return out;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, left);
          const onAbort = () => done();
          signal?.addEventListener('abort', onAbort, { once: true });
          function done() {
            clearTimeout(t);
            signal?.removeEventListener('abort', onAbort);
            if (wake === done) wake = null;
            resolve();
          }
          wake = done;
        });
      }
    },
    async commit(offsets) {
      if (offsets.length === 0) return;
      try {
        await consumer.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: -1 })) });
      } catch (e: unknown) {
        throw wrap(e, `commit offsets of group ${options.groupId}`, options);
      }
    },
    async committed(partitions) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      try {
        const res = await consumer.listCommittedOffsets({ topics: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })) });
        return partitions.map((p) => ({ ...p, offset: res.get(p.topic)?.[p.partition] ?? -1n }));
      } catch (e: unknown) {
        throw wrap(e, `list committed offsets of group ${options.groupId}`, options);
      }
    },
    assignments,
    onRebalance(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async restart(newTopics) {
      if (closed) return;
      if (newTopics) topics = [...newTopics];
      const old = stream;
      // Open the new stream before closing the old one: the topics stay subscribed throughout, so the group does
      // not rebalance again (a closing stream unsubscribes its topics).
      stream = await open();
      failure = undefined;
      old.removeAllListeners('readable');
      await old.close().catch(() => {});
      notify();
    },
    async close() {
      if (closed) return;
      closed = true;
      notify();
      await stream.close().catch(() => {});
      try {
        await consumer.close();
      } catch {
        await consumer.close(true).catch(() => {});
      }
    },
  };
}
