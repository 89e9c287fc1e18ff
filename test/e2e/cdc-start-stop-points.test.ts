// Issue #27's CDC start and stop points check, on both sources: `ferry run` of a `migrationType: cdc` task with
// settings.cdcStartTime / cdcStartPosition and settings.cdcStopPosition, writing to Kafka. The topic is read back with
// the independent reader (test/helpers/topic-reader.ts): rows committed before the start are absent, rows committed
// after the stop point are absent, the rows in between are there exactly once; the task exits 0 by itself with the
// stop recorded (`ferry offsets show`), and a second run ends at once. Then the refusals, with their messages.
//
// Binlog timestamps are whole seconds: the MariaDB scenarios sleep across second boundaries instead of relying on
// sub-second order. PostgreSQL commit times are microseconds.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { dropPgTaskObjects, sleep, startFerry } from '../helpers/ferry-process.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { MARIADB_SOURCE, PG_SOURCE, mariadbRoot, pgClient, selectSchema, tempDir, writeTask } from '../helpers/migration-kit/run.ts';
import { readDecoded } from '../helpers/topic-reader.ts';
import { parseLsnText } from '../../core/src/position.ts';

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

/** `ferry <args>` to its end (at most `ms`): exit code and output. */
async function ferry(args: string[], ms = 60000): Promise<{ code: number | null; out: string }> {
  const p = startFerry(args);
  const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(t);
  return { code, out: p.stdout() + p.stderr() };
}

function task(name: string, source: Record<string, unknown>, settings: Record<string, unknown>, schema = name, dir = tempDir('ferry-cdc-window')): string {
  return writeTask(dir, {
    name, source, migrationType: 'cdc', tableMappings: selectSchema(schema),
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite', heartbeatIntervalMs: 1000, ...settings },
  });
}

/** The ids created on the table's topic, in topic order (each create once: duplicates would show twice). */
async function createdIds(topic: string): Promise<number[]> {
  return (await readDecoded(topic)).filter((r) => r.value?.op === 'c').map((r) => Number(r.value!.after!.id));
}

