/**
 * Connect schemas → JSON Schema (draft-07), as Confluent's JsonSchemaConverter shapes them (JsonSchemaData): a struct is
 * an object with "title" (the Connect name), its fields in "properties" with "connect.index"; an optional field is a
 * oneOf of null and its type; the Connect type, name, version and parameters ride along as "connect.type",
 * "connect.name", "connect.version" and "connect.parameters". Ferry adds "required" (the non-optional fields) and
 * "additionalProperties": false, so a validator checks every payload exactly. Values are the JsonConverter payload
 * (connect-json.ts): bytes base64, NaN and ±Infinity as strings.
 */
import type { ConnectSchema } from '../avro-mapping.ts';
import type { JsonValue } from './connect-json.ts';
import { connectJsonValue } from './connect-json.ts';

export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

const NON_FINITE = { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] };

function base(s: ConnectSchema, index: number | null): Record<string, JsonValue> {
  let out: Record<string, JsonValue>;
  switch (s.type) {
    case 'int8': case 'int16': case 'int32': case 'int64':
      out = { type: 'integer', 'connect.type': s.type };
      break;
    case 'float32': case 'float64':
      out = { oneOf: [{ type: 'number' }, NON_FINITE], 'connect.type': s.type };
      break;
    case 'boolean':
      out = { type: 'boolean' };
      break;
    case 'string':
      out = { type: 'string' };
      break;
    case 'bytes':
      out = { type: 'string', contentEncoding: 'base64', 'connect.type': 'bytes' };
      break;
    case 'array':
      out = { type: 'array', items: jsonSchemaOf(s.valueSchema!) };
      break;
    case 'map':
      out = { type: 'object', additionalProperties: jsonSchemaOf(s.valueSchema!), 'connect.type': 'map' };
      break;
    case 'struct': {
      const properties: Record<string, JsonValue> = {};
      (s.fields ?? []).forEach((f, i) => { properties[f.name] = fieldSchema(f.schema, i); });
      out = { type: 'object', ...(s.name !== undefined ? { title: s.name } : {}), properties,
        required: (s.fields ?? []).filter((f) => !f.schema.optional).map((f) => f.name), additionalProperties: false };
      break;
    }
    default:
      out = {};
  }
  if (s.name !== undefined && s.type !== 'struct') out['connect.name'] = s.name;
  if (s.version !== undefined) out['connect.version'] = s.version;
  if (s.params && Object.keys(s.params).length > 0) out['connect.parameters'] = { ...s.params };
  if (s.defaultValue !== undefined && s.defaultValue !== null) out.default = connectJsonValue(s, s.defaultValue);
  if (index !== null) out['connect.index'] = index;
  return out;
}

function fieldSchema(s: ConnectSchema, index: number): Record<string, JsonValue> {
  if (!s.optional) return base(s, index);
  return { oneOf: [{ type: 'null' }, base(s, null)], 'connect.index': index };
}

/** The JSON Schema of a Connect schema (an optional top-level schema also allows null). */
export function jsonSchemaOf(s: ConnectSchema): Record<string, JsonValue> {
  return s.optional ? { oneOf: [{ type: 'null' }, base(s, null)] } : base(s, null);
}

/** The registered document: jsonSchemaOf with $schema. */
export function jsonSchemaDocument(s: ConnectSchema): Record<string, JsonValue> {
  return { $schema: JSON_SCHEMA_DRAFT, ...jsonSchemaOf(s) };
}
