// AWS endpoints with a custom CA bundle (issue #20): a TLS-terminating proxy with a throwaway CA in front of moto.
// With AWS_CA_BUNDLE naming that CA, Ferry's S3 client (the lake / Redshift staging object store) uploads through it
// and the object read back directly from moto (plain HTTP, another client) has the same bytes; without the bundle the
// upload fails with a fatal one-line error naming the endpoint, the reason (unknown CA) and AWS_CA_BUNDLE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../src/storage/object-store.ts';
import { createBucket, S3, services, uniqueName } from '../../../test/helpers/sink-kit/services.ts';
import { makeTestPki, startTlsTerminator, type RunningProxy, type TestPki } from '../../../test/helpers/tls-test-proxy.ts';

let pki: TestPki;
let proxy: RunningProxy;
const bucket = uniqueName('tlskafka-aws').replace(/_/g, '-').toLowerCase();
const saved = process.env.AWS_CA_BUNDLE;

before(async () => {
  pki = makeTestPki();
  const moto = new URL(services.motoUrl);
  proxy = await startTlsTerminator({ pki, host: moto.hostname, port: Number(moto.port) });
  await createBucket(bucket);
});
after(async () => {
  if (saved === undefined) delete process.env.AWS_CA_BUNDLE;
  else process.env.AWS_CA_BUNDLE = saved;
  await proxy?.close();
  pki?.remove();
});

const open = () => S3ObjectStore.open(bucket, 'ca-bundle', { endpoint: `https://127.0.0.1:${proxy.port}`, region: S3.region, accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey });

test('AWS_CA_BUNDLE: an upload through a TLS endpoint signed by a private CA works, and the bytes are in S3', { timeout: 30000 }, async () => {
  process.env.AWS_CA_BUNDLE = pki.caFile;
  const body = randomBytes(4096);
  const file = join(pki.dir, 'upload.bin');
  writeFileSync(file, body);
  const store = await open();
  try {
    await store.putFile('one.bin', file);
  } finally {
    await store.close();
  }
  assert.ok(proxy.count() > 0, 'the request went through the TLS endpoint');
  const plain = new S3Client({ region: S3.region, endpoint: S3.endpoint, forcePathStyle: true, credentials: { accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey } });
  try {
    const got = await plain.send(new GetObjectCommand({ Bucket: bucket, Key: 'ca-bundle/one.bin' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
  } finally {
    plain.destroy();
  }
});

test('without the bundle: a fatal one-line error naming the endpoint, unknown CA and AWS_CA_BUNDLE', { timeout: 30000 }, async () => {
  delete process.env.AWS_CA_BUNDLE;
  const file = join(pki.dir, 'upload2.bin');
  writeFileSync(file, 'x');
  const store = await open();
  try {
    await assert.rejects(store.putFile('two.bin', file), (e: Error & { disposition?: string }) => {
      assert.equal(e.disposition, 'fatal', e.message);
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, /TLS to S3/);
      assert.match(e.message, /unknown CA/);
      assert.match(e.message, /AWS_CA_BUNDLE/);
      return true;
    });
  } finally {
    await store.close();
  }
});

test('an unreadable AWS_CA_BUNDLE is a configuration error naming the variable', { timeout: 30000 }, async () => {
  process.env.AWS_CA_BUNDLE = join(pki.dir, 'missing.pem');
  await assert.rejects(open(), /AWS_CA_BUNDLE=.*missing\.pem: cannot read it \(ENOENT\)/);
  delete process.env.AWS_CA_BUNDLE;
});
