// pg_logical_emit_message for the outbox (settings.outbox messagePrefix): the source passes on exactly the messages
// with a configured prefix in ChangeBatch.messages — a transactional one only once its transaction committed (also
// when PostgreSQL streamed the transaction while in progress and Ferry spilled it), a non-transactional one in a batch
// checkpointed at its own LSN — and nothing else of the batches changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLsnPosition } from '../../../../core/src/position.ts';
import type { ChangeBatch, SourceMessage } from '../../../../core/src/types.ts';
import { PgSource } from '../../src/PgSource.ts';
import { createSchema, serverVersionNum, sourceOptions, type TestSchema } from './helpers.ts';

// PostgreSQL 13's pgoutput sends no logical decoding messages: there the source refuses a messagePrefix
// (server-versions.test.ts asserts the refusal).
const noMessages = (await serverVersionNum()) < 140000 && 'needs PostgreSQL 14+ (pgoutput messages option)';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_messages');
  await s.owner.query('CREATE TABLE state (id int PRIMARY KEY, label text NOT NULL)');
  await s.owner.query('ALTER TABLE state REPLICA IDENTITY FULL');
});

after(async () => { await s.drop(); });

test('messages with a configured prefix follow their transaction; rolled-back ones never appear; streamed ones on replay', { skip: noMessages }, async () => {
  const opts = sourceOptions(s.schema, {
    migrationType: 'cdc', replicationSettings: { logical_decoding_work_mem: '64kB' },
    settings: { snapshot: { chunkSize: 1000, parallelism: 1 }, batch: { maxEvents: 500 }, outbox: [{ messagePrefix: 'ob' }, { messagePrefix: 'ob2' }] },
  });
  const source = new PgSource(opts);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 60000);
  const got: { m: SourceMessage; batch: ChangeBatch }[] = [];
  let events = 0;
  const emit = (tx: boolean, prefix: string, n: string) => `SELECT pg_logical_emit_message(${tx}, '${prefix}', '{"n":"${n}"}')`;
  const act = async () => {
    const o = s.owner;
    // committed: a row and its messages (one of a prefix nobody asked for)
    await o.query('BEGIN');
    await o.query("INSERT INTO state VALUES (1, 'one')");
    await o.query(emit(true, 'ob', 'a1'));
    await o.query(emit(true, 'other', 'x'));
    await o.query(emit(true, 'ob2', 'a2'));
    await o.query('COMMIT');
    // rolled back
    await o.query('BEGIN');
    await o.query("INSERT INTO state VALUES (2, 'two')");
    await o.query(emit(true, 'ob', 'rolled-back'));
    await o.query('ROLLBACK');
    // non-transactional, inside a transaction that rolls back: written at once, so passed on
    await o.query('BEGIN');
    await o.query(emit(false, 'ob', 'nontx'));
    await o.query('ROLLBACK');
    // large transactions (over logical_decoding_work_mem: streamed while in progress): one commits, one aborts
    await o.query('BEGIN');
    await o.query("INSERT INTO state SELECT g, repeat('x', 100) FROM generate_series(1000, 5999) g");
    await o.query(`SELECT pg_logical_emit_message(true, 'ob', '{"n":"big-' || g || '"}') FROM generate_series(1, 300) g`);
    await o.query('COMMIT');
    await o.query('BEGIN');
    await o.query("INSERT INTO state SELECT g, repeat('y', 100) FROM generate_series(10000, 14999) g");
    await o.query(emit(true, 'ob', 'big-rolled-back'));
    await o.query('ROLLBACK');
    await o.query("INSERT INTO state VALUES (99999, 'marker')");
  };
  let acting: Promise<void> | null = null;
  try {
    for await (const b of source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })) {
      acting ??= act();
      for (const m of b.messages ?? []) got.push({ m, batch: b });
      events += b.events.length;
      if (b.checkpoint) await source.acknowledge(b.checkpoint);
      if (b.events.some((e) => e.after?.id === 99999)) break;
    }
    await acting;
    // The large transactions went through PostgreSQL's in-progress streaming (hence Ferry's spill file).
    const stats = await s.admin.query<{ stream_txns: string }>('SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = $1', [source.slot]);
    assert.ok(Number(stats.rows[0]?.stream_txns ?? 0) >= 1, `streamed transactions: ${JSON.stringify(stats.rows)}`);
  } finally {
    clearTimeout(timer);
    await source.close();
  }
  const content = got.map((g) => JSON.parse(g.m.content.toString()).n as string);
  assert.deepEqual(content, ['a1', 'a2', 'nontx', ...Array.from({ length: 300 }, (_, i) => `big-${i + 1}`)]);
  assert.deepEqual(got.map((g) => g.m.prefix).slice(0, 3), ['ob', 'ob2', 'ob']);
  assert.equal(events, 1 + 5000 + 1, 'the events are as without messages: the committed rows and the marker');
  const [a1, a2, nontx] = got;
  assert.equal(a1!.m.transactional, true);
  assert.equal(a1!.m.txId, a2!.m.txId, 'messages of one transaction carry its id');
  assert.ok(a1!.batch.events.some((e) => e.after?.id === 1), 'a transactional message travels in a batch of its transaction');
  assert.equal(nontx!.m.transactional, false);
  assert.equal(nontx!.m.txId, undefined);
  assert.deepEqual(nontx!.batch.events, []);
  assert.equal(parseLsnPosition(nontx!.batch.checkpoint!), parseLsnPosition(nontx!.m.position), 'a non-transactional message is checkpointed at its own LSN');
  const big = got.slice(3);
  assert.ok(big.every((g) => g.m.transactional && g.m.txId === big[0]!.m.txId));
});
