/**
 * The target side of the assessment, for postgres/mysql targets: the tables the task writes that already exist and
 * whether they can take its rows (target-compare.ts), what the target preparation does to them, the column types the
 * schema conversion can only convert with a loss or not at all, the target's character set, and free space against
 * the estimated size. The expected column types are spelled by the target itself: a TEMPORARY table with the
 * converted columns is created in a transaction that is rolled back (PostgreSQL) or dropped at once (MySQL), and
 * read back from the target's catalog, so 'varchar(40)' and 'character varying(40)' compare equal.
 */
import type { SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { statfsSync } from 'node:fs';
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { convertSchema, type ConvertedSchema, type ConvertedTable } from '../../../runtime/src/schema-conversion/convert.ts';
import { normalizeType, type ServerInfo } from '../../../sinks/mysql/src/mysql-types.ts';
import type { TargetConnection } from '../convert-schema/convert-schema.ts';
import { sinkPlugin } from '../plugins.ts';
import { databaseTargets } from '../plan/target-ddl.ts';
import { targetOptions } from '../task/targets.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { finding, type Finding, type TableEstimate } from './finding.ts';
import type { LobMeasure } from './lob-sizes.ts';
import { bytesText } from './source-server.ts';
import { openTargetSession, type SqlSession } from './sql-session.ts';
import { compareTargetTable, type TargetColumnShape, type TargetTableShape } from './target-compare.ts';

export interface TargetAssessment {
  readonly findings: Finding[];
  readonly scope: { area: string; checked: string }[];
}

export interface TargetAssessOptions {
  readonly catalog: SourceCatalog;
  readonly described: readonly TableSchema[];
  readonly estimates: readonly TableEstimate[] | null;
  /** Also report the conversion's lossy and unsupported column types (ferry assess; not at run). */
  readonly types: boolean;
  /** The measured LOB sizes (ferry assess), for MySQL targets' max_allowed_packet. */
  readonly lobMeasures?: readonly LobMeasure[];
}

interface TargetInfo {
  readonly index: number;
  readonly name: string;
  readonly dialect: 'postgres' | 'mysql';
  readonly connection: TargetConnection;
  readonly preparation: string;
  readonly looseTypes: boolean;
  readonly targetSchema?: string;
}

function targetInfos(task: ResolvedTask): TargetInfo[] {
  const byName = new Map(databaseTargets(task).map((d) => [d.name, d]));
  const out: TargetInfo[] = [];
  for (const [index, t] of task.targets.entries()) {
    const name = t.name ?? `${t.type}-${index}`;
    const d = byName.get(name);
    if (!d) continue;
    const o = sinkPlugin(t.type).options(t.type).parse(targetOptions(t)) as Record<string, unknown>;
    const dialect = t.type === 'postgres' ? 'postgres' : 'mysql';
    out.push({
      index, name, dialect, preparation: String(o.tablePreparation ?? 'do-nothing'), looseTypes: o.createTablesFrom === 'event-schema',
      ...(d.targetSchema ? { targetSchema: d.targetSchema } : {}),
      connection: {
        name, type: dialect, host: String(o.host), port: Number(o.port), user: String(o.user), password: String(o.password),
        ...(typeof o.database === 'string' ? { database: o.database } : {}), ...(o.ssl ? { ssl: o.ssl as SslSettings } : {}),
        connectTimeoutMs: typeof o.connectTimeoutMs === 'number' ? o.connectTimeoutMs : 10_000,
      },
    });
  }
  return out;
}

export async function assessTargets(task: ResolvedTask, o: TargetAssessOptions): Promise<TargetAssessment> {
  const findings: Finding[] = [];
  const scope: { area: string; checked: string }[] = [];
  const infos = targetInfos(task);
  for (const [i, t] of task.targets.entries()) {
    if (infos.some((x) => x.index === i)) continue;
    scope.push({ area: `target ${t.name ?? `${t.type}-${i}`} (${t.type})`, checked: 'reachability (ferry validate\'s check); existing tables, column compatibility and free space are not applicable to this target type' });
  }
  const conversions = new Map<string, ConvertedSchema>();
  for (const t of infos) {
    const key = `${t.dialect}\u0000${t.targetSchema ?? ''}`;
    let c = conversions.get(key);
    if (!c) {
      c = convertSchema({ catalog: o.catalog, described: o.described, mapping: task.tableMappings, target: t.dialect, ...(t.targetSchema ? { targetSchema: t.targetSchema } : {}) });
      conversions.set(key, c);
    }
    if (o.types) findings.push(...typeFindings(c, t.name));
    let s: SqlSession;
    try {
      s = await openTargetSession(t.connection);
    } catch (e: unknown) {
      scope.push({ area: `target ${t.name} (${t.dialect})`, checked: `not checked: ${errorMessage(e)}` });
      continue;
    }
    try {
      const r = await assessTarget(s, t, c, o.estimates, o.lobMeasures ?? []);
      findings.push(...r.findings);
      scope.push({ area: `target ${t.name} (${t.dialect})`, checked: r.checked });
    } catch (e: unknown) {
      scope.push({ area: `target ${t.name} (${t.dialect})`, checked: `check failed: ${errorMessage(e)}` });
    } finally {
      await s.close();
    }
  }
  return { findings, scope };
}

/** The conversion's column types that convert with a loss (TYPE_LOSSY) or have no equivalent (TYPE_UNSUPPORTED). */
function typeFindings(c: ConvertedSchema, target: string): Finding[] {
  return c.assessment.issues.filter((i) => i.kind === 'column type').map((i) => {
    const parts = i.object.split('.');
    return finding({
      code: i.outcome === 'manual' ? 'TYPE_UNSUPPORTED' : 'TYPE_LOSSY', severity: 'warning', category: 'tables',
      objects: [{ table: parts.slice(0, 2).join('.'), column: parts.slice(2).join('.'), target }],
      message: `${i.object} → ${c.target}${i.target ? ` ${i.target}` : ''}: ${i.reason ?? ''}`,
      fix: i.fix ?? 'see docs/schema-conversion.md',
    });
  });
}

async function assessTarget(s: SqlSession, t: TargetInfo, c: ConvertedSchema, estimates: readonly TableEstimate[] | null, lobs: readonly LobMeasure[]): Promise<{ findings: Finding[]; checked: string }> {
  const out: Finding[] = [];
  const server: ServerInfo = s.engine === 'mysql' ? await mysqlServer(s) : { mariadb: false, version: [0, 0, 0] };
  if (s.engine === 'postgres') {
    const enc = String((await s.query('SHOW server_encoding'))[0]?.server_encoding ?? '');
    if (enc.toUpperCase() !== 'UTF8') {
      out.push(finding({ code: 'CHARSET_NOT_HELD', severity: 'warning', category: 'target', objects: [{ target: t.name }],
        message: `target ${t.name}'s database ${t.connection.database ?? ''} is encoded ${enc}: characters outside it are refused`, fix: 'create the target database WITH ENCODING \'UTF8\' and point the target at it' }));
    }
  }
  let existing = 0;
  const failed: string[] = [];
  out.push(...(s.engine === 'postgres' ? await pgPrivileges(s, t, c) : await mysqlPrivileges(s, t, c)));
  for (const table of c.tables) {
    try {
      if (await assessTable(s, t, table, server, out)) existing++;
    } catch (e: unknown) {
      failed.push(`${table.target}: ${errorMessage(e)}`);
    }
  }
  if (s.engine === 'mysql' && lobs.length > 0) out.push(...(await packetSize(s, t, c, lobs)));
  out.push(...(await freeSpace(s, t, estimates)));
  return { findings: out, checked: `${c.tables.length} target tables: ${existing} exist (columns, types, nullability, character sets, keys compared), ${c.tables.length - existing - failed.length} created at the first write${failed.length > 0 ? `, ${failed.length} not checked (${failed.join('; ')})` : ''}; privileges; free space` };
}

/** One converted table against the target; false when the table does not exist there. */
async function assessTable(s: SqlSession, t: TargetInfo, table: ConvertedTable, server: ServerInfo, out: Finding[]): Promise<boolean> {
  const actual = await readTable(s, table.names.schema, table.names.table, server);
  if (!actual) return false;
  const where = `target ${t.name} table ${table.target}`;
  if (t.preparation === 'drop-and-create') {
    out.push(finding({ code: 'TARGET_TABLE_REPLACED', severity: 'info', category: 'target', objects: [{ table: table.source, target: t.name }],
      message: `${where} exists; tablePreparation drop-and-create drops and creates it at the task's first write to it (not again after a restart)` }));
    return true;
  }
  const expected = await expectedShape(s, table, server);
  out.push(...compareTargetTable({ dialect: t.dialect, targetName: t.name, source: table.source, table: table.target, expected, actual: actual.shape, looseTypes: t.looseTypes }));
  if (t.preparation === 'truncate-before-load') {
    out.push(finding({ code: 'TARGET_TABLE_TRUNCATED', severity: 'info', category: 'target', objects: [{ table: table.source, target: t.name }],
      message: `${where} exists; tablePreparation truncate-before-load empties it at the task's first write to it` }));
  }
  return true;
}

/**
 * PostgreSQL: what the sink's user needs (docs/sinks/postgres.md#privileges): USAGE and CREATE on each target schema
 * (CREATE on the database when the schema does not exist yet), and SELECT, INSERT, UPDATE, DELETE on each existing
 * table (TRUNCATE with truncate-before-load; ownership with drop-and-create).
 */
async function pgPrivileges(s: SqlSession, t: TargetInfo, c: ConvertedSchema): Promise<Finding[]> {
  const out: Finding[] = [];
  const user = t.connection.user;
  for (const schema of [...new Set(c.tables.map((x) => x.names.schema))]) {
    const r = (await s.query(`SELECT n.oid IS NOT NULL AS present, CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE') ELSE has_schema_privilege(n.oid, 'USAGE') AND has_schema_privilege(n.oid, 'CREATE') END AS ok
      FROM (SELECT $1::text AS s) x LEFT JOIN pg_namespace n ON n.nspname = x.s`, [schema]))[0]!;
    if (r.ok === 't' || r.ok === true) continue;
    const present = r.present === 't' || r.present === true;
    out.push(finding({
      code: 'TARGET_PRIVILEGES', severity: 'error', category: 'target', objects: [{ target: t.name }],
      message: present ? `target ${t.name}: user ${user} lacks USAGE or CREATE on schema ${schema}` : `target ${t.name}: schema ${schema} does not exist and user ${user} may not create it (CREATE on database ${t.connection.database ?? ''})`,
      fix: present ? `GRANT USAGE, CREATE ON SCHEMA ${pgIdent(schema)} TO ${pgIdent(user)}` : `CREATE SCHEMA ${pgIdent(schema)} AUTHORIZATION ${pgIdent(user)}, or GRANT CREATE ON DATABASE ${pgIdent(t.connection.database ?? '')} TO ${pgIdent(user)}`,
    }));
  }
  const needs = t.preparation === 'truncate-before-load' ? ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] : ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
  for (const table of c.tables) {
    const rows = await s.query(`SELECT ${needs.map((p) => `has_table_privilege(c.oid, '${p}') AS "${p}"`).join(', ')}, pg_has_role(c.relowner, 'USAGE') AS owner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`, [table.names.schema, table.names.table]);
    if (rows.length === 0) continue;
    const yes = (v: unknown) => v === 't' || v === true;
    const missing = needs.filter((p) => !yes(rows[0]![p]));
    const notOwner = t.preparation === 'drop-and-create' && !yes(rows[0]!.owner);
    if (missing.length === 0 && !notOwner) continue;
    out.push(finding({
      code: 'TARGET_PRIVILEGES', severity: 'error', category: 'target', objects: [{ table: table.source, target: t.name }],
      message: `target ${t.name}: user ${user} ${missing.length > 0 ? `lacks ${missing.join(', ')} on table ${table.target}` : ''}${missing.length > 0 && notOwner ? ' and ' : ''}${notOwner ? `does not own table ${table.target}, which drop-and-create drops` : ''}`,
      fix: [missing.length > 0 ? `GRANT ${missing.join(', ')} ON ${pgName(table.names.schema, table.names.table)} TO ${pgIdent(user)}` : '', notOwner ? `ALTER TABLE ${pgName(table.names.schema, table.names.table)} OWNER TO ${pgIdent(user)}` : ''].filter(Boolean).join('; '),
    }));
  }
  return out;
}

