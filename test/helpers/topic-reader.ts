/**
 * An independent reader for tests: reads a topic with the Kafka client, fetches each record's writer schema from the
 * registry by the id in its Confluent header (plain HTTP), and decodes with avsc directly — not with Ferry's encoder.
 */
import avro from 'avsc';
import { readTopicToEnd, type IncomingRecord } from '../../runtime/src/kafka/kafka-client.ts';
import { services } from './services.ts';

const types = new Map<number, avro.Type>();

/** int64 as bigint beyond 2^53 (avsc's default long would throw). */
const LongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: (x: number | string) => BigInt(x),
  toJSON: (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' || typeof n === 'number',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

async function typeFor(id: number): Promise<avro.Type> {
  let t = types.get(id);
  if (!t) {
    const res = await fetch(`${services.registryUrl}/schemas/ids/${id}`);
    if (!res.ok) throw new Error(`registry answered ${res.status} for schema id ${id}`);
    const { schema } = (await res.json()) as { schema: string };
    // Every long, also the annotated ones ({"type": "long", "connect.name": …}), which avsc builds without the registry.
    const typeHook = (s: unknown) => (s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long') ? LongType : undefined);
    t = avro.Type.forSchema(JSON.parse(schema), { registry: { long: LongType }, typeHook, wrapUnions: false, noAnonymousTypes: false } as never);
    types.set(id, t);
  }
  return t;
}

export async function decodeWire(buf: Buffer): Promise<{ schemaId: number; value: unknown }> {
  if (buf[0] !== 0) throw new Error(`not Confluent wire format (magic byte ${buf[0]})`);
  const schemaId = buf.readInt32BE(1);
  return { schemaId, value: plain((await typeFor(schemaId)).fromBuffer(buf.subarray(5))) };
}

/** avsc returns record class instances; tests compare plain objects. Buffers and bigints are kept. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

export interface DecodedRecord {
  readonly raw: IncomingRecord;
  readonly key: Record<string, unknown> | null;
  /** null for a tombstone. */
  readonly value: { before: Record<string, unknown> | null; after: Record<string, unknown> | null; op: string; source: Record<string, unknown>; ts_ms: unknown } | null;
  readonly keySchemaId: number | null;
  readonly valueSchemaId: number | null;
}

export async function readDecoded(topic: string): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for (const r of await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-reader', topic, timeoutMs: 120000 })) {
    const k = r.key ? await decodeWire(r.key) : null;
    const v = r.value ? await decodeWire(r.value) : null;
    out.push({ raw: r, key: (k?.value as Record<string, unknown>) ?? null, value: (v?.value as DecodedRecord['value']) ?? null, keySchemaId: k?.schemaId ?? null, valueSchemaId: v?.schemaId ?? null });
  }
  return out;
}

/** Latest `after` per key (JSON of the key), applying deletes and tombstones in topic order. */
export function latestState(records: readonly DecodedRecord[]): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  for (const r of records) {
    const key = JSON.stringify(r.key, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (r.value === null || r.value.op === 'd') state.delete(key);
    else if (r.value.op === 't') state.clear();
    else if (r.value.after) state.set(key, r.value.after);
  }
  return state;
}
