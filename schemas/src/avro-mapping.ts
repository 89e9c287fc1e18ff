/**
 * Kafka Connect schemas → Avro schema JSON, exactly as Confluent's AvroData (connect.meta.data=true, the
 * default) builds them and Avro's Schema.toString() prints them — which is the text Debezium's Avro
 * converter registers (confluentinc/schema-registry: avro-data/…/AvroData.java#fromConnectSchema).
 *
 * What that means, in order of appearance in the JSON:
 * - Primitives: int8/int16 → "int" + "connect.type"; int32 → int; int64 → long; float32 → float;
 *   float64 → double; boolean; string; bytes. A type with no property prints as a bare string ("long").
 * - Property order on a type: Decimal's "scale","precision" first, then "connect.doc", "connect.version",
 *   "connect.parameters", "connect.default", "connect.name", "connect.type", then "logicalType"
 *   (decimal / date / time-millis / timestamp-millis for the Kafka Connect logical types only).
 * - Decimal precision comes from the "connect.decimal.precision" parameter, else AvroData's default (64).
 * - Optional: ["null", T] with field default null; optional with a Connect default: [T, "null"] with that
 *   default. An optional struct is always ["null", record].
 * - Structs become records: "name" is the part after the last dot, "namespace" is written only when it
 *   differs from the enclosing record's; a record already written in the same top-level schema is
 *   referenced by name (short if in the current namespace). Record properties follow "fields".
 * - A field whose named (record) type was already seen and whose Connect schema has parameters carries
 *   them as a field-level "connect.parameters" (AvroData#addAvroRecordField, 2026).
 * Field names are written as given: Debezium adjusts them (naming.ts) before AvroData sees them.
 */
import type { ConnectType, FieldType } from '../../core/src/types.ts';
import { FerryError } from '../../core/src/errors.ts';
import { splitFullName } from './naming.ts';
import type { AvroField, AvroRecordSchema, AvroSchema, AvroTypeObject } from '../../core/src/avro-json.ts';

export type { AvroSchema, AvroTypeObject, AvroField, AvroRecordSchema } from '../../core/src/avro-json.ts';

/** A Kafka Connect schema: Debezium builds these, AvroData converts them. Values are in wire representation. */
export interface ConnectSchema {
  readonly type: ConnectType | 'struct' | 'array' | 'map';
  readonly optional: boolean;
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly params?: Readonly<Record<string, string>>;
  /** The Connect default value (undefined/null: none), in the JS wire representation of the type. */
  readonly defaultValue?: unknown;
  /** struct only. */
  readonly fields?: readonly ConnectField[];
  /** array / map (map keys are always string). */
  readonly valueSchema?: ConnectSchema;
}
export interface ConnectField {
  readonly name: string;
  readonly schema: ConnectSchema;
  /**
   * Earlier names of the field (a renamed column), written as the Avro field's `aliases` (Avro's own rename
   * mechanism; Connect schemas have none, so Debezium never writes them and its consumers ignore them).
   */
  readonly aliases?: readonly string[];
}

export const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
export const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';
export const GEOMETRY = 'io.debezium.data.geometry.Geometry';
export const GEOGRAPHY = 'io.debezium.data.geometry.Geography';
export const POINT = 'io.debezium.data.geometry.Point';
/** AvroData's CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT. */
export const AVRO_DECIMAL_PRECISION_DEFAULT = 64;
const PRECISION_PARAM = 'connect.decimal.precision';

/**
 * The logical types Ferry knows: their Connect type and the schema version Debezium/Kafka give them.
 * A FieldType naming one of these gets that version when it gives none. Unknown names pass through
 * unchanged (AvroData writes any named primitive the same way).
 */
