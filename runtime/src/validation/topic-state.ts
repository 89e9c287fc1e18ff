/**
 * The latest state per key of a Ferry data topic (Debezium envelopes in Avro, Confluent wire format), as canonical
 * texts for state-compare.ts: every partition is read from its first offset up to the end offsets taken when the read
 * starts, nothing committed. r/c/u set the key's row to the after-image; d and tombstones remove the key. A key lives
 * in one partition, so per-partition order is the key's order. A truncate (t, which Ferry produces to partition 0)
 * removes the rows whose latest change the source made before it — by the source block's binlog position or LSN;
 * without one, by partition order, or the record time across partitions — and drops such older changes read after it. Each record is decoded
 * with the writer schema its header names (the registry, cached per id), so schema versions mix freely; a column a
 * version lacks reads as NULL, a column no record carries is not compared.
 */
import { Consumer, type Message } from '@platformatic/kafka';
import type { Type } from 'avsc';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { binlogPosition, lsnPosition, type Position } from '../../../core/src/position.ts';
import type { SinkFieldType } from '../../../core/src/record-sink.ts';
import type { SchemaRegistry } from '../../../core/src/types.ts';
import type { AvroRecordSchema } from '../../../schemas/src/avro-mapping.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { brokersOf, securityOf, wrap, type KafkaConnectionOptions } from '../kafka/kafka-connection.ts';
import { sinkTableFromAvro } from '../sink-worker/avro-table.ts';
import { throwIfAborted } from './limits.ts';
import { DEFAULT_MAX_STATE_ROWS, type StatePlan, type TargetState } from './state-compare.ts';
import { wireCanonical } from './wire-canonical.ts';

export interface TopicStateOptions extends KafkaConnectionOptions {
  readonly topic: string;
  readonly registry: Pick<SchemaRegistry, 'getById'>;
  /** Most keys held at once (default DEFAULT_MAX_STATE_ROWS); beyond it the table is not supported. */
  readonly maxRows?: number;
  /** Give up when no record arrived for this long, in ms (default 60000). */
  readonly idleTimeoutMs?: number;
  /**
   * A topic written in transactions (a `kafka` target with exactly-once delivery), read committed: its last offsets
   * may be transaction markers, which a consumer never receives, so a partition cannot be seen to reach its end
   * offset. With this set, the read ends once no record arrived for this long (ms) instead of failing.
   */
  readonly endByQuietMs?: number;
  readonly signal?: AbortSignal;
  readonly onRecords?: (n: number) => void;
}

interface Writer {
  readonly type: Type;
  /** Field name → column type: the Value record's columns (an Envelope) or the key's fields (a Key schema). */
  readonly columns: ReadonlyMap<string, SinkFieldType>;
  readonly envelope: boolean;
}

/** Column types of a Key record, read as if it were an Envelope's Value (sinkTableFromAvro's type reader). */
function keyColumns(key: AvroRecordSchema): SinkFieldType[] {
  const envelope = { type: 'record', name: 'KeyEnvelope', fields: [
    { name: 'before', type: ['null', key] }, { name: 'after', type: ['null', key.name] }, { name: 'op', type: 'string' },
    { name: 'source', type: { type: 'record', name: 'KeySource', fields: [] } },
  ] } as unknown as AvroRecordSchema;
  return sinkTableFromAvro(envelope, null, { topic: '', schema: '', table: '', version: '' }).columns.map((c) => c.type);
}

class Writers {
  readonly #registry: Pick<SchemaRegistry, 'getById'>;
  readonly #byId = new Map<number, Writer>();
  constructor(registry: Pick<SchemaRegistry, 'getById'>) {
    this.#registry = registry;
  }

  async get(id: number): Promise<Writer> {
    let w = this.#byId.get(id);
    if (w) return w;
    const raw = await this.#registry.getById(id);
    const s = (typeof raw === 'string' ? JSON.parse(raw) : raw) as AvroRecordSchema;
    const envelope = s.type === 'record' && s.fields.some((f) => f.name === 'op') && s.fields.some((f) => f.name === 'after');
    let columns: Map<string, SinkFieldType>;
    if (envelope) {
      columns = new Map(sinkTableFromAvro(s, null, { topic: '', schema: '', table: '', version: String(id) }).columns.map((c) => [c.name, c.type]));
    } else {
      const types = keyColumns(s);
      columns = new Map(s.fields.map((f, i) => [f.name, types[i]!]));
    }
    w = { type: avscType(s), columns, envelope };
    this.#byId.set(id, w);
    return w;
  }
}

