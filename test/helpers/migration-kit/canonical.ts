/**
 * Compares a migrated database with its source by direct queries (mysql2 and pg, never Ferry's code): every base
 * table of the source, every column, every row, value by value. Rows are compared as sorted multisets of canonical
 * lines, so a table without a primary key compares exactly too (a duplicated or a missing copy of a row differs).
 *
 * What counts as equal across engines is written down here, once. Each side's value is read with an SQL expression
 * chosen by that side's own column type, then normalised by the *source* column's kind:
 *
 *   kind      source types                                          canonical text
 *   decimal   every integer type (signed, unsigned, YEAR),          the exact decimal, trailing fraction zeros
 *             DECIMAL/NUMERIC                                       removed ('1.50' = '1.5', '7.000' = '7'); NaN and
 *                                                                   ±Infinity as PostgreSQL prints them. 18446744073709551615
 *                                                                   (BIGINT UNSIGNED) must arrive as exactly that.
 *   float32   FLOAT, real                                           the float32 value: Math.fround of the exact text (MariaDB
 *                                                                   CAST(CAST(x AS DOUBLE) AS CHAR): FLOAT as text has
 *                                                                   6 digits only); NaN, ±Infinity, -0 as themselves
 *   float64   DOUBLE, double precision                              the float64 value: Number of each side's exact text
 *                                                                   (MariaDB CAST AS CHAR: the text protocol's DOUBLE
 *                                                                   may be one unit off in the 17th digit)
 *   bits      BIT(n), bit, bit varying, boolean                     the bit string of the declared length ('00000101');
 *                                                                   a boolean and BIT(1)/TINYINT(1) as '1'/'0'
 *   duration  TIME (MariaDB, may be negative or > 24 h),            signed microseconds. MariaDB TIME and the MySQL sink's
 *             time, interval (PostgreSQL)                           '[-]HHH:MM:SS.ffffff' text are parsed; PostgreSQL reads
 *                                                                   EXTRACT(EPOCH) × 10⁶ (the shops' intervals hold days
 *                                                                   and times, no months: a month has no exact length)
 *   json      JSON (MariaDB: LONGTEXT with json_valid), json,      the parsed document with object keys sorted and each
 *             jsonb, PostgreSQL arrays (array_to_json)              number kept as its exact decimal text (no float rounding)
 *   text      everything else, read as text by SQL:                 exact text:
 *               DATE                                                'YYYY-MM-DD'
 *               DATETIME, timestamp                                 'YYYY-MM-DD HH:MM:SS.ffffff' (wall clock); PostgreSQL's
 *                                                                   ±infinity as 'infinity', '-infinity'
 *               TIMESTAMP, timestamptz                              the same in UTC (MariaDB session time_zone '+00:00')
 *               BLOB/VARBINARY, bytea                               lower-case hex
 *               POINT/GEOMETRY                                      lower-case hex of the WKB (ST_AsWKB; the PostgreSQL
 *                                                                   sink stores the WKB in bytea, SRID not kept)
 *               inet                                                PostgreSQL's output form ('10.1.2.3', '10.0.0.0/8')
 *               CHAR(n), char(n)                                    padded with spaces to n characters: PostgreSQL's output
 *                                                                   form; MariaDB strips them when read, so RPAD. A
 *                                                                   varchar target keeps the padded value, as documented
 *                                                                   (docs/schema-conversion.md: char(n) → varchar(n))
 *               VARCHAR/TEXT/ENUM/SET, text, varchar, uuid, enums   the characters
 *             every text shown JSON-quoted, so a diff shows control characters and trailing spaces
 * NULL is NULL ('∅') in every kind and never equals an empty string.
 */
import type mysql from 'mysql2/promise';
import type pg from 'pg';

export type Engine = 'mariadb' | 'postgres';
export type Kind = 'decimal' | 'float32' | 'float64' | 'bits' | 'duration' | 'json' | 'text';

/** A database side: the engine, a client, and the schema (PostgreSQL) or database (MariaDB) holding the tables. */
export type Side =
  | { readonly engine: 'mariadb'; readonly client: mysql.Connection; readonly schema: string }
  | { readonly engine: 'postgres'; readonly client: pg.Client; readonly schema: string };

interface Column { readonly name: string; readonly type: string; readonly json: boolean }

const NULL = '∅';
const myId = (s: string) => `\`${s.replace(/`/g, '``')}\``;
const pgId = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function rows(side: Side, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (side.engine === 'mariadb') return (await side.client.query(sql, params))[0] as Record<string, unknown>[];
  return (await side.client.query(sql, params)).rows as Record<string, unknown>[];
}

