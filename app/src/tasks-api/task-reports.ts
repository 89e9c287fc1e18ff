/**
 * The task reports `ferry serve` exposes (docs/api.md "Assessment, schema conversion and validation failures"):
 *
 *   assessment          `ferry assess` of a stored task (app/src/assess/assess-task.ts, profile full, the same
 *                       options), run on request; the latest report per task kept in <state-dir>/assessments/.
 *   schema conversion   `ferry convert-schema`'s conversion for each database target (postgres, mysql) of the task,
 *                       computed on request from the source catalog: per table the target DDL, each column's type
 *                       mapping and the warnings and manual items. Nothing is written anywhere.
 *   validation failures the rows of `ferry_validation_failures` (docs/validation.md "The failures table") the task's
 *                       validation wrote on each database target, paged by (target, id).
 *
 * A task without a database target gets an empty answer with a `reason` (not an error): the console shows the reason.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../../core/src/errors.ts';
import { redact, redactValue } from '../../../runtime/src/config/secrets.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { AssessmentItem, KindSummary } from '../../../runtime/src/schema-conversion/assessment.ts';
import { convertSchema } from '../../../runtime/src/schema-conversion/convert.ts';
import type { Dialect } from '../../../runtime/src/schema-conversion/quoting.ts';
import { assessTask } from '../assess/assess-task.ts';
import type { AssessmentReport } from '../assess/finding.ts';
import { LOB_SAMPLE_ROWS, ROWS_PER_SECOND } from '../assess/flags.ts';
import { readTaskCatalog } from '../convert-schema/convert-schema.ts';
import { databaseTargets } from '../plan/target-ddl.ts';
import { sourcePlugin } from '../plugins.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { openClient } from '../validate-data/clients.ts';
import { FAILURES_TABLE } from '../validate-data/failures-table.ts';
import { targetConnection } from '../validate-data/task-tables.ts';
import { ApiError, badRequest, conflict } from './api-error.ts';
import { failureValues, type FailureValues } from './failure-values.ts';

/** The body of POST /tasks/{name}/assessment: `ferry assess`'s options (docs/assessment.md). */
export const AssessmentRequestSchema = z.object({
  rowsPerSecond: z.number().int().min(ROWS_PER_SECOND.min).max(ROWS_PER_SECOND.max).optional()
    .meta({ description: 'the full-load rate the estimate assumes, rows per second (`ferry assess --rows-per-second`; default 50000)' }),
  lobSampleRows: z.number().int().min(LOB_SAMPLE_ROWS.min).max(LOB_SAMPLE_ROWS.max).optional()
    .meta({ description: 'rows read per table to measure LOB sizes (`--lob-sample-rows`; default 100000)' }),
  tables: z.array(z.string().regex(/^[^.]+\..+$/, 'give schema.table')).optional()
    .meta({ description: 'only these selected source tables, `schema.table` (`--table`); default every selected table' }),
  timeoutMs: z.number().int().min(1000).max(300_000).optional()
    .meta({ description: 'the timeout of the connection of each check, ms (default 10000, as `ferry validate`)' }),
}).strict();
export type AssessmentRequest = z.infer<typeof AssessmentRequestSchema>;

/** What GET /tasks/{name}/assessment answers: the latest report (as `ferry assess --json`) or none yet. */
export interface StoredAssessment {
  readonly report: (AssessmentReport & { readonly ok: boolean }) | null;
  /** Who ran it (the token's name) and with which options. */
  readonly requestedBy: string | null;
  readonly options: AssessmentRequest;
  readonly durationMs: number;
}

/** One table of one database target's conversion. */
export interface ConvertedTableView {
  readonly source: string;
  readonly target: string;
  /** CREATE TABLE, statements after it, foreign keys, indexes (no terminators), as schema.sql has them. */
  readonly ddl: readonly string[];
  /** Each column's type: source type → target type, and the outcome (auto, warning, manual) with why. */
  readonly columns: readonly { readonly column: string; readonly sourceType: string | null; readonly targetType: string | null; readonly outcome: string; readonly reason?: string; readonly fix?: string }[];
  /** Every item of this table with a warning or needing manual work (columns, defaults, keys, indexes, checks, triggers). */
  readonly issues: readonly AssessmentItem[];
}

