/**
 * Partial JSON updates (binlog_row_value_options=PARTIAL_JSON): a JSON column's after image in a
 * PARTIAL_UPDATE_ROWS event can be a list of edits of the before image instead of the whole document. Ferry
 * applies them to the before image (binlog_row_image=FULL gives it) and emits the whole document, so consumers
 * never see a diff.
 *
 * Binary layout of the edits (MySQL sql/json_diff.cc, Json_diff_vector::write_binary): a 4-byte little-endian
 * length of what follows, then per edit: the operation (1 byte: 0 REPLACE, 1 INSERT, 2 REMOVE), the path's
 * length (packed integer) and text (`$.a[2]."b c"`), and for REPLACE and INSERT the value's length (packed
 * integer) and the value in MySQL's binary JSON.
 *
 * Semantics, as the server applies them: REPLACE needs an existing value at the path; INSERT adds an object member
 * (replacing one of the same name) or inserts into an array before the index (appending past the end); REMOVE
 * deletes an existing member or element. Object members stay in MySQL's key order (shorter keys first, then
 * bytewise), the order jsonBinaryToText prints.
 */
import { jsonBinaryToTree, jsonTreeText, type JsonNode } from './json-binary.ts';

export const JsonDiffOp = { REPLACE: 0, INSERT: 1, REMOVE: 2 } as const;

export type PathLeg = { readonly key: string } | { readonly index: number };

export interface JsonDiff {
  readonly op: number;
  readonly path: string;
  /** The value (binary JSON) for REPLACE and INSERT. */
  readonly value: Buffer | null;
}

function packed(b: Buffer, c: { pos: number }, end: number): number {
  if (c.pos >= end) throw new Error('JSON diff truncated');
  const first = b[c.pos]!;
  const width = first < 0xfb ? 0 : first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : -1;
  if (width < 0 || c.pos + 1 + width > end) throw new Error(`JSON diff: bad length at byte ${c.pos}`);
  c.pos += 1 + width;
  if (width === 0) return first;
  if (width === 8) return Number(b.readBigUInt64LE(c.pos - 8));
  return b.readUIntLE(c.pos - width, width);
}

/** The edits in [start, end) (after the 4-byte length). */
export function parseJsonDiffs(b: Buffer, start: number, end: number): JsonDiff[] {
  const out: JsonDiff[] = [];
  const c = { pos: start };
  while (c.pos < end) {
    const op = b[c.pos++]!;
    if (op > JsonDiffOp.REMOVE) throw new Error(`JSON diff: unknown operation ${op} at byte ${c.pos - 1}`);
    const pathLength = packed(b, c, end);
    if (c.pos + pathLength > end) throw new Error('JSON diff: path runs past the diff');
    const path = b.toString('utf8', c.pos, c.pos + pathLength);
    c.pos += pathLength;
    let value: Buffer | null = null;
    if (op !== JsonDiffOp.REMOVE) {
      const valueLength = packed(b, c, end);
      if (c.pos + valueLength > end) throw new Error('JSON diff: value runs past the diff');
      value = b.subarray(c.pos, c.pos + valueLength);
      c.pos += valueLength;
    }
    out.push({ op, path, value });
  }
  return out;
}

