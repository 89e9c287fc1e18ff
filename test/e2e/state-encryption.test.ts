// State encryption at rest end to end (docs/security.md#encryption-at-rest): a PostgreSQL task (runTask) with
// settings.stateEncryption, once with a key file and once with a KMS key on moto, that
//   - spills a large transaction (its role has logical_decoding_work_mem = 64kB, so the server streams it in
//     progress; the spill file is read while the transaction is still open),
//   - claim-checks a LOB value to S3 (moto),
//   - dead-letters a notification to a webhook that is down,
// with unique planted row values. Every file under the state directory, the spill file and the S3 object are searched
// for the planted values (none found), while the rows read back from Kafka with the independent decoder are exactly
// the rows written and the claim-checked value decrypts to exactly the inserted one. Then a start with another key,
// and one without stateEncryption, are refused with FERRY_STATE_KEY_MISMATCH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { forgetStateKeyrings, openStateKeyring } from '../../runtime/src/encryption/state-keyring.ts';
import { openClaimCheckObject } from '../../runtime/src/lob/claim-check-store.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded } from '../helpers/topic-reader.ts';
import { KafkaOffsetStore } from '../../runtime/src/offsets/KafkaOffsetStore.ts';
import { sleep, startFerry, type FerryProcess } from '../helpers/ferry-process.ts';
import { readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';

const AWS = { region: 'us-east-1', endpoint: services.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ROWS = 3000;
const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).map((e) => join(root, e)).filter((p) => statSync(p).isFile());
}

function assertAbsent(what: string, data: Buffer, planted: readonly string[]): void {
  for (const v of planted) assert.equal(data.includes(v), false, `${what} holds the planted value ${v}`);
}

