// Issue #25: the lock-free initial snapshot of MySQL/MariaDB, as a user of a managed server (RDS, Cloud SQL, Azure)
// runs it. A CDC user WITHOUT RELOAD (test/helpers/lockfree-scenario.ts creates it with SELECT, REPLICATION SLAVE and BINLOG
// MONITOR, the MariaDB name of REPLICATION CLIENT, and drops it afterwards) runs full-load-and-cdc with the default settings.snapshotLocking (auto):
// it must choose the lock-free snapshot and say why. Three writer connections insert, update and delete the same keys
// (a hot set every writer hits, and random ones) at several hundred transactions a second while the tables are read.
//
//  1. Kafka mode (`ferry run` + `ferry sink` into PostgreSQL): afterwards the latest state per key on Kafka, read back by
//     an independent reader (test/helpers/topic-reader.ts), equals the source tables exactly, and so does the
//     PostgreSQL target, row by row (test/helpers/migration-kit/canonical.ts). The topic shows snapshot reads and
//     streamed changes interleaved within a partition.
//  2. Direct mode into PostgreSQL: `kill -9` while the lock-free snapshot is read, under the same writes, then a
//     restart that resumes after the last committed chunk: the target equals the source.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type pg from 'pg';
import { uniqueName } from '../helpers/services.ts';
import { latestState, readDecoded, type DecodedRecord } from '../helpers/topic-reader.ts';
import { bytesToDecimal } from '../../schemas/src/decimal.ts';
import { waitUntilEqual, format, type Side } from '../helpers/migration-kit/canonical.ts';
import { FerryChild, pgClient, tempDir } from '../helpers/migration-kit/run.ts';
import { AUTO, FINISHED, LockFreeScenario, STARTED, until } from '../helpers/lockfree-scenario.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scenario = new LockFreeScenario({ items: 40000, pairs: 4000 });

before(() => scenario.setup());
after(() => scenario.teardown());

const itemLine = (r: Record<string, unknown>) => `${String(r.id)}|${String(r.v)}|${String(r.s)}|${r.d instanceof Uint8Array ? bytesToDecimal(r.d, 2) : String(r.d)}`;
const pairLine = (r: Record<string, unknown>) => `${String(r.a)}|${String(r.b)}|${String(r.n)}`;

/** The table's rows as lines, sorted, from the source; and from Kafka's latest state per key. */
async function sourceLines(db: string, table: 'items' | 'pairs'): Promise<string[]> {
  const [rows] = await scenario.root.query(`SELECT * FROM \`${db}\`.${table}`);
  return (rows as Record<string, unknown>[]).map(table === 'items' ? itemLine : pairLine).sort();
}

async function kafkaLines(db: string, table: 'items' | 'pairs'): Promise<{ lines: string[]; records: DecodedRecord[] }> {
  const records = await readDecoded(`${db}.${db}.${table}`).catch((e: unknown) => { if (/Unknown topic/.test(String(e))) return []; throw e; });
  return { lines: [...latestState(records).values()].map(table === 'items' ? itemLine : pairLine).sort(), records };
}

function firstDifference(want: readonly string[], got: readonly string[]): string {
  const g = new Set(got);
  const w = new Set(want);
  return `${want.length} source rows, ${got.length} on Kafka; only on the source e.g. ${want.filter((l) => !g.has(l)).slice(0, 3).join('; ')}; only on Kafka e.g. ${got.filter((l) => !w.has(l)).slice(0, 3).join('; ')}`;
}

