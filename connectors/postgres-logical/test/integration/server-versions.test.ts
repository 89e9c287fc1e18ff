// What the server's version gives the source (src/server-features.ts), against whichever server FERRY_POSTGRES_PORT
// points at (the main PostgreSQL 15, or 13 and 17 from infra/pg-versions.sh): failover slots on 17+ (read back from
// pg_replication_slots), and the refusals where the version lacks a feature (failover slots before 17, logical
// decoding messages for the outbox on 13), each naming the option and the fix, with nothing created on the server.
// Logical decoding on a standby (16+) runs when FERRY_POSTGRES_STANDBY_PORT names a hot standby of that server
// (infra/pg-versions.sh standby 17; scripts/test-pg-versions.sh sets it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { FerryError } from '../../../../core/src/errors.ts';
import { parseLsnPosition, parseLsnText } from '../../../../core/src/position.ts';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { PgSource } from '../../src/PgSource.ts';
import { collect, createSchema, dataEvents, DATABASE, serverVersionNum, slotRow, sourceOptions, type TestSchema } from './helpers.ts';

const version = await serverVersionNum();
const STANDBY_PORT = process.env.FERRY_POSTGRES_STANDBY_PORT ? Number(process.env.FERRY_POSTGRES_STANDBY_PORT) : null;
let s: TestSchema;

before(async () => {
  s = await createSchema('pgversions');
  await s.owner.query('CREATE TABLE items (id int PRIMARY KEY, label varchar(40) NOT NULL)');
  await s.owner.query("INSERT INTO items VALUES (1, 'one')");
});

after(async () => { await s.drop(); });

/** The first error the source's read() throws (or null if it yields a batch first). */
async function startError(source: PgSource): Promise<unknown> {
  const ac = new AbortController();
  try {
    for await (const _ of source.read({ signal: ac.signal, log: sourceOptions(s.schema).log, metrics: sourceOptions(s.schema).metrics, resumeFrom: null })) return null;
    return null;
  } catch (e: unknown) {
    return e;
  } finally {
    ac.abort();
    await source.close();
  }
}

test('failoverSlot on PostgreSQL 17+: the slot Ferry creates is a failover slot; an existing slot is made one', { skip: version < 170000 && 'needs PostgreSQL 17' }, async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_fo` });
  const fo = { ...opts, config: { ...opts.config, failoverSlot: true } };
  const slot = `ferry_${s.schema}_fo`;
  await collect(fo, null, (b) => b.some((x) => x.snapshotDone === true));
  const read = async () => (await s.admin.query<{ failover: string }>('SELECT failover::text AS failover FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]?.failover;
  assert.equal(await read(), 'true', 'created with FAILOVER');
  // an existing ordinary slot: altered at the next start
  await s.admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
  await s.admin.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  assert.equal(await read(), 'false');
  await collect(fo, null, (b) => b.some((x) => x.snapshotDone === true));
  assert.equal(await read(), 'true', 'altered with ALTER_REPLICATION_SLOT (FAILOVER true)');
});

test('failoverSlot before PostgreSQL 17: refused, naming the option, the version and the fix; no slot is created', { skip: version >= 170000 && 'PostgreSQL 17 has failover slots' }, async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'full-load-and-cdc', taskName: `${s.schema}_nofo` });
  const e = await startError(new PgSource({ ...opts, config: { ...opts.config, failoverSlot: true } }));
  assert.ok(e instanceof FerryError, String(e));
  assert.equal(e.code, 'FERRY_UNSUPPORTED');
  assert.match(e.message, new RegExp(`^source\\.failoverSlot needs PostgreSQL 17 or later .* this server is PostgreSQL ${Math.floor(version / 10000)}\\.\\d+\\. Remove source\\.failoverSlot`));
  assert.equal(await slotRow(s.admin, `ferry_${s.schema}_nofo`), undefined, 'no slot was created');
});

test('an outbox messagePrefix on PostgreSQL 13: refused (no logical decoding messages), naming the outbox table alternative', { skip: version >= 140000 && 'PostgreSQL 14+ sends messages (logical-messages.test.ts)' }, async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_msg`, settings: { ...sourceOptions(s.schema).settings, outbox: [{ messagePrefix: 'ob' }] } });
  const e = await startError(new PgSource(opts));
  assert.ok(e instanceof FerryError, String(e));
  assert.equal(e.code, 'FERRY_UNSUPPORTED');
  assert.match(e.message, /^settings\.outbox messagePrefix \("ob"\) needs PostgreSQL 14 or later: PostgreSQL 13\.\d+'s pgoutput does not send logical decoding messages .*Use an outbox table instead/);
  assert.equal(await slotRow(s.admin, `ferry_${s.schema}_msg`), undefined, 'no slot was created');
});

