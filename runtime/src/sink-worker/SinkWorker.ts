/**
 * The sink worker: a Kafka consumer-group member that feeds Ferry's change topics to one RecordSink.
 *
 *   poll → decode (registry) → batch (records / bytes / time) → [bounded queue] → sink.write (retry with backoff)
 *        → dead letters → commit offsets
 *
 * Guarantees (docs/sinks/worker.md):
 *  - At-least-once: offsets are committed manually, only after the sink resolved (durable) and the dead letters of
 *    the batch are durable. A crash redelivers from the last commit; sinks name their outputs from record
 *    identities so redelivery overwrites or is deduplicated.
 *  - Order: one writer, batches in poll order, so a partition's records reach the sink in offset order (and a key's
 *    records, which share a partition, in the order they were produced).
 *  - Backpressure: at most `maxQueuedBatches` batches wait behind the one being written; the reader stops polling
 *    while the queue is full, and the client stops fetching when its own buffer is full.
 *  - Staging (sinks with `stage`, e.g. the lake): each poll's records go to the sink as they are read and the worker
 *    drops them; the staged batch is passed to write() and freed once it resolved, or when the batch is dropped.
 *  - Poison records (undecodable, or rejected by the sink) go to the dead-letter queue with their original bytes,
 *    and the worker continues.
 *  - Rebalances: batches not yet being written are dropped, the batch in flight is finished and committed, and
 *    consumption restarts from the committed offsets, so no stale or repeated record is written by this member.
 *  - Shutdown (signal): the batch being built is closed and written, queued batches are written, offsets
 *    committed, and the member leaves the group. Retries give up `shutdownTimeoutMs` after the signal.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger, MetricsRegistry, SchemaRegistry, TableId } from '../../../core/src/types.ts';
import {
  createAdmin, createGroupConsumer, createProducer, type GroupConsumer, type GroupConsumerOptions, type IncomingRecord, type KafkaAdmin, type KafkaConnectionOptions, type PartitionOffset,
} from '../kafka/kafka-client.ts';
import { sleep, withRetry } from '../pipeline/retry.ts';
import { kafkaDeadLetterQueue, type DeadLetter, type DeadLetterQueue } from './dead-letter.ts';
import { RecordDecoder } from './record-decoder.ts';
import { PassThroughDecoder } from './pass-through.ts';
import { kafkaStream } from './record-identity.ts';
import { BatchTally, SinkMetrics } from './sink-metrics.ts';
import { reasonOf, type ComponentHealth } from '../health/readiness.ts';
import { DEFAULT_SOURCE_FIELDS, type BatchPolicy, type RawInput, type RecordSink, type SinkRecord, type SinkWriteContext, type SinkWriteResult, type StagedBatch } from '../../../core/src/record-sink.ts';
import { BatchChannel } from './batch-channel.ts';

export const DEFAULT_BATCH_POLICY: BatchPolicy = { maxRecords: 50000, maxBytes: 32 * 1024 * 1024, maxDelayMs: 1000 };

/**
 * The worker's fetch sizes (the client's defaults are 32 / 8 MiB). Fetch limits count compressed bytes: 32 MiB of
 * lz4-compressed change events decoded to ~500 MB of JS objects ahead of the batches (Parquet bench, bench/RESULTS.md);
 * 8 MiB keeps the same throughput.
 */
export const DEFAULT_CONSUMER_FETCH = { maxFetchBytes: 8 * 1024 * 1024, maxPartitionFetchBytes: 2 * 1024 * 1024 } as const;

export type ConsumerTuning = Pick<GroupConsumerOptions,
  'groupInstanceId' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'rebalanceTimeoutMs' | 'maxFetchBytes' | 'maxPartitionFetchBytes' | 'maxWaitMs' | 'bufferedRecords' | 'timeoutMs'>;