export const KNOWN_LOGICAL_TYPES: Readonly<Record<string, { readonly type: ConnectSchema['type']; readonly version: number }>> = {
  'io.debezium.time.Date': { type: 'int32', version: 1 },
  'io.debezium.time.Time': { type: 'int32', version: 1 },
  'io.debezium.time.MicroTime': { type: 'int64', version: 1 },
  'io.debezium.time.NanoTime': { type: 'int64', version: 1 },
  'io.debezium.time.Timestamp': { type: 'int64', version: 1 },
  'io.debezium.time.MicroTimestamp': { type: 'int64', version: 1 },
  'io.debezium.time.NanoTimestamp': { type: 'int64', version: 1 },
  'io.debezium.time.ZonedTimestamp': { type: 'string', version: 1 },
  'io.debezium.time.ZonedTime': { type: 'string', version: 1 },
  'io.debezium.time.MicroDuration': { type: 'int64', version: 1 },
  'io.debezium.time.NanoDuration': { type: 'int64', version: 1 },
  'io.debezium.time.Interval': { type: 'string', version: 1 },
  'io.debezium.time.Year': { type: 'int32', version: 1 },
  'io.debezium.data.Json': { type: 'string', version: 1 },
  'io.debezium.data.Uuid': { type: 'string', version: 1 },
  'io.debezium.data.Xml': { type: 'string', version: 1 },
  'io.debezium.data.Enum': { type: 'string', version: 1 },
  'io.debezium.data.EnumSet': { type: 'string', version: 1 },
  'io.debezium.data.Bits': { type: 'bytes', version: 1 },
  [DECIMAL]: { type: 'bytes', version: 1 },
  'org.apache.kafka.connect.data.Date': { type: 'int32', version: 1 },
  'org.apache.kafka.connect.data.Time': { type: 'int32', version: 1 },
  'org.apache.kafka.connect.data.Timestamp': { type: 'int64', version: 1 },
  [VARIABLE_SCALE_DECIMAL]: { type: 'struct', version: 1 },
  [GEOMETRY]: { type: 'struct', version: 2 },
  [GEOGRAPHY]: { type: 'struct', version: 1 },
  [POINT]: { type: 'struct', version: 1 },
};

const AVRO_LOGICAL: Readonly<Record<string, string>> = {
  'org.apache.kafka.connect.data.Date': 'date',
  'org.apache.kafka.connect.data.Time': 'time-millis',
  'org.apache.kafka.connect.data.Timestamp': 'timestamp-millis',
};

const prim = (type: ConnectType, optional = false): ConnectSchema => ({ type, optional });

/** The struct schemas of Debezium's struct-valued logical types (Geometry is always optional, as Debezium builds it). */
function structLogical(name: string, version: number): ConnectSchema {
  switch (name) {
    case VARIABLE_SCALE_DECIMAL:
      return { type: 'struct', optional: false, name, version, doc: 'Variable scaled decimal',
        fields: [{ name: 'scale', schema: prim('int32') }, { name: 'value', schema: prim('bytes') }] };
    case GEOMETRY:
      return { type: 'struct', optional: true, name, version, doc: 'Geometry',
        fields: [{ name: 'wkb', schema: prim('bytes') }, { name: 'srid', schema: prim('int32', true) },
          { name: 'extensions', schema: { type: 'map', optional: true, valueSchema: prim('string') } }] };
    case GEOGRAPHY:
      return { type: 'struct', optional: false, name, version, doc: 'Geography',
        fields: [{ name: 'wkb', schema: prim('bytes') }, { name: 'srid', schema: prim('int32', true) }] };
    case POINT:
      return { type: 'struct', optional: false, name, version, doc: 'Geometry (POINT)',
        fields: [{ name: 'x', schema: prim('float64') }, { name: 'y', schema: prim('float64') },
          { name: 'wkb', schema: prim('bytes', true) }, { name: 'srid', schema: prim('int32', true) }] };
    default:
      throw new FerryError('FERRY_INTERNAL', `no struct definition for logical type ${name}`);
  }
}

/**
 * A column's Connect schema, as Debezium's TableSchemaBuilder#addField builds it: the FieldType, made optional
 * when the column is nullable, with the column default when one is given. For struct logical types
 * (VariableScaleDecimal, Geometry, Geography, Point) `ft.type` is ignored.
 */