test('PostgreSQL 13: with no heartbeat messages, an idle stream still checkpoints (at the walsender\'s keepalive positions) and the slot follows', { skip: version >= 140000 && 'PostgreSQL 14+ checkpoints at heartbeat messages (slot-safety.test.ts)' }, async () => {
  const opts = sourceOptions(s.schema, { migrationType: 'cdc', taskName: `${s.schema}_ka`, heartbeatIntervalMs: 300, statusIntervalMs: 300 });
  const slot = `ferry_${s.schema}_ka`;
  let noiseEnd: bigint | null = null;
  const { batches } = await collect(opts, null, (b) => noiseEnd !== null && b.some((x) => x.checkpoint !== null && parseLsnPosition(x.checkpoint) >= noiseEnd!), {
    timeoutMs: 20000,
    onBatch: async (b) => {
      if (b.snapshotDone && noiseEnd === null) {
        // writes to a table that is not captured: the WAL moves, no captured change comes
        await s.admin.query('CREATE TABLE IF NOT EXISTS public.pgversions_noise (x int)');
        await s.admin.query('INSERT INTO public.pgversions_noise SELECT generate_series(1, 1000)');
        noiseEnd = parseLsnText((await s.admin.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l);
      }
    },
  });
  await s.admin.query('DROP TABLE IF EXISTS public.pgversions_noise');
  assert.ok(noiseEnd !== null);
  assert.equal(dataEvents(batches, 'items').length, 0, 'no captured change');
  const last = batches.at(-1)!;
  assert.deepEqual(last.events, [], 'an empty batch: a checkpoint only');
  assert.ok(parseLsnPosition(last.checkpoint!) >= noiseEnd, `checkpoint ${last.checkpoint} is past the uncaptured writes`);
  // the source acknowledged it (collect does, as the pipeline would): the slot released the WAL up to there
  let confirmed = 0n;
  for (let i = 0; i < 50 && confirmed < noiseEnd; i++) {
    confirmed = parseLsnText((await slotRow(s.admin, slot))!.confirmed_flush_lsn);
    if (confirmed < noiseEnd) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(confirmed >= noiseEnd, `slot confirmed_flush_lsn moved past the uncaptured writes (${confirmed} >= ${noiseEnd})`);
});

test('logical decoding on a standby (PostgreSQL 16+): a full-load-and-cdc task reads the standby: the snapshot, then changes made on the primary', { skip: (version < 160000 && 'needs PostgreSQL 16') || (STANDBY_PORT === null && 'set FERRY_POSTGRES_STANDBY_PORT to a hot standby of this server (infra/pg-versions.sh standby 17)') }, async () => {
  const standby = new pg.Client({ host: '127.0.0.1', port: STANDBY_PORT!, user: 'cdc', password: 'cdc', database: DATABASE });
  await standby.connect();
  try {
    assert.equal((await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r, true, 'a standby');
    // the publication is made on the primary (a standby is read-only) and named in the task
    const pub = `${s.schema}_pub`;
    await s.owner.query(`CREATE PUBLICATION ${pub} FOR TABLE ${s.schema}.items`);
    await waitReplayed(s.admin, standby);
    const opts = sourceOptions(s.schema, { migrationType: 'full-load-and-cdc', taskName: `${s.schema}_sb`, publicationName: pub, heartbeatIntervalMs: 500 });
    const onStandby = { ...opts, config: { ...opts.config, port: STANDBY_PORT!, password: new Secret('cdc') } };
    // without publicationName Ferry would have to create its publication there: refused, saying how
    const managed = await startError(new PgSource({ ...onStandby, publicationName: undefined as unknown as string, taskName: `${s.schema}_sbm` }));
    assert.ok(managed instanceof FerryError && managed.code === 'FERRY_CONFIG_INVALID', String(managed));
    assert.match(managed.message, /is a standby \(in recovery\), where Ferry cannot create its publication: create it on the primary .* source\.publicationName/);
    // slot creation on a standby waits for a running-transactions record from the primary: ask for one until it is made
    const nudge = setInterval(() => { s.admin.query('SELECT pg_log_standby_snapshot()').catch(() => undefined); }, 200);
    let inserted = false;
    try {
      const { batches } = await collect(onStandby, null, (b) => dataEvents(b, 'items').length >= 3, {
        timeoutMs: 30000,
        onBatch: async (b) => {
          if (b.snapshotDone && !inserted) {
            inserted = true;
            await s.owner.query("INSERT INTO items VALUES (2, 'two')");
            await s.owner.query("UPDATE items SET label = 'uno' WHERE id = 1");
          }
        },
      });
      assert.deepEqual(dataEvents(batches, 'items').map((e) => [e.op, e.after]), [['r', { id: 1, label: 'one' }], ['c', { id: 2, label: 'two' }], ['u', { id: 1, label: 'uno' }]]);
      const slots = (await standby.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots')).rows.map((r) => r.slot_name);
      assert.ok(slots.includes(`ferry_${s.schema}_sb`), `the slot is on the standby: ${slots.join(', ')}`);
    } finally {
      clearInterval(nudge);
      await standby.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [`ferry_${s.schema}_sb`]).catch(() => undefined);
    }
  } finally {
    await standby.end();
  }
});

/** Waits until the standby has replayed the primary's current WAL position. */
async function waitReplayed(primary: pg.Client, standby: pg.Client): Promise<void> {
  const at = (await primary.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l;
  for (let i = 0; i < 100; i++) {
    const ok = (await standby.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [at])).rows[0]!.ok;
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the standby did not replay ${at} within 10 s`);
}
