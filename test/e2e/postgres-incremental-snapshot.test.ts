// Incremental snapshot of a PostgreSQL table while writing (the shared scenario: test/helpers/incremental-snapshot-scenario.ts).
import { test } from 'node:test';
import pg from 'pg';
import { services } from '../helpers/services.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import { incrementalSnapshotScenario, type EngineSession } from '../helpers/incremental-snapshot-scenario.ts';

async function session(user: string): Promise<EngineSession & { client: pg.Client }> {
  const c = new pg.Client({ ...services.postgres, user, password: user, database: 'shop' });
  await c.connect();
  return {
    client: c,
    exec: async (sql) => { await c.query(sql); },
    rows: async <T>(sql: string) => (await c.query(sql)).rows as T[],
    close: () => c.end(),
  };
}

test('PostgreSQL incremental snapshot while writing: every row covered, no stale read over a newer change, final state equals the table', { timeout: 240000 }, async (t) => {
  await incrementalSnapshotScenario(t, {
    name: 'pg', connector: 'postgresql', unselected: 'pg_catalog.pg_class',
    source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
    open: async (db) => {
      const admin = await session('postgres');
      await admin.exec(`CREATE SCHEMA IF NOT EXISTS ${db} AUTHORIZATION cdc`);
      await admin.close();
      return session('cdc');
    },
    prepareTables: async (s, db) => {
      await s.exec(`ALTER TABLE ${db}.items REPLICA IDENTITY FULL`);
      await s.exec(`ALTER TABLE ${db}.nokey REPLICA IDENTITY FULL`);
    },
    drop: async (s, db) => {
      await s.close();
      const admin = await session('postgres');
      await dropPgTaskObjects(admin.client, db);
      await admin.exec(`DROP SCHEMA ${db} CASCADE`);
      await admin.close();
    },
  });
});