export interface SinkWorkerOptions {
  readonly brokers: readonly string[];
  /** TLS/SASL of the cluster (the task's kafka.tls, kafka.sasl: task-kafka.ts); default plaintext. */
  readonly security?: Pick<KafkaConnectionOptions, 'tls' | 'sasl' | 'optionPath'>;
  /** Default: ferry-sink-<groupId>. */
  readonly clientId?: string;
  readonly registry: Pick<SchemaRegistry, 'getById'>;
  /** Workers with the same group id share the partitions of the topics. */
  readonly groupId: string;
  /** The task's topic prefix: data topics are `<prefix>.<db>.<table>`; the dead-letter topic defaults to `<prefix>.dlq`. */
  readonly topicPrefix: string;
  /** Consume exactly these topics; default: every data topic of the prefix, re-listed every topicRefreshMs. */
  readonly topics?: readonly string[];
  /** Narrows the data topics found by prefix (e.g. to the tables this sink wants). */
  readonly includeTopic?: (topic: string) => boolean;
  /** settings.topicRouting: topics a routing rule may produce, read as holding several tables (RecordDecoderOptions.mergedTopic). */
  readonly routedTopic?: (topic: string) => boolean;
  /** settings.topicRouting: routed topics outside the prefix that are consumed too (TopicRouter.foreignTopic). */
  readonly foreignRoutedTopic?: (topic: string) => boolean;
  /** Forward records undecoded (pass-through.ts): the task's topics are not the Avro envelope and the sink forwards bytes (docs/formats.md). */
  readonly passThrough?: boolean;
  readonly sink: RecordSink;
  /** The target name of a source table (the task's rename rules; RecordDecoderOptions.tableId). Default: the source names. */
  readonly tableId?: (source: TableId) => TableId;
  /** Default: the Kafka topic `dlqTopic`. */
  readonly deadLetters?: DeadLetterQueue;
  /** Default `<topicPrefix>.dlq`. */
  readonly dlqTopic?: string;
  /** Overrides the sink's preferred batching, which overrides DEFAULT_BATCH_POLICY. */
  readonly batch?: Partial<BatchPolicy>;
  /** Batches that may wait behind the one being written (decoding overlaps writing); default 1. */
  readonly maxQueuedBatches?: number;
  /** Where partitions without a committed offset start; default 'earliest'. */
  readonly startFrom?: 'earliest' | 'latest';
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** After the signal, how long retries may still go on before the worker gives up (uncommitted records are redelivered later); default 30000. */
  readonly shutdownTimeoutMs?: number;
  /** How often to look for new data topics of the prefix; default 10000 (0 = never). */
  readonly topicRefreshMs?: number;
  /** Progress log interval; default 10000 (0 = off). */
  readonly progressIntervalMs?: number;
  readonly consumer?: ConsumerTuning;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** GET /readyz (runtime/src/health): ready once it consumes as a group member, retrying while an operation is retried. */
  readonly health?: ComponentHealth;
  /** Called after each batch's offsets are committed (tests, benchmarks). */
  readonly onCommit?: (info: { readonly records: number; readonly offsets: readonly PartitionOffset[] }) => void;
}

export interface SinkWorkerResult {
  readonly records: number;
  readonly batches: number;
  readonly files: number;
  readonly bytes: number;
  readonly deadLetters: number;
  readonly skipped: number;
}

interface Poison {
  readonly raw: IncomingRecord;
  readonly reason: string;
}

interface WorkBatch {
  /** Records decoded into this batch (staged or in `records`, rejected ones included). */
  count: number;
  /** Sinks with `stage`: the records staged so far (the worker holds none of them), and their tally for metrics. */
  staged: StagedBatch | null;
  readonly tally: BatchTally;
  /** Sinks with `stage`: records read since the last add(), with their Kafka records. */
  pend: SinkRecord[];
  pendRaws: IncomingRecord[];
  /** Sinks with `stage`: records the sink rejected when staging them (sink-stage dead letters). */
  readonly early: Poison[];
  /** The records the worker passes to write() (with `stage`: those the sink did not stage). */
  readonly records: SinkRecord[];
  /** The Kafka record of each entry of `records` (same index), for dead letters. */
  readonly raws: IncomingRecord[];
  readonly poison: Poison[];
  /** Sinks with rawInput: records and tombstones in poll order. */
  readonly input: RawInput[];
  skipped: number;
  bytes: number;
  /** The last record seen per stream: the commit is its offset + 1. */
  readonly last: Map<string, IncomingRecord>;
  firstAt: number;
}

