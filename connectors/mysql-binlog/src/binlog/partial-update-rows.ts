/**
 * PARTIAL_UPDATE_ROWS (type 39, MySQL 8.0.3+ with binlog_row_value_options=PARTIAL_JSON): an UPDATE_ROWS v2 event
 * whose after images may carry JSON columns as edits of the before image (json-diff.ts).
 *
 * Layout (MySQL log_event.cc, Rows_log_event::print_verbose_one_row and unpack_row): as UPDATE_ROWS v2 (column
 * count, before and after column bitmaps, then per row a before image and an after image), except that each
 * after image starts with value_options (packed integer); when its bit 0 (PARTIAL_JSON_UPDATES) is set, a bitmap
 * follows with one bit per JSON column of the table (in column order, whether or not the column is in the after
 * image): set means that column's value is a diff. Then the usual null bitmap over the after image's columns and
 * the values; a diff value is a 4-byte length and the edits.
 *
 * Ferry applies each diff to the before image's document and reports ordinary update rows with whole values.
 */
import { FerryError } from '../../../../core/src/errors.ts';
import type { Row } from '../../../../core/src/types.ts';
import { readLenenc } from './binlog-events.ts';
import { applyJsonDiffs, parseJsonDiffs } from './json-diff.ts';
import type { TableDecoder } from './rows-event.ts';
import type { Cursor } from './row-values.ts';

const MYSQL_TYPE_JSON = 245;
const PARTIAL_JSON_UPDATES = 1;

const bit = (b: Buffer, start: number, i: number) => (b[start + (i >> 3)]! & (1 << (i & 7))) !== 0;

/** The before/after pairs of a PARTIAL_UPDATE_ROWS event whose body (column count onwards) is [bodyStart, end). */
export function decodePartialRows(b: Buffer, bodyStart: number, end: number, t: TableDecoder, where: string): Array<{ before: Row; after: Row }> {
  try {
    return decode(b, bodyStart, end, t);
  } catch (e: unknown) {
    if (e instanceof FerryError) throw e;
    throw new FerryError('FERRY_SOURCE_ERROR',
      `cannot decode the partial JSON update (PARTIAL_UPDATE_ROWS event) of ${t.schema}.${t.table} at ${where}: ${(e as Error).message}. ` +
      "Set binlog_row_value_options='' on the source so that updates carry whole JSON documents, then re-copy the table",
      { cause: e, disposition: 'fatal', details: { position: where } });
  }
}

function decode(b: Buffer, bodyStart: number, end: number, t: TableDecoder): Array<{ before: Row; after: Row }> {
  const metas = t.metas;
  if (!metas) throw new Error('no column metadata for the table');
  const c: Cursor = { buf: b, pos: bodyStart };
  const count = readLenenc(b, c);
  if (count !== t.names.length || count !== metas.length) throw new Error(`the event has ${count} columns, the table map ${t.names.length}`);
  const bitmapBytes = (count + 7) >> 3;
  const present = c.pos;
  const presentAfter = present + bitmapBytes;
  c.pos = presentAfter + bitmapBytes;
  /** JSON column i is the jsonOrdinal[i]-th JSON column (-1: not JSON). */
  const jsonOrdinal: number[] = [];
  let jsonCount = 0;
  for (const m of metas) jsonOrdinal.push(m.type === MYSQL_TYPE_JSON ? jsonCount++ : -1);
  const out: Array<{ before: Row; after: Row }> = [];
  while (c.pos < end) {
    const beforeJson = new Map<number, Buffer | null>();
    const before = image(c, t, present, count, (i, start) => {
      if (jsonOrdinal[i]! >= 0) beforeJson.set(i, start < 0 ? null : b.subarray(start + metas[i]!.meta, c.pos));
    });
    const options = readLenenc(b, c);
    let partialBits = -1;
    if ((options & PARTIAL_JSON_UPDATES) !== 0) {
      partialBits = c.pos;
      c.pos += (jsonCount + 7) >> 3;
    }
    const after = image(c, t, presentAfter, count, undefined, (i) => {
      if (partialBits < 0 || jsonOrdinal[i]! < 0 || !bit(b, partialBits, jsonOrdinal[i]!)) return undefined;
      const doc = beforeJson.get(i);
      if (doc === undefined || doc === null) throw new Error(`column ${t.names[i]} has a JSON diff but no before value (binlog_row_image must be FULL)`);
      if (c.pos + 4 > end) throw new Error('a JSON diff runs past the event');
      const length = b.readUInt32LE(c.pos);
      const start = c.pos + 4;
      if (start + length > end) throw new Error(`a JSON diff of ${length} bytes runs past the event`);
      c.pos = start + length;
      return applyJsonDiffs(doc, parseJsonDiffs(b, start, start + length));
    });
    out.push({ before, after });
  }
  if (c.pos !== end) throw new Error(`the rows overran the event's end by ${c.pos - end} bytes: its column types do not match Ferry's schema of the table`);
  return out;
}

/**
 * One image: the null bitmap over the present columns, then their values. `seen(i, start)` is told where each
 * present column's bytes began (-1 when null); `special(i)` may decode a column itself (undefined: not taken).
 */
function image(c: Cursor, t: TableDecoder, present: number, count: number,
  seen?: (i: number, start: number) => void, special?: (i: number) => string | undefined): Row {
  const b = c.buf;
  let n = 0;
  for (let i = 0; i < count; i++) if (bit(b, present, i)) n++;
  const nulls = c.pos;
  c.pos += (n + 7) >> 3;
  const row: Row = {};
  let j = 0;
  for (let i = 0; i < count; i++) {
    if (!bit(b, present, i)) continue;
    if (bit(b, nulls, j++)) {
      row[t.names[i]!] = null;
      seen?.(i, -1);
      continue;
    }
    const start = c.pos;
    const v = special?.(i);
    row[t.names[i]!] = v !== undefined ? v : t.decoders[i]!(c);
    seen?.(i, start);
  }
  return row;
}