async function mysqlServer(s: SqlSession): Promise<ServerInfo> {
  const v = String((await s.query('SELECT VERSION() AS v'))[0]?.v ?? '');
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return { mariadb: /mariadb/i.test(v), version: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0] };
}

const charsetOf = (collation: unknown): string | undefined => (typeof collation === 'string' && collation !== '' ? collation.split('_')[0] : undefined);
const pgIdent = (n: string) => `"${n.replace(/"/g, '""')}"`;
const pgName = (schema: string, table: string) => `${pgIdent(schema)}.${pgIdent(table)}`;
const myName = (schema: string, table: string) => `\`${schema.replace(/`/g, '``')}\`.\`${table.replace(/`/g, '``')}\``;

/** The table as the target has it, or null when it does not exist. */
async function readTable(s: SqlSession, schema: string, table: string, server: ServerInfo): Promise<{ shape: TargetTableShape } | null> {
  if (s.engine === 'postgres') {
    // by name through pg_class (not to_regclass, which needs USAGE on the schema: missing privileges are a finding of their own)
    const rel = `(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))`;
    const cols = await s.query(`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable, (a.atthasdef OR a.attidentity <> '') AS has_default
      FROM pg_attribute a WHERE a.attrelid = ${rel} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [schema, table]);
    if (cols.length === 0) return null;
    const keys = await s.query(`SELECT i.indisprimary AS pk, json_agg(a.attname ORDER BY k.ord) AS cols FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = ${rel} AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid, i.indisprimary`, [schema, table]);
    const parsed = keys.map((k) => ({ pk: k.pk === 't' || k.pk === true, cols: JSON.parse(String(k.cols)) as string[] }));
    return {
      shape: {
        columns: cols.map((r) => ({ name: String(r.name), type: String(r.type), nullable: r.nullable === 't' || r.nullable === true, hasDefault: r.has_default === 't' || r.has_default === true })),
        primaryKey: parsed.find((k) => k.pk)?.cols ?? [], uniqueKeys: parsed.map((k) => k.cols),
      },
    };
  }
  const cols = await s.query(`SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, EXTRA AS extra, COLLATION_NAME AS coll
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [schema, table]);
  if (cols.length === 0) return null;
  const keys = await s.query(`SELECT INDEX_NAME AS idx, COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [schema, table]);
  const unique = new Map<string, string[]>();
  for (const k of keys) unique.set(String(k.idx), [...(unique.get(String(k.idx)) ?? []), String(k.col)]);
  return {
    shape: {
      columns: cols.map((r) => {
        const cs = charsetOf(r.coll);
        return { name: String(r.name), type: normalizeType(String(r.type), server), nullable: r.nullable === 'YES', hasDefault: r.def !== null || /auto_increment|generated/i.test(String(r.extra ?? '')), ...(cs ? { charset: cs } : {}) };
      }),
      primaryKey: unique.get('PRIMARY') ?? [], uniqueKeys: [...unique.values()],
    },
  };
}

/** The converted table's columns with their types as the target spells them (a temporary probe table). */
async function expectedShape(s: SqlSession, table: ConvertedTable, server: ServerInfo): Promise<TargetTableShape> {
  const cols = table.ddl.columns;
  const spelled = new Map<string, { type: string; charset?: string }>();
  const probe = async (subset: typeof cols): Promise<boolean> => {
    if (s.engine === 'postgres') {
      const defs = subset.map((c) => `${pgIdent(c.name)} ${c.type}`).join(', ');
      try {
        await s.query('BEGIN');
        await s.query(`CREATE TEMP TABLE ferry_assess_probe (${defs}) ON COMMIT DROP`);
        const rows = await s.query(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'pg_temp.ferry_assess_probe'::regclass AND attnum > 0 AND NOT attisdropped`);
        for (const r of rows) spelled.set(String(r.name), { type: String(r.type) });
        return true;
      } catch {
        return false;
      } finally {
        await s.query('ROLLBACK').catch(() => undefined);
      }
    }
    const name = myName(table.names.schema, `ferry_assess_probe_${process.pid}`);
    const defs = subset.map((c) => `\`${c.name.replace(/`/g, '``')}\` ${c.type}${c.collation ?? ''}`).join(', ');
    try {
      await s.query(`CREATE TEMPORARY TABLE ${name} (${defs}) DEFAULT CHARSET=utf8mb4`);
      const rows = await s.query(`SHOW FULL COLUMNS FROM ${name}`);
      for (const r of rows) {
        const cs = charsetOf(r.Collation);
        spelled.set(String(r.Field), { type: normalizeType(String(r.Type), server), ...(cs ? { charset: cs } : {}) });
      }
      return true;
    } catch {
      return false;
    } finally {
      await s.query(`DROP TEMPORARY TABLE IF EXISTS ${name}`).catch(() => undefined);
    }
  };
  if (!(await probe(cols))) for (const c of cols) await probe([c]);
  const columns: TargetColumnShape[] = cols.map((c) => {
    const sp = spelled.get(c.name);
    return { name: c.name, type: sp?.type ?? c.type, nullable: c.nullable, ...(sp?.charset ? { charset: sp.charset } : {}), ...(sp ? {} : { uncertain: true }) };
  });
  return { columns, primaryKey: table.names.primaryKey, uniqueKeys: [] };
}