test('a CDC user without RELOAD, default snapshotLocking: lock-free under concurrent writes; Kafka latest state and a PostgreSQL target equal the source', { timeout: 300000 }, async (t) => {
  const db = uniqueName('lockfree_kafka');
  const target = await pgClient('postgres');
  t.after(async () => {
    await scenario.root.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await target.end();
  });
  await scenario.createTables(db);
  const dir = tempDir('ferry-lockfree');
  const file = scenario.task(db, dir, true);
  const log = join(dir, 'ferry.log');
  const writers = await scenario.startWriters(db);
  await sleep(300);
  const run = new FerryChild(['run', file], log);
  const sink = new FerryChild(['sink', file], log);
  try {
    assert.ok(await until(run, STARTED, 60000), `the lock-free snapshot did not start; log ${log}`);
    const atStart = writers.count();
    assert.ok(await until(run, FINISHED, 120000), `the lock-free snapshot did not finish; log ${log}`);
    const duringLoad = writers.count() - atStart;
    assert.match(run.output(), AUTO);
    assert.doesNotMatch(run.output(), /FLUSH TABLES WITH READ LOCK|LOCK TABLES/);
    await sleep(2000); // changes during CDC
    const changes = await writers.stop();
    t.diagnostic(`${changes} transactions, ${duringLoad} of them while the snapshot was read; log ${log}`);
    assert.ok(duringLoad >= 300, `only ${duringLoad} transactions ran during the snapshot`);

    // Kafka, read back independently: the latest state per key equals each table.
    for (const table of ['items', 'pairs'] as const) {
      const want = await sourceLines(db, table);
      let got: { lines: string[]; records: DecodedRecord[] } = { lines: [], records: [] };
      const deadline = Date.now() + 90000;
      while (Date.now() < deadline) {
        got = await kafkaLines(db, table);
        if (got.lines.join('\n') === want.join('\n')) break;
        await sleep(2000);
      }
      assert.equal(got.lines.length, want.length, `${table}: ${firstDifference(want, got.lines)}`);
      assert.deepEqual(got.lines, want, `${table}: ${firstDifference(want, got.lines)}`);
      if (table === 'items') {
        // Snapshot reads and streamed changes interleave: within a partition, a c/u/d comes before the last r.
        const interleaved = [0, 1, 2].some((p) => {
          const ops = got.records.filter((r) => r.raw.partition === p && r.value !== null).map((r) => r.value!.op);
          const lastRead = ops.lastIndexOf('r');
          return ops.slice(0, lastRead).some((op) => op !== 'r');
        });
        assert.ok(interleaved, 'streamed changes between the snapshot reads');
        const reads = got.records.filter((r) => r.value?.op === 'r');
        assert.ok(reads.every((r) => ['first', 'true', 'last', 'first_in_data_collection'].includes(String(r.value!.source.snapshot))), 'initial-snapshot markers, not incremental');
      }
    }
    // The PostgreSQL target, row by row.
    const source: Side = { engine: 'mariadb', client: scenario.root, schema: db };
    const tgt: Side = { engine: 'postgres', client: target as pg.Client, schema: db };
    const diff = await waitUntilEqual(source, tgt, { timeoutMs: 90000, failed: () => run.failed() ?? sink.failed() });
    assert.deepEqual(diff, [], format(diff));
  } finally {
    await writers.stop().catch(() => undefined);
    await run.stop();
    await sink.stop();
  }
});

test('kill -9 during a lock-free snapshot under writes, then a restart: it resumes after the last committed chunk and the target equals the source', { timeout: 300000 }, async (t) => {
  const db = uniqueName('lockfree_kill');
  const target = await pgClient('postgres');
  t.after(async () => {
    await scenario.root.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
    await target.end();
  });
  await scenario.createTables(db);
  const dir = tempDir('ferry-lockfree-kill');
  const file = scenario.task(db, dir, false);
  const log = join(dir, 'ferry.log');
  const writers = await scenario.startWriters(db);
  let last: FerryChild | null = null;
  try {
    await sleep(300);
    const first = new FerryChild(['run', file], log);
    assert.ok(await until(first, STARTED, 60000), `the lock-free snapshot did not start; log ${log}`);
    // Killed once a few chunks are in the target (their offsets are committed right after), well before the load is over.
    const inTarget = async () => Number((await target.query(`SELECT count(*) AS n FROM "${db}".items`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n);
    const deadline = Date.now() + 60000;
    while ((await inTarget()) < 3000 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    assert.match(first.output(), /"snapshotLocking auto/);
    assert.doesNotMatch(first.output(), FINISHED, 'the snapshot finished before the kill: make the tables bigger');
    await first.kill9();
    last = new FerryChild(['run', file], log);
    assert.ok(await until(last, /resuming the interrupted snapshot \(lock-free\) after its last committed chunk/, 60000), `no resume; log ${log}`);
    assert.match(last.output(), /"after":\[\d+\][^\n]*resuming the lock-free initial snapshot at|resuming the lock-free initial snapshot at[^\n]*"after":\[\d+\]/, 'resumed after a committed chunk, not from the start');
    assert.ok(await until(last, FINISHED, 120000), `the resumed snapshot did not finish; log ${log}`);
    await sleep(1500);
    const changes = await writers.stop();
    t.diagnostic(`${changes} transactions; log ${log}`);
    const run = last;
    const diff = await waitUntilEqual({ engine: 'mariadb', client: scenario.root, schema: db }, { engine: 'postgres', client: target, schema: db }, { timeoutMs: 90000, failed: () => run.failed() });
    assert.deepEqual(diff, [], `${format(diff)}\nlog ${log}`);
  } finally {
    await writers.stop().catch(() => undefined);
    await last?.stop();
  }
});
