// Validation while the task runs (settings.validation, docs/validation.md#validation-during-cdc): MariaDB → Ferry
// (runTask, direct mode) → PostgreSQL, full load and CDC at about 1k transactions/s for a minute with a table compared
// every 2 s. Rows that change during a comparison are pending and re-checked once the stream has passed them, so no
// failure may ever show. Then changes are made behind the task's back on the target (a lost update, a lost insert,
// a row the source never had): they are found as RECORD_DIFF, MISSING_TARGET and MISSING_SOURCE in the statistics and
// the failures table; once repaired, the table is Validated again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { TaskStatistics, type TableStatistics } from '../../app/src/tasks-api/task-statistics.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { services, uniqueName } from '../helpers/services.ts';

const ROWS = 20_000;
const LIVE_SECONDS = Number(process.env.FERRY_LIVE_VALIDATION_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('validation during CDC: no false mismatch at ~1k tx/s, then changes made on the target are found', { timeout: 600_000 }, async (t) => {
  const db = uniqueName('valcdc');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  const target = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await target.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.accounts (id INT PRIMARY KEY, balance DECIMAL(14,2) NOT NULL, note VARCHAR(40), updated DATETIME(6) NOT NULL)`);
  await admin.query(`CREATE TABLE ${db}.tags (name VARCHAR(30) PRIMARY KEY, hits BIGINT NOT NULL)`);
  for (let i = 0; i < ROWS; i += 5000) {
    await admin.query(`INSERT INTO ${db}.accounts VALUES ${Array.from({ length: 5000 }, (_, k) => `(${i + k}, ${(i + k) * 1.25}, 'n${i + k}', '2026-01-01 00:00:00.000001')`).join(',')}`);
  }
  await admin.query(`INSERT INTO ${db}.tags VALUES ${Array.from({ length: 500 }, (_, k) => `('tag-${k}', ${k})`).join(',')}`);
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop', stateSchema: db, tablePreparation: 'drop-and-create' }],
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-valcdc-')), 'state'), offsetStore: 'sqlite',
      validation: { enabled: true, intervalSeconds: 2, chunkRows: 5000, maxConcurrency: 1 },
    },
  });
  const statistics = new TaskStatistics();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics, serveMetrics: false, statistics }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await admin.end();
    await target.end();
  });
  const table = (name: string): TableStatistics | undefined => statistics.tables().find((x) => x.schemaName === db && x.tableName === name);
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, ms = 120_000) => {
    const until = Date.now() + ms;
    while (!(await ok())) {
      if (failure) throw failure;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(statistics.tables().map((x) => [x.tableName, x.validationState, x.validationPendingRecords, x.validationFailedRecords, x.validationStateDetails]))}`);
      await sleep(200);
    }
  };
  const failuresRows = async () => (await target.query(`SELECT table_name, key_json, failure_type, columns_json FROM "${db}".ferry_validation_failures WHERE task_name = $1 ORDER BY table_name, failure_type, key_json::text`, [db]).catch(() => ({ rows: [] }))).rows;

  await waitFor('the first validation of both tables', () => ['accounts', 'tags'].every((n) => table(n)?.validationState === 'Validated'));

  // ~1k transactions/s over two connections: updates of hot and cold rows, inserts and deletes.
  const stop = { done: false };
  let written = 0;
  const writer = async (seed: number) => {
    const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
    let x = seed;
    const rnd = (n: number) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
    let next = Date.now();
    while (!stop.done) {
      const op = rnd(10);
      const id = op < 3 ? rnd(50) : rnd(ROWS + 2000); // 30% on 50 hot rows
      if (op < 6) await c.query(`UPDATE ${db}.accounts SET balance = balance + 1.5, note = ?, updated = NOW(6) WHERE id = ?`, [`w${seed}-${written}`, id]);
      else if (op < 8) await c.query(`INSERT INTO ${db}.accounts VALUES (?, 1, 'ins', NOW(6)) ON DUPLICATE KEY UPDATE balance = balance - 1`, [id]);
      else if (op < 9) await c.query(`DELETE FROM ${db}.accounts WHERE id = ?`, [id]);
      else await c.query(`UPDATE ${db}.tags SET hits = hits + 1 WHERE name = ?`, [`tag-${rnd(500)}`]);
      written++;
      next += 2; // 500/s per connection
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await c.end();
  };
  const started = Date.now();
  const writers = [writer(1), writer(2)];
  let maxPending = 0;
  const passesSeen = new Set<string>();
  while (Date.now() - started < LIVE_SECONDS * 1000) {
    if (failure) throw failure;
    for (const n of ['accounts', 'tags']) {
      const s = table(n)!;
      maxPending = Math.max(maxPending, s.validationPendingRecords);
      assert.equal(s.validationFailedRecords, 0, `no false mismatch while the source changes (${n}: ${s.validationStateDetails})`);
      assert.notEqual(s.validationState, 'Error', `${n}: ${s.validationStateDetails}`);
      passesSeen.add(`${n}:${s.validationState}`);
    }
    await sleep(250);
  }
  stop.done = true;
  await Promise.all(writers);
  const rate = written / ((Date.now() - started) / 1000);
  t.diagnostic(`${written} transactions in ${LIVE_SECONDS} s (${Math.round(rate)}/s); most pending records at once: ${maxPending}; states seen: ${[...passesSeen].join(', ')}`);
  assert.ok(rate > 600, `the writers reached ${Math.round(rate)} tx/s`);
  assert.deepEqual(await failuresRows(), [], 'the failures table stayed empty');
  await waitFor('every pending record to settle', () => ['accounts', 'tags'].every((n) => table(n)?.validationState === 'Validated' && table(n)?.validationPendingRecords === 0));
  // A pass after the writes stopped counts every row as validated.
  const [counted] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${db}.accounts`);
  await waitFor('a pass to validate every row', () => table('tags')?.validationValidatedRecords === 500 && table('accounts')?.validationValidatedRecords === Number(counted[0]!.n), 20_000);

  // Behind the task's back, on the target: a lost update, a lost insert and a row the source never had.
  const [[kept]] = await admin.query<mysql.RowDataPacket[]>(`SELECT id FROM ${db}.accounts WHERE id BETWEEN 100 AND 20000 ORDER BY id LIMIT 1`);
  const [[gone]] = await admin.query<mysql.RowDataPacket[]>(`SELECT id FROM ${db}.accounts WHERE id > ${kept!.id} ORDER BY id LIMIT 1`);
  await target.query(`UPDATE "${db}".accounts SET balance = balance + 1000 WHERE id = $1`, [kept!.id]);
  await target.query(`DELETE FROM "${db}".accounts WHERE id = $1`, [gone!.id]);
  await target.query(`INSERT INTO "${db}".accounts VALUES (9999999, 1, 'ghost', now())`);
  await waitFor('the three rows to be confirmed failed', () => table('accounts')?.validationFailedRecords === 3, 60_000);
  const s = table('accounts')!;
  assert.equal(s.validationState, 'Mismatched records');
  assert.equal(table('tags')!.validationState, 'Validated');
  await waitFor('the failures table', async () => (await failuresRows()).length === 3, 10_000);
  assert.deepEqual(await failuresRows(), [
    { table_name: 'accounts', key_json: { id: '9999999' }, failure_type: 'MISSING_SOURCE', columns_json: [] },
    { table_name: 'accounts', key_json: { id: String(gone!.id) }, failure_type: 'MISSING_TARGET', columns_json: [] },
    { table_name: 'accounts', key_json: { id: String(kept!.id) }, failure_type: 'RECORD_DIFF', columns_json: ['balance'] },
  ]);
  const gauge = (await metrics.registry.getSingleMetric('ferry_validation_records')?.get())?.values.find((v) => v.labels.table === `${db}.accounts` && v.labels.state === 'failed');
  assert.equal(gauge?.value, 3);
  // DMS's ValidationFailedOverallCount (ferry_dms_validation_failed_overall_count, docs/metrics.md): the same rows, over all tables.
  await waitFor('ValidationFailedOverallCount 3', async () => (await metrics.registry.getSingleMetric('ferry_dms_validation_failed_overall_count')?.get())?.values[0]?.value === 3, 5_000);

  // Repaired by hand: the next pass finds the table equal and empties its failures.
  await target.query(`UPDATE "${db}".accounts SET balance = balance - 1000 WHERE id = $1`, [kept!.id]);
  const [[row]] = await admin.query<mysql.RowDataPacket[]>(`SELECT id, CAST(balance AS CHAR) AS balance, note, DATE_FORMAT(updated, '%Y-%m-%d %H:%i:%s.%f') AS updated FROM ${db}.accounts WHERE id = ?`, [gone!.id]);
  await target.query(`INSERT INTO "${db}".accounts VALUES ($1, $2, $3, $4)`, [row!.id, row!.balance, row!.note, row!.updated]);
  await target.query(`DELETE FROM "${db}".accounts WHERE id = 9999999`);
  await waitFor('the repaired table to validate', () => table('accounts')?.validationState === 'Validated' && table('accounts')?.validationFailedRecords === 0, 60_000);
  await waitFor('the failures table to empty', async () => (await failuresRows()).length === 0, 10_000);
});
