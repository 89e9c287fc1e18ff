/**
 * Iceberg's bucket[N] partition transform (table spec, Appendix B): the 32-bit Murmur3 hash (x86 variant, seed 0)
 * of the value's bytes — int, long and date as an 8-byte little-endian long, strings as UTF-8, binary as is — and
 * (hash & Integer.MAX_VALUE) % N. Computed per row while staging (DuckDB has no Murmur3).
 */
import type { PrimitiveType } from '../metadata/table-metadata.ts';

export function murmur3(b: Uint8Array): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const n = b.length;
  let h = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = n & 3;
  if (rest === 3) k ^= b[i + 2]! << 16;
  if (rest >= 2) k ^= b[i + 1]! << 8;
  if (rest >= 1) {
    k ^= b[i]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const long8 = Buffer.alloc(8);

/** The types bucket[N] is offered for. */
export const BUCKET_TYPES: readonly PrimitiveType[] = ['int', 'long', 'date', 'string', 'binary'];

/** The Murmur3 hash Iceberg gives a value of `type` (the wire value: number/bigint, days, string, bytes). */
export function icebergHash(type: PrimitiveType, v: unknown): number {
  if (type === 'string') return murmur3(Buffer.from(String(v), 'utf8'));
  if (type === 'binary') return murmur3(v as Uint8Array);
  long8.writeBigInt64LE(typeof v === 'bigint' ? v : BigInt(v as number));
  return murmur3(long8);
}

/** The bucket of a value (null stays null). */
export function bucketOf(type: PrimitiveType, n: number, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return (icebergHash(type, v) & 0x7fffffff) % n;
}