/** The base tables of a side, sorted. */
export async function tables(side: Side): Promise<string[]> {
  const r = side.engine === 'mariadb'
    ? await rows(side, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [side.schema])
    : await rows(side, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", [side.schema]);
  return r.map((x) => String(x.t)).filter((t) => !t.startsWith('_ferry_')).sort();
}

/** Columns in ordinal order: the name, the type as the engine spells it in full, and whether it holds JSON. */
async function columns(side: Side, table: string): Promise<Column[]> {
  if (side.engine === 'mariadb') {
    const checks = await rows(side, 'SELECT CHECK_CLAUSE AS c FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?', [side.schema, table]);
    const jsonValid = new Set(checks.map((c) => /^json_valid\(`(.+)`\)$/.exec(String(c.c))?.[1]).filter((c) => c !== undefined));
    const r = await rows(side, 'SELECT COLUMN_NAME AS n, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [side.schema, table]);
    return r.map((c) => ({ name: String(c.n), type: String(c.t).toLowerCase(), json: jsonValid.has(String(c.n).replace(/`/g, '``')) }));
  }
  const r = await rows(side, `SELECT a.attname AS n, format_type(a.atttypid, a.atttypmod) AS t, t.typcategory AS cat FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [side.schema, table]);
  return r.map((c) => ({ name: String(c.n), type: c.cat === 'A' ? 'array' : c.cat === 'E' ? 'enum' : String(c.t), json: c.cat === 'A' || /^jsonb?$/.test(String(c.t)) }));
}

/** The kind of a source column (see the table at the top). */
export function kindOf(engine: Engine, c: Column): Kind {
  const t = c.type;
  if (c.json) return 'json';
  if (engine === 'mariadb') {
    if (/^(tinyint|smallint|mediumint|int|bigint|year|decimal)\b/.test(t)) return 'decimal';
    if (/^float\b/.test(t)) return 'float32';
    if (/^double\b/.test(t)) return 'float64';
    if (/^bit\b/.test(t)) return 'bits';
    if (/^time\b/.test(t)) return 'duration';
    return 'text';
  }
  if (/^(smallint|integer|bigint|numeric)\b/.test(t)) return 'decimal';
  if (t === 'real') return 'float32';
  if (t === 'double precision') return 'float64';
  if (/^(bit|boolean)\b/.test(t)) return 'bits';
  if (/^(time|interval)\b/.test(t) && !/^time.* with time zone/.test(t)) return 'duration';
  return 'text';
}

/** The SQL reading one column of a side as the text its kind normalises (chosen by the side's own type). */
function readSql(engine: Engine, c: Column): string {
  const t = c.type;
  if (engine === 'mariadb') {
    const q = myId(c.name);
    if (c.json) return `CONCAT('', ${q})`; // text, not the document mysql2 would parse (numbers as doubles)
    if (/^bit\((\d+)\)/.test(t)) return `LPAD(BIN(${q}), ${/^bit\((\d+)\)/.exec(t)![1]}, '0')`;
    // FLOAT as text has 6 significant digits only: CAST AS DOUBLE widens the stored float32 exactly
    // (and a DOUBLE column in the text protocol may come one unit off in the 17th digit: CAST AS CHAR is exact)
    if (/^float\b/.test(t)) return `CAST(CAST(${q} AS DOUBLE) AS CHAR)`;
    if (/^double\b/.test(t)) return `CAST(${q} AS CHAR)`;
    if (/^char\((\d+)\)/.test(t)) return `RPAD(${q}, ${/^char\((\d+)\)/.exec(t)![1]}, ' ')`;
    if (/^(tinyint|smallint|mediumint|int|bigint|year|decimal|time|uuid|inet\d)\b/.test(t)) return `CAST(${q} AS CHAR)`;
    if (t === 'date') return `DATE_FORMAT(${q}, '%Y-%m-%d')`;
    if (/^(datetime|timestamp)\b/.test(t)) return `DATE_FORMAT(${q}, '%Y-%m-%d %H:%i:%s.%f')`;
    if (/(blob|binary)/.test(t)) return `LOWER(HEX(${q}))`;
    if (/^(point|geometry|linestring|polygon|multi|geometrycollection)/.test(t)) return `LOWER(HEX(ST_AsWKB(${q})))`;
    return q;
  }
  const q = pgId(c.name);
  const ts = (e: string) => `CASE WHEN isfinite(${q}) THEN to_char(${e}, 'YYYY-MM-DD HH24:MI:SS.US') ELSE ${q}::text END`;
  if (t === 'boolean') return `CASE WHEN ${q} THEN '1' WHEN NOT ${q} THEN '0' END`;
  if (t === 'array') return `array_to_json(${q})::text`;
  if (t === 'date') return `CASE WHEN isfinite(${q}) THEN to_char(${q}, 'YYYY-MM-DD') ELSE ${q}::text END`;
  if (/^timestamp.* with time zone/.test(t)) return ts(`${q} AT TIME ZONE 'UTC'`);
  if (/^timestamp/.test(t)) return ts(q);
  if (/^(time|interval)\b/.test(t) && !/with time zone/.test(t)) return `(EXTRACT(EPOCH FROM ${q}) * 1000000)::numeric(30,0)::text`;
  if (t === 'bytea') return `encode(${q}, 'hex')`;
  if (/^character\(\d+\)$/.test(t)) return q; // the output form, padded to n (::text would strip)
  if (t === 'inet' || t === 'cidr') return `CASE WHEN ${q} IS NOT NULL THEN format('%s', ${q}) END`; // the output form ('10.1.2.3', '10.0.0.0/8'); ::text adds '/32'
  return `${q}::text`;
}

/** '[-]H…H:MM:SS[.ffffff]' (MariaDB TIME, the MySQL sink's interval text) or integer microseconds → microseconds. */
function micros(v: string): string {
  const m = /^(-)?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(v);
  if (m === null) return BigInt(v).toString();
  const total = ((BigInt(m[2]!) * 60n + BigInt(m[3]!)) * 60n + BigInt(m[4]!)) * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0'));
  return (m[1] && total !== 0n ? -total : total).toString();
}

/** An exact decimal's text without trailing fraction zeros ('-0.00' → '0'); other text (NaN, Infinity) unchanged. */
export function decimalText(v: string): string {
  if (!/^[-+]?\d+(\.\d+)?$/.test(v)) return v;
  let s = v.replace(/^\+/, '');
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  s = s.replace(/^(-?)0+(?=\d)/, '$1');
  return s === '-0' ? '0' : s;
}

/** A JSON document with sorted keys and numbers as exact decimal text (JSON.parse's source text, not a double). */
export function jsonText(text: string): string {
  const parsed: unknown = JSON.parse(text, (_k, v: unknown, ctx?: { source?: string }) => (typeof v === 'number' && ctx?.source !== undefined ? { $n: decimalText(numberText(ctx.source)) } : v));
  const out = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(out).join(',')}]`;
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.$n === 'string') return o.$n;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${out(o[k])}`).join(',')}}`;
  };
  return out(parsed);
}

/** '1e3' → '1000', '2.50E-1' → '0.250' (jsonb keeps numbers as numeric, MariaDB keeps the text). */
function numberText(s: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]([-+]?\d+)$/.exec(s);
  if (m === null) return s;
  const digits = m[2]! + (m[3] ?? '');
  const point = m[2]!.length + Number(m[4]);
  if (point <= 0) return `${m[1]}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${m[1]}${digits}${'0'.repeat(point - digits.length)}`;
  return `${m[1]}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** String(x), but -0 as '-0' (String drops the sign). */
const floatText = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

export function canonical(kind: Kind, v: unknown): string {
  if (v === null || v === undefined) return NULL;
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  switch (kind) {
    case 'decimal': return decimalText(s);
    case 'float32': return floatText(Math.fround(Number(s)));
    case 'float64': return floatText(Number(s));
    case 'duration': return micros(s);
    case 'json': return jsonText(s);
    default: return JSON.stringify(s); // quoted and escaped: a diff shows control characters and trailing spaces
  }
}

export interface TableDiff { readonly table: string; readonly problem: string }

/** One table's canonical lines on both sides (sorted), or a structural problem. */
export async function tableLines(source: Side, target: Side, table: string, skip: readonly string[] = []): Promise<{ want: string[]; got: string[]; header: string } | TableDiff> {
  const sc = (await columns(source, table)).filter((c) => !skip.includes(c.name));
  const tc = await columns(target, table);
  if (tc.length === 0) return { table, problem: 'missing on the target' };
  const byName = new Map(tc.map((c) => [c.name, c]));
  const missing = sc.filter((c) => !byName.has(c.name)).map((c) => c.name);
  if (missing.length > 0) return { table, problem: `target lacks column(s) ${missing.join(', ')}` };
  const extra = tc.filter((c) => !sc.some((x) => x.name === c.name) && !skip.includes(c.name)).map((c) => c.name);
  if (extra.length > 0) return { table, problem: `target has column(s) the source lacks: ${extra.join(', ')}` };
  const kinds = sc.map((c) => (byName.get(c.name)!.json && kindOf(source.engine, c) === 'text' ? 'json' : kindOf(source.engine, c)));
  const read = async (side: Side, cols: Column[]): Promise<string[]> => {
    const from = side.engine === 'mariadb' ? `${myId(side.schema)}.${myId(table)}` : `${pgId(side.schema)}.${pgId(table)}`;
    const exprs = cols.map((c, i) => `${readSql(side.engine, c)} AS c${i}`);
    const r = await rows(side, `SELECT ${exprs.join(', ')} FROM ${from}`);
    return r.map((row) => cols.map((_c, i) => canonical(kinds[i]!, row[`c${i}`])).join(' | ')).sort();
  };
  return { want: await read(source, sc), got: await read(target, sc.map((c) => byName.get(c.name)!)), header: sc.map((c) => c.name).join(' | ') };
}

const cut = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}…` : s);

/** The first differing rows: for a row whose first column matches on both sides, only the columns that differ. */
function explain(header: string, onlySource: string[], onlyTarget: string[], show: number): string {
  const names = header.split(' | ');
  const byFirst = new Map(onlyTarget.map((l) => [l.split(' | ')[0], l]));
  const lines: string[] = [];
  for (const l of onlySource.slice(0, show)) {
    const first = l.split(' | ')[0];
    const other = byFirst.get(first);
    if (other === undefined) { lines.push(`  only on the source: ${cut(l)}`); continue; }
    byFirst.delete(first);
    const a = l.split(' | ');
    const b = other.split(' | ');
    lines.push(`  ${names[0]} ${first}: ${names.map((n, i) => (a[i] === b[i] ? null : `${n} source ${cut(a[i] ?? '')} target ${cut(b[i] ?? '')}`)).filter((x) => x !== null).join('; ')}`);
  }
  for (const l of [...byFirst.values()].slice(0, show)) lines.push(`  only on the target: ${cut(l)}`);
  return lines.join('\n');
}

export interface CompareOptions {
  /** Differing rows shown per table (3). */
  readonly show?: number;
  /** Only these tables (default: every base table of the source). */
  readonly tables?: readonly string[];
  /** Counts the differing rows with a text starting with each mark (e.g. rows the application inserted during CDC). */
  readonly marks?: readonly string[];
  /** Columns left out (on either side), or whole tables when `column` is absent (a known bug checked on its own). */
  readonly skip?: readonly { readonly table: string; readonly column?: string }[];
}

/**
 * Every source table against the target: [] when they are equal, else one entry per differing table naming the row
 * counts and the first differing lines (source line, then the target's line at the same sorted position).
 */
export async function compareDatabases(source: Side, target: Side, o: CompareOptions = {}): Promise<TableDiff[]> {
  const out: TableDiff[] = [];
  const all = await tables(source);
  if (o.tables === undefined) {
    const extra = (await tables(target)).filter((t) => !all.includes(t));
    if (extra.length > 0) out.push({ table: '(target)', problem: `tables the source does not have: ${extra.join(', ')}` });
  }
  for (const table of o.tables ?? all) {
    const skip = (o.skip ?? []).filter((k) => k.table === table);
    if (skip.some((k) => k.column === undefined)) continue;
    const r = await tableLines(source, target, table, skip.map((k) => k.column!));
    if ('problem' in r) { out.push(r); continue; }
    const gotSet = new Map<string, number>();
    for (const l of r.got) gotSet.set(l, (gotSet.get(l) ?? 0) + 1);
    const onlySource: string[] = [];
    for (const l of r.want) {
      const n = gotSet.get(l) ?? 0;
      if (n > 0) gotSet.set(l, n - 1);
      else onlySource.push(l);
    }
    const onlyTarget = [...gotSet].flatMap(([l, n]) => Array<string>(n).fill(l));
    if (onlySource.length === 0 && onlyTarget.length === 0) continue;
    const wanted = new Set(r.want);
    const copies = onlyTarget.filter((l) => wanted.has(l));
    const marked = (o.marks ?? []).map((m) => `; rows marked ${JSON.stringify(m)}: ${onlySource.filter((l) => l.includes(`"${m}`)).length} of those only on the source, ${copies.filter((l) => l.includes(`"${m}`)).length} of the extra copies`).join('');
    out.push({
      table,
      problem: `${r.want.length} source rows, ${r.got.length} target rows; ${onlySource.length} only on the source, ${onlyTarget.length} only on the target`
        + `${copies.length ? ` (${copies.length} of them extra copies of source rows)` : ''}${marked}\n${explain(r.header, onlySource, onlyTarget, o.show ?? 3)}`,
    });
  }
  return out;
}

/** Polls compareDatabases until the target equals the source or the deadline passes; returns the last differences. */
export async function waitUntilEqual(source: Side, target: Side, o: CompareOptions & { timeoutMs: number; failed?: () => string | null }): Promise<TableDiff[]> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const failure = o.failed?.();
    if (failure) return [{ table: '(ferry)', problem: failure }];
    const diff = await compareDatabases(source, target, o).catch((e: unknown) => [{ table: '(read)', problem: String(e) }]);
    if (diff.length === 0 || Date.now() > deadline) return diff;
    await new Promise((r) => setTimeout(r, 1500));
  }
}

export const format = (d: readonly TableDiff[]): string => d.map((x) => `${x.table}: ${x.problem}`).join('\n');