const newBatch = (): WorkBatch => ({
  count: 0, staged: null, tally: new BatchTally(), pend: [], pendRaws: [], early: [], records: [], raws: [], poison: [], input: [], skipped: 0, bytes: 0, last: new Map(), firstAt: 0,
});
const sizeOf = (b: WorkBatch): number => b.count + b.poison.length + b.skipped;

/** The data topics of a prefix among `topics`: `<prefix>.<db>.<table>`, not the transaction, DLQ or schema-change topics. */
export function dataTopicsOf(topics: readonly string[], prefix: string, exclude: readonly string[] = []): string[] {
  const skip = new Set([`${prefix}.transaction`, ...exclude]);
  return topics.filter((t) => t.startsWith(`${prefix}.`) && t.slice(prefix.length + 1).includes('.') && !skip.has(t)).sort();
}

export async function runSinkWorker(options: SinkWorkerOptions, signal: AbortSignal): Promise<SinkWorkerResult> {
  const { sink, metrics } = options;
  const log = options.log.child({ sink: sink.name, group: options.groupId });
  const policy: BatchPolicy = { ...DEFAULT_BATCH_POLICY, ...sink.batchPolicy, ...options.batch };
  const clientId = options.clientId ?? `ferry-sink-${options.groupId}`;
  const dlqTopic = options.dlqTopic ?? `${options.topicPrefix}.dlq`;
  const sm = new SinkMetrics(metrics, sink.name);
  const decoder = options.passThrough ? new PassThroughDecoder() : new RecordDecoder({ registry: options.registry, sourceFields: sink.sourceFields ?? DEFAULT_SOURCE_FIELDS, lazy: sink.lazyDecode ?? false, ...(options.tableId ? { tableId: options.tableId } : {}), ...(options.routedTopic ? { mergedTopic: options.routedTopic } : {}) });
  const retryOpts = { initialDelayMs: options.retry?.initialDelayMs ?? 200, maxDelayMs: options.retry?.maxDelayMs ?? 30000 };
  const conn: KafkaConnectionOptions = { brokers: options.brokers, clientId, ...options.security };
  const health = options.health;
  const onRetry = (e: unknown) => health?.retrying(reasonOf(e));

  // Retries keep going after the signal (graceful shutdown finishes its batches) until this deadline.
  const hardStop = new AbortController();
  let hardTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    hardTimer = setTimeout(() => hardStop.abort(), options.shutdownTimeoutMs ?? 30000);
    health?.stopping();
    channel.poke();
  };

  let admin: KafkaAdmin | undefined;
  const listDataTopics = async (): Promise<string[]> => {
    if (options.topics) return [...options.topics].sort();
    admin ??= createAdmin(conn);
    const all = await admin.listTopics();
    const routed = options.foreignRoutedTopic ? all.filter((t) => t !== dlqTopic && !t.startsWith(`${options.topicPrefix}.`) && options.foreignRoutedTopic!(t)) : [];
    return [...dataTopicsOf(all, options.topicPrefix, [dlqTopic]), ...routed].sort().filter((t) => options.includeTopic?.(t) ?? true);
  };

  const deadLetters = options.deadLetters ?? kafkaDeadLetterQueue({
    producer: createProducer({ ...conn, compression: 'none' }), admin: createAdmin(conn), topic: dlqTopic,
  });
  const channel = new BatchChannel<WorkBatch>(options.maxQueuedBatches ?? 1);
  let consumer: GroupConsumer | undefined;
  let writerError: unknown;
  signal.addEventListener('abort', onAbort, { once: true });
  // Sinks with `stage` (not with rawInput): records are staged in the sink as they are read (StagedBatch).
  const staging = sink.stage !== undefined && sink.rawInput !== true;
  const stages = new Set<StagedBatch>();
  const discard = async (b: WorkBatch): Promise<void> => {
    const st = b.staged;
    if (st === null) return;
    b.staged = null;
    stages.delete(st);
    await st.discard().catch((e: unknown) => log.warn({ err: e }, `could not free a staged batch of ${sink.name} (${errorMessage(e)})`));
  };

  try {
    let topics = await withRetry(listDataTopics, { what: 'listing topics', log, signal, ...retryOpts, onRetry });
    while (topics.length === 0 && !signal.aborted) {
      health?.starting(`no data topics of prefix ${options.topicPrefix} yet`);
      log.info({ prefix: options.topicPrefix }, `no data topics of prefix ${options.topicPrefix} yet; waiting for them`);
      await sleep(options.topicRefreshMs || 5000, signal);
      topics = await withRetry(listDataTopics, { what: 'listing topics', log, signal, ...retryOpts, onRetry }).catch((e: unknown) => {
        if (signal.aborted) return [];
        throw e;
      });
    }
    if (signal.aborted) return result(sm);
    const c = await withRetry(() => createGroupConsumer({ ...conn, ...DEFAULT_CONSUMER_FETCH, ...sink.consumerFetch, ...options.consumer, groupId: options.groupId, topics, startFrom: options.startFrom ?? 'earliest' }),
      { what: 'joining the consumer group', log, signal, ...retryOpts, onRetry });
    consumer = c;
    health?.ready();
    log.info({ topics, assignments: c.assignments(), policy, deadLetters: deadLetters.target }, `sink ${sink.name} consuming ${topics.length} topic${topics.length === 1 ? '' : 's'} as group ${options.groupId}`);

    const ctx: SinkWriteContext = { signal: hardStop.signal, log, metrics, report: sm.reporter };
    const writeBatch = async (b: WorkBatch): Promise<void> => {
      let res: SinkWriteResult | void = undefined;
      let seconds = 0;
      if (b.records.length > 0 || b.input.length > 0 || b.staged !== null) {
        const t0 = performance.now();
        const c2 = b.input.length > 0 || b.staged !== null ? { ...ctx, ...(b.input.length > 0 ? { input: b.input } : {}), ...(b.staged !== null ? { staged: b.staged } : {}) } : ctx;
        res = await withRetry(() => sink.write(b.records, c2), {
          what: `writing ${b.records.length} records to ${sink.name}`, log, signal: hardStop.signal, ...retryOpts,
          onRetry: (e) => { sm.retries.inc({ sink: sink.name }); onRetry(e); },
        });
        health?.ready();
        seconds = (performance.now() - t0) / 1000;
      }
      // The staged records are durable: free them.
      await discard(b);
      const letters: DeadLetter[] = [...b.poison.map((p) => letter(p.raw, 'decode', p.reason)), ...b.early.map((p) => letter(p.raw, 'sink', p.reason))];
      const rejected = res?.rejected ?? [];
      let written = b.records;
      if (rejected.length > 0) {
        const out = new Set<SinkRecord>();
        for (const r of rejected) {
          const i = b.records.indexOf(r.record);
          if (i < 0 || out.has(r.record)) continue;
          out.add(r.record);
          letters.push(letter(b.raws[i]!, 'sink', r.reason));
        }
        written = b.records.filter((r) => !out.has(r));
      }
      if (letters.length > 0) {
        await withRetry(() => deadLetters.send(letters, sink.name), { what: `sending ${letters.length} dead letters to ${deadLetters.target}`, log, signal: hardStop.signal, ...retryOpts, onRetry });
        log.warn({ deadLetters: letters.length, first: { topic: letters[0]!.topic, partition: letters[0]!.partition, offset: String(letters[0]!.offset), reason: letters[0]!.reason } },
          `${letters.length} record${letters.length === 1 ? '' : 's'} sent to ${deadLetters.target}`);
      }
      sm.batchWritten(written, seconds, b.tally);
      sm.deadLettered('decode', b.poison.length);
      sm.deadLettered('sink', letters.length - b.poison.length);
      sm.skipped('tombstone', b.skipped);
      const offsets: PartitionOffset[] = [...b.last.values()].map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset + 1n }));
      try {
        await withRetry(() => c.commit(offsets), { what: 'committing offsets', log, signal: hardStop.signal, maxAttempts: 5, ...retryOpts });
        sm.commits.inc({ sink: sink.name });
      } catch (e: unknown) {
        // The batch is durable; an uncommitted offset only means redelivery (which the sink tolerates) later.
        sm.commitFailures.inc({ sink: sink.name });
        log.warn({ err: e }, `could not commit offsets after a durable batch (${errorMessage(e)}); those records will be delivered again later`);
      }
      options.onCommit?.({ records: b.count, offsets });
    };

    const writer = (async () => {
      for (;;) {
        const b = await channel.take();
        if (b === null) return;
        try {
          await writeBatch(b);
        } catch (e: unknown) {
          writerError = e;
          health?.failed(reasonOf(e));
          channel.close();
          await discard(b);
          return;
        } finally {
          channel.done();
        }
      }
    })();

    // The reader: poll, decode, batch, hand over.
    const streams = new Map<string, string[]>();
    const streamOf = (topic: string, partition: number): string => {
      let byP = streams.get(topic);
      if (byP === undefined) streams.set(topic, (byP = []));
      return (byP[partition] ??= kafkaStream(topic, partition));
    };
    let batch = newBatch();
    const rawInput = sink.rawInput === true;
    let generation = c.generation;
    let pendingTopics: string[] | null = null;
    const refreshMs = options.topics ? 0 : (options.topicRefreshMs ?? 10000);
    let nextRefresh = Date.now() + refreshMs;
    const progressMs = options.progressIntervalMs ?? 10000;
    let nextProgress = Date.now() + progressMs;
    let progressRecords = 0;
    let progressAt = Date.now();
    const stopped = () => signal.aborted || writerError !== undefined;
    /** Stages the records read since the last call (sinks with `stage`); the worker keeps only what the sink did not take. */
    const stagePending = async (b: WorkBatch): Promise<void> => {
      if (b.pend.length === 0) return;
      const recs = b.pend;
      const raws = b.pendRaws;
      b.pend = [];
      b.pendRaws = [];
      if (b.staged === null) {
        b.staged = sink.stage!({ log });
        stages.add(b.staged);
      }
      const out = await b.staged.add(recs);
      if (out.rejected.length === 0 && out.unstaged.length === 0) {
        b.tally.add(recs);
        return;
      }
      const taken = new Set<SinkRecord>();
      for (const r of out.rejected) {
        const i = recs.indexOf(r.record);
        if (i < 0 || taken.has(r.record)) continue;
        taken.add(r.record);
        b.early.push({ raw: raws[i]!, reason: r.reason });
      }
      const unstaged = new Set(out.unstaged);
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i]!;
        if (!unstaged.has(r) || taken.has(r)) continue;
        taken.add(r);
        b.records.push(r);
        b.raws.push(raws[i]!);
      }
      b.tally.add(recs.filter((r) => !taken.has(r)));
    };
    const hand = async (): Promise<void> => {
      if (staging) await stagePending(batch);
      const b = batch;
      batch = newBatch();
      const stale = () => writerError !== undefined || c.generation !== generation;
      await channel.push(b, stale);
      // Start the next batch only once it could be queued: at most the batch being written, maxQueuedBatches
      // queued ones and a partial one are held (not another full one waiting in push()), which bounds memory.
      await channel.room(() => stale() || signal.aborted);
    };

    while (!stopped()) {
      if (c.generation !== generation || pendingTopics !== null) {
        // Rebalance (or new topics): drop what is not being written, let the batch in flight finish and commit,
        // then read again from the committed offsets.
        await discard(batch);
        batch = newBatch();
        for (const dropped of channel.clear()) await discard(dropped);
        await channel.idle(() => writerError !== undefined || hardStop.signal.aborted);
        if (writerError !== undefined) break;
        generation = c.generation;
        const next = pendingTopics;
        pendingTopics = null;
        await c.restart(next ?? undefined);
        if (next) topics = next;
        log.info({ generation, assignments: c.assignments(), topics }, next ? 'subscribed to new topics' : 'partitions reassigned; resuming from the committed offsets');
        continue;
      }
      const n = sizeOf(batch);
      const wait = n > 0 ? Math.max(0, batch.firstAt + policy.maxDelayMs - Date.now()) : 500;
      const recs = await c.poll(Math.min(policy.maxRecords, 5000), wait, signal);
      for (const rec of recs) {
        const stream = streamOf(rec.topic, rec.partition);
        let out = decoder.decode(rec, stream);
        if (out.kind === 'missing') {
          const ids = out.ids;
          await withRetry(() => decoder.prefetch(ids), { what: `fetching schema ids ${ids.join(', ')} from the registry`, log, signal: hardStop.signal, ...retryOpts, onRetry });
          out = decoder.decode(rec, stream);
        }
        if (sizeOf(batch) === 0) batch.firstAt = Date.now();
        batch.last.set(stream, rec);
        switch (out.kind) {
          case 'record':
            batch.count++;
            if (staging) {
              batch.pend.push(out.record);
              batch.pendRaws.push(rec);
            } else {
              batch.records.push(out.record);
              batch.raws.push(rec);
              if (rawInput) batch.input.push({ raw: rec, record: out.record });
            }
            batch.bytes += out.record.sizeBytes;
            break;
          case 'tombstone':
            batch.skipped++;
            if (rawInput) batch.input.push({ raw: rec, record: null });
            break;
          case 'poison':
            batch.poison.push({ raw: rec, reason: out.reason });
            break;
          default:
            throw new FerryError('FERRY_INTERNAL', `schema ids ${out.ids.join(', ')} still missing after fetching them`);
        }
        if (batch.count >= policy.maxRecords || batch.bytes >= policy.maxBytes) await hand();
      }
      if (staging) await stagePending(batch);
      progressRecords += recs.length;
      if (sizeOf(batch) > 0 && Date.now() >= batch.firstAt + policy.maxDelayMs) await hand();
      const now = Date.now();
      if (progressMs > 0 && now >= nextProgress) {
        const t = sm.totals;
        log.info({ read: progressRecords, readPerSecond: Math.round(progressRecords / ((now - progressAt) / 1000)), written: t.records, batches: t.batches, files: t.files, deadLetters: t.deadLetters },
          `sink ${sink.name}: ${t.records} records written, ${t.deadLetters} dead letters`);
        progressRecords = 0;
        progressAt = now;
        nextProgress = now + progressMs;
      }
      if (refreshMs > 0 && now >= nextRefresh) {
        nextRefresh = now + refreshMs;
        const found = await listDataTopics().catch((e: unknown) => {
          log.warn({ err: e }, `could not list topics (${errorMessage(e)}); keeping the current subscription`);
          return topics;
        });
        if (found.join('\n') !== topics.join('\n')) pendingTopics = found;
      }
    }

    // Graceful end: write what was read (if no rebalance made it stale), then wait for the writer.
    if (writerError === undefined && sizeOf(batch) > 0 && c.generation === generation) await hand();
    channel.close();
    await writer;
    if (writerError !== undefined) throw writerError;
    const t = sm.totals;
    log.info({ ...t }, `sink ${sink.name} stopped: ${t.records} records in ${t.batches} batches, ${t.deadLetters} dead letters`);
    return result(sm);
  } finally {
    // Staged batches never written (dropped, or left behind by an error): free them.
    await Promise.all([...stages].map((st) => st.discard().catch(() => {})));
    stages.clear();
    signal.removeEventListener('abort', onAbort);
    if (hardTimer) clearTimeout(hardTimer);
    channel.close();
    await consumer?.close().catch((e: unknown) => log.warn({ err: e }, 'error while leaving the consumer group'));
    await deadLetters.close().catch(() => {});
    await admin?.close().catch(() => {});
  }
}

function letter(raw: IncomingRecord, stage: DeadLetter['stage'], reason: string): DeadLetter {
  return {
    stage, reason, topic: raw.topic, partition: raw.partition, offset: raw.offset,
    key: raw.key, value: raw.value, headers: raw.headers, timestampMs: raw.timestampMs,
  };
}

function result(sm: SinkMetrics): SinkWorkerResult {
  const t = sm.totals;
  return { records: t.records, batches: t.batches, files: t.files, bytes: t.bytes, deadLetters: t.deadLetters, skipped: t.skipped };
}
