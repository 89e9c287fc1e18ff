/** Consumers: reading a topic to its end, and group consumers for the sink workers. */
import { Consumer, type Message } from '@platformatic/kafka';
import { FerryError } from '../../../core/src/errors.ts';
import { securityOf, brokersOf, wrap, type KafkaConnectionOptions, type IncomingRecord } from './kafka-connection.ts';

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

/**
 * Reads a topic written with transactions (the cluster's offsets and state topics, a cluster task's data topics) to
 * its last stable offset, read_committed: records of aborted or still-open transactions are not returned.
 *
 * Built on Fetch requests rather than the client's message stream, because read_committed needs state across
 * responses: the broker lists the aborted transactions of a fetched range, and a record of such a producer is
 * skipped from the transaction's first offset until its abort marker, which can come in a later response. (The
 * client's stream drops an aborted range only when its marker is in the same response, so a range cut by a
 * response boundary leaked aborted records.) Control batches (markers) take offsets without being records.
 */
export async function readCommittedToEnd(options: ReadTopicOptions): Promise<IncomingRecord[]> {
  const consumer = new Consumer({
    clientId: options.clientId,
    groupId: `${options.clientId}-reader-${process.pid}-${Date.now()}`,
    bootstrapBrokers: brokersOf(options),
    ...securityOf(options),
    timeout: 30000,
  });
  const out: IncomingRecord[] = [];
  const deadline = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 30000), ...(options.signal ? [options.signal] : [])]);
  try {
    const topic = options.topic;
    const [md, ends, starts] = await Promise.all([
      consumer.metadata({ topics: [topic] }),
      consumer.listOffsets({ topics: [topic], isolationLevel: 1 }),
      consumer.listOffsets({ topics: [topic], timestamp: -2n }),
    ]).catch((e: unknown) => {
      throw wrap(e, `read the metadata and offsets of ${topic}`, options);
    });
    const meta = md.topics.get(topic);
    if (!meta) throw new FerryError('FERRY_KAFKA_ERROR', `topic ${topic} does not exist`);
    const endOffsets = ends.get(topic) ?? [];
    for (let p = 0; p < endOffsets.length; p++) {
      const end = endOffsets[p]!;
      let offset = (starts.get(topic) ?? [])[p] ?? 0n;
      // As Kafka's Java consumer does: the aborted transactions the broker lists wait in `pending` (by first
      // offset); a producer becomes aborted when a batch reaches its transaction's first offset, and stops being
      // aborted at its ABORT marker. Commit markers of the same producer's earlier transactions do not end it.
      const pending: { pid: bigint; first: bigint }[] = [];
      const listed = new Set<string>();
      const active = new Set<bigint>();
      while (offset < end) {
        if (deadline.aborted) throw new FerryError('FERRY_KAFKA_ERROR', `timed out reading ${topic} to its end (${out.length} records read)`);
        const response = await consumer.fetch({
          node: meta.partitions[p]!.leader, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 16 * 1024 * 1024,
          topics: [{ topicId: meta.id, partitions: [{ partition: p, fetchOffset: offset, partitionMaxBytes: 8 * 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
        }).catch((e: unknown) => {
          throw wrap(e, `fetch ${topic}`, options);
        });
        const part = response.responses[0]?.partitions.find((x) => x.partitionIndex === p);
        if (!part || part.errorCode !== 0 || !part.records?.length) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        for (const a of part.abortedTransactions ?? []) {
          const k = `${a.producerId}:${a.firstOffset}`;
          if (!listed.has(k)) {
            listed.add(k);
            pending.push({ pid: a.producerId, first: a.firstOffset });
          }
        }
        pending.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
        for (const batch of part.records) {
          const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
          if (last < offset) continue;
          while (pending.length > 0 && pending[0]!.first <= last) active.add(pending.shift()!.pid);
          if (batch.attributes & IS_CONTROL_BATCH) {
            if (batch.records[0]?.key?.readInt16BE(2) === 0) active.delete(batch.producerId); // ABORT marker
          } else if (!active.has(batch.producerId)) {
            for (const r of batch.records) {
              const at = batch.firstOffset + BigInt(r.offsetDelta);
              if (at < offset || at >= end) continue;
              out.push({ topic, partition: p, offset: at, key: r.key ?? null, value: r.value ?? null, timestampMs: Number(batch.firstTimestamp + r.timestampDelta), headers: new Map(r.headers.filter(([k, v]) => k !== null && v !== null).map(([k, v]) => [k!.toString(), v!])) });
            }
          }
          offset = last + 1n;
        }
        if (options.limit !== undefined && out.length >= options.limit) return out;
      }
    }
    return out;
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
}

/** The attributes bit of a control batch (transaction markers). */
const IS_CONTROL_BATCH = 1 << 5;

/** A topic followed from its start (the cluster's config and status topics): every record, as it arrives. */
export interface TopicTail {
  /** Resolves once every record up to the end offsets at the start was delivered. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function tailTopic(options: KafkaConnectionOptions & { readonly topic: string }, onRecord: (r: IncomingRecord) => void): TopicTail {
  const consumer = new Consumer({
    clientId: options.clientId,
    groupId: `${options.clientId}-tail-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    bootstrapBrokers: brokersOf(options),
    ...securityOf(options),
    timeout: 30000,
    isolationLevel: 1,
  });
  let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
  let closed = false;
  const ready = (async () => {
    const ends = await consumer.listOffsets({ topics: [options.topic], isolationLevel: 1 }).catch((e: unknown) => {
      throw wrap(e, `list offsets of ${options.topic}`, options);
    });
    const remaining = new Map<number, bigint>();
    (ends.get(options.topic) ?? []).forEach((end, p) => { if (end > 0n) remaining.set(p, end); });
    const s = await consumer.consume({ topics: [options.topic], mode: 'earliest', autocommit: false, maxWaitTime: 200, isolationLevel: 1 });
    stream = s;
    if (closed) await s.close();
    s.on('data', (m: Message) => onRecord(toIncoming(m)));
    s.on('error', () => undefined); // the stream retries; a closed tail ends quietly
    await new Promise<void>((resolve) => {
      const check = () => {
        for (const [p, end] of remaining) if ((s.offsetsToFetch.get(`${options.topic}:${p}`) ?? 0n) >= end && s.readableLength === 0) remaining.delete(p);
        if (remaining.size === 0 || closed) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(check, 25);
      check();
    });
  })();
  ready.catch(() => undefined);
  return {
    ready,
    async close() {
      closed = true;
      await stream?.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    },
  };
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
