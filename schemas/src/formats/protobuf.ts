/**
 * Connect schemas → a proto3 file (one per registered schema: the Key, Envelope or flattened Value), and values →
 * Protobuf bytes with protobufjs, framed as Confluent's Protobuf serializer frames them: magic 0, the 4-byte schema id,
 * the message-index array (the root message is the file's first, so the array is [0], written as the single byte 0),
 * then the message.
 *
 * Mapping: int8/int16/int32 → int32, int64 → int64, float32 → float, float64 → double, boolean → bool, string → string,
 * bytes (Decimal's unscaled bytes, Bits) → bytes; a struct → a message (one per Connect name, first the root); an
 * optional scalar → `optional` (explicit presence: null is an unset field); an array → a message {repeated values}
 * of one-field wrapper messages {value} (so a null array differs from an empty one, elements may be null, and arrays
 * nest); a map → a message {map<string, wrapper> entries} (a null map differs from an empty one). Field numbers
 * follow field order from 1. The Connect names, versions and parameters are not carried: the field comments name them.
 */
import protobuf from 'protobufjs';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { ConnectSchema } from '../avro-mapping.ts';
import { splitFullName } from '../naming.ts';
import { writeWireHeader, WIRE_HEADER_LENGTH } from '../event-encoder.ts';

const SCALAR: Readonly<Record<string, string>> = {
  int8: 'int32', int16: 'int32', int32: 'int32', int64: 'int64', float32: 'float', float64: 'double',
  boolean: 'bool', string: 'string', bytes: 'bytes',
};

function ident(s: string): string {
  const x = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(x) ? x : `_${x}`;
}

/** A compiled .proto: its text and the protobufjs root message type. */
export interface ProtoSchema {
  readonly text: string;
  readonly messageName: string;
  readonly type: protobuf.Type;
  /** Value (a wire-representation row or envelope) → the object protobufjs encodes. */
  toMessage(value: unknown): Record<string, unknown>;
}

interface Msg { readonly name: string; readonly lines: string[] }

/** Builds the .proto of a struct schema (the root message is declared first). */
export function protoSchemaOf(root: ConnectSchema): ProtoSchema {
  if (root.type !== 'struct' || root.name === undefined) throw new FerryError('FERRY_INTERNAL', 'a Protobuf schema needs a named struct');
  const { namespace, name } = splitFullName(root.name);
  const messages: Msg[] = [];
  const byName = new Map<string, string>();
  const used = new Set<string>();
  const unique = (n: string): string => {
    let out = ident(n);
    for (let i = 2; used.has(out); i++) out = `${ident(n)}${i}`;
    used.add(out);
    return out;
  };
  const structMessage = (s: ConnectSchema): string => {
    const key = `${s.name ?? ''}\u0000${JSON.stringify(s.fields?.map((f) => f.name))}`;
    const known = byName.get(key);
    if (known !== undefined) return known;
    const msgName = unique(s === root ? name : splitFullName(s.name ?? 'Struct').name);
    byName.set(key, msgName);
    const msg: Msg = { name: msgName, lines: [] };
    messages.push(msg);
    (s.fields ?? []).forEach((f, i) => {
      const t = fieldType(f.schema, `${msgName}_${f.name}`);
      const label = f.schema.optional && SCALAR[f.schema.type] !== undefined ? 'optional ' : '';
      const note = [f.schema.name, f.schema.params ? JSON.stringify(f.schema.params) : undefined].filter(Boolean).join(' ');
      msg.lines.push(`  ${label}${t} ${ident(f.name)} = ${i + 1};${note ? ` // ${note.replace(/[\r\n]/g, ' ')}` : ''}`);
    });
    return msgName;
  };
  const wrapper = (element: ConnectSchema, hint: string): string => {
    const msgName = unique(`${hint}_Item`);
    const msg: Msg = { name: msgName, lines: [] };
    messages.push(msg);
    const t = fieldType(element, msgName);
    msg.lines.push(`  ${SCALAR[element.type] !== undefined ? 'optional ' : ''}${t} value = 1;`);
    return msgName;
  };
  const list = (element: ConnectSchema, hint: string): string => {
    const msgName = unique(`${hint}_List`);
    const msg: Msg = { name: msgName, lines: [] };
    messages.push(msg);
    msg.lines.push(`  repeated ${wrapper(element, hint)} values = 1;`);
    return msgName;
  };
  const fieldType = (s: ConnectSchema, hint: string): string => {
    if (s.type === 'struct') return structMessage(s);
    if (s.type === 'array') return list(s.valueSchema!, hint);
    if (s.type === 'map') {
      const msgName = unique(`${hint}_Map`);
      const msg: Msg = { name: msgName, lines: [] };
      messages.push(msg);
      msg.lines.push(`  map<string, ${wrapper(s.valueSchema!, hint)}> entries = 1;`);
      return msgName;
    }
    const t = SCALAR[s.type];
    if (t === undefined) throw new FerryError('FERRY_INTERNAL', `no Protobuf type for Connect type ${s.type}`);
    return t;
  };
  structMessage(root);
  const pkg = namespace === null ? null : namespace.split('.').map(ident).join('.');
  const text = [
    'syntax = "proto3";',
    ...(pkg ? [`package ${pkg};`] : []),
    '',
    ...messages.map((m) => `message ${m.name} {\n${m.lines.join('\n')}\n}\n`),
  ].join('\n');
  let type: protobuf.Type;
  try {
    const parsed = protobuf.parse(text, { keepCase: true });
    type = parsed.root.lookupType(pkg ? `${pkg}.${messages[0]!.name}` : messages[0]!.name);
  } catch (e: unknown) {
    throw new FerryError('FERRY_INTERNAL', `cannot compile the Protobuf schema of ${root.name}: ${errorMessage(e)}`, { cause: e });
  }
  return { text, messageName: messages[0]!.name, type, toMessage: (v) => toMessage(root, v) as Record<string, unknown> };
}

function toMessage(s: ConnectSchema, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  switch (s.type) {
    case 'int64': return typeof v === 'bigint' ? v.toString() : v;
    case 'bytes': return Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array);
    case 'array': return { values: (v as unknown[]).map((x) => ({ value: toMessage(s.valueSchema!, x) })) };
    case 'map': {
      const out: Record<string, unknown> = {};
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
      for (const [k, x] of entries) out[String(k)] = { value: toMessage(s.valueSchema!, x) };
      return { entries: out };
    }
    case 'struct': {
      const row = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of s.fields ?? []) {
        const x = toMessage(f.schema, row[f.name]);
        if (x !== undefined) out[ident(f.name)] = x;
      }
      return out;
    }
    default: return v;
  }
}

/** Confluent Protobuf framing: header, message indexes [0] (one zero byte), the encoded message. */
export function encodeProtobufWire(schema: ProtoSchema, schemaId: number, value: unknown): Buffer {
  let body: Uint8Array;
  try {
    body = schema.type.encode(schema.type.fromObject(schema.toMessage(value))).finish();
  } catch (e: unknown) {
    throw new FerryError('FERRY_INTERNAL', `cannot encode ${schema.messageName} as Protobuf: ${errorMessage(e)}`, { cause: e });
  }
  const out = Buffer.allocUnsafe(WIRE_HEADER_LENGTH + 1 + body.length);
  writeWireHeader(out, schemaId);
  out[WIRE_HEADER_LENGTH] = 0;
  out.set(body, WIRE_HEADER_LENGTH + 1);
  return out;
}
