/** Redshift test helpers: the PostgreSQL stand-in, a unique schema per test, and reading the table back canonically. */
import pg from 'pg';
import { S3, services } from '../../../test/helpers/sink-kit/services.ts';
import { COLUMNS_V2, normalizeRead, pgCanonicalSql } from '../../../test/helpers/sink-kit/fixtures.ts';
import { TestOnlyPgCopyExecutor } from './TestOnlyPgCopyExecutor.ts';

export const PG = { host: services.postgres.host, port: services.postgres.port, database: 'shop', user: 'postgres', password: 'postgres' };

export function standIn(): TestOnlyPgCopyExecutor {
  return new TestOnlyPgCopyExecutor({ pg: PG, s3: { endpoint: S3.endpoint, region: S3.region, accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey } });
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

/** The table's rows as canonical text (fixture columns; a column the table lacks reads as NULL). */
export async function tableRows(schema: string, table = 'orders'): Promise<string[]> {
  return withPg(async (c) => {
    const have = new Set((await c.query('SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table])).rows.map((r: { column_name: string }) => r.column_name));
    const cols = COLUMNS_V2.map((col) => (have.has(col.name) ? `${pgCanonicalSql(col)} AS "${col.name}"` : `NULL AS "${col.name}"`));
    const r = await c.query(`SELECT ${cols.join(', ')} FROM "${schema}"."${table}"`);
    return (r.rows as Record<string, string | null>[]).map((row) => COLUMNS_V2.map((col) => normalizeRead(col, row[col.name] ?? null)).join('|'));
  });
}

export async function dropSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
