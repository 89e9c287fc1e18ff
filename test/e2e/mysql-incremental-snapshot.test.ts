// Incremental snapshot of a MariaDB table while writing (the shared scenario: test/helpers/incremental-snapshot-scenario.ts).
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { services } from '../helpers/services.ts';
import { incrementalSnapshotScenario, type EngineSession } from '../helpers/incremental-snapshot-scenario.ts';

async function session(): Promise<EngineSession> {
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  return {
    exec: async (sql) => { await c.query(sql); },
    rows: async <T>(sql: string) => (await c.query(sql))[0] as T[],
    close: () => c.end(),
  };
}

test('MariaDB incremental snapshot while writing: every row covered, no stale read over a newer change, final state equals the table', { timeout: 240000 }, async (t) => {
  await incrementalSnapshotScenario(t, {
    name: 'mariadb', connector: 'mariadb', unselected: 'mysql.user',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    open: async (db) => {
      const s = await session();
      await s.exec(`CREATE DATABASE IF NOT EXISTS ${db}`);
      return s;
    },
    drop: async (admin, db) => { await admin.exec(`DROP DATABASE ${db}`); await admin.close(); },
  });
});
