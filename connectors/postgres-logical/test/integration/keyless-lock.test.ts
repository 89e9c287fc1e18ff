// The short SHARE lock that makes a resumed snapshot's position exact for keyless tables (src/keyless-lock.ts):
// taking it waits for a writer already open on the table, holding it keeps a new writer from committing until it is
// released, and a user without the privilege gets no lock, a warning, and the snapshot goes on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { holdKeylessWriters, keylessToRead } from '../../src/keyless-lock.ts';
import { connect, createSchema, memoryLog, PG_PORT, DATABASE, type TestSchema } from './helpers.ts';
import { Secret } from '../../../../runtime/src/config/secrets.ts';

let s: TestSchema;
const cfg = (user: string) => ({ engine: 'postgres' as const, host: '127.0.0.1', port: PG_PORT, user, password: new Secret(user), database: DATABASE, connectTimeoutMs: 5000 });

before(async () => {
  s = await createSchema('ferry_klock');
  await s.owner.query('CREATE TABLE log (msg text)');
  await s.owner.query('CREATE TABLE keyed (id int PRIMARY KEY)');
});
after(async () => { await s.drop(); });

test('keylessToRead: the keyless tables not yet done', async () => {
  const { rows } = await s.admin.query<{ oid: number; relname: string }>(`SELECT c.oid::int AS oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 2`, [s.schema]);
  const tables = rows.map((r) => ({ relid: Number(r.oid), schema: s.schema, table: r.relname, replicaIdentity: 'd' }));
  assert.deepEqual((await keylessToRead(s.admin, tables, null)).map((t) => t.table), ['log']);
  const done = { position: 'pg:0000000000000000' as never, slot: null, tables: { [`${s.schema}.log`]: { done: true } } };
  assert.deepEqual(await keylessToRead(s.admin, tables, done as never), []);
});

test('the lock waits for an open writer, then holds new writers until released', async () => {
  const table = { relid: 0, schema: s.schema, table: 'log', replicaIdentity: 'd' };
  const early = await connect('cdc');
  await early.query('BEGIN');
  await early.query(`INSERT INTO ${s.schema}.log VALUES ('early')`);
  const t0 = Date.now();
  const locking = holdKeylessWriters(cfg('cdc'), [table], memoryLog());
  await new Promise((r) => setTimeout(r, 300));
  await early.query('COMMIT'); // the lock could only be had now
  const lock = await locking;
  assert.ok(lock, 'the lock was taken');
  assert.ok(Date.now() - t0 >= 280, 'it waited for the open writer');
  const late = await connect('cdc');
  let committed = 0;
  const writing = late.query(`INSERT INTO ${s.schema}.log VALUES ('late')`).then(() => { committed = Date.now(); });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(committed, 0, 'a new writer waits while the lock is held');
  const released = Date.now();
  await lock.release();
  await writing;
  assert.ok(committed >= released, 'it commits once the lock is released');
  const { rows } = await s.admin.query(`SELECT msg FROM ${s.schema}.log ORDER BY msg`);
  assert.deepEqual(rows.map((r) => r.msg), ['early', 'late']);
  await early.end();
  await late.end();
});

test('without the privilege: no lock, a warning naming the table and the fix', async () => {
  await s.admin.query(`DROP ROLE IF EXISTS ferry_klock_ro`);
  await s.admin.query(`CREATE ROLE ferry_klock_ro LOGIN PASSWORD 'ferry_klock_ro'`);
  await s.admin.query(`GRANT USAGE ON SCHEMA ${s.schema} TO ferry_klock_ro; GRANT SELECT ON ALL TABLES IN SCHEMA ${s.schema} TO ferry_klock_ro`);
  try {
    const log = memoryLog();
    const lock = await holdKeylessWriters(cfg('ferry_klock_ro'), [{ relid: 0, schema: s.schema, table: 'log', replicaIdentity: 'd' }], log);
    assert.equal(lock, null);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /keyless tables .*\.log/.test(l.msg ?? '') && /Grant the capture user UPDATE/.test(l.msg ?? '')), JSON.stringify(log.lines));
  } finally {
    await s.admin.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s.schema} FROM ferry_klock_ro; REVOKE USAGE ON SCHEMA ${s.schema} FROM ferry_klock_ro; DROP ROLE ferry_klock_ro`);
  }
});
