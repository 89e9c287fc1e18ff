// LOB modes end to end with 5 MB values: MariaDB LONGTEXT/LONGBLOB → Ferry (runTask) → Kafka, read back with the
// independent decoder (test/helpers/topic-reader.ts); claim-checked values read back from moto S3 with the SDK,
// their sha256 and size checked, and their SSE-KMS encryption under a KMS key created in moto.
// One task covers all four modes: the task-level mode is claim-check, and DMS table-settings lob-settings rules
// select limited, full (unlimited) and inline (unlimited with bulk-max-size) for the other tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded } from '../helpers/topic-reader.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB5 = 5 * 1024 * 1024;

async function createKmsKey(): Promise<string> {
  const res = await fetch(`${services.motoUrl}/`, {
    method: 'POST', body: JSON.stringify({ Description: 'ferry lob test' }),
    headers: { 'X-Amz-Target': 'TrentService.CreateKey', 'Content-Type': 'application/x-amz-json-1.1', Authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=x' },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

test('LOB modes limited, full, inline and claim-check with 5 MB values reach Kafka (and S3, KMS-encrypted)', { timeout: 300000 }, async (t) => {
  const db = uniqueName('lob_e2e');
  const bucket = db.replace(/_/g, '-');
  const s3 = new S3Client({ region: 'us-east-1', endpoint: services.motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const kmsKeyId = await createKmsKey();

  const text = 'héllo wörld ✓ '.repeat(Math.ceil(MB5 / 14) + 1).slice(0, Math.ceil(MB5 * 14 / 18) + 14); // multi-byte characters, > 5 MB as UTF-8
  const textBytes = Buffer.from(text, 'utf8');
  assert.ok(textBytes.length >= MB5);
  const blob = Buffer.alloc(MB5);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 31 + 7) & 0xff;

  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  for (const tb of ['docs_limited', 'docs_full', 'docs_inline', 'docs_cc']) {
    await admin.query(`CREATE TABLE ${db}.${tb} (id INT PRIMARY KEY, title VARCHAR(50), body LONGTEXT, data LONGBLOB)`);
    await admin.query(`INSERT INTO ${db}.${tb} VALUES (1, 'big', ?, NULL), (2, 'bin', NULL, ?), (3, 'small', 'tiny', x'0102')`, [text, blob]);
  }
  const ts = (id: string, table: string, lob: unknown) => ({ 'rule-type': 'table-settings', 'rule-id': id, 'rule-name': `lob${id}`, 'object-locator': { 'schema-name': db, 'table-name': table }, 'lob-settings': lob });
  const task = parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': 'docs%' } },
      ts('2', 'docs_limited', { mode: 'limited', 'bulk-max-size': '64' }),
      ts('3', 'docs_full', { mode: 'unlimited', 'bulk-max-size': '0' }),
      ts('4', 'docs_inline', { mode: 'unlimited', 'bulk-max-size': '1024' }),
    ] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, maxMessageBytes: 16 * 1024 * 1024 },
    settings: {
      metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-lob-')), 'state'), offsetStore: 'sqlite', batch: { maxDelayMs: 5, maxEvents: 4 },
      lob: { mode: 'claim-check', claimCheck: { bucket, prefix: 'lobs', thresholdKb: 2048, kmsKeyId, endpoint: services.motoUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' } },
    },
  });
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const controller = new AbortController();
  const running = runTask({ task, log: createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics, serveMetrics: false }, controller.signal);
  let failure: unknown;
  running.catch((e: unknown) => { failure = e; });
  t.after(async () => { controller.abort(); await running.catch(() => undefined); await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); s3.destroy(); });
  const metric = async (name: string) => ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
  const waitEvents = async (n: number) => {
    for (let i = 0; i < 2400 && (await metric('ferry_events_total')) < n; i++) { if (failure) throw failure; await sleep(50); }
    assert.equal(await metric('ferry_events_total'), n);
  };
  await waitEvents(12); // the snapshot: 3 rows × 4 tables
  // Streaming (binlog) path too: a 5 MB insert into the claim-check table.
  await admin.query(`INSERT INTO ${db}.docs_cc VALUES (4, 'cdc', ?, NULL)`, [text]);
  await waitEvents(13);

  const rows = async (table: string) => (await readDecoded(`${db}.${db}.${table}`)).map((r) => r.value!.after!);
  const ref = (v: unknown) => JSON.parse(v as string) as { uri: string; sha256: string; size: number };
  const readS3 = async (uri: string) => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
    const o = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
    return { body: Buffer.from(await o.Body!.transformToByteArray()), sse: o.ServerSideEncryption, kms: o.SSEKMSKeyId };
  };

  // limited (table-settings limited, bulk-max-size 64 KB): truncated at a UTF-8 boundary, flagged.
  const lim = await rows('docs_limited');
  assert.equal(lim.length, 3);
  const limBody = lim[0]!.body as string;
  assert.ok(Buffer.byteLength(limBody) <= 64 * 1024 && Buffer.byteLength(limBody) > 64 * 1024 - 4);
  assert.ok(text.startsWith(limBody));
  assert.equal(lim[0]!.__ferry_truncated, 'body');
  assert.deepEqual(lim[1]!.data, blob.subarray(0, 64 * 1024));
  assert.equal(lim[1]!.__ferry_truncated, 'data');
  assert.deepEqual([lim[2]!.body, lim[2]!.__ferry_truncated], ['tiny', null]);

  // full (unlimited, bulk-max-size 0): complete values, schema unchanged.
  const full = await rows('docs_full');
  assert.equal(sha(Buffer.from(full[0]!.body as string, 'utf8')), sha(textBytes));
  assert.equal(sha(full[1]!.data as Buffer), sha(blob));
  assert.deepEqual(Object.keys(full[0]!), ['id', 'title', 'body', 'data']);

  // inline (unlimited, bulk-max-size 1024 KB) and claim-check (task level, threshold 2048 KB): 5 MB values go to S3.
  for (const table of ['docs_inline', 'docs_cc']) {
    const r = await rows(table);
    assert.equal(r.length, table === 'docs_cc' ? 4 : 3);
    for (const [i, col, bytes] of [[0, 'body', textBytes], [1, 'data', blob], ...(table === 'docs_cc' ? [[3, 'body', textBytes] as const] : [])] as const) {
      assert.equal(r[i]![col], null, `${table} row ${i} ${col} is replaced`);
      const rf = ref(r[i]![`${col}__ferry_ref`]);
      assert.deepEqual(rf, { uri: `s3://${bucket}/lobs/${db}/${table}/${sha(bytes)}`, sha256: sha(bytes), size: bytes.length });
      const o = await readS3(rf.uri);
      assert.equal(sha(o.body), rf.sha256);
      assert.equal(o.body.length, rf.size);
      assert.equal(o.sse, 'aws:kms');
      assert.equal(o.kms, kmsKeyId);
    }
    assert.deepEqual([r[2]!.body, r[2]!.data, r[2]!.body__ferry_ref, r[2]!.data__ferry_ref], ['tiny', Buffer.from([1, 2]), null, null]);
  }
});

test('oversize: fail stops with FERRY_EVENT_TOO_LARGE and commits nothing; rerun with oversize claim-check delivers the row', { timeout: 300000 }, async (t) => {
  const db = uniqueName('lob_over');
  const bucket = db.replace(/_/g, '-');
  const s3 = new S3Client({ region: 'us-east-1', endpoint: services.motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = 'x'.repeat(MB5);
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.docs (id INT PRIMARY KEY, body LONGTEXT)`);
  await admin.query(`INSERT INTO ${db}.docs VALUES (1, 'small'), (2, ?)`, [body]);
  t.after(async () => { await admin.query(`DROP DATABASE IF EXISTS ${db}`); await admin.end(); s3.destroy(); });
  const stateDir = join(mkdtempSync(join(tmpdir(), 'ferry-lob-over-')), 'state');
  const make = (oversize: string) => parseTask({
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': 'docs' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db, maxMessageBytes: 2 * 1024 * 1024 },
    settings: {
      metrics: { enabled: false }, stateDir, offsetStore: 'sqlite', batch: { maxDelayMs: 5 },
      lob: { oversize, claimCheck: { bucket, endpoint: services.motoUrl, accessKeyId: 'test', secretAccessKey: 'test' } },
    },
  });
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const quietRun = (oversize: string) => runTask({ task: make(oversize), log, metrics: new PromMetrics({ collectProcessMetrics: false }), serveMetrics: false }, new AbortController().signal);
  await assert.rejects(quietRun('fail'), (e: unknown) => (e as { code?: string }).code === 'FERRY_EVENT_TOO_LARGE');
  const done = await quietRun('claim-check');
  assert.equal(done.snapshotDone, true);
  const recs = (await readDecoded(`${db}.${db}.docs`)).map((r) => r.value!.after!);
  const last = new Map(recs.map((r) => [r.id, r]));
  assert.deepEqual([...last.keys()].sort(), [1, 2]);
  assert.deepEqual([last.get(1)!.body, last.get(1)!.body__ferry_ref], ['small', null]);
  assert.equal(last.get(2)!.body, null);
  const ref = JSON.parse(last.get(2)!.body__ferry_ref as string) as { uri: string; sha256: string; size: number };
  assert.deepEqual(ref, { uri: `s3://${bucket}/ferry-lob/${db}/docs/${sha(Buffer.from(body))}`, sha256: sha(Buffer.from(body)), size: MB5 });
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref.uri.slice(`s3://${bucket}/`.length) }));
  assert.equal(sha(Buffer.from(await o.Body!.transformToByteArray())), ref.sha256);
});
