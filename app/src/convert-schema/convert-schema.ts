/**
 * `ferry convert-schema`: reads the source catalog of the tables the task selects (the source plugin's readCatalog,
 * and describeTables for the Connect types the table mapping's data-type locators match on), converts it for the
 * target engine (runtime/src/schema-conversion/) and writes schema.sql and the assessment as Markdown, HTML and JSON.
 * Read-only on the source; writes only the output folder.
 */
import { mysql2Ssl, pgSsl, type SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { convertSchema, type ConvertedSchema } from '../../../runtime/src/schema-conversion/convert.ts';
import { uniqueKeyPromotions } from '../../../runtime/src/schema-conversion/mysql-unique-keys.ts';
import { qualified, type Dialect } from '../../../runtime/src/schema-conversion/quoting.ts';
import { assessmentHtml, assessmentMarkdown } from '../../../runtime/src/schema-conversion/report.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { sinkPlugin, sourcePlugin } from '../plugins.ts';
import { targetOptions } from '../task/targets.ts';

export const TARGET_DIALECTS: readonly Dialect[] = ['postgres', 'mysql', 'mariadb'];

/** The target the task names: its first target whose type is one of the dialects. */
export function taskTargetDialect(task: ResolvedTask): Dialect | undefined {
  for (const t of task.targets as readonly { readonly type: string }[]) {
    if ((TARGET_DIALECTS as readonly string[]).includes(t.type)) return t.type as Dialect;
  }
  return undefined;
}

/** A database target's connection, from the task's first target of the dialect's type (defaults from its sink). */
export interface TargetConnection {
  readonly name: string;
  readonly type: 'postgres' | 'mysql';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** PostgreSQL: the database to connect to; MySQL: the target's `database` key, when set. */
  readonly database?: string;
  /** Where every table goes, overriding the mapped schema: PostgreSQL `schema`, MySQL `database`; unset: the mapped schema. */
  readonly schema?: string;
  /** The target's `ssl` (runtime/src/config/tls-settings.ts). */
  readonly ssl?: SslSettings | undefined;
  readonly connectTimeoutMs: number;
}

export function taskTargetConnection(task: ResolvedTask, dialect: Dialect): TargetConnection | undefined {
  const index = task.targets.findIndex((t) => t.type === dialect || (dialect === 'mariadb' && t.type === 'mysql'));
  if (index < 0) return undefined;
  const t = task.targets[index]!;
  const o = sinkPlugin(t.type).options(t.type).parse(targetOptions(t)) as Record<string, unknown>;
  const schema = t.type === 'postgres' ? o.schema : o.database;
  return {
    name: t.name ?? `${t.type}-${index}`, type: t.type === 'postgres' ? 'postgres' : 'mysql', host: String(o.host), port: Number(o.port), user: String(o.user), password: String(o.password),
    ...(typeof o.database === 'string' ? { database: o.database } : {}),
    ...(typeof schema === 'string' && schema !== '' ? { schema } : {}),
    ...(o.ssl ? { ssl: o.ssl as SslSettings } : {}),
    connectTimeoutMs: typeof o.connectTimeoutMs === 'number' ? o.connectTimeoutMs : 10_000,
  };
}

export interface ConversionFiles {
  readonly dir: string;
  readonly schemaSql: string;
  readonly markdown: string;
  readonly html: string;
  readonly json: string;
}

/** Reads the conversion catalog (the source plugin's readCatalog) of the tables the task selects: read-only. */
export async function readTaskCatalog(task: ResolvedTask): Promise<SourceCatalog> {
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.readCatalog) throw new FerryError('FERRY_UNSUPPORTED', `the ${task.source.engine} source has no catalog reader for convert-schema`);
  return plugin.readCatalog({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) });
}

export async function convertTaskSchema(task: ResolvedTask, target: Dialect, targetSchema?: string): Promise<ConvertedSchema> {
  const plugin = sourcePlugin(task.source.engine);
  const o = { source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) };
  const catalog = await readTaskCatalog(task);
  if (catalog.tables.length === 0) {
    throw new FerryError('FERRY_NO_TABLES_SELECTED', `the table mapping selects no table of the ${task.source.engine} source at ${task.source.host}:${task.source.port}. Fix: correct the selection rules (run ferry validate for the closest names)`);
  }
  let described: readonly TableSchema[] = [];
  if (plugin.describeTables) described = (await plugin.describeTables(o)).tables;
  return convertSchema({ catalog, described, mapping: task.tableMappings, target, ...(targetSchema ? { targetSchema } : {}) });
}

export function writeConversion(dir: string, task: string, c: ConvertedSchema): ConversionFiles {
  mkdirSync(dir, { recursive: true });
  const files = { dir, schemaSql: join(dir, 'schema.sql'), markdown: join(dir, 'assessment.md'), html: join(dir, 'assessment.html'), json: join(dir, 'assessment.json') };
  writeFileSync(files.schemaSql, c.sql);
  writeFileSync(files.markdown, assessmentMarkdown(c.assessment, task));
  writeFileSync(files.html, assessmentHtml(c.assessment, task));
  writeFileSync(files.json, `${JSON.stringify({ task, ...c.assessment }, null, 2)}\n`);
  return files;
}

/** A TLS failure of a connection to the target as its FerryError (runtime/src/config/tls-errors.ts), or null. */
export function targetTlsError(e: unknown, c: TargetConnection, protocol: 'postgres' | 'mysql', connection = 'convert-schema connection'): Promise<FerryError | null> {
  return explainTlsFailure(e, { protocol, endpoint: `the target ${c.name} at ${c.host}:${c.port}`, connection, option: `targets[${c.name}].ssl`, host: c.host, port: c.port });
}

