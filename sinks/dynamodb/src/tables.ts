/**
 * Source table → DynamoDB table: its name (template or explicit mapping) and key schema (from the primary key), and
 * making sure the table exists with that key schema (created on demand when createTables is set).
 *
 *   1 key column   HASH on the column
 *   2 key columns  HASH on the first, RANGE on the second
 *   3 or more      HASH on _ferry_key, a string: the JSON array of the key values' text, e.g. ["7","eu","2024-01-01"]
 *                  (the key columns are still stored as their own attributes)
 * A key column whose type cannot be a DynamoDB key (boolean, struct) also makes the key composite.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { SinkFieldType, SinkTable } from '../../../core/src/record-sink.ts';
import { decimalOf } from '../../../runtime/src/sink-worker/avro-table.ts';
import type { AttributeValue, DynamoApi, Item } from './dynamo-api.ts';
import { isNotFound } from './dynamo-api.ts';
import type { CodecOptions } from './item-codec.ts';

export const COMPOSITE_KEY = '_ferry_key';
export const POS_ATTR = '_ferry_pos';
export const DELETED_ATTR = '_ferry_deleted';
export const EXPIRES_ATTR = '_ferry_expires';

type KeyType = 'S' | 'N' | 'B';

export interface KeyAttr {
  readonly name: string;
  readonly type: KeyType;
}

export interface KeySchema {
  readonly hash: KeyAttr;
  readonly range: KeyAttr | null;
  /** Key columns combined into _ferry_key (composite), else null. */
  readonly composite: readonly string[] | null;
}

/** The DynamoDB key type a column's values take, or null when it cannot be a key attribute. */
export function keyTypeOf(t: SinkFieldType, o: CodecOptions): KeyType | null {
  const l = t.logical ?? '';
  if (l === 'org.apache.kafka.connect.data.Decimal') return (decimalOf(t).precision ?? 0) > 38 ? 'S' : 'N';
  if (l === 'io.debezium.data.Json' || l.startsWith('io.debezium.time.Zoned')) return 'S';
  if (l.startsWith('io.debezium.time.') || l.startsWith('org.apache.kafka.connect.data.')) return o.temporal === 'epoch' ? 'N' : 'S';
  switch (t.connect) {
    case 'int8': case 'int16': case 'int32': case 'int64': case 'float32': case 'float64': return 'N';
    case 'string': return 'S';
    case 'bytes': return 'B';
    default: return null;
  }
}

export function keySchemaOf(table: SinkTable, o: CodecOptions): KeySchema | null {
  const pk = table.primaryKey;
  if (pk.length === 0) return null;
  const types = pk.map((k) => {
    const col = table.columns.find((c) => c.name === k);
    return col ? keyTypeOf(col.type, o) : null;
  });
  if (pk.length <= 2 && types.every((t) => t !== null)) {
    return { hash: { name: pk[0]!, type: types[0]! }, range: pk.length === 2 ? { name: pk[1]!, type: types[1]! } : null, composite: null };
  }
  return { hash: { name: COMPOSITE_KEY, type: 'S' }, range: null, composite: pk };
}

/** The text of a scalar attribute value inside a composite key. */
function keyText(v: AttributeValue | undefined): string {
  if (!v || v.NULL) return '';
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return v.N;
  if (v.B !== undefined) return Buffer.from(v.B).toString('base64');
  if (v.BOOL !== undefined) return String(v.BOOL);
  return JSON.stringify(v);
}

/** The item's key attributes (adds _ferry_key to `item` for composite keys). */
export function keyOf(ks: KeySchema, item: Item): Item {
  if (ks.composite) {
    const k = { S: JSON.stringify(ks.composite.map((c) => keyText(item[c]))) };
    item[COMPOSITE_KEY] = k;
    return { [COMPOSITE_KEY]: k };
  }
  const out: Item = { [ks.hash.name]: item[ks.hash.name]! };
  if (ks.range) out[ks.range.name] = item[ks.range.name]!;
  return out;
}

/** A string identifying a key within a table (for collapsing a batch to the last change per key). */
export function keyId(ks: KeySchema, key: Item): string {
  const h = keyText(key[ks.hash.name]);
  return ks.range ? JSON.stringify([h, keyText(key[ks.range.name])]) : h;
}

export { targetTableName } from './naming.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EnsureOptions {
  readonly createTables: boolean;
  readonly ttl: boolean;
}

/**
 * Makes sure `name` exists and is ACTIVE with the expected key schema; creates it (on-demand billing) when missing
 * and allowed. A different key schema, or a missing table that may not be created, stops the worker (fatal).
 */
export async function ensureTable(api: DynamoApi, name: string, ks: KeySchema, o: EnsureOptions, signal?: AbortSignal): Promise<void> {
  const expected = [`${ks.hash.name}:HASH:${ks.hash.type}`, ...(ks.range ? [`${ks.range.name}:RANGE:${ks.range.type}`] : [])].join(',');
  let created = false;
  for (let attempt = 0; ; attempt++) {
    let desc;
    try {
      desc = (await api.describeTable({ TableName: name })).Table;
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
    if (!desc) {
      if (!o.createTables) throw new FerryError('FERRY_CONFIG_INVALID', `DynamoDB table ${name} does not exist (createTables is false); create it with key ${expected}`, { disposition: 'fatal' });
      if (!created) {
        await createTable(api, name, ks);
        created = true;
      }
    } else {
      const types = new Map((desc.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
      const actual = (desc.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}:${types.get(k.AttributeName)}`).sort((a, b) => (a.includes(':HASH:') ? -1 : b.includes(':HASH:') ? 1 : 0)).join(',');
      if (actual !== expected) {
        throw new FerryError('FERRY_CONFIG_INVALID', `DynamoDB table ${name} has key ${actual}, but the source’s primary key needs ${expected}`, { disposition: 'fatal' });
      }
      if (desc.TableStatus === 'ACTIVE') {
        if (created && o.ttl) await api.updateTimeToLive({ TableName: name, TimeToLiveSpecification: { AttributeName: EXPIRES_ATTR, Enabled: true } });
        return;
      }
    }
    if (attempt > 600) throw new FerryError('FERRY_SINK_ERROR', `DynamoDB table ${name} did not become ACTIVE`);
    signal?.throwIfAborted();
    await sleep(Math.min(100 * (attempt + 1), 1000));
  }
}

async function createTable(api: DynamoApi, name: string, ks: KeySchema): Promise<void> {
  const attrs = [ks.hash, ...(ks.range ? [ks.range] : [])];
  try {
    await api.createTable({
      TableName: name, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attrs.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      KeySchema: [{ AttributeName: ks.hash.name, KeyType: 'HASH' }, ...(ks.range ? [{ AttributeName: ks.range.name, KeyType: 'RANGE' as const }] : [])],
    });
  } catch (e: unknown) {
    // Another worker created it at the same time: fine, the caller checks its key schema.
    if ((e as { name?: string }).name !== 'ResourceInUseException') throw new FerryError('FERRY_SINK_ERROR', `creating DynamoDB table ${name}: ${errorMessage(e)}`, { cause: e });
  }
}
