/**
 * The W2 wide table (issue 24): 60 columns, `id`, `updated_at` (set at commit, for latency), a ~4 KB JSON document
 * (`doc`: MariaDB JSON, PostgreSQL jsonb), a ~16 KB text (`body`: MariaDB LONGTEXT, PostgreSQL text, stored out of
 * line by TOAST: its letters are pseudo-random, so pglz cannot shrink it under the 2 KB threshold) and 56 scalar
 * columns c01..c56, eight each of int, bigint, varchar(40), decimal(12,2), double, timestamp(6) and smallint.
 * Every value is a function of the id, so a row can be checked against what was written.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services } from '../../test/helpers/services.ts';
import type { Engine } from './workload-db.ts';

export const SCALAR_TYPES = ['int', 'bigint', 'varchar', 'decimal', 'double', 'timestamp', 'smallint'] as const;
export type ScalarType = typeof SCALAR_TYPES[number];
export const SCALARS = Array.from({ length: 56 }, (_, k) => ({ name: `c${String(k + 1).padStart(2, '0')}`, type: SCALAR_TYPES[k % 7]! }));

const SQL_TYPE: Record<Engine, Record<ScalarType, string>> = {
  mariadb: { int: 'INT', bigint: 'BIGINT', varchar: 'VARCHAR(40)', decimal: 'DECIMAL(12,2)', double: 'DOUBLE', timestamp: 'DATETIME(6)', smallint: 'SMALLINT' },
  postgres: { int: 'INT', bigint: 'BIGINT', varchar: 'VARCHAR(40)', decimal: 'NUMERIC(12,2)', double: 'DOUBLE PRECISION', timestamp: 'TIMESTAMP(6)', smallint: 'SMALLINT' },
};

export function wideDdl(engine: Engine): string {
  const ts = engine === 'postgres' ? 'TIMESTAMP(6)' : 'DATETIME(6)';
  const doc = engine === 'postgres' ? 'jsonb' : 'JSON';
  const body = engine === 'postgres' ? 'text' : 'LONGTEXT';
  return `(id BIGINT PRIMARY KEY, updated_at ${ts} NOT NULL, doc ${doc} NOT NULL, body ${body} NOT NULL, ${SCALARS.map((c) => `${c.name} ${SQL_TYPE[engine][c.type]} NOT NULL`).join(', ')})`;
}

// 64 KiB of pseudo-random lower-case letters and spaces (xorshift, fixed seed); each body is a 16 KiB slice of it.
const POOL = (() => {
  let x = 0x9e3779b9;
  const chars = 'abcdefghijklmnopqrstuvwxyz ';
  let s = '';
  for (let i = 0; i < 65536; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; s += chars[x % 27]; }
  return s;
})();
const BODY_BYTES = 16384;
const EPOCH_2024_MS = Date.UTC(2024, 0, 1);

export function wideBody(id: number): string {
  const at = (id * 7919) % (POOL.length - BODY_BYTES);
  return `${id}:${POOL.slice(at, at + BODY_BYTES - String(id).length - 1)}`;
}

export function wideDoc(id: number): Record<string, unknown> {
  return {
    order: id, customer: { id: id % 10007, name: `customer ${id % 10007}`, tier: ['gold', 'silver', 'bronze'][id % 3] },
    lines: Array.from({ length: 52 }, (_, j) => ({ sku: `SKU-${id}-${j}`, qty: 1 + ((id + j) % 9), price: 1.5 * (j + 1), note: `line ${j} of order ${id}` })),
  };
}

/** The expected value of scalar column k (0-based) of row `id`, canonical: integers and decimals as strings, timestamps as µs since the epoch. */
export function wideScalar(id: number, k: number): string | number {
  const t = SCALARS[k]!.type;
  switch (t) {
    case 'int': return String((id * 31 + k) % 2000000000);
    case 'bigint': return String(id * 1000003 + k);
    case 'varchar': return `v${k}-${id}-`.padEnd(30, 'x');
    case 'decimal': { const c = (id * 7 + k) % 1000000000; return `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`; }
    case 'double': return id / (k + 1) + 0.5;
    case 'timestamp': return (EPOCH_2024_MS + (id + k) * 1000) * 1000 + k;
    case 'smallint': return String((id + k) % 30000);
  }
}

