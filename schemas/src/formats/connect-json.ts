/**
 * Kafka Connect's JsonConverter layout (apache/kafka connect/json JsonConverter#asJsonSchema / #convertToJson, with its
 * defaults: schemas.enable=true, decimal.format=BASE64), over Ferry's wire-representation values:
 *
 *   schema   {"type": "struct", "fields": [{"type": "int32", "optional": false, "field": "id"}, ...], "optional": false,
 *             "name": "...", "version": 1, "doc": "...", "parameters": {...}, "default": ...}
 *   values   ints and floats as JSON numbers (int64 beyond 2^53 written as exact digits; NaN and ±Infinity as the strings
 *            "NaN", "Infinity", "-Infinity", as Jackson writes them), bytes (and Decimal's unscaled bytes, Bits) as
 *            base64, structs as objects, arrays, maps as objects, strings, booleans, null.
 *
 * Records are written by compileJsonWriter() (per-schema writers, text without intermediate objects); jsonText() writes
 * a JsonValue (schemas, defaults). Both write bigints as exact JSON numbers, unlike JSON.stringify.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { ConnectSchema } from '../avro-mapping.ts';

/** A JSON value that may hold bigints (written as exact JSON numbers by jsonText). */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [k: string]: JsonValue };

/** JsonConverter#asJsonSchema. */
export function connectJsonSchema(s: ConnectSchema): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { type: s.type };
  if (s.type === 'struct') {
    out.fields = (s.fields ?? []).map((f) => ({ ...connectJsonSchema(f.schema), field: f.name }));
  } else if (s.type === 'array') {
    out.items = connectJsonSchema(s.valueSchema!);
  } else if (s.type === 'map') {
    out.keys = { type: 'string', optional: false };
    out.values = connectJsonSchema(s.valueSchema!);
  }
  out.optional = s.optional;
  if (s.name !== undefined) out.name = s.name;
  if (s.version !== undefined) out.version = s.version;
  if (s.doc !== undefined) out.doc = s.doc;
  if (s.params && Object.keys(s.params).length > 0) out.parameters = { ...s.params };
  if (s.defaultValue !== undefined && s.defaultValue !== null) out.default = connectJsonValue(s, s.defaultValue);
  // JsonConverter puts "field" last (set by the enclosing struct).
  return out;
}

function floatJson(v: number): JsonValue {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** JsonConverter#convertToJson: a wire-representation value of schema `s` as JSON. */
export function connectJsonValue(s: ConnectSchema, v: unknown): JsonValue {
  if (v === null || v === undefined) {
    if (!s.optional && s.defaultValue === undefined) throw new FerryError('FERRY_INTERNAL', `null for a non-optional ${s.type}${s.name ? ` (${s.name})` : ''}`);
    return null;
  }
  switch (s.type) {
    case 'int8': case 'int16': case 'int32':
      return v as number;
    case 'int64':
      return typeof v === 'bigint' ? v : v as number;
    case 'float32': case 'float64':
      return floatJson(v as number);
    case 'boolean':
      return v as boolean;
    case 'string':
      return v as string;
    case 'bytes':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'array':
      return (v as unknown[]).map((x) => connectJsonValue(s.valueSchema!, x));
    case 'map': {
      const out: Record<string, JsonValue> = {};
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
      for (const [k, x] of entries) out[String(k)] = connectJsonValue(s.valueSchema!, x);
      return out;
    }
    case 'struct': {
      const row = v as Record<string, unknown>;
      const out: Record<string, JsonValue> = {};
      for (const f of s.fields ?? []) out[f.name] = connectJsonValue(f.schema, row[f.name]);
      return out;
    }
    default:
      throw new FerryError('FERRY_INTERNAL', `cannot write Connect type ${String(s.type)} as JSON`);
  }
}

/** JSON text of a JsonValue: JSON.stringify's output, with bigints as exact numbers. */
export function jsonText(v: JsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return JSON.stringify(v);
    default:
      if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
      return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  }
}

/** A compiled writer: a wire-representation value of one schema → its JsonConverter JSON text. */
export type JsonWriter = (v: unknown) => string;

/**
 * Compiles the JSON text writer of a schema (the same text as jsonText(connectJsonValue(s, v)), without building the
 * intermediate object): field names are quoted once, per-type writers are chosen once.
 */
export function compileJsonWriter(s: ConnectSchema): JsonWriter {
  const nullable = (w: JsonWriter): JsonWriter => (v) => {
    if (v === null || v === undefined) {
      if (!s.optional && s.defaultValue === undefined) throw new FerryError('FERRY_INTERNAL', `null for a non-optional ${s.type}${s.name ? ` (${s.name})` : ''}`);
      return 'null';
    }
    return w(v);
  };
  switch (s.type) {
    case 'int8': case 'int16': case 'int32': case 'int64':
      return nullable((v) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v)));
    case 'float32': case 'float64':
      return nullable((v) => {
        const x = v as number;
        return Number.isFinite(x) ? JSON.stringify(x) : Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
      });
    case 'boolean':
      return nullable((v) => (v ? 'true' : 'false'));
    case 'string':
      return nullable((v) => JSON.stringify(v));
    case 'bytes':
      return nullable((v) => `"${(Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array)).toString('base64')}"`);
    case 'array': {
      const item = compileJsonWriter(s.valueSchema!);
      return nullable((v) => {
        const a = v as unknown[];
        let out = '[';
        for (let i = 0; i < a.length; i++) out += (i === 0 ? '' : ',') + item(a[i]);
        return `${out}]`;
      });
    }
    case 'map': {
      const value = compileJsonWriter(s.valueSchema!);
      return nullable((v) => {
        const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
        return `{${entries.map(([k, x]) => `${JSON.stringify(String(k))}:${value(x)}`).join(',')}}`;
      });
    }
    case 'struct': {
      const fields = (s.fields ?? []).map((f, i) => ({ name: f.name, head: `${i === 0 ? '' : ','}${JSON.stringify(f.name)}:`, write: compileJsonWriter(f.schema) }));
      return nullable((v) => {
        const row = v as Record<string, unknown>;
        let out = '{';
        for (const f of fields) out += f.head + f.write(row[f.name]);
        return `${out}}`;
      });
    }
    default:
      throw new FerryError('FERRY_INTERNAL', `cannot write Connect type ${String(s.type)} as JSON`);
  }
}
