/**
 * Maintenance's file access on S3 (moto): listing with modification times under a table location, reading a file,
 * deleting in batches; and the same on a local folder given as a `file:` URI, as Java's Hadoop FileIO writes them.
 * Read back with the AWS SDK and node:fs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DefaultTableFiles, normaliseLocation } from '../../src/maintenance/table-files.ts';
import { services, uniqueName } from '../../../../test/helpers/services.ts';

const bucket = uniqueName('ferry-ice-files').replace(/_/g, '-').toLowerCase();
const s3 = new S3Client({ region: 'us-east-1', endpoint: services.motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const files = new DefaultTableFiles({ endpoint: services.motoUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' });

before(async () => { await s3.send(new CreateBucketCommand({ Bucket: bucket })); });
after(async () => {
  const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of left.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  await files.close();
});

test('S3: list (recursive, with times and sizes, nothing outside the table), read, delete', async () => {
  const keys = ['wh/t/data/a.parquet', 'wh/t/data/p=1/b.parquet', 'wh/t/metadata/v1.metadata.json', 'wh/t2/data/other.parquet'];
  const t0 = Date.now() - 5_000;
  for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: `body of ${k}` }));
  const listed = await files.list(`s3a://${bucket}/wh/t/`);
  assert.deepEqual(listed.map((f) => f.location).sort(), [`s3://${bucket}/wh/t/data/a.parquet`, `s3://${bucket}/wh/t/data/p=1/b.parquet`, `s3://${bucket}/wh/t/metadata/v1.metadata.json`]);
  for (const f of listed) {
    assert.ok(f.lastModifiedMs > t0 && f.lastModifiedMs < Date.now() + 5_000, `${f.location} time`);
    assert.equal(f.size, `body of ${f.location.slice(`s3://${bucket}/`.length)}`.length);
  }
  assert.equal((await files.read(`s3://${bucket}/wh/t/data/a.parquet`)).toString(), 'body of wh/t/data/a.parquet');
  await files.delete([`s3://${bucket}/wh/t/data/a.parquet`, `s3://${bucket}/wh/t/data/p=1/b.parquet`]);
  const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual((left.Contents ?? []).map((o) => o.Key).sort(), ['wh/t/metadata/v1.metadata.json', 'wh/t2/data/other.parquet']);
});

test('local folder as file:/ and file:/// URIs, and a missing folder lists empty', async () => {
  const dir = await mkdtemp(`${tmpdir()}/ferry-ice-files-`);
  try {
    await mkdir(`${dir}/t/data`, { recursive: true });
    await writeFile(`${dir}/t/data/a.parquet`, 'x');
    await writeFile(`${dir}/t/data/.a.parquet.crc`, 'c');
    assert.equal(normaliseLocation(`file:${dir}/t/data/a.parquet`), `${dir}/t/data/a.parquet`);
    assert.equal(normaliseLocation(`file://${dir}/t/data/a.parquet`), `${dir}/t/data/a.parquet`);
    assert.deepEqual((await files.list(`file:${dir}/t`)).map((f) => f.location), [`${dir}/t/data/.a.parquet.crc`, `${dir}/t/data/a.parquet`]);
    assert.deepEqual(await files.list(`file://${dir}/missing`), []);
    await files.delete([`file:${dir}/t/data/a.parquet`, `file:${dir}/t/data/gone.parquet`]);
    assert.deepEqual(await readdir(`${dir}/t/data`), ['.a.parquet.crc']);
  } finally { await rm(dir, { recursive: true, force: true }); }
});
