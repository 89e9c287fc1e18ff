/**
 * The catalog of the selected tables, for `ferry convert-schema`: columns with their types parsed, defaults,
 * AUTO_INCREMENT and ON UPDATE, keys, indexes, foreign keys, check constraints, and the views, triggers and routines
 * of their databases, read from information_schema (and SHOW CREATE) on one read-only connection.
 *
 * MariaDB's JSON is a LONGTEXT with a `json_valid(col)` check: the reader reports it as type `json` and drops that
 * check. MariaDB prints column defaults as SQL (quoted literals, `NULL`, expressions); MySQL prints the bare value,
 * which the reader quotes unless EXTRA says DEFAULT_GENERATED (an expression).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type {
  CatalogCheck, CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogKey, CatalogRoutine, CatalogTable, CatalogTrigger,
  CatalogType, CatalogView, ForeignKeyAction, SourceCatalog,
} from '../../../core/src/catalog.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';
import type { TableId } from '../../../core/src/types.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { listSelectedTables, quoteId, tableKey } from './mysql-schema.ts';
import { blindSpots, readGrants, unknownGrants } from './catalog-privileges.ts';

type Row = RowDataPacket & Record<string, unknown>;

const NUMERIC = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|year)$/;

/** Parses a MySQL COLUMN_TYPE: 'int(10) unsigned', "enum('a','b')", 'decimal(10,2)', 'datetime(6)'. */
export function parseMySqlType(columnType: string): CatalogType {
  const m = /^([a-z ]+?)\s*(?:\((.*)\))?((?:\s+(?:unsigned|zerofill|signed))*)\s*$/is.exec(columnType.trim());
  if (!m) return { name: columnType.toLowerCase() };
  const name = m[1]!.toLowerCase().trim();
  const args = m[2];
  const unsigned = /unsigned/i.test(m[3] ?? '');
  const t: { -readonly [K in keyof CatalogType]: CatalogType[K] } = { name };
  if (unsigned) t.unsigned = true;
  if (args === undefined) return t;
  if (name === 'enum' || name === 'set') {
    t.values = splitQuoted(args);
  } else if (/^(decimal|numeric|float|double|real)$/.test(name)) {
    const [p, s] = args.split(',').map((x) => Number(x.trim()));
    t.precision = p!;
    if (s !== undefined) t.scale = s;
  } else if (/^(datetime|timestamp|time)$/.test(name)) {
    t.fsp = Number(args);
  } else if (/^(tinyint|smallint|mediumint|int|integer|bigint|year)$/.test(name)) {
    t.precision = Number(args);
  } else {
    t.length = Number(args);
  }
  return t;
}

/** The values of an ENUM/SET list: 'a','it''s','b\\c'. */
export function splitQuoted(list: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < list.length) {
    if (list[i] !== "'") { i++; continue; }
    let v = '';
    i++;
    while (i < list.length) {
      const c = list[i]!;
      if (c === "'" && list[i + 1] === "'") { v += "'"; i += 2; continue; }
      if (c === '\\' && i + 1 < list.length) { v += list[i + 1]; i += 2; continue; }
      if (c === "'") { i++; break; }
      v += c;
      i++;
    }
    out.push(v);
  }
  return out;
}

function quoteLiteral(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The column default as SQL text (MariaDB already gives SQL; MySQL gives the bare value). */
export function defaultSql(raw: unknown, extra: string, dataType: string, isMariaDb: boolean): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  if (isMariaDb) return text === 'NULL' ? undefined : text;
  if (/DEFAULT_GENERATED/i.test(extra)) return /^current_timestamp/i.test(text) ? text : `(${text})`;
  if (NUMERIC.test(dataType) && /^-?[\d.e+-]+$/i.test(text)) return text;
  if (dataType === 'bit' && /^b'[01]*'$/i.test(text)) return text;
  return quoteLiteral(text);
}

const ACTION = (v: unknown): ForeignKeyAction => {
  const s = String(v ?? 'NO ACTION').toUpperCase();
  return (['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'].includes(s) ? s : 'NO ACTION') as ForeignKeyAction;
};

