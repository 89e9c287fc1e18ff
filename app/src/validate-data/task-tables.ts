/**
 * What `ferry validate-data` and the continuous validator compare, from the task: the selected source tables, each
 * one's target table and copied columns (the table mapping's plan, minus computed and LOB columns), and the
 * connections to the source and to each database target (postgres, mysql).
 */
import type { SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { filterSql } from '../../../runtime/src/validation/filter-sql.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import type { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import type { SkippedColumn, TableRef, ValidationEngine } from '../../../runtime/src/validation/model.ts';
import type { TablePlanInput } from '../../../runtime/src/validation/table-plan.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { sinkPlugin, sourcePlugin } from '../plugins.ts';
import { targetName, targetOptions } from '../task/targets.ts';
import type { Connection } from './clients.ts';

/** Why a table is not compared: DMS's state and the reason. */
export interface Unsupported { readonly state: 'No primary key' | 'Not supported'; readonly message: string }

export interface TableJob {
  readonly source: TableSchema;
  readonly input?: TablePlanInput;
  readonly unsupported?: Unsupported;
}

const DATABASE_TARGETS = new Set(['postgres', 'mysql']);

const reveal = (v: unknown): string => (v !== null && typeof v === 'object' && 'reveal' in v ? (v as { reveal(): string }).reveal() : String(v));

export function databaseTargets(task: ResolvedTask): { readonly index: number; readonly t: ResolvedTask['targets'][number] }[] {
  return task.targets.map((t, index) => ({ index, t })).filter((x) => DATABASE_TARGETS.has(x.t.type));
}

/** The selected source tables (the source plugin's catalog reader), filtered to `names` when given. */
export async function selectedTables(task: ResolvedTask, names?: readonly string[]): Promise<TableSchema[]> {
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.describeTables) throw new FerryError('FERRY_UNSUPPORTED', `the ${task.source.engine} source has no catalog reader`);
  const d = await plugin.describeTables({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) });
  const all = [...d.tables];
  if (all.length === 0) throw new FerryError('FERRY_NO_TABLES_SELECTED', `the table mapping selects no table of the ${task.source.engine} source at ${task.source.host}:${task.source.port}. Fix: correct the selection rules (run ferry validate for the closest names)`);
  if (!names || names.length === 0) return all;
  const byName = new Map(all.map((t) => [`${t.id.schema}.${t.id.table}`, t]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) throw new FerryError('FERRY_USAGE', `--table ${unknown.join(', ')}: not among the task's selected tables (${[...byName.keys()].slice(0, 20).join(', ')}${byName.size > 20 ? ', …' : ''})`);
  return names.map((n) => byName.get(n)!);
}

/** The validation engine of the task's source. */
export const sourceEngineOf = (task: ResolvedTask): ValidationEngine => (task.source.engine === 'postgres' ? 'postgres' : 'mysql');

/** What to compare of a source table: the mapping's target table and copied columns, minus computed and LOB columns. */
export function tableJob(transformer: MappingTransformer, lob: LobPolicies, source: TableSchema, targetSchema: string | undefined, sourceEngine: ValidationEngine): TableJob {
  const p = transformer.plan(source);
  // Source filters: only the rows the task lets through are compared (their SQL on the source: filter-sql.ts).
  let sourceFilter: string | null;
  try {
    sourceFilter = p.filter ? filterSql(sourceEngine, p.filterRules, source) : null;
  } catch (e: unknown) {
    return { source, unsupported: { state: 'Not supported', message: errorMessage(e) } };
  }
  if (source.primaryKey.length === 0) return { source, unsupported: { state: 'No primary key', message: 'the table has no primary key: rows cannot be matched' } };
  const lp = lob.plan(p.target, source.id);
  const lobSkipped = lp.policy.mode === 'full' ? new Set<string>() : new Set(lp.lobColumns);
  const columns: { source: string; target: string }[] = [];
  const skipped: SkippedColumn[] = [];
  for (const tc of p.columns) {
    const v = tc.value;
    if (v.kind !== 'copy') continue;
    if (v.convert) skipped.push({ column: v.from, reason: `converted by a change-data-type rule to ${tc.column.name}` });
    else if (v.mask) skipped.push({ column: v.from, reason: 'masked by the table mapping' });
    else if (lobSkipped.has(tc.column.name)) skipped.push({ column: v.from, reason: `LOB column under LOB mode ${lp.policy.mode} (${lp.policy.from})` });
    else columns.push({ source: v.from, target: tc.column.name });
  }
  const copied = new Set(p.columns.flatMap((tc) => (tc.value.kind === 'copy' ? [tc.value.from] : [])));
  for (const c of source.columns) if (!copied.has(c.name)) skipped.push({ column: c.name, reason: 'not in the target (removed by the table mapping)' });
  return {
    source,
    input: { source: source.id, target: { schema: targetSchema ?? p.target.id.schema, table: p.target.id.table }, columns, key: source.primaryKey, skipped, ...(sourceFilter !== null ? { sourceFilter } : {}) },
  };
}

export function targetConnection(task: ResolvedTask, index: number, connections: number): { connection: Connection; schema?: string; stateSchema: string } {
  const t = task.targets[index]!;
  const o = sinkPlugin(t.type).options(t.type).parse(targetOptions(t)) as Record<string, unknown>;
  const pg = t.type === 'postgres';
  const schema = pg ? o.schema : o.database;
  return {
    connection: {
      engine: pg ? 'postgres' : 'mysql', host: String(o.host), port: Number(o.port), user: String(o.user), password: String(o.password),
      ...(typeof o.database === 'string' ? { database: o.database } : {}), ...(o.ssl ? { ssl: o.ssl as SslSettings } : {}),
      connectTimeoutMs: typeof o.connectTimeoutMs === 'number' ? o.connectTimeoutMs : 10_000, readOnly: false, connections,
      label: `the target ${targetName(t, index)}`, unreachable: 'FERRY_SINK_ERROR',
    },
    ...(typeof schema === 'string' ? { schema } : {}),
    stateSchema: pg ? String(o.stateSchema ?? 'public') : String(o.stateDatabase ?? o.database ?? 'ferry'),
  };
}

export function sourceConnection(task: ResolvedTask, connections: number): Connection {
  const s = task.source as unknown as Record<string, unknown>;
  const engine: ValidationEngine = task.source.engine === 'postgres' ? 'postgres' : 'mysql';
  return {
    engine, host: String(s.host), port: Number(s.port ?? (engine === 'postgres' ? 5432 : 3306)), user: String(s.user), password: reveal(s.password),
    ...(typeof s.database === 'string' ? { database: s.database } : {}), connectTimeoutMs: typeof s.connectTimeoutMs === 'number' ? s.connectTimeoutMs : 10_000,
    ...(s.ssl ? { ssl: s.ssl as SslSettings } : {}), readOnly: true, connections, label: 'the source', unreachable: 'FERRY_SOURCE_UNREACHABLE',
  };
}

export const tableName = (t: TableRef): string => `${t.schema}.${t.table}`;
