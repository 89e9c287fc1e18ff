/**
 * The size of change events, from one walk over their row values. The walk counts what the rows hold (a RowShape:
 * how many strings and their length, numbers, buffers and their bytes, nested objects, ...); a profile prices those
 * counts. One walk thus serves every profile that walks the same way, and a batch is walked once for both the
 * queue's byte budget and the DMS metrics (the sample is kept per events array).
 *
 * Profiles:
 * - MEMORY: what an event costs to hold (the byte budgets settings.batch.maxBytes and queueBytes; event-bytes.ts).
 *   V8 on 64-bit Node: 8-byte fields, 16-byte string and number headers; Buffers counted by their length.
 * - PAYLOAD: the bytes of the row images (the DMS bandwidth metrics; metrics/dms-metrics.ts): strings by length,
 *   numbers 8, buffers by length.
 * - ENCODED: a conservative bound of an event's encoded size (the LOB stage's oversize handling; lob/lob-values.ts):
 *   strings as UTF-8, Avro's varints at their 10-byte worst, an envelope allowance, and the key walked too.
 *
 * A batch is estimated from three of its events (first, middle, last) times its length, so the cost per batch stays
 * constant however large the batch: the events of one source batch come from the same transaction or snapshot chunk
 * and are alike in size.
 */
import type { ChangeEvent, Row } from '../../../core/src/types.ts';

/** What a walk counts. Nested objects and arrays deeper than the walk's maxDepth count once each as `deep`. */
export interface RowShape {
  /** Events walked (their envelope). */
  events: number;
  /** Fields of the events' keys (when the walk does not walk the keys' values, which the rows share). */
  keyFields: number;
  /** Row images (before, after, and the key when walked). */
  rows: number;
  /** Objects nested in row values (JSON documents, structs). */
  objects: number;
  /** Fields of rows and nested objects. */
  fields: number;
  /** Characters of the nested objects' field names. */
  keyChars: number;
  strings: number;
  /** Length of the strings: UTF-16 code units, or UTF-8 bytes when the walk says `utf8`. */
  chars: number;
  numbers: number;
  bigints: number;
  booleans: number;
  /** Buffers and typed arrays. */
  binaries: number;
  /** Their bytes. */
  binaryBytes: number;
  dates: number;
  arrays: number;
  /** Elements of the arrays. */
  elements: number;
  /** Objects and arrays nested deeper than maxDepth, not walked. */
  deep: number;
}

/** How a walk goes: what it measures strings in, whether it walks the keys' values, how deep it goes. */
export interface RowWalk {
  readonly utf8: boolean;
  readonly key: boolean;
  readonly maxDepth: number;
}

/** A profile: the walk, and the bytes of each thing it counts. */
export type RowBytesProfile = { readonly walk: RowWalk } & { readonly [K in keyof RowShape]: number };

/** The walk MEMORY and PAYLOAD share: string lengths in code units, keys by their field count, JSON 4 levels deep. */
const VALUES: RowWalk = Object.freeze({ utf8: false, key: false, maxDepth: 4 });

/** Memory held per event (byte budgets). */
export const MEMORY: RowBytesProfile = Object.freeze({
  walk: VALUES,
  events: 128, keyFields: 8, rows: 32, objects: 32, fields: 8, keyChars: 0, strings: 16, chars: 1, numbers: 8, bigints: 24,
  booleans: 0, binaries: 96, binaryBytes: 1, dates: 40, arrays: 16, elements: 8, deep: 64,
});

/** Bytes of the row images (DMS bandwidth): the values only. */
export const PAYLOAD: RowBytesProfile = Object.freeze({
  walk: VALUES,
  events: 0, keyFields: 0, rows: 0, objects: 0, fields: 0, keyChars: 0, strings: 0, chars: 1, numbers: 8, bigints: 8,
  booleans: 1, binaries: 0, binaryBytes: 1, dates: 8, arrays: 0, elements: 0, deep: 64,
});

/**
 * A conservative bound of the encoded size (LOB oversize): per event 2 KiB of envelope (source block, names, op,
 * timestamps), per field 12, strings in UTF-8 bytes, numbers and booleans 10, dates 26 (their JSON text), arrays
 * 5 + 1 per element, nested objects 2 + their field names, 4 KiB for a value nested deeper than 64 levels; the
 * key's values are walked as well. (Rows reaching the encoder hold Connect primitives, strings, numbers, bigints,
 * booleans and Buffers, which these figures price as the LOB stage always did.)
 */
export const ENCODED: RowBytesProfile = Object.freeze({
  walk: Object.freeze({ utf8: true, key: true, maxDepth: 64 }),
  events: 2048, keyFields: 0, rows: 0, objects: 2, fields: 12, keyChars: 1, strings: 0, chars: 1, numbers: 10, bigints: 10,
  booleans: 10, binaries: 0, binaryBytes: 1, dates: 26, arrays: 5, elements: 1, deep: 4096,
});

function emptyShape(): RowShape {
  return { events: 0, keyFields: 0, rows: 0, objects: 0, fields: 0, keyChars: 0, strings: 0, chars: 0, numbers: 0, bigints: 0, booleans: 0, binaries: 0, binaryBytes: 0, dates: 0, arrays: 0, elements: 0, deep: 0 };
}

/** The bytes a profile gives a shape. */
export function price(s: RowShape, p: RowBytesProfile): number {
  return s.events * p.events + s.keyFields * p.keyFields + s.rows * p.rows + s.objects * p.objects + s.fields * p.fields
    + s.keyChars * p.keyChars + s.strings * p.strings + s.chars * p.chars + s.numbers * p.numbers + s.bigints * p.bigints
    + s.booleans * p.booleans + s.binaries * p.binaries + s.binaryBytes * p.binaryBytes + s.dates * p.dates
    + s.arrays * p.arrays + s.elements * p.elements + s.deep * p.deep;
}