function bySchema(rows: Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${String(r.s)}.${String(r.t)}`;
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

async function rows(conn: Connection, sql: string, params: unknown[]): Promise<Row[]> {
  const [r] = await conn.query<Row[]>(sql, params);
  return r;
}

/** Reads the catalog of the selected tables (read-only). */
export async function readMySqlCatalog(config: MySqlConnectionConfig, selector: TableSelector): Promise<SourceCatalog> {
  const conn = await openMySql(config);
  try {
    const [v] = await conn.query<Row[]>('SELECT VERSION() AS v');
    const serverVersion = String(v[0]?.v ?? '');
    const isMariaDb = /mariadb/i.test(serverVersion);
    // MySQL 8 caches information_schema.TABLES.AUTO_INCREMENT for up to a day: read the current value
    if (!isMariaDb) await conn.query('SET SESSION information_schema_stats_expiry = 0').catch(() => undefined);
    const ids = await listSelectedTables(conn, selector);
    const schemas = [...new Set(ids.map((i) => i.schema))];
    if (ids.length === 0) return { engine: isMariaDb ? 'mariadb' : 'mysql', serverVersion, tables: [], views: [], triggers: [], routines: [], sequences: [] };
    const tables = await readTables(conn, ids, schemas, isMariaDb);
    const views = (await rows(conn, 'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, VIEW_DEFINITION AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (?) ORDER BY 1, 2', [schemas]))
      .filter((r) => selector.includes({ schema: String(r.s), table: String(r.t) }))
      .map((r): CatalogView => ({ schema: String(r.s), name: String(r.t), definition: String(r.d) }));
    const selected = new Set(ids.map(tableKey));
    const triggers: CatalogTrigger[] = [];
    for (const r of await rows(conn, 'SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS n, EVENT_OBJECT_SCHEMA AS ts, EVENT_OBJECT_TABLE AS t, ACTION_TIMING AS timing, EVENT_MANIPULATION AS ev, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA IN (?) ORDER BY 1, 2', [schemas])) {
      if (!selected.has(`${String(r.ts)}.${String(r.t)}`)) continue;
      triggers.push({ schema: String(r.s), name: String(r.n), table: String(r.t), timing: String(r.timing), event: String(r.ev), definition: String(r.body) });
    }
    const routines: CatalogRoutine[] = [];
    const hiddenBodies: { schema: string; name: string; kind: 'procedure' | 'function' }[] = [];
    for (const r of await rows(conn, "SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n, ROUTINE_TYPE AS k, ROUTINE_DEFINITION AS d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (?) ORDER BY 1, 2", [schemas])) {
      const kind = String(r.k).toUpperCase() === 'PROCEDURE' ? 'procedure' : 'function';
      let definition = String(r.d ?? '');
      try {
        const [c] = await conn.query<Row[]>(`SHOW CREATE ${kind.toUpperCase()} ${quoteId(String(r.s))}.${quoteId(String(r.n))}`);
        const full = c[0]?.[kind === 'procedure' ? 'Create Procedure' : 'Create Function'];
        if (full) definition = String(full).replace(/^CREATE\s+DEFINER=\S+\s+/i, 'CREATE ');
      } catch { /* no privilege to see the full text: keep the body */ }
      if (definition.trim() === '') hiddenBodies.push({ schema: String(r.s), name: String(r.n), kind }); // not the definer, no privilege to read it
      routines.push({ schema: String(r.s), name: String(r.n), kind, definition, language: 'SQL' });
    }
    // information_schema hides triggers and routines the user has no privilege on: name what may be missing.
    const blind = await readGrants(conn, isMariaDb).then(
      ({ user, grants }) => blindSpots({ user, grants, isMariaDb, serverVersion, tables: ids, hiddenBodies }),
      (e: unknown) => unknownGrants(ids, e),
    );
    return { engine: isMariaDb ? 'mariadb' : 'mysql', serverVersion, tables, views, triggers, routines, sequences: [], ...(blind.length > 0 ? { blindSpots: blind } : {}) };
  } finally {
    await conn.end().catch(() => undefined);
  }
}

async function readTables(conn: Connection, ids: readonly TableId[], schemas: readonly string[], isMariaDb: boolean): Promise<CatalogTable[]> {
  const cols = bySchema(await rows(conn, `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS n, ORDINAL_POSITION AS pos, COLUMN_TYPE AS ct, DATA_TYPE AS dt,
      IS_NULLABLE AS nl, COLUMN_DEFAULT AS def, EXTRA AS extra, CHARACTER_SET_NAME AS cs, COLLATION_NAME AS coll, GENERATION_EXPRESSION AS gen, COLUMN_COMMENT AS cmt
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, [schemas]));
  const stats = bySchema(await rows(conn, `SELECT * , TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, [schemas]));
  const fks = bySchema(await rows(conn, `SELECT k.TABLE_SCHEMA AS s, k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS n, k.COLUMN_NAME AS c, k.REFERENCED_TABLE_SCHEMA AS rs,
      k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rc, r.UPDATE_RULE AS upd, r.DELETE_RULE AS del
      FROM information_schema.KEY_COLUMN_USAGE k LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
        ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA IN (?) AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`, [schemas]));
  const checks = bySchema(isMariaDb
    ? await rows(conn, 'SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CONSTRAINT_NAME AS n, CHECK_CLAUSE AS e FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN (?) ORDER BY 1, 2, 3', [schemas])
    : await rows(conn, `SELECT tc.TABLE_SCHEMA AS s, tc.TABLE_NAME AS t, tc.CONSTRAINT_NAME AS n, cc.CHECK_CLAUSE AS e FROM information_schema.TABLE_CONSTRAINTS tc
        JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
        WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA IN (?) ORDER BY 1, 2, 3`, [schemas]).catch(() => []));
  const meta = new Map((await rows(conn, 'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, AUTO_INCREMENT AS ai, ENGINE AS e, TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?)', [schemas]))
    .map((r) => [`${String(r.s)}.${String(r.t)}`, r]));
  const out: CatalogTable[] = [];
  for (const id of ids) {
    const key = tableKey(id);
    const tableChecks: CatalogCheck[] = [];
    const jsonColumns = new Set<string>();
    for (const c of checks.get(key) ?? []) {
      const e = String(c.e);
      const j = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(e.trim());
      if (isMariaDb && j && String(c.n) === j[1]!.replace(/``/g, '`')) { jsonColumns.add(String(c.n)); continue; }
      tableChecks.push({ name: String(c.n), expression: e });
    }
    const columns: CatalogColumn[] = (cols.get(key) ?? []).map((r) => {
      const extra = String(r.extra ?? '');
      const name = String(r.n);
      const sourceType = String(r.ct);
      const parsed = parseMySqlType(sourceType);
      const isJson = jsonColumns.has(name) && /text$/i.test(String(r.dt));
      const type: CatalogType = {
        ...(isJson ? { name: 'json' } : parsed),
        ...(r.cs && !isJson ? { charset: String(r.cs) } : {}), ...(r.coll && !isJson ? { collation: String(r.coll) } : {}),
      };
      const onUpdate = /on update (current_timestamp(?:\(\d*\))?)/i.exec(extra)?.[1];
      const generated = r.gen !== null && r.gen !== undefined && String(r.gen) !== '' && /GENERATED|VIRTUAL|PERSISTENT|STORED/i.test(extra);
      const def = generated ? undefined : defaultSql(r.def, extra, String(r.dt).toLowerCase(), isMariaDb);
      return {
        name, ordinal: Number(r.pos), sourceType: isJson ? 'json' : sourceType, type, nullable: String(r.nl) === 'YES',
        ...(def !== undefined ? { defaultExpression: def } : {}),
        ...(/auto_increment/i.test(extra) ? { autoIncrement: true } : {}),
        ...(onUpdate ? { onUpdate } : {}),
        ...(generated ? { generated: { expression: String(r.gen), stored: /STORED|PERSISTENT/i.test(extra) } } : {}),
        ...(r.cmt ? { comment: String(r.cmt) } : {}),
      };
    });
    const { primaryKey, uniqueKeys, indexes } = indexesOf(stats.get(key) ?? []);
    const m = meta.get(key);
    let createStatement: string | undefined;
    try {
      const [c] = await conn.query<Row[]>(`SHOW CREATE TABLE ${quoteId(id.schema)}.${quoteId(id.table)}`);
      createStatement = String(c[0]?.['Create Table'] ?? '');
    } catch { /* not visible: the DDL is built from the catalog */ }
    const foreignKeys = foreignKeysOf(fks.get(key) ?? [], foreignKeyRulesOf(createStatement ?? ''));
    out.push({
      schema: id.schema, name: id.table, columns, ...(primaryKey ? { primaryKey } : {}), uniqueKeys, indexes, foreignKeys, checks: tableChecks,
      ...(m?.ai !== null && m?.ai !== undefined ? { autoIncrementNext: Number(m.ai) } : {}),
      ...(m?.e ? { engine: String(m.e) } : {}), ...(m?.c ? { comment: String(m.c) } : {}),
      ...(createStatement ? { createStatement } : {}),
    });
  }
  return out;
}

