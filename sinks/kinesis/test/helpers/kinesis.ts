/**
 * Test helpers against moto's Kinesis: streams, an independent reader (ListShards + GetRecords over every shard from
 * TRIM_HORIZON), an independent KPL de-aggregator, and a fault-injecting wrapper around the real SDK client.
 */
import { createHash } from 'node:crypto';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { SdkKinesisClient, type KinesisPutClient, type PutEntry, type PutResult } from '../../src/kinesis-client.ts';
import { services } from '../../../../test/helpers/services.ts';

export const KINESIS = { endpoint: services.motoUrl, accessKeyId: 'test', secretAccessKey: 'test', region: 'us-east-1' } as const;

/** A plain SDK client for moto (HTTP/1.1, as the sink's client); destroy() it after use. */
export async function sdkClient(): Promise<KinesisClient> {
  return (await new SdkKinesisClient(KINESIS).sdk()).client;
}

export async function createStream(name: string, shards: number): Promise<void> {
  const c = await sdkClient();
  try {
    await c.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    for (let i = 0; i < 100; i++) {
      const d = await c.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`stream ${name} did not become ACTIVE`);
  } finally {
    c.destroy();
  }
}

export interface ReadRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
}

/** Every record of every shard, each shard in sequence order. */
export async function readStream(name: string): Promise<ReadRecord[]> {
  const c = await sdkClient();
  const out: ReadRecord[] = [];
  try {
    const shards = (await c.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
    for (const s of shards) {
      let it = (await c.send(new GetShardIteratorCommand({ StreamName: name, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (it) {
        const r = await c.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10000 }));
        for (const x of r.Records ?? []) out.push({ shardId: s.ShardId!, sequenceNumber: x.SequenceNumber!, partitionKey: x.PartitionKey!, data: Buffer.from(x.Data!) });
        if ((r.Records ?? []).length === 0) break;
        it = r.NextShardIterator;
      }
    }
  } finally {
    c.destroy();
  }
  return out;
}

// ---------------------------------------------------------------- an independent KPL de-aggregator

const MAGIC = Buffer.from('f3899ac2', 'hex');

function varint(b: Buffer, at: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    const x = b[at++]!;
    n += (x & 0x7f) * mul;
    if (x < 0x80) return [n, at];
    mul *= 128;
  }
}

/** Protobuf fields of a message: [field number, wire type, value (number or bytes)]. */
function fields(b: Buffer): [number, number, number | Buffer][] {
  const out: [number, number, number | Buffer][] = [];
  let at = 0;
  while (at < b.length) {
    const [tag, a1] = varint(b, at);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const [v, a2] = varint(b, a1);
      out.push([field, wire, v]);
      at = a2;
    } else if (wire === 2) {
      const [len, a2] = varint(b, a1);
      out.push([field, wire, b.subarray(a2, a2 + len)]);
      at = a2 + len;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

export interface UserRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly aggregated: boolean;
}

/** A Kinesis record → its user records (KPL format: magic, AggregatedRecord, MD5); checks the MD5. */
export function deaggregate(r: { partitionKey: string; data: Buffer }): UserRecord[] {
  if (r.data.length < 20 || !r.data.subarray(0, 4).equals(MAGIC)) return [{ partitionKey: r.partitionKey, data: r.data, aggregated: false }];
  const body = r.data.subarray(4, r.data.length - 16);
  const md5 = createHash('md5').update(body).digest();
  if (!md5.equals(r.data.subarray(r.data.length - 16))) throw new Error('aggregated record: MD5 mismatch');
  const keys: string[] = [];
  const out: UserRecord[] = [];
  for (const [f, , v] of fields(body)) {
    if (f === 1) keys.push((v as Buffer).toString());
    else if (f === 3) {
      let pk = -1;
      let data: Buffer | null = null;
      for (const [g, , w] of fields(v as Buffer)) {
        if (g === 1) pk = w as number;
        else if (g === 3) data = w as Buffer;
      }
      if (pk < 0 || data === null || keys[pk] === undefined) throw new Error('aggregated record: a record without partition key index or data');
      out.push({ partitionKey: keys[pk]!, data: Buffer.from(data), aggregated: true });
    }
  }
  return out;
}

// ---------------------------------------------------------------- fault injection around the real client

export interface Faults {
  /** Probability that a call throws ProvisionedThroughputExceededException before anything is written. */
  throttleCall: number;
  /** Probability that a record of a call fails (it is not sent; the others are, through the real client). */
  failRecord: number;
  /** Error code of failed records (default: alternate ProvisionedThroughputExceededException / InternalFailure). */
  code?: string;
}

/** Wraps the real SDK client: drops some records of a call with a per-record error, and throttles whole calls. */
export class FaultyKinesisClient implements KinesisPutClient {
  readonly inner: SdkKinesisClient;
  readonly faults: Faults;
  readonly #rand: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  injectedThrottles = 0;
  injectedFailures = 0;
  calls = 0;
  /** Most records in one call, and whether any call held two entries of one partition key (for assertions). */
  maxCallRecords = 0;

  constructor(faults: Faults, seed = 1) {
    this.inner = new SdkKinesisClient({ endpoint: KINESIS.endpoint, region: KINESIS.region, accessKeyId: 'test', secretAccessKey: 'test' });
    this.faults = faults;
    let a = seed >>> 0;
    this.#rand = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  async putRecords(stream: string, entries: readonly PutEntry[], signal?: AbortSignal): Promise<readonly PutResult[]> {
    this.calls++;
    this.maxCallRecords = Math.max(this.maxCallRecords, entries.length);
    if (this.#rand() < this.faults.throttleCall) {
      this.injectedThrottles++;
      const e = new Error('Rate exceeded for shard (injected)');
      e.name = 'ProvisionedThroughputExceededException';
      throw e;
    }
    const fail = entries.map(() => this.#rand() < this.faults.failRecord);
    const send = entries.filter((_, i) => !fail[i]);
    // One request at a time reaches moto: its PutRecords loses acknowledged records when two calls write one shard
    // at once (a race in moto; measured 123 of 16,000 lost with 8 concurrent writers). The sink's lanes still run
    // concurrently and interleave their decisions.
    const turn = this.#queue.then(() => (send.length > 0 ? this.inner.putRecords(stream, send, signal) : []));
    this.#queue = turn.catch(() => []);
    const sent = await turn;
    let j = 0;
    return entries.map((_, i): PutResult => {
      if (!fail[i]) return sent[j++]!;
      this.injectedFailures++;
      const code = this.faults.code ?? (this.injectedFailures % 2 === 0 ? 'InternalFailure' : 'ProvisionedThroughputExceededException');
      return { ok: false, errorCode: code, errorMessage: 'injected' };
    });
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
