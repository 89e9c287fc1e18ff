/**
 * The Kinesis sink (task targets of type `kinesis`): each change becomes one Kinesis user record (JSON in DMS's
 * data + metadata layout, or Confluent-framed Avro), keyed by DMS's partition-key-type, sent with PutRecords within the
 * API limits, optionally packed into KPL aggregated records. Per-key order is kept through partial failures and
 * throttling (put-scheduler.ts). Kinesis has no idempotent put: delivery is at least once, and every JSON record carries
 * its source identity (source-stream, source-sequence) for consumers to deduplicate (docs/sinks/kinesis.md).
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { SchemaRegistry } from '../../../core/src/types.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { aggregateOverhead, aggregatedEntrySize, encodeAggregate } from './aggregation.ts';
import { parseKinesisConfig, type KinesisConfig, type KinesisConfigInput } from './config.ts';
import { SdkKinesisClient, type KinesisPutClient } from './kinesis-client.ts';
import { PayloadEncoder, mapRecord, mappedPartitionKey, orderingKey, partitionKey } from './payload.ts';
import { ObjectMappings } from '../../../runtime/src/mapping/object-mapping-apply.ts';
import { laneOf, PutScheduler, type Entry, type SendStats } from './put-scheduler.ts';

export interface KinesisSinkOptions {
  readonly name?: string;
  readonly config: KinesisConfigInput;
  /** The Kinesis client; default the AWS SDK client from config.client (tests wrap it with fault injection). */
  readonly client?: KinesisPutClient;
  /** Registry for direct-mode Avro; default config.schemaRegistry. */
  readonly registry?: Pick<SchemaRegistry, 'register'>;
  /** The task's table mapping: its object-mapping rules shape the JSON records and their partition keys. */
  readonly tableMappings?: unknown;
}

/** One change, encoded. */
interface UserRecord {
  readonly record: SinkRecord;
  readonly partitionKey: string;
  readonly key: string;
  readonly data: Uint8Array;
}

/** An aggregate being filled. */
interface OpenAggregate {
  readonly index: number;
  readonly partitionKey: string;
  readonly items: UserRecord[];
  bytes: number;
}

type Slot = { readonly plain: UserRecord } | { readonly agg: OpenAggregate };

const SOURCE_FIELDS = ['connector', 'ts_ms', 'db', 'schema', 'table', 'snapshot', 'file', 'pos', 'gtid', 'txId', 'lsn'];

export class KinesisSink implements RecordSink {
  readonly name: string;
  readonly config: KinesisConfig;
  readonly batchPolicy: { maxRecords: number; maxBytes: number; maxDelayMs: number };
  readonly sourceFields: readonly string[] | 'all';
  readonly client: KinesisPutClient;
  readonly #encoder: PayloadEncoder;
  readonly #scheduler: PutScheduler;
  readonly #mappings: ObjectMappings;
  /** Totals since the sink was created (benchmarks, tests). */
  readonly totals: SendStats & { records: number; kinesisRecords: number; bytes: number } = { calls: 0, throttledCalls: 0, failedRecords: 0, throttledRecords: 0, records: 0, kinesisRecords: 0, bytes: 0 };

