// Signals in PostgreSQL's debezium_signal table drive incremental snapshots (the shared scenario: test/helpers/signal-scenario.ts).
// The signal table is not selected by the task's mapping: Ferry adds it to its managed publication.
import { test } from 'node:test';
import pg from 'pg';
import { services, uniqueName } from '../helpers/services.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import type { EngineSession } from '../helpers/incremental-snapshot-scenario.ts';
import { signalTableScenario } from '../helpers/signal-scenario.ts';

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

test('PostgreSQL signal table: pause, execute, restart, resume, stop and refusals drive incremental snapshots; exact rows re-read, none after a stop', { timeout: 120000 }, async (t) => {
  await signalTableScenario(t, {
    name: uniqueName('signals_pg'), connector: 'postgresql', unselected: 'pg_catalog.pg_class',
    source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
    open: async (db) => {
      const admin = await session('postgres');
      await admin.exec(`CREATE SCHEMA IF NOT EXISTS ${db} AUTHORIZATION cdc`);
      await admin.close();
      return session('cdc');
    },
    // The signal table is checked as any captured table; FULL here means its TOAST-able data column needs no lookup (docs/signals.md)
    prepareTables: async (s, db) => { await s.exec(`ALTER TABLE ${db}.debezium_signal REPLICA IDENTITY FULL`); },
    drop: async (s, db) => {
      await s.close();
      const admin = await session('postgres');
      await dropPgTaskObjects(admin.client, db);
      await admin.exec(`DROP SCHEMA ${db} CASCADE`);
      await admin.close();
    },
  }, { items: 130, other: 5000 });
});
