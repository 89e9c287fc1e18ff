// The schema registry over HTTPS (issue #20): an HTTPS proxy with a throwaway CA in front of the local registry,
// requiring a client certificate (mutual TLS) and a bearer token. With the task's kafka.schemaRegistryTls and
// kafka.schemaRegistryAuth the client registers a schema and reads it back by id through the proxy (the id read back
// directly from the plain registry: an independent reader); without the CA, with a wrong CA, with the wrong host
// name, without the client certificate, or against an expired certificate it fails with a one-line error naming the URL, the reason and the option.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentRegistryClient } from '../../src/ConfluentRegistryClient.ts';
import { taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { makeTestPki, startHttpsProxy, type RunningProxy, type TestPki } from '../../../test/helpers/tls-test-proxy.ts';

const TOKEN = `tlskafka-token-${Math.random().toString(36).slice(2)}`;
let pki: TestPki;
let proxy: RunningProxy;
let url: string;

before(async () => {
  pki = makeTestPki();
  proxy = await startHttpsProxy({ pki, target: services.registryUrl, requireClientCert: true, authorization: `Bearer ${TOKEN}` });
  url = `https://127.0.0.1:${proxy.port}${new URL(services.registryUrl).pathname}`;
});
after(async () => {
  await proxy?.close();
  pki?.remove();
});

const schema = (name: string) => ({ type: 'record', name, namespace: 'tlskafka', fields: [{ name: 'id', type: 'int' }, { name: 'note', type: ['null', 'string'], default: null }] });
const block = (tls: Record<string, unknown> | undefined, auth: Record<string, string> | undefined = { bearerToken: TOKEN }) => ({
  schemaRegistry: url,
  ...(tls ? { schemaRegistryTls: { rejectUnauthorized: true, ...tls } as never } : {}),
  ...(auth ? { schemaRegistryAuth: auth as never } : {}),
});

test('HTTPS registry with a private CA, a client certificate and a bearer token: register and read back', { timeout: 30000 }, async () => {
  const subject = `${uniqueName('tlskafka')}-value`;
  const client = new ConfluentRegistryClient({ ...taskRegistryOptions(block({ ca: pki.caFile, cert: pki.clientCertFile, key: pki.clientKeyFile })), retries: 0 });
  const id = await client.register(subject, schema('R1'));
  assert.ok(id > 0);
  // Read back through the proxy, and independently from the plain registry.
  assert.deepEqual(await client.getById(id), schema('R1'));
  const direct = new ConfluentRegistryClient({ url: services.registryUrl });
  assert.deepEqual(await direct.getById(id), schema('R1'));
  assert.equal((await direct.latestVersion(subject))?.id, id);
  assert.ok(proxy.count() >= 2, 'requests went through the HTTPS proxy');
  await direct.deleteSubject(subject, { permanent: true });
});

/** The call fails with a fatal FERRY_REGISTRY_ERROR whose one-line message matches every pattern. */
async function failsWith(tls: Record<string, unknown> | undefined, patterns: RegExp[], auth?: Record<string, string>): Promise<void> {
  const client = new ConfluentRegistryClient({ ...taskRegistryOptions(block(tls, auth)), retries: 0, timeoutMs: 5000 });
  await assert.rejects(client.listSubjects(), (e: Error & { code?: string; disposition?: string }) => {
    assert.equal(e.code, 'FERRY_REGISTRY_ERROR', e.message);
    assert.equal(e.disposition, 'fatal');
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.ok(e.message.includes(url), `names the URL: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes(TOKEN));
    return true;
  });
}

test('no CA (system CAs only): unknown CA, fix kafka.schemaRegistryTls.ca', { timeout: 30000 }, async () => {
  await failsWith(undefined, [/unknown CA/, /kafka\.schemaRegistryTls\.ca/]);
});

test('a CA that did not sign the certificate: unknown CA', { timeout: 30000 }, async () => {
  await failsWith({ ca: pki.otherCaFile, cert: pki.clientCertFile, key: pki.clientKeyFile }, [/unknown CA/, /kafka\.schemaRegistryTls\.ca/]);
});

test('the certificate is for another host name: host name mismatch, fix servername', { timeout: 30000 }, async () => {
  await failsWith({ ca: pki.caFile, cert: pki.clientCertFile, key: pki.clientKeyFile, servername: 'registry.example.com' }, [/host name mismatch/, /kafka\.schemaRegistryTls\.servername/]);
});

test('no client certificate on a registry that requires one: the error names kafka.schemaRegistryTls.cert', { timeout: 30000 }, async () => {
  await failsWith({ ca: pki.caFile }, [/client certificate/, /kafka\.schemaRegistryTls\.cert/]);
});

test('an expired registry certificate: expired, named as such', { timeout: 30000 }, async () => {
  const expired = await startHttpsProxy({ pki, target: services.registryUrl, expired: true });
  try {
    const at = `https://127.0.0.1:${expired.port}/apis/ccompat/v7`;
    const client = new ConfluentRegistryClient({ ...taskRegistryOptions({ schemaRegistry: at, schemaRegistryTls: { ca: pki.caFile, rejectUnauthorized: true } }), retries: 0 });
    await assert.rejects(client.listSubjects(), (e: Error & { disposition?: string }) => {
      assert.equal(e.disposition, 'fatal');
      assert.ok(e.message.includes(at), e.message);
      assert.match(e.message, /certificate has expired \(CERT_HAS_EXPIRED\)/);
      assert.match(e.message, /renew the server certificate/);
      return true;
    });
  } finally {
    await expired.close();
  }
});

test('a wrong bearer token: HTTP 401, not a TLS error, and the token is not shown', { timeout: 30000 }, async () => {
  const client = new ConfluentRegistryClient({ ...taskRegistryOptions(block({ ca: pki.caFile, cert: pki.clientCertFile, key: pki.clientKeyFile }, { bearerToken: 'wrong-token-123' })), retries: 0 });
  await assert.rejects(client.listSubjects(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'FERRY_REGISTRY_ERROR');
    assert.match(e.message, /HTTP 401/);
    assert.ok(!e.message.includes('wrong-token-123'));
    return true;
  });
});
