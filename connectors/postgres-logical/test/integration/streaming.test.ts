import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import type { ChangeBatch, ChangeEvent } from '../../../../core/src/types.ts';
import { formatLsnText, parseLsnPosition, parseLsnText } from '../../../../core/src/position.ts';
import { PgSource } from '../../src/PgSource.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { collect, createSchema, dataEvents, events, includeSchema, silentLog, slotRow, sourceOptions, type TestSchema } from './helpers.ts';
import { ReplicationStream } from '../../src/replication-stream.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_stream');
  await s.owner.query('CREATE TABLE kv (k int PRIMARY KEY, v varchar(20) NOT NULL, n int)');
  await s.owner.query('CREATE TABLE other (k int PRIMARY KEY)');
  await s.owner.query('CREATE TABLE notes (id bigint PRIMARY KEY, body text)');
  await s.owner.query('ALTER TABLE notes REPLICA IDENTITY FULL');
});

after(async () => { await s.drop(); });

test('cdc: insert, update, delete, key change, truncate, a transaction split in batches; excluded tables stay out', async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', selector: createTableSelector(includeSchema(s.schema, ['other'])), settings: { snapshot: { chunkSize: 100, parallelism: 1 }, batch: { maxEvents: 100 } } });
  let started: Promise<void> | null = null;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'kv').some((e) => e.after?.v === 'last'), {
    onBatch: () => {
      started ??= (async () => {
        await s.owner.query("INSERT INTO kv VALUES (1, 'one', NULL), (2, 'two', 2)");
        await s.owner.query("UPDATE kv SET v = 'uno' WHERE k = 1");
        await s.owner.query('DELETE FROM kv WHERE k = 2');
        await s.owner.query('INSERT INTO other VALUES (1)');
        await s.owner.query('UPDATE kv SET k = 10 WHERE k = 1');
        await s.owner.query("INSERT INTO notes VALUES (1, 'n1')");
        await s.owner.query('UPDATE notes SET body = NULL');
        await s.owner.query('TRUNCATE kv, notes');
        await s.owner.query("INSERT INTO kv SELECT g, 'b' || g, g FROM generate_series(100, 349) g");
        await s.owner.query("INSERT INTO kv VALUES (1000, 'last', 0)");
      })();
    },
  });
  await started;
  assert.equal(batches[0]!.events.length, 0);
  assert.equal(batches[0]!.snapshotDone, true);
  const all = events(batches);
  assert.ok(all.every((e) => e.table.id.table !== 'other'), 'an excluded table gives no events');
  const kv = dataEvents(batches, 'kv');
  const head = kv.slice(0, 7);
  assert.deepEqual(head.map((e) => e.op), ['c', 'c', 'u', 'd', 'd', 'c', 't']);
  assert.deepEqual(head[0]!.after, { k: 1, v: 'one', n: null });
  assert.deepEqual(head[0]!.key, { k: 1 });
  assert.deepEqual(head[2]!.before, null, 'REPLICA IDENTITY DEFAULT: no before image of an update');
  assert.deepEqual(head[2]!.after, { k: 1, v: 'uno', n: null });
  // DEFAULT identity: the delete carries the key; NOT NULL columns get Debezium's fallback, nullable ones null.
  assert.deepEqual(head[3]!.before, { k: 2, v: '', n: null });
  assert.deepEqual(head[3]!.key, { k: 2 });
  // A key change: delete of the old key (with the old key image), create of the new one.
  assert.deepEqual(head[4]!.key, { k: 1 });
  assert.deepEqual(head[5]!.key, { k: 10 });
  assert.deepEqual(head[5]!.after, { k: 10, v: 'uno', n: null });
  assert.equal(head[6]!.key, null);
  assert.equal(head[6]!.before, null);
  const notes = dataEvents(batches, 'notes');
  assert.deepEqual(notes.map((e) => e.op), ['c', 'u', 't']);
  assert.deepEqual(notes[1]!.before, { id: 1, body: 'n1' }, 'REPLICA IDENTITY FULL: the whole old row');
  assert.deepEqual(notes[1]!.after, { id: 1, body: null });
  // The 250-row transaction arrives in batches of at most 100, only the last one checkpointed.
  // (Transactions committed within one read share a batch, so the last one may carry later transactions too.)
  const isBulk = (e: ChangeEvent) => e.table.id.table === 'kv' && e.op === 'c' && (e.key?.k as number) >= 100 && (e.key?.k as number) < 350;
  const bulk = batches.filter((b) => b.events.some(isBulk));
  assert.deepEqual(bulk.map((b) => b.events.filter(isBulk).length), [100, 100, 50]);
  assert.deepEqual(bulk.slice(0, 2).map((b) => b.events.length), [100, 100], 'the open transaction\'s batches hold nothing else');
  assert.deepEqual(bulk.map((b) => b.checkpoint === null), [true, true, false]);
  // Source block: commit time, txId, lsn, sequence; checkpoints strictly ordered.
  const e = head[0]!;
  assert.equal(e.source.connector, 'postgresql');
  assert.equal(e.source.db, 'shop');
  assert.equal(e.source.schema, s.schema);
  assert.equal(e.source.table, 'kv');
  assert.equal(e.source.snapshot, 'false');
  assert.match(e.source.txId!, /^\d+$/);
  assert.ok(Math.abs(e.source.tsMs - Date.now()) < 60000);
  const lsn = e.source.extra!.lsn as number;
  assert.ok(Number.isSafeInteger(lsn) && lsn > 0);
  const seq = JSON.parse(e.source.extra!.sequence as string) as [string, string];
  assert.equal(seq[1], String(lsn));
  assert.ok(BigInt(seq[0]) <= BigInt(lsn));
  assert.equal(e.source.extra!.xmin, null);
  assert.equal(head[1]!.source.txId, e.source.txId, 'one transaction, one txId');
  const cps = batches.map((b) => b.checkpoint).filter((c): c is NonNullable<ChangeBatch['checkpoint']> => c !== null).map(parseLsnPosition);
  for (let i = 1; i < cps.length; i++) assert.ok(cps[i]! >= cps[i - 1]!, 'checkpoints never go back');
  // Acknowledged checkpoints reached the slot.
  const row = await slotRow(s.admin, opts.slotName ?? `ferry_${s.schema}`);
  assert.ok(row);
  assert.ok(parseLsnPosition(batches.at(-1)!.checkpoint!) >= 0n);
});

