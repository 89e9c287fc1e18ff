/**
 * PostgreSQL sink test helpers: the target (the local PostgreSQL, database `shop`, a unique schema per test) and
 * reading a table back with pg (not the sink's code) as the sink kit's canonical text.
 */
import pg from 'pg';
import { services } from '../../../test/helpers/services.ts';
import { COLUMNS_V2, normalizeRead, pgCanonicalSql } from '../../../test/helpers/sink-kit/fixtures.ts';

export const PG = { host: services.postgres.host, port: services.postgres.port, database: 'shop', user: 'postgres', password: 'postgres' };

/** The sink options for a target schema of the local PostgreSQL. */
export function targetOptions(schema: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: PG.host, port: PG.port, database: PG.database, user: PG.user, password: PG.password, schema, stateSchema: schema, ...extra };
}

export async function withPg<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(PG);
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** bit varying text ('0101…', most significant first) → the kit's canonical hex (the little-endian wire bytes). */
function bitsCanonical(bits: string): string {
  const n = Math.ceil(bits.length / 8);
  const big = BigInt(`0b${bits}`);
  const be = Buffer.from(big.toString(16).padStart(n * 2, '0'), 'hex');
  return Buffer.from([...be].reverse()).toString('hex');
}

/** The kit's JSON document, re-serialised in the key order the kit writes (jsonb stores keys sorted). */
function docCanonical(text: string): string {
  return JSON.stringify(JSON.parse(text), ['id', 'n', 'big', 's']);
}

/** The table's rows as the kit's canonical text (fixture columns; a column the table lacks reads as NULL). */
export async function tableRows(schema: string, table = 'orders'): Promise<string[]> {
  return withPg(async (c) => {
    const have = new Set((await c.query('SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table])).rows.map((r: { column_name: string }) => r.column_name));
    if (have.size === 0) return [];
    const expr = (col: (typeof COLUMNS_V2)[number]): string => {
      if (col.type.startsWith('bit(') && col.kind === 'bytes') return `CAST("${col.name}" AS text)`;
      return pgCanonicalSql(col);
    };
    const cols = COLUMNS_V2.map((col) => (have.has(col.name) ? `${expr(col)} AS "${col.name}"` : `NULL AS "${col.name}"`));
    const r = await c.query(`SELECT ${cols.join(', ')} FROM "${schema}"."${table}"`);
    return (r.rows as Record<string, string | null>[]).map((row) => COLUMNS_V2.map((col) => {
      const v = row[col.name] ?? null;
      if (v !== null && col.type.startsWith('bit(') && col.kind === 'bytes') return bitsCanonical(v);
      if (v !== null && col.type === 'json') return docCanonical(v);
      return normalizeRead(col, v);
    }).join('|'));
  });
}

export async function dropSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
