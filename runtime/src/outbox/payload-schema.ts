/**
 * The Avro schema of outbox payloads (payloadFormat avro), derived from the payloads themselves:
 *
 *   JSON null → "null"; true/false → "boolean"; an integer → "long"; another number → "double" (a long field that
 *   later holds a fraction becomes double: Avro promotes long to double, so old records stay readable); a string →
 *   "string"; bytes (a bytea/blob payload) → "bytes"; an array → {"type":"array","items":<merged element shape>};
 *   an object whose keys are all Avro names → a record (fields in first-seen order, each ["null", …] with default
 *   null, so a payload that leaves a field out is valid); any other object → {"type":"map","values":<merged>}.
 *
 * A value of another JSON kind than before adds a branch (a union: at most one branch per kind, so values are
 * unambiguous). Each shape only grows: merge(a, b) accepts every value a or b accepts, and the Avro schema of the
 * merge can read every record written with either (fields are only added, with defaults; unions only gain branches;
 * long only widens to double), which the registry's default BACKWARD compatibility accepts.
 */
import type { AvroSchema } from '../../../schemas/src/avro-mapping.ts';

export interface Shape {
  null?: true;
  boolean?: true;
  /** long until a non-integer is seen. */
  number?: 'long' | 'double';
  string?: true;
  bytes?: true;
  array?: Shape;
  /** Field name → shape, in first-seen order. */
  record?: Map<string, Shape>;
  map?: Shape;
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The shape of one value (JSON.parse output, or a Buffer). */
export function shapeOf(v: unknown): Shape {
  if (v === null || v === undefined) return { null: true };
  if (typeof v === 'boolean') return { boolean: true };
  if (typeof v === 'number') return { number: Number.isInteger(v) && Number.isSafeInteger(v) ? 'long' : 'double' };
  if (typeof v === 'bigint') return { number: 'long' };
  if (typeof v === 'string') return { string: true };
  if (Buffer.isBuffer(v)) return { bytes: true };
  if (Array.isArray(v)) {
    let items: Shape = {};
    for (const x of v) items = mergeShapes(items, shapeOf(x));
    return { array: items };
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.every(([k]) => AVRO_NAME.test(k))) return { record: new Map(entries.map(([k, x]) => [k, shapeOf(x)])) };
  let values: Shape = {};
  for (const [, x] of entries) values = mergeShapes(values, shapeOf(x));
  return { map: values };
}

/** A shape that accepts every value `a` or `b` accepts. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  const out: Shape = {};
  if (a.null || b.null) out.null = true;
  if (a.boolean || b.boolean) out.boolean = true;
  if (a.number || b.number) out.number = a.number === 'double' || b.number === 'double' ? 'double' : 'long';
  if (a.string || b.string) out.string = true;
  if (a.bytes || b.bytes) out.bytes = true;
  if (a.array || b.array) out.array = mergeShapes(a.array ?? {}, b.array ?? {});
  // A record and a map (an object with non-name keys) merge into a map of every field's values.
  if ((a.record || b.record) && (a.map || b.map)) {
    let values = mergeShapes(a.map ?? {}, b.map ?? {});
    for (const r of [a.record, b.record]) if (r) for (const s of r.values()) values = mergeShapes(values, s);
    out.map = values;
  } else if (a.record || b.record) {
    const fields = new Map<string, Shape>();
    for (const r of [a.record, b.record]) {
      if (!r) continue;
      for (const [k, s] of r) fields.set(k, fields.has(k) ? mergeShapes(fields.get(k)!, s) : s);
    }
    out.record = fields;
  } else if (a.map || b.map) out.map = mergeShapes(a.map ?? {}, b.map ?? {});
  return out;
}

/** Whether `b` accepts nothing that `a` does not (then `a` needs no new schema for a value of shape `b`). */
export function covers(a: Shape, b: Shape): boolean {
  return JSON.stringify(toAvro(mergeShapes(a, b), 'x')) === JSON.stringify(toAvro(a, 'x'));
}

/**
 * The Avro schema of a shape: records are named `name`, nested ones `<parent>_<field>` (unique in the schema);
 * record fields are optional (["null", …], default null). An empty shape (an empty array's items) is "null".
 */
export function toAvro(shape: Shape, name: string): AvroSchema {
  const branches: AvroSchema[] = [];
  if (shape.null) branches.push('null');
  if (shape.boolean) branches.push('boolean');
  if (shape.number) branches.push(shape.number);
  if (shape.string) branches.push('string');
  if (shape.bytes) branches.push('bytes');
  if (shape.array) branches.push({ type: 'array', items: toAvro(shape.array, `${name}_item`) } as AvroSchema);
  if (shape.record) {
    const fields = [...shape.record].map(([k, s]) => ({ name: k, type: optional(toAvro(s, `${name}_${k}`)), default: null }));
    branches.push({ type: 'record', name, fields } as AvroSchema);
  }
  if (shape.map) branches.push({ type: 'map', values: toAvro(shape.map, `${name}_value`) } as AvroSchema);
  if (branches.length === 0) return 'null';
  return branches.length === 1 ? branches[0]! : branches;
}

/** `s` with "null" as its first branch. */
function optional(s: AvroSchema): AvroSchema {
  if (s === 'null') return 'null';
  if (Array.isArray(s)) return s[0] === 'null' ? s : ['null', ...s];
  return ['null', s];
}

/** An Avro name from any text (a topic): invalid characters become "_", a leading digit gets "_" before it. */
export function avroName(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/**
 * The shape a schema made by toAvro accepts (the inverse of toAvro), to continue from the subject's latest version
 * after a restart; null for a schema toAvro cannot have made (then derivation starts over from the payloads).
 */
export function fromAvro(schema: unknown): Shape | null {
  const branches = Array.isArray(schema) ? schema : [schema];
  const out: Shape = {};
  for (const b of branches) {
    if (b === 'null') out.null = true;
    else if (b === 'boolean') out.boolean = true;
    else if (b === 'long' || b === 'double') out.number = out.number === 'double' ? 'double' : b;
    else if (b === 'string') out.string = true;
    else if (b === 'bytes') out.bytes = true;
    else if (typeof b === 'object' && b !== null) {
      const o = b as { type?: unknown; items?: unknown; values?: unknown; fields?: unknown };
      if (o.type === 'array') { const s = fromAvro(o.items); if (!s) return null; out.array = s; }
      else if (o.type === 'map') { const s = fromAvro(o.values); if (!s) return null; out.map = s; }
      else if (o.type === 'record' && Array.isArray(o.fields)) {
        const fields = new Map<string, Shape>();
        for (const f of o.fields as { name?: unknown; type?: unknown }[]) {
          const s = typeof f.name === 'string' ? fromAvro(f.type) : null;
          if (!s) return null;
          fields.set(f.name as string, s);
        }
        out.record = fields;
      } else if (['long', 'double', 'string', 'boolean', 'bytes'].includes(o.type as string)) {
        const s = fromAvro(o.type);
        if (!s) return null;
        Object.assign(out, mergeShapes(out, s));
      } else return null;
    } else return null;
  }
  return out;
}
