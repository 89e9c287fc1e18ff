/**
 * DMS transformation expressions, evaluated by SQLite itself (Node's built-in node:sqlite, an in-memory database):
 * each expression is compiled once into a prepared `SELECT <expr>` whose `$NAME` parameters are the row's source
 * columns and DMS's `$AR_H_*` / `$AR_M_*` variables, so operators, functions, type affinity and NULL handling are
 * exactly SQLite's. Users' expressions run on the sandboxed connection of expression-sandbox.ts (DMS's own functions
 * operation_indicator(D, U, I), hash_sha256(x) and replaceChars(X, Y, Z) are registered there, and what an
 * expression may contain is bounded); Ferry's own statements (source filters, change-data-type conversions) run on
 * a plain connection.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Op } from '../../../core/src/types.ts';
import { DMS_TYPES, type DmsType, type SqlValue, dateTimeToMicros } from './sql-values.ts';
import { decimalToBytes } from '../../../schemas/src/decimal.ts';
import { EXPRESSION_BUDGET_MS, EXPRESSION_LIMITS, ExpressionRefused, MAX_EXPRESSION_LENGTH, prepareSandboxed, setOperation } from './expression-sandbox.ts';

/** DMS header and metadata variables Ferry can fill from a change event (see docs/table-mapping.md). */
export const HEADER_VARIABLES: ReadonlySet<string> = new Set([
  'AR_H_OPERATION', 'AR_H_TIMESTAMP', 'AR_H_COMMIT_TIMESTAMP', 'AR_H_CHANGE_SEQ', 'AR_H_STREAM_POSITION', 'AR_H_TRANSACTION_ID',
  'AR_M_SOURCE_SCHEMA', 'AR_M_SOURCE_TABLE_NAME',
]);

/** DMS variables that mean nothing for Ferry's sources, with the reason they are rejected. */
export const UNSUPPORTED_VARIABLES: Readonly<Record<string, string>> = {
  AR_H_USER: 'DMS fills it only for SQL Server and Oracle sources; MySQL, MariaDB and PostgreSQL logs do not carry the user who made a change',
  AR_M_SOURCE_COLUMN_NAME: 'it names the source column of a column rule, and Ferry evaluates expressions only in add-column, which has none',
  AR_M_SOURCE_COLUMN_DATATYPE: 'it names the source column of a column rule, and Ferry evaluates expressions only in add-column, which has none',
};

let db: DatabaseSync | undefined;

/** The connection of Ferry's own statements (no user SQL in them; values are parameters). */
function database(): DatabaseSync {
  db ??= new DatabaseSync(':memory:');
  return db;
}

const statements = new Map<string, StatementSync>();

/** Prepares (once) one of Ferry's own statements (never a user's expression: see prepareSandboxed). */
export function prepare(sql: string, bigints = false): StatementSync {
  const k = `${bigints ? 'B' : 'N'}${sql}`;
  let st = statements.get(k);
  if (!st) {
    st = database().prepare(sql);
    st.setReadBigInts(bigints);
    st.setAllowUnknownNamedParameters(true);
    statements.set(k, st);
  }
  return st;
}

/** Runs `SELECT <sql> AS v` with the given parameters; sets the operation operation_indicator() sees. */
export function evaluateSql(st: StatementSync, params: Record<string, SqlValue>, op: Op): SqlValue {
  setOperation(op);
  const row = st.get(params) as { v: SqlValue } | undefined;
  return row ? row.v : null;
}

/** The `$NAME` variables an expression uses (outside string literals and quoted identifiers), in order of first use. */
export function expressionVariables(expression: string): string[] {
  const out: string[] = [];
  for (const m of stripQuoted(expression).matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

function stripQuoted(s: string): string {
  return s.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]/g, (q) => ' '.repeat(q.length));
}

/**
 * Why an expression cannot be used, or null: it must be one SQLite expression (no `;`, balanced parentheses, so
 * it cannot step out of the `SELECT (...)` it is placed in) that SQLite compiles under the sandbox's rules (no
 * subquery, WITH clause, VALUES list or table; allowed functions only; expression-sandbox.ts), at most
 * MAX_EXPRESSION_LENGTH characters, and its `$AR_*` variables must be ones Ferry fills. It is then evaluated once
 * with every variable NULL, which finds what fails whatever the row (zeroblob(2e9), printf('%.*c', 2e9, 'x'): over
 * the length limit). Column references (`$col`) are checked per table when a table's plan is built.
 */
