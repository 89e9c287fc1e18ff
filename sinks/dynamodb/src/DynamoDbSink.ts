/**
 * The DynamoDB sink: one DynamoDB table per source table, one item per primary key, every write conditional on the
 * change's source position (`_ferry_pos`) so an older change never replaces a newer one. See docs/sinks/dynamodb.md.
 *
 *   per batch  group by target table → keep the newest change per key (by position) → encode the item (types,
 *              LOB rule) → make sure the table exists → write (conditional PutItem, or BatchGetItem + BatchWriteItem)
 *   deletes    a tombstone item (key, _ferry_pos, _ferry_deleted, _ferry_expires), or a conditional DeleteItem
 *
 * Position (sorts in log order, comparable across batches, restarts and both modes):
 *   direct mode  <source position>#<event ordinal, 19 digits>
 *   Kafka mode   <source position from the source block>#<Kafka offset, 19 digits>
 * Changes of one transaction share the source position; the ordinal (direct) or offset (Kafka; a key lives in one
 * partition) orders them. A record whose source block has no position gets `#<offset>`, which sorts before every
 * source position: it is only written where the item has no position from the log.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { binlogPosition, lsnPosition } from '../../../core/src/position.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import { openObjectStore, type ObjectStore } from '../../../runtime/src/storage/object-store.ts';
import { dynamoSchema, type DynamoConfig, type DynamoConfigInput } from './config.ts';
import { openDynamoApi, isNotFound, type DynamoApi, type Item } from './dynamo-api.ts';
import { encodeRow, tableCodec, ValueRejected, type TableCodec } from './item-codec.ts';
import { fitItem } from './lob.ts';
import { mappedItems, type MappedItems } from './mapped-items.ts';
import { ObjectMappings, SOURCE_TABLE_FIELDS } from '../../../runtime/src/mapping/object-mapping-apply.ts';
import { DELETED_ATTR, ensureTable, EXPIRES_ATTR, keyId, keyOf, keySchemaOf, POS_ATTR, targetTableName, type KeySchema } from './tables.ts';
import { AdaptiveBackoff, writeBatched, writeConditional, type WriteOp, type WriterStats } from './writer.ts';

export const DYNAMO_SOURCE_FIELDS = ['ts_ms', 'file', 'pos', 'lsn'] as const;

export interface DynamoDbSinkOptions {
  readonly name?: string;
  readonly config: DynamoConfigInput;
  /** Use this client instead of opening config.client (tests wrap the real client with fault injection). */
  readonly api?: DynamoApi;
  /** Use this store for offloaded values instead of opening config.lob.s3.location. */
  readonly lobStore?: ObjectStore;
  /** The task's table mapping: its object-mapping rules shape the items (mapped-items.ts). */
  readonly tableMappings?: unknown;
}

interface TableInfo {
  readonly name: string;
  readonly keys: KeySchema;
  readonly keyNames: ReadonlySet<string>;
  readonly codec: TableCodec;
  /** The table's object-mapping rule, when one names it. */
  readonly mapped: MappedItems | null;
}

/** The key attributes of an item; a missing (NULL) key attribute rejects the change. */
function itemKey(keys: KeySchema, item: Item): Item {
  for (const a of [keys.hash, keys.range]) {
    if (a && !keys.composite && item[a.name] === undefined) throw new ValueRejected(`key attribute ${a.name} is NULL or missing`);
  }
  return keyOf(keys, item);
}

const pad19 = (n: bigint | number) => String(n).padStart(19, '0');

/** The source position of a record (Ferry's Position format), from the record (direct) or its source block (Kafka). */
export function sourcePosition(r: SinkRecord): string | null {
  if (r.position !== null) return r.position;
  const s = r.envelope.source;
  if (s.lsn !== undefined && s.lsn !== null) return lsnPosition(BigInt(s.lsn as number));
  if (typeof s.file === 'string' && s.file !== '' && s.pos !== undefined && s.pos !== null) {
    try {
      return binlogPosition({ file: s.file, pos: Number(s.pos) });
    } catch {
      return null;
    }
  }
  return null;
}

/** The value stored in _ferry_pos: sorts in log order. */
export function itemPosition(r: SinkRecord): string {
  const tie = r.offset !== null ? pad19(r.offset) : pad19(r.event ?? 0);
  return `${sourcePosition(r) ?? ''}#${tie}`;
}

