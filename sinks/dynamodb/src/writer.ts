/**
 * Applies one batch's last change per key to DynamoDB, protected by the source position stored in _ferry_pos.
 *
 *   conditional  PutItem (or DeleteItem) per key with
 *                  ConditionExpression: attribute_not_exists(_ferry_pos) OR _ferry_pos < :pos
 *                DynamoDB checks the order at write time, so nothing older ever replaces something newer, whoever
 *                writes it (a retry, a redelivered batch, a zombie worker after a rebalance).
 *   batch        BatchGetItem the keys' current _ferry_pos (consistent read), drop changes that are not newer, then
 *                BatchWriteItem 25 at a time. UnprocessedItems/UnprocessedKeys are retried with the adaptive backoff.
 *                Safe against retries and redelivery; a concurrent writer between the read and the write is not
 *                caught (see docs/sinks/dynamodb.md).
 *
 * Throttling (any call) and unprocessed items share one AdaptiveBackoff per sink: every request waits while it is
 * backing off, the delay doubles on each throttle (50 ms → 5 s, with jitter) and halves on each success.
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import type { DynamoApi, Item, AttributeValue } from './dynamo-api.ts';
import { isConditionFailed, isItemInvalid, isThrottle } from './dynamo-api.ts';
import { POS_ATTR } from './tables.ts';

export interface WriteOp {
  readonly table: string;
  readonly key: Item;
  /** The item to put (a row or a tombstone), or null for DeleteItem. */
  readonly item: Item | null;
  readonly pos: string;
  readonly record: SinkRecord;
}

export type Outcome = 'written' | 'stale' | { readonly reason: string };