/** A MySQL JSON path as the server prints it: `$`, then `.name`, `."quoted name"` or `[index]` legs. */
export function parseJsonPath(path: string): PathLeg[] {
  const legs: PathLeg[] = [];
  let i = 0;
  const skipSpace = () => { while (i < path.length && /\s/.test(path[i]!)) i++; };
  skipSpace();
  if (path[i] !== '$') throw new Error(`JSON path ${JSON.stringify(path)} does not start with $`);
  i++;
  for (skipSpace(); i < path.length; skipSpace()) {
    if (path[i] === '.') {
      i++;
      skipSpace();
      if (path[i] === '"') {
        const start = i;
        for (i++; i < path.length && path[i] !== '"'; i++) if (path[i] === '\\') i++;
        if (i >= path.length) throw new Error(`JSON path ${JSON.stringify(path)}: unterminated quoted key`);
        i++;
        legs.push({ key: JSON.parse(path.slice(start, i)) as string });
      } else {
        const m = /^[^.[\s]+/.exec(path.slice(i));
        if (!m || m[0] === '*') throw new Error(`JSON path ${JSON.stringify(path)}: bad member at ${i}`);
        legs.push({ key: m[0] });
        i += m[0].length;
      }
    } else if (path[i] === '[') {
      const m = /^\[\s*(\d+)\s*\]/.exec(path.slice(i));
      if (!m) throw new Error(`JSON path ${JSON.stringify(path)}: bad array index at ${i}`);
      legs.push({ index: Number(m[1]) });
      i += m[0].length;
    } else throw new Error(`JSON path ${JSON.stringify(path)}: unexpected ${JSON.stringify(path[i])} at ${i}`);
  }
  return legs;
}

/** MySQL's key order: shorter first, then bytewise on UTF-8. */
function keyBefore(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length !== bb.length ? ab.length < bb.length : Buffer.compare(ab, bb) < 0;
}

function child(n: JsonNode, leg: PathLeg): JsonNode | undefined {
  if ('key' in leg) return n.kind === 'object' ? n.members.find(([k]) => k === leg.key)?.[1] : undefined;
  return n.kind === 'array' ? n.items[leg.index] : undefined;
}

/** Applies one edit to `doc` (edited in place, except that a REPLACE of `$` returns the new root). */
function applyOne(doc: JsonNode, d: JsonDiff): JsonNode {
  const legs = parseJsonPath(d.path);
  const fail = (why: string): never => { throw new Error(`cannot apply JSON diff ${['REPLACE', 'INSERT', 'REMOVE'][d.op]} ${d.path}: ${why}`); };
  const value = d.value === null ? null : jsonBinaryToTree(d.value);
  if (legs.length === 0) {
    if (d.op === JsonDiffOp.REPLACE) return value!;
    return fail('the path is the whole document');
  }
  let parent = doc;
  for (const leg of legs.slice(0, -1)) parent = child(parent, leg) ?? fail('no value at the parent path');
  const last = legs[legs.length - 1]!;
  if ('key' in last) {
    if (parent.kind !== 'object') return fail('the parent is not an object');
    const at = parent.members.findIndex(([k]) => k === last.key);
    if (d.op === JsonDiffOp.REMOVE || d.op === JsonDiffOp.REPLACE) {
      if (at < 0) return fail('no such member');
      if (d.op === JsonDiffOp.REMOVE) parent.members.splice(at, 1);
      else parent.members[at] = [last.key, value!];
    } else if (at >= 0) parent.members[at] = [last.key, value!];
    else {
      let i = 0;
      while (i < parent.members.length && keyBefore(parent.members[i]![0], last.key)) i++;
      parent.members.splice(i, 0, [last.key, value!]);
    }
    return doc;
  }
  if (parent.kind !== 'array') return fail('the parent is not an array');
  if (d.op === JsonDiffOp.INSERT) parent.items.splice(Math.min(last.index, parent.items.length), 0, value!);
  else if (last.index >= parent.items.length) return fail(`no element ${last.index} (the array has ${parent.items.length})`);
  else if (d.op === JsonDiffOp.REMOVE) parent.items.splice(last.index, 1);
  else parent.items[last.index] = value!;
  return doc;
}

/** The text of the document `before` (binary JSON) after the edits, as jsonBinaryToText prints documents. */
export function applyJsonDiffs(before: Buffer, diffs: readonly JsonDiff[]): string {
  let doc = jsonBinaryToTree(before);
  for (const d of diffs) doc = applyOne(doc, d);
  return jsonTreeText(doc);
}