export function expressionProblem(expression: string): string | null {
  if (expression.length > MAX_EXPRESSION_LENGTH) return `an expression is at most ${MAX_EXPRESSION_LENGTH} characters long; this one has ${expression.length}`;
  const bare = stripQuoted(expression);
  if (/;/.test(bare)) return 'an expression is one SQLite expression; ";" is not allowed';
  let depth = 0;
  for (const ch of bare) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) break;
  }
  if (depth !== 0) return 'unbalanced parentheses';
  const variables = expressionVariables(expression);
  for (const v of variables) {
    if (UNSUPPORTED_VARIABLES[v]) return `$${v} is not supported: ${UNSUPPORTED_VARIABLES[v]}`;
    if (/^AR_[HM]_/.test(v) && !HEADER_VARIABLES.has(v)) return `$${v} is not a DMS header or metadata variable Ferry knows; known: ${[...HEADER_VARIABLES].map((h) => `$${h}`).join(', ')}`;
  }
  let st: StatementSync;
  try {
    st = prepareSandboxed(`SELECT (${expression}) AS v`, true);
  } catch (e: unknown) {
    if (e instanceof ExpressionRefused) return e.message;
    return `SQLite cannot compile it: ${errorMessage(e)}`;
  }
  const t0 = performance.now();
  try {
    evaluateSql(st, Object.fromEntries(variables.map((v) => [v, null])), 'c');
  } catch (e: unknown) {
    return `it fails whatever the row (evaluated with every column NULL): ${sqliteFailure(e)}`;
  }
  const ms = performance.now() - t0;
  if (ms > EXPRESSION_BUDGET_MS) return `one evaluation took ${Math.round(ms)} ms, over the ${EXPRESSION_BUDGET_MS} ms budget of an expression`;
  return null;
}

/** SQLite's reason, with what the limit is when it is the length limit. */
function sqliteFailure(e: unknown): string {
  const m = errorMessage(e);
  return /too big/.test(m) ? `${m} (a value an expression reads or makes is at most ${EXPRESSION_LIMITS.length} bytes)` : m;
}

/** An expression (or a bare `$v` for change-data-type) compiled to produce values of one DMS type. */
export interface CompiledExpression {
  readonly expression: string;
  readonly variables: readonly string[];
  /** Evaluates with the parameters (variable name → SQLite value) and returns the wire value for the target type. */
  evaluate(params: Record<string, SqlValue>, op: Op): unknown;
}

export interface ExpressionOptions {
  /** Who the expression belongs to, in errors: e.g. 'rule 3 (add-column) on shop.people'. */
  readonly label?: string;
  /** The time one evaluation may take (default EXPRESSION_BUDGET_MS). */
  readonly budgetMs?: number;
}

/** A user's expression (add-column), on the sandboxed connection. Errors are coded and carry `options.label`. */
export function compileExpression(expression: string, target: DmsType, options: ExpressionOptions = {}): CompiledExpression {
  const label = options.label ?? 'expression';
  const spec = DMS_TYPES[target.type];
  if (!spec) throw new FerryError('FERRY_CONFIG_INVALID', `${label}: data type "${target.type}" is not supported; use one of ${Object.keys(DMS_TYPES).join(', ')}`);
  const problem = expressionProblem(expression);
  if (problem) throw new FerryError('FERRY_CONFIG_INVALID', `${label}: ${problem}`);
  const st = prepareSandboxed(`SELECT ${spec.sql(`(${expression})`, target)} AS v`, spec.bigints === true);
  const field = spec.field(target);
  const budget = options.budgetMs ?? EXPRESSION_BUDGET_MS;
  return {
    expression,
    variables: expressionVariables(expression),
    evaluate(params, op) {
      const t0 = performance.now();
      let v: SqlValue;
      try {
        v = evaluateSql(st, params, op);
      } catch (e: unknown) {
        throw new FerryError('FERRY_EXPRESSION_FAILED', `${label}: SQLite failed evaluating the expression: ${sqliteFailure(e)}`, { cause: e });
      }
      const ms = performance.now() - t0;
      if (ms > budget) throw new FerryError('FERRY_EXPRESSION_FAILED', `${label}: one evaluation of the expression took ${Math.round(ms)} ms, over the ${budget} ms budget; simplify it`);
      return labelled(label, () => toWire(v, target, field.type, expression));
    },
  };
}

