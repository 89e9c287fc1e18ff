/**
 * What Ferry reads from the PostgreSQL catalog: types (pg_type, with enum labels), the selected tables, and
 * their columns, primary keys, defaults and replica identity. Every query returns raw text (RAW_TEXT sessions).
 * Run inside a snapshot transaction, the answers are those of the snapshot (the catalog is MVCC too).
 */
import type pg from 'pg';
import type { TableId } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { PgType, TypeLookup } from './type-mapping.ts';

export interface PgColumnDef {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
  readonly notNull: boolean;
  /** attndims: declared array dimensions (0 when not an array or not declared). */
  readonly dims: number;
  /** pg_get_expr of the column default, if any. */
  readonly defaultExpr: string | null;
  /** attlen (-1 for varlena) and attstorage ('p' plain, 'm', 'e', 'x'): whether values can be TOASTed. */
  readonly attlen: number;
  readonly storage: string;
  /** Stored generated column: pgoutput (PostgreSQL ≤ 17) does not send these, so Ferry leaves them out. */
  readonly generated: boolean;
}

export interface PgTableDef {
  readonly relid: number;
  readonly schema: string;
  readonly table: string;
  /** relreplident: d default, n nothing, f full, i index. */
  readonly replicaIdentity: string;
  /** Non-dropped columns in attnum order. */
  readonly columns: readonly PgColumnDef[];
  readonly primaryKey: readonly string[];
}

export const tableKey = (t: TableId): string => `${t.schema}.${t.table}`;

/** pg_type, loaded whole once and reloaded when an unknown OID shows up. */
export class TypeRegistry implements TypeLookup {
  #types = new Map<number, PgType>();

  get(oid: number): PgType | undefined {
    return this.#types.get(oid);
  }

  has(oid: number): boolean {
    return this.#types.has(oid);
  }

  async load(client: pg.Client): Promise<void> {
    const { rows } = await client.query<Record<string, string | null>>(`
      SELECT t.oid, t.typname, n.nspname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typtypmod,
             CASE WHEN t.typtype = 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`);
    const next = new Map<number, PgType>();
    for (const r of rows) {
      const oid = Number(r.oid);
      next.set(oid, {
        oid, name: r.typname!, schema: r.nspname!, typtype: r.typtype!, category: r.typcategory!, elem: Number(r.typelem),
        baseType: Number(r.typbasetype), baseTypmod: Number(r.typtypmod),
        ...(r.labels ? { enumLabels: JSON.parse(r.labels) as string[] } : {}),
      });
    }
    this.#types = next;
  }
}

const SYSTEM_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

export interface CatalogTable extends TableId {
  readonly relid: number;
  readonly replicaIdentity: string;
}

/** Ordinary tables (and partitions) the selection rules include, highest load-order first, then by name. */
export async function listSelectedTables(client: pg.Client, selector: TableSelector): Promise<CatalogTable[]> {
  const { rows } = await client.query<Record<string, string>>(`
    SELECT c.oid, n.nspname, c.relname, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND ${SYSTEM_SCHEMAS} ORDER BY n.nspname, c.relname`);
  return rows
    .map((r) => ({ relid: Number(r.oid), schema: r.nspname!, table: r.relname!, replicaIdentity: r.relreplident! }))
    .filter((t) => selector.includes(t))
    .sort((a, b) => selector.loadOrder(b) - selector.loadOrder(a));
}

/** Column, key and identity definitions of tables by relid. */
export async function readTableDefs(client: pg.Client, relids: readonly number[]): Promise<Map<number, PgTableDef>> {
  const out = new Map<number, PgTableDef>();
  if (relids.length === 0) return out;
  const ids = `{${relids.join(',')}}`;
  // One query at a time: a pg client queues concurrent queries (deprecated in pg 8, removed in 9).
  const rels = await client.query<Record<string, string>>(`
      SELECT c.oid, n.nspname, c.relname, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = ANY($1::oid[])`, [ids]);
  const cols = await client.query<Record<string, string | null>>(`
      SELECT a.attrelid, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attndims, a.attlen, a.attstorage, a.attgenerated,
             pg_get_expr(d.adbin, d.adrelid) AS default_expr
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attrelid, a.attnum`, [ids]);
  const pks = await client.query<Record<string, string>>(`
      SELECT i.indrelid, array_to_json(ARRAY(
               SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)) AS cols
        FROM pg_index i WHERE i.indisprimary AND i.indrelid = ANY($1::oid[])`, [ids]);
  const columns = new Map<number, PgColumnDef[]>();
  for (const r of cols.rows) {
    const relid = Number(r.attrelid);
    let list = columns.get(relid);
    if (!list) columns.set(relid, (list = []));
    list.push({
      name: r.attname!, typeOid: Number(r.atttypid), typmod: Number(r.atttypmod), notNull: r.attnotnull === 't', dims: Number(r.attndims ?? 0),
      defaultExpr: r.default_expr ?? null, attlen: Number(r.attlen), storage: r.attstorage!, generated: (r.attgenerated ?? '') !== '',
    });
  }
  const keys = new Map(pks.rows.map((r) => [Number(r.indrelid), JSON.parse(r.cols!) as string[]]));
  for (const r of rels.rows) {
    const relid = Number(r.oid);
    out.set(relid, {
      relid, schema: r.nspname!, table: r.relname!, replicaIdentity: r.relreplident!,
      columns: columns.get(relid) ?? [], primaryKey: keys.get(relid) ?? [],
    });
  }
  return out;
}

/** The relid of a table by name, or null. */
export async function relidOf(client: pg.Client, id: TableId): Promise<number | null> {
  const { rows } = await client.query<{ oid: string }>(
    'SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [id.schema, id.table]);
  return rows[0] ? Number(rows[0].oid) : null;
}

/** Server facts Ferry adapts to. */
export interface ServerInfo {
  readonly versionNum: number;
  readonly blockSize: number;
  readonly database: string;
}

export async function serverInfo(client: pg.Client): Promise<ServerInfo> {
  const { rows } = await client.query<Record<string, string>>(
    "SELECT current_setting('server_version_num') AS v, current_setting('block_size') AS b, current_database() AS d");
  return { versionNum: Number(rows[0]!.v), blockSize: Number(rows[0]!.b), database: rows[0]!.d! };
}
