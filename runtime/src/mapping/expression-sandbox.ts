/**
 * The SQLite connection that evaluates users' table-mapping expressions, with their cost bounded by construction.
 *
 * Node's node:sqlite has no progress handler, so a running statement cannot be interrupted: a recursive CTE would
 * hang the task (and block the event loop that serves signals and the API). Instead, what an expression may contain
 * is restricted so that every evaluation ends quickly whatever the row:
 *   - an authorizer allows exactly one SELECT (the one Ferry wraps the expression in): no subquery, no WITH clause
 *     (recursive or not), no VALUES list, no table read; and only the functions of ALLOWED_FUNCTIONS (scalar
 *     functions whose work is linear in their arguments, or close to it). No loop is left, so an evaluation runs each
 *     operation of the compiled expression at most once;
 *   - SQLite limits bound what each operation can handle: values of at most EXPRESSION_LIMITS.length bytes (strings,
 *     blobs, zeroblob, randomblob, printf widths: longer ones fail with "string or blob too big"), LIKE/GLOB patterns,
 *     expression depth, function arguments, and the expression's own length (MAX_EXPRESSION_LENGTH);
 *   - trim/ltrim/rtrim with a character set are replaced by a linear implementation (SQLite's compares every
 *     trimmed character with every character of the set: seconds on two 64 KiB strings).
 * The evaluator also times each evaluation (EXPRESSION_BUDGET_MS) as a backstop, see expression.ts.
 */
import { createHash } from 'node:crypto';
import { DatabaseSync, constants, type StatementSync } from 'node:sqlite';
import type { Op } from '../../../core/src/types.ts';
import type { SqlValue } from './sql-values.ts';

/** SQLite limits of the expression connection (SQLITE_LIMIT_*). */
export const EXPRESSION_LIMITS = {
  /** 64 KiB: every MySQL/MariaDB VARCHAR or VARBINARY value (a row holds at most 65,535 bytes of them) fits. */
  length: 65_536,
  sqlLength: 20_000,
  exprDepth: 200,
  functionArg: 64,
  likePatternLength: 256,
  attach: 0,
  variableNumber: 4_096,
} as const;

/** The longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 4_096;

/** One evaluation of one expression taking longer than this fails the task (a backstop: the limits above bound it). */
export const EXPRESSION_BUDGET_MS = 1_000;

