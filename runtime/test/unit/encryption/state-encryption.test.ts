// State encryption at rest (runtime/src/encryption, docs/security.md#encryption-at-rest): the record and stream
// formats (round trip, tampering, wrong key, swapped records), the keyring's lifecycle with a key file and with KMS
// on moto (created once, reopened, a changed key refused with the way to migrate, an unavailable key), and every
// local writer (SQLite offsets, schema history, spill file, dead-letter file, notification spool and dead letters,
// the serve task store) leaving no planted value in its files while reading back exactly what it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { RecordCipher, frameChunk, openChunk } from '../../../src/encryption/record-cipher.ts';
import { forgetStateKeyrings, keyringPath, openStateKeyring, stateCipherOf } from '../../../src/encryption/state-keyring.ts';
import { SqliteOffsetStore } from '../../../src/offsets/SqliteOffsetStore.ts';
import { fileDeadLetterQueue } from '../../../src/sink-worker/dead-letter.ts';
import { NotificationSpool } from '../../../src/notifications/spool.ts';
import { NotificationDeadLetters } from '../../../src/notifications/dead-letters.ts';
import type { TaskEvent } from '../../../src/events/task-events.ts';
import { SpillFile } from '../../../../connectors/postgres-logical/src/spill-file.ts';
import { SchemaHistory } from '../../../../connectors/mysql-binlog/src/schema-history.ts';
import { SqliteTaskStore } from '../../../../app/src/tasks-api/task-store.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { Writable } from 'node:stream';