  constructor(options: KinesisSinkOptions) {
    this.config = parseKinesisConfig(options.config);
    const c = this.config;
    this.name = options.name ?? 'kinesis';
    this.#mappings = ObjectMappings.from(options.tableMappings);
    if (this.#mappings.any && c.format === 'avro') {
      throw new FerryError('FERRY_CONFIG_INVALID', `kinesis target ${this.name}: the table mapping has object-mapping rules, which shape JSON records; format avro forwards the change event unchanged and would ignore them. Use format json, or remove the rules`, { disposition: 'fatal' });
    }
    this.batchPolicy = { maxRecords: c.maxBatchRecords, maxBytes: c.maxBatchBytes, maxDelayMs: c.maxBatchDelayMs };
    // Direct-mode Avro re-encodes the envelope and needs every source field; JSON needs only what metadata shows.
    this.sourceFields = c.format === 'avro' ? 'all' : SOURCE_FIELDS;
    this.client = options.client ?? new SdkKinesisClient(c.client);
    const registry = options.registry ?? (c.schemaRegistry ? new ConfluentRegistryClient({ url: c.schemaRegistry }) : null);
    this.#encoder = new PayloadEncoder(c, registry);
    this.#scheduler = new PutScheduler(this.client, c.stream, {
      maxRecordsPerCall: c.maxRecordsPerCall, maxBytesPerCall: c.maxBytesPerCall, parallelCalls: c.parallelCalls,
      initialDelayMs: c.retry.initialDelayMs, maxDelayMs: c.retry.maxDelayMs, giveUpAfterMs: c.retry.giveUpAfterMs,
    });
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const c = this.config;
    await this.#encoder.prepare(records);
    const rejected: RejectedRecord[] = [];
    const lanes: UserRecord[][] = Array.from({ length: c.parallelCalls }, () => []);
    for (const r of records) {
      let u: UserRecord;
      // The table's object-mapping rule, compiled once per table version (a rule naming absent columns is fatal).
      const rule = this.#mappings.any ? this.#mappings.forRecord(r) : null;
      try {
        const mapped = rule ? mapRecord(rule, r, c) : null;
        const pk = mapped ? mappedPartitionKey(r, mapped) : partitionKey(r, c);
        u = { record: r, partitionKey: pk, key: orderingKey(r, pk, c), data: this.#encoder.encode(r, mapped) };
      } catch (e: unknown) {
        rejected.push({ record: r, reason: `cannot encode the change for Kinesis: ${errorMessage(e)}` });
        continue;
      }
      const size = u.data.length + Buffer.byteLength(u.partitionKey);
      if (size > c.maxRecordBytes) {
        rejected.push({ record: r, reason: `the change is ${size} bytes as a Kinesis record (data + partition key), over the ${c.maxRecordBytes}-byte record limit` });
        continue;
      }
      lanes[laneOf(u.key, c.parallelCalls)]!.push(u);
    }
    const entryLanes = lanes.map((l) => (c.aggregation.enabled ? this.#aggregate(l) : l.map(plainEntry)));
    const stats = await this.#scheduler.sendLanes(entryLanes, ctx.signal);
    this.#account(records, rejected, entryLanes, stats, ctx);
    return rejected.length > 0 ? { rejected } : {};
  }

  /**
   * Packs a lane's user records into KPL aggregates per partition key, in order. A record joins the open aggregate of
   * its partition key only if no later entry already holds a change of its ordering key; otherwise (and when the
   * aggregate is full) a new aggregate starts at the end. A record too big to aggregate goes alone, as a plain record.
   */
  #aggregate(lane: readonly UserRecord[]): Entry[] {
    const a = this.config.aggregation;
    const slots: Slot[] = [];
    const open = new Map<string, OpenAggregate>();
    const lastSlot = new Map<string, number>();
    for (const u of lane) {
      const entrySize = aggregatedEntrySize(u.data.length);
      const overhead = aggregateOverhead(u.partitionKey);
      if (entrySize + overhead > a.maxBytes) {
        lastSlot.set(u.key, slots.length);
        slots.push({ plain: u });
        continue;
      }
      let agg = open.get(u.partitionKey);
      if (agg === undefined || agg.bytes + entrySize > a.maxBytes || agg.items.length >= a.maxRecords || (lastSlot.get(u.key) ?? -1) > agg.index) {
        agg = { index: slots.length, partitionKey: u.partitionKey, items: [], bytes: overhead };
        open.set(u.partitionKey, agg);
        slots.push({ agg });
      }
      agg.items.push(u);
      agg.bytes += entrySize;
      lastSlot.set(u.key, agg.index);
    }
    return slots.map((s) => {
      if ('plain' in s) return plainEntry(s.plain);
      const items = s.agg.items;
      if (items.length === 1) return plainEntry(items[0]!);
      return {
        partitionKey: s.agg.partitionKey, data: encodeAggregate(s.agg.partitionKey, items.map((i) => i.data)),
        keys: [...new Set(items.map((i) => i.key))], count: items.length,
      };
    });
  }

  #account(records: readonly SinkRecord[], rejected: readonly RejectedRecord[], lanes: readonly (readonly Entry[])[], stats: SendStats, ctx: SinkWriteContext): void {
    const t = this.totals;
    t.calls += stats.calls;
    t.throttledCalls += stats.throttledCalls;
    t.failedRecords += stats.failedRecords;
    t.throttledRecords += stats.throttledRecords;
    let kinesisRecords = 0;
    let bytes = 0;
    for (const l of lanes) for (const e of l) { kinesisRecords++; bytes += e.data.length; }
    t.records += records.length - rejected.length;
    t.kinesisRecords += kinesisRecords;
    t.bytes += bytes;
    const m = ctx.metrics;
    const labels = { sink: this.name };
    m.counter('kinesis_put_calls_total', 'PutRecords calls made by a Kinesis sink', ['sink']).inc(labels, stats.calls);
    m.counter('kinesis_throttled_calls_total', 'PutRecords calls rejected whole (throttling or transient errors) and retried', ['sink']).inc(labels, stats.throttledCalls);
    m.counter('kinesis_failed_records_total', 'Kinesis records a PutRecords call failed and the sink sent again', ['sink']).inc(labels, stats.failedRecords);
    m.counter('kinesis_records_total', 'Kinesis records written (an aggregate counts once)', ['sink']).inc(labels, kinesisRecords);
    // Output per table, as the runtime's sink_files/sink_bytes metrics (one "file" per table and batch).
    const perTable = new Map<SinkTable, { rows: number; bytes: number }>();
    const skip = new Set(rejected.map((x) => x.record));
    for (const r of records) {
      if (skip.has(r)) continue;
      const p = perTable.get(r.table) ?? { rows: 0, bytes: 0 };
      p.rows++;
      p.bytes += r.sizeBytes;
      perTable.set(r.table, p);
    }
    for (const [table, p] of perTable) ctx.report.file(table, p.bytes, p.rows);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function plainEntry(u: UserRecord): Entry {
  return { partitionKey: u.partitionKey, data: u.data, keys: [u.key], count: 1 };
}
