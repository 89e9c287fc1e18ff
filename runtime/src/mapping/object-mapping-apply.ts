/**
 * A table's DMS object-mapping rule applied to its rows, for the sinks that shape records with it (DynamoDB, Kinesis,
 * Kafka). Compiled once per table version (SinkTable) — column references resolved, templates parsed — and then
 * applied to each row image. docs/table-mapping.md § Object mapping.
 *
 *   map-record-to-record    every column not in exclude-columns becomes an attribute of its own name, then the
 *                           attribute-mappings are added (one with a column's name replaces that column)
 *   map-record-to-document  the columns not in exclude-columns go into one flat map attribute "_doc", then the
 *                           attribute-mappings are added beside it
 *   attribute mapping       scalar string: the template `value` with each ${column} replaced by the column's text
 *                           (a NULL column gives ""); scalar number: the same text, which must be a number;
 *                           document (json): `value` as JSON, templates replaced in its string leaves;
 *                           document dynamodb-map / dynamodb-list: `value` as DynamoDB JSON, likewise
 * Column names in templates and exclude-columns match exactly, else case-insensitively (the DMS guide's Kinesis
 * example excludes "homeaddress" for the column HomeAddress).
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import type { Row, TableId } from '../../../core/src/types.ts';
import { tableMappingSchema, type TableMapping } from '../config/table-mapping-schema.ts';
import { objectMappingFor, type ObjectMapping } from './object-mapping.ts';
import { columnText, valueJson, valueText } from './wire-json.ts';

/** One attribute's value as the mapping computed it; each sink encodes it in its own format. */
export type MappedValue =
  | { readonly kind: 'null' }
  /** A column's (non-null) wire value: the sink encodes it with the column's type. */
  | { readonly kind: 'column'; readonly index: number; readonly value: unknown }
  | { readonly kind: 'string'; readonly text: string }
  /** A number's text, checked: `-?digits[.digits][e±digits]`. */
  | { readonly kind: 'number'; readonly text: string }
  /** attribute-type document, sub-type json (or no sub-type): a JSON value. */
  | { readonly kind: 'json'; readonly value: unknown }
  /** attribute-sub-type dynamodb-map / dynamodb-list: DynamoDB JSON ({"M": …}, {"L": …}). */
  | { readonly kind: 'dynamodb'; readonly value: unknown }
  /** map-record-to-document's "_doc": the included columns. */
  | { readonly kind: 'doc'; readonly fields: readonly MappedAttribute[] };

export interface MappedAttribute {
  readonly name: string;
  readonly value: MappedValue;
}

/** How a stream target (Kinesis, Kafka) keys a table's records. */
export type PartitionKeySpec =
  | { readonly type: 'schema-table' | 'primary-key' | 'transaction-id' }
  | { readonly type: 'constant'; readonly value: string }
  | { readonly type: 'attribute-name'; readonly name: string };

/** What kind of value an attribute holds, known before any row (DynamoDB key types). */
export type AttributeKind = { readonly kind: 'column'; readonly index: number } | { readonly kind: 'string' | 'number' | 'json' | 'dynamodb' | 'doc' };

/** A data problem of one row (a number template whose text is not a number): that change is dead-lettered. */
export class MappedValueRejected extends Error {}

/** A template: literal parts and column indexes, alternating (parts.length === columns.length + 1). */
class Template {
  readonly parts: readonly string[];
  readonly columns: readonly number[];
  constructor(parts: readonly string[], columns: readonly number[]) {
    this.parts = parts;
    this.columns = columns;
  }
}

type DocTemplate = string | number | boolean | null | Template | readonly DocTemplate[] | { readonly [k: string]: DocTemplate };

type CompiledAttribute =
  | { readonly name: string; readonly kind: 'string' | 'number'; readonly template: Template }
  | { readonly name: string; readonly kind: 'json' | 'dynamodb'; readonly doc: DocTemplate };

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** A table's compiled object mapping. */
export class TableObjectMapping {
  readonly rule: ObjectMapping;
  readonly table: SinkTable;
  /** Stream targets: the partition key (Kinesis) or message key (Kafka). */
  readonly partitionKey: PartitionKeySpec;
  /** The attributes a row becomes, by name, with what each holds. */
  readonly attributes: ReadonlyMap<string, AttributeKind>;
  readonly #included: readonly number[];
  readonly #mapped: readonly CompiledAttribute[];

