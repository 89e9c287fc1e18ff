/**
 * AWS MSK IAM tokens. MSK cannot be reached from the test box, so the token is checked against AWS's documented
 * format (a SigV4-presigned `kafka-cluster:Connect` URL, base64url without padding; aws-msk-iam-sasl-signer-js) and
 * its signature against the AWS SDK's own SigV4 signer (@smithy/signature-v4) for the same request, date and keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { decodeMskToken, mskIamToken, mskIamTokenProvider, presignMskConnectUrl, uriEncode } from '../../src/msk-iam.ts';

class Sha256 {
  readonly #h;
  constructor(secret?: string | Uint8Array) {
    this.#h = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(d: string | Uint8Array) {
    this.#h.update(d);
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

const date = new Date('2026-11-27T10:15:30.123Z');
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const temp = { ...creds, sessionToken: 'IQoJb3JpZ2luX2VjE/+tok=en' };

for (const [label, c] of [['long-term keys', creds], ['temporary credentials', temp]] as const) {
  test(`presigned URL equals the AWS SDK's SigV4 presign (${label})`, async () => {
    const signer = new SignatureV4({ service: 'kafka-cluster', region: 'eu-west-1', credentials: c, sha256: Sha256 as never });
    const req = await signer.presign({ method: 'GET', protocol: 'https:', hostname: 'kafka.eu-west-1.amazonaws.com', path: '/', query: { Action: 'kafka-cluster:Connect' }, headers: { host: 'kafka.eu-west-1.amazonaws.com' } } as never, { signingDate: date, expiresIn: 900 });
    const ours = presignMskConnectUrl('eu-west-1', c, date);
    const q = (req as unknown as { query: Record<string, string> }).query;
    assert.equal(ours.searchParams.get('X-Amz-Signature'), q['X-Amz-Signature']);
    for (const [k, v] of Object.entries(q)) assert.equal(ours.searchParams.get(k), v, k);
    assert.equal([...ours.searchParams.keys()].length, Object.keys(q).length);
  });
}

test('token: base64url (no padding) of the presigned URL with the documented parameters', () => {
  const { token, expiresAt } = mskIamToken('us-east-1', temp, date);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  const url = decodeMskToken(token);
  assert.equal(url.protocol, 'https:');
  assert.equal(url.host, 'kafka.us-east-1.amazonaws.com');
  assert.equal(url.pathname, '/');
  const p = url.searchParams;
  assert.equal(p.get('Action'), 'kafka-cluster:Connect');
  assert.equal(p.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.equal(p.get('X-Amz-Credential'), 'AKIDEXAMPLE/20261127/us-east-1/kafka-cluster/aws4_request');
  assert.equal(p.get('X-Amz-Date'), '20261127T101530Z');
  assert.equal(p.get('X-Amz-Expires'), '900');
  assert.equal(p.get('X-Amz-SignedHeaders'), 'host');
  assert.equal(p.get('X-Amz-Security-Token'), temp.sessionToken);
  assert.match(p.get('X-Amz-Signature')!, /^[0-9a-f]{64}$/);
  assert.ok(p.get('User-Agent'));
  assert.ok(url.search.includes('Action=kafka-cluster%3AConnect'), 'Action value percent-encoded as SigV4 wants');
  assert.deepEqual([...p.keys()], [...p.keys()].sort(), 'query keys sorted');
  assert.equal(expiresAt.toISOString(), '2026-11-27T10:30:30.000Z');
  // Signing again at the same instant gives the same token; a new instant a new one.
  assert.equal(mskIamToken('us-east-1', temp, date).token, token);
  assert.notEqual(mskIamToken('us-east-1', temp, new Date(date.getTime() + 1000)).token, token);
});

test('SigV4 URI encoding', () => {
  assert.equal(uriEncode("a b/c:d+e=f!'()*~._-"), 'a%20b%2Fc%3Ad%2Be%3Df%21%27%28%29%2A~._-');
});

test('token provider signs a fresh token per call with the given credentials', async () => {
  let calls = 0;
  const provider = mskIamTokenProvider({ region: 'ap-south-1' }, async () => { calls++; return creds; });
  const a = await provider();
  assert.equal(decodeMskToken(a).host, 'kafka.ap-south-1.amazonaws.com');
  await provider();
  assert.equal(calls, 2);
});