async function scenario(t: { after: (fn: () => Promise<void>) => void }, kind: 'keyFile' | 'kms'): Promise<void> {
  forgetStateKeyrings();
  const name = uniqueName(`state_enc_${kind === 'kms' ? 'kms' : 'kf'}`);
  const role = `${name}_cdc`;
  const password = randomBytes(12).toString('hex');
  const work = mkdtempSync(join(tmpdir(), 'ferry-state-encryption-e2e-'));
  const stateDir = join(work, 'state');
  const bucket = name.replace(/_/g, '-');
  const tag = randomBytes(6).toString('hex');
  const plantedRow = (i: number) => `planted-row-${tag}-${i}`;
  const plantedLob = `planted-lob-${tag}-`;
  const lobValue = `${plantedLob}${'L'.repeat(8000)}`;

  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN REPLICATION PASSWORD '${password}'`);
  // The walsender of this role streams transactions over 64 kB in progress (protocol 2), so Ferry spills them.
  await admin.query(`ALTER ROLE ${role} SET logical_decoding_work_mem = '64kB'`);
  await admin.query(`GRANT CREATE ON DATABASE shop TO ${role}`);
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION ${role}`);
  const owner = new pg.Client({ ...services.postgres, user: role, password, database: 'shop' });
  await owner.connect();
  await owner.query(`CREATE TABLE ${name}.items (id int PRIMARY KEY, note text NOT NULL)`);
  await owner.query(`CREATE TABLE ${name}.docs (id int PRIMARY KEY, body text)`);
  for (const tb of ['items', 'docs']) await owner.query(`ALTER TABLE ${name}.${tb} REPLICA IDENTITY FULL`);
  const s3 = new S3Client({ ...AWS, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  let keyFile = '';
  let kmsKeyId = '';
  if (kind === 'keyFile') {
    keyFile = join(work, 'state.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  } else {
    const kms = new KMSClient(AWS);
    kmsKeyId = (await kms.send(new CreateKeyCommand({ Description: `ferry ${name}` }))).KeyMetadata!.KeyId!;
    kms.destroy();
  }
  const stateEncryption = kind === 'keyFile' ? { keyFile } : { kms: { keyId: kmsKeyId, region: 'us-east-1', endpoint: services.motoUrl, accessKeyId: 'test', secretAccessKey: 'test' } };
  const doc = (enc: unknown) => ({
    name, source: { engine: 'postgres', ...services.postgres, user: role, password, database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: {
      metrics: { enabled: false }, stateDir, offsetStore: 'sqlite', heartbeatIntervalMs: 0, batch: { maxDelayMs: 5 },
      ...(enc ? { stateEncryption: enc } : {}),
      lob: { mode: 'claim-check', claimCheck: { bucket, prefix: 'lobs', thresholdKb: 1, endpoint: services.motoUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' } },
      notifications: {
        maxAttempts: 1, timeoutMs: 500, drainTimeoutMs: 0,
        subscriptions: [{ name: 'down', type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'webhook-hmac-key-0123456789' }],
      },
    },
  });
  const task = parseTask(doc(stateEncryption));
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: quiet(), metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
    await owner.end().catch(() => undefined);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [name]);
    await sleep(300);
    await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
    for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) await admin.query(`DROP PUBLICATION "${r.pubname}"`);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE ${role}`).catch(() => undefined);
    await admin.end();
    s3.destroy();
  });
  const metric = async (n: string) => ((await metrics.registry.getSingleMetric(n)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitFor = async (what: string, ok: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 1200; i++) { if (failure) throw failure; if (await ok()) return; await sleep(50); }
    assert.fail(`timed out waiting for ${what}`);
  };
  await waitFor('CDC to start (the slot in use)', async () => (await admin.query("SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active", [name])).rowCount === 1);
  await sleep(500);

  // A large transaction, held open while its spill file is read.
  const writer = new pg.Client({ ...services.postgres, user: role, password, database: 'shop' });
  writer.on('error', () => undefined);
  await writer.connect();
  await writer.query('BEGIN');
  for (let i = 0; i < ROWS; i += 500) {
    await writer.query(`INSERT INTO ${name}.items SELECT g, $1 || g || '-' || repeat('p', 600) FROM generate_series($2::int, $3::int) g`, [`planted-row-${tag}-`, i, i + 499]);
  }
  const spillDir = join(stateDir, 'pg-spill');
  let spill: Buffer | null = null;
  await waitFor('a spill file', () => {
    const f = existsSync(spillDir) ? readdirSync(spillDir).find((n) => n.endsWith('.spill')) : undefined;
    if (f && statSync(join(spillDir, f)).size > 512 * 1024) spill = readFileSync(join(spillDir, f)); // the first 1 MiB chunk is written
    return spill !== null;
  });
  assertAbsent('the spill file', spill!, [`planted-row-${tag}`, 'p'.repeat(64)]);
  await writer.query('COMMIT');
  await writer.query(`INSERT INTO ${name}.docs VALUES (1, $1)`, [lobValue]);
  await writer.end();

  // Everything reached Kafka, exactly.
  await waitFor('the rows on Kafka', async () => (await metric('ferry_events_total')) >= ROWS + 1);
  const items = await readDecoded(`${name}.${name}.items`);
  assert.equal(items.length, ROWS);
  assert.deepEqual(items.map((r) => r.value!.after!.note).sort(), Array.from({ length: ROWS }, (_, i) => `${plantedRow(i)}-${'p'.repeat(600)}`).sort());
  const docs = await readDecoded(`${name}.${name}.docs`);
  assert.equal(docs.length, 1);
  const ref = JSON.parse(docs[0]!.value!.after!.body__ferry_ref as string) as { uri: string; sha256: string; size: number };
  assert.equal(ref.sha256, createHash('sha256').update(lobValue).digest('hex'));
  assert.equal(ref.size, lobValue.length);
  const key = /^s3:\/\/[^/]+\/(.+)$/.exec(ref.uri)![1]!;
  assert.doesNotMatch(key, new RegExp(ref.sha256), 'the object name is not the plain hash');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), [key]);
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await obj.Body!.transformToByteArray());
  assertAbsent(`s3://${bucket}/${key}`, body, [plantedLob, 'L'.repeat(64)]);
  assert.equal(obj.Metadata?.['ferry-encryption'], 'fe1');
  // The dead letter of the notification that could not be delivered.
  await waitFor('a notification dead letter', () => existsSync(join(stateDir, 'notifications', 'dead-letters.jsonl')) && readFileSync(join(stateDir, 'notifications', 'dead-letters.jsonl')).length > 0);

  controller.abort();
  await running;
  assert.equal(failure, undefined);
  // Every file under the state directory, after the stop (offsets.db with its WAL, the notification files, the keyring).
  const files = filesUnder(stateDir);
  for (const f of ['offsets.db', 'keyring.json', join('notifications', 'dead-letters.jsonl')]) assert.ok(files.includes(join(stateDir, f)), `${f} is there`);
  for (const f of files) assertAbsent(f, readFileSync(f), [`planted-row-${tag}`, plantedLob]);
  // The same key reads it all back: the claim-checked value and the dead letter.
  forgetStateKeyrings();
  const cipher = (await openStateKeyring(stateDir, task.settings.stateEncryption))!;
  assert.equal(openClaimCheckObject(cipher, body, key).toString(), lobValue);
  const dead = readFileSync(join(stateDir, 'notifications', 'dead-letters.jsonl'), 'utf8').trim().split('\n');
  const letter = JSON.parse(cipher.openText(dead[0]!, 'notifications/dead-letters.jsonl', 'dead letter')) as { subscription: string; attempts: number; event: { task: string } };
  assert.deepEqual([letter.subscription, letter.attempts, letter.event.task], ['down', 1, name]);
  assert.equal(dead[0]!.startsWith('fe1:'), true);

  // The key is fixed: another key, or none, is refused before anything is read.
  forgetStateKeyrings();
  let other: unknown;
  if (kind === 'keyFile') {
    writeFileSync(join(work, 'other.key'), randomBytes(32).toString('hex'));
    other = { keyFile: join(work, 'other.key') };
  } else {
    const kms = new KMSClient(AWS);
    other = { kms: { ...stateEncryption.kms!, keyId: (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId! } };
    kms.destroy();
  }
  await assert.rejects(runTask({ task: parseTask(doc(other)), log: quiet(), serveMetrics: false }, new AbortController().signal),
    (e: { code?: string; disposition?: string; message: string }) => e.code === 'FERRY_STATE_KEY_MISMATCH' && e.disposition === 'fatal' && /settings\.cdcStartPosition/.test(e.message));
  await assert.rejects(runTask({ task: parseTask(doc(undefined)), log: quiet(), serveMetrics: false }, new AbortController().signal),
    { code: 'FERRY_STATE_KEY_MISMATCH', message: /is encrypted .* but settings\.stateEncryption is not set/ });
}

test('state encryption with a key file: spill file, claim-check object, dead letter and offsets hold no planted value; Kafka has every row', { timeout: 120000 }, async (t) => {
  await scenario(t, 'keyFile');
});

test('state encryption with a KMS key (moto): the same, and a different KMS key is refused', { timeout: 120000 }, async (t) => {
  await scenario(t, 'kms');
});

test('state encryption with offsetStore kafka: the offset value on the topic is sealed and reads back exactly', { timeout: 60000 }, async () => {
  forgetStateKeyrings();
  const work = mkdtempSync(join(tmpdir(), 'ferry-state-encryption-kafka-'));
  writeFileSync(join(work, 'k'), randomBytes(32));
  const stateDir = join(work, 'state');
  await openStateKeyring(stateDir, { keyFile: join(work, 'k') });
  const topic = uniqueName('state_enc_offsets');
  const store = new KafkaOffsetStore({ brokers: services.brokers, clientId: 'ferry-state-encryption-test', topic, replicationFactor: 1, stateDir });
  const offset = { position: 'pg:0000000000ABCDEF' as never, snapshotDone: false, formatVersion: 1 as const, state: { v: 1, pg: { tables: { 's.t': { after: ['planted-key-value-91'] } } } } };
  try {
    await store.commit('t1', offset);
    assert.deepEqual(await store.read('t1'), offset);
  } finally {
    await store.close();
  }
  const raw = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-reader', topic, timeoutMs: 30000 });
  assert.equal(raw.length, 1);
  assert.equal(raw[0]!.key!.toString(), 't1');
  assert.ok(raw[0]!.value!.toString().startsWith('fe1:'));
  assertAbsent('the offsets topic record', raw[0]!.value!, ['planted-key-value-91', 'ABCDEF']);
});

test('ferry serve --state-key-file: the task store holds no planted secret on disk, reads back after a restart, refuses another key', { timeout: 90000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'ferry-state-encryption-serve-'));
  const state = join(work, 'serve-state');
  writeFileSync(join(work, 'k'), randomBytes(32).toString('hex'));
  writeFileSync(join(work, 'other'), randomBytes(32).toString('hex'));
  const token = randomBytes(16).toString('hex');
  const secret = `planted-task-secret-${randomBytes(6).toString('hex')}`;
  const env = { ...process.env, FERRY_API_TOKEN: token, FERRY_LOG_LEVEL: 'warn' };
  const serve = async (key: string): Promise<{ p: FerryProcess; url: string }> => {
    const p = startFerry(['serve', '--port', '0', '--state-dir', state, '--state-key-file', join(work, key), '--json'], env);
    let url = '';
    for (let i = 0; i < 300 && url === '' && p.child.exitCode === null; i++) { url = /"url": ?"([^"]+)"/.exec(p.stdout())?.[1] ?? ''; await sleep(100); }
    return { p, url };
  };
  const stop = async (p: FerryProcess) => { p.child.kill('SIGTERM'); await p.exited; };
  const task = {
    name: 'state-enc-serve', migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'x', 'table-name': '%' } }] },
    source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'u', password: secret },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl },
    settings: { offsetStore: 'sqlite', stateDir: join(state, 'state-enc-serve') },
  };
  const first = await serve('k');
  assert.notEqual(first.url, '', first.p.stderr());
  try {
    const res = await fetch(`${first.url}/tasks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(task) });
    assert.equal(res.status, 201, await res.text());
  } finally {
    await stop(first.p);
  }
  const files = filesUnder(state);
  assert.ok(files.includes(join(state, 'tasks.db')) && files.includes(join(state, 'keyring.json')));
  for (const f of files) assertAbsent(f, readFileSync(f), [secret]);
  const again = await serve('k');
  assert.notEqual(again.url, '', again.p.stderr());
  try {
    const res = await fetch(`${again.url}/tasks`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /"state-enc-serve"/);
  } finally {
    await stop(again.p);
  }
  const refused = await serve('other');
  assert.equal(refused.url, '');
  assert.equal(await refused.p.exited, 1);
  assert.match(refused.p.stderr() + refused.p.stdout(), /FERRY_STATE_KEY_MISMATCH|was created with key file with fingerprint/);
});

test('MariaDB with a key file: the schema history (DDL text, defaults) is sealed and read back at the restart', { timeout: 90000 }, async (t) => {
  forgetStateKeyrings();
  const db = uniqueName('state_enc_my');
  const work = mkdtempSync(join(tmpdir(), 'ferry-state-encryption-my-'));
  writeFileSync(join(work, 'k'), randomBytes(32).toString('hex'));
  const stateDir = join(work, 'state');
  const tag = randomBytes(5).toString('hex');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, note VARCHAR(60) NOT NULL DEFAULT 'planted-default-${tag}')`);
  await admin.query(`INSERT INTO ${db}.t (id, note) VALUES (1, 'planted-row-${tag}-1')`);
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); });
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { metrics: { enabled: false }, stateDir, offsetStore: 'sqlite', heartbeatIntervalMs: 0, batch: { maxDelayMs: 5 }, stateEncryption: { keyFile: join(work, 'k') } },
  });
  const run = async (act: () => Promise<void>, events: number) => {
    forgetStateKeyrings();
    const metrics = new PromMetrics({ collectProcessMetrics: false });
    const controller = new AbortController();
    let failure: unknown;
    const running = runTask({ task, log: quiet(), metrics, serveMetrics: false }, controller.signal);
    running.catch((e: unknown) => { failure = e; });
    const total = async () => ((await metrics.registry.getSingleMetric('ferry_events_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
    try {
      await act();
      for (let i = 0; i < 1200 && (await total()) < events; i++) { if (failure) throw failure; await sleep(50); }
      assert.equal(await total(), events);
    } finally {
      controller.abort();
      await running;
    }
  };
  await run(async () => {
    await sleep(1500);
    await admin.query(`ALTER TABLE ${db}.t ADD COLUMN extra VARCHAR(60) NOT NULL DEFAULT 'planted-ddl-${tag}'`);
    await admin.query(`INSERT INTO ${db}.t (id, note) VALUES (2, 'planted-row-${tag}-2')`);
  }, 2);
  const history = readFileSync(join(stateDir, 'mysql-schema-history.jsonl'), 'utf8').trim().split('\n');
  assert.ok(history.length >= 2 && history.every((l) => l.startsWith('fe1:')));
  for (const f of filesUnder(stateDir)) assertAbsent(f, readFileSync(f), [`planted-default-${tag}`, `planted-ddl-${tag}`, `planted-row-${tag}`]);
  // The restart reads the sealed history back: the row written after it decodes with the new column.
  await run(async () => { await admin.query(`INSERT INTO ${db}.t (id, note) VALUES (3, 'planted-row-${tag}-3')`); }, 1);
  const rows = (await readDecoded(`${db}.${db}.t`)).map((r) => r.value!.after!);
  assert.deepEqual(rows.map((r) => [r.id, r.note, r.extra ?? null]), [
    [1, `planted-row-${tag}-1`, null], [2, `planted-row-${tag}-2`, `planted-ddl-${tag}`], [3, `planted-row-${tag}-3`, `planted-ddl-${tag}`],
  ]);
});
