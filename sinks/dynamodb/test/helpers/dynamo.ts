/**
 * Test helpers for the DynamoDB sink against moto: the real client, an independent Scan reader that turns items back
 * into the fixture's canonical text, and a fault-injecting wrapper around the real client.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import type { SinkRecord, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import { COLUMNS_V2, NULL_TEXT, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { services } from '../../../../test/helpers/services.ts';
import { openDynamoApi, type DynamoApi } from '../../src/dynamo-api.ts';
import type { DynamoDbSink } from '../../src/DynamoDbSink.ts';

export const DDB = { endpoint: services.motoUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' } as const;

export const realApi = (): Promise<DynamoApi> => openDynamoApi(DDB);

type Item = Record<string, AttributeValue>;

/** Every item of a table, read with paginated Scan by a client of its own (not the sink's). */
export async function scanAll(table: string): Promise<Item[]> {
  const client = new DynamoDBClient({ endpoint: DDB.endpoint, region: DDB.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  } finally {
    client.destroy();
  }
}

/** Live rows: items that are not tombstones. */
export const liveItems = (items: readonly Item[]): Item[] => items.filter((i) => i._ferry_deleted?.BOOL !== true);

type Spec = (typeof COLUMNS_V2)[number];

function scaleOf(spec: Spec): number {
  const m = /^decimal\(\d+,(\d+)\)/.exec(spec.type);
  return m ? Number(m[1]) : 0;
}

/** A plain decimal string at exactly `scale` fractional digits (DynamoDB normalises N: 12.50 → 12.5). */
export function atScale(text: string, scale: number): string {
  const neg = text.startsWith('-');
  const [int = '0', frac = ''] = (neg ? text.slice(1) : text).split('.');
  const body = scale > 0 ? `${int}.${frac.padEnd(scale, '0')}` : int;
  return neg ? `-${body}` : body;
}

/** One attribute as the fixture's canonical text of its column. */
export function attrCanonical(spec: Spec, v: AttributeValue | undefined): string {
  if (v === undefined || v.NULL) return NULL_TEXT;
  switch (spec.kind) {
    case 'decimal': return atScale(v.N ?? v.S!, scaleOf(spec));
    case 'bool': return String(v.BOOL);
    case 'bytes': return Buffer.from(v.B ?? v.M!.wkb!.B!).toString('hex');
    case 'timestamp': {
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(v.S!);
      if (!m) return `bad timestamp ${v.S}`;
      return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
    }
    default: return normalizeRead(spec, v.N ?? v.S ?? JSON.stringify(v));
  }
}

export function itemCanonical(item: Item, specs: readonly Spec[] = COLUMNS_V2): string {
  return specs.map((c) => attrCanonical(c, item[c.name])).join('|');
}

export const ctx = (metrics = new PromMetrics({ collectProcessMetrics: false })): SinkWriteContext => ({
  signal: new AbortController().signal, log: quietLog(), metrics, report: { file: () => {} },
});

export async function writeAll(sink: DynamoDbSink, records: readonly SinkRecord[], batch = 500): Promise<string[]> {
  const reasons: string[] = [];
  for (let i = 0; i < records.length; i += batch) {
    const res = await sink.write(records.slice(i, i + batch), ctx());
    for (const r of res.rejected ?? []) reasons.push(r.reason);
  }
  return reasons;
}

export interface Faults {
  /** Fraction of PutItem/BatchWriteItem/BatchGetItem calls refused with ProvisionedThroughputExceededException. */
  throttle?: number;
  /** Fraction of each BatchWriteItem's items (and BatchGetItem's keys) left unprocessed. */
  unprocessed?: number;
  /** Fraction of PutItem calls that succeed but whose response is lost (the client sees a network error). */
  lostResponse?: number;
  random?: () => number;
}

const throttleError = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected)'), { name: 'ProvisionedThroughputExceededException' });

/** Wraps the real client: injected throttles, unprocessed items and lost responses; counts what it injected. */
export function faulty(api: DynamoApi, f: Faults): DynamoApi & { injected: { throttles: number; unprocessed: number; lost: number } } {
  const rnd = f.random ?? Math.random;
  const injected = { throttles: 0, unprocessed: 0, lost: 0 };
  const maybeThrottle = () => {
    if (rnd() < (f.throttle ?? 0)) {
      injected.throttles++;
      throw throttleError();
    }
  };
  return {
    ...api,
    injected,
    putItem: async (i) => {
      maybeThrottle();
      const out = await api.putItem(i);
      if (rnd() < (f.lostResponse ?? 0)) {
        injected.lost++;
        throw Object.assign(new Error('socket hang up (injected after the write)'), { name: 'TimeoutError' });
      }
      return out;
    },
    batchWriteItem: async (i) => {
      maybeThrottle();
      const [table, reqs] = Object.entries(i.RequestItems!)[0]!;
      const keep = reqs.filter(() => rnd() >= (f.unprocessed ?? 0));
      const left = reqs.filter((r) => !keep.includes(r));
      injected.unprocessed += left.length;
      if (keep.length > 0) await api.batchWriteItem({ RequestItems: { [table]: keep } });
      return { $metadata: {}, UnprocessedItems: left.length ? { [table]: left } : {} };
    },
    batchGetItem: async (i) => {
      maybeThrottle();
      const [table, req] = Object.entries(i.RequestItems!)[0]!;
      const keys = req.Keys!;
      const keep = keys.filter(() => rnd() >= (f.unprocessed ?? 0));
      const left = keys.filter((k) => !keep.includes(k));
      injected.unprocessed += left.length;
      const res = keep.length > 0 ? await api.batchGetItem({ RequestItems: { [table]: { ...req, Keys: keep } } }) : { $metadata: {}, Responses: { [table]: [] } };
      return { ...res, UnprocessedKeys: left.length ? { [table]: { ...req, Keys: left } } : {} };
    },
  };
}
