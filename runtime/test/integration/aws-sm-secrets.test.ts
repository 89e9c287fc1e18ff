// ${aws-sm:…} references against moto (http://127.0.0.1:5000): a plain secret, a JSON secret's keys, a binary one;
// each distinct secret fetched once however many references name it (counted by a forwarding proxy); the errors
// (missing secret, not JSON, missing key, unreachable endpoint, refused by the server's policy) naming the reference
// and never the value; and a refreshable Secret that sees a PutSecretValue, with connectWithCredentialRefresh
// retrying once only when the value changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fetchAwsSmSecrets, bindAwsSmSources } from '../../src/config/aws-sm-secrets.ts';
import { redact, resolveSecretReferences, Secret } from '../../src/config/secrets.ts';
import { connectWithCredentialRefresh, isMySqlAuthFailure, isPgAuthFailure } from '../../src/config/secret-refresh.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: services.motoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: services.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const prefix = uniqueName('secrets-sm');
const PLAIN = `plain-value-${prefix}-"quoted"\\back`;
const JSON_PW = `json-password-${prefix}-ünï`;
const created: string[] = [];
let counter: Server;
let counted = 0;
let counterUrl = '';

async function put(name: string, value: string | Uint8Array): Promise<string> {
  const r = await sm.send(new CreateSecretCommand({ Name: name, ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }) }));
  created.push(name);
  return r.ARN!;
}

before(async () => {
  // Prior settings of the process must not leak into the SDK's chain.
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  await put(`${prefix}/plain`, PLAIN);
  await put(`${prefix}/json`, JSON.stringify({ username: 'ferry_user', password: JSON_PW, port: 3306, nested: { a: 1 } }));
  await put(`${prefix}/text`, 'not json at all, just text');
  await put(`${prefix}/binary`, new TextEncoder().encode('binary-secret-ü-value'));
  // A forwarding proxy to moto that counts GetSecretValue calls.
  counter = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (String(req.headers['x-amz-target']).endsWith('GetSecretValue')) counted++;
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)).map(([k, v]) => [k, String(v)]));
      void fetch(`${services.motoUrl}${req.url}`, { method: req.method!, headers, body: Buffer.concat(chunks) }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((r) => counter.listen(0, '127.0.0.1', () => r()));
  counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
});

after(async () => {
  counter.close();
  for (const name of created) await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
  sm.destroy();
});

const doc = () => ({
  source: { password: `\${aws-sm:${prefix}/plain}`, user: `\${aws-sm:${prefix}/json#username}` },
  target: { password: `\${aws-sm:${prefix}/json#password}`, port: `\${aws-sm:${prefix}/json#port}`, note: `x-\${aws-sm:${prefix}/binary}-y` },
});

test('plain, JSON #key and binary secrets resolve; each distinct secret is fetched once; values are redacted', { timeout: 30_000 }, async () => {
  counted = 0;
  const awsSm = await fetchAwsSmSecrets([`${prefix}/plain`, `${prefix}/json`, `${prefix}/json`, `${prefix}/binary`], { env: { ...env, AWS_ENDPOINT_URL: counterUrl } });
  assert.equal(counted, 3, 'three distinct secrets, three GetSecretValue calls');
  const r = resolveSecretReferences(doc(), { baseDir: '/', env: {}, awsSm });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.value, {
    source: { password: PLAIN, user: 'ferry_user' },
    target: { password: JSON_PW, port: '3306', note: 'x-binary-secret-ü-value-y' },
  });
  assert.equal(r.awsSmStrings.get(JSON_PW), `\${aws-sm:${prefix}/json#password}`);
  assert.equal(redact(`pw=${PLAIN} and ${JSON.stringify(JSON_PW)}`), 'pw=*** and "***"');
});

test('errors name the reference and the fix, never a value', { timeout: 30_000 }, async () => {
  const missing = `${prefix}/missing`;
  const awsSm = await fetchAwsSmSecrets([missing, `${prefix}/text`, `${prefix}/json`], { env });
  const r = resolveSecretReferences({
    a: `\${aws-sm:${missing}}`, b: `\${aws-sm:${prefix}/text#password}`, c: `\${aws-sm:${prefix}/json#pass}`, d: `\${aws-sm:${prefix}/json#nested}`, e: '${aws-sm:#x}',
  }, { baseDir: '/', env: {}, awsSm });
  assert.deepEqual(r.problems.map((p) => [p.path.join('.'), p.message]), [
    ['a', `cannot resolve \${aws-sm:${missing}}: AWS Secrets Manager (us-east-1, ${services.motoUrl}) has no secret "${missing}" (ResourceNotFoundException); check the name or ARN, and the region (AWS_REGION)`],
    ['b', `cannot resolve \${aws-sm:${prefix}/text#password}: secret "${prefix}/text" is not JSON, so it has no key "password"; store a JSON object in it, or drop "#password" to use the whole secret`],
    ['c', `cannot resolve \${aws-sm:${prefix}/json#pass}: secret "${prefix}/json" has no top-level key "pass" (its keys: "username", "password", "port", "nested"); fix the key after "#" or add it to the secret`],
    ['d', `cannot resolve \${aws-sm:${prefix}/json#nested}: key "nested" of secret "${prefix}/json" holds an object, not a string, number or boolean`],
    ['e', 'cannot resolve ${aws-sm:#x}: expected ${aws-sm:name-or-arn} or ${aws-sm:name-or-arn#json-key}'],
  ]);
  assert.ok(!JSON.stringify(r.problems).includes(JSON_PW));

  const unreachable = await fetchAwsSmSecrets([`${prefix}/plain`], { env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, timeoutMs: 2000 });
  const u = unreachable.get(`${prefix}/plain`);
  assert.ok(u && 'error' in u);
  assert.equal(u.error, `cannot reach AWS Secrets Manager (us-east-1, http://127.0.0.1:1) to read secret "${prefix}/plain" (ECONNREFUSED); check AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER (or AWS_ENDPOINT_URL) and the network`);

  // The task API's policy: only names with the operator's prefix; none without one.
  const policy = (awsSmPrefix: string | null) => ({ allowsReferenceAt: () => true, envPrefix: null, fileDir: null, awsSmPrefix });
  const refused = resolveSecretReferences({ p: `\${aws-sm:${prefix}/plain}` }, { baseDir: '/', env: {}, awsSm, policy: policy('other/') });
  assert.deepEqual(refused.problems.map((p) => p.message), ['${aws-sm:…} is refused: this server resolves only AWS secrets whose name or ARN starts with "other/" (ferry serve --secrets-aws-sm-prefix)']);
  const none = resolveSecretReferences({ p: `\${aws-sm:${prefix}/plain}` }, { baseDir: '/', env: {}, awsSm, policy: policy(null) });
  assert.deepEqual(none.problems.map((p) => p.message), ['${aws-sm:…} is refused: this server resolves no AWS Secrets Manager secrets (ferry serve --secrets-aws-sm-prefix)']);
});

