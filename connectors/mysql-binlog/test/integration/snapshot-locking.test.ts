// settings.snapshotLocking against the real server, with users made for the test: one without RELOAD (as on RDS), one
// with LOCK TABLES but no RELOAD. auto picks lock-free without RELOAD; global without RELOAD and tables without LOCK
// TABLES fail naming the privilege and the alternatives; tables and global work; an interrupted lock-free snapshot
// resumes after its last committed chunk. (Concurrent writes, Kafka and a PostgreSQL target: test/e2e/lockfree-snapshot.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { FerryError } from '../../../../core/src/errors.ts';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import type { ChangeBatch } from '../../../../core/src/types.ts';
import { readIncrementalState } from '../../src/incremental-snapshot.ts';
import { grantsIncludeReload } from '../../src/snapshot-locking.ts';
import { parseGrant, type Grant } from '../../src/catalog-privileges.ts';

const parsed = (lines: string[]): Grant[] => lines.map(parseGrant).filter((g): g is Grant => g !== null);
import { admin, collect, createDatabase, events, memoryLog, sourceOptions } from './helpers.ts';

const ROWS = 5000;
const suffix = randomBytes(3).toString('hex');
const NO_RELOAD = `lockfree_norl_${suffix}`;
const LOCKER = `lockfree_lock_${suffix}`;
let keyed: Awaited<ReturnType<typeof createDatabase>>;
let mixed: Awaited<ReturnType<typeof createDatabase>>;
let root: mysql.Connection;

before(async () => {
  root = await admin();
  for (const [user, extra] of [[NO_RELOAD, ''], [LOCKER, ', LOCK TABLES']] as const) {
    for (const host of ['127.0.0.1', 'localhost']) {
      await root.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY 'pw'`);
      // As on RDS: no RELOAD, no SUPER (REPLICATION CLIENT is BINLOG MONITOR on MariaDB 10.5+).
      await root.query(`GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR${extra} ON *.* TO '${user}'@'${host}'`);
    }
  }
  keyed = await createDatabase('lockfree_it');
  await keyed.conn.query('CREATE TABLE items (id INT PRIMARY KEY, v INT NOT NULL)');
  await keyed.conn.query('INSERT INTO items SELECT seq, seq * 10 FROM seq_1_to_5000');
  mixed = await createDatabase('lockfree_itk');
  await mixed.conn.query('CREATE TABLE items (id INT PRIMARY KEY, v INT NOT NULL)');
  await mixed.conn.query('INSERT INTO items SELECT seq, seq FROM seq_1_to_300');
  await mixed.conn.query('CREATE TABLE nokey (a INT, b INT)');
  await mixed.conn.query('INSERT INTO nokey SELECT seq, seq FROM seq_1_to_200');
});

after(async () => {
  for (const user of [NO_RELOAD, LOCKER]) for (const host of ['127.0.0.1', 'localhost']) await root.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
  await root.end();
  await keyed.drop();
  await mixed.drop();
});

const as = (user: string) => ({ user, password: new Secret('pw') });

async function options(db: string, user: string, locking: 'auto' | 'global' | 'tables' | 'none' | undefined, log = memoryLog(), chunkSize = 1000) {
  const o = await sourceOptions(db, { log });
  return { ...o, config: { ...o.config, ...as(user) }, settings: { ...o.settings, snapshot: { chunkSize, parallelism: 2 }, ...(locking ? { snapshotLocking: locking } : {}) } };
}

const done = (bs: ChangeBatch[]) => bs.some((b) => b.snapshotDone);
const reads = (bs: ChangeBatch[]) => events(bs).filter((e) => e.op === 'r');
const ids = (bs: ChangeBatch[]) => reads(bs).map((e) => Number(e.key!.id)).sort((a, b) => a - b);
const lines = (log: ReturnType<typeof memoryLog>) => log.lines.map((l) => l.msg ?? '').join('\n');

test('SHOW GRANTS: RELOAD or ALL on *.* counts, elsewhere not', () => {
  assert.equal(grantsIncludeReload(parsed(['GRANT SELECT, RELOAD, REPLICATION SLAVE ON *.* TO `u`@`%`'])), true);
  assert.equal(grantsIncludeReload(parsed(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'])), true);
  assert.equal(grantsIncludeReload(parsed(['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `u`@`%`', 'GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`'])), false);
  assert.equal(grantsIncludeReload(parsed(['GRANT USAGE ON *.* TO `u`@`%`'])), false);
});

test('auto without RELOAD: lock-free, every row once as op r with the initial markers, a change during the load streamed in between, snapshotDone at the end', async () => {
  const log = memoryLog();
  const o = await options(keyed.db, NO_RELOAD, undefined, log, 700);
  let changed = false;
  const { batches, offset } = await collect(o, null, (bs) => {
    if (!changed && reads(bs).length > 0) {
      changed = true;
      void keyed.conn.query('UPDATE items SET v = -1 WHERE id = 4999');
    }
    return done(bs);
  }, 60000);
  assert.match(lines(log), /snapshotLocking auto: the user lockfree_norl_\w+@\S+ has no RELOAD privilege .*lock-free/);
  assert.match(lines(log), /lock-free snapshot of 1 tables from /);
  assert.ok(batches[0]!.commitNow, 'the stream start is committed before the first row');
  assert.deepEqual(readIncrementalState(batches[0]!.state).map((j) => [j.id, j.initial, j.tables]), [['initial-snapshot', true, [`${keyed.db}.items`]]]);
  assert.deepEqual(ids(batches), Array.from({ length: ROWS }, (_, i) => i + 1).filter((id) => id !== 4999 || reads(batches).some((e) => e.key!.id === 4999)));
  const all = events(batches);
  assert.equal(all.filter((e) => e.op === 'r').at(0)!.source.snapshot, 'first');
  assert.equal(all.filter((e) => e.op === 'r').at(-1)!.source.snapshot, 'last');
  // The update is streamed (op u) before the chunk holding 4999 is emitted, and that chunk does not carry an older v.
  const u = all.findIndex((e) => e.op === 'u' && e.key!.id === 4999);
  assert.ok(u >= 0 && u < all.findIndex((e) => e.op === 'r' && e.source.snapshot === 'last'), 'the update streamed while the snapshot ran');
  const r4999 = all.find((e) => e.op === 'r' && e.key!.id === 4999);
  if (r4999) assert.equal(r4999.after!.v, -1);
  assert.equal(offset!.snapshotDone, true);
  assert.equal(readIncrementalState(offset!.state).length, 0);
  assert.equal(batches.filter((b) => b.snapshotDone).length, 1);
  assert.match(lines(log), /snapshot finished: \d+ rows in .* \(lock-free\)/);
  await keyed.conn.query('UPDATE items SET v = 49990 WHERE id = 4999');
});

test('lock-free: a restart resumes after the last committed chunk (nothing read twice, nothing skipped)', async () => {
  const o = await options(keyed.db, NO_RELOAD, 'none', memoryLog(), 500);
  const first = await collect(o, null, (bs) => reads(bs).length >= 1500 && bs.at(-1)!.checkpoint !== null, 60000);
  const job = readIncrementalState(first.offset!.state)[0]!;
  assert.equal(job.initial, true);
  const after = Number(job.after![0]);
  assert.equal(first.offset!.snapshotDone, false);
  const o2 = { ...(await options(keyed.db, NO_RELOAD, 'none', memoryLog(), 500)), stateDir: o.stateDir };
  const second = await collect(o2, first.offset, done, 60000);
  const committed = ids(first.batches).filter((id) => id <= after);
  assert.deepEqual([...committed, ...ids(second.batches)], Array.from({ length: ROWS }, (_, i) => i + 1));
  assert.equal(second.offset!.snapshotDone, true);
});

test('none refuses a table without a primary key, naming it and the fixes; auto on MariaDB reads such tables in snapshot transactions', async () => {
  await assert.rejects(collect(await options(mixed.db, NO_RELOAD, 'none'), null, done), (e: unknown) => {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'FERRY_SOURCE_PREREQUISITE');
    assert.match(e.message, new RegExp(`${mixed.db}\\.nokey has no primary key`));
    assert.match(e.message, /settings\.snapshotLocking: tables \(GRANT LOCK TABLES\) or global \(GRANT RELOAD\)/);
    return true;
  });
  const log = memoryLog();
  const { batches } = await collect(await options(mixed.db, NO_RELOAD, 'auto', log), null, done, 30000);
  assert.match(lines(log), /no primary key to chunk by, so the snapshot is read in snapshot transactions, which need no lock on MariaDB/);
  assert.equal(reads(batches).length, 500);
});

test('global without RELOAD fails naming RELOAD and the two alternatives; tables without LOCK TABLES names LOCK TABLES', async () => {
  await assert.rejects(collect(await options(keyed.db, NO_RELOAD, 'global'), null, done), (e: unknown) => {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'FERRY_SOURCE_PRIVILEGES');
    assert.match(e.message, /^FLUSH TABLES WITH READ LOCK failed \(.*RELOAD.*\): settings.snapshotLocking global needs the RELOAD privilege/);
    assert.match(e.message, /GRANT RELOAD ON \*\.\* TO the Ferry user, or set settings\.snapshotLocking: tables .* or none \(lock-free/);
    return true;
  });
  await assert.rejects(collect(await options(keyed.db, NO_RELOAD, 'tables'), null, done), (e: unknown) => {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'FERRY_SOURCE_PRIVILEGES');
    assert.match(e.message, /settings.snapshotLocking tables needs the LOCK TABLES privilege .* or set settings.snapshotLocking: none/);
    return true;
  });
});

