/**
 * What the catalog reader's user cannot see. MySQL and MariaDB filter information_schema by privilege without a word:
 * TRIGGERS lists only the triggers of tables the user has the TRIGGER privilege on, ROUTINES only the routines the
 * user has some privilege on, and ROUTINE_DEFINITION (and SHOW CREATE PROCEDURE/FUNCTION) is NULL unless the user
 * defined the routine or may read every routine (MariaDB: SELECT on mysql.proc, or SHOW CREATE ROUTINE from 11.3;
 * MySQL 8: SHOW_ROUTINE, or global SELECT). A report read with such a user would say "no triggers" where there are
 * some, so the reader names what it could not see (CatalogBlindSpot) and `ferry convert-schema` turns each into an
 * assessment warning with the GRANT that fixes it.
 *
 * The user's privileges come from SHOW GRANTS (MariaDB includes the grants of the current role; MySQL 8 is asked
 * with USING the active roles): information_schema's privilege tables leave out privileges held through a role.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CatalogBlindSpot } from '../../../core/src/catalog.ts';
import type { TableId } from '../../../core/src/types.ts';

/** One GRANT line's privileges (upper case, column lists dropped) and the objects they apply to. */
export interface Grant {
  readonly privileges: readonly string[];
  /** null schema: every database (`*.*`); null table: every table of the schema pattern. */
  readonly schema: string | null;
  readonly table: string | null;
  /** ON PROCEDURE / FUNCTION grants apply to one routine, not to tables. */
  readonly routine: boolean;
}

/** Splits at commas outside parentheses and backquotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of s) {
    if (ch === '`') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

const IDENT = String.raw`(?:\x60(?:[^\x60]|\x60\x60)*\x60|\*|[^.\s\x60]+)`;
const unquote = (s: string): string => (s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s);

/** Parses one line of SHOW GRANTS; null for lines that grant no privileges on objects (roles, proxies, SET DEFAULT ROLE). */
export function parseGrant(line: string): Grant | null {
  const m = new RegExp(String.raw`^GRANT\s+(.+?)\s+ON\s+(?:(TABLE|FUNCTION|PROCEDURE|PACKAGE BODY|PACKAGE)\s+)?(${IDENT})(?:\.(${IDENT}))?\s+TO\s`, 'is').exec(line.trim());
  if (!m) return null;
  const privileges = splitTop(m[1]!).map((p) => p.replace(/\s*\(.*\)\s*$/s, '').trim().toUpperCase().replace(/\s+/g, ' '));
  const first = m[3]!;
  const second = m[4];
  const routine = m[2] !== undefined && m[2].toUpperCase() !== 'TABLE';
  if (second === undefined) return { privileges, schema: first === '*' ? null : unquote(first), table: null, routine }; // ON * or ON tbl (current db): rare
  return { privileges, schema: first === '*' ? null : unquote(first), table: second === '*' ? null : unquote(second), routine };
}

/** A database-level grant's name is a LIKE pattern (`shop\_%`): `_` and `%` are wildcards unless escaped. */
export function schemaMatches(pattern: string, schema: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '_') re += '.';
    else if (c === '%') re += '.*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(schema);
}

const has = (g: Grant, wanted: readonly string[]): boolean => g.privileges.some((p) => p === 'ALL PRIVILEGES' || p === 'ALL' || wanted.includes(p));

/** Whether the grants give one of `wanted` on the table (globally, on its database, or on the table). */
export function grantsOnTable(grants: readonly Grant[], wanted: readonly string[], id: TableId): boolean {
  return grants.some((g) => !g.routine && has(g, wanted) && (g.schema === null || (g.table === null ? schemaMatches(g.schema, id.schema) : g.schema === id.schema && g.table === id.table)));
}

/** Whether the grants let the user list every routine with its body. */
export function seesAllRoutines(grants: readonly Grant[], isMariaDb: boolean): boolean {
  return grants.some((g) => {
    if (g.routine) return false;
    if (g.schema === null) return has(g, isMariaDb ? ['SELECT', 'SHOW CREATE ROUTINE'] : ['SELECT', 'SHOW_ROUTINE']);
    return isMariaDb && schemaMatches(g.schema, 'mysql') && (g.table === null || g.table === 'proc') && has(g, ['SELECT']);
  });
}

type Row = RowDataPacket & Record<string, unknown>;