export class DynamoDbSink implements RecordSink {
  readonly name: string;
  readonly config: DynamoConfig;
  readonly batchPolicy: { maxRecords: number; maxDelayMs: number };
  readonly sourceFields: readonly string[];
  readonly stats: WriterStats = { written: 0, stale: 0, throttled: 0, unprocessed: 0, requests: 0 };
  readonly backoff = new AdaptiveBackoff();
  #api: DynamoApi | null;
  readonly #ownsApi: boolean;
  #lobStore: Promise<ObjectStore> | null;
  readonly #tables = new WeakMap<SinkTable, TableInfo>();
  readonly #objectMappings: ObjectMappings;
  /** DynamoDB table → the source table writing it: two source tables never share one (target-table-name). */
  readonly #owners = new Map<string, string>();
  readonly #ready = new Set<string>();

  constructor(o: DynamoDbSinkOptions) {
    this.config = dynamoSchema.parse(o.config);
    this.name = o.name ?? 'dynamodb';
    this.batchPolicy = { maxRecords: this.config.maxBatchRecords, maxDelayMs: this.config.maxBatchDelayMs };
    this.#api = o.api ?? null;
    this.#ownsApi = !o.api;
    this.#lobStore = o.lobStore ? Promise.resolve(o.lobStore) : null;
    this.#objectMappings = ObjectMappings.from(o.tableMappings);
    // Object-mapping rules match tables by their source names, from the source block.
    this.sourceFields = this.#objectMappings.any ? [...DYNAMO_SOURCE_FIELDS, ...SOURCE_TABLE_FIELDS] : DYNAMO_SOURCE_FIELDS;
  }

  async api(): Promise<DynamoApi> {
    this.#api ??= await openDynamoApi(this.config.client);
    return this.#api;
  }