export interface SchemaConversionView {
  readonly task: string;
  /** Why there is nothing to show (no database target), or null. */
  readonly reason: string | null;
  readonly targets: readonly {
    readonly name: string;
    readonly type: string;
    readonly dialect: Dialect;
    readonly schema: string | null;
    readonly source: { readonly engine: string; readonly serverVersion: string };
    readonly summary: readonly KindSummary[];
    readonly tables: readonly ConvertedTableView[];
    /** Warnings and manual items not tied to a selected table: views, routines, standalone sequences. */
    readonly other: readonly AssessmentItem[];
  }[];
}

export interface ValidationFailureView {
  /** The page cursor of this row (pass it as `after` to read on from it). */
  readonly cursor: string;
  readonly id: number;
  readonly target: string;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly key: unknown;
  readonly failureType: string;
  readonly columns: unknown;
  readonly detectedAt: string;
  /** With ?values=true: the columns' text in the source and the target now (failure-values.ts); null when unreadable. */
  readonly values?: FailureValues | null;
}

export interface ValidationFailuresView {
  readonly task: string;
  readonly reason: string | null;
  /** Each database target and where its failures table is (`schema.ferry_validation_failures`): exists (null: not read for this page), and the error if unreadable. */
  readonly targets: readonly { readonly name: string; readonly table: string; readonly exists: boolean | null; readonly error: string | null }[];
  readonly failures: readonly ValidationFailureView[];
  /** The `after` of the next page, or null at the end. */
  readonly next: string | null;
  /** With ?values=true: why some values could not be read, or null. */
  readonly valuesError?: string | null;
}

const NO_DATABASE_TARGET = (task: ResolvedTask, what: string): string =>
  `the task ${task.name} has no postgres or mysql target (its targets: ${task.targets.map((t) => t.type).join(', ') || 'none'}), so it has no ${what}; docs/api.md "Assessment, schema conversion and validation failures"`;

const sanitize = (name: string): string => encodeURIComponent(name).replace(/\./g, '%2E');

export class TaskReports {
  readonly #dir: string | null;
  readonly #memory = new Map<string, StoredAssessment>();
  readonly #running = new Set<string>();

  /** `dir`: where the latest assessment of each task is kept (<state-dir>/assessments); null: in memory only. */
  constructor(dir: string | null) {
    this.#dir = dir;
    if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  #file(task: string): string | null {
    return this.#dir ? join(this.#dir, `${sanitize(task)}.json`) : null;
  }

