/** Rebuilds table state from what a Kinesis stream holds (JSON payloads), reading every shard and de-aggregating. */
import { deaggregate, readStream } from './kinesis.ts';

export interface KinesisDoc {
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export interface StreamState {
  /** id → the row's latest data (deleted rows absent). */
  readonly rows: Map<string, Record<string, unknown>>;
  /** User records read (duplicates included). */
  readonly records: number;
  /** Distinct changes, by (source-stream, source-sequence). */
  readonly changes: number;
  readonly docs: KinesisDoc[];
}

/** Each shard in sequence order; a key lives in one shard (primary-key partition keys), so its changes apply in order. */
export async function streamState(stream: string, idColumn = 'id'): Promise<StreamState> {
  const raw = await readStream(stream);
  raw.sort((a, b) => (a.shardId === b.shardId ? (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1) : a.shardId < b.shardId ? -1 : 1));
  const docs = raw.flatMap((r) => deaggregate(r)).map((u) => JSON.parse(u.data.toString()) as KinesisDoc);
  const rows = new Map<string, Record<string, unknown>>();
  const seen = new Set<string>();
  for (const d of docs) {
    const id = `${String(d.metadata['source-stream'])}@${String(d.metadata['source-sequence'])}`;
    // A redelivered change (after a crash) is skipped: it was applied when first seen.
    if (seen.has(id)) continue;
    seen.add(id);
    const key = String(d.data[idColumn]);
    if (d.metadata.operation === 'delete') rows.delete(key);
    else rows.set(key, d.data);
  }
  return { rows, records: docs.length, changes: seen.size, docs };
}
