/**
 * Items of a table that a DMS object-mapping rule shapes (runtime/src/mapping/object-mapping-apply.ts): the item's
 * attributes from the rule, its key from "partition-key-name" / "sort-key-name" (else the source primary key), and
 * its DynamoDB table from "target-table-name". Built once per table version. docs/sinks/dynamodb.md § Object mapping.
 *
 *   attribute value            DynamoDB
 *   column                     the column's type mapping (as without a rule)
 *   scalar string / number     S / N (the template's text)
 *   document json              M / L / S / N / BOOL / NULL (numbers keep their digits)
 *   document dynamodb-map/list the DynamoDB JSON as given, templates filled in its leaves
 *   map-record-to-document     "_doc": M of the included columns
 *   NULL column                no attribute ("NULL data from the source are ignored on the target", as DMS)
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkTable } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { MappedValueRejected, type MappedAttribute, type MappedValue, type TableObjectMapping } from '../../../runtime/src/mapping/object-mapping-apply.ts';
import type { AttributeValue, Item } from './dynamo-api.ts';
import { jsonToAttr, ValueRejected, type CodecOptions, type TableCodec } from './item-codec.ts';
import { keySchemaOf, keyTypeOf, type KeyAttr, type KeySchema } from './tables.ts';

export interface MappedItems {
  readonly mapping: TableObjectMapping;
  /** The key comes from the rule's partition-key-name (not the source primary key). */
  readonly ruleKey: boolean;
  readonly keys: KeySchema;
  /** The item of a row image; throws ValueRejected for a value that cannot be written. */
  encode(row: Row): Item;
}

const problem = (m: TableObjectMapping, what: string) =>
  new FerryError('FERRY_CONFIG_INVALID', `object-mapping rule ${m.rule.ruleId} on ${m.table.schema}.${m.table.table} (dynamodb target): ${what}`, { disposition: 'fatal' });

function keyAttr(m: TableObjectMapping, name: string, role: string, o: CodecOptions): KeyAttr {
  const kind = m.attributes.get(name);
  if (!kind) throw problem(m, `${role} "${name}" is no attribute of the mapped item (attributes: ${[...m.attributes.keys()].join(', ')}); map it with an attribute mapping, or name a column that is not excluded`);
  if (kind.kind === 'string') return { name, type: 'S' };
  if (kind.kind === 'number') return { name, type: 'N' };
  if (kind.kind === 'column') {
    const t = keyTypeOf(m.table.columns[kind.index]!.type, o);
    if (t) return { name, type: t };
    throw problem(m, `${role} "${name}" is column ${m.table.columns[kind.index]!.name}, whose type cannot be a DynamoDB key (S, N or B)`);
  }
  throw problem(m, `${role} "${name}" is a document; a DynamoDB key is a scalar (S, N or B)`);
}

/** The rule's key schema, or (no partition-key-name) the source primary key's; null when neither exists. */
function keysOf(m: TableObjectMapping, table: SinkTable, o: CodecOptions): KeySchema | null {
  const pk = m.rule.partitionKeyName;
  if (pk !== undefined) {
    const sk = m.rule.sortKeyName;
    return { hash: keyAttr(m, pk, 'partition-key-name', o), range: sk !== undefined ? keyAttr(m, sk, 'sort-key-name', o) : null, composite: null };
  }
  const ks = keySchemaOf(table, o);
  if (!ks) return null;
  for (const a of m.rule.attributeMappings) {
    const n = a['target-attribute-name'] ?? a['attribute-name'];
    if (n !== undefined && (table.primaryKey.includes(n) || n === ks.hash.name)) {
      throw problem(m, `attribute mapping "${n}" has the name of a primary-key attribute, and the rule has no "partition-key-name"; the item key is then the source primary key, so name the mapping otherwise or make it the key with "partition-key-name"`);
    }
  }
  return ks;
}

/** DynamoDB JSON ({"S": …}, {"M": {…}}, …) from an attribute-sub-type dynamodb-map / dynamodb-list value. */
function ddbJson(v: unknown, at: string): AttributeValue {
  const bad = (why: string) => new ValueRejected(`attribute ${at} is not DynamoDB JSON: ${why}`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('expected an object with one type key (S, N, B, BOOL, NULL, M, L, SS, NS, BS)');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length !== 1) throw bad(`expected one type key, found ${entries.length}`);
  const [type, x] = entries[0]!;
  const strings = (what: string) => { if (!Array.isArray(x) || !x.every((s) => typeof s === 'string')) throw bad(`${what} takes a list of strings`); return x as string[]; };
  switch (type) {
    case 'S': if (typeof x !== 'string') throw bad('S takes a string'); return { S: x };
    case 'N': if (typeof x !== 'string' || !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(x.trim())) throw bad(`N takes a number as text, found ${JSON.stringify(x)}`); return { N: x.trim() };
    case 'B': if (typeof x !== 'string') throw bad('B takes base64 text'); return { B: Buffer.from(x, 'base64') };
    case 'BOOL': if (typeof x !== 'boolean') throw bad('BOOL takes true or false'); return { BOOL: x };
    case 'NULL': if (x !== true) throw bad('NULL takes true'); return { NULL: true };
    case 'M': if (x === null || typeof x !== 'object' || Array.isArray(x)) throw bad('M takes an object'); return { M: Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, y]) => [k, ddbJson(y, `${at}.${k}`)])) };
    case 'L': if (!Array.isArray(x)) throw bad('L takes a list'); return { L: x.map((y, i) => ddbJson(y, `${at}[${i}]`)) };
    case 'SS': return { SS: strings('SS') };
    case 'NS': return { NS: strings('NS') };
    case 'BS': return { BS: strings('BS').map((s) => Buffer.from(s, 'base64')) };
    default: throw bad(`unknown type key ${type}`);
  }
}

export function mappedItems(m: TableObjectMapping, table: SinkTable, codec: TableCodec, o: CodecOptions): MappedItems | null {
  const keys = keysOf(m, table, o);
  if (!keys) return null;
  const ruleKey = m.rule.partitionKeyName !== undefined;
  const value = (a: MappedAttribute): AttributeValue | null => {
    const v: MappedValue = a.value;
    switch (v.kind) {
      case 'null': return null;
      case 'column':
        try {
          return codec.encoders[v.index]!(v.value);
        } catch (e: unknown) {
          throw new ValueRejected(`column ${table.columns[v.index]!.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      case 'string': return { S: v.text };
      case 'number': return { N: v.text };
      case 'json': return jsonToAttr(JSON.stringify(v.value));
      case 'dynamodb': return ddbJson(v.value, a.name);
      case 'doc': {
        const M: Item = {};
        for (const f of v.fields) {
          const x = value(f);
          if (x !== null) M[f.name] = x;
        }
        return { M };
      }
    }
  };
  return {
    mapping: m, ruleKey, keys,
    encode(row: Row): Item {
      let attrs: MappedAttribute[];
      try {
        attrs = m.apply(row);
      } catch (e: unknown) {
        if (e instanceof MappedValueRejected) throw new ValueRejected(e.message);
        throw e;
      }
      const item: Item = {};
      for (const a of attrs) {
        const x = value(a);
        if (x !== null) item[a.name] = x;
      }
      if (!ruleKey) {
        // The source primary key is the item key: its columns are attributes even when excluded or inside "_doc".
        for (const i of codec.keyIndexes) {
          const col = codec.columns[i]!;
          const v = row[col.name];
          if (v !== null && v !== undefined && item[col.name] === undefined) item[col.name] = codec.encoders[i]!(v);
        }
      }
      return item;
    },
  };
}
