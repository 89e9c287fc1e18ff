/**
 * The catalog of the selected tables, for `ferry convert-schema`: columns (format_type, identity, serial sequence,
 * generated), keys and unique constraints, indexes (partial, expression, method), foreign keys, check constraints,
 * and the views, triggers, functions/procedures and sequences of their schemas, read from pg_catalog in one
 * read-only session. Definitions are printed with the session's search_path set to the object's schema, so names
 * of the same schema come out unqualified (and follow a schema rename).
 */
import type {
  CatalogCheck, CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogKey, CatalogRoutine, CatalogSequence, CatalogTable,
  CatalogTrigger, CatalogType, CatalogView, ForeignKeyAction, SourceCatalog,
} from '../../../core/src/catalog.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';
import { openSession, quoteIdent, type PgConnectionConfig } from './pg-connection.ts';
import { listSelectedTables } from './pg-catalog.ts';

type Row = Record<string, string | null>;

/** Parses format_type() text: 'character varying(40)', 'numeric(10,2)', 'timestamp(3) with time zone', 'integer[]'. */
export function parsePgType(formatted: string): CatalogType {
  let text = formatted.trim();
  let dims = 0;
  while (text.endsWith('[]')) { dims++; text = text.slice(0, -2); }
  const m = /^(.*?)(?:\(([^)]*)\))?(\s+with(?:out)? time zone)?$/.exec(text)!;
  const base = (m[1]!.trim() + (m[3] ?? '')).toLowerCase();
  const name = base.startsWith('"') ? m[1]!.trim() : base;
  const t: { -readonly [K in keyof CatalogType]: CatalogType[K] } = { name };
  const args = m[2]?.split(',').map((x) => Number(x.trim()));
  if (args && args.every((x) => Number.isFinite(x))) {
    if (/^(numeric|decimal)$/.test(name)) { t.precision = args[0]!; t.scale = args[1] ?? 0; }
    else if (/^(timestamp|time)\b/.test(name) || name === 'interval') t.fsp = args[0]!;
    else t.length = args[0]!;
  }
  if (dims > 0) t.arrayDims = dims;
  return t;
}

const ACTIONS: Readonly<Record<string, ForeignKeyAction>> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
const USER_TYPES: Readonly<Record<string, CatalogType['userDefined']>> = { e: 'enum', d: 'domain', c: 'composite', r: 'range' };

function group(rows: readonly Row[], key: string): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const k = r[key]!;
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

const jsonList = (v: string | null | undefined): string[] => (v ? (JSON.parse(v) as string[]) : []);

