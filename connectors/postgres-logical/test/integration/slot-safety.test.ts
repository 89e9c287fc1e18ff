import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FerryError } from '../../../../core/src/errors.ts';
import { parseLsnText } from '../../../../core/src/position.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { collect, createSchema, dataEvents, memoryLog, memoryMetrics, slotRow, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;
const only = (schema: string, table: string) => createTableSelector({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'one', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': table } }] } as unknown as TableMapping);

before(async () => {
  s = await createSchema('ferry_it_slot');
  await s.owner.query('CREATE TABLE quiet (id int PRIMARY KEY)');
  await s.owner.query('CREATE TABLE busy (id serial PRIMARY KEY, pad varchar(100))');
  await s.owner.query('CREATE TABLE t (id int PRIMARY KEY)');
});

after(async () => { await s.drop(); });

test('idle captured tables on a busy database: heartbeats move the slot past the uncaptured writes once acknowledged; lag is a gauge', async () => {
  const slot = `ferry_${s.schema}_idle`;
  const metrics = memoryMetrics();
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_idle`, selector: only(s.schema, 'quiet'), heartbeatIntervalMs: 300, metrics });
  let target: bigint | null = null;
  let advanced = false;
  let heartbeats = 0;
  // The lag gauge is set by the same heartbeat tick that moves the slot, after its write: wait for both (the slot
  // could pass the target before the tick got to the gauge, and the test stopped in between).
  const lagOf = () => [...metrics.gauges].find(([k]) => k.startsWith('pg_slot_lag_bytes') && k.includes(slot));
  const { batches } = await collect(opts, null, () => advanced && lagOf() !== undefined, {
    timeoutMs: 30000,
    onBatch: async (b) => {
      if (b.events.length === 0 && !b.snapshotDone) heartbeats++;
      if (target === null) {
        for (let i = 0; i < 20; i++) await s.owner.query("INSERT INTO busy (pad) SELECT repeat('p', 100) FROM generate_series(1, 500)");
        const { rows } = await s.admin.query<{ l: string }>('SELECT pg_current_wal_insert_lsn() AS l');
        target = parseLsnText(rows[0]!.l);
        return;
      }
      const row = await slotRow(s.admin, slot);
      advanced = row !== undefined && parseLsnText(row.confirmed_flush_lsn) >= target;
    },
  });
  assert.ok(advanced, 'confirmed_flush_lsn passed every uncaptured write');
  assert.ok(heartbeats >= 1, 'heartbeat batches: no events, a checkpoint');
  assert.equal(dataEvents(batches, 'busy').length, 0);
  assert.ok(batches.filter((b) => b.events.length === 0).every((b) => b.checkpoint !== null));
  const lag = lagOf();
  assert.ok(lag && Number.isFinite(lag[1]), 'pg_slot_lag_bytes{slot} is set');
});

test('a slot dropped while Ferry was stopped: the restart fails with a re-snapshot error saying how to recover', async () => {
  const task = `${s.schema}_drop`;
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: task, selector: only(s.schema, 't') });
  let acted = false;
  const first = await collect(opts, null, (b) => dataEvents(b, 't').length > 0, {
    onBatch: async () => { if (!acted) { acted = true; await s.owner.query('INSERT INTO t VALUES (1)'); } },
  });
  assert.ok(first.offset);
  // the walsender of the stopped source may take a moment to exit after the client closed (seen on a loaded machine)
  for (let i = 0; ; i++) {
    try {
      await s.admin.query('SELECT pg_drop_replication_slot($1)', [`ferry_${task}`]);
      break;
    } catch (e: unknown) {
      if ((e as { code?: string }).code !== '55006' || i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await assert.rejects(collect(opts, first.offset, () => true), (e: unknown) => e instanceof FerryError && e.disposition === 'resnapshot'
    && e.message.includes(`"ferry_${task}"`) && /does not exist/.test(e.message) && /re-copying/.test(e.message) && /full-load-and-cdc/.test(e.message));
});

test('a slot dropped under a running stream: the reconnect finds it gone and fails with the re-snapshot error', async () => {
  const task = `${s.schema}_gone`;
  const slot = `ferry_${task}`;
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: task, selector: only(s.schema, 't') });
  let inserted = false;
  let acted = false;
  const log = memoryLog();
  await assert.rejects(collect({ ...opts, log }, null, () => false, {
    timeoutMs: 30000,
    onBatch: async (b) => {
      if (!inserted) { inserted = true; await s.owner.query('INSERT INTO t VALUES (2)'); return; }
      if (acted || b.events.length === 0) return;
      acted = true;
      // Kill the walsender and drop the slot before Ferry reconnects.
      for (let i = 0; i < 50; i++) {
        await s.admin.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot]);
        try {
          await s.admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
  }), (e: unknown) => e instanceof FerryError && e.disposition === 'resnapshot' && e.message.includes(slot));
  assert.ok(acted, 'the slot was dropped while streaming');
  assert.ok(log.lines.some((l) => l.level === 'warn' && /reconnecting/.test(l.msg ?? '')), 'the stream first tried to reconnect');
});
