// Signals in MariaDB's debezium_signal table drive incremental snapshots (the shared scenario: test/helpers/signal-scenario.ts).
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../helpers/services.ts';
import type { EngineSession } from '../helpers/incremental-snapshot-scenario.ts';
import { signalTableScenario } from '../helpers/signal-scenario.ts';

async function session(): Promise<EngineSession> {
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  return {
    exec: async (sql) => { await c.query(sql); },
    rows: async <T>(sql: string) => (await c.query(sql))[0] as T[],
    close: () => c.end(),
  };
}

test('MariaDB signal table: pause, execute, restart, resume, stop and refusals drive incremental snapshots; exact rows re-read, none after a stop', { timeout: 120000 }, async (t) => {
  await signalTableScenario(t, {
    name: uniqueName('signals_mariadb'), connector: 'mariadb', unselected: 'mysql.user',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    open: async (db) => {
      const s = await session();
      await s.exec(`CREATE DATABASE IF NOT EXISTS ${db}`);
      return s;
    },
    drop: async (admin, db) => { await admin.exec(`DROP DATABASE ${db}`); await admin.close(); },
  }, { items: 130, other: 5000 });
});