const MYSQL_ALL = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'INDEX', 'DROP'];

/** Whether a database name matches a GRANT's database pattern (SQL LIKE, `\_` and `\%` literal). */
export function grantMatches(pattern: string, db: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i').test(db);
}

/**
 * MySQL/MariaDB: what the sink's user needs on each target database (docs/sinks/mysql.md): SELECT, INSERT, UPDATE,
 * DELETE, CREATE, ALTER, INDEX (and DROP with drop-and-create), from its global and database grants as SHOW GRANTS
 * lists them. A warning, not an error: privileges through roles or table grants are not expanded here.
 */
async function mysqlPrivileges(s: SqlSession, t: TargetInfo, c: ConvertedSchema): Promise<Finding[]> {
  const grants = (await s.query('SHOW GRANTS FOR CURRENT_USER()')).map((r) => String(Object.values(r)[0]));
  const needs = t.preparation === 'drop-and-create' ? MYSQL_ALL : MYSQL_ALL.filter((p) => p !== 'DROP');
  const out: Finding[] = [];
  for (const db of [...new Set(c.tables.map((x) => x.names.schema))]) {
    const have = new Set<string>();
    for (const g of grants) {
      const m = /^GRANT (.+?) ON (\*|`((?:[^`]|``)*)`)\.\* TO /i.exec(g);
      if (!m || (m[2] !== '*' && !grantMatches(m[3]!.replace(/``/g, '`'), db))) continue;
      for (const p of m[1]!.split(',').map((x) => x.trim().toUpperCase())) {
        if (p === 'ALL PRIVILEGES' || p === 'ALL') MYSQL_ALL.forEach((x) => have.add(x));
        else have.add(p);
      }
    }
    const missing = needs.filter((p) => !have.has(p));
    if (missing.length === 0) continue;
    out.push(finding({
      code: 'TARGET_PRIVILEGES', severity: 'warning', category: 'target', objects: [{ target: t.name }],
      message: `target ${t.name}: the global and database grants of user ${t.connection.user} (SHOW GRANTS) lack ${missing.join(', ')} on database ${db} (privileges through roles or table grants are not counted)`,
      fix: `GRANT ${missing.join(', ')} ON \`${db.replace(/`/g, '``')}\`.* TO '${t.connection.user}'@'<host>'`,
    }));
  }
  return out;
}