/**
 * Runs the converted statements on a PostgreSQL target in one transaction (DDL is transactional there): all of it
 * or nothing. A failed statement rolls everything back and raises FERRY_TARGET_DDL naming it.
 */
export async function applyToPostgres(c: TargetConnection, statements: readonly string[]): Promise<{ readonly statements: number }> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: c.host, port: c.port, user: c.user, password: c.password, ...(c.database !== undefined ? { database: c.database } : {}), connectionTimeoutMillis: c.connectTimeoutMs,
    application_name: 'ferry-convert-schema', ssl: pgSsl(c.ssl),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e: unknown) {
    throw (await targetTlsError(e, c, 'postgres')) ?? new FerryError('FERRY_TARGET_DDL', `cannot connect to the target ${c.name} (PostgreSQL at ${c.host}:${c.port}, database ${c.database}, user ${c.user}): ${errorMessage(e)}`, { cause: e, details: { stage: 'connect' } });
  }
  try {
    await client.query('BEGIN');
    for (const [i, sql] of statements.entries()) {
      try {
        await client.query(sql);
      } catch (e: unknown) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new FerryError('FERRY_TARGET_DDL', `statement ${i + 1} of ${statements.length} failed on the target ${c.name}: ${errorMessage(e)}; nothing was applied (rolled back). Statement: ${sql.length > 300 ? `${sql.slice(0, 300)}…` : sql}`, { cause: e, details: { stage: 'statement', statement: i + 1 } });
      }
    }
    await client.query('COMMIT');
    return { statements: statements.length };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs the converted statements on a MySQL/MariaDB target, one by one in order. MySQL DDL commits each statement, so
 * nothing can be rolled back: first every target table is checked to be absent (a table in the way is named and
 * nothing is run); a statement that fails later raises FERRY_TARGET_DDL naming it and how many ran before it.
 */
export async function applyToMySql(c: TargetConnection, converted: Pick<ConvertedSchema, 'statements' | 'afterLoad' | 'tables'>, afterLoad = false): Promise<{ readonly statements: number }> {
  let statements = afterLoad ? converted.afterLoad : converted.statements;
  const { createConnection } = await import('mysql2/promise');
  const ssl = mysql2Ssl(c.ssl, c.host);
  let conn;
  try {
    conn = await createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, connectTimeout: c.connectTimeoutMs, charset: 'utf8mb4', ...(ssl ? { ssl } : {}) });
  } catch (e: unknown) {
    throw (await targetTlsError(e, c, 'mysql')) ?? new FerryError('FERRY_TARGET_DDL', `cannot connect to the target ${c.name} (MySQL/MariaDB at ${c.host}:${c.port}, user ${c.user}): ${errorMessage(e)}`, { cause: e, details: { stage: 'connect' } });
  }
  conn.on('error', () => undefined);
  try {
    await conn.query("SET NAMES utf8mb4, time_zone = '+00:00'");
    const present: string[] = [];
    for (const t of converted.tables) {
      const [rows] = await conn.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [t.names.schema, t.names.table]);
      if ((rows as unknown[]).length > 0) present.push(`${t.names.schema}.${t.names.table}`);
    }
    if (afterLoad) {
      const missing = converted.tables.map((t) => `${t.names.schema}.${t.names.table}`).filter((t) => !present.includes(t));
      if (missing.length > 0) throw new FerryError('FERRY_TARGET_DDL', `the target ${c.name} has no ${missing.join(', ')}; nothing was applied. Fix: load the tables first (--after-load adds foreign keys, views, triggers and routines to tables a full load created, and makes their secondary unique keys unique)`, { details: { stage: 'preflight', tables: missing } });
    } else if (present.length > 0) {
      throw new FerryError('FERRY_TARGET_DDL', `the target ${c.name} already has ${present.join(', ')}; nothing was applied (MySQL DDL cannot be rolled back, so --apply runs only on absent tables). Fix: drop them, or apply schema.sql by hand`, { details: { stage: 'preflight', tables: present } });
    }
    if (afterLoad) {
      // Tables a sink created carry their secondary unique keys as plain indexes (mysql-unique-keys.ts): make them unique.
      const promotions: string[] = [];
      for (const t of converted.tables) {
        for (const p of uniqueKeyPromotions(t, qualified('mysql', t.names.schema, t.names.table))) {
          const [rows] = await conn.query('SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ? AND NON_UNIQUE = 1 LIMIT 1', [t.names.schema, t.names.table, p.name]);
          if ((rows as unknown[]).length > 0) promotions.push(p.sql);
        }
      }
      statements = [...promotions, ...statements];
    }
    for (const [i, sql] of statements.entries()) {
      try {
        await conn.query(sql);
      } catch (e: unknown) {
        throw new FerryError('FERRY_TARGET_DDL', `statement ${i + 1} of ${statements.length} failed on the target ${c.name}: ${errorMessage(e)}; the ${i} statements before it were applied (MySQL DDL commits each statement). Statement: ${sql.length > 300 ? `${sql.slice(0, 300)}…` : sql}`, { cause: e, details: { stage: 'statement', statement: i + 1 } });
      }
    }
    return { statements: statements.length };
  } finally {
    await conn.end().catch(() => undefined);
  }
}