  #lob(): Promise<ObjectStore> {
    const s3 = this.config.lob.s3;
    if (!s3) throw new FerryError('FERRY_CONFIG_INVALID', 'lob.s3 is required for lob.mode s3', { disposition: 'fatal' });
    this.#lobStore ??= openObjectStore(s3.location, s3.client);
    return this.#lobStore;
  }

  /** The target table of a source table version, or null when it has no primary key. */
  tableInfo(t: SinkTable, r?: SinkRecord): TableInfo | null {
    let info = this.#tables.get(t);
    if (!info) {
      const codec = tableCodec(t, this.config);
      const rule = r ? this.#objectMappings.forRecord(r) : this.#objectMappings.forTable(t);
      const mapped = rule ? mappedItems(rule, t, codec, this.config) : null;
      const keys = mapped ? mapped.keys : keySchemaOf(t, this.config);
      if (!keys) return null;
      const name = rule?.rule.targetTableName ?? targetTableName(this.config.tableName, this.config.tables, t);
      const source = `${t.schema}.${t.table}`;
      const owner = this.#owners.get(name);
      if (owner !== undefined && owner !== source) {
        throw new FerryError('FERRY_DESTINATION_COLLISION', `${source} and ${owner} both map to DynamoDB table ${name}${rule?.rule.targetTableName ? ` (target-table-name of object-mapping rule ${rule.rule.ruleId})` : ''}; give each table its own`, { disposition: 'fatal' });
      }
      this.#owners.set(name, source);
      info = { name, keys, keyNames: new Set([keys.hash.name, ...(keys.range ? [keys.range.name] : [])]), codec, mapped };
      this.#tables.set(t, info);
    }
    return info;
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const rejected: RejectedRecord[] = [];
    // The newest change per (table, key), by position.
    const latest = new Map<string, { info: TableInfo; key: Item; item: Item | null; pos: string; record: SinkRecord }>();
    for (const r of records) {
      if (r.envelope.op === 't') {
        if (this.config.truncate === 'dlq') rejected.push({ record: r, reason: 'TRUNCATE is not applied to DynamoDB (truncate: dlq); empty the table yourself if needed' });
        continue;
      }
      const info = this.tableInfo(r.table, r);
      if (!info) {
        const why = `${r.table.schema}.${r.table.table} has no primary key, so its rows have no DynamoDB item key`;
        if (this.config.noPrimaryKey === 'fail') throw new FerryError('FERRY_UNSUPPORTED', `${why} (noPrimaryKey: fail)`, { disposition: 'fatal' });
        rejected.push({ record: r, reason: `${why} (noPrimaryKey: dlq)` });
        continue;
      }
      try {
        const { op, before } = r.envelope;
        const ruleKey = info.mapped?.ruleKey === true;
        // A key computed by an object-mapping rule comes from the whole row: a delete needs the before image.
        const row = op === 'd' ? (ruleKey ? before : (before ?? r.key)) : r.envelope.after;
        if (!row) throw new ValueRejected(`a ${op} change without ${op === 'd' ? (ruleKey ? 'before image (object-mapping rule ' + info.mapped!.mapping.rule.ruleId + ' computes the item key from the row)' : 'before image or key') : 'after image'}`);
        const item = op === 'd' ? (ruleKey ? info.mapped!.encode(row) : keyItem(info, row)) : info.mapped ? info.mapped.encode(row) : encodeRow(info.codec, row);
        const key = itemKey(info.keys, item);
        const pos = itemPosition(r);
        const keep = (k: Item, it: Item | null) => {
          const id = `${info.name}\u0000${keyId(info.keys, k)}`;
          const prev = latest.get(id);
          if (!prev || prev.pos < pos) latest.set(id, { info, key: k, item: it, pos, record: r });
        };
        // An update that changes a rule-computed key moves the item: the old key's item is deleted at this position.
        if (op === 'u' && ruleKey && before) {
          const old = itemKey(info.keys, info.mapped!.encode(before));
          if (keyId(info.keys, old) !== keyId(info.keys, key)) keep(old, null);
        }
        keep(key, op === 'd' ? null : item);
      } catch (e: unknown) {
        if (!(e instanceof ValueRejected)) throw e;
        rejected.push({ record: r, reason: e.message });
      }
    }
    const ops: WriteOp[] = [];
    const nowS = Math.floor(Date.now() / 1000);
    for (const x of latest.values()) {
      if (x.item === null) {
        if (this.config.deletes === 'delete') { ops.push({ table: x.info.name, key: x.key, item: null, pos: x.pos, record: x.record }); continue; }
        const tomb: Item = { ...x.key, [POS_ATTR]: { S: x.pos }, [DELETED_ATTR]: { BOOL: true } };
        if (this.config.tombstoneTtlSeconds > 0) tomb[EXPIRES_ATTR] = { N: String(nowS + this.config.tombstoneTtlSeconds) };
        ops.push({ table: x.info.name, key: x.key, item: tomb, pos: x.pos, record: x.record });
        continue;
      }
      x.item[POS_ATTR] = { S: x.pos };
      const fit = await fitItem(x.item, x.info.keyNames, { mode: this.config.lob.mode, max: this.config.lob.maxItemBytes, table: x.info.name, store: () => this.#lob() });
      if ('reason' in fit) rejected.push({ record: x.record, reason: fit.reason });
      else ops.push({ table: x.info.name, key: x.key, item: fit.item, pos: x.pos, record: x.record });
    }
    const api = await this.api();
    for (const op of ops) {
      if (this.#ready.has(op.table)) continue;
      const info = this.tableInfo(op.record.table)!;
      await ensureTable(api, op.table, info.keys, { createTables: this.config.createTables, ttl: this.config.deletes === 'tombstone' && this.config.tombstoneTtlSeconds > 0 }, ctx.signal);
      this.#ready.add(op.table);
    }
    const before = { ...this.stats };
    const o = { api, concurrency: this.config.concurrency, backoff: this.backoff, stats: this.stats, signal: ctx.signal };
    let outcomes;
    try {
      outcomes = this.config.writeMode === 'batch' ? await writeBatched(ops, o) : await writeConditional(ops, o);
    } catch (e: unknown) {
      if (isNotFound(e)) this.#ready.clear();
      throw e;
    }
    for (const [op, r] of outcomes) if (typeof r === 'object') rejected.push({ record: op.record, reason: r.reason });
    this.#count(ctx, before);
    return rejected.length ? { rejected } : {};
  }

  #count(ctx: SinkWriteContext, before: WriterStats): void {
    const m = ctx.metrics;
    const labels = { sink: this.name };
    m.counter('sink_dynamodb_stale_total', 'DynamoDB writes refused because the item holds a newer change (_ferry_pos)', ['sink']).inc(labels, this.stats.stale - before.stale);
    m.counter('sink_dynamodb_throttled_total', 'DynamoDB requests throttled and retried', ['sink']).inc(labels, this.stats.throttled - before.throttled);
    m.counter('sink_dynamodb_unprocessed_total', 'Items or keys DynamoDB left unprocessed in batch calls, retried', ['sink']).inc(labels, this.stats.unprocessed - before.unprocessed);
    m.counter('sink_dynamodb_requests_total', 'DynamoDB data requests sent', ['sink']).inc(labels, this.stats.requests - before.requests);
  }

  async close(): Promise<void> {
    if (this.#ownsApi) this.#api?.close();
    this.#api = null;
    const store = this.#lobStore;
    this.#lobStore = null;
    if (store) await (await store).close();
  }
}

/** The key attributes of a delete (only the key columns are encoded). */
function keyItem(info: TableInfo, row: Readonly<Record<string, unknown>>): Item {
  const { codec } = info;
  const item: Item = {};
  for (const i of codec.keyIndexes) {
    if (i < 0) continue;
    const col = codec.columns[i]!;
    const v = row[col.name];
    if (v === null || v === undefined) throw new ValueRejected(`key column ${col.name} is null`);
    item[col.name] = codec.encoders[i]!(v);
  }
  return item;
}
