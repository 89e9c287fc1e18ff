/**
 * LOB columns and values: which columns count as LOBs, how big a value is, and UTF-8-safe truncation.
 * Pure functions (unit-tested in runtime/test/unit/lob).
 */
import type { Column, Row, TableSchema } from '../../../core/src/types.ts';
import { isLob } from '../mapping/sql-values.ts';
import { ENCODED, imagesBytes, valueBytes as encodedValueBytes } from '../pipeline/row-bytes.ts';

/** Field added to a table's rows in limited mode (or oversize "truncate"): the names of the truncated columns, comma-separated, or null. */
export const TRUNCATED_FIELD = '__ferry_truncated';
/** Suffix of the field that holds a claim-check reference {uri, sha256, size} (JSON text) for column <name>. */
export const REF_SUFFIX = '__ferry_ref';

const UNBOUNDED = /^(character varying|varchar|citext)$/i;

/**
 * A LOB column: a text/blob/json/xml/bytea column by its source type, or a string column with no declared bound
 * (PostgreSQL varchar without a length). Key columns are never treated as LOBs: the key must stay exact.
 */
export function isLobColumn(column: Column, table: Pick<TableSchema, 'primaryKey'>): boolean {
  if (table.primaryKey.includes(column.name)) return false;
  if (column.type.type !== 'string' && column.type.type !== 'bytes') return false;
  return isLob(column) || UNBOUNDED.test(column.sourceType.trim());
}

/**
 * The size in bytes a value takes in an event (row-bytes.ts, ENCODED): strings in UTF-8, buffers by length, numbers
 * and booleans 10, arrays and nested objects by their values; 0 for null.
 */
export function valueBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8'); // the LOB columns' values: no walk needed
  if (Buffer.isBuffer(v)) return v.length;
  return encodedValueBytes(v, ENCODED);
}

/** The bytes of a value to store (strings as UTF-8). */
export function valueBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/**
 * The longest prefix of `s` whose UTF-8 encoding is at most `maxBytes`, never splitting a character
 * (a multi-byte sequence or a surrogate pair). Returns `s` itself when it fits.
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const buf = Buffer.from(s, 'utf8');
  let cut = maxBytes;
  // Back up over continuation bytes (10xxxxxx): the cut then falls before a lead byte, at a character boundary.
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return buf.toString('utf8', 0, cut);
}

/** A value truncated to `maxBytes` (strings at a UTF-8 character boundary, bytes as a copy); `truncated` when it was cut. */
export function truncateValue(v: unknown, maxBytes: number): { value: unknown; truncated: boolean } {
  if (typeof v === 'string') {
    const t = truncateUtf8(v, maxBytes);
    return { value: t, truncated: t.length !== v.length };
  }
  if (Buffer.isBuffer(v) && v.length > maxBytes) return { value: Buffer.copyBytesFrom(v, 0, Math.max(0, maxBytes)), truncated: true };
  return { value: v, truncated: false };
}

/**
 * A conservative estimate of an event's encoded size (row-bytes.ts, ENCODED): the row values of both images and the
 * key (Avro writes a string or bytes as a length and its bytes), plus per-field and envelope overhead (source block,
 * names, op, timestamps).
 */
export function estimateEventBytes(before: Row | null, after: Row | null, key: Row | null): number {
  return imagesBytes(before, after, key, ENCODED);
}