  constructor(rule: ObjectMapping, table: SinkTable) {
    this.rule = rule;
    this.table = table;
    const excluded = new Set(rule.excludeColumns.map((c) => this.#columnIndex(c, 'exclude-columns', true)).filter((i) => i >= 0));
    this.#included = table.columns.map((_c, i) => i).filter((i) => !excluded.has(i));
    this.#mapped = rule.attributeMappings.map((a, n) => this.#compileAttribute(a, n));
    const kinds = new Map<string, AttributeKind>();
    if (rule.action === 'map-record-to-document') kinds.set('_doc', { kind: 'doc' });
    else for (const i of this.#included) kinds.set(table.columns[i]!.name, { kind: 'column', index: i });
    for (const a of this.#mapped) kinds.set(a.name, { kind: a.kind });
    this.attributes = kinds;
    this.partitionKey = partitionKeyOf(rule);
    if (this.partitionKey.type === 'attribute-name' && !kinds.has(this.partitionKey.name)) {
      throw this.#problem(`"partition-key-name" is "${this.partitionKey.name}", which is no attribute of the mapped record (attributes: ${[...kinds.keys()].join(', ')})`);
    }
  }

  #problem(what: string): FerryError {
    return new FerryError('FERRY_CONFIG_INVALID', `object-mapping rule ${this.rule.ruleId} on ${this.table.schema}.${this.table.table}: ${what}`, { disposition: 'fatal' });
  }

  /** The index of a named column: exact name, else the one column equal ignoring case; -1 if `optional` and absent. */
  #columnIndex(name: string, where: string, optional = false): number {
    const cols = this.table.columns;
    const exact = cols.findIndex((c) => c.name === name);
    if (exact >= 0) return exact;
    const lower = name.toLowerCase();
    const loose = cols.flatMap((c, i) => (c.name.toLowerCase() === lower ? [i] : []));
    if (loose.length === 1) return loose[0]!;
    if (optional && loose.length === 0) return -1;
    throw this.#problem(`${where} names column "${name}", which the table ${loose.length ? 'has more than once ignoring case' : 'does not have'} (columns: ${cols.map((c) => c.name).join(', ')})`);
  }

  #template(text: string, where: string): Template {
    const parts: string[] = [];
    const columns: number[] = [];
    let last = 0;
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
      parts.push(text.slice(last, m.index));
      columns.push(this.#columnIndex(m[1]!.trim(), where));
      last = m.index + m[0].length;
    }
    parts.push(text.slice(last));
    return new Template(parts, columns);
  }

  #doc(v: unknown, where: string): DocTemplate {
    if (typeof v === 'string') return this.#template(v, where);
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return v.map((x) => this.#doc(x, where));
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, this.#doc(x, where)]));
    throw this.#problem(`${where} holds a value of type ${typeof v}`);
  }

  #compileAttribute(a: ObjectMapping['attributeMappings'][number], n: number): CompiledAttribute {
    const name = (a['target-attribute-name'] ?? a['attribute-name'])!;
    const where = `attribute-mappings[${n}] ("${name}")`;
    const sub = a['attribute-sub-type'];
    if (sub === 'dynamodb-map' || sub === 'dynamodb-list') return { name, kind: 'dynamodb', doc: this.#doc(a.value, where) };
    if (a['attribute-type'] === 'document' || typeof a.value !== 'string') return { name, kind: 'json', doc: this.#doc(a.value, where) };
    return { name, kind: sub === 'number' ? 'number' : 'string', template: this.#template(a.value, where) };
  }

  #fill(t: Template, row: Row): string {
    let out = t.parts[0]!;
    for (let i = 0; i < t.columns.length; i++) {
      const c = t.columns[i]!;
      const v = row[this.table.columns[c]!.name];
      out += (v === null || v === undefined ? '' : valueText(this.table, c, v)) + t.parts[i + 1]!;
    }
    return out;
  }

  #fillDoc(d: DocTemplate, row: Row): unknown {
    if (d === null || typeof d !== 'object') return d;
    if (Array.isArray(d)) return d.map((x: DocTemplate) => this.#fillDoc(x, row));
    if (d instanceof Template) return this.#fill(d, row);
    return Object.fromEntries(Object.entries(d).map(([k, x]) => [k, this.#fillDoc(x, row)]));
  }

  #column(i: number, row: Row): MappedAttribute {
    const name = this.table.columns[i]!.name;
    const v = row[name];
    return { name, value: v === null || v === undefined ? { kind: 'null' } : { kind: 'column', index: i, value: v } };
  }

  /** A row image (after image, or the before image of a delete) as the mapped record's attributes, in order. */
  apply(row: Row): MappedAttribute[] {
    const cols = this.#included.map((i) => this.#column(i, row));
    const out: MappedAttribute[] = this.rule.action === 'map-record-to-document' ? [{ name: '_doc', value: { kind: 'doc', fields: cols } }] : cols;
    for (const a of this.#mapped) {
      let value: MappedValue;
      if (a.kind === 'string') value = { kind: 'string', text: this.#fill(a.template, row) };
      else if (a.kind === 'number') {
        const text = this.#fill(a.template, row).trim();
        if (!NUMBER.test(text)) throw new MappedValueRejected(`object-mapping rule ${this.rule.ruleId}: attribute ${a.name} is a number, but its value "${text.slice(0, 100)}" is not one`);
        value = { kind: 'number', text: text.replace(/^(-?)0+(?=\d)/, '$1') };
      } else if (a.kind === 'json' || a.kind === 'dynamodb') value = { kind: a.kind, value: this.#fillDoc(a.doc, row) };
      else continue;
      const at = out.findIndex((x) => x.name === a.name);
      if (at >= 0) out[at] = { name: a.name, value };
      else out.push({ name: a.name, value });
    }
    return out;
  }

  /** An attribute's value as text (partition keys, DynamoDB composite parts); null for NULL. */
  text(v: MappedValue): string | null {
    switch (v.kind) {
      case 'null': return null;
      case 'column': return valueText(this.table, v.index, v.value);
      case 'string': case 'number': return v.text;
      default: return JSON.stringify(this.json(v));
    }
  }

  /** An attribute's value as JSON (Kinesis and Kafka records); numbers keep their exact digits. */
  json(v: MappedValue): unknown {
    switch (v.kind) {
      case 'null': return null;
      case 'column': return valueJson(this.table, v.index, v.value);
      case 'string': return v.text;
      case 'number': return rawJson(v.text);
      case 'json': return v.value;
      case 'doc': return Object.fromEntries(v.fields.map((f) => [f.name, this.json(f.value)]));
      case 'dynamodb': throw new FerryError('FERRY_UNSUPPORTED', `object-mapping rule ${this.rule.ruleId}: DynamoDB attribute sub-types are for dynamodb targets`, { disposition: 'fatal' });
    }
  }

  /** The mapped record as a JSON object; NULL attributes are kept as null, or left out when `includeNull` is false. */
  toJson(attrs: readonly MappedAttribute[], includeNull: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of attrs) {
      if (a.value.kind === 'null' && !includeNull) continue;
      if (a.value.kind === 'doc') {
        out[a.name] = Object.fromEntries(a.value.fields.filter((f) => includeNull || f.value.kind !== 'null').map((f) => [f.name, this.json(f.value)]));
      } else out[a.name] = this.json(a.value);
    }
    return out;
  }
}

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function partitionKeyOf(rule: ObjectMapping): PartitionKeySpec {
  switch (rule.partitionKeyType) {
    case 'attribute-name': return { type: 'attribute-name', name: rule.partitionKeyName! };
    case 'constant': return { type: 'constant', value: rule.partitionKeyValue! };
    case 'schema-table': case 'primary-key': case 'transaction-id': return { type: rule.partitionKeyType };
    case undefined:
      // DMS: a "partition-key" value is a constant key; otherwise map-record-to-record keys by <schema>.<table>.
      return rule.partitionKeyValue !== undefined ? { type: 'constant', value: rule.partitionKeyValue } : { type: 'schema-table' };
    default:
      throw new FerryError('FERRY_UNSUPPORTED', `object-mapping rule ${rule.ruleId}: partition-key-type "${rule.partitionKeyType}" is not supported`, { disposition: 'fatal' });
  }
}

/**
 * The object mappings of a task, for one sink: the rule of each table version looked up and compiled once
 * (WeakMap per SinkTable), or null for tables no rule names.
 */
export class ObjectMappings {
  readonly #mapping: TableMapping | null;
  readonly #cache = new WeakMap<SinkTable, TableObjectMapping | null>();

  constructor(mapping: TableMapping | null) {
    this.#mapping = mapping && mapping.rules.some((r) => r['rule-type'] === 'object-mapping') ? mapping : null;
  }

  /** From SinkCreateOptions.tableMappings (the task's validated table mapping, or undefined). */
  static from(tableMappings: unknown): ObjectMappings {
    return new ObjectMappings(tableMappings === undefined || tableMappings === null ? null : tableMappingSchema.parse(tableMappings));
  }

  get any(): boolean {
    return this.#mapping !== null;
  }

  /** The table mapping, when it has object-mapping rules. */
  get mapping(): TableMapping | null {
    return this.#mapping;
  }

  /** The rule of a change's table, matched by its source names (sourceTableOf), compiled once per table version. */
  forRecord(r: SinkRecord): TableObjectMapping | null {
    return this.forTable(r.table, sourceTableOf(r));
  }

  /**
   * The rule for a table version, compiled; `source` is the table's source names (object locators name source
   * objects; default the names the sink sees). Throws a fatal error for a rule that names absent columns.
   */
  forTable(table: SinkTable, source?: TableId): TableObjectMapping | null {
    if (!this.#mapping) return null;
    let m = this.#cache.get(table);
    if (m === undefined) {
      const id: TableId = source ?? { schema: table.schema, table: table.table };
      const rule = objectMappingFor(this.#mapping, id);
      m = rule ? new TableObjectMapping(rule, table) : null;
      this.#cache.set(table, m);
    }
    return m;
  }
}

/** The source-block fields sourceTableOf reads: a sink applying object mappings asks the worker to decode them. */
export const SOURCE_TABLE_FIELDS: readonly string[] = ['connector', 'db', 'schema', 'table'];

/**
 * A change's source table (the names object locators match, before rename rules): the envelope's source block —
 * `db` (MySQL/MariaDB) or `schema` (PostgreSQL), and `table` — else the table's names as the sink sees them.
 */
export function sourceTableOf(r: SinkRecord): TableId {
  const s = r.envelope.source;
  const schema = s.connector === 'postgresql' ? s.schema : s.db;
  return typeof schema === 'string' && schema !== '' && typeof s.table === 'string' && s.table !== '' ? { schema, table: s.table } : { schema: r.table.schema, table: r.table.table };
}

/** The source transaction of a change: GTID (MySQL/MariaDB), txId (PostgreSQL), else the binlog file:position or LSN. */
export function transactionIdOf(r: SinkRecord): string | null {
  const s = r.envelope.source;
  const v = s.gtid ?? s.txId ?? (s.file !== undefined && s.file !== null && s.pos !== undefined ? `${String(s.file)}:${String(s.pos)}` : null) ?? s.lsn ?? r.position;
  return v === null || v === undefined ? null : String(v);
}

/**
 * The partition key (Kinesis) or message key (Kafka) of a mapped change, as text, by the rule's partition-key-type:
 *   schema-table    <schema>.<table>
 *   primary-key     the key columns' text joined with "|" (a NULL part "<null>"); no primary key: <schema>.<table>
 *   transaction-id  transactionIdOf(r); none: <schema>.<table>
 *   constant        the rule's "partition-key" value
 *   attribute-name  the text of that attribute of the mapped record; NULL or absent: <schema>.<table>
 */
export function mappedKeyText(r: SinkRecord, m: TableObjectMapping, attrs: readonly MappedAttribute[] | null): string {
  const st = `${r.table.schema}.${r.table.table}`;
  const spec = m.partitionKey;
  switch (spec.type) {
    case 'schema-table': return st;
    case 'constant': return spec.value;
    case 'transaction-id': return transactionIdOf(r) ?? st;
    case 'primary-key': {
      const key = r.key;
      const pk = r.table.primaryKey;
      if (key === null || pk.length === 0) return st;
      return pk.map((c) => columnText(r.table, key, c) ?? '<null>').join('|');
    }
    case 'attribute-name': {
      const a = attrs?.find((x) => x.name === spec.name);
      return (a ? m.text(a.value) : null) ?? st;
    }
  }
}