function indexesOf(stats: readonly Row[]): { primaryKey?: CatalogKey; uniqueKeys: CatalogKey[]; indexes: CatalogIndex[] } {
  const byName = new Map<string, Row[]>();
  for (const r of stats) {
    const n = String(r.INDEX_NAME);
    let l = byName.get(n);
    if (!l) byName.set(n, (l = []));
    l.push(r);
  }
  let primaryKey: CatalogKey | undefined;
  const uniqueKeys: CatalogKey[] = [];
  const indexes: CatalogIndex[] = [];
  for (const [name, parts] of byName) {
    parts.sort((a, b) => Number(a.SEQ_IN_INDEX) - Number(b.SEQ_IN_INDEX));
    const unique = Number(parts[0]!.NON_UNIQUE) === 0;
    const method = String(parts[0]!.INDEX_TYPE ?? 'BTREE').toLowerCase();
    const expr = parts.map((p) => p.EXPRESSION).filter((e) => e !== null && e !== undefined);
    const columns = parts.map((p) => String(p.COLUMN_NAME ?? ''));
    const prefixLengths = parts.map((p) => (p.SUB_PART === null || p.SUB_PART === undefined ? 0 : Number(p.SUB_PART)));
    const descending = parts.map((p) => String(p.COLLATION ?? 'A') === 'D');
    if (name === 'PRIMARY') { primaryKey = { name, columns }; continue; }
    if (unique && expr.length === 0 && prefixLengths.every((x) => x === 0) && method === 'btree') { uniqueKeys.push({ name, columns }); continue; }
    indexes.push({
      name, columns, unique, method, prefixLengths, descending,
      ...(expr.length > 0 ? { expression: expr.map(String).join(', ') } : {}),
      ...(method === 'fulltext' ? { fulltext: true } : {}), ...(method === 'spatial' ? { spatial: true } : {}),
    });
  }
  return { ...(primaryKey ? { primaryKey } : {}), uniqueKeys, indexes };
}