/** Reads the catalog of the selected tables (read-only). */
export async function readPgCatalog(config: PgConnectionConfig, selector: TableSelector): Promise<SourceCatalog> {
  const client = await openSession(config, { applicationName: 'ferry-convert-schema' });
  try {
    await client.query('SET default_transaction_read_only = on');
    const serverVersion = (await client.query<Row>('SELECT version() AS v')).rows[0]!.v!;
    const selected = await listSelectedTables(client, selector);
    const schemas = [...new Set(selected.map((t) => t.schema))];
    if (selected.length === 0) return { engine: 'postgres', serverVersion, tables: [], views: [], triggers: [], routines: [], sequences: [] };
    const ids = `{${selected.map((t) => t.relid).join(',')}}`;
    const q = async (sql: string, params: unknown[] = [ids]) => (await client.query<Row>(sql, params)).rows;
    const cols = group(await q(`
      SELECT a.attrelid::text AS rel, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS ft, a.attnotnull, a.attidentity, a.attgenerated,
             pg_get_expr(d.adbin, d.adrelid) AS def, t.typtype, tn.nspname AS typschema, t.typname,
             et.typtype AS elemtype, etn.nspname AS elemschema, et.typname AS elemname,
             pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS seq,
             (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = COALESCE(NULLIF(t.typelem, 0), t.oid)) AS labels,
             col_description(a.attrelid, a.attnum) AS cmt
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
        LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`), 'rel');
    const cons = group(await q(`
      SELECT c.conrelid::text AS rel, c.conname, c.contype, c.conindid, pg_get_constraintdef(c.oid) AS def,
             array_to_json(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)) AS cols,
             rn.nspname AS refschema, r.relname AS reftable,
             array_to_json(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)) AS refcols,
             c.confupdtype, c.confdeltype
        FROM pg_constraint c LEFT JOIN pg_class r ON r.oid = c.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
       WHERE c.conrelid = ANY($1::oid[]) ORDER BY c.conrelid, c.conname`), 'rel');
    const idx = group(await q(`
      SELECT i.indrelid::text AS rel, ic.relname AS name, i.indisunique, i.indisprimary, am.amname, i.indexprs IS NOT NULL AS hasexpr,
             pg_get_expr(i.indpred, i.indrelid) AS pred, pg_get_indexdef(i.indexrelid) AS def,
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) AS backs,
             array_to_json(ARRAY(SELECT COALESCE(a.attname, '') FROM unnest(i.indkey) WITH ORDINALITY k(n, o) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n WHERE k.o <= i.indnkeyatts ORDER BY k.o)) AS cols,
             array_to_json(ARRAY(SELECT (i.indoption[k.o - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) k(o))) AS descs
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
       WHERE i.indrelid = ANY($1::oid[]) ORDER BY i.indrelid, ic.relname`), 'rel');
    const seqs = await q(`
      SELECT s.schemaname, s.sequencename, s.data_type::text AS dt, s.start_value::text AS st, s.increment_by::text AS inc, s.min_value::text AS mn,
             s.max_value::text AS mx, s.cycle, s.last_value::text AS last,
             (SELECT rn.nspname || '.' || r.relname || '.' || a.attname FROM pg_depend d JOIN pg_class r ON r.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = r.relnamespace
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS owned
        FROM pg_sequences s WHERE s.schemaname = ANY($1::text[]) ORDER BY 1, 2`, [schemas]);
    const tables: CatalogTable[] = selected.map((t) => {
      const rel = String(t.relid);
      const columns: CatalogColumn[] = (cols.get(rel) ?? []).map((r) => columnOf(r));
      const c = cons.get(rel) ?? [];
      const key = (r: Row): CatalogKey => ({ name: r.conname!, columns: jsonList(r.cols) });
      const pk = c.find((r) => r.contype === 'p');
      const foreignKeys: CatalogForeignKey[] = c.filter((r) => r.contype === 'f').map((r) => ({
        name: r.conname!, columns: jsonList(r.cols), refSchema: r.refschema!, refTable: r.reftable!, refColumns: jsonList(r.refcols),
        onUpdate: ACTIONS[r.confupdtype!] ?? 'NO ACTION', onDelete: ACTIONS[r.confdeltype!] ?? 'NO ACTION',
      }));
      const checks: CatalogCheck[] = c.filter((r) => r.contype === 'c').map((r) => ({ name: r.conname!, expression: /^CHECK \((.*)\)( NOT VALID)?$/s.exec(r.def!)?.[1] ?? r.def! }));
      const indexes: CatalogIndex[] = (idx.get(rel) ?? []).filter((r) => r.backs !== 't' && r.indisprimary !== 't').map((r) => {
        const names = jsonList(r.cols);
        return {
          name: r.name!, columns: names.filter((n) => n !== ''), unique: r.indisunique === 't', method: r.amname!,
          descending: JSON.parse(r.descs ?? '[]') as boolean[], definition: r.def!,
          ...(r.pred ? { predicate: r.pred } : {}),
          ...(r.hasexpr === 't' ? { expression: /\((.*)\)(?: WHERE .*)?$/s.exec(r.def!.replace(/ WHERE .*$/s, ''))?.[1] ?? r.def! } : {}),
          ...(r.amname === 'gist' || r.amname === 'spgist' ? { spatial: true } : {}),
        };
      });
      return {
        schema: t.schema, name: t.table, columns, ...(pk ? { primaryKey: key(pk) } : {}),
        uniqueKeys: c.filter((r) => r.contype === 'u').map(key), indexes, foreignKeys, checks,
      };
    });
    const sequences: CatalogSequence[] = seqs.map((r) => ({
      schema: r.schemaname!, name: r.sequencename!, dataType: r.dt!, start: r.st!, increment: r.inc!, min: r.mn!, max: r.mx!, cycle: r.cycle === 't',
      next: r.last === null ? r.st! : (BigInt(r.last!) + BigInt(r.inc!)).toString(), ...(r.owned ? { ownedBy: r.owned } : {}),
    }));
    const views: CatalogView[] = [];
    const triggers: CatalogTrigger[] = [];
    const routines: CatalogRoutine[] = [];
    for (const schema of schemas) {
      await client.query(`SET search_path = ${quoteIdent(schema)}`);
      for (const r of await q(`SELECT c.relname, pg_get_viewdef(c.oid, true) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND n.nspname = $1 ORDER BY 1`, [schema])) {
        if (selector.includes({ schema, table: r.relname! })) views.push({ schema, name: r.relname!, definition: r.def!.trim().replace(/;$/, '') });
      }
      for (const r of await q(`
          SELECT tg.tgname, c.relname, pg_get_triggerdef(tg.oid) AS def, pn.nspname || '.' || p.proname AS fn,
                 CASE WHEN tg.tgtype & 2 = 2 THEN 'BEFORE' WHEN tg.tgtype & 64 = 64 THEN 'INSTEAD OF' ELSE 'AFTER' END AS timing,
                 concat_ws(' OR ', CASE WHEN tg.tgtype & 4 = 4 THEN 'INSERT' END, CASE WHEN tg.tgtype & 16 = 16 THEN 'UPDATE' END,
                           CASE WHEN tg.tgtype & 8 = 8 THEN 'DELETE' END, CASE WHEN tg.tgtype & 32 = 32 THEN 'TRUNCATE' END) AS ev
            FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
           WHERE NOT tg.tgisinternal AND tg.tgrelid = ANY($1::oid[]) AND n.nspname = $2 ORDER BY c.relname, tg.tgname`, [ids, schema])) {
        triggers.push({ schema, name: r.tgname!, table: r.relname!, timing: r.timing!, event: r.ev!, definition: r.def!, function: r.fn! });
      }
      for (const r of await q(`
          SELECT p.proname, p.prokind, l.lanname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
           WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
           ORDER BY 1`, [schema])) {
        routines.push({ schema, name: r.proname!, kind: r.prokind === 'p' ? 'procedure' : 'function', definition: r.def!.trim(), language: r.lanname! });
      }
    }
    return { engine: 'postgres', serverVersion, tables, views, triggers, routines, sequences };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function columnOf(r: Row): CatalogColumn {
  const parsed = parsePgType(r.ft!);
  const isArray = (parsed.arrayDims ?? 0) > 0;
  const typtype = isArray ? r.elemtype : r.typtype;
  const typschema = isArray ? r.elemschema : r.typschema;
  const typname = isArray ? r.elemname : r.typname;
  let userDefined = USER_TYPES[typtype ?? ''];
  if (!userDefined && typschema !== 'pg_catalog' && typtype === 'b') userDefined = 'extension';
  const type: CatalogType = {
    ...parsed,
    ...(userDefined ? { userDefined, name: typname! } : {}),
    ...(userDefined === 'enum' && r.labels ? { values: JSON.parse(r.labels) as string[] } : {}),
  };
  const gen = r.attgenerated === 's';
  return {
    name: r.attname!, ordinal: Number(r.attnum), sourceType: r.ft!, type, nullable: r.attnotnull !== 't',
    ...(r.def !== null && !gen ? { defaultExpression: r.def } : {}),
    ...(r.attidentity === 'a' ? { identity: 'always' as const } : r.attidentity === 'd' ? { identity: 'by-default' as const } : {}),
    ...(r.seq ? { sequence: r.seq } : {}),
    ...(gen ? { generated: { expression: r.def ?? '', stored: true } } : {}),
    ...(r.cmt ? { comment: r.cmt } : {}),
  };
}
