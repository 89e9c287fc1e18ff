// PostgreSQL → Ferry (`ferry run`) → Kafka: full load, then inserts/updates/deletes/truncate, read back with an
// independent Avro decoder and compared with the table; the slot is acknowledged as the offset is committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { services, uniqueName } from '../helpers/services.ts';
import { latestState, readDecoded } from '../helpers/topic-reader.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('PostgreSQL full-load-and-cdc through ferry run reaches Kafka exactly', { timeout: 180000 }, async (t) => {
  const name = uniqueName('ferry_pg_e2e');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await owner.connect();
  await owner.query(`CREATE TABLE ${name}.accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC(14,2) NOT NULL, opened DATE NOT NULL, tags JSONB)`);
  await owner.query(`ALTER TABLE ${name}.accounts REPLICA IDENTITY FULL`);
  await owner.query(`INSERT INTO ${name}.accounts SELECT g, 'owner ' || g, g * 1.25, DATE '2020-01-01' + g, jsonb_build_object('n', 12345678901234567890::numeric + g) FROM generate_series(1, 5000) g`);
  await owner.end();

  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state') },
  }));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.after(async () => {
    child.kill('SIGKILL');
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [name]);
    await sleep(300);
    await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
    for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) await admin.query(`DROP PUBLICATION "${r.pubname}"`);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
  });

  const topic = `${name}.${name}.accounts`;
  const waitFor = async (pred: (n: number) => boolean) => {
    for (let i = 0; i < 120; i++) {
      const recs = await readDecoded(topic).catch(() => []);
      if (pred(recs.length)) return recs;
      if (child.exitCode !== null) throw new Error(`ferry exited: ${stderr}`);
      await sleep(500);
    }
    throw new Error(`timed out; log: ${stderr.slice(-2000)}`);
  };
  await waitFor((n) => n >= 5000);
  await admin.query(`INSERT INTO ${name}.accounts VALUES (9001, 'new', 10.50, '2024-02-29', '{"big": 99999999999999999999}')`);
  await admin.query(`UPDATE ${name}.accounts SET balance = balance + 0.01 WHERE id <= 10`);
  await admin.query(`DELETE FROM ${name}.accounts WHERE id BETWEEN 11 AND 20`);
  const records = await waitFor((n) => n >= 5000 + 1 + 10 + 10 + 10);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const summary = JSON.parse(stdout) as { ok: boolean; stoppedBy: string; lastCommitted: string };
  assert.deepEqual([summary.ok, summary.stoppedBy], [true, 'signal']);
  assert.match(summary.lastCommitted, /^pg:[0-9A-F]{16}$/);

  const ops = records.reduce<Record<string, number>>((a, r) => { const k = r.value?.op ?? 'tombstone'; a[k] = (a[k] ?? 0) + 1; return a; }, {});
  assert.deepEqual(ops, { r: 5000, c: 1, u: 10, d: 10, tombstone: 10 });
  const state = latestState(records);
  const { rows } = await admin.query(`SELECT id, owner, balance::text AS balance, (opened - DATE '1970-01-01') AS days, tags::text AS tags FROM ${name}.accounts ORDER BY id`);
  assert.equal(state.size, rows.length);
  const unscaled = (b: Uint8Array) => { let v = 0n; for (const x of b) v = (v << 8n) | BigInt(x); return b[0]! & 0x80 ? v - (1n << BigInt(b.length * 8)) : v; };
  for (const row of rows as { id: string; owner: string; balance: string; days: number; tags: string | null }[]) {
    const got = state.get(JSON.stringify({ id: row.id })); // int64 keys decode as bigint, rendered as strings
    assert.ok(got, `id ${row.id} missing on Kafka`);
    assert.equal(got.owner, row.owner);
    const cents = unscaled(got.balance as Uint8Array);
    assert.equal(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`, row.balance, `id ${row.id} balance`);
    assert.equal(got.opened, row.days);
    assert.equal(got.tags, row.tags, `id ${row.id} jsonb text, big integers exact`);
  }
  const heartbeats = await readDecoded(`__debezium-heartbeat.${name}`);
  assert.ok(heartbeats.length >= 1, 'heartbeat records are written');
  assert.deepEqual(heartbeats[0]!.key, { serverName: name });
  assert.equal(typeof heartbeats[0]!.value!.ts_ms === 'bigint' || typeof heartbeats[0]!.value!.ts_ms === 'number', true);
  const slot = await admin.query<{ confirmed_flush_lsn: string }>("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]);
  const committed = BigInt(`0x${summary.lastCommitted.slice(3)}`);
  const [hi, lo] = slot.rows[0]!.confirmed_flush_lsn.split('/');
  assert.equal((BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`), committed, 'the slot is confirmed exactly up to the committed offset');
});
