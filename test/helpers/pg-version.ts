/**
 * The server_version_num of the PostgreSQL the tests use (services.postgres: FERRY_POSTGRES_PORT, which can point at
 * 13 or 17 from infra/pg-versions.sh), so a test of something a version lacks can skip with the reason.
 */
import pg from 'pg';
import { services } from './services.ts';

let cached: Promise<number> | null = null;

export function pgServerVersionNum(): Promise<number> {
  cached ??= (async () => {
    const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
    await c.connect();
    try {
      return Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
    } finally {
      await c.end();
    }
  })();
  return cached;
}

/** A test's `skip` value: the reason when the server lacks numeric 'Infinity' (PostgreSQL 13), else false. */
export async function skipWithoutNumericInfinity(): Promise<string | false> {
  return (await pgServerVersionNum()) < 140000 ? "numeric 'Infinity' needs PostgreSQL 14+" : false;
}
