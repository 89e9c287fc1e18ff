/**
 * One small adapter per candidate Kafka client, all with the same shape, so bench.ts measures every client doing the
 * same work: awaited produce batches (acks=all, idempotent), a transactional producer, and a consumer-group read from
 * the beginning of a topic.
 *
 * The candidates are loaded with dynamic import() from bench/kafka-clients/node_modules (see package.json there), and
 * described here by the few methods used. That keeps the repository's typecheck independent of them: CI does not
 * install the benchmark's own node_modules.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODECS: readonly Codec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

export interface Rec { readonly key: Buffer; readonly value: Buffer }

export interface Conn { readonly brokers: readonly string[]; readonly clientId: string }

export interface ProducerOpts extends Conn {
  readonly compression: Codec;
}

export interface BenchProducer {
  /** Resolves when every record is acknowledged (acks=all). */
  send(topic: string, recs: readonly Rec[]): Promise<void>;
  close(): Promise<void>;
}

export interface TxProducer {
  begin(): Promise<void>;
  send(topic: string, recs: readonly Rec[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumeOpts extends Conn {
  readonly groupId: string;
  readonly topic: string;
  /** Stop after this many records. */
  readonly n: number;
  readonly readCommitted: boolean;
  /** Give up after this long (ms). */
  readonly timeoutMs: number;
  /** After n records, keep reading this long (ms) to catch records that should not be there. */
  readonly settleMs?: number;
  /** Keep the values (for verification); off while measuring. */
  readonly keepValues?: boolean;
  /** Called at the n-th record (the benchmark samples CPU there, before the consumer is closed). */
  readonly onLast?: () => void;
}

export interface ConsumeResult {
  count: number;
  /** performance.now() when the group assignment arrived (the client's own join/rebalance event). */
  joinedAt: number;
  /** performance.now() of the first record and of the n-th record. */
  firstAt: number;
  lastAt: number;
  values: Buffer[];
  /** Sum of key+value bytes seen: proves the payload was materialised. */
  bytes: number;
}

export interface Client {
  readonly id: string;
  readonly pkg: string;
  readonly api: string;
  /** Settings that differ from the client's defaults, for the report. */
  readonly notes: string;
  producer(o: ProducerOpts): Promise<BenchProducer>;
  txProducer(o: Conn & { transactionalId: string }): Promise<TxProducer>;
  consume(o: ConsumeOpts): Promise<ConsumeResult>;
  /** Codecs the client supports without extra packages (others are reported as not built in). */
  builtinCodecs(): Promise<readonly Codec[]>;
  /** How the client can get a codec that is not built in, tested by the features run when possible. */
  extraCodec?(codec: Codec): Promise<string | undefined>;
}

const here = dirname(new URL(import.meta.url).pathname);
const require = createRequire(join(here, 'package.json'));

/** Version of a candidate package installed in bench/kafka-clients/node_modules, or undefined. */
export function installedVersion(pkg: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(join(here, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string };
    return json.version;
  } catch {
    return undefined;
  }
}

/** Imports a candidate from bench/kafka-clients/node_modules (never from the repository root). */
export async function load<T>(pkg: string): Promise<T> {
  if (!installedVersion(pkg)) throw new Error(`${pkg} is not installed in bench/kafka-clients/node_modules (run bench/kafka-clients/run.sh)`);
  const resolved = require.resolve(pkg);
  if (!resolved.startsWith(join(here, 'node_modules'))) throw new Error(`${pkg} resolved outside the bench: ${resolved}`);
  const mod = (await import(pkg)) as { default?: unknown };
  // CommonJS packages (kafkajs, confluent) arrive as the default export.
  return ((mod.default && typeof mod.default === 'object' ? mod.default : mod) as unknown) as T;
}

const settle = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Shared bookkeeping for the consume loops: counting, timing, stop conditions. */
class Counter {
  readonly res: ConsumeResult = { count: 0, joinedAt: 0, firstAt: 0, lastAt: 0, values: [], bytes: 0 };
  readonly done: Promise<void>;
  readonly #o: ConsumeOpts;
  readonly #wr = Promise.withResolvers<void>();
  readonly #timer: NodeJS.Timeout;
  constructor(o: ConsumeOpts) {
    this.#o = o;
    this.done = this.#wr.promise;
    this.#timer = setTimeout(() => this.fail(new Error(`timed out after ${o.timeoutMs} ms with ${this.res.count}/${o.n} records from ${o.topic}`)), o.timeoutMs);
  }
  /** Counts one record; returns true when the caller should stop reading. */
  add(key: Buffer | null | undefined, value: Buffer | null | undefined): boolean {
    const r = this.res;
    if (r.count === 0) r.firstAt = performance.now();
    r.count++;
    r.bytes += (key?.length ?? 0) + (value?.length ?? 0);
    if (this.#o.keepValues && value) r.values.push(Buffer.from(value));
    if (r.count === this.#o.n) {
      r.lastAt = performance.now();
      this.#o.onLast?.();
      if (!this.#o.settleMs) { this.finish(); return true; }
      setTimeout(() => this.finish(), this.#o.settleMs);
    }
    return false;
  }
  /** The first assignment of partitions to this member. */
  joined() { if (!this.res.joinedAt) this.res.joinedAt = performance.now(); }
  fail(e: unknown) { clearTimeout(this.#timer); this.#wr.reject(e); }
  finish() { clearTimeout(this.#timer); this.#wr.resolve(); }
}

// ---------------------------------------------------------------------------------------------------------------------
// @platformatic/kafka
// ---------------------------------------------------------------------------------------------------------------------

interface PlatMessage { topic: string; key?: Buffer; value?: Buffer; partition?: number }
interface PlatProducer {
  send(o: { messages: PlatMessage[] }): Promise<unknown>;
  beginTransaction(): Promise<{ send(o: { messages: PlatMessage[] }): Promise<unknown>; commit(): Promise<void>; abort(): Promise<void> }>;
  close(force?: boolean): Promise<void>;
}
interface PlatStream extends AsyncIterable<{ key: Buffer | null; value: Buffer | null }> {
  close(): Promise<void>;
  on(ev: 'error', cb: (e: unknown) => void): unknown;
}
interface PlatConsumer {
  consume(o: Record<string, unknown>): Promise<PlatStream>;
  on(ev: 'consumer:group:join', cb: () => void): unknown;
  close(force?: boolean): Promise<void>;
}
interface PlatModule {
  Producer: new (o: Record<string, unknown>) => PlatProducer;
  Consumer: new (o: Record<string, unknown>) => PlatConsumer;
  ProduceAcks: { ALL: number };
  FetchIsolationLevels: { READ_COMMITTED: number; READ_UNCOMMITTED: number };
}

export const platformatic: Client = {
  id: 'platformatic',
  pkg: '@platformatic/kafka',
  api: 'Producer.send / Consumer.consume stream (for await)',
  get notes() {
    return `acks=ALL, idempotent, defaults otherwise (maxInflights 5); consumer stream mode committed→earliest, ${process.env.KC_PLATFORMATIC_CONSUMER ? `consumer options ${process.env.KC_PLATFORMATIC_CONSUMER}` : 'consumer defaults (maxBytes 50 MB)'}`;
  },
  async producer(o) {
    const k = await load<PlatModule>('@platformatic/kafka');
    const p = new k.Producer({
      clientId: o.clientId, bootstrapBrokers: [...o.brokers], acks: k.ProduceAcks.ALL, idempotent: true,
      compression: o.compression, timeout: 30000, retries: 5,
    });
    return {
      async send(topic, recs) {
        const messages = new Array<PlatMessage>(recs.length);
        for (let i = 0; i < recs.length; i++) messages[i] = { topic, key: recs[i]!.key, value: recs[i]!.value };
        await p.send({ messages });
      },
      close: () => p.close(),
    };
  },
  async txProducer(o) {
    const k = await load<PlatModule>('@platformatic/kafka');
    const p = new k.Producer({
      clientId: o.clientId, bootstrapBrokers: [...o.brokers], acks: k.ProduceAcks.ALL, idempotent: true,
      transactionalId: o.transactionalId, timeout: 30000, retries: 5,
    });
    let tx: Awaited<ReturnType<PlatProducer['beginTransaction']>> | undefined;
    return {
      async begin() { tx = await p.beginTransaction(); },
      async send(topic, recs) { await tx!.send({ messages: recs.map((r) => ({ topic, key: r.key, value: r.value })) }); },
      async commit() { await tx!.commit(); tx = undefined; },
      async abort() { await tx!.abort(); tx = undefined; },
      close: () => p.close(),
    };
  },
  async consume(o) {
    const k = await load<PlatModule>('@platformatic/kafka');
    const isolationLevel = o.readCommitted ? k.FetchIsolationLevels.READ_COMMITTED : k.FetchIsolationLevels.READ_UNCOMMITTED;
    const c = new k.Consumer({
      clientId: o.clientId, groupId: o.groupId, bootstrapBrokers: [...o.brokers], timeout: 30000, isolationLevel,
      // Exploration knob, not used by the default suite: extra consumer options as JSON, e.g. '{"maxBytes":1048576}'
      // (the fetch size cap is 50 MB by default).
      ...(process.env.KC_PLATFORMATIC_CONSUMER ? JSON.parse(process.env.KC_PLATFORMATIC_CONSUMER) as Record<string, unknown> : {}),
    });
    const counter = new Counter(o);
    c.on('consumer:group:join', () => counter.joined());
    try {
      const stream = await c.consume({
        topics: [o.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: true, isolationLevel, maxWaitTime: 500,
      });
      stream.on('error', (e) => counter.fail(e));
      const loop = (async () => {
        for await (const m of stream) {
          if (counter.add(m.key, m.value)) break;
        }
      })().catch((e: unknown) => counter.fail(e));
      await counter.done;
      // Leaving the for-await loop destroys the stream, so close() may report the AbortError of that destroy.
      await stream.close().catch((e: unknown) => { if ((e as { code?: string }).code !== 'ABORT_ERR') throw e; });
      await loop;
    } finally {
      await c.close(true);
    }
    return counter.res;
  },
  async builtinCodecs() { return CODECS; },
};

// ---------------------------------------------------------------------------------------------------------------------
// kafkajs
// ---------------------------------------------------------------------------------------------------------------------

interface KjsMessage { key: Buffer; value: Buffer }
interface KjsSender { send(o: { topic: string; messages: KjsMessage[]; acks?: number; compression?: number }): Promise<unknown> }
interface KjsProducer extends KjsSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<KjsSender & { commit(): Promise<void>; abort(): Promise<void> }>;
}
interface KjsBatch { batch: { messages: Array<{ key: Buffer | null; value: Buffer | null }> } }
interface KjsConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(o: { topic?: string; topics?: string[]; fromBeginning?: boolean }): Promise<void>;
  run(o: { eachBatch: (p: KjsBatch) => Promise<void>; eachBatchAutoResolve?: boolean }): Promise<void>;
  on(ev: string, cb: (e: { payload: { error?: unknown } }) => void): unknown;
  events: { CRASH: string; GROUP_JOIN: string };
}
interface KjsCodec { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
interface KjsModule {
  Kafka: new (o: Record<string, unknown>) => {
    producer(o: Record<string, unknown>): KjsProducer;
    consumer(o: Record<string, unknown>): KjsConsumer;
  };
  logLevel: { ERROR: number; NOTHING: number };
  Partitioners: { DefaultPartitioner: unknown };
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>;
  CompressionCodecs: Record<number, () => KjsCodec>;
}
const kjsCodecType = (k: KjsModule, c: Codec): number =>
  ({ none: k.CompressionTypes.None, gzip: k.CompressionTypes.GZIP, snappy: k.CompressionTypes.Snappy, lz4: k.CompressionTypes.LZ4, zstd: k.CompressionTypes.ZSTD })[c];

async function kjsKafka(o: Conn) {
  const k = await load<KjsModule>('kafkajs');
  return { k, kafka: new k.Kafka({ clientId: o.clientId, brokers: [...o.brokers], logLevel: k.logLevel.NOTHING }) };
}

export const kafkajs: Client = {
  id: 'kafkajs',
  pkg: 'kafkajs',
  api: 'producer.send / consumer.run eachBatch',
  notes: 'idempotent, acks=-1, DefaultPartitioner (murmur2); consumer defaults (maxBytes 10 MB)',
  async producer(o) {
    const { k, kafka } = await kjsKafka(o);
    const p = kafka.producer({ idempotent: true, createPartitioner: k.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await p.connect();
    const compression = kjsCodecType(k, o.compression);
    return {
      async send(topic, recs) {
        const messages = new Array<KjsMessage>(recs.length);
        for (let i = 0; i < recs.length; i++) messages[i] = { key: recs[i]!.key, value: recs[i]!.value };
        await p.send({ topic, messages, acks: -1, compression });
      },
      close: () => p.disconnect(),
    };
  },
  async txProducer(o) {
    const { k, kafka } = await kjsKafka(o);
    const p = kafka.producer({
      idempotent: true, transactionalId: o.transactionalId, maxInFlightRequests: 1,
      createPartitioner: k.Partitioners.DefaultPartitioner,
    });
    await p.connect();
    let tx: Awaited<ReturnType<KjsProducer['transaction']>> | undefined;
    return {
      async begin() { tx = await p.transaction(); },
      async send(topic, recs) { await tx!.send({ topic, acks: -1, messages: recs.map((r) => ({ key: r.key, value: r.value })) }); },
      async commit() { await tx!.commit(); tx = undefined; },
      async abort() { await tx!.abort(); tx = undefined; },
      close: () => p.disconnect(),
    };
  },
  async consume(o) {
    const { kafka } = await kjsKafka(o);
    const c = kafka.consumer({ groupId: o.groupId, readUncommitted: !o.readCommitted });
    const counter = new Counter(o);
    c.on(c.events.CRASH, (e) => counter.fail(e.payload.error));
    c.on(c.events.GROUP_JOIN, () => counter.joined());
    await c.connect();
    try {
      await c.subscribe({ topics: [o.topic], fromBeginning: true });
      let stop = false;
      await c.run({
        eachBatch: async ({ batch }) => {
          if (stop) return;
          for (const m of batch.messages) if (counter.add(m.key, m.value)) { stop = true; break; }
        },
      });
      await counter.done;
    } finally {
      await c.disconnect();
    }
    return counter.res;
  },
  async builtinCodecs() { return ['gzip']; },
  /** Node 24's zlib has zstd, so a kafkajs zstd codec is a few lines (kafkajs only ships gzip). */
  async extraCodec(codec) {
    const k = await load<KjsModule>('kafkajs');
    if (codec !== 'zstd') return undefined;
    k.CompressionCodecs[k.CompressionTypes.ZSTD] = () => ({
      compress: async ({ buffer }) => zlib.zstdCompressSync(buffer),
      decompress: async (b) => zlib.zstdDecompressSync(b),
    });
    return '10-line custom codec on node:zlib zstdCompressSync';
  },
};

// ---------------------------------------------------------------------------------------------------------------------
// @confluentinc/kafka-javascript: KafkaJS-compatible promise API
// ---------------------------------------------------------------------------------------------------------------------

interface CkjsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(o: { topic: string; messages: KjsMessage[] }): Promise<unknown>;
  transaction(): Promise<unknown>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CkjsConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(o: { topics: string[] }): Promise<void>;
  run(o: { eachBatch: (p: KjsBatch) => Promise<void> }): Promise<void>;
}
interface NativeDelivery { opaque?: unknown }
interface NativeProducer {
  connect(o: Record<string, unknown>, cb: (e: unknown) => void): void;
  disconnect(timeout: number, cb: (e: unknown) => void): void;
  produce(topic: string, partition: number | null, value: Buffer, key: Buffer, timestamp: number | null, opaque?: unknown): boolean;
  on(ev: 'delivery-report', cb: (e: unknown, r: NativeDelivery) => void): unknown;
  on(ev: 'event.error', cb: (e: unknown) => void): unknown;
  setPollInBackground(on: boolean): void;
  initTransactions(timeout: number, cb: (e: unknown) => void): void;
  beginTransaction(cb: (e: unknown) => void): void;
  commitTransaction(timeout: number, cb: (e: unknown) => void): void;
  abortTransaction(timeout: number, cb: (e: unknown) => void): void;
}
interface NativeMessage { key?: Buffer | null; value: Buffer | null }
interface NativeConsumer {
  connect(o: Record<string, unknown>, cb: (e: unknown) => void): void;
  disconnect(cb: (e: unknown) => void): void;
  subscribe(topics: string[]): void;
  consume(n: number, cb: (e: unknown, msgs: NativeMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void;
  on(ev: 'event.error', cb: (e: unknown) => void): unknown;
  on(ev: 'rebalance', cb: (e: { code: number }) => void): unknown;
}
/** librdkafka's rebalance "error" code for a new assignment. */
const ERR_ASSIGN_PARTITIONS = -175;
interface CkModule {
  KafkaJS: {
    Kafka: new (o: Record<string, unknown>) => {
      producer(o: Record<string, unknown>): CkjsProducer;
      consumer(o: Record<string, unknown>): CkjsConsumer;
    };
    logLevel: { ERROR: number; NOTHING: number };
  };
  Producer: new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => NativeProducer;
  KafkaConsumer: new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => NativeConsumer;
  features: string[];
  librdkafkaVersion: string;
}

/** Producer settings shared by both confluent APIs. linger.ms: see bench.ts --linger (default 1). */
export const confluentTuning = { linger: Number(process.env.KC_CONFLUENT_LINGER_MS ?? 1), consumeBatch: 1000 };

const p0 = <T = void>(f: (cb: (e: unknown, v?: T) => void) => void) =>
  new Promise<T>((res, rej) => f((e, v) => (e ? rej(e) : res(v as T))));

function ckjsKafka(k: CkModule, o: Conn) {
  return new k.KafkaJS.Kafka({ kafkaJS: { clientId: o.clientId, brokers: [...o.brokers], logLevel: k.KafkaJS.logLevel.NOTHING } });
}

export const confluentKjs: Client = {
  id: 'confluent-kjs',
  pkg: '@confluentinc/kafka-javascript',
  api: 'KafkaJS-compatible promise API (producer.send / consumer.run eachBatch)',
  get notes() { return `librdkafka; idempotent, acks=-1, linger.ms=${confluentTuning.linger}; js.consumer.max.batch.size=${confluentTuning.consumeBatch}`; },
  async producer(o) {
    const k = await load<CkModule>('@confluentinc/kafka-javascript');
    const p = ckjsKafka(k, o).producer({
      kafkaJS: { idempotent: true, acks: -1, compression: o.compression, allowAutoTopicCreation: false },
      'linger.ms': confluentTuning.linger,
    });
    await p.connect();
    return {
      async send(topic, recs) {
        const messages = new Array<KjsMessage>(recs.length);
        for (let i = 0; i < recs.length; i++) messages[i] = { key: recs[i]!.key, value: recs[i]!.value };
        await p.send({ topic, messages });
      },
      close: () => p.disconnect(),
    };
  },
  async txProducer(o) {
    const k = await load<CkModule>('@confluentinc/kafka-javascript');
    const p = ckjsKafka(k, o).producer({ kafkaJS: { idempotent: true, acks: -1, transactionalId: o.transactionalId } });
    await p.connect();
    return {
      async begin() { await p.transaction(); },
      async send(topic, recs) { await p.send({ topic, messages: recs.map((r) => ({ key: r.key, value: r.value })) }); },
      commit: () => p.commit(),
      abort: () => p.abort(),
      close: () => p.disconnect(),
    };
  },
  async consume(o) {
    const k = await load<CkModule>('@confluentinc/kafka-javascript');
    const counter = new Counter(o);
    const c = ckjsKafka(k, o).consumer({
      kafkaJS: { groupId: o.groupId, fromBeginning: true },
      'isolation.level': o.readCommitted ? 'read_committed' : 'read_uncommitted',
      'js.consumer.max.batch.size': confluentTuning.consumeBatch,
      // Returning nothing keeps the default assignment; this only observes it.
      rebalance_cb: (err: { code: number }) => { if (err.code === ERR_ASSIGN_PARTITIONS) counter.joined(); },
    });
    await c.connect();
    try {
      await c.subscribe({ topics: [o.topic] });
      let stop = false;
      await c.run({
        eachBatch: async ({ batch }) => {
          if (stop) return;
          for (const m of batch.messages) if (counter.add(m.key, m.value)) { stop = true; break; }
        },
      });
      await counter.done;
    } finally {
      await c.disconnect();
    }
    return counter.res;
  },
  async builtinCodecs() {
    const k = await load<CkModule>('@confluentinc/kafka-javascript');
    return CODECS.filter((c) => k.features.includes(c));
  },
};

// ---------------------------------------------------------------------------------------------------------------------
// @confluentinc/kafka-javascript: native (node-rdkafka style) API
// ---------------------------------------------------------------------------------------------------------------------

function nativeProducerConf(o: Conn, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    'client.id': o.clientId, 'metadata.broker.list': o.brokers.join(','), 'enable.idempotence': true, acks: 'all',
    dr_cb: true, 'linger.ms': confluentTuning.linger, ...extra,
  };
}

interface Pending { left: number; resolve: () => void; reject: (e: unknown) => void; failed?: unknown }

async function nativeProducer(o: Conn, extra: Record<string, unknown>) {
  const k = await load<CkModule>('@confluentinc/kafka-javascript');
  const p = new k.Producer(nativeProducerConf(o, extra));
  p.on('delivery-report', (err, r) => {
    const b = r.opaque as Pending;
    if (err) b.failed ??= err;
    if (--b.left === 0) {
      if (b.failed) b.reject(b.failed);
      else b.resolve();
    }
  });
  await p0((cb) => p.connect({}, cb));
  p.setPollInBackground(true);
  const send = (topic: string, recs: readonly Rec[]) => new Promise<void>((resolve, reject) => {
    const b: Pending = { left: recs.length, resolve, reject };
    for (const r of recs) p.produce(topic, null, r.value, r.key, null, b);
  });
  const close = () => p0((cb) => p.disconnect(30000, cb)).then(() => undefined);
  return { p, send, close };
}

export const confluentNative: Client = {
  id: 'confluent-native',
  pkg: '@confluentinc/kafka-javascript',
  api: 'native API (Producer.produce + delivery reports, KafkaConsumer.consume(n))',
  get notes() { return `librdkafka; enable.idempotence, acks=all, linger.ms=${confluentTuning.linger}, background polling; consume(${confluentTuning.consumeBatch})`; },
  async producer(o) {
    const { send, close } = await nativeProducer(o, { 'compression.codec': o.compression });
    return { send, close };
  },
  async txProducer(o) {
    const { p, send, close } = await nativeProducer(o, { 'transactional.id': o.transactionalId });
    await p0((cb) => p.initTransactions(30000, cb));
    return {
      begin: () => p0((cb) => p.beginTransaction(cb)),
      send,
      commit: () => p0((cb) => p.commitTransaction(30000, cb)),
      abort: () => p0((cb) => p.abortTransaction(30000, cb)),
      close,
    };
  },
  async consume(o) {
    const k = await load<CkModule>('@confluentinc/kafka-javascript');
    const c = new k.KafkaConsumer({
      'client.id': o.clientId, 'metadata.broker.list': o.brokers.join(','), 'group.id': o.groupId,
      'enable.auto.commit': true, 'isolation.level': o.readCommitted ? 'read_committed' : 'read_uncommitted',
      rebalance_cb: true,
    }, { 'auto.offset.reset': 'earliest' });
    const counter = new Counter(o);
    c.on('event.error', (e) => counter.fail(e));
    c.on('rebalance', (e) => { if (e.code === ERR_ASSIGN_PARTITIONS) counter.joined(); });
    await p0((cb) => c.connect({}, cb));
    c.setDefaultConsumeTimeout(200);
    c.setDefaultIsTimeoutOnlyForFirstMessage(true);
    c.subscribe([o.topic]);
    let stop = false;
    const next = () => {
      if (stop) return;
      c.consume(confluentTuning.consumeBatch, (err, msgs) => {
        if (err) { counter.fail(err); return; }
        for (const m of msgs) if (counter.add(m.key, m.value)) { stop = true; break; }
        setImmediate(next);
      });
    };
    next();
    try {
      await counter.done;
    } finally {
      stop = true;
      await settle(250); // let the last consume() callback return before disconnecting
      await p0((cb) => c.disconnect(cb));
    }
    return counter.res;
  },
  async builtinCodecs() { return confluentKjs.builtinCodecs(); },
};

export const ALL_CLIENTS: readonly Client[] = [platformatic, kafkajs, confluentKjs, confluentNative];
