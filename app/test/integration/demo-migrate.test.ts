// `ferry demo --to postgres` (the README's migration example): the demo's MariaDB workload migrated into PostgreSQL
// by a full-load-and-cdc task in direct mode, with live changes; its own row-by-row comparison must report a match,
// and an independent count of the PostgreSQL tables must equal the workload's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { DEMO_TARGET_DATABASE } from '../../src/demo/migrate-demo.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

test('ferry demo --to postgres migrates the workload into PostgreSQL and both databases match', { timeout: 300_000 }, async () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'demo', '--to', 'postgres', '--no-services', '--rows', '300', '--json'], { encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; changes: unknown; tables: { table: string; sourceRows: number; targetRows: number; match: boolean }[] };
  assert.equal(out.ok, true);
  assert.deepEqual(out.changes, { inserts: 100, updates: 200, deletes: 50 });
  assert.deepEqual(out.tables.map(({ table, sourceRows, targetRows, match }) => ({ table, sourceRows, targetRows, match })), [
    { table: 'customers', sourceRows: 300, targetRows: 300, match: true },
    { table: 'orders', sourceRows: 350, targetRows: 350, match: true },
  ]);
  const c = new pg.Client({ host: '127.0.0.1', port: Number(process.env.FERRY_POSTGRES_PORT ?? 5432), user: 'postgres', password: 'postgres', database: DEMO_TARGET_DATABASE });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string; paid: string }>("SELECT count(*) AS n, count(*) FILTER (WHERE status = 'paid' AND note LIKE 'live order %') AS paid FROM ferry_demo.orders");
    assert.deepEqual(rows[0], { n: '350', paid: '100' });
  } finally {
    await c.end();
  }
});
