/**
 * Debezium-style signals driving incremental snapshots (docs/signals.md), one scenario per source: rows inserted into
 * the signal table (debezium_signal: id, type, data) pause, execute, stop and resume snapshots; a restart keeps the
 * pause and the queued snapshot; the rows re-read are read back from Kafka with an independent decoder
 * (test/e2e/*-signal-table.test.ts).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseTask, type ResolvedTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { createAdmin } from '../../runtime/src/kafka/kafka-client.ts';
import type { SignalStatus } from '../../core/src/types.ts';
import { freePort, services } from './services.ts';
import { readDecoded, type DecodedRecord } from './topic-reader.ts';
import type { EngineAdapter } from './incremental-snapshot-scenario.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A task running in this process, restartable, with its control API and its log lines. */
export interface RunningTask {
  readonly task: ResolvedTask;
  readonly logs: string[];
  list(): Promise<SignalStatus[]>;
  /** Waits (up to 30 s) for a status matching `what`; returns it. */
  waitFor(what: (s: SignalStatus[]) => SignalStatus | undefined, why: string): Promise<SignalStatus>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTask(t: TestContext, spec: Record<string, unknown>): Promise<RunningTask> {
  const port = await freePort();
  const spec0 = spec as { settings?: Record<string, unknown> };
  const task = parseTask({
    ...spec,
    settings: { ...spec0.settings, metrics: { enabled: true, host: '127.0.0.1', port }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-signals-')), 'state'), offsetStore: 'sqlite' },
  });
  const logs: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c: Buffer, _e, cb) { logs.push(c.toString('utf8')); cb(); } }) });
  const base = `http://127.0.0.1:${port}/signals`;
  let controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const auth = () => ({ authorization: `Bearer ${readFileSync(join(task.settings.stateDir, 'control-token'), 'utf8').trim()}` });
  const list = async () => ((await (await fetch(base, { headers: auth() })).json()) as { signals?: SignalStatus[] }).signals ?? [];
  const begin = async () => {
    controller = new AbortController();
    running = runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }) }, controller.signal);
    running.catch((e: unknown) => logs.push(`task failed: ${String(e)}`));
    for (let i = 0; i < 400; i++) {
      const ok = await (async () => fetch(base, { headers: auth() }))().then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(50);
    }
    // the source is streaming (its signal table read) once the start position is committed: give it a moment
    await sleep(1500);
  };
  const stop = async () => { controller.abort(); await running.catch(() => undefined); };
  t.after(stop);
  await begin();
  return {
    task, logs, list, stop,
    async waitFor(what, why) {
      for (let i = 0; i < 600; i++) {
        const s = what(await list().catch(() => []));
        if (s) return s;
        await sleep(50);
      }
      throw new Error(`${why} never happened: ${JSON.stringify(await list().catch((e: unknown) => String(e)))}\n${logs.slice(-20).join('')}`);
    },
    async restart() { await stop(); await begin(); },
  };
}

const reads = (records: readonly DecodedRecord[]) => records.filter((r) => r.value?.op === 'r' && r.value.source.snapshot === 'incremental');