test('tables (LOCK TABLES, no RELOAD) and global (RELOAD) take their lock for the start only and read every row', async () => {
  for (const [user, locking, said] of [[LOCKER, 'tables', 'table locks released'], ['cdc', 'global', 'global read lock released']] as const) {
    const log = memoryLog();
    const o = await options(keyed.db, user, locking, log);
    if (user === 'cdc') Object.assign(o.config, { user: 'cdc', password: new Secret('cdc') });
    const { batches, offset } = await collect(o, null, done, 30000);
    assert.match(lines(log), new RegExp(`snapshot of 1 tables from \\S+, ${said}`), locking);
    assert.deepEqual(ids(batches), Array.from({ length: ROWS }, (_, i) => i + 1), locking);
    assert.equal(offset!.snapshotDone, true);
    // A write right after the start is not held by a lock left behind.
    await keyed.conn.query('UPDATE items SET v = v WHERE id = 1');
  }
});

test('ferry validate on this self-managed MariaDB: no managed service recognised, the my.cnf fixes stand', async () => {
  const { checkMySqlPrerequisites } = await import('../../src/prerequisites.ts');
  const o = await options(keyed.db, NO_RELOAD, undefined);
  const results = await checkMySqlPrerequisites(o.config);
  assert.equal(results.find((r) => r.check === 'source.managed'), undefined);
  assert.equal(results.find((r) => r.check === 'mysql.privileges')?.status, 'ok', 'a user without RELOAD passes: the snapshot is lock-free');
});