  /** Runs `ferry assess` (profile full) on the task and keeps the report as the task's latest. One at a time per task. */
  async assess(task: ResolvedTask, body: unknown, requestedBy: string | null): Promise<StoredAssessment> {
    const parsed = AssessmentRequestSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', `the assessment options are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')} (docs/api.md)`);
    const options = parsed.data;
    const selector = createTableSelector(task.tableMappings);
    for (const t of options.tables ?? []) {
      const dot = t.indexOf('.');
      if (!selector.includes({ schema: t.slice(0, dot), table: t.slice(dot + 1) })) throw badRequest(`tables: ${t} is not selected by the task's table mapping (give schema.table of a selected table)`);
    }
    if (this.#running.has(task.name)) throw conflict(`an assessment of ${task.name} is already running; wait for it and read GET /tasks/${task.name}/assessment`);
    this.#running.add(task.name);
    const started = Date.now();
    try {
      const report = await assessTask(task, { profile: 'full', ...options });
      const stored: StoredAssessment = { report: { ok: report.summary.errors === 0, ...report }, requestedBy, options, durationMs: Date.now() - started };
      this.#memory.set(task.name, stored);
      const file = this.#file(task.name);
      if (file) {
        writeFileSync(`${file}.tmp`, `${redact(JSON.stringify(redactValue(stored)))}\n`, { mode: 0o600 }); // secrets masked, as in the answers
        renameSync(`${file}.tmp`, file);
      }
      return stored;
    } finally {
      this.#running.delete(task.name);
    }
  }

  /** The latest assessment of the task, or report null when none was run. */
  latest(task: string): StoredAssessment & { readonly running: boolean } {
    const running = this.#running.has(task);
    const kept = this.#memory.get(task);
    if (kept) return { ...kept, running };
    const file = this.#file(task);
    if (file) {
      try {
        const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredAssessment;
        this.#memory.set(task, stored);
        return { ...stored, running };
      } catch { /* none yet */ }
    }
    return { report: null, requestedBy: null, options: {}, durationMs: 0, running };
  }

  /** Forgets the task's assessment (the task is deleted). */
  forget(task: string): void {
    this.#memory.delete(task);
    const file = this.#file(task);
    if (file) rmSync(file, { force: true });
  }

  /** `ferry convert-schema`'s conversion of the task's selected tables for each of its database targets. */
  async schemaConversion(task: ResolvedTask): Promise<SchemaConversionView> {
    const targets = databaseTargets(task);
    if (targets.length === 0) return { task: task.name, reason: NO_DATABASE_TARGET(task, 'schema conversion'), targets: [] };
    const catalog = await readTaskCatalog(task);
    if (catalog.tables.length === 0) return { task: task.name, reason: `the table mapping of ${task.name} selects no table of the source at ${task.source.host}:${task.source.port}: nothing to convert (run POST /validate for the closest names)`, targets: [] };
    const plugin = sourcePlugin(task.source.engine);
    let described: readonly TableSchema[] = [];
    if (plugin.describeTables) described = (await plugin.describeTables({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) })).tables;
    const keys = catalog.tables.map((t) => `${t.schema}.${t.name}`);
    const sourceTypes = new Map<string, string>(catalog.tables.flatMap((t) => t.columns.map((c): [string, string] => [`${t.schema}.${t.name}.${c.name}`, c.sourceType])));
    return {
      task: task.name, reason: null,
      targets: targets.map((t) => {
        const c = convertSchema({ catalog, described, mapping: task.tableMappings, target: t.dialect, ...(t.targetSchema ? { targetSchema: t.targetSchema } : {}) });
        const byTable = new Map<string, AssessmentItem[]>();
        const other: AssessmentItem[] = [];
        for (const item of c.assessment.items) {
          const owner = ownerOf(item.object, keys);
          if (owner === undefined) { if (item.outcome !== 'auto') other.push(item); continue; }
          let list = byTable.get(owner);
          if (!list) byTable.set(owner, (list = []));
          list.push(item);
        }
        const tables = c.tables.map((ct): ConvertedTableView => {
          const items = byTable.get(ct.source) ?? [];
          return {
            source: ct.source, target: ct.target,
            ddl: [ct.ddl.create, ...ct.ddl.after, ...ct.ddl.foreignKeys, ...ct.ddl.indexes],
            columns: items.filter((i) => i.kind === 'column type').map((i) => ({
              column: i.object.slice(ct.source.length + 1), sourceType: sourceTypes.get(i.object) ?? null, targetType: i.target ?? null, outcome: i.outcome,
              ...(i.reason ? { reason: i.reason } : {}), ...(i.fix ? { fix: i.fix } : {}),
            })),
            issues: items.filter((i) => i.outcome !== 'auto'),
          };
        });
        return { name: t.name, type: t.type, dialect: t.dialect, schema: t.targetSchema ?? null, source: c.assessment.source, summary: c.assessment.summary.filter((s) => s.total > 0), tables, other };
      }),
    };
  }

  /** The task's rows of each database target's failures table, oldest first, `limit` from the cursor `after`. */
  async validationFailures(task: ResolvedTask, q: { table?: string; limit: number; after?: string; values?: boolean }): Promise<ValidationFailuresView> {
    const targets = databaseTargets(task);
    const indexes = task.targets.map((t, index) => ({ t, index })).filter((x) => x.t.type === 'postgres' || x.t.type === 'mysql');
    if (targets.length === 0) return { task: task.name, reason: NO_DATABASE_TARGET(task, 'failures table (validation of Kafka topics, lakes and Redshift reports its mismatches only in `ferry validate-data`\'s output)'), targets: [], failures: [], next: null };
    const cursor = parseCursor(q.after, targets.length);
    const failures: ValidationFailureView[] = [];
    /** The task.targets index of each failure's target (for the values). */
    const targetIndexes: number[] = [];
    const views: { name: string; table: string; exists: boolean | null; error: string | null }[] = [];
    let more = false;
    for (const [i, { index }] of indexes.entries()) {
      const name = targets[i]!.name;
      const tc = targetConnection(task, index, 1);
      const table = `${tc.stateSchema}.${FAILURES_TABLE}`;
      const wanted = q.limit + 1 - failures.length;
      if (i < cursor.target || more) { views.push({ name, table, exists: null, error: null }); continue; } // not read for this page
      let client;
      try {
        client = await openClient({ ...tc.connection, readOnly: true });
      } catch (e: unknown) {
        views.push({ name, table, exists: false, error: errorMessage(e) });
        continue;
      }
      try {
        const my = client.engine === 'mysql';
        const exists = await client.select(my ? 'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?' : 'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [tc.stateSchema, FAILURES_TABLE]);
        if (exists.length === 0) { views.push({ name, table, exists: false, error: null }); continue; }
        views.push({ name, table, exists: true, error: null });
        const after = i === cursor.target ? cursor.id : 0;
        const quoted = my ? `\`${tc.stateSchema.replace(/`/g, '``')}\`.\`${FAILURES_TABLE}\`` : `"${tc.stateSchema.replace(/"/g, '""')}"."${FAILURES_TABLE}"`;
        const p = (n: number) => (my ? '?' : `$${n}`);
        const values: unknown[] = [task.name, after];
        let where = `task_name = ${p(1)} AND id > ${p(2)}`;
        if (q.table) { values.push(q.table); where += ` AND source_table = ${p(3)}`; }
        const detected = my ? "DATE_FORMAT(detected_at, '%Y-%m-%dT%H:%i:%s.%fZ')" : `to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
        const rows = await client.select(`SELECT id, source_table, table_schema, table_name, ${my ? 'key_json' : 'key_json::text'}, failure_type, ${my ? 'columns_json' : 'columns_json::text'}, ${detected} FROM ${quoted} WHERE ${where} ORDER BY id LIMIT ${wanted}`, values);
        for (const r of rows) {
          if (failures.length === q.limit) { more = true; break; }
          const id = Number(r[0]);
          targetIndexes.push(index);
          failures.push({ cursor: `${i}:${id}`, id, target: name, sourceTable: r[1] ?? '', targetTable: `${r[2]}.${r[3]}`, key: parseJson(r[4]), failureType: r[5] ?? '', columns: parseJson(r[6]), detectedAt: r[7] ?? '' });
        }
      } catch (e: unknown) {
        views[views.length - 1] = { name, table, exists: true, error: errorMessage(e) };
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const next = more ? failures[failures.length - 1]!.cursor : null;
    if (!q.values) return { task: task.name, reason: null, targets: views, failures, next };
    const v = await failureValues(task, failures.map((f, j) => ({ targetIndex: targetIndexes[j]!, sourceTable: f.sourceTable, key: f.key, failureType: f.failureType, columns: f.columns })));
    return { task: task.name, reason: null, targets: views, failures: failures.map((f, j) => ({ ...f, values: v.values[j] ?? null })), next, valuesError: v.error };
  }
}

/** Which selected table an assessment object belongs to: the longest table key it is, or starts with. */
function ownerOf(object: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const k of keys) {
    if ((object === k || object.startsWith(`${k}.`) || object.startsWith(`${k} `)) && (!best || k.length > best.length)) best = k;
  }
  return best;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `after`: a row's `cursor` (`<target index>:<id>`); absent: from the start. */
function parseCursor(after: string | undefined, targets: number): { target: number; id: number } {
  if (after === undefined || after === '') return { target: 0, id: 0 };
  const m = /^(\d+):(\d+)$/.exec(after);
  if (!m || Number(m[1]) >= targets) throw badRequest(`"after" must be the "next" (or a row's "cursor") of a previous answer, like 0:42; got ${JSON.stringify(after)}`);
  return { target: Number(m[1]), id: Number(m[2]) };
}

/** The query of GET /tasks/{name}/validation-failures. */
export function failuresQuery(url: URL): { table?: string; limit: number; after?: string; values?: boolean } {
  const q = url.searchParams;
  const limit = q.get('limit');
  if (limit !== null && !/^[1-9][0-9]{0,3}$/.test(limit)) throw badRequest('"limit" must be an integer from 1 to 9999 (default 100)');
  const table = q.get('table');
  if (table !== null && table !== '' && !/^[^.]+\..+$/.test(table)) throw badRequest('"table" must be a source table as schema.table');
  const after = q.get('after');
  const values = q.get('values');
  if (values !== null && values !== 'true' && values !== 'false') throw badRequest('"values" must be true or false');
  if (values === 'true' && limit !== null && Number(limit) > 500) throw badRequest('with values=true, "limit" is at most 500 (each page reads its rows from the source and the targets)');
  return { limit: limit === null ? 100 : Number(limit), ...(table ? { table } : {}), ...(after ? { after } : {}), ...(values === 'true' ? { values: true } : {}) };
}