/** The functions an expression may call (lower case): scalar, bounded by the length limit, touching no file. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // core scalar functions
  'abs', 'char', 'coalesce', 'concat', 'concat_ws', 'format', 'glob', 'hex', 'if', 'ifnull', 'iif', 'instr', 'length', 'like',
  'likelihood', 'likely', 'lower', 'ltrim', 'max', 'min', 'nullif', 'octet_length', 'printf', 'quote', 'random', 'randomblob',
  'replace', 'round', 'rtrim', 'sign', 'substr', 'substring', 'trim', 'typeof', 'unhex', 'unicode', 'unlikely',
  'upper', 'zeroblob',
  // date and time
  'date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime', 'timediff', 'current_date', 'current_time', 'current_timestamp',
  // math
  'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'ceil', 'ceiling', 'cos', 'cosh', 'degrees', 'exp', 'floor', 'ln',
  'log', 'log10', 'log2', 'mod', 'pi', 'pow', 'power', 'radians', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'trunc',
  // JSON (scalar forms; json_each / json_tree are tables, which need a FROM)
  'json', 'json_array', 'json_array_length', 'json_error_position', 'json_extract', 'json_insert', 'json_object', 'json_patch',
  'json_pretty', 'json_quote', 'json_remove', 'json_replace', 'json_set', 'json_type', 'json_valid', '->', '->>',
  // DMS's own functions, registered below
  'operation_indicator', 'hash_sha256', 'replacechars',
]);

/** Why a function outside the list is refused, for the well-known cases. */
const REFUSED_WHY: Readonly<Record<string, string>> = {
  load_extension: 'it loads native code into the Ferry process',
  readfile: 'it reads files of the Ferry host',
  writefile: 'it writes files of the Ferry host',
  edit: 'it runs an editor on the Ferry host',
  fts3_tokenizer: 'it can load native code into the Ferry process',
};
const AGGREGATES: ReadonlySet<string> = new Set(['count', 'sum', 'total', 'avg', 'group_concat', 'string_agg', 'json_group_array', 'json_group_object',
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value']);

export const SUBQUERY_REFUSAL = 'an expression cannot contain a subquery, a WITH clause or a VALUES list: Ferry evaluates it as one SELECT over the row\'s values, which keeps its cost bounded (node:sqlite cannot interrupt a running query)';

function functionRefusal(name: string): string {
  const why = REFUSED_WHY[name] ?? (AGGREGATES.has(name) ? 'aggregate and window functions have no rows to work on in a one-row expression' : 'Ferry allows only scalar functions whose cost is bounded (docs/table-mapping.md, "What an expression may contain")');
  return `${name}() is not allowed in an expression: ${why}`;
}

let db: DatabaseSync | undefined;
let text: StatementSync | undefined;
/** The operation of the event being evaluated, for operation_indicator(). Evaluation is synchronous. */
let currentOp: Op = 'c';
/** While preparing: how many SELECTs the authorizer saw, and the first refusal. */
let selects = 0;
let refusal: string | undefined;

export function setOperation(op: Op): void {
  currentOp = op;
}

/** SQLite's own text of a value (REAL as SQLite prints it, e.g. 2.0 → '2.0'; a blob's bytes as UTF-8). */
function sqliteText(v: SqlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  text ??= new DatabaseSync(':memory:').prepare('SELECT CAST($v AS TEXT) AS v');
  return String((text.get({ v }) as { v: string }).v);
}

/** trim(X, Y) in linear time: removes the characters of Y from the start and/or end of X, as SQLite's does. */
function trimmer(left: boolean, right: boolean) {
  return (x: SqlValue, y: SqlValue): string | null => {
    if (x === null || y === null) return null;
    const chars = [...sqliteText(x)];
    const set = new Set(sqliteText(y));
    let i = 0;
    let j = chars.length;
    if (left) while (i < j && set.has(chars[i]!)) i++;
    if (right) while (j > i && set.has(chars[j - 1]!)) j--;
    return chars.slice(i, j).join('');
  };
}

function authorize(action: number, _a: string | null, name: string | null): number {
  if (action === constants.SQLITE_SELECT) {
    if (++selects === 1) return constants.SQLITE_OK;
    refusal ??= SUBQUERY_REFUSAL;
  } else if (action === constants.SQLITE_RECURSIVE) {
    refusal ??= SUBQUERY_REFUSAL;
  } else if (action === constants.SQLITE_FUNCTION) {
    const fn = (name ?? '').toLowerCase();
    if (ALLOWED_FUNCTIONS.has(fn)) return constants.SQLITE_OK;
    refusal ??= functionRefusal(fn);
  } else if (action === constants.SQLITE_READ) {
    refusal ??= 'an expression cannot read a table; it sees the row\'s columns as $name';
  } else {
    refusal ??= `SQLite operation ${action} is not allowed in an expression (only one SELECT of scalar functions is)`;
  }
  return constants.SQLITE_DENY;
}

/** The expression connection (created on first use). */
function sandbox(): DatabaseSync {
  if (db) return db;
  db = new DatabaseSync(':memory:', { limits: EXPRESSION_LIMITS });
  db.function('operation_indicator', { deterministic: false }, (d: SqlValue, u: SqlValue, i: SqlValue) => (currentOp === 'd' ? d : currentOp === 'u' ? u : i));
  db.function('hash_sha256', { deterministic: true }, (x: SqlValue) => {
    if (x === null) return null;
    return createHash('sha256').update(x instanceof Uint8Array ? x : String(x)).digest('hex');
  });
  db.function('replaceChars', { deterministic: true }, (x: SqlValue, y: SqlValue, z: SqlValue) => {
    if (x === null || y === null || z === null) return null;
    const to = [...String(z)];
    const map = new Map<string, string>();
    [...String(y)].forEach((c, i) => { if (!map.has(c)) map.set(c, to[i] ?? to[0] ?? c); });
    return [...String(x)].map((c) => map.get(c) ?? c).join('');
  });
  db.function('trim', { deterministic: true, useBigIntArguments: true }, trimmer(true, true));
  db.function('ltrim', { deterministic: true, useBigIntArguments: true }, trimmer(true, false));
  db.function('rtrim', { deterministic: true, useBigIntArguments: true }, trimmer(false, true));
  db.setAuthorizer(authorize);
  return db;
}

/** Thrown when the authorizer refuses an expression; the message is the reason. */
export class ExpressionRefused extends Error {}

const statements = new Map<string, StatementSync>();

/** Prepares (once) a statement of user SQL on the expression connection; throws ExpressionRefused with the reason. */
export function prepareSandboxed(sql: string, bigints = false): StatementSync {
  const k = `${bigints ? 'B' : 'N'}${sql}`;
  let st = statements.get(k);
  if (st) return st;
  const d = sandbox();
  selects = 0;
  refusal = undefined;
  try {
    st = d.prepare(sql);
  } catch (e: unknown) {
    if (refusal !== undefined) throw new ExpressionRefused(refusal);
    throw e;
  } finally {
    selects = 0;
  }
  st.setReadBigInts(bigints);
  st.setAllowUnknownNamedParameters(true);
  statements.set(k, st);
  return st;
}