test('a refreshable Secret fetches the rotated value; connectWithCredentialRefresh retries once, only when it changed', { timeout: 30_000 }, async () => {
  const name = `${prefix}/rotating`;
  const v1 = `rotating-v1-${prefix}`;
  const v2 = `rotating-v2-${prefix}`;
  await put(name, JSON.stringify({ password: v1 }));
  const written = `\${aws-sm:${name}#password}`;
  const awsSm = await fetchAwsSmSecrets([name], { env });
  const r = resolveSecretReferences({ password: written }, { baseDir: '/', env: {}, awsSm });
  const secret = new Secret((r.value as { password: string }).password);
  // With the task API's policy (its location check does not apply to a refresh; its prefix does).
  const policy = { allowsReferenceAt: (path: readonly (string | number)[]) => path.join('.') === 'password', envPrefix: null, fileDir: null, awsSmPrefix: `${prefix}/` };
  assert.equal(bindAwsSmSources({ s: secret }, r.awsSmStrings, { baseDir: '/', env: {}, policy }, { env }), 1);
  assert.equal(secret.reference, written);
  const events: unknown[] = [];
  secret.onRefresh((e) => events.push(e));

  // The "server" accepts only the value the secret store holds now.
  let serverPassword = v1;
  const attempts: string[] = [];
  const connect = async () => {
    attempts.push(secret.reveal());
    if (secret.reveal() !== serverPassword) throw Object.assign(new Error('Access denied'), { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' });
    return 'connected';
  };
  assert.equal(await connectWithCredentialRefresh({ connect, isAuthFailure: isMySqlAuthFailure, secrets: [secret] }), 'connected');

  // Rotated on the server only: refreshed once, unchanged, the first error is raised; no second attempt.
  serverPassword = v2;
  attempts.length = 0;
  await assert.rejects(connectWithCredentialRefresh({ connect, isAuthFailure: isMySqlAuthFailure, secrets: [secret] }), /Access denied/);
  assert.deepEqual(attempts, [v1]);
  assert.deepEqual(events, [{ reference: written, changed: false }]);

  // Rotated in the store too: refreshed, changed, the second attempt connects with the new value.
  await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify({ password: v2 }) }));
  attempts.length = 0;
  assert.equal(await connectWithCredentialRefresh({ connect, isAuthFailure: isMySqlAuthFailure, secrets: [secret] }), 'connected');
  assert.deepEqual(attempts, [v1, v2]);
  assert.deepEqual(events.at(-1), { reference: written, changed: true });
  assert.equal(secret.reveal(), v2);
  assert.equal(redact(`a ${v2} b`), 'a *** b', 'the new value is registered with the redactor');

  // Not an authentication failure: no refresh, the error as it is.
  const before = events.length;
  await assert.rejects(connectWithCredentialRefresh({ connect: () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), isAuthFailure: isMySqlAuthFailure, secrets: [secret] }), /refused/);
  assert.equal(events.length, before);

  // The store failing during the refresh: the credentials error is raised, the store's error attached.
  await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  serverPassword = 'v3';
  const e = await connectWithCredentialRefresh({ connect, isAuthFailure: isMySqlAuthFailure, secrets: [secret] }).catch((x: unknown) => x);
  assert.match(String((e as Error).message), /Access denied/);
  const refreshError = (e as { refreshError?: unknown }).refreshError;
  assert.ok(refreshError instanceof FerryError && refreshError.code === 'FERRY_SECRET_UNRESOLVED', String(refreshError));
  assert.match(refreshError.message, /has no secret/);
  const last = events.at(-1) as { reference: string; changed: boolean; error: string };
  assert.deepEqual([last.reference, last.changed], [written, false]);
  assert.match(last.error, /^fetching \$\{aws-sm:[^}]+\} again failed: cannot resolve .* has no secret/);
});

test('authentication failures are recognised through FerryError causes', () => {
  assert.equal(isMySqlAuthFailure(new FerryError('FERRY_SOURCE_AUTH', 'x', { cause: { errno: 1045 } })), true);
  assert.equal(isMySqlAuthFailure(new FerryError('FERRY_SOURCE_ERROR', 'x', { cause: { errno: 1044 } })), false);
  assert.equal(isPgAuthFailure(new FerryError('FERRY_SOURCE_AUTH', 'x', { cause: { code: '28P01' } })), true);
  assert.equal(isPgAuthFailure({ code: '28000' }), true);
  assert.equal(isPgAuthFailure({ code: '3D000' }), false);
});
