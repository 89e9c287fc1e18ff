// source.ssl end to end (docs/tls.md): MariaDB and PostgreSQL sources with ssl {mode: verify-full, ca, cert, key}
// against the local services' TLS listeners (infra/services.sh makes the CA): snapshot and CDC reach Kafka with the
// exact row values, and the server shows every connection of the task's own user encrypted, the binlog dump and
// the walsender included, with the client certificate verified (MariaDB: an account that REQUIREs the certificate's
// subject; PostgreSQL: pg_stat_ssl.client_dn). And mode require with a CA Ferry does not trust works and warns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { services, servicesCaFile, servicesClientCert, uniqueName } from '../helpers/services.ts';
import { latestState, readDecoded, type DecodedRecord } from '../helpers/topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CA = servicesCaFile();
const CLIENT = servicesClientCert();
const selection = (schema: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] });

function requireTlsServices(): void {
  assert.ok(existsSync(CA), `no test CA at ${CA}: the local services predate their TLS listeners; restart them (infra/services.sh down && infra/services.sh up)`);
}

/** A logger that keeps every line. */
function capturingLog() {
  const lines: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }) });
  return { log, lines };
}

function startTask(task: ReturnType<typeof parseTask>, log: ReturnType<typeof createLogger>) {
  const controller = new AbortController();
  const running = runTask({ task, log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, controller.signal);
  running.catch(() => undefined); // a failure shows in the assertions (and the log tail), not as an unhandled rejection
  return { running, stop: async () => { controller.abort(); await running.catch(() => undefined); } };
}

/** Clean-ups run last registered first: the task stops before its slot, users and databases go. */
function cleanups(t: { after: (fn: () => Promise<void>) => void }) {
  const fns: (() => Promise<void>)[] = [];
  t.after(async () => { for (const fn of fns.reverse()) await fn(); });
  return (fn: () => Promise<void>) => { fns.push(fn); };
}

async function waitForRecords(topic: string, n: number, lines: string[]): Promise<DecodedRecord[]> {
  for (let i = 0; i < 150; i++) {
    const recs = await readDecoded(topic).catch(() => []);
    if (recs.length >= n) return recs;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${n} records on ${topic}; log tail: ${lines.slice(-10).join('')}`);
}

test('MariaDB source over mutual TLS (verify-full): snapshot and CDC exact on Kafka; the binlog dump and every session are encrypted', { timeout: 120_000 }, async (t) => {
  requireTlsServices();
  const later = cleanups(t);
  const db = uniqueName('tls_src_my');
  const user = `tls_src_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  later(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, note VARCHAR(40) NULL)`);
  await admin.query(`INSERT INTO ${db}.accounts VALUES (1, 'ada', 'first'), (2, 'grace', NULL), (3, 'linus', 'ü ✓')`);
  // The account accepts only TLS connections that present the test CA's client certificate: every connection the
  // source opens with it (queries, snapshot, binlog) is therefore TLS with the client certificate, server-enforced.
  await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'tls-pw-1' REQUIRE SUBJECT '/CN=ferry-tls-client' AND ISSUER '/CN=Ferry local test CA'`);
  await admin.query(`GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'@'127.0.0.1'`);

  const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-my-'));
  later(async () => rmSync(dir, { recursive: true, force: true }));
  const task = parseTask({
    name: db, migrationType: 'full-load-and-cdc', tableMappings: selection(db),
    source: { engine: 'mariadb', ...services.mariadb, user, password: 'tls-pw-1', ssl: { mode: 'verify-full', ca: `\${file:${CA}}`, cert: `\${file:${CLIENT.cert}}`, key: `\${file:${CLIENT.key}}` } },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  const { log, lines } = capturingLog();
  const run = startTask(task, log);
  later(run.stop);
  const topic = `${db}.${db}.accounts`;
  await waitForRecords(topic, 3, lines);
  await admin.query(`INSERT INTO ${db}.accounts VALUES (4, 'barbara', 'new')`);
  await admin.query(`UPDATE ${db}.accounts SET note = 'changed' WHERE id = 1`);
  await admin.query(`DELETE FROM ${db}.accounts WHERE id = 2`);
  const records = await waitForRecords(topic, 7, lines); // 3 r, c, u, d, tombstone

  // Server side: the sessions of the task's user, the Binlog Dump among them, and their TLS cipher.
  const [sessions] = await admin.query(
    `SELECT t.PROCESSLIST_COMMAND AS command, s.VARIABLE_VALUE AS cipher FROM performance_schema.threads t
       JOIN performance_schema.status_by_thread s ON s.THREAD_ID = t.THREAD_ID AND s.VARIABLE_NAME = 'Ssl_cipher'
      WHERE t.PROCESSLIST_USER = ?`, [user]) as unknown as [{ command: string; cipher: string }[]];
  const dump = sessions.filter((s) => s.command === 'Binlog Dump');
  assert.equal(dump.length, 1, `one binlog connection expected: ${JSON.stringify(sessions)}`);
  assert.match(dump[0]!.cipher, /^TLS_|^ECDHE-|^AES/, 'the binlog connection is encrypted');
  for (const s of sessions) assert.notEqual(s.cipher, '', `a session of the task (${s.command}) is not encrypted`);

  assert.deepEqual(records.map((r) => r.value?.op ?? 'tombstone'), ['r', 'r', 'r', 'c', 'u', 'd', 'tombstone']);
  const state = latestState(records);
  const [rows] = await admin.query(`SELECT id, owner, note FROM ${db}.accounts ORDER BY id`) as unknown as [{ id: number; owner: string; note: string | null }[]];
  assert.deepEqual(rows, [{ id: 1, owner: 'ada', note: 'changed' }, { id: 3, owner: 'linus', note: 'ü ✓' }, { id: 4, owner: 'barbara', note: 'new' }]);
  assert.deepEqual([...state.entries()].sort(([a], [b]) => a.localeCompare(b)), rows.map((r) => [JSON.stringify({ id: r.id }), { id: r.id, owner: r.owner, note: r.note }]));
  assert.ok(!lines.join('').includes('does not verify the server certificate'), 'no verification warning with verify-full');
});

test('PostgreSQL source over mutual TLS (verify-full): snapshot and CDC exact on Kafka; the walsender and every session are encrypted', { timeout: 120_000 }, async (t) => {
  requireTlsServices();
  const later = cleanups(t);
  const name = uniqueName('tls_src_pg');
  const role = `tls_src_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  later(async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await sleep(300);
    await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
    for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) await admin.query(`DROP PUBLICATION "${r.pubname}"`);
    await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.query(`REVOKE ALL ON DATABASE shop FROM ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });
  await admin.query(`CREATE ROLE ${role} LOGIN REPLICATION PASSWORD 'tls-pw-2'`);
  await admin.query(`GRANT CONNECT, CREATE ON DATABASE shop TO ${role}`);
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION ${role}`);
  await admin.query(`CREATE TABLE ${name}.accounts (id INT PRIMARY KEY, owner TEXT NOT NULL, note TEXT)`);
  await admin.query(`ALTER TABLE ${name}.accounts REPLICA IDENTITY FULL`);
  await admin.query(`ALTER TABLE ${name}.accounts OWNER TO ${role}`);
  await admin.query(`INSERT INTO ${name}.accounts VALUES (1, 'ada', 'first'), (2, 'grace', NULL), (3, 'linus', 'ü ✓')`);

  const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-pg-'));
  later(async () => rmSync(dir, { recursive: true, force: true }));
  const task = parseTask({
    name, migrationType: 'full-load-and-cdc', tableMappings: selection(name),
    source: { engine: 'postgres', ...services.postgres, user: role, password: 'tls-pw-2', database: 'shop', ssl: { ca: `\${file:${CA}}`, cert: `\${file:${CLIENT.cert}}`, key: `\${file:${CLIENT.key}}` } },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  assert.equal((task.source as { ssl?: { mode: string } }).ssl?.mode, 'verify-full', 'ssl without mode is verify-full');
  const { log, lines } = capturingLog();
  const run = startTask(task, log);
  later(run.stop);
  const topic = `${name}.${name}.accounts`;
  await waitForRecords(topic, 3, lines);
  await admin.query(`INSERT INTO ${name}.accounts VALUES (4, 'barbara', 'new')`);
  await admin.query(`UPDATE ${name}.accounts SET note = 'changed' WHERE id = 1`);
  await admin.query(`DELETE FROM ${name}.accounts WHERE id = 2`);
  const records = await waitForRecords(topic, 7, lines);

  const { rows: sessions } = await admin.query<{ backend_type: string; ssl: boolean; version: string | null; client_dn: string | null }>(
    `SELECT a.backend_type, s.ssl, s.version, s.client_dn FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.usename = $1`, [role]);
  const walsenders = sessions.filter((s) => s.backend_type === 'walsender');
  assert.equal(walsenders.length, 1, `one replication connection expected: ${JSON.stringify(sessions)}`);
  assert.deepEqual([walsenders[0]!.ssl, walsenders[0]!.client_dn], [true, '/CN=ferry-tls-client']);
  assert.match(walsenders[0]!.version ?? '', /^TLSv1\.[23]$/);
  for (const s of sessions) assert.deepEqual([s.backend_type, s.ssl, s.client_dn], [s.backend_type, true, '/CN=ferry-tls-client']);

  assert.deepEqual(records.map((r) => r.value?.op ?? 'tombstone'), ['r', 'r', 'r', 'c', 'u', 'd', 'tombstone']);
  const { rows } = await admin.query<{ id: number; owner: string; note: string | null }>(`SELECT id, owner, note FROM ${name}.accounts ORDER BY id`);
  assert.deepEqual(rows, [{ id: 1, owner: 'ada', note: 'changed' }, { id: 3, owner: 'linus', note: 'ü ✓' }, { id: 4, owner: 'barbara', note: 'new' }]);
  const state = latestState(records);
  assert.deepEqual([...state.entries()].sort(([a], [b]) => a.localeCompare(b)), rows.map((r) => [JSON.stringify({ id: r.id }), { id: r.id, owner: r.owner, note: r.note }]));
});

test('mode require with a CA Ferry does not trust: the full load runs without verification and the start logs the warning', { timeout: 60_000 }, async (t) => {
  requireTlsServices();
  const later = cleanups(t);
  const db = uniqueName('tls_src_req');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  later(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(10))`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-req-'));
  later(async () => rmSync(dir, { recursive: true, force: true }));
  await admin.query(`INSERT INTO ${db}.t VALUES (1, 'one'), (2, 'two')`);
  const task = parseTask({
    name: db, migrationType: 'full-load', tableMappings: selection(db),
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc', ssl: { mode: 'require' } },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), offsetStore: 'sqlite' },
  });
  const { log, lines } = capturingLog();
  const run = startTask(task, log);
  later(run.stop);
  await run.running;
  const records = await readDecoded(`${db}.${db}.t`);
  assert.deepEqual(records.map((r) => [r.value?.op, r.value?.after]), [['r', { id: 1, v: 'one' }], ['r', { id: 2, v: 'two' }]]);
  const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'warn' && l.msg.includes('does not verify the server certificate'));
  assert.deepEqual(warnings.map((w) => w.msg), [`TLS to mariadb at 127.0.0.1:${services.mariadb.port} does not verify the server certificate (source.ssl.mode: require): the connection is encrypted, but anyone able to intercept it can impersonate the server. Set source.ssl.mode: verify-full and source.ssl.ca to verify it`]);
});