export interface WriterStats {
  written: number;
  stale: number;
  throttled: number;
  unprocessed: number;
  requests: number;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (ms <= 0) return resolve();
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = () => { clearTimeout(t); reject(signal!.reason as Error); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

export class AdaptiveBackoff {
  readonly base: number;
  readonly cap: number;
  #delay = 0;
  #until = 0;

  constructor(base = 50, cap = 5000) {
    this.base = base;
    this.cap = cap;
  }

  get delayMs(): number {
    return this.#delay;
  }

  /** Waits while the sink is backing off. */
  async ready(signal?: AbortSignal): Promise<void> {
    while (Date.now() < this.#until) await sleep(this.#until - Date.now(), signal);
  }

  /** A throttle or unprocessed items: back off longer (everyone waits). */
  slowDown(): void {
    this.#delay = Math.min(this.cap, Math.max(this.base, this.#delay * 2));
    this.#until = Math.max(this.#until, Date.now() + this.#delay * (0.5 + Math.random() / 2));
  }

  success(): void {
    this.#delay = this.#delay / 2 < this.base ? 0 : this.#delay / 2;
  }
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

const CONDITION = 'attribute_not_exists(#p) OR #p < :p';
const NAMES = { '#p': POS_ATTR };
/** Throttles of one request tolerated before the batch fails (and the runtime retries it). */
const MAX_THROTTLES = 12;

export interface WriterOptions {
  readonly api: DynamoApi;
  readonly concurrency: number;
  readonly backoff: AdaptiveBackoff;
  readonly stats: WriterStats;
  readonly signal?: AbortSignal;
}

async function withThrottleRetry<T>(o: WriterOptions, call: () => Promise<T>): Promise<T> {
  for (let throttles = 0; ; ) {
    await o.backoff.ready(o.signal);
    o.stats.requests++;
    try {
      const out = await call();
      o.backoff.success();
      return out;
    } catch (e: unknown) {
      if (!isThrottle(e) || ++throttles > MAX_THROTTLES) throw e;
      o.stats.throttled++;
      o.backoff.slowDown();
    }
  }
}

/** One conditional PutItem/DeleteItem per op. */
export async function writeConditional(ops: readonly WriteOp[], o: WriterOptions): Promise<Map<WriteOp, Outcome>> {
  const out = new Map<WriteOp, Outcome>();
  await pool(ops, o.concurrency, async (op) => {
    const values = { ':p': { S: op.pos } };
    try {
      await withThrottleRetry(o, () => (op.item
        ? o.api.putItem({ TableName: op.table, Item: op.item, ConditionExpression: CONDITION, ExpressionAttributeNames: NAMES, ExpressionAttributeValues: values })
        : o.api.deleteItem({ TableName: op.table, Key: op.key, ConditionExpression: CONDITION, ExpressionAttributeNames: NAMES, ExpressionAttributeValues: values })));
      out.set(op, 'written');
      o.stats.written++;
    } catch (e: unknown) {
      if (isConditionFailed(e)) {
        out.set(op, 'stale');
        o.stats.stale++;
      } else if (isItemInvalid(e)) {
        out.set(op, { reason: `DynamoDB refused the item: ${(e as Error).message}` });
      } else {
        throw e;
      }
    }
  });
  return out;
}

const keyString = (key: Item, names: readonly string[]) => JSON.stringify(names.map((n) => attrText(key[n])));
const attrText = (v: AttributeValue | undefined) => (v === undefined ? null : v.S ?? v.N ?? (v.B ? Buffer.from(v.B).toString('base64') : null));

/** Reads the current _ferry_pos of each op's key (BatchGetItem, 100 keys per call, consistent). */
async function currentPositions(ops: readonly WriteOp[], o: WriterOptions): Promise<Map<WriteOp, string | null>> {
  const out = new Map<WriteOp, string | null>();
  const chunks: WriteOp[][] = [];
  for (let i = 0; i < ops.length; i += 100) chunks.push(ops.slice(i, i + 100));
  await pool(chunks, o.concurrency, async (chunk) => {
    const table = chunk[0]!.table;
    const names = Object.keys(chunk[0]!.key);
    const byKey = new Map(chunk.map((op) => [keyString(op.key, names), op]));
    const attrNames: Record<string, string> = { '#p': POS_ATTR };
    names.forEach((n, i) => { attrNames[`#k${i}`] = n; });
    const projection = ['#p', ...names.map((_n, i) => `#k${i}`)].join(', ');
    let keys: Item[] = chunk.map((op) => op.key);
    while (keys.length > 0) {
      const res = await withThrottleRetry(o, () => o.api.batchGetItem({
        RequestItems: { [table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: projection, ExpressionAttributeNames: attrNames } },
      }));
      for (const item of res.Responses?.[table] ?? []) {
        const op = byKey.get(keyString(item, names));
        if (op) out.set(op, item[POS_ATTR]?.S ?? null);
      }
      keys = res.UnprocessedKeys?.[table]?.Keys ?? [];
      if (keys.length > 0) {
        o.stats.unprocessed += keys.length;
        o.backoff.slowDown();
      }
    }
  });
  for (const op of ops) if (!out.has(op)) out.set(op, null);
  return out;
}

/** BatchWriteItem for the ops newer than what the table holds; unprocessed items retried with backoff. */
export async function writeBatched(ops: readonly WriteOp[], o: WriterOptions): Promise<Map<WriteOp, Outcome>> {
  const out = new Map<WriteOp, Outcome>();
  const byTable = new Map<string, WriteOp[]>();
  for (const op of ops) {
    let list = byTable.get(op.table);
    if (!list) byTable.set(op.table, (list = []));
    list.push(op);
  }
  const fresh: WriteOp[][] = [];
  for (const list of byTable.values()) {
    const current = await currentPositions(list, o);
    const newer = list.filter((op) => {
      const cur = current.get(op);
      if (cur !== null && cur !== undefined && cur >= op.pos) {
        out.set(op, 'stale');
        o.stats.stale++;
        return false;
      }
      return true;
    });
    for (let i = 0; i < newer.length; i += 25) fresh.push(newer.slice(i, i + 25));
  }
  await pool(fresh, o.concurrency, async (chunk) => {
    const table = chunk[0]!.table;
    let requests = chunk.map((op) => (op.item ? { PutRequest: { Item: op.item } } : { DeleteRequest: { Key: op.key } }));
    try {
      while (requests.length > 0) {
        const res = await withThrottleRetry(o, () => o.api.batchWriteItem({ RequestItems: { [table]: requests } }));
        requests = (res.UnprocessedItems?.[table] ?? []) as typeof requests;
        if (requests.length > 0) {
          o.stats.unprocessed += requests.length;
          o.backoff.slowDown();
        }
      }
      for (const op of chunk) out.set(op, 'written');
      o.stats.written += chunk.length;
    } catch (e: unknown) {
      if (!isItemInvalid(e)) throw e;
      // One item of the call is invalid (the whole call was refused): find it with one conditional write each.
      for (const [op, r] of await writeConditional(chunk, { ...o, concurrency: 4 })) out.set(op, r);
    }
  });
  return out;
}