/** Adds one value (at nesting `depth`, 0 for a row's own values) to `s`. */
function walkValue(v: unknown, s: RowShape, w: RowWalk, depth = 0): void {
  switch (typeof v) {
    case 'string': s.strings++; s.chars += w.utf8 ? Buffer.byteLength(v, 'utf8') : v.length; return;
    case 'number': s.numbers++; return;
    case 'bigint': s.bigints++; return;
    case 'boolean': s.booleans++; return;
    case 'object': {
      if (v === null) return;
      if (ArrayBuffer.isView(v)) { s.binaries++; s.binaryBytes += v.byteLength; return; }
      if (v instanceof Date) { s.dates++; return; }
      if (depth >= w.maxDepth) { s.deep++; return; }
      if (Array.isArray(v)) {
        s.arrays++;
        s.elements += v.length;
        for (const x of v) walkValue(x, s, w, depth + 1);
        return;
      }
      s.objects++;
      walkFields(v as Row, s, w, depth + 1);
      return;
    }
    default: return;
  }
}

/**
 * Adds the fields of a row (depth 0) or of a nested object (its names too) to `s`. Strings, numbers and nulls, most
 * of a row's values, are counted here in locals (walkValue's cases, inline: no call per value); the rest goes to walkValue.
 */
function walkFields(o: Row, s: RowShape, w: RowWalk, depth: number): void {
  let fields = 0, names = 0, strings = 0, chars = 0, numbers = 0;
  for (const k in o) {
    fields++;
    if (depth > 0) names += k.length;
    const v = o[k];
    if (typeof v === 'string') { strings++; chars += w.utf8 ? Buffer.byteLength(v, 'utf8') : v.length; }
    else if (typeof v === 'number') numbers++;
    else if (v !== null && v !== undefined) walkValue(v, s, w, depth);
  }
  s.fields += fields; s.keyChars += names; s.strings += strings; s.chars += chars; s.numbers += numbers;
}

/** Adds a row image (null: nothing) to `s`. */
function walkRow(row: Row | null | undefined, s: RowShape, w: RowWalk): void {
  if (row === null || row === undefined) return;
  s.rows++;
  walkFields(row, s, w, 0);
}

/** Adds an event's images and key to `s`: the key's values when the walk says `key`, else its field count. */
function walkImages(before: Row | null, after: Row | null, key: Row | null, s: RowShape, w: RowWalk): void {
  s.events++;
  walkRow(after, s, w);
  walkRow(before, s, w);
  if (key === null) return;
  if (w.key) walkRow(key, s, w);
  else for (const _ in key) s.keyFields++;
}

/** The shape the one-off measures below fill: the walks are synchronous, so one object serves them all. */
const scratch = emptyShape();

const ZERO: Readonly<RowShape> = Object.freeze(emptyShape());

function clear(s: RowShape): RowShape {
  return Object.assign(s, ZERO);
}

/** The bytes of one value under a profile. */
export function valueBytes(v: unknown, p: RowBytesProfile): number {
  const s = clear(scratch);
  walkValue(v, s, p.walk);
  return price(s, p);
}

/** The bytes of an event's images and key under a profile (the walk's `key` says whether the key's values count). */
export function imagesBytes(before: Row | null, after: Row | null, key: Row | null, p: RowBytesProfile): number {
  const s = clear(scratch);
  walkImages(before, after, key, s, p.walk);
  return price(s, p);
}

/** The bytes of one event under a profile. */
export function eventBytes(e: ChangeEvent, p: RowBytesProfile): number {
  return imagesBytes(e.before, e.after, e.key, p);
}

/** A batch's sample: the summed shape of `sampled` of its `length` events. */
export interface EventSample {
  readonly walk: RowWalk;
  readonly length: number;
  readonly sampled: number;
  readonly shape: RowShape;
}

/** Batches smaller than this are walked whole. */
const SAMPLE_SIZE = 3;
/**
 * The sample of each events array walked: the DMS metrics and the queue see the same source batch one after the
 * other. Kept while the array lives (a WeakMap); an array that changed length is walked again. A source never
 * changes a batch it yielded (the queue holds it), so a kept sample stays true.
 */
const samples = new WeakMap<readonly ChangeEvent[], EventSample>();

/** The sample of a batch's events (all of up to three, else the first, middle and last), walked once per events array and walk. */
export function sampleEvents(events: readonly ChangeEvent[], w: RowWalk = VALUES): EventSample {
  const n = events.length;
  const known = samples.get(events);
  if (known !== undefined && known.walk === w && known.length === n) return known;
  const shape = emptyShape();
  const walk = (e: ChangeEvent) => walkImages(e.before, e.after, e.key, shape, w);
  if (n <= SAMPLE_SIZE) for (const e of events) walk(e);
  else { walk(events[0]!); walk(events[n >> 1]!); walk(events[n - 1]!); }
  const sample: EventSample = { walk: w, length: n, sampled: Math.min(n, SAMPLE_SIZE), shape };
  if (n > 0) samples.set(events, sample);
  return sample;
}

/** Approximate bytes of a batch's events under a profile: its sample's mean times its length (exact up to three events). */
export function eventsBytes(events: readonly ChangeEvent[], p: RowBytesProfile): number {
  const s = sampleEvents(events, p.walk);
  const bytes = price(s.shape, p);
  return s.sampled === s.length ? bytes : Math.round((bytes / s.sampled) * s.length);
}
