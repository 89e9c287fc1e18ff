/**
 * One scenario for every source: an incremental snapshot of a table while a writer keeps inserting, updating and
 * deleting, triggered through the control API (POST /signals), read back from Kafka and checked for coverage,
 * ordering and final state; then a restart in the middle of a second snapshot resumes after its last committed
 * chunk. Each engine gives its connection, task source and cleanup (test/e2e/*-incremental-snapshot.test.ts).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import type { SignalStatus } from '../../core/src/types.ts';
import { freePort, services, uniqueName } from './services.ts';
import { latestState, readDecoded, type DecodedRecord } from './topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROWS = 600;

/** A connection to the engine under test, with `<db>` as a database (MySQL) or schema (PostgreSQL). */
export interface EngineSession {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export interface EngineAdapter {
  readonly name: string;
  readonly connector: string;
  /** The task's source block. */
  readonly source: Record<string, unknown>;
  /** A table outside the task's selection, '<db>.<table>'. */
  readonly unselected: string;
  /** Creates `db` on the first call; every call opens a new session. */
  open(db: string): Promise<EngineSession>;
  /** Engine-specific table settings after the tables exist (e.g. REPLICA IDENTITY). */
  prepareTables?(admin: EngineSession, db: string): Promise<void>;
  /** Drops `db` and whatever the task left on the server; closes `admin`. */
  drop(admin: EngineSession, db: string): Promise<void>;
}

export async function incrementalSnapshotScenario(t: TestContext, engine: EngineAdapter): Promise<void> {
  const db = uniqueName(`ferry_inc_${engine.name}`);
  const admin = await engine.open(db);
  await admin.exec(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
  await admin.exec(`CREATE TABLE ${db}.other (id INT PRIMARY KEY)`);
  await admin.exec(`CREATE TABLE ${db}.nokey (x INT)`);
  await engine.prepareTables?.(admin, db);
  const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 0, 'seed')`).join(',');
  await admin.exec(`INSERT INTO ${db}.items VALUES ${values}`);
  const port = await freePort();
  const task = parseTask({
    name: db, source: engine.source, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-inc-')), 'state'), offsetStore: 'sqlite', snapshot: { chunkSize: 50 }, batch: { maxEvents: 64 } },
  });
  const base = `http://127.0.0.1:${port}/signals`;
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  let controller = new AbortController();
  const start = () => runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }) }, controller.signal);
  let running = start();
  let writing = true;
  t.after(async () => { writing = false; controller.abort(); await running.catch(() => undefined); await engine.drop(admin, db); });
  // each run writes a new control token to <stateDir>/control-token (runtime/src/control/control-token.ts)
  const auth = () => ({ authorization: `Bearer ${readFileSync(join(task.settings.stateDir, 'control-token'), 'utf8').trim()}` });
  const post = (body: unknown) => fetch(base, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const list = async () => ((await (await fetch(base, { headers: auth() })).json()) as { signals: SignalStatus[] }).signals;
  const waitFor = async (id: string, what: (s: SignalStatus) => boolean) => {
    for (let i = 0; i < 1200; i++) {
      const s = (await list().catch(() => [])).find((x) => x.id === id);
      if (s && what(s)) return s;
      await sleep(50);
    }
    throw new Error(`signal ${id} never got there: ${JSON.stringify(await list())}`);
  };
  for (let i = 0; i < 200; i++) { if ((await (async () => fetch(base, { headers: auth() }))().catch(() => null))?.ok) break; await sleep(50); }

  // refusals
  let r = await post({ type: 'execute-snapshot', tables: [`${db}.missing`] });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { error: string }).error, /not found/);
  r = await post({ type: 'execute-snapshot', tables: [engine.unselected] });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { error: string }).error, /not selected by the task's table mappings/);
  r = await post({ type: 'execute-snapshot', tables: [`${db}.nokey`] });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { error: string }).error, /no primary key/);
  r = await post({ type: 'nope' });
  assert.equal(r.status, 400);

  // a writer: updates (the value only grows), deletes and inserts, all through the snapshot
  const writer = await engine.open(db);
  let next = ROWS + 1;
  let tick = 0;
  const writes = (async () => {
    while (writing) {
      tick++;
      const id = 1 + Math.floor(Math.random() * (next - 1));
      await writer.exec(`UPDATE ${db}.items SET v = v + 1, note = 'u${tick}' WHERE id = ${id}`);
      if (tick % 7 === 0) await writer.exec(`DELETE FROM ${db}.items WHERE id = ${1 + Math.floor(Math.random() * (next - 1))}`);
      if (tick % 5 === 0) await writer.exec(`INSERT INTO ${db}.items VALUES (${next++}, 0, 'new')`);
      if (tick % 3 === 0) { await writer.exec('BEGIN'); await writer.exec(`UPDATE ${db}.items SET v = v + 1 WHERE id IN (${id}, ${id + 1})`); await writer.exec('COMMIT'); }
      await sleep(2);
    }
  })();
  await sleep(300);

  r = await post({ type: 'execute-snapshot', tables: [`${db}.items`] });
  assert.equal(r.status, 202);
  const { id } = (await r.json()) as { id: string };
  const done = await waitFor(id, (s) => s.status === 'done' || s.status === 'failed');
  assert.equal(done.status, 'done', JSON.stringify(done));
  assert.ok(done.chunks >= 10, `several chunks: ${done.chunks}`);

  // a second snapshot, interrupted after its first committed chunks: the restart continues it
  r = await post({ type: 'execute-snapshot', tables: [`${db}.items`, `${db}.other`] });
  const { id: id2 } = (await r.json()) as { id: string };
  await waitFor(id2, (s) => s.chunks >= 3);
  controller.abort();
  await running;
  controller = new AbortController();
  running = start();
  const resumed = await waitFor(id2, (s) => s.status === 'done' || s.status === 'failed');
  assert.equal(resumed.status, 'done');
  writing = false;
  await writes;
  await writer.close();
  // let the stream catch up with the last writes
  const n = (await admin.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${db}.items`))[0]!.n;
  await sleep(2000);
  controller.abort();
  await running;

  const records = await readDecoded(`${db}.${db}.items`);
  const mismatch = records.find((rec) => rec.value !== null && rec.value.source.connector !== engine.connector);
  assert.equal(mismatch, undefined, 'events come from the engine under test');
  const keyOf = (rec: DecodedRecord) => String(rec.key?.id);
  // 1. latest state per key equals the table
  const rows = await admin.rows<{ id: number; v: number; note: string }>(`SELECT id, v, note FROM ${db}.items ORDER BY id`);
  assert.equal(rows.length, Number(n));
  const state = latestState(records);
  assert.equal(state.size, rows.length);
  for (const row of rows) assert.deepEqual(state.get(JSON.stringify({ id: row.id })), { id: row.id, v: row.v, note: row.note }, `row ${row.id}`);
  // 2. the first snapshot's window: every row present at the end appears after the trigger as an incremental read or a change
  const firstInc = records.findIndex((rec) => rec.value?.source.snapshot === 'incremental');
  assert.ok(firstInc >= 0);
  const seen = new Set(records.slice(firstInc).filter((rec) => rec.value !== null).map(keyOf));
  for (const row of rows) assert.ok(seen.has(String(row.id)) || row.id > ROWS, `row ${row.id} neither read nor changed after the trigger`);
  // 3. an 'r' never carries an older value than a streamed change before it (v only grows; deleted keys stay deleted)
  const lastV = new Map<string, number>();
  const deleted = new Set<string>();
  let reads = 0;
  for (const rec of records) {
    if (rec.value === null) continue;
    const k = keyOf(rec);
    const v = rec.value;
    if (v.op === 'd') { deleted.add(k); continue; }
    const val = Number(v.after!.v);
    if (v.op === 'r') {
      reads++;
      assert.equal(v.source.snapshot, 'incremental');
      assert.ok(!deleted.has(k), `an incremental read resurrected deleted key ${k}`);
      assert.ok(val >= (lastV.get(k) ?? 0), `key ${k}: read v=${val} after a change to v=${lastV.get(k)}`);
    } else {
      deleted.delete(k);
    }
    lastV.set(k, Math.max(val, lastV.get(k) ?? 0));
  }
  assert.ok(reads > ROWS / 2, `incremental reads: ${reads}`);
}