/** A timestamp(6) literal for the µs value (UTC). */
function tsLiteral(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ')}.${String(us % 1000000).padStart(6, '0')}`;
}

export interface WideWriters { insert(id: number): Promise<number>; end(): Promise<void> }

export function wideWriters(engine: Engine, schema: string, table: string, connections = 8): WideWriters {
  const params = (id: number) => [id, JSON.stringify(wideDoc(id)), wideBody(id), ...SCALARS.map((c, k) => { const v = wideScalar(id, k); return c.type === 'timestamp' ? tsLiteral(v as number) : v; })];
  const cols = `(id, updated_at, doc, body, ${SCALARS.map((c) => c.name).join(', ')})`;
  if (engine === 'postgres') {
    const p = new pg.Pool({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop', max: connections, options: '-c synchronous_commit=on' });
    const sql = `INSERT INTO ${schema}.${table} ${cols} VALUES ($1, clock_timestamp(), $2::jsonb, $3, ${SCALARS.map((_, k) => `$${k + 4}`).join(', ')})`;
    return { insert: async (id) => (await p.query(sql, params(id))).rowCount ?? 0, end: () => p.end() };
  }
  const p = mysql.createPool({ ...services.mariadb, user: 'root', password: 'root', database: schema, connectionLimit: connections });
  const sql = `INSERT INTO ${table} ${cols} VALUES (?, NOW(6), ?, ?, ${SCALARS.map(() => '?').join(', ')})`;
  return { insert: async (id) => ((await p.query(sql, params(id))) as unknown as [{ affectedRows: number }])[0].affectedRows, end: () => p.end() };
}

/** JSON with keys sorted, so that jsonb's reordering and spacing do not count as a difference. */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown => (Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x);
  return JSON.stringify(sort(typeof v === 'string' ? JSON.parse(v) : v));
}

/** A Connect Decimal (unscaled big-endian two's complement) as text with `scale` digits. */
export function decimalText(buf: Buffer, scale: number): string {
  let n = 0n;
  for (const b of buf) n = (n << 8n) | BigInt(b);
  if (buf.length > 0 && buf[0]! & 0x80) n -= 1n << BigInt(buf.length * 8);
  const neg = n < 0n, abs = neg ? -n : n, s = abs.toString().padStart(scale + 1, '0');
  return scale === 0 ? `${neg ? '-' : ''}${s}` : `${neg ? '-' : ''}${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}

/**
 * Differences between a decoded `after` and the source row (read back from the database), and the values written
 * for the timestamps (µs since the epoch) and doubles (exact, which the text protocol's output is not always). Returns the names of the columns that differ.
 */
export function wideDiff(id: number, after: Record<string, unknown>, source: Record<string, unknown>): string[] {
  const out: string[] = [];
  const num = (v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : typeof v === 'string' ? String(BigInt(v)) : `?${typeof v}`);
  if (num(after.id) !== String(id)) out.push('id');
  if (canonicalJson(after.doc) !== canonicalJson(source.doc)) out.push('doc');
  if (after.body !== source.body) out.push('body');
  SCALARS.forEach((c, k) => {
    const a = after[c.name], s = source[c.name];
    let same: boolean;
    switch (c.type) {
      case 'decimal': same = (Buffer.isBuffer(a) ? decimalText(a, 2) : String(a)) === String(s); break;
      // MariaDB's text protocol prints a double with at most 15-17 digits, not always the exact value: compared with the value written.
      case 'double': same = Number(a) === wideScalar(id, k); break;
      case 'varchar': same = a === s; break;
      case 'timestamp': same = Number(a) === wideScalar(id, k); break;
      default: same = num(a) === num(s);
    }
    if (!same) out.push(c.name);
  });
  return out;
}