/**
 * MySQL/MariaDB refuse a statement larger than max_allowed_packet: a row whose LOB value (measured on the source) does
 * not fit cannot be written, whatever the batching.
 */
async function packetSize(s: SqlSession, t: TargetInfo, c: ConvertedSchema, lobs: readonly LobMeasure[]): Promise<Finding[]> {
  const packet = Number((await s.query('SELECT @@max_allowed_packet AS p'))[0]?.p ?? 0);
  if (!(packet > 0)) return [];
  const written = new Set(c.tables.map((x) => x.source));
  return lobs.filter((m) => written.has(m.table) && m.maxBytes + 1024 > packet).map((m) => finding({
    code: 'TARGET_MAX_ALLOWED_PACKET', severity: 'error', category: 'target', objects: [{ table: m.table, column: m.column, target: t.name }],
    message: `${m.table}.${m.column} holds values of ${m.complete ? '' : 'at least '}${bytesText(m.maxBytes)}, and target ${t.name} accepts statements of at most ${bytesText(packet)} (max_allowed_packet): the sink cannot write those rows`,
    fix: `SET GLOBAL max_allowed_packet = ${Math.ceil((m.maxBytes * 2 + 1048576) / 1048576) * 1048576} on the target, and in its my.cnf; or limit the LOB size (settings.lob mode limited)`,
    details: { largestBytes: m.maxBytes, maxAllowedPacket: packet },
  }));
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Free space against the estimated size (the source's data and index bytes). Neither engine reports its free disk
 * space over SQL; when the target runs on this machine and its data directory can be read (MySQL @@datadir,
 * PostgreSQL data_directory: superuser or pg_read_all_settings), the directory's file system is measured.
 */
async function freeSpace(s: SqlSession, t: TargetInfo, estimates: readonly TableEstimate[] | null): Promise<Finding[]> {
  if (!estimates) return [];
  const need = estimates.reduce((n, e) => n + e.bytes, 0);
  let dir: string | undefined;
  try {
    dir = String((await s.query(s.engine === 'mysql' ? 'SELECT @@datadir AS d' : "SELECT current_setting('data_directory') AS d"))[0]?.d ?? '') || undefined;
  } catch {
    dir = undefined;
  }
  let free: number | undefined;
  if (dir && LOOPBACK.has(t.connection.host)) {
    try {
      const st = statfsSync(dir);
      free = Number(st.bavail) * Number(st.bsize);
    } catch {
      free = undefined;
    }
  }
  const at = [{ target: t.name }];
  if (free === undefined) {
    return [finding({ code: 'TARGET_SIZE_ESTIMATE', severity: 'info', category: 'target', objects: at,
      message: `the selected tables take about ${bytesText(need)} on the source; ${t.dialect === 'postgres' ? 'PostgreSQL' : 'MySQL'} does not report free disk space over SQL${dir ? ' and its data directory is not on this machine' : ''}`,
      fix: 'check that the target volume has that much free, plus room for indexes and WAL/binlog', details: { estimatedBytes: need } })];
  }
  const details = { estimatedBytes: need, freeBytes: free, dataDirectory: dir ?? null };
  if (free < need * 1.5) {
    return [finding({ code: 'TARGET_FREE_SPACE', severity: free < need ? 'error' : 'warning', category: 'target', objects: at,
      message: `target ${t.name} has ${bytesText(free)} free on ${dir}, and the selected tables take about ${bytesText(need)} on the source`,
      fix: 'grow the target volume, or select fewer tables', details })];
  }
  return [finding({ code: 'TARGET_FREE_SPACE', severity: 'info', category: 'target', objects: at,
    message: `target ${t.name} has ${bytesText(free)} free on ${dir}; the selected tables take about ${bytesText(need)} on the source`, details })];
}

