/**
 * Items over DynamoDB's 400 KB limit (lob.mode), never dropped silently:
 *
 *   truncate  the largest S/B attributes (never key attributes) are cut, largest first, until the item fits; their
 *             names are listed in _ferry_truncated (SS). Strings are cut on a UTF-8 character boundary.
 *   dlq       the change is rejected to the dead-letter queue with the item's size in the reason.
 *   s3        the largest S/B values are uploaded to <location>/<table>/<sha256> and replaced by
 *             M { uri: S, sha256: S, size: N } (size in bytes of the UTF-8 text or the binary), listed in
 *             _ferry_offloaded (SS). Objects are content-addressed, so a retried write uploads the same object.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../../runtime/src/storage/object-store.ts';
import type { AttributeValue, Item } from './dynamo-api.ts';
import { itemSize, valueSize } from './item-codec.ts';

export const TRUNCATED_ATTR = '_ferry_truncated';
export const OFFLOADED_ATTR = '_ferry_offloaded';

export type LobMode = 'truncate' | 'dlq' | 's3';

export type LobOutcome = { readonly item: Item } | { readonly reason: string };

/** Room kept for the _ferry_truncated / _ferry_offloaded list and the {uri, sha256, size} references. */
const SLACK = 2048;

/** The candidates to shrink: string and binary attributes, largest first. */
function candidates(item: Item, keys: ReadonlySet<string>): string[] {
  return Object.keys(item)
    .filter((k) => !keys.has(k) && !k.startsWith('_ferry_') && (item[k]!.S !== undefined || item[k]!.B !== undefined))
    .sort((a, b) => valueSize(item[b]!) - valueSize(item[a]!));
}

/** The longest prefix of `s` whose UTF-8 encoding has at most `bytes` bytes. */
export function truncateUtf8(s: string, bytes: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= bytes) return s;
  let end = Math.max(0, bytes);
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

function truncate(item: Item, keys: ReadonlySet<string>, max: number): LobOutcome {
  const out: Item = { ...item };
  const cut: string[] = [];
  for (const name of candidates(out, keys)) {
    const over = itemSize(out) + SLACK - max;
    if (over <= 0) break;
    const v = out[name]!;
    const size = valueSize(v);
    const keep = Math.max(0, size - over);
    out[name] = v.S !== undefined ? { S: truncateUtf8(v.S, keep) } : { B: v.B!.subarray(0, keep) };
    cut.push(name);
  }
  if (cut.length) out[TRUNCATED_ATTR] = { SS: cut };
  const size = itemSize(out);
  return size <= max ? { item: out } : { reason: `item is ${size} bytes after truncating every string/binary attribute, over ${max}` };
}

async function offload(item: Item, keys: ReadonlySet<string>, max: number, store: ObjectStore, table: string): Promise<LobOutcome> {
  const out: Item = { ...item };
  const moved: string[] = [];
  for (const name of candidates(out, keys)) {
    if (itemSize(out) + SLACK <= max) break;
    const v = out[name]!;
    const body = v.S !== undefined ? Buffer.from(v.S, 'utf8') : Buffer.from(v.B!);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = `${table}/${sha256}`;
    await store.putBytes(key, body);
    const ref: AttributeValue = { M: { uri: { S: store.urlOf(key) }, sha256: { S: sha256 }, size: { N: String(body.length) } } };
    out[name] = ref;
    moved.push(name);
  }
  if (moved.length) out[OFFLOADED_ATTR] = { SS: moved };
  const size = itemSize(out);
  return size <= max ? { item: out } : { reason: `item is ${size} bytes after offloading every string/binary attribute to S3, over ${max}` };
}

/** Applies the LOB rule to an item over `max` bytes (items within the limit come back unchanged). */
export async function fitItem(item: Item, keys: ReadonlySet<string>, o: { mode: LobMode; max: number; table: string; store: () => Promise<ObjectStore> }): Promise<LobOutcome> {
  const size = itemSize(item);
  if (size <= o.max) return { item };
  switch (o.mode) {
    case 'dlq': return { reason: `item is ${size} bytes, over the ${o.max}-byte DynamoDB item limit (lob.mode dlq)` };
    case 'truncate': return truncate(item, keys, o.max);
    case 's3': return offload(item, keys, o.max, await o.store(), o.table);
  }
}
