/**
 * Parsers for PostgreSQL's text output of composite-looking types, and the WKB Debezium builds from geometric
 * types. Pure functions over strings.
 *
 *   array literals   {1,NULL,"a \"b\""}, {{1,2},{3,4}} → nested (string | null)[]
 *   hstore           "a"=>"1", "b"=>NULL            → JSON object text, keys in hstore's order
 *   point/box/lseg/path/polygon                     → coordinates, then little-endian OGC WKB
 */

/** A parsed array literal: element texts (null for NULL), nested one level per dimension. */
export type ArrayTexts = (string | null | ArrayTexts)[];

/**
 * Parses an array literal, one- or multi-dimensional ({{1,2},{3,NULL}}), into element texts (null for NULL).
 * Explicit bounds ([0:1]={…}) are accepted and dropped: Connect arrays start at index 0.
 */
export function parseArrayLiteral(text: string, delimiter = ','): ArrayTexts {
  let i = 0;
  if (text[0] === '[') {
    i = text.indexOf('=');
    if (i < 0) throw new Error(`not an array literal: ${text.slice(0, 40)}`);
    i++;
  }
  const parse = (): ArrayTexts => {
    if (text[i] !== '{') throw new Error(`not an array literal: ${text.slice(0, 40)}`);
    i++;
    const out: ArrayTexts = [];
    if (text[i] === '}') { i++; return out; }
    for (;;) {
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let s = '';
        let j = i + 1;
        for (;;) {
          const c = text[j];
          if (c === undefined) throw new Error('unterminated quoted array element');
          if (c === '\\') { s += text[j + 1] ?? ''; j += 2; continue; }
          if (c === '"') break;
          s += c;
          j++;
        }
        out.push(s);
        i = j + 1;
      } else {
        let j = i;
        while (j < text.length && text[j] !== delimiter && text[j] !== '}') j++;
        // array_in trims only ASCII white space (scanner_isspace); String.trim would also strip U+00A0, U+FEFF, U+2028…
        const raw = text.slice(i, j).replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
        out.push(raw.toUpperCase() === 'NULL' ? null : raw);
        i = j;
      }
      if (text[i] === delimiter) { i++; continue; }
      if (text[i] === '}') { i++; return out; }
      throw new Error(`malformed array literal near offset ${i}`);
    }
  };
  const out = parse();
  if (i !== text.length) throw new Error(`malformed array literal near offset ${i}`);
  return out;
}

/** Dimensions of a parsed array (an empty array counts as any: 0). */
export function arrayDepth(a: ArrayTexts): number {
  const first = a.find((x) => x !== null);
  if (first === undefined) return a.length === 0 ? 0 : 1;
  return Array.isArray(first) ? 1 + arrayDepth(first) : 1;
}

/** hstore text output → a JSON object string, as Debezium's hstore.handling.mode=json writes it (compact). */
export function hstoreToJson(text: string): string {
  const parts: string[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => { while (i < n && (text[i] === ' ' || text[i] === ',')) i++; };
  const quoted = (): string => {
    if (text[i] !== '"') throw new Error(`malformed hstore near offset ${i}`);
    let s = '';
    let j = i + 1;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error('unterminated hstore string');
      if (c === '\\') { s += text[j + 1] ?? ''; j += 2; continue; }
      if (c === '"') break;
      s += c;
      j++;
    }
    i = j + 1;
    return s;
  };
  skipSpace();
  while (i < n) {
    const key = quoted();
    if (text.slice(i, i + 2) !== '=>') throw new Error(`malformed hstore near offset ${i}`);
    i += 2;
    let value: string | null;
    if (text.startsWith('NULL', i)) { value = null; i += 4; } else value = quoted();
    parts.push(`${JSON.stringify(key)}:${value === null ? 'null' : JSON.stringify(value)}`);
    skipSpace();
  }
  return `{${parts.join(',')}}`;
}

export type Coord = readonly [number, number];

/** All "(x,y)" pairs of a geometric value's text, in order. */
export function parseCoords(text: string): Coord[] {
  const out: Coord[] = [];
  const nums = text.replace(/[()[\]<>{}]/g, ' ').split(',');
  for (let i = 0; i + 1 < nums.length; i += 2) out.push([Number(nums[i]!.trim()), Number(nums[i + 1]!.trim())]);
  return out;
}

const WKB_POINT = 1;
const WKB_LINESTRING = 2;
const WKB_POLYGON = 3;

function header(size: number, type: number): { buf: Buffer; pos: number } {
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 1; // little endian
  buf.writeInt32LE(type, 1);
  return { buf, pos: 5 };
}

function writePoints(w: { buf: Buffer; pos: number }, points: readonly Coord[]): void {
  w.buf.writeInt32LE(points.length, w.pos);
  w.pos += 4;
  for (const [x, y] of points) {
    w.buf.writeDoubleLE(x, w.pos);
    w.buf.writeDoubleLE(y, w.pos + 8);
    w.pos += 16;
  }
}

export function wkbPoint(x: number, y: number): Buffer {
  const w = header(21, WKB_POINT);
  w.buf.writeDoubleLE(x, 5);
  w.buf.writeDoubleLE(y, 13);
  return w.buf;
}

export function wkbLineString(points: readonly Coord[]): Buffer {
  const w = header(9 + 16 * points.length, WKB_LINESTRING);
  writePoints(w, points);
  return w.buf;
}

export function wkbPolygon(ring: readonly Coord[]): Buffer {
  const w = header(13 + 16 * ring.length, WKB_POLYGON);
  w.buf.writeInt32LE(1, 5);
  w.pos = 9;
  writePoints(w, ring);
  return w.buf;
}

/** io.debezium.data.geometry.Point value of a point's text "(x,y)". */
export function pointValue(text: string): { x: number; y: number; wkb: Buffer; srid: null } {
  const [p] = parseCoords(text);
  if (!p) throw new Error(`not a point: ${text}`);
  return { x: p[0], y: p[1], wkb: wkbPoint(p[0], p[1]), srid: null };
}

export interface GeometryValue {
  readonly wkb: Buffer;
  readonly srid: null;
  readonly extensions: Readonly<Record<string, string>>;
}

/**
 * io.debezium.data.geometry.Geometry (v2) value of a box, lseg, path or polygon, as Debezium encodes them: a box
 * as a closed 5-point ring from its two corners, an lseg and a path as line strings (the path's closedness in the
 * extensions), a polygon as its ring closed.
 */
export function geometricValue(kind: 'box' | 'lseg' | 'path' | 'polygon', text: string): GeometryValue {
  const pts = parseCoords(text);
  switch (kind) {
    case 'box': {
      const [a, b] = pts as [Coord, Coord];
      const ring: Coord[] = [[a[0], a[1]], [a[0], b[1]], [b[0], b[1]], [b[0], a[1]], [a[0], a[1]]];
      return { wkb: wkbPolygon(ring), srid: null, extensions: { type: 'box' } };
    }
    case 'lseg':
      return { wkb: wkbLineString(pts.slice(0, 2)), srid: null, extensions: { type: 'lseg' } };
    case 'path':
      return { wkb: wkbLineString(pts), srid: null, extensions: { type: 'path', closed: String(text.trimStart().startsWith('(')) } };
    case 'polygon': {
      const ring = [...pts];
      const first = ring[0];
      const last = ring[ring.length - 1];
      if (ring.length >= 2 && first && last && (first[0] !== last[0] || first[1] !== last[1])) ring.push(first);
      return { wkb: wkbPolygon(ring), srid: null, extensions: { type: 'polygon' } };
    }
  }
}