/**
 * ON UPDATE / ON DELETE of each foreign key, from SHOW CREATE TABLE. MariaDB shows REFERENTIAL_CONSTRAINTS rows only
 * to users with a privilege beyond SELECT (the CDC user has none), while KEY_COLUMN_USAGE and SHOW CREATE TABLE need
 * only SELECT; SHOW CREATE TABLE omits the default action, RESTRICT.
 */
export function foreignKeyRulesOf(createStatement: string): Map<string, { upd: string; del: string }> {
  const out = new Map<string, { upd: string; del: string }>();
  const re = /CONSTRAINT `((?:[^`]|``)+)` FOREIGN KEY \((?:[^)`]|`(?:[^`]|``)*`)*\) REFERENCES (?:`(?:[^`]|``)*`\.)?`(?:[^`]|``)*` \((?:[^)`]|`(?:[^`]|``)*`)*\)((?: ON (?:DELETE|UPDATE) (?:RESTRICT|CASCADE|SET NULL|SET DEFAULT|NO ACTION))*)/g;
  for (const m of createStatement.matchAll(re)) {
    const rules = m[2] ?? '';
    out.set(m[1]!.replace(/``/g, '`'), {
      upd: /ON UPDATE (RESTRICT|CASCADE|SET NULL|SET DEFAULT|NO ACTION)/.exec(rules)?.[1] ?? 'RESTRICT',
      del: /ON DELETE (RESTRICT|CASCADE|SET NULL|SET DEFAULT|NO ACTION)/.exec(rules)?.[1] ?? 'RESTRICT',
    });
  }
  return out;
}

function foreignKeysOf(parts: readonly Row[], fromCreate: ReadonlyMap<string, { upd: string; del: string }>): CatalogForeignKey[] {
  const byName = new Map<string, Row[]>();
  for (const r of parts) {
    const n = String(r.n);
    let l = byName.get(n);
    if (!l) byName.set(n, (l = []));
    l.push(r);
  }
  return [...byName].map(([name, p]) => ({
    name, columns: p.map((x) => String(x.c)), refSchema: String(p[0]!.rs), refTable: String(p[0]!.rt), refColumns: p.map((x) => String(x.rc)),
    // NULL rules: REFERENTIAL_CONSTRAINTS is hidden from this user; SHOW CREATE TABLE has them.
    onUpdate: ACTION(p[0]!.upd ?? fromCreate.get(name)?.upd ?? 'RESTRICT'), onDelete: ACTION(p[0]!.del ?? fromCreate.get(name)?.del ?? 'RESTRICT'),
  }));
}
