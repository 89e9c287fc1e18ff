/**
 * Row images of WRITE/UPDATE/DELETE_ROWS events, decoded with one table's column decoders.
 *
 * After the post-header: the column count (lenenc), a bitmap of the columns present in the image (an UPDATE has
 * a second one for its after image), then rows until the end of the event. Each image is a null bitmap over the
 * present columns followed by the values of the present, non-null columns. Columns absent from an image
 * (binlog_row_image=MINIMAL/NOBLOB, which Ferry's prerequisites reject) are left out of the row object.
 */
import type { Row } from '../../../../core/src/types.ts';
import { readLenenc, type RowsKind } from './binlog-events.ts';
import type { BinlogColumnMeta, Cursor, ValueDecoder } from './row-values.ts';

/** How to decode the images of one table version: the names and value decoders of its columns, in order. */
export interface TableDecoder {
  readonly schema: string;
  readonly table: string;
  readonly names: readonly string[];
  readonly decoders: readonly ValueDecoder[];
  /** The TABLE_MAP's column types and metadata (PARTIAL_UPDATE_ROWS needs the JSON columns' length widths). */
  readonly metas?: readonly BinlogColumnMeta[];
}

export type RowImages = Row[] | Array<{ before: Row; after: Row }>;

const bit = (b: Buffer, start: number, i: number) => (b[start + (i >> 3)]! & (1 << (i & 7))) !== 0;

/** The rows of one rows event: images for write/delete, before/after pairs for update. */
export function decodeRows(b: Buffer, bodyStart: number, end: number, kind: RowsKind, t: TableDecoder): RowImages {
  const c: Cursor = { buf: b, pos: bodyStart };
  const count = readLenenc(b, c);
  if (count !== t.names.length) {
    throw new Error(`a rows event for ${t.schema}.${t.table} has ${count} columns, its table map ${t.names.length}`);
  }
  const bitmapBytes = (count + 7) >> 3;
  const present = c.pos;
  c.pos += bitmapBytes;
  let presentAfter = present;
  if (kind === 'update') {
    presentAfter = c.pos;
    c.pos += bitmapBytes;
  }
  const all = allSet(b, present, count);
  const allAfter = kind === 'update' ? allSet(b, presentAfter, count) : all;
  if (kind === 'update') {
    const out: Array<{ before: Row; after: Row }> = [];
    while (c.pos < end) {
      const before = readImage(c, t, present, all, count);
      const after = readImage(c, t, presentAfter, allAfter, count);
      out.push({ before, after });
    }
    checkEnd(c, end, t);
    return out;
  }
  const out: Row[] = [];
  while (c.pos < end) out.push(readImage(c, t, present, all, count));
  checkEnd(c, end, t);
  return out;
}

function checkEnd(c: Cursor, end: number, t: TableDecoder): void {
  if (c.pos !== end) throw new Error(`a rows event for ${t.schema}.${t.table} overran its end by ${c.pos - end} bytes: its column types do not match Ferry's schema of the table`);
}

function allSet(b: Buffer, start: number, count: number): boolean {
  for (let i = 0; i < count; i++) if (!bit(b, start, i)) return false;
  return true;
}

function readImage(c: Cursor, t: TableDecoder, present: number, all: boolean, count: number): Row {
  const b = c.buf;
  const names = t.names;
  const decoders = t.decoders;
  const row: Row = {};
  const nulls = c.pos;
  if (all) {
    c.pos += (count + 7) >> 3;
    for (let i = 0; i < count; i++) {
      row[names[i]!] = (b[nulls + (i >> 3)]! & (1 << (i & 7))) !== 0 ? null : decoders[i]!(c);
    }
    return row;
  }
  let n = 0;
  for (let i = 0; i < count; i++) if (bit(b, present, i)) n++;
  c.pos += (n + 7) >> 3;
  let j = 0;
  for (let i = 0; i < count; i++) {
    if (!bit(b, present, i)) continue;
    row[names[i]!] = bit(b, nulls, j) ? null : decoders[i]!(c);
    j++;
  }
  return row;
}
