/** A pg_type stand-in for unit tests: the built-in types Ferry maps, by OID, plus a few user types. */
import type { PgType, TypeLookup } from '../../src/type-mapping.ts';

const base = (oid: number, name: string, category = 'X'): PgType => ({ oid, name, schema: 'pg_catalog', typtype: 'b', category, elem: 0, baseType: 0, baseTypmod: -1 });
const array = (oid: number, name: string, elem: number): PgType => ({ oid, name, schema: 'pg_catalog', typtype: 'b', category: 'A', elem, baseType: 0, baseTypmod: -1 });

export const OID = {
  bool: 16, bytea: 17, char: 18, name: 19, int8: 20, int2: 21, int4: 23, text: 25, oid: 26, json: 114, xml: 142,
  point: 600, lseg: 601, path: 602, box: 603, polygon: 604, line: 628, cidr: 650, float4: 700, float8: 701, circle: 718,
  macaddr8: 774, money: 790, macaddr: 829, inet: 869, bpchar: 1042, varchar: 1043, date: 1082, time: 1083,
  timestamp: 1114, timestamptz: 1184, interval: 1186, timetz: 1266, bit: 1560, varbit: 1562, numeric: 1700,
  uuid: 2950, pg_lsn: 3220, tsvector: 3614, jsonb: 3802, int4range: 3904,
  _int4: 1007, _int8: 1016, _text: 1009, _box: 1020, _numeric: 1231, _date: 1182, _bytea: 1001, _timestamptz: 1185,
  mood: 90001, _mood: 90002, posint: 90003, shortname: 90004, hstore: 90005, citext: 90006, pair: 90007, _posint: 90008, grid: 90009,
} as const;

const types: PgType[] = [
  ...Object.entries(OID).filter(([n, o]) => !n.startsWith('_') && o < 90000).map(([n, o]) => base(o, n)),
  array(OID._int4, '_int4', OID.int4), array(OID._int8, '_int8', OID.int8), array(OID._text, '_text', OID.text), array(OID._box, '_box', OID.box),
  array(OID._numeric, '_numeric', OID.numeric), array(OID._date, '_date', OID.date), array(OID._bytea, '_bytea', OID.bytea),
  array(OID._timestamptz, '_timestamptz', OID.timestamptz),
  { oid: OID.mood, name: 'mood', schema: 'app', typtype: 'e', category: 'E', elem: 0, baseType: 0, baseTypmod: -1, enumLabels: ['sad', 'ok', 'happy, really'] },
  { oid: OID._mood, name: '_mood', schema: 'app', typtype: 'b', category: 'A', elem: OID.mood, baseType: 0, baseTypmod: -1 },
  { oid: OID.posint, name: 'posint', schema: 'app', typtype: 'd', category: 'N', elem: 0, baseType: OID.int4, baseTypmod: -1 },
  { oid: OID._posint, name: '_posint', schema: 'app', typtype: 'b', category: 'A', elem: OID.posint, baseType: 0, baseTypmod: -1 },
  { oid: OID.shortname, name: 'shortname', schema: 'app', typtype: 'd', category: 'S', elem: 0, baseType: OID.varchar, baseTypmod: 14 },
  { oid: OID.hstore, name: 'hstore', schema: 'public', typtype: 'b', category: 'U', elem: 0, baseType: 0, baseTypmod: -1 },
  { oid: OID.citext, name: 'citext', schema: 'public', typtype: 'b', category: 'S', elem: 0, baseType: 0, baseTypmod: -1 },
  { oid: OID.pair, name: 'pair', schema: 'app', typtype: 'c', category: 'C', elem: 0, baseType: 0, baseTypmod: -1 },
  { oid: OID.grid, name: 'grid', schema: 'public', typtype: 'b', category: 'U', elem: 0, baseType: 0, baseTypmod: -1 },
];

export const fakeTypes: TypeLookup = (() => {
  const byOid = new Map(types.map((t) => [t.oid, t]));
  return { get: (oid: number) => byOid.get(oid) };
})();

/** The typmod PostgreSQL stores for numeric(p,s), varchar(n) and time-like(p). */
export const numericMod = (p: number, s: number) => ((p << 16) | (s & 0x7ff)) + 4;
export const charMod = (n: number) => n + 4;