/** Where a change is: its partition, its source log position (when the source block has one) and its record time. */
interface Order {
  readonly partition: number;
  readonly position: Position | null;
  readonly ts: number;
}

function orderOf(src: Record<string, unknown> | null | undefined, partition: number, ts: number): Order {
  let position: Position | null = null;
  try {
    if (src?.lsn !== undefined && src.lsn !== null) position = lsnPosition(BigInt(src.lsn as number));
    else if (typeof src?.file === 'string' && src.file !== '' && src.pos !== undefined && src.pos !== null) position = binlogPosition({ file: src.file, pos: Number(src.pos) });
  } catch {
    position = null;
  }
  return { partition, position, ts };
}

/**
 * The source made a before b: by source position when both have one (of one kind) — a topic that merges partitions
 * (a `kafka` target) can hold a change after a truncate that the source made before it; else `readEarlier` within one
 * partition (a was read before b); else by record time (a tie is not before).
 */
function before(a: Order, b: Order, readEarlier: boolean): boolean {
  if (a.position !== null && b.position !== null && a.position.slice(0, 3) === b.position.slice(0, 3)) return a.position < b.position;
  if (a.partition === b.partition) return readEarlier;
  return a.ts < b.ts;
}

const schemaId = (b: Buffer, what: string, at: string): number => {
  if (b.length < 5 || b[0] !== 0) throw new FerryError('FERRY_KAFKA_ERROR', `${what} at ${at} is not in Confluent wire format (${b.length} bytes, first byte ${b[0]})`);
  return b.readUInt32BE(1);
};