test('acknowledgement: the slot only ever advances to acknowledged positions, never to merely received ones', async () => {
  await s.owner.query('CREATE TABLE acks (k int PRIMARY KEY)');
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_acks`, heartbeatIntervalMs: 0, statusIntervalMs: 200, selector: createTableSelector(includeSchema(s.schema, ['kv', 'other', 'notes'])) });
  const source = new PgSource(opts);
  const ac = new AbortController();
  const slot = `ferry_${s.schema}_acks`;
  const it = source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })[Symbol.asyncIterator]();
  try {
    const first = (await it.next()).value as ChangeBatch;
    const start = first.checkpoint!;
    await s.owner.query('INSERT INTO acks VALUES (1)');
    await s.owner.query('INSERT INTO acks VALUES (2)');
    const received: ChangeBatch[] = [];
    while (received.flatMap((b) => b.events).length < 2) received.push((await it.next()).value as ChangeBatch);
    // Several status intervals pass and keepalives are answered: still the start position (nothing acknowledged).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await slotRow(s.admin, slot))!.confirmed_flush_lsn, formatLsnText(parseLsnPosition(start)));
    const firstTx = received.find((b) => b.events.length > 0)!.checkpoint!;
    await source.acknowledge(firstTx);
    await waitFor(async () => (await slotRow(s.admin, slot))!.confirmed_flush_lsn === formatLsnText(parseLsnPosition(firstTx)));
    // A position behind the durable one is ignored.
    await source.acknowledge(start);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await slotRow(s.admin, slot))!.confirmed_flush_lsn, formatLsnText(parseLsnPosition(firstTx)));
  } finally {
    ac.abort();
    await it.return?.(undefined);
    await source.close();
  }
});

test('transactions read together share a batch, checkpointed at the last commit', async () => {
  await s.owner.query('CREATE TABLE burst (k int PRIMARY KEY)');
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_burst`, heartbeatIntervalMs: 0, selector: createTableSelector(includeSchema(s.schema, ['kv', 'other', 'notes', 'acks'])) });
  const source = new PgSource(opts);
  const ac = new AbortController();
  const it = source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })[Symbol.asyncIterator]();
  try {
    const first = (await it.next()).value as ChangeBatch;
    assert.equal(first.events.length, 0);
    // A first transaction, then five more while the consumer does not pull: the replication connection keeps
    // reading them into its queue, and the next pull takes all five at once.
    // (past empty checkpoint batches: on PostgreSQL 13 the walsender's keepalives checkpoint an idle stream)
    const primed = (async () => { for (;;) { const b = (await it.next()).value as ChangeBatch; if (b.events.length > 0) return b; } })();
    await s.owner.query('INSERT INTO burst VALUES (0)');
    assert.deepEqual((await primed).events.map((e) => e.after?.k), [0]);
    for (let k = 1; k <= 5; k++) await s.owner.query('INSERT INTO burst VALUES ($1)', [k]);
    const { rows: [end] } = await s.admin.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    await waitFor(async () => ['t', 'true'].includes(String((await s.admin.query<{ sent: unknown }>('SELECT sent_lsn >= $1::pg_lsn AS sent FROM pg_stat_replication WHERE application_name = $2', [end!.lsn, `ferry:ferry_${s.schema}_burst`])).rows[0]?.sent)));
    await new Promise((r) => setTimeout(r, 300));
    const received: ChangeBatch[] = [];
    while (received.flatMap((b) => b.events).length < 5) received.push((await it.next()).value as ChangeBatch);
    // Usually one read, hence one batch; the socket may hand them over in two reads now and then (seen 1 in 12), so
    // the test asks for fewer batches than transactions (one per transaction before) rather than exactly one.
    const withEvents = received.filter((b) => b.events.length > 0);
    assert.ok(withEvents.length < 5, `the five transactions share batches, got ${JSON.stringify(received.map((b) => b.events.length))}`);
    assert.deepEqual(withEvents.flatMap((b) => b.events.map((e) => e.after?.k)), [1, 2, 3, 4, 5]);
    assert.equal(new Set(withEvents.flatMap((b) => b.events.map((e) => e.source.txId))).size, 5);
    for (const batch of withEvents) {
      const lsns = batch.events.map((e) => BigInt(e.source.extra!.lsn as number));
      assert.ok(batch.checkpoint !== null && parseLsnPosition(batch.checkpoint) > lsns.at(-1)!, 'each batch is checkpointed past its last commit');
    }
  } finally {
    ac.abort();
    await it.return?.(undefined);
    await source.close();
  }
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('replication stream: take() keeps one abort listener across waits, an abort ends a waiting take(), close() removes it', async () => {
  const slot = `${s.schema}_abort`;
  await s.admin.query(`CREATE PUBLICATION ${slot} FOR TABLE ${s.schema}.other`);
  const { rows } = await s.admin.query<{ lsn: string }>("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  const start = parseLsnText(rows[0]!.lsn);
  const cfg = sourceOptions(s.schema).config;
  const rs = await ReplicationStream.open(cfg, { slot, publication: slot, startLsn: start, durableLsn: start, protoVersion: 1, streaming: false, messages: false, statusIntervalMs: 1000, log: silentLog });
  const ac = new AbortController();
  try {
    for (let i = 0; i < 3; i++) {
      await s.owner.query(`INSERT INTO other VALUES (${2000 + i})`);
      let got = 0;
      while (got < 3) got += (await rs.take(ac.signal))!.length; // begin, insert, commit
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    }
    const waiting = rs.take(ac.signal);
    ac.abort();
    assert.equal(await waiting, null);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    const other = new AbortController();
    assert.equal(await Promise.race([rs.take(other.signal), new Promise((r) => setImmediate(() => r('waiting')))]), 'waiting');
    assert.equal(getEventListeners(other.signal, 'abort').length, 1);
    await rs.close();
    assert.equal(getEventListeners(other.signal, 'abort').length, 0);
  } finally {
    await rs.close();
  }
});