/** Runs the task to its stop point, checks the topic, `offsets show`, and that a second run ends at once. */
async function runToStop(file: string, topic: string, want: number[], stop: string): Promise<void> {
  const started = Date.now();
  const run = await ferry(['run', file]);
  assert.equal(run.code, 0, `ferry run exits 0 at the stop point:\n${run.out.slice(-3000)}`);
  assert.match(run.out, new RegExp(`reached the stop point ${stop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.deepEqual(await createdIds(topic), want, 'exactly the rows between the start and the stop point, each once');
  const [show, again] = await Promise.all([ferry(['offsets', 'show', file]), ferry(['run', file])]); // the second run commits nothing
  assert.equal(show.code, 0, show.out);
  assert.match(show.out, new RegExp(`stopped at its stop point ${stop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(again.code, 0, again.out.slice(-2000));
  assert.match(again.out, /already reached its stop point/);
  assert.deepEqual(await createdIds(topic), want, 'the second run wrote nothing');
  assert.ok(Date.now() - started < 60000);
}

/** The same task (same state folder, so the same offset) with another stop point: it streams on from the stop, losing nothing. */
async function continueTo(file: string, name: string, source: Record<string, unknown>, stop: string, topic: string, want: number[]): Promise<void> {
  task(name, source, { cdcStopPosition: stop }, name, dirname(file));
  const run = await ferry(['run', file]);
  assert.equal(run.code, 0, run.out.slice(-3000));
  assert.match(run.out, /resuming from /);
  assert.deepEqual(await createdIds(topic), want, 'the rows after the first stop point, each once, after the ones before it');
}

/** Waits until the clock is `ms` past the start of the next whole second; returns that second's start. */
async function nextSecond(ms = 50): Promise<number> {
  const s = Math.ceil(Date.now() / 1000) * 1000;
  await sleep(s + ms - Date.now());
  return s;
}

const iso = (ms: number) => new Date(ms).toISOString();

test('MariaDB: start at a time, stop at a binlog position', async () => {
  const name = uniqueName('cdcwin_m');
  const root = await mariadbRoot();
  cleanups.push(async () => { await root.query(`DROP DATABASE IF EXISTS \`${name}\``); await root.end(); });
  await root.query(`CREATE DATABASE \`${name}\``);
  await root.query(`CREATE TABLE \`${name}\`.t (id INT PRIMARY KEY, v VARCHAR(20))`);
  await root.query('FLUSH BINARY LOGS'); // a short file to search and read
  const ins = (id: number) => root.query(`INSERT INTO \`${name}\`.t VALUES (${id}, 'v${id}')`);
  for (const id of [1, 2, 3]) await ins(id); // before the start time
  await nextSecond();
  const start = await nextSecond(); // at least a whole second after the rows before
  for (const id of [4, 5, 6]) await ins(id);
  const [st] = await root.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const stop = `${String(st[0]!.File)}:${String(st[0]!.Position)}`;
  for (const id of [7, 8, 9]) await ins(id); // after the stop position
  const file = task(name, MARIADB_SOURCE, { cdcStartTime: iso(start), cdcStopPosition: stop });
  await runToStop(file, `${name}.${name}.t`, [4, 5, 6], stop);
  const [st2] = await root.query<RowDataPacket[]>('SHOW MASTER STATUS');
  await ins(10); // after the second stop point
  await continueTo(file, name, MARIADB_SOURCE, `${String(st2[0]!.File)}:${String(st2[0]!.Position)}`, `${name}.${name}.t`, [4, 5, 6, 7, 8, 9]);
});

test('MariaDB: start at a binlog position, stop at a server time', async () => {
  const name = uniqueName('cdcwin_m');
  const root = await mariadbRoot();
  cleanups.push(async () => { await root.query(`DROP DATABASE IF EXISTS \`${name}\``); await root.end(); });
  await root.query(`CREATE DATABASE \`${name}\``);
  await root.query(`CREATE TABLE \`${name}\`.t (id INT PRIMARY KEY, v VARCHAR(20))`);
  const ins = (id: number) => root.query(`INSERT INTO \`${name}\`.t VALUES (${id}, 'v${id}')`);
  for (const id of [1, 2, 3]) await ins(id); // before the start position
  const [st] = await root.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const startAt = `${String(st[0]!.File)}:${String(st[0]!.Position)}`;
  for (const id of [4, 5, 6]) await ins(id);
  const stopAt = await nextSecond(); // the rows above committed in an earlier second: at or before it
  await nextSecond(); // the rows below: a later second, after it
  for (const id of [7, 8, 9]) await ins(id);
  const stop = `server_time:${iso(stopAt).slice(0, 19)}`; // no zone: UTC
  const file = task(name, MARIADB_SOURCE, { cdcStartPosition: startAt, cdcStopPosition: stop });
  await runToStop(file, `${name}.${name}.t`, [4, 5, 6], stop);
});

test('MariaDB: a purged start position and a start time older than the binlogs are refused', async () => {
  const name = uniqueName('cdcwin_m');
  const root = await mariadbRoot();
  cleanups.push(async () => { await root.query(`DROP DATABASE IF EXISTS \`${name}\``); await root.end(); });
  await root.query(`CREATE DATABASE \`${name}\``);
  await root.query(`CREATE TABLE \`${name}\`.t (id INT PRIMARY KEY)`);
  const [logs] = await root.query<RowDataPacket[]>('SHOW BINARY LOGS');
  const oldest = String(logs[0]!.Log_name);
  const newest = String(logs[logs.length - 1]!.Log_name);
  const gone = `${oldest.replace(/\.\d+$/, '')}.000000`;
  const purged = await ferry(['run', task(name, MARIADB_SOURCE, { cdcStartPosition: `${gone}:4` })]);
  assert.notEqual(purged.code, 0);
  assert.ok(purged.out.includes(`settings.cdcStartPosition ${gone}:4: binlog file ${gone} is not on the server (it holds ${oldest} to `), purged.out.slice(-2000));
  assert.ok(newest.length > 0);
  const old = await ferry(['run', task(name, MARIADB_SOURCE, { cdcStartTime: '2001-01-01T00:00:00Z' })]);
  assert.notEqual(old.code, 0);
  assert.match(old.out, new RegExp(`settings.cdcStartTime 2001-01-01T00:00:00.000Z is older than the oldest binlog on the server: ${oldest.replace('.', '\\.')} begins at \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.000Z`));
  const both = await ferry(['run', task(name, MARIADB_SOURCE, { cdcStartTime: '2001-01-01T00:00:00Z', cdcStartPosition: `${oldest}:4` })]);
  assert.notEqual(both.code, 0);
  assert.match(both.out, /give cdcStartPosition or cdcStartTime, not both/);
});

/** A schema owned by cdc with table t, a publication of it and a slot (both named by the user), created before any row. */
async function pgSetup(name: string): Promise<{ ins: (id: number) => Promise<void>; lsn: () => Promise<string>; source: Record<string, unknown> }> {
  const admin = await pgClient('postgres');
  await admin.query(`CREATE SCHEMA "${name}" AUTHORIZATION cdc`);
  const owner = await pgClient('cdc');
  cleanups.push(async () => { await owner.end(); await dropPgTaskObjects(admin, name); await admin.query(`DROP SCHEMA "${name}" CASCADE`); await admin.end(); });
  await owner.query(`CREATE TABLE "${name}".t (id INT PRIMARY KEY, v INT)`);
  await owner.query(`CREATE PUBLICATION ${name}_pub FOR TABLE "${name}".t`);
  await owner.query(`SELECT pg_create_logical_replication_slot('${name}_slot', 'pgoutput')`);
  return {
    ins: async (id) => { await owner.query(`INSERT INTO "${name}".t VALUES ($1, $2)`, [id, id * 10]); },
    // The insert position: with synchronous_commit off, pg_current_wal_lsn() (the write position) can lag a commit that returned.
    lsn: async () => (await owner.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l,
    source: { ...PG_SOURCE, slotName: `${name}_slot`, publicationName: `${name}_pub` },
  };
}

test('PostgreSQL: start at a time on an existing slot, stop at an LSN', async () => {
  const name = uniqueName('cdcwin_p');
  const pg = await pgSetup(name);
  for (const id of [1, 2, 3]) await pg.ins(id); // in the slot, but before the start time
  await sleep(20);
  const start = Date.now();
  await sleep(20);
  for (const id of [4, 5, 6]) await pg.ins(id);
  const stop = await pg.lsn();
  for (const id of [7, 8, 9]) await pg.ins(id); // after the stop LSN
  const file = task(name, pg.source, { cdcStartTime: iso(start), cdcStopPosition: stop });
  await runToStop(file, `${name}.${name}.t`, [4, 5, 6], stop);
  // The final position was confirmed to the slot: it released the WAL before the stop, and holds the rows after it.
  const admin = await pgClient('postgres');
  const slot = (await admin.query<{ l: string }>(`SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = '${name}_slot'`)).rows[0]!.l;
  await admin.end();
  assert.ok(parseLsnText(slot) >= parseLsnText(stop), `slot confirmed ${slot}, stop ${stop}`);
  const peek = await pgClient('postgres');
  const left = (await peek.query<{ n: string }>(`SELECT count(*) AS n FROM pg_logical_slot_peek_binary_changes('${name}_slot', NULL, NULL, 'proto_version', '1', 'publication_names', '${name}_pub') WHERE substr(data, 1, 1) = 'I'`)).rows[0]!.n;
  await peek.end();
  assert.equal(Number(left), 3, 'the slot still gives the three inserts after the stop point');
  const stop2 = await pg.lsn();
  await pg.ins(10); // after the second stop point
  await continueTo(file, name, pg.source, stop2, `${name}.${name}.t`, [4, 5, 6, 7, 8, 9]);
});

test('PostgreSQL: start at an LSN, stop at a commit time', async () => {
  const name = uniqueName('cdcwin_p');
  const pg = await pgSetup(name);
  for (const id of [1, 2, 3]) await pg.ins(id);
  const startAt = await pg.lsn();
  for (const id of [4, 5, 6]) await pg.ins(id);
  await sleep(20);
  const stopAt = Date.now();
  await sleep(20);
  for (const id of [7, 8, 9]) await pg.ins(id);
  const stop = `commit_time:${iso(stopAt)}`;
  const file = task(name, pg.source, { cdcStartPosition: startAt, cdcStopPosition: stop });
  await runToStop(file, `${name}.${name}.t`, [4, 5, 6], stop);
});

test('PostgreSQL: a slot ahead of the start LSN, and a start before a new slot, are refused', async () => {
  const name = uniqueName('cdcwin_p');
  const pg = await pgSetup(name);
  const admin = await pgClient('postgres');
  cleanups.push(async () => { await admin.end(); });
  await pg.ins(1);
  const confirmed = (await admin.query<{ l: string }>(`SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = '${name}_slot'`)).rows[0]!.l;
  const ahead = await ferry(['run', task(name, pg.source, { cdcStartPosition: '0/1' })]);
  assert.notEqual(ahead.code, 0);
  assert.ok(ahead.out.includes(`replication slot "${name}_slot" has confirmed_flush_lsn ${confirmed}, later than settings.cdcStartPosition 0/1: a slot cannot go back`), ahead.out.slice(-2000));
  // No slot named: Ferry creates ferry_<task>, which cannot start before its creation; it is dropped again.
  const fresh = { ...PG_SOURCE, publicationName: `${name}_pub` };
  const before = await ferry(['run', task(`${name}_new`, fresh, { cdcStartPosition: '0/1' }, name)]);
  assert.notEqual(before.code, 0);
  assert.match(before.out, new RegExp(`settings.cdcStartPosition 0/1 is before the new replication slot "ferry_${name}_new" starts \\([0-9A-F]+/[0-9A-F]+\\): PostgreSQL decodes only WAL written after a slot exists`));
  const old = await ferry(['run', task(`${name}_new`, fresh, { cdcStartTime: '2001-01-01T00:00:00Z' }, name)]);
  assert.notEqual(old.code, 0);
  assert.match(old.out, new RegExp(`settings.cdcStartTime 2001-01-01T00:00:00.000Z is older than the new replication slot "ferry_${name}_new", created at \\d{4}-`));
  const slots = await admin.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'ferry_${name}_new'`);
  assert.equal(slots.rowCount, 0, 'the slot made for a start it cannot serve is dropped');
});

test('MariaDB start at a GTID list; a stop time with nothing of the task committed after it still ends the task (both sources)', async () => {
  const name = uniqueName('cdcwin_i');
  const root = await mariadbRoot();
  cleanups.push(async () => { await root.query(`DROP DATABASE IF EXISTS \`${name}\``); await root.end(); });
  await root.query(`CREATE DATABASE \`${name}\``);
  await root.query(`CREATE TABLE \`${name}\`.t (id INT PRIMARY KEY, v VARCHAR(20))`);
  await root.query(`INSERT INTO \`${name}\`.t VALUES (0, 'before')`); // before the start GTID list: absent
  const [gt] = await root.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS g');
  for (const id of [1, 2]) await root.query(`INSERT INTO \`${name}\`.t VALUES (${id}, 'v')`);
  const pg = await pgSetup(name);
  for (const id of [1, 2]) await pg.ins(id);
  const stop = `server_time:${iso(Math.ceil(Date.now() / 1000) * 1000 + 1000)}`;
  // The binlog and the WAL may get other sessions' transactions after the time (they end the stream too); without any,
  // the stream ends once it read everything the server held a second past the time.
  const [m, p] = await Promise.all([
    ferry(['run', task(`${name}_m`, MARIADB_SOURCE, { cdcStartPosition: String(gt[0]!.g), cdcStopPosition: stop }, name)]), // a MariaDB GTID list
    ferry(['run', task(`${name}_p`, pg.source, { cdcStopPosition: stop }, name)]),
  ]);
  assert.equal(m.code, 0, m.out.slice(-2000));
  assert.equal(p.code, 0, p.out.slice(-2000));
  assert.deepEqual(await createdIds(`${name}_m.${name}.t`), [1, 2]);
  assert.deepEqual(await createdIds(`${name}_p.${name}.t`), [1, 2]);
});

test('a start point needs migrationType cdc', async () => {
  const file = writeTask(tempDir('ferry-cdc-window'), {
    name: 'cdcwin_v', source: MARIADB_SOURCE, migrationType: 'full-load-and-cdc', tableMappings: selectSchema('x'),
    settings: { cdcStartTime: '2026-01-01T00:00:00Z', cdcStopPosition: 'commit_time:2026-01-01T01:00:00' },
  });
  const r = await ferry(['validate', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.out, /cdcStartTime needs migrationType cdc: a full-load-and-cdc task starts its stream at its snapshot's position/);
  assert.doesNotMatch(r.out, /cdcStopPosition/);
});
