/**
 * The replication stream's read-ahead bound (settings.batch.readAheadBytes, replication-stream.ts): a backlog waits
 * in the server and the kernel, not in Ferry's memory, and draining it in small reads loses, repeats or
 * checkpoints nothing wrongly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../../../../core/src/types.ts';
import { parseLsnPosition, parseLsnText } from '../../../../core/src/position.ts';
import { decodePgOutput } from '../../src/protocol/pgoutput-decoder.ts';
import { ReplicationStream } from '../../src/replication-stream.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { collect, createSchema, dataEvents, includeSchema, silentLog, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_readahead');
  await s.owner.query('CREATE TABLE drain (k int PRIMARY KEY, v text NOT NULL)');
  await s.owner.query('CREATE TABLE drain2 (k int PRIMARY KEY, v text NOT NULL)');
});

after(async () => { await s.drop(); });

/** `txs` transactions of 10 rows each (k from `from`), committed one by one in a single round trip. */
function tenRowTransactions(table: string, from: number, txs: number): string {
  const sql: string[] = [];
  for (let t = 0; t < txs; t++) {
    const k = from + t * 10;
    sql.push(`BEGIN; INSERT INTO ${s.schema}.${table} SELECT g, repeat('x', 100) FROM generate_series(${k}, ${k + 9}) g; COMMIT;`);
  }
  return sql.join(' ');
}

const READ = 64 * 1024; // one socket read
const BOUND = 1024;

test('replication stream: a backlog is read at most readAheadBytes (plus one socket read) ahead of take(); every message once', async () => {
  const slot = `${s.schema}_rs`;
  await s.admin.query(`CREATE PUBLICATION ${slot} FOR TABLE ${s.schema}.drain`);
  const { rows } = await s.admin.query<{ lsn: string }>("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  const start = parseLsnText(rows[0]!.lsn);
  await s.owner.query(tenRowTransactions('drain', 0, 300)); // 3,000 inserts of ~120 bytes: ~360 KB of pgoutput
  const cfg = sourceOptions(s.schema).config;
  const rs = await ReplicationStream.open(cfg, { slot, publication: slot, startLsn: start, durableLsn: start, protoVersion: 1, streaming: false, messages: false, statusIntervalMs: 1000, readAheadBytes: BOUND, log: silentLog });
  const ac = new AbortController();
  const seen = new Map<number, number>();
  let commits = 0;
  let takes = 0;
  let largest = 0;
  try {
    while (commits < 300) {
      // let the socket run as far ahead as it may before each take
      await new Promise((r) => setImmediate(r));
      const got = (await rs.take(ac.signal))!;
      takes++;
      let bytes = 0;
      for (const x of got) {
        if (x.kind !== 'xlogdata') continue;
        bytes += x.data.length;
        const m = decodePgOutput(x.data, { inStream: false });
        if (m.tag === 'commit') commits++;
        if (m.tag === 'insert') { const k = Number(m.newTuple[0]); seen.set(k, (seen.get(k) ?? 0) + 1); }
      }
      largest = Math.max(largest, bytes);
    }
  } finally {
    await rs.close();
    await s.admin.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
  }
  assert.equal(commits, 300);
  assert.equal(seen.size, 3000);
  assert.ok([...seen.values()].every((n) => n === 1), 'every row once');
  for (let k = 0; k < 3000; k++) assert.equal(seen.get(k), 1);
  assert.ok(largest <= BOUND + 2 * READ, `a take held ${largest} bytes`);
  assert.ok(takes >= 3, `the ~360 KB backlog came in ${takes} takes`);
});

test('cdc with a small readAheadBytes: a backlog of 10-row transactions drains with every row once; no checkpoint inside a transaction or past one still to come', async () => {
  const opts = sourceOptions(s.schema, {
    // no heartbeat messages: one logged between a transaction's changes would checkpoint past them (correct, the
    // transaction is sent again from its start after a restart there, but not what this test measures)
    heartbeatIntervalMs: 0,
    migrationType: 'cdc', taskName: `${s.schema}_src`, selector: createTableSelector(includeSchema(s.schema, ['drain'])),
    settings: { snapshot: { chunkSize: 100, parallelism: 1 }, batch: { maxEvents: 25, readAheadBytes: BOUND } },
  });
  let wrote: Promise<unknown> | null = null;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'drain2').length >= 2000, {
    onBatch: () => { wrote ??= s.owner.query(tenRowTransactions('drain2', 0, 200)); },
  });
  await wrote;
  const rows = dataEvents(batches, 'drain2');
  assert.equal(rows.length, 2000);
  const ks = rows.map((e) => (e.after as { k: number }).k);
  assert.deepEqual(ks, Array.from({ length: 2000 }, (_, i) => i), 'every row once, in commit order');
  // An event's transaction is known by its commit LSN (source.position). A checkpoint must be past the commit of every
  // event delivered so far and not past the commit of any still to come: PostgreSQL sends again, from its start, every
  // transaction whose commit record is at or after the acknowledged position. (Not the events' own change LSNs: on
  // PostgreSQL 13, with no heartbeat messages, a checkpoint may be a walsender keepalive's position, which can lie past
  // the first changes of a transaction still open on the server; that transaction commits after it and is sent again.)
  const lsnOf = (e: ChangeEvent) => parseLsnPosition(e.source.position!);
  let delivered = 0;
  let last = 0n;
  for (const [i, b] of batches.entries()) {
    delivered += b.events.length;
    if (b.checkpoint === null || i === 0) continue;
    const at = parseLsnPosition(b.checkpoint);
    assert.ok(at > last, 'checkpoints move forward');
    last = at;
    const done = batches.slice(0, i + 1).flatMap((x) => x.events);
    const later = batches.slice(i + 1).flatMap((x) => x.events);
    assert.ok(done.every((e) => lsnOf(e) < at), `batch ${i}: checkpoint behind an event delivered`);
    assert.ok(later.every((e) => lsnOf(e) >= at), `batch ${i}: checkpoint past the commit of an event not yet delivered`);
    assert.equal(delivered % 10, 0, `batch ${i}: checkpointed within a transaction`);
  }
  assert.equal(batches.at(-1)!.checkpoint !== null, true);
});
