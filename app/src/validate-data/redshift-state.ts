/**
 * The rows of a Redshift target table (sinks/redshift) as canonical texts for state-compare.ts. Redshift has neither
 * sha256 nor the other functions the database method's canonical SQL uses, so nothing is computed there: the table's
 * columns are selected as they are, read in text form over the PostgreSQL protocol through a cursor (10,000 rows per
 * fetch), with the session in UTC, DateStyle ISO and extra_float_digits 2, and canonicalized in Ferry
 * (sqlTextCanonical). Read-only: one transaction that only selects. Identifiers are lower-cased, as the sink writes them.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { DEFAULT_MAX_STATE_ROWS, type StatePlan, type TargetState } from '../../../runtime/src/validation/state-compare.ts';
import { throwIfAborted } from '../../../runtime/src/validation/limits.ts';
import { sqlTextCanonical } from '../../../runtime/src/validation/wire-canonical.ts';
import { targetTableRef } from '../../../sinks/redshift/src/naming.ts';

export interface RedshiftStateOptions {
  readonly connection: { readonly host: string; readonly port: number; readonly database: string; readonly user: string; readonly password: string; readonly ssl: boolean };
  readonly targetSchema?: string;
  readonly maxRows?: number;
  readonly signal?: AbortSignal;
}

const q = (n: string): string => `"${n.replace(/"/g, '""')}"`;
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** schema.table of the Redshift table the sink writes for a mapped table id. */
export function redshiftTable(id: { readonly schema: string; readonly table: string }, targetSchema: string | undefined): { schema: string; table: string } {
  return targetTableRef(targetSchema, id);
}

export async function readRedshiftState(plan: StatePlan, o: RedshiftStateOptions): Promise<TargetState> {
  const max = o.maxRows ?? DEFAULT_MAX_STATE_ROWS;
  const t = redshiftTable(plan.target, o.targetSchema);
  const name = `${t.schema}.${t.table}`;
  const { default: pg } = await import('pg');
  const c = new pg.Client({
    host: o.connection.host, port: o.connection.port, database: o.connection.database, user: o.connection.user, password: o.connection.password,
    ssl: o.connection.ssl ? { rejectUnauthorized: true } : false, connectionTimeoutMillis: 10_000, application_name: 'ferry-validate-data',
    types: { getTypeParser: () => (v: string) => v } as never,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e: unknown) {
    throw new FerryError('FERRY_SINK_ERROR', `cannot connect to the Redshift target at ${o.connection.host}:${o.connection.port} (user ${o.connection.user}): ${errorMessage(e)}`, { cause: e });
  }
  try {
    await c.query("SET timezone TO 'UTC'");
    await c.query("SET datestyle TO 'ISO, MDY'");
    await c.query('SET extra_float_digits TO 2');
    const cols = (await c.query({ text: `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ${lit(t.schema)} AND table_name = ${lit(t.table)}`, rowMode: 'array' })).rows as string[][];
    if (cols.length === 0) throw new FerryError('FERRY_SINK_ERROR', `the Redshift table ${name} does not exist (or the user cannot see it): nothing to validate against. Fix: run the task's full load first`);
    const types = new Map(cols.map(([n, d]) => [n!, d!]));
    const column = (p: StatePlan['pairs'][number]): string => p.target.toLowerCase();
    const missingKey = plan.pairs.slice(0, plan.keyCount).filter((p) => !types.has(column(p)));
    if (missingKey.length > 0) throw new FerryError('FERRY_SINK_ERROR', `the Redshift table ${name} has no key column ${missingKey.map(column).join(', ')}`);
    const absent = new Set(plan.pairs.map((p, i) => (types.has(column(p)) ? -1 : i)).filter((i) => i >= 0));
    const count = Number(((await c.query({ text: `SELECT count(*) FROM ${q(t.schema)}.${q(t.table)}`, rowMode: 'array' })).rows as string[][])[0]?.[0] ?? 0);
    if (count > max) throw new FerryError('FERRY_UNSUPPORTED', `the Redshift table ${name} holds ${count.toLocaleString('en-US')} rows, more than ${max.toLocaleString('en-US')}: too many to validate in memory`);
    const select = plan.pairs.map((p, i) => (absent.has(i) ? 'NULL' : q(column(p)))).join(', ');
    const rows = new Map<string, (string | null)[]>();
    await c.query('BEGIN READ ONLY');
    try {
      await c.query(`DECLARE ferry_validate CURSOR FOR SELECT ${select} FROM ${q(t.schema)}.${q(t.table)}`);
      for (;;) {
        throwIfAborted(o.signal);
        const batch = (await c.query({ text: 'FETCH FORWARD 10000 FROM ferry_validate', rowMode: 'array' })).rows as (string | null)[][];
        for (const r of batch) {
          const row = plan.pairs.map((p, i) => (absent.has(i) ? null : sqlTextCanonical(p, types.get(column(p))!, r[i] ?? null)));
          rows.set(JSON.stringify(row.slice(0, plan.keyCount)), row);
        }
        if (batch.length < 10000) break;
      }
      await c.query('CLOSE ferry_validate');
    } finally {
      await c.query('COMMIT').catch(() => undefined);
    }
    return { rows, absent, records: count };
  } finally {
    await c.end().catch(() => undefined);
  }
}