const MOTO = { endpoint: `http://127.0.0.1:${process.env.FERRY_MOTO_PORT ?? 5000}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const quiet = () => createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
const dir = (what: string) => mkdtempSync(join(tmpdir(), `ferry-state-encryption-${what}-`));
const cipher = () => new RecordCipher(randomBytes(16), createSecretKey(randomBytes(32)));
const keyFile = (d: string, name = 'state.key') => {
  const p = join(d, name);
  writeFileSync(p, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return p;
};

/** Every file under a folder, recursively, with its bytes. */
function filesUnder(root: string): { path: string; data: Buffer }[] {
  const out: { path: string; data: Buffer }[] = [];
  for (const e of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const p = join(root, e);
    if (statSync(p).isFile()) out.push({ path: p, data: readFileSync(p) });
  }
  return out;
}

/** Fails when any planted value appears in any file under root (as UTF-8 and as base64 of it). */
function assertNowhere(root: string, planted: readonly string[]): void {
  const files = filesUnder(root);
  assert.ok(files.length > 0, `files under ${root}`);
  for (const f of files) {
    for (const v of planted) {
      for (const form of [v, Buffer.from(v).toString('base64').slice(0, 16)]) assert.equal(f.data.includes(form), false, `${f.path} holds the planted value ${v}`);
    }
  }
}

test('record: round trip; a flipped byte anywhere, another key, another keyring id or another place is refused', () => {
  const c = cipher();
  const plain = Buffer.from('card 4111-1111-1111-1111');
  const sealed = c.seal(plain, 'offsets.db/offsets/t1');
  assert.equal(sealed.length, 1 + 16 + 12 + plain.length + 16);
  assert.equal(sealed.includes(plain), false);
  assert.deepEqual(c.open(sealed, 'offsets.db/offsets/t1', 'r'), plain);
  assert.notDeepEqual(c.seal(plain, 'x'), c.seal(plain, 'x'), 'a fresh nonce each time');
  for (const at of [17, 20, 29, 29 + 5, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[at]! ^= 0x01;
    assert.throws(() => c.open(bad, 'offsets.db/offsets/t1', 'the row'), (e: { code?: string; message: string }) => e.code === 'FERRY_STATE_DECRYPT' && /the row failed authentication/.test(e.message), `byte ${at}`);
  }
  const flipped = Buffer.from(sealed);
  flipped[0] = 9;
  assert.throws(() => c.open(flipped, 'offsets.db/offsets/t1', 'r'), { code: 'FERRY_STATE_DECRYPT', message: /not a Ferry encrypted record/ });
  assert.throws(() => c.open(sealed, 'offsets.db/offsets/t2', 'r'), { code: 'FERRY_STATE_DECRYPT', message: /moved from another place/ });
  const sameIdOtherKey = new RecordCipher(c.id, createSecretKey(randomBytes(32)));
  assert.throws(() => sameIdOtherKey.open(sealed, 'offsets.db/offsets/t1', 'r'), { code: 'FERRY_STATE_DECRYPT' });
  assert.throws(() => cipher().open(sealed, 'offsets.db/offsets/t1', 'r'), { code: 'FERRY_STATE_KEY_MISMATCH', message: /another state key/ });
  assert.equal(c.openText(c.sealText('é', 'x'), 'x', 'r'), 'é');
  assert.throws(() => c.openText('{"position":"x"}', 'x', 'the offset'), { code: 'FERRY_STATE_DECRYPT', message: /the offset is not encrypted/ });
  assert.equal(c.name(plain), c.name(Buffer.from(plain)), 'names are deterministic');
  assert.notEqual(c.name(plain), cipher().name(plain));
});

test('stream chunks: read back in order only; a chunk cut short or moved is refused', () => {
  const c = cipher();
  const chunks = [Buffer.from('one'), Buffer.from('two')].map((p, i) => frameChunk(c, p, 'pg-spill/xid-1', i));
  assert.equal(openChunk(c, chunks[1]!, 'pg-spill/xid-1', 1, 'f').toString(), 'two');
  assert.throws(() => openChunk(c, chunks[1]!, 'pg-spill/xid-1', 0, 'f'), { code: 'FERRY_STATE_DECRYPT' });
  assert.throws(() => openChunk(c, chunks[0]!.subarray(0, 10), 'pg-spill/xid-1', 0, 'f'), { code: 'FERRY_STATE_DECRYPT', message: /cut short/ });
});

test('key file: the keyring is made once; the same key reopens it, another key, none, or a plain directory is refused', async () => {
  forgetStateKeyrings();
  const d = dir('keyfile');
  const state = join(d, 'state');
  const key = keyFile(d);
  const c1 = await openStateKeyring(state, { keyFile: key });
  assert.ok(c1);
  const ring = JSON.parse(readFileSync(keyringPath(state), 'utf8')) as { id: string; algorithm: string; wrap: { type: string; fingerprint: string; wrapped: string } };
  assert.equal(ring.algorithm, 'AES-256-GCM');
  assert.equal(ring.wrap.type, 'keyFile');
  assert.equal(statSync(keyringPath(state)).mode & 0o777, 0o600);
  const sealed = c1.sealText('hello', 'x');
  // Moving the key file is fine: the key, not its path, is checked.
  forgetStateKeyrings();
  const moved = join(d, 'moved.key');
  copyFileSync(key, moved);
  const c2 = await openStateKeyring(state, { keyFile: moved });
  assert.equal(c2!.openText(sealed, 'x', 'r'), 'hello');
  assert.equal(stateCipherOf(state), c2);
  forgetStateKeyrings();
  await assert.rejects(openStateKeyring(state, { keyFile: keyFile(d, 'other.key') }), (e: { code?: string; disposition?: string; message: string }) =>
    e.code === 'FERRY_STATE_KEY_MISMATCH' && e.disposition === 'fatal' && e.message.includes(`fingerprint ${ring.wrap.fingerprint}`) && /new settings\.stateDir .*settings\.cdcStartPosition/.test(e.message));
  await assert.rejects(openStateKeyring(state, undefined), { code: 'FERRY_STATE_KEY_MISMATCH', message: /is encrypted .* but settings\.stateEncryption is not set/ });
  await assert.rejects(openStateKeyring(state, { kms: { keyId: 'alias/x' } }), { code: 'FERRY_STATE_KEY_MISMATCH' });
  assert.throws(() => stateCipherOf(state), { code: 'FERRY_INTERNAL' }, 'nothing is written next to a keyring not opened');
  await assert.rejects(openStateKeyring(state, { keyFile: join(d, 'missing.key') }), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /cannot read the state key file/ });
  // keyring.json changed: the wrapped key fails authentication.
  const tampered = { ...ring, wrap: { ...ring.wrap, wrapped: Buffer.from(Buffer.from(ring.wrap.wrapped, 'base64').map((b, i) => (i === 3 ? b ^ 1 : b))).toString('base64') } };
  writeFileSync(keyringPath(state), JSON.stringify(tampered));
  await assert.rejects(openStateKeyring(state, { keyFile: key }), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /does not open with the key file/ });
  // A directory that already holds plain state cannot become encrypted.
  const plain = join(d, 'plain');
  const store = new SqliteOffsetStore({ path: join(plain, 'offsets.db') });
  await store.commit('t', { position: 'pg:0000000000000001' as never, snapshotDone: true, formatVersion: 1 });
  await store.close();
  await assert.rejects(openStateKeyring(plain, { keyFile: key }), { code: 'FERRY_STATE_KEY_MISMATCH', message: /created without encryption \(it holds offsets\.db/ });
  assert.equal(existsSync(keyringPath(plain)), false);
  writeFileSync(join(d, 'short.key'), 'abc');
  await assert.rejects(openStateKeyring(join(d, 'new'), { keyFile: join(d, 'short.key') }), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /openssl rand -hex 32/ });
});

test('KMS (moto): GenerateDataKey once, Decrypt at reopen, another key refused, an unreachable KMS or a changed keyring a clear error', async () => {
  forgetStateKeyrings();
  const kms = new KMSClient(MOTO);
  const k1 = (await kms.send(new CreateKeyCommand({ Description: 'ferry state-encryption test' }))).KeyMetadata!;
  const k2 = (await kms.send(new CreateKeyCommand({ Description: 'ferry state-encryption test 2' }))).KeyMetadata!;
  const s = (keyId: string) => ({ kms: { keyId, region: MOTO.region, endpoint: MOTO.endpoint, accessKeyId: 'test', secretAccessKey: { reveal: () => 'test' } as never } });
  const state = join(dir('kms'), 'state');
  const c1 = await openStateKeyring(state, s(k1.KeyId!));
  const ring = JSON.parse(readFileSync(keyringPath(state), 'utf8')) as { wrap: { type: string; keyId: string; keyArn: string; ciphertextBlob: string } };
  assert.equal(ring.wrap.type, 'kms');
  assert.equal(ring.wrap.keyArn, k1.Arn);
  assert.ok(Buffer.from(ring.wrap.ciphertextBlob, 'base64').length > 32);
  const sealed = c1!.sealText('payload', 'x');
  forgetStateKeyrings();
  const c2 = await openStateKeyring(state, s(k1.Arn!)); // the ARN names the same key
  assert.equal(c2!.openText(sealed, 'x', 'r'), 'payload');
  forgetStateKeyrings();
  await assert.rejects(openStateKeyring(state, s(k2.KeyId!)), (e: { code?: string; message: string }) => e.code === 'FERRY_STATE_KEY_MISMATCH' && e.message.includes(`created with KMS key ${k1.KeyId}`) && /cdcStartPosition/.test(e.message));
  await assert.rejects(openStateKeyring(join(dir('kms-missing'), 'state'), s('alias/ferry-state-encryption-no-such-key')), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /KMS GenerateDataKey with key alias\/ferry-state-encryption-no-such-key failed: NotFoundException/ });
  await assert.rejects(openStateKeyring(state, { kms: { ...s(k1.KeyId!).kms, endpoint: 'http://127.0.0.1:1' } }), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /KMS Decrypt with key .* failed: .*Check settings\.stateEncryption\.kms/ });
  // keyring.json's blob changed: KMS refuses it, nothing is decrypted.
  const blob = Buffer.from(ring.wrap.ciphertextBlob, 'base64');
  blob[blob.length - 3]! ^= 0x01;
  writeFileSync(keyringPath(state), JSON.stringify({ ...ring, wrap: { ...ring.wrap, ciphertextBlob: blob.toString('base64') } }));
  await assert.rejects(openStateKeyring(state, s(k1.KeyId!)), { code: 'FERRY_STATE_KEY_UNAVAILABLE', message: /KMS Decrypt with key .* failed: InvalidCiphertextException.*keyring\.json does not belong to this key or was changed/ });
  kms.destroy();
});

test('writers: offsets, schema history, dead letters, spool, task store read back exactly and leave no planted value on disk', async () => {
  forgetStateKeyrings();
  const d = dir('writers');
  const state = join(d, 'state');
  const key = keyFile(d);
  const c = (await openStateKeyring(state, { keyFile: key }))!;
  const planted = ['ferry-planted-row-7f3a9', 'ferry-planted-secret-Qx81', 'ferry-planted-ddl-default-42', 'pg:00000000DEADBEEF'];

  const offsets = new SqliteOffsetStore({ path: join(state, 'offsets.db') });
  const offset = { position: 'pg:00000000DEADBEEF' as never, snapshotDone: false, formatVersion: 1 as const, state: { lastKey: planted[0] } };
  await offsets.commit('t1', offset);
  await offsets.commit('t2', { ...offset, snapshotDone: true });
  assert.deepEqual(await offsets.read('t1'), offset);
  await offsets.close();
  // A row swapped for another task's is refused.
  const db = new DatabaseSync(join(state, 'offsets.db'));
  const rows = db.prepare('SELECT task, value FROM offsets').all() as { task: string; value: string }[];
  assert.ok(rows.every((r) => r.value.startsWith('fe1:')));

  const history = new SchemaHistory(state);
  const entry = { pos: 'mysql:1', key: 'shop.orders', version: 1, def: null, cause: 'ddl' as const, ddl: `ALTER TABLE orders ADD note varchar(40) DEFAULT '${planted[2]}'` };
  history.append([entry]);
  assert.deepEqual(new SchemaHistory(state).entries, [entry]);

  const dlq = fileDeadLetterQueue(join(state, 'dlq', 'pg.jsonl'), c);
  await dlq.send([{ stage: 'sink', reason: 'refused', topic: 't', partition: null, offset: null, key: null, value: Buffer.from(planted[0]!), headers: new Map(), timestampMs: 1, json: { after: { note: planted[0] } } }], 'pg');
  const dlqLine = readFileSync(join(state, 'dlq', 'pg.jsonl'), 'utf8').trim();
  const letter = JSON.parse(c.openText(dlqLine, 'dlq/pg.jsonl', 'dead letter')) as { change: { after: { note: string } }; value: string };
  assert.equal(letter.change.after.note, planted[0]);
  assert.equal(Buffer.from(letter.value, 'base64').toString(), planted[0]);

  const ev: TaskEvent = { id: 'e1', category: 'failure', dmsCategory: 'Failure', task: 't', time: '2026-01-01T00:00:00.000Z', message: planted[1]!, details: {} };
  const spool = new NotificationSpool(join(state, 'notifications', 'spool.jsonl'), c);
  spool.add('hook', ev);
  spool.close();
  assert.deepEqual(new NotificationSpool(join(state, 'notifications', 'spool.jsonl'), c).pending(), [{ sub: 'hook', event: ev }]);
  assert.throws(() => new NotificationSpool(join(state, 'notifications', 'spool.jsonl')), { code: 'FERRY_STATE_KEY_MISMATCH' });
  const dead = new NotificationDeadLetters({ file: join(state, 'notifications', 'dead-letters.jsonl'), log: quiet(), cipher: c });
  dead.write({ subscription: 'hook', destination: 'webhook', where: 'http://x', attempts: 1, reason: 'down', event: ev });
  await dead.close();
  const deadLine = readFileSync(join(state, 'notifications', 'dead-letters.jsonl'), 'utf8').trim();
  assert.equal((JSON.parse(c.openText(deadLine, 'notifications/dead-letters.jsonl', 'r')) as { event: TaskEvent }).event.message, planted[1]);

  const tasks = new SqliteTaskStore({ path: join(state, 'tasks.db'), cipher: c });
  const stored = { name: 'orders', definition: { source: { password: planted[1] } }, desired: 'running' as const, status: { state: 'stopped' as const, reason: null, since: 'x' }, createdAt: 'a', updatedAt: 'b' };
  await tasks.put(stored);
  assert.deepEqual(await tasks.list(), [stored]);
  await tasks.close();

  // Swapping two rows' values is refused (each is bound to its task).
  db.prepare('UPDATE offsets SET value = ? WHERE task = ?').run(rows.find((r) => r.task === 't2')!.value, 't1');
  db.close();
  const again = new SqliteOffsetStore({ path: join(state, 'offsets.db') });
  await assert.rejects(again.read('t1'), { code: 'FERRY_STATE_DECRYPT', message: /sqlite offset of task t1 failed authentication/ });
  await again.close();
  assertNowhere(state, planted);
});

test('spill file: encrypted chunks replay exactly as the plain file, across a cut inside a chunk; a changed byte is refused', async () => {
  const d = dir('spill');
  const c = cipher();
  const row = (i: number) => Buffer.from(`ferry-planted-spill-${i}-${'x'.repeat(i % 5000)}`);
  const write = async (sp: SpillFile) => {
    for (let i = 0; i < 3000; i++) await sp.append(BigInt(i), i < 1500 ? 1 : i < 2600 ? 2 : 3, row(i));
    sp.addSchema(99n, Buffer.from('relation'));
    await sp.abortSubtransaction(3); // cut in the last (unflushed) chunk
    await sp.flush();
    await sp.abortSubtransaction(2); // cut inside a flushed chunk: its first part is rewritten
    for (let i = 5000; i < 5010; i++) await sp.append(BigInt(i), 4, row(i));
  };
  const plain = new SpillFile(join(d, 'plain'), 1);
  const sealed = new SpillFile(join(d, 'sealed'), 1, c);
  await write(plain);
  await write(sealed);
  const replay = async (sp: SpillFile) => { const out: string[] = []; for await (const r of sp.replay()) out.push(`${r.lsn}:${r.data.toString()}`); return out; };
  const expected = await replay(plain);
  assert.equal(expected.length, 1500 + 1 + 10);
  assert.deepEqual(await replay(sealed), expected);
  assert.equal(readFileSync(sealed.path).includes('ferry-planted-spill'), false);
  const bytes = readFileSync(sealed.path);
  const fd = await import('node:fs/promises').then((m) => m.open(sealed.path, 'r+'));
  await fd.write(Buffer.from([bytes[bytes.length - 100]! ^ 0x10]), 0, 1, bytes.length - 100);
  await fd.close();
  await assert.rejects(replay(sealed), { code: 'FERRY_STATE_DECRYPT' });
  await plain.discard();
  await sealed.discard();
  mkdirSync(d, { recursive: true });
});
