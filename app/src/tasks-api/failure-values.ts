/**
 * The values behind a page of validation failures (GET /tasks/{name}/validation-failures?values=true): the failures
 * table keeps a failed row's key and the names of its differing columns, not their values, so they are read now from
 * the source and the target, by key, as text. RECORD_DIFF: the differing columns on both sides; MISSING_TARGET: the
 * compared columns of the source row; MISSING_SOURCE: those of the target row. The column pairs and the target table
 * come from the table mapping as validation builds them (validate-data/task-tables.ts tableJob).
 *
 * They are today's values, not those of the validation run: a row changed or repaired since shows its new values (and
 * the key of a row deleted since finds nothing: null). Keys are matched as text (the failures table's canonical
 * text), which is exact for integer and string keys; a key of another type whose canonical text differs from the
 * engine's own text finds nothing. Read-only on both sides.
 */
import { errorMessage } from '../../../core/src/errors.ts';
import { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { openClient, type PooledClient } from '../validate-data/clients.ts';
import { selectedTables, sourceConnection, sourceEngineOf, tableJob, targetConnection } from '../validate-data/task-tables.ts';

/** source column → its text in the source and in the target (null: NULL, or the row is not there). */
export type FailureValues = Record<string, { readonly source: string | null; readonly target: string | null }>;

export interface FailureRef {
  readonly targetIndex: number;
  readonly sourceTable: string;
  readonly key: unknown;
  readonly failureType: string;
  readonly columns: unknown;
}

const quote = (engine: 'mysql' | 'postgres', n: string): string => (engine === 'mysql' ? `\`${n.replace(/`/g, '``')}\`` : `"${n.replace(/"/g, '""')}"`);
const asText = (engine: 'mysql' | 'postgres', col: string): string => (engine === 'mysql' ? `CAST(${quote(engine, col)} AS CHAR)` : `${quote(engine, col)}::text`);

/** Rows of `table` whose key columns (as text) equal one of `keys`: key text → the columns' texts. */
async function readRows(c: PooledClient, schema: string, table: string, keyCols: readonly string[], cols: readonly string[], keys: readonly (readonly string[])[]): Promise<Map<string, (string | null)[]>> {
  const out = new Map<string, (string | null)[]>();
  const e = c.engine;
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    let n = 0;
    const tuples = chunk.map((k) => `(${k.map(() => (e === 'mysql' ? '?' : `$${++n}`)).join(', ')})`).join(', ');
    const sql = `SELECT ${[...keyCols, ...cols].map((x) => asText(e, x)).join(', ')} FROM ${quote(e, schema)}.${quote(e, table)} WHERE (${keyCols.map((x) => asText(e, x)).join(', ')}) IN (${tuples})`;
    for (const r of await c.select(sql, chunk.flat())) out.set(JSON.stringify(r.slice(0, keyCols.length)), [...r.slice(keyCols.length)]);
  }
  return out;
}

/**
 * The values of each failure, in order; null for a failure whose table or columns cannot be read (the error is in
 * `error`). One source and one target connection per target, one query per table and side.
 */
export async function failureValues(task: ResolvedTask, failures: readonly FailureRef[]): Promise<{ values: (FailureValues | null)[]; error: string | null }> {
  const values: (FailureValues | null)[] = failures.map(() => null);
  if (failures.length === 0) return { values, error: null };
  const names = [...new Set(failures.map((f) => f.sourceTable))];
  let source: PooledClient | undefined;
  const errors: string[] = [];
  try {
    const tables = await selectedTables(task, names).catch(() => selectedTables(task));
    const transformer = new MappingTransformer(task.tableMappings);
    const lob = new LobPolicies(task.settings.lob, task.tableMappings);
    source = await openClient(sourceConnection(task, 1));
    for (const targetIndex of [...new Set(failures.map((f) => f.targetIndex))]) {
      const tc = targetConnection(task, targetIndex, 1);
      let target: PooledClient | undefined;
      try {
        target = await openClient({ ...tc.connection, readOnly: true });
        for (const name of names) {
          const idx = failures.map((f, i) => ({ f, i })).filter((x) => x.f.targetIndex === targetIndex && x.f.sourceTable === name);
          if (idx.length === 0) continue;
          const schema = tables.find((t) => `${t.id.schema}.${t.id.table}` === name);
          const job = schema ? tableJob(transformer, lob, schema, tc.schema, sourceEngineOf(task)) : undefined;
          const input = job?.input;
          if (!input) { errors.push(`${name}: ${job?.unsupported?.message ?? 'not selected by the task any more'}`); continue; }
          const targetOf = new Map(input.columns.map((c) => [c.source, c.target]));
          const keyTarget = input.key.map((k) => targetOf.get(k) ?? k);
          const compared = input.columns.map((c) => c.source).filter((c) => !input.key.includes(c));
          const keyTexts = idx.map((x) => input.key.map((k) => String((x.f.key as Record<string, unknown> | null)?.[k] ?? '')));
          const [src, tgt] = await Promise.all([
            readRows(source!, input.source.schema, input.source.table, input.key, compared, keyTexts),
            readRows(target, input.target.schema, input.target.table, keyTarget, compared.map((c) => targetOf.get(c)!), keyTexts),
          ]);
          idx.forEach((x, j) => {
            const k = JSON.stringify(keyTexts[j]);
            const diff = Array.isArray(x.f.columns) ? (x.f.columns as string[]).filter((c) => compared.includes(c)) : [];
            const shown = x.f.failureType === 'RECORD_DIFF' ? diff : compared;
            const s = src.get(k);
            const t = tgt.get(k);
            values[x.i] = Object.fromEntries(shown.map((c) => [c, { source: s?.[compared.indexOf(c)] ?? null, target: t?.[compared.indexOf(c)] ?? null }]));
          });
        }
      } catch (e: unknown) {
        errors.push(errorMessage(e));
      } finally {
        await target?.end().catch(() => undefined);
      }
    }
  } catch (e: unknown) {
    errors.push(errorMessage(e));
  } finally {
    await source?.end().catch(() => undefined);
  }
  return { values, error: errors.length ? `the values could not all be read: ${errors.join('; ')}` : null };
}
