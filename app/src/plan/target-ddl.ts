/**
 * `ferry plan` for database targets (`postgres`, `mysql`): the DDL Ferry's schema conversion produces for each
 * selected table — CREATE TABLE with the mapped names and types, then its foreign keys and indexes — and the
 * assessment items (warnings, manual work) of that table, per database target of the task.
 *
 * The conversion is `ferry convert-schema`'s (runtime/src/schema-conversion/convert.ts, fed by
 * app/src/convert-schema/convert-schema.ts): the source plugin's readCatalog is called once for all targets, the
 * Connect types come from the catalog the plan's checks already read (describeTables), and one conversion runs per
 * distinct (dialect, target schema), so index and foreign-key names are exactly those of `schema.sql`. Nothing is
 * written and no target is contacted.
 */
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import type { AssessmentItem, KindSummary } from '../../../runtime/src/schema-conversion/assessment.ts';
import { convertSchema, type ConvertedSchema } from '../../../runtime/src/schema-conversion/convert.ts';
import type { Dialect } from '../../../runtime/src/schema-conversion/quoting.ts';
import type { TableMapping } from '../../../runtime/src/config/table-mapping-schema.ts';
import { readTaskCatalog } from '../convert-schema/convert-schema.ts';
import { targetName, targetOptions } from '../task/targets.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

/** Target types whose tables Ferry's schema conversion creates, and the dialect each converts to. */
export const DATABASE_TARGET_DIALECTS: Readonly<Record<string, Dialect>> = { postgres: 'postgres', mysql: 'mysql' };

/** A database target of the task. */
export interface DatabaseTarget {
  readonly name: string;
  readonly type: string;
  readonly dialect: Dialect;
  /** Where every table goes, overriding the mapped schema: PostgreSQL `schema`, MySQL `database`; unset: the mapped schema. */
  readonly targetSchema?: string;
}

/** One table's DDL for one database target. */
export interface PlannedTableTarget {
  readonly name: string;
  readonly type: string;
  /** The target table, `schema.table` after the table mapping (and the target's schema/database key). */
  readonly table: string;
  /** CREATE TABLE, statements after it (PostgreSQL: ALTER SEQUENCE … OWNED BY), foreign keys, indexes; no terminators. */
  readonly ddl: readonly string[];
  /** The table's items with a warning or needing manual work (its columns, defaults, keys, indexes, checks, triggers). */
  readonly assessment: readonly AssessmentItem[];
}

/** One database target's conversion as a whole. */
export interface PlannedTarget {
  readonly name: string;
  readonly type: string;
  readonly dialect: Dialect;
  readonly schema?: string;
  /** Per object kind: total, converted, with a warning, manual (as assessment.json). */
  readonly summary: readonly KindSummary[];
  /** Warnings and manual items not tied to a selected table: views, routines, standalone sequences. */
  readonly other: readonly AssessmentItem[];
}

export interface TargetDdlPlan {
  readonly targets: readonly PlannedTarget[];
  /** Source table `schema.table` → its DDL per database target, in the task's target order. */
  readonly tables: ReadonlyMap<string, readonly PlannedTableTarget[]>;
  readonly problems: readonly { readonly table: string; readonly message: string }[];
}

/** The task's targets that Ferry's schema conversion serves, in the task's order. */
export function databaseTargets(task: Pick<ResolvedTask, 'targets'>): DatabaseTarget[] {
  const out: DatabaseTarget[] = [];
  for (const [i, t] of task.targets.entries()) {
    const dialect = DATABASE_TARGET_DIALECTS[t.type];
    if (!dialect) continue;
    const o = targetOptions(t);
    const s = t.type === 'postgres' ? o.schema : o.database;
    out.push({ name: targetName(t, i), type: t.type, dialect, ...(typeof s === 'string' && s !== '' ? { targetSchema: s } : {}) });
  }
  return out;
}

/** Which selected table an assessment object belongs to: the longest table key it is, or starts with. */
function ownerOf(object: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const k of keys) {
    if (object === k || object.startsWith(`${k}.`) || object.startsWith(`${k} `)) {
      if (!best || k.length > best.length) best = k;
    }
  }
  return best;
}

/** Converts an already-read catalog for each database target: pure, no I/O. */
export function targetDdlFromCatalog(o: { mapping: TableMapping; catalog: SourceCatalog; described: readonly TableSchema[]; targets: readonly DatabaseTarget[] }): TargetDdlPlan {
  const conversions = new Map<string, ConvertedSchema>();
  const targets: PlannedTarget[] = [];
  const tables = new Map<string, PlannedTableTarget[]>();
  const keys = o.catalog.tables.map((t) => `${t.schema}.${t.name}`);
  for (const k of keys) tables.set(k, []);
  for (const t of o.targets) {
    const cacheKey = `${t.dialect}\u0000${t.targetSchema ?? ''}`;
    let c = conversions.get(cacheKey);
    if (!c) {
      c = convertSchema({ catalog: o.catalog, described: o.described, mapping: o.mapping, target: t.dialect, ...(t.targetSchema ? { targetSchema: t.targetSchema } : {}) });
      conversions.set(cacheKey, c);
    }
    const issuesOf = new Map<string, AssessmentItem[]>();
    const other: AssessmentItem[] = [];
    for (const item of c.assessment.issues) {
      const owner = ownerOf(item.object, keys);
      if (owner === undefined) other.push(item);
      else {
        let list = issuesOf.get(owner);
        if (!list) issuesOf.set(owner, (list = []));
        list.push(item);
      }
    }
    const converted = new Map(c.tables.map((ct) => [ct.source, ct]));
    for (const k of keys) {
      const ct = converted.get(k);
      tables.get(k)!.push({
        name: t.name, type: t.type, table: ct?.target ?? '',
        ddl: ct ? [ct.ddl.create, ...ct.ddl.after, ...ct.ddl.foreignKeys, ...ct.ddl.indexes] : [],
        assessment: issuesOf.get(k) ?? [],
      });
    }
    targets.push({ name: t.name, type: t.type, dialect: t.dialect, ...(t.targetSchema ? { schema: t.targetSchema } : {}), summary: c.assessment.summary.filter((s) => s.total > 0), other });
  }
  return { targets, tables, problems: [] };
}

/**
 * Reads the conversion catalog once and converts it for each database target of the task. `described` is the
 * plan's own describeTables result (the Connect types data-type locators match on); it is not read again.
 */
export async function planTargetDdl(task: ResolvedTask, described: readonly TableSchema[]): Promise<TargetDdlPlan> {
  const targets = databaseTargets(task);
  if (targets.length === 0 || described.length === 0) return { targets: [], tables: new Map(), problems: [] };
  let catalog: SourceCatalog;
  try {
    catalog = await readTaskCatalog(task);
  } catch (e: unknown) {
    return { targets: [], tables: new Map(), problems: [{ table: '*', message: `cannot read the source catalog for the target DDL: ${errorMessage(e)}` }] };
  }
  try {
    return targetDdlFromCatalog({ mapping: task.tableMappings, catalog, described, targets });
  } catch (e: unknown) {
    return { targets: [], tables: new Map(), problems: [{ table: '*', message: `cannot convert the schema for the database targets: ${errorMessage(e)}` }] };
  }
}