/** The current user's grants, with those of its active roles. */
export async function readGrants(conn: Connection, isMariaDb: boolean): Promise<{ user: string; grants: Grant[] }> {
  const [u] = await conn.query<Row[]>('SELECT CURRENT_USER() AS u, CURRENT_ROLE() AS r');
  const user = String(u[0]?.u ?? '');
  const role = u[0]?.r === null || u[0]?.r === undefined ? '' : String(u[0].r);
  const sql = !isMariaDb && role !== '' && role.toUpperCase() !== 'NONE' ? `SHOW GRANTS FOR CURRENT_USER() USING ${role}` : 'SHOW GRANTS';
  const [rows] = await conn.query<Row[]>(sql);
  const grants = rows.map((r) => String(Object.values(r)[0] ?? '')).map(parseGrant).filter((g): g is Grant => g !== null);
  return { user, grants };
}

/** `'ferry'@'%'` from CURRENT_USER()'s `ferry@%`. */
function account(user: string): string {
  const at = user.lastIndexOf('@');
  return at < 0 ? `'${user}'` : `'${user.slice(0, at)}'@'${user.slice(at + 1)}'`;
}

const q = (s: string): string => `\`${s.replace(/`/g, '``')}\``;

export interface BlindSpotOptions {
  readonly user: string;
  readonly grants: readonly Grant[];
  readonly isMariaDb: boolean;
  readonly serverVersion: string;
  /** The selected tables. */
  readonly tables: readonly TableId[];
  /** Routines listed without a readable body. */
  readonly hiddenBodies: readonly { readonly schema: string; readonly name: string; readonly kind: 'procedure' | 'function' }[];
}

/** What the catalog may lack for want of privileges: triggers of tables without TRIGGER, routines and their bodies. */
export function blindSpots(o: BlindSpotOptions): CatalogBlindSpot[] {
  const out: CatalogBlindSpot[] = [];
  const who = account(o.user);
  const bySchema = new Map<string, string[]>();
  for (const id of o.tables) {
    if (grantsOnTable(o.grants, ['TRIGGER'], id)) continue;
    let l = bySchema.get(id.schema);
    if (l === undefined) bySchema.set(id.schema, (l = []));
    l.push(id.table);
  }
  for (const [schema, tables] of bySchema) {
    out.push({
      kind: 'trigger', object: schema,
      reason: `user ${who} lacks the TRIGGER privilege on ${tables.length} selected table${tables.length === 1 ? '' : 's'} (${tables.join(', ')}): information_schema.TRIGGERS lists no trigger of ${tables.length === 1 ? 'it' : 'them'} to this user, so any trigger there is missing from this report and the DDL`,
      fix: `GRANT TRIGGER ON ${q(schema)}.* TO ${who} (or on each table), then run convert-schema again`,
    });
  }
  const sees = seesAllRoutines(o.grants, o.isMariaDb);
  const grant = o.isMariaDb ? (newerThan(o.serverVersion, 11, 3) ? 'GRANT SHOW CREATE ROUTINE ON *.*' : 'GRANT SELECT ON mysql.proc') : 'GRANT SHOW_ROUTINE ON *.*';
  for (const schema of [...new Set(o.tables.map((t) => t.schema))]) {
    const hidden = o.hiddenBodies.filter((r) => r.schema === schema);
    if (sees && hidden.length === 0) continue;
    out.push({
      kind: 'procedure', object: schema,
      reason: `user ${who} may not read every routine of ${schema}: information_schema.ROUTINES lists only the procedures and functions the user has a privilege on, and their bodies only to their definer${hidden.length > 0 ? `; the bodies of ${hidden.map((r) => `${r.kind} ${r.name}`).join(', ')} were not readable and are missing from the DDL` : ''}`,
      fix: `${grant} TO ${who}, then run convert-schema again`,
    });
  }
  return out;
}

/** When SHOW GRANTS cannot be read: the report says that triggers and routines may be missing, per schema. */
export function unknownGrants(tables: readonly TableId[], e: unknown): CatalogBlindSpot[] {
  const why = e instanceof Error ? e.message : String(e);
  return [...new Set(tables.map((t) => t.schema))].flatMap((schema): CatalogBlindSpot[] => [
    { kind: 'trigger', object: schema, reason: `the user's privileges could not be read (SHOW GRANTS: ${why}); information_schema.TRIGGERS lists only triggers of tables the user has the TRIGGER privilege on, so triggers may be missing from this report and the DDL`, fix: `GRANT TRIGGER ON ${q(schema)}.* to the user, then run convert-schema again` },
    { kind: 'procedure', object: schema, reason: `the user's privileges could not be read (SHOW GRANTS: ${why}); information_schema.ROUTINES lists only routines the user has a privilege on, so procedures and functions may be missing`, fix: 'grant the user SELECT on mysql.proc (MariaDB) or SHOW_ROUTINE (MySQL), then run convert-schema again' },
  ]);
}

function newerThan(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}
