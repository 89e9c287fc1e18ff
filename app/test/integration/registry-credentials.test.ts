// A schema registry URL with credentials in its user info (http://user:${env:SECRET}@host:port/apis/ccompat/v7):
// the user info is taken out of the URL and sent as HTTP Basic auth (fetch refuses URLs with credentials), messages
// name the URL without it, and `ferry validate --json` shows no form of the password. Against a local node:http
// server that records the Authorization header, and against the real Apicurio registry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const APICURIO = `127.0.0.1:${process.env.FERRY_REGISTRY_PORT ?? 8081}`;
const PASSWORD = 'reg"pa ss wörd✓-that-is-longer-than-sixty-characters-0123456789-abcdefghij';
const dir = mkdtempSync(join(tmpdir(), 'ferry-registry-auth-'));

const seen: { url: string; authorization: string | undefined }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
  const ok = req.headers.authorization === `Basic ${Buffer.from(`ferry:${PASSWORD}`).toString('base64')}`;
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
  res.end(ok ? '["a-subject"]' : '{"error_code":40101,"message":"Unauthorized"}');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const LOCAL = `127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

test('the client sends the URL user info as exact Basic auth and names the URL without it', async () => {
  seen.length = 0;
  const u = new URL(`http://${LOCAL}/apis/ccompat/v7`);
  u.username = 'ferry';
  u.password = PASSWORD;
  const client = new ConfluentRegistryClient({ url: u.href, retries: 0 });
  assert.equal(client.url, `http://${LOCAL}/apis/ccompat/v7`);
  assert.deepEqual(await client.listSubjects(), ['a-subject']);
  assert.deepEqual(seen, [{ url: '/apis/ccompat/v7/subjects', authorization: `Basic ${Buffer.from(`ferry:${PASSWORD}`).toString('base64')}` }]);
  // a wrong password: a registry error naming the URL without credentials
  u.password = 'not-the-password-123';
  await assert.rejects(new ConfluentRegistryClient({ url: u.href, retries: 0 }).listSubjects(), {
    code: 'FERRY_REGISTRY_ERROR',
    message: `schema registry at http://${LOCAL}/apis/ccompat/v7 refused to list subjects: HTTP 401, error_code 40101: Unauthorized`,
  });
});

// Asynchronous: the local registry runs in this process and must answer while ferry validate runs.
async function validateJson(registryUrl: string, env: Record<string, string>) {
  const file = join(dir, `t-${seen.length}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    name: 'regauth', source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password: 'cdc', connectTimeoutMs: 1000 }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
    kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: registryUrl },
  }));
  const r = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate', file, '--json', '--timeout-ms', '3000'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 })
    .catch((e: { stdout: string; stderr: string }) => ({ stdout: e.stdout, stderr: e.stderr }));
  const j = JSON.parse(r.stdout) as { checks: { check: string; status: string; message: string }[] };
  return { out: r.stdout + r.stderr, registry: j.checks.find((c) => c.check === 'registry.connect') };
}

test('ferry validate --json: a registry URL with ${env:} credentials works and never shows the password', async () => {
  seen.length = 0;
  const good = await validateJson(`http://ferry:\${env:REG_PW}@${LOCAL}/apis/ccompat/v7`, { REG_PW: PASSWORD });
  assert.deepEqual(good.registry, { check: 'registry.connect', status: 'ok', message: `schema registry at http://${LOCAL}/apis/ccompat/v7 answers` });
  assert.equal(seen[0]!.authorization, `Basic ${Buffer.from(`ferry:${PASSWORD}`).toString('base64')}`);
  const bad = await validateJson(`http://ferry:\${env:REG_PW}@${LOCAL}/apis/ccompat/v7`, { REG_PW: `${PASSWORD}-wrong` });
  assert.equal(bad.registry!.status, 'fail');
  assert.equal(bad.registry!.message, `schema registry at http://${LOCAL}/apis/ccompat/v7 refused to list subjects: HTTP 401, error_code 40101: Unauthorized`);
  for (const out of [good.out, bad.out]) {
    for (const form of [PASSWORD, JSON.stringify(PASSWORD).slice(1, -1), encodeURIComponent(PASSWORD), 'wörd', 'w%C3%B6rd', PASSWORD.slice(0, 57)]) assert.ok(!out.includes(form), form);
  }
});

test('ferry validate --json against the real Apicurio registry with credentials in the URL', async () => {
  const r = await validateJson(`http://ferry:\${env:REG_PW}@${APICURIO}/apis/ccompat/v7`, { REG_PW: PASSWORD });
  assert.deepEqual(r.registry, { check: 'registry.connect', status: 'ok', message: `schema registry at http://${APICURIO}/apis/ccompat/v7 answers` });
  for (const form of [PASSWORD, JSON.stringify(PASSWORD).slice(1, -1), 'wörd', 'w%C3%B6rd']) assert.ok(!r.out.includes(form), form);
});