/** A change-data-type conversion of the column value `$v` (Ferry's own SQL, on the plain connection). */
export function compileConversion(target: DmsType, options: ExpressionOptions = {}): CompiledExpression {
  const label = options.label ?? 'change-data-type';
  const spec = DMS_TYPES[target.type];
  if (!spec) throw new FerryError('FERRY_CONFIG_INVALID', `${label}: data type "${target.type}" is not supported; use one of ${Object.keys(DMS_TYPES).join(', ')}`);
  const st = prepare(`SELECT ${spec.sql('($v)', target)} AS v`, spec.bigints === true);
  const field = spec.field(target);
  return {
    expression: '$v',
    variables: ['v'],
    evaluate(params, op) {
      return labelled(label, () => {
        let v: SqlValue;
        try {
          v = evaluateSql(st, params, op);
        } catch (e: unknown) {
          throw new FerryError('FERRY_EXPRESSION_FAILED', `SQLite failed converting the value: ${errorMessage(e)}`, { cause: e });
        }
        return toWire(v, target, field.type, '$v');
      });
    },
  };
}

/** Runs `f`; a FerryError it throws keeps its code and gains the label, any other error becomes FERRY_EXPRESSION_FAILED. */
function labelled<T>(label: string, f: () => T): T {
  try {
    return f();
  } catch (e: unknown) {
    if (e instanceof FerryError) throw new FerryError(e.code, `${label}: ${e.message}`, { cause: e });
    throw new FerryError('FERRY_EXPRESSION_FAILED', `${label}: ${errorMessage(e)}`, { cause: e });
  }
}

function toWire(v: SqlValue, t: DmsType, wire: string, expression: string): unknown {
  if (v === null) return null;
  const fail = (what: string) => new FerryError('FERRY_UNSUPPORTED', `expression ${JSON.stringify(expression)} gave ${JSON.stringify(typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? '<blob>' : v)}, which is not ${what} (data-type "${t.type}")`);
  switch (t.type) {
    case 'numeric': return decimalToBytes(String(v), t.scale ?? 0);
    case 'boolean': return Number(v) !== 0;
    case 'date': return Math.round(Date.parse(`${String(v)}T00:00:00Z`) / 86_400_000);
    case 'time': {
      const m = /^(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$/.exec(String(v)) ?? /[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?/.exec(String(v));
      if (!m) throw fail('a time of day (HH:MM:SS)');
      return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1_000_000 + Number((m[4] ?? '').padEnd(6, '0').slice(0, 6) || 0);
    }
    case 'datetime': {
      let us = dateTimeToMicros(String(v));
      if (us === undefined) {
        // SQLite's own date forms (julian day numbers, 'now', ...): let it normalise them.
        const norm = evaluateSql(prepare(`SELECT strftime('%Y-%m-%d %H:%M:%f', $v) AS v`), { v }, 'c');
        us = norm === null ? undefined : dateTimeToMicros(String(norm));
      }
      if (us === undefined) throw fail('a date and time (YYYY-MM-DD HH:MM:SS)');
      return Number(us);
    }
    default: break;
  }
  switch (wire) {
    case 'string': return String(v);
    case 'bytes': return Buffer.from(v as Uint8Array);
    case 'int64': return typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v) : v;
    case 'int8': case 'int16': case 'int32': {
      const n = Number(v);
      const bits = wire === 'int8' ? 8 : wire === 'int16' ? 16 : 32;
      if (n < -(2 ** (bits - 1)) || n >= 2 ** (bits - 1)) throw fail(`within the ${bits}-bit range`);
      return n;
    }
    default: return Number(v);
  }
}