export async function signalTableScenario(t: TestContext, engine: EngineAdapter, rows: { items: number; other: number }): Promise<void> {
  const db = `${engine.name}`;
  const admin = await engine.open(db);
  t.after(() => engine.drop(admin, db));
  await admin.exec(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await admin.exec(`CREATE TABLE ${db}.other (id INT PRIMARY KEY, v INT NOT NULL)`);
  await admin.exec(`CREATE TABLE ${db}.debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`);
  await engine.prepareTables?.(admin, db);
  for (const [table, n] of Object.entries(rows)) {
    for (let i = 0; i < n; i += 1000) {
      await admin.exec(`INSERT INTO ${db}.${table} VALUES ${Array.from({ length: Math.min(1000, n - i) }, (_, j) => `(${i + j + 1}, ${(i + j + 1) * 7})`).join(',')}`);
    }
  }
  let n = 0;
  const signal = (type: string, data: unknown) => admin.exec(`INSERT INTO ${db}.debezium_signal (id, type, data) VALUES ('sig-${++n}', '${type}', ${data === null ? 'NULL' : `'${JSON.stringify(data)}'`})`);
  const run = await startTask(t, {
    name: db, source: engine.source, migrationType: 'cdc',
    tableMappings: { rules: ['items', 'other'].map((name, i) => ({ 'rule-type': 'selection', 'rule-id': String(i + 1), 'rule-name': name, 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': name } })) },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { snapshot: { chunkSize: 25 }, batch: { maxEvents: 64 }, signals: { dataCollection: `${db}.debezium_signal` } },
  });
  const job = (tables: string) => (all: SignalStatus[]) => all.find((s) => s.type === 'execute-snapshot' && s.tables.join() === tables);

  // 1. paused first: an execute-snapshot queued while paused reads nothing, also across a restart
  await signal('pause-snapshot', { type: 'incremental' });
  await signal('log', { message: 'hello' }); // refused (not a snapshot signal), logged
  await signal('execute-snapshot', { 'data-collections': [`${db}.items`], type: 'INCREMENTAL' });
  const queued = await run.waitFor(job(`${db}.items`), 'the execute-snapshot row queued a snapshot');
  assert.equal(queued.status, 'paused');
  assert.equal(queued.origin, 'sig-3');
  await sleep(1000);
  await run.restart();
  const restored = await run.waitFor(job(`${db}.items`), 'the queued snapshot came back after the restart');
  assert.equal(restored.status, 'paused', JSON.stringify(restored));
  assert.equal(restored.chunks, 0);
  assert.ok(run.logs.some((l) => l.includes('signal refused: unsupported signal type \\"log\\"')), 'the log signal was refused in the log');

  // 2. resume: the whole table is re-read, exactly its rows
  await signal('resume-snapshot', null);
  const done = await run.waitFor((all) => { const s = job(`${db}.items`)(all); return s?.status === 'done' ? s : undefined; }, 'the items snapshot finished');
  assert.equal(done.rowsEmitted, rows.items);

  // 3. another snapshot stopped in the middle: paused after a few chunks, stopped, resumed; nothing more is read
  await signal('execute-snapshot', { 'data-collections': [`${db}.other`] });
  await run.waitFor((all) => { const s = job(`${db}.other`)(all); return s && s.chunks >= 2 ? s : undefined; }, 'the other snapshot read two chunks');
  await signal('pause-snapshot', {});
  await run.waitFor((all) => { const s = job(`${db}.other`)(all); return s?.status === 'paused' ? s : undefined; }, 'the other snapshot paused');
  await signal('stop-snapshot', { 'data-collections': [`${db}.other`], type: 'incremental' });
  const stopped = await run.waitFor((all) => { const s = job(`${db}.other`)(all); return s?.status === 'stopped' ? s : undefined; }, 'the other snapshot stopped');
  assert.deepEqual(stopped.stoppedTables, [`${db}.other`]);
  await signal('resume-snapshot', { type: 'incremental' });
  await run.waitFor((all) => all.filter((s) => s.type === 'resume-snapshot')[1], 'the second resume');
  await sleep(1500);
  const final = job(`${db}.other`)(await run.list())!;
  assert.equal(final.status, 'stopped');
  assert.ok(final.rowsEmitted < rows.other, `stopped before the end: ${final.rowsEmitted} of ${rows.other}`);
  await run.stop();

  // read back: items re-read exactly, other only up to the stop, the signal table on no topic
  const items = reads(await readDecoded(`${db}.${db}.items`));
  assert.equal(items.length, rows.items);
  assert.deepEqual(items.map((r) => [Number(r.value!.after!.id), Number(r.value!.after!.v)]), Array.from({ length: rows.items }, (_, i) => [i + 1, (i + 1) * 7]));
  const other = reads(await readDecoded(`${db}.${db}.other`));
  assert.equal(other.length, final.rowsEmitted);
  assert.deepEqual(other.map((r) => Number(r.value!.after!.id)), Array.from({ length: final.rowsEmitted }, (_, i) => i + 1));
  const kafka = createAdmin({ brokers: services.brokers, clientId: 'ferry-test-signals' });
  try {
    const topics = await kafka.listTopics();
    assert.ok(topics.includes(`${db}.${db}.items`));
    assert.equal(topics.filter((x) => x.includes('debezium_signal')).length, 0, 'the signal table is on no topic');
  } finally {
    await kafka.close();
  }
}