/** Reads `topic` to the end offsets taken at the start and returns its latest state per key, canonicalized for `plan`. */
export async function readTopicState(plan: StatePlan, o: TopicStateOptions): Promise<TargetState> {
  const max = o.maxRows ?? DEFAULT_MAX_STATE_ROWS;
  const writers = new Writers(o.registry);
  const rows = new Map<string, (string | null)[]>();
  const seen = new Set<number>();
  const keyPairs = plan.pairs.slice(0, plan.keyCount);
  let records = 0;

  /** Per key: where its latest change was (for truncates: records of other partitions are ordered by source position). */
  const meta = new Map<string, Order>();
  let truncate: Order | undefined;
  const keyText = (texts: readonly (string | null)[]): string => JSON.stringify(texts);
  const keyFrom = async (key: Buffer, at: string): Promise<string> => {
    const w = await writers.get(schemaId(key, 'the key', at));
    const k = w.type.fromBuffer(key.subarray(5)) as Record<string, unknown>;
    return keyText(keyPairs.map((p) => { const t = w.columns.get(p.target); return t ? wireCanonical(p, t, k[p.target]) : null; }));
  };

  const apply = async (m: Message): Promise<void> => {
    const at = `${m.topic}[${m.partition}]@${m.offset}`;
    const key = m.key && m.key.length > 0 ? m.key : null;
    const value = m.value && m.value.length > 0 ? m.value : null;
    records++;
    if (value === null) {
      if (key !== null) { const k = await keyFrom(key, at); rows.delete(k); meta.delete(k); }
      return;
    }
    const w = await writers.get(schemaId(value, 'the value', at));
    if (!w.envelope) throw new FerryError('FERRY_KAFKA_ERROR', `the value at ${at} is not a Debezium change event (its schema has no op/after)`);
    let env: { op: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; source: Record<string, unknown> };
    try {
      env = w.type.fromBuffer(value.subarray(5)) as typeof env;
    } catch (e: unknown) {
      throw new FerryError('FERRY_KAFKA_ERROR', `cannot decode the change event at ${at}: ${errorMessage(e)}`);
    }
    const order = orderOf(env.source, m.partition, Number(m.timestamp));
    if (env.op === 't') {
      // Rows whose change came before it: earlier in its partition, or earlier in the source's log.
      for (const [k, o] of meta) if (before(o, order, true)) { rows.delete(k); meta.delete(k); }
      if (!truncate || before(truncate, order, true)) truncate = order;
      return;
    }
    // A change read after the latest truncate that the source made before it is gone with it.
    if (truncate && before(order, truncate, false)) return;
    if (env.op === 'd') {
      const k = key !== null ? await keyFrom(key, at) : env.before ? keyText(keyPairs.map((p) => { const t = w.columns.get(p.target); return t ? wireCanonical(p, t, env.before![p.target]) : null; })) : undefined;
      if (k !== undefined) { rows.delete(k); meta.delete(k); }
      return;
    }
    const after = env.after;
    if (!after) return;
    const row = plan.pairs.map((p, i) => {
      const t = w.columns.get(p.target);
      if (!t) return null;
      seen.add(i);
      return wireCanonical(p, t, after[p.target]);
    });
    const k = keyText(row.slice(0, plan.keyCount));
    rows.set(k, row);
    meta.set(k, order);
    if (rows.size > max) throw new FerryError('FERRY_UNSUPPORTED', `the topic ${o.topic} holds more than ${max.toLocaleString('en-US')} keys: too many to validate in memory`);
  };

  const consumer = new Consumer({
    clientId: o.clientId, groupId: `${o.clientId}-validate-${process.pid}-${Date.now()}`, bootstrapBrokers: brokersOf(o), ...securityOf(o), timeout: o.timeoutMs ?? 30000,
    isolationLevel: 1, // read_committed: records of aborted transactions are not part of the topic
  });
  try {
    const ends = await consumer.listOffsets({ topics: [o.topic] }).catch((e: unknown) => {
      throw wrap(e, `list offsets of ${o.topic}`, o);
    });
    // A partition whose log starts after offset 0 lost records to retention (or DeleteRecords): the topic no longer
    // holds every row, so its state cannot be compared (compaction keeps the latest record per key: that is fine).
    const starts = await consumer.listOffsets({ topics: [o.topic], timestamp: -2n }).catch((e: unknown) => {
      throw wrap(e, `list the earliest offsets of ${o.topic}`, o);
    });
    const trimmed = (starts.get(o.topic) ?? []).map((start, p) => ({ p, start })).filter((x) => x.start > 0n);
    if (trimmed.length > 0) {
      throw new FerryError('FERRY_UNSUPPORTED', `the topic ${o.topic} no longer starts at offset 0 (partition ${trimmed[0]!.p} starts at ${trimmed[0]!.start}): records were deleted by retention, so it does not hold every row. Fix: keep the topic's full history (retention.ms=-1, or cleanup.policy=compact) to validate it`);
    }
    const remaining = new Map<number, bigint>();
    (ends.get(o.topic) ?? []).forEach((end, p) => { if (end > 0n) remaining.set(p, end); });
    if (remaining.size > 0) {
      const stream = await consumer.consume({ topics: [o.topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
      const idle = o.idleTimeoutMs ?? 60000;
      let timer: NodeJS.Timeout | undefined;
      const stalled = new AbortController();
      // The quiet rule of a transactional topic starts with its first record (joining the group may take seconds).
      const arm = (): void => { clearTimeout(timer); timer = setTimeout(() => { stalled.abort(); void stream.close(); }, records > 0 && o.endByQuietMs !== undefined ? o.endByQuietMs : idle); };
      arm();
      try {
        for await (const m of stream as AsyncIterable<Message>) {
          throwIfAborted(o.signal);
          const end = remaining.get(m.partition);
          if (end !== undefined && m.offset < end) {
            await apply(m);
            if (m.offset + 1n >= end) remaining.delete(m.partition);
            if (records % 10_000 === 0) o.onRecords?.(10_000);
          }
          arm();
          if (remaining.size === 0 || stalled.signal.aborted) break;
        }
      } finally {
        clearTimeout(timer);
        await stream.close().catch(() => undefined);
      }
      throwIfAborted(o.signal);
      if (remaining.size > 0 && o.endByQuietMs === undefined) throw new FerryError('FERRY_KAFKA_ERROR', `timed out reading ${o.topic} to its end offsets (${records} records read, no record for ${idle} ms)`);
    }
  } finally {
    await consumer.close(true);
  }
  const absent = new Set(plan.pairs.map((_, i) => i).filter((i) => i >= plan.keyCount && !seen.has(i) && records > 0));
  return { rows, absent, records };
}
