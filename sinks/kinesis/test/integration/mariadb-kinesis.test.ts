// A real source end to end: MariaDB → ferry run → Kafka → ferry sink (the task's kinesis target) → a Kinesis stream on
// moto. Inserts, updates, deletes and an added column while it runs. Every record is read back with GetRecords over
// all shards (an independent reader, de-aggregating KPL records), the changes are applied per key, and the result is
// compared with the table value by value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseTask } from '../../../../app/src/task-file/load-task.ts';
import { runTask } from '../../../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../../../app/src/task/targets.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { quietLog, services, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';
import { createStream, KINESIS } from '../helpers/kinesis.ts';
import { streamState } from '../helpers/state.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TableRow = Record<string, string | null>;

/** The table as the JSON payload renders it: id and v numbers, d exact decimal text, ts ISO with µs, the rest text. */
async function tableRows(c: mysql.Connection, db: string): Promise<Map<string, TableRow>> {
  const [rows] = await c.query(`SELECT id, v, s, CAST(d AS CHAR) AS d, DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f') AS ts, b, added FROM \`${db}\`.items ORDER BY id`);
  return new Map((rows as Record<string, unknown>[]).map((r) => [String(r.id), {
    id: String(r.id), v: String(r.v), s: r.s === null ? null : String(r.s), d: String(r.d), ts: String(r.ts),
    b: r.b === null ? null : (r.b as Buffer).toString('base64'), added: r.added === null || r.added === undefined ? null : String(r.added),
  }]));
}

function fromKinesis(d: Record<string, unknown>): TableRow {
  const t = (x: unknown) => (x === null || x === undefined ? null : String(x));
  return { id: String(d.id), v: String(d.v), s: t(d.s), d: String(d.d), ts: String(d.ts), b: t(d.b), added: t(d.added) };
}

async function workload(c: mysql.Connection, db: string, from: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const id = from + i;
    await c.query(`INSERT INTO \`${db}\`.items (id, v, s, d, ts, b) VALUES (?, ?, ?, ?, ?, ?)`, [id, id * 1000, `new ${id} "q" ü`, (id % 1000) / 100, '2024-05-06 07:08:09.123456', Buffer.from([id % 256, 0, 255])]);
    if (i % 3 === 0) await c.query(`UPDATE \`${db}\`.items SET v = v + 1, s = CONCAT(s, ' upd'), d = d + 0.01 WHERE id = ?`, [1 + ((i * 7) % (from - 1))]);
    if (i % 10 === 0) await c.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [1 + ((i * 13) % (from - 1))]);
  }
}

test('MariaDB → ferry run → Kafka → ferry sink → Kinesis (moto): every record read back over all shards equals the table', { timeout: 240000 }, async () => {
  const db = uniqueName('ferry_kin');
  const stream = db.replace(/_/g, '-');
  await createStream(stream, 3);
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  await admin.query("SET time_zone = '+00:00'");
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, b VARBINARY(8))`);
  const rows = Array.from({ length: 2000 }, (_, i) => [i + 1, i === 7 ? '9007199254740993' : i, i % 9 === 0 ? null : `row ${i}`, (i % 1000) / 100 - 3, '2024-01-02 03:04:05.654321', i % 4 === 0 ? null : Buffer.from([i % 256, 1])]);
  await admin.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-kinesis-'));
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, partitions: 2 },
    targets: [{ type: 'kinesis', name: 'stream', stream, client: KINESIS, aggregation: { enabled: true, maxBytes: 4096 }, maxBatchDelayMs: 100,
      // One call at a time: moto loses acknowledged records when two PutRecords write one shard at once (helpers/kinesis.ts).
      parallelCalls: 1 }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
  });
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
  const workers = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
  try {
    await sleep(1500);
    await workload(admin, db, 3001);
    await admin.query(`ALTER TABLE ${db}.items ADD COLUMN added VARCHAR(20) NULL`);
    await admin.query(`UPDATE ${db}.items SET added = CONCAT('a', id) WHERE id % 5 = 0`);
    await workload(admin, db, 4001);
    const want = await tableRows(admin, db);
    let mismatch = '';
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline) {
      await sleep(1500);
      const got = await streamState(stream);
      mismatch = '';
      if (got.rows.size !== want.size) mismatch = `${got.rows.size} rows in Kinesis, ${want.size} in the table`;
      else {
        for (const [id, row] of want) {
          const k = got.rows.get(id);
          if (!k) { mismatch = `row ${id} missing`; break; }
          const kr = fromKinesis(k);
          for (const col of Object.keys(row)) if (kr[col] !== row[col]) { mismatch = `row ${id} column ${col}: Kinesis ${kr[col]}, table ${row[col]}`; break; }
          if (mismatch) break;
        }
      }
      if (!mismatch) {
        assert.equal(got.records, got.changes, 'no duplicates without a crash');
        assert.ok(got.docs.every((d) => d.metadata['schema-name'] === db && d.metadata['table-name'] === 'items'));
        console.log(`# ${got.records} changes read back from ${stream}; ${want.size} rows equal value by value`);
        break;
      }
    }
    assert.equal(mismatch, '', 'Kinesis equals the table');
  } finally {
    stop.abort();
    await running.catch(() => {});
    await workers.catch(() => {});
    await admin.query(`DROP DATABASE ${db}`);
    await admin.end();
  }
});
