/**
 * Reads a Ferry data topic back from Kafka, decodes every record through the schema registry (by the schema id in
 * each record), and rebuilds the latest row per key, as a compacting consumer would. Used by `ferry demo` to prove
 * that what reached Kafka equals the source.
 */
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { WireDecoder } from '../../../schemas/src/event-encoder.ts';
import { readTopicToEnd } from '../../../runtime/src/kafka/kafka-client.ts';

export interface TopicState {
  /** Latest `after` image per key (JSON of the key); deleted keys are absent. */
  readonly rows: Map<string, Record<string, unknown>>;
  /** Records by op, plus tombstones. */
  readonly ops: Record<string, number>;
  readonly records: number;
  /** One decoded envelope, to show. */
  readonly sample: unknown;
}

export async function readTopicState(options: { brokers: readonly string[]; registryUrl: string; topic: string }): Promise<TopicState> {
  const decoder = new WireDecoder(new ConfluentRegistryClient({ url: options.registryUrl }));
  const records = await readTopicToEnd({ brokers: options.brokers, clientId: 'ferry-demo-reader', topic: options.topic, timeoutMs: 60000 });
  const rows = new Map<string, Record<string, unknown>>();
  const ops: Record<string, number> = {};
  let sample: unknown;
  for (const r of records) {
    const key = r.key ? JSON.stringify((await decoder.decode(r.key)).value, bigintJson) : '';
    if (r.value === null) {
      ops.tombstone = (ops.tombstone ?? 0) + 1;
      rows.delete(key);
      continue;
    }
    const env = (await decoder.decode(r.value)).value as { op: string; after: Record<string, unknown> | null };
    ops[env.op] = (ops[env.op] ?? 0) + 1;
    sample ??= env;
    if (env.op === 'd') rows.delete(key);
    else if (env.after) rows.set(key, env.after);
  }
  return { rows, ops, records: records.length, sample };
}

export function bigintJson(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array || (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')) return Buffer.from(v as Uint8Array).toString('hex');
  return v;
}
