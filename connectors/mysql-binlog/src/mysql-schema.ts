/**
 * Table definitions from information_schema, and the runtime TableSchema (Debezium field types) derived from them.
 *
 * Read once at snapshot / first start; afterwards the binlog's DDL drives schema changes (schema-history.ts), so
 * events are decoded with the schema in effect at their position, not with whatever information_schema says now.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Column, TableId, TableSchema } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { mapColumn, type MySqlColumnDef, type MySqlTableDef } from './type-mapping.ts';
import { defaultValue } from './value-conversion.ts';

export const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** '<db>.<table>': the key Ferry uses for a table everywhere (history, state, metrics). */
export function tableKey(id: TableId | { readonly schema: string; readonly table: string }): string {
  return `${id.schema}.${id.table}`;
}

/** Backtick-quoted identifier. */
export function quoteId(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** The base tables the selector includes, in DMS load order (higher first), then by name. */
export async function listSelectedTables(conn: Connection, selector: TableSelector): Promise<TableId[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME");
  const ids: TableId[] = [];
  for (const r of rows) {
    const id = { schema: String(r.s), table: String(r.t) };
    if (!SYSTEM_SCHEMAS.has(id.schema.toLowerCase()) && selector.includes(id)) ids.push(id);
  }
  return ids.sort((a, b) => selector.loadOrder(b) - selector.loadOrder(a) || tableKey(a).localeCompare(tableKey(b)));
}

/** MariaDB prints column defaults as SQL ('abc' quoted, NULL, expressions); MySQL prints the bare value. */
export function parseColumnDefault(raw: unknown, extra: string, isMariaDb: boolean): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  if (isMariaDb) {
    if (text === 'NULL') return undefined;
    if (text.startsWith('\'') && text.endsWith('\'') && text.length >= 2) return text.slice(1, -1).replace(/''/g, '\'').replace(/\\\\/g, '\\');
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) || /^b'[01]*'$/i.test(text)) return text;
    return undefined; // an expression: current_timestamp(), uuid(), ...
  }
  if (/DEFAULT_GENERATED/i.test(extra)) return undefined;
  return text;
}

/** Character set of a collation name ('utf8mb4_general_ci' → 'utf8mb4'). */
export function charsetOfCollation(collation: unknown): string | null {
  if (typeof collation !== 'string' || collation === '') return null;
  return collation.split('_')[0]!;
}

const JSON_CHECK = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

/** Reads the definitions of `tables` (missing tables are simply absent from the result). */
export async function readTableDefs(conn: Connection, tables: readonly TableId[], isMariaDb: boolean): Promise<Map<string, MySqlTableDef>> {
  const out = new Map<string, MySqlTableDef>();
  if (tables.length === 0) return out;
  const wanted = new Set(tables.map(tableKey));
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const [cols] = await conn.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_DEFAULT AS dflt, IS_NULLABLE AS nullable,
            COLUMN_TYPE AS ctype, CHARACTER_SET_NAME AS cs, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, [schemas]);
  const [keys] = await conn.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name FROM information_schema.STATISTICS
      WHERE INDEX_NAME = 'PRIMARY' AND TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`, [schemas]);
  const [tabs] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_COLLATION AS coll FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?)', [schemas]);
  const jsonCols = new Set<string>();
  if (isMariaDb) {
    const [checks] = await conn.query<RowDataPacket[]>(
      'SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN (?)', [schemas]);
    for (const c of checks) {
      const m = JSON_CHECK.exec(String(c.clause));
      if (m) jsonCols.add(`${c.s}.${c.t}.${m[1]!.replace(/``/g, '`')}`);
    }
  }
  const charsets = new Map(tabs.map((t) => [`${t.s}.${t.t}`, charsetOfCollation(t.coll)]));
  const pks = new Map<string, string[]>();
  for (const k of keys) {
    const key = `${k.s}.${k.t}`;
    if (!wanted.has(key)) continue;
    let list = pks.get(key);
    if (!list) pks.set(key, (list = []));
    list.push(String(k.name));
  }
  const columns = new Map<string, MySqlColumnDef[]>();
  for (const c of cols) {
    const key = `${c.s}.${c.t}`;
    if (!wanted.has(key)) continue;
    let list = columns.get(key);
    if (!list) columns.set(key, (list = []));
    const name = String(c.name);
    const defaultText = parseColumnDefault(c.dflt, String(c.extra ?? ''), isMariaDb);
    list.push({
      name,
      columnType: lowerOutsideQuotes(String(c.ctype)),
      nullable: c.nullable === 'YES',
      charset: c.cs === null || c.cs === undefined ? null : String(c.cs),
      ...(jsonCols.has(`${key}.${name}`) ? { json: true } : {}),
      ...(defaultText !== undefined ? { defaultText } : {}),
    });
  }
  for (const id of tables) {
    const key = tableKey(id);
    const list = columns.get(key);
    if (!list) continue;
    out.set(key, { schema: id.schema, table: id.table, columns: list, primaryKey: pks.get(key) ?? [], charset: charsets.get(key) ?? null });
  }
  return out;
}

/** The default character set of a database, for tables a DDL creates without one. */
export async function databaseCharset(conn: Connection, schema: string): Promise<string | null> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema]);
  return rows[0] ? String(rows[0].cs) : null;
}

/** information_schema.TABLES.TABLE_ROWS: InnoDB's estimate, for progress and ETA only. */
export async function estimateRows(conn: Connection, tables: readonly TableId[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (tables.length === 0) return out;
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?)', [[...new Set(tables.map((t) => t.schema))]]);
  for (const r of rows) out.set(`${r.s}.${r.t}`, Number(r.n ?? 0));
  return out;
}

/** The runtime TableSchema of a definition (Debezium field types, nullability, defaults). Throws on an unknown type. */
export function toTableSchema(def: MySqlTableDef, version: number): TableSchema {
  const columns: Column[] = def.columns.map((c) => {
    let mapping;
    try {
      mapping = mapColumn(c);
    } catch (e: unknown) {
      throw new Error(`${tableKey(def)}.${c.name}: ${(e as Error).message}`, { cause: e });
    }
    const dflt = defaultValue(mapping, c);
    return { name: c.name, type: mapping.fieldType, nullable: c.nullable, sourceType: c.columnType, ...(dflt !== undefined ? { defaultValue: dflt } : {}), ...(c.renamedFrom !== undefined ? { renamedFrom: [...c.renamedFrom] } : {}) };
  });
  return { id: { schema: def.schema, table: def.table }, version, columns, primaryKey: [...def.primaryKey] };
}

/** Whether two definitions describe the same table shape (used to detect DDL racing a snapshot's start). */
export function sameDef(a: MySqlTableDef | undefined, b: MySqlTableDef | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A COLUMN_TYPE in lower case, except its quoted ENUM and SET members, which keep their case ('A' stays 'A'). */
export function lowerOutsideQuotes(columnType: string): string {
  return columnType.replace(/('(?:[^'\\]|''|\\.)*')|[^']+/g, (m, quoted: string | undefined) => (quoted ? m : m.toLowerCase()));
}