export function fieldTypeToConnect(ft: FieldType, options: { readonly optional: boolean; readonly defaultValue?: unknown }): ConnectSchema {
  const known = ft.logical === undefined ? undefined : KNOWN_LOGICAL_TYPES[ft.logical];
  const version = ft.version ?? known?.version;
  let schema: ConnectSchema;
  if (ft.type === 'map') {
    if (ft.items === undefined) throw new FerryError('FERRY_INTERNAL', 'a map FieldType needs items');
    // Debezium's hstore.handling.mode=map: SchemaBuilder.map(string, optional string)
    schema = { type: 'map', optional: options.optional, valueSchema: fieldTypeToConnect(ft.items, { optional: true }), ...(ft.params ? { params: ft.params } : {}) };
  } else if (ft.type === 'array') {
    if (ft.items === undefined) throw new FerryError('FERRY_INTERNAL', 'an array FieldType needs items');
    // Debezium's PostgreSQL arrays: elements are optional (an array may hold NULLs).
    schema = { type: 'array', optional: options.optional, valueSchema: fieldTypeToConnect(ft.items, { optional: true }), ...(ft.params ? { params: ft.params } : {}) };
  } else if (known?.type === 'struct') {
    const base = structLogical(ft.logical!, version!);
    schema = { ...base, optional: base.optional || options.optional, ...(ft.params ? { params: ft.params } : {}) };
  } else {
    if (known && known.type !== ft.type) {
      throw new FerryError('FERRY_INTERNAL', `logical type ${ft.logical} must have Connect type ${known.type}, got ${ft.type}`);
    }
    if (ft.logical === DECIMAL && ft.params?.scale === undefined) {
      throw new FerryError('FERRY_INTERNAL', `a ${DECIMAL} FieldType needs a 'scale' parameter`);
    }
    schema = {
      type: ft.type,
      optional: options.optional,
      ...(ft.logical !== undefined ? { name: ft.logical } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(ft.params ? { params: ft.params } : {}),
    };
  }
  if (options.defaultValue !== undefined && options.defaultValue !== null) schema = { ...schema, defaultValue: options.defaultValue };
  return schema;
}

/** Convenience: the Avro schema of one column type (a standalone conversion). */
export function fieldTypeToAvro(ft: FieldType, options: { readonly optional: boolean; readonly defaultValue?: unknown } = { optional: false }): AvroSchema {
  return connectToAvro(fieldTypeToConnect(ft, options));
}

interface Ctx {
  /** Records already written in this top-level schema: full name → structural signature. */
  readonly defined: Map<string, string>;
  /** Connect schema names seen on fields (AvroData's seenNamedTypes). */
  readonly seenNames: Set<string>;
  namespace: string | null;
}

/** Converts a Connect schema into Avro schema JSON, as one top-level AvroData conversion (one registered schema). */
export function connectToAvro(schema: ConnectSchema): AvroSchema {
  return convert(schema, { defined: new Map(), seenNames: new Set(), namespace: null });
}

const AVRO_TYPE_NAMES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', 'record', 'enum', 'array', 'map', 'union', 'fixed']);

function convert(s: ConnectSchema, ctx: Ctx): AvroSchema {
  if (s.type === 'struct') {
    if (s.optional) return ['null', record(s, ctx)];
    return record(s, ctx);
  }
  const base: Record<string, unknown> = { type: avroPrimitive(s) };
  if (s.type === 'array') base.items = convert(s.valueSchema!, ctx);
  if (s.type === 'map') base.values = convert(s.valueSchema!, ctx);
  const isDecimal = s.name === DECIMAL;
  if (isDecimal) {
    base.scale = Number(s.params?.scale ?? '0');
    const p = s.params?.[PRECISION_PARAM];
    base.precision = p === undefined ? AVRO_DECIMAL_PRECISION_DEFAULT : Number(p);
  }
  addConnectProps(base, s);
  if (s.type === 'int8' || s.type === 'int16') base['connect.type'] = s.type;
  if (isDecimal) base.logicalType = 'decimal';
  else if (s.name !== undefined && AVRO_LOGICAL[s.name] !== undefined) base.logicalType = AVRO_LOGICAL[s.name];
  // Avro prints a property-less primitive as its bare name.
  const t: AvroSchema = Object.keys(base).length === 1 && s.type !== 'array' && s.type !== 'map' ? (base.type as string) : (base as AvroTypeObject);
  if (!s.optional) return t;
  return hasDefault(s) ? [t, 'null'] : ['null', t];
}

function avroPrimitive(s: ConnectSchema): string {
  switch (s.type) {
    case 'int8': case 'int16': case 'int32': return 'int';
    case 'int64': return 'long';
    case 'float32': return 'float';
    case 'float64': return 'double';
    case 'boolean': return 'boolean';
    case 'string': return 'string';
    case 'bytes': return 'bytes';
    case 'array': return 'array';
    case 'map': return 'map';
    default: throw new FerryError('FERRY_INTERNAL', `cannot convert Connect type ${s.type} to Avro`);
  }
}

function addConnectProps(target: Record<string, unknown>, s: ConnectSchema): void {
  if (s.doc !== undefined) target['connect.doc'] = s.doc;
  if (s.version !== undefined) target['connect.version'] = s.version;
  if (s.params && Object.keys(s.params).length > 0) target['connect.parameters'] = { ...s.params };
  if (hasDefault(s)) target['connect.default'] = defaultToJson(s, s.defaultValue);
  if (s.name !== undefined) target['connect.name'] = s.name;
}

function hasDefault(s: ConnectSchema): boolean {
  return s.defaultValue !== undefined && s.defaultValue !== null;
}

function record(s: ConnectSchema, ctx: Ctx): AvroSchema {
  if (s.name === undefined) throw new FerryError('FERRY_INTERNAL', 'Ferry only converts named Connect structs');
  const full = s.name;
  const { namespace, name } = splitFullName(full);
  // Avro prints any repeated full name as a reference. Parameters, doc and version may differ (e.g. two
  // Geometry columns with different propagated source types); the fields must not, or the text would lie.
  const signature = JSON.stringify(s.fields ?? [], jsonReplacer);
  const prev = ctx.defined.get(full);
  if (prev !== undefined) {
    if (prev !== signature) throw new FerryError('FERRY_INTERNAL', `two structs with different fields are both named ${full}`);
    return namespace === ctx.namespace && !AVRO_TYPE_NAMES.has(name) ? name : full;
  }
  ctx.defined.set(full, signature);
  const out: Record<string, unknown> = { type: 'record', name };
  if (namespace !== null && namespace !== ctx.namespace) out.namespace = namespace;
  else if (namespace === null && ctx.namespace !== null) out.namespace = '';
  const saved = ctx.namespace;
  ctx.namespace = namespace;
  out.fields = (s.fields ?? []).map((f) => field(f, ctx));
  ctx.namespace = saved;
  addConnectProps(out, s);
  return out as unknown as AvroRecordSchema;
}

function field(f: ConnectField, ctx: Ctx): AvroField {
  const fs = f.schema;
  const alreadySeen = fs.name !== undefined && ctx.seenNames.has(fs.name);
  if (fs.name !== undefined) ctx.seenNames.add(fs.name);
  const type = convert(fs, ctx);
  const out: Record<string, unknown> = { name: f.name, type };
  if (hasDefault(fs)) out.default = defaultToJson(fs, fs.defaultValue);
  else if (fs.optional) out.default = null;
  if (f.aliases !== undefined && f.aliases.length > 0) out.aliases = [...f.aliases];
  if (alreadySeen && fs.type === 'struct' && fs.params && Object.keys(fs.params).length > 0) {
    out['connect.parameters'] = { ...fs.params };
  }
  return out as AvroField;
}

/** AvroData#defaultValueFromConnect: a wire-representation value as Avro default JSON (bytes → ISO-8859-1 string). */
export function defaultToJson(s: ConnectSchema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (s.type) {
    case 'bytes':
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
      return value;
    case 'int64':
      // Keep exactness: a bigint that is a safe integer becomes a number; a larger one stays bigint
      // (avroSchemaToString prints it as a JSON number).
      return typeof value === 'bigint' && Number.isSafeInteger(Number(value)) ? Number(value) : value;
    case 'struct': {
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of s.fields ?? []) out[f.name] = defaultToJson(f.schema, obj[f.name]);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => defaultToJson(s.valueSchema!, v));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = defaultToJson(s.valueSchema!, v);
      return out;
    }
    default:
      return value;
  }
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return rawJSON(value.toString());
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  }
  return value;
}

/** The schema's text, as registered: compact JSON, key order preserved, bigint defaults printed exactly. */
export function avroSchemaToString(schema: AvroSchema | object): string {
  return JSON.stringify(schema, jsonReplacer);
}
