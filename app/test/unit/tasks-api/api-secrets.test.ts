// The task API's secret policy (docs/api.md "Secrets and paths"): references resolve only in fields declared secret
// (or as the password of a URL's user info), only from env names with the allowed prefix and files inside the
// secrets folder; a refusal names the field and the rule and never what the reference points to; every literal
// secret is shown as "***"; settings.stateDir stays inside the server's state folders; a malformed percent-encoding
// is a 400 and a token with the wrong scheme is told to use Bearer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { startTaskApiServer } from '../../../src/tasks-api/http-server.ts';
import { TaskManager } from '../../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../../src/tasks-api/task-store.ts';
import { call } from './openapi-check.ts';

const TOKEN = 'api-secrets-token-0123456789';
const OUTSIDE = 'OUTSIDE-FILE-CONTENT-do-not-show';
const ENV_SECRET = 'ENV-CONTENT-do-not-show-42';
const lines: string[] = [];
const log = createLogger({ level: 'debug', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });

const rules = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] };
const task = (name: string, source: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  name, migrationType: 'cdc', tableMappings: rules, settings: { offsetStore: 'sqlite' },
  source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user: 'cdc', password: '${env:FERRY_SECRET_PW}', ...source }, ...rest,
});

async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-api-secrets-'));
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  mkdirSync(join(dir, '.ferry'));
  writeFileSync(join(dir, 'outside.txt'), `${OUTSIDE}\n`);
  writeFileSync(join(secrets, 'pw.txt'), 'file-password-123\n');
  symlinkSync(join(dir, 'outside.txt'), join(secrets, 'link.txt'));
  symlinkSync(tmpdir(), join(dir, '.ferry', 'escape'));
  const store = new SqliteTaskStore({ path: join(dir, 'tasks.db') });
  const env = { FERRY_SECRET_PW: 'env-password-123', ANY_VAR: ENV_SECRET, FERRY_SECRET_REG: 'reg"pässword-1' };
  const manager = await TaskManager.open({ store, log, dataDir: dir, env, secretSources: { envPrefix: 'FERRY_SECRET_', fileDir: secrets } });
  const server = await startTaskApiServer({ manager, token: TOKEN, host: '127.0.0.1', port: 0, log });
  return { dir, url: server.url, close: async () => { await server.close(); await manager.shutdown(); await store.close(); } };
}

test('references outside secret fields or allowed sources are refused without showing what they point to', async () => {
  const api = await open();
  try {
    const outside = join(api.dir, 'outside.txt');
    let r = await call(api.url, TOKEN, 'POST', '/tasks', task('t1', { engine: `\${file:${outside}}`, host: '${env:ANY_VAR}', password: `\${file:${outside}}` }));
    assert.equal(r.status, 400);
    const notHere = 'a secret reference (${env:…}, ${file:…} or ${aws-sm:…}) is not allowed here: tasks sent to the API may use references only in fields declared secret (marked "(secret)" in docs/configuration.md)';
    const problems = r.body.error!.problems!;
    assert.deepEqual(problems.filter((p) => p.message.includes('reference') || p.message.includes('refused')), [
      { path: 'source.engine', message: notHere },
      { path: 'source.host', message: notHere },
      { path: 'source.password', message: '${file:…} is refused: this server resolves only files inside its secrets directory (ferry serve --secrets-dir)' },
    ]);
    r = await call(api.url, TOKEN, 'POST', '/tasks', task('t2', { password: '${env:ANY_VAR}' }));
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error!.problems, [{ path: 'source.password', message: '${env:…} is refused: this server resolves only environment variables whose names start with "FERRY_SECRET_" (ferry serve --secrets-env-prefix)' }]);
    for (const ref of ['${file:../outside.txt}', '${file:link.txt}', '${file:/etc/shadow}']) {
      r = await call(api.url, TOKEN, 'POST', '/tasks', task('t3', { password: ref }));
      assert.equal(r.status, 400, ref);
      assert.deepEqual(r.body.error!.problems, [{ path: 'source.password', message: '${file:…} is refused: this server resolves only files inside its secrets directory (ferry serve --secrets-dir)' }], ref);
    }
    r = await call(api.url, TOKEN, 'POST', '/tasks', task('t4', { password: '${file:missing.txt}' }));
    assert.deepEqual(r.body.error!.problems, [{ path: 'source.password', message: 'cannot resolve ${file:…}: no readable file of that name in the secrets directory (ENOENT)' }]);
    // the registry URL may carry a reference as its password, not elsewhere
    r = await call(api.url, TOKEN, 'POST', '/tasks', task('t5', {}, { kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: 'http://${env:FERRY_SECRET_REG}@127.0.0.1:1/apis/ccompat/v7' } }));
    assert.deepEqual(r.body.error!.problems!.map((p) => [p.path, p.message]).filter(([p]) => p === 'kafka.schemaRegistry'), [['kafka.schemaRegistry', notHere]]);
    const all = JSON.stringify(lines) + JSON.stringify(r.body);
    for (const s of [OUTSIDE, ENV_SECRET]) assert.ok(!all.includes(s), s);
  } finally {
    await api.close();
  }
  assert.ok(!lines.join('').includes(OUTSIDE) && !lines.join('').includes(ENV_SECRET));
});

test('allowed references resolve; every literal secret is shown as ***, references are kept', async () => {
  const api = await open();
  try {
    const targets = [
      { type: 'redshift', connection: { host: 'rs', database: 'd', user: 'u', password: 'redshift-literal-pw' }, staging: { location: 's3://b/p', s3: { accessKeyId: 'AKIA1', secretAccessKey: 'staging-literal-secret' } }, copyAuth: { accessKeyId: 'AKIA2', secretAccessKey: 'copy-literal-secret', sessionToken: 'copy-literal-token' } },
      { type: 'kafka', brokers: ['k:9092'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'sasl-literal-pw' }, tls: { key: 'tls-literal-key', keyPassword: 'tls-literal-pass' } },
      { type: 'dynamodb', client: { accessKeyId: 'AKIA3', secretAccessKey: 'dynamo-literal-secret' } },
    ];
    const def = task('shown', { password: '${file:pw.txt}' }, {
      kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: 'http://reg:${env:FERRY_SECRET_REG}@127.0.0.1:1/apis/ccompat/v7' }, targets,
      settings: { offsetStore: 'sqlite', lob: { mode: 'full', claimCheck: { bucket: 'bkt', accessKeyId: 'AKIA4', secretAccessKey: 'lob-literal-secret' } } },
    });
    let r = await call(api.url, TOKEN, 'POST', '/tasks', def);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const expected = {
      ...def,
      settings: { offsetStore: 'sqlite', lob: { mode: 'full', claimCheck: { bucket: 'bkt', accessKeyId: 'AKIA4', secretAccessKey: '***' } } },
      targets: [
        { type: 'redshift', connection: { host: 'rs', database: 'd', user: 'u', password: '***' }, staging: { location: 's3://b/p', s3: { accessKeyId: 'AKIA1', secretAccessKey: '***' } }, copyAuth: { accessKeyId: 'AKIA2', secretAccessKey: '***', sessionToken: '***' } },
        { type: 'kafka', brokers: ['k:9092'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: '***' }, tls: { key: '***', keyPassword: '***' } },
        { type: 'dynamodb', client: { accessKeyId: 'AKIA3', secretAccessKey: '***' } },
      ],
    };
    assert.deepEqual((r.body.task as { definition: unknown }).definition, expected);
    r = await call(api.url, TOKEN, 'GET', '/tasks/shown');
    assert.deepEqual((r.body.task as { definition: unknown }).definition, expected);
    // a literal password in the registry URL is masked too
    r = await call(api.url, TOKEN, 'POST', '/tasks', task('lit-url', {}, { kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: 'http://reg:literal-url-pw@127.0.0.1:1/apis/ccompat/v7' } }));
    assert.equal(r.status, 201);
    assert.equal((r.body.task as { definition: { kafka: { schemaRegistry: string } } }).definition.kafka.schemaRegistry, 'http://reg:***@127.0.0.1:1/apis/ccompat/v7');
    const everything = JSON.stringify(lines);
    for (const s of ['redshift-literal-pw', 'copy-literal-secret', 'sasl-literal-pw', 'tls-literal-key', 'dynamo-literal-secret', 'lob-literal-secret', 'literal-url-pw', 'file-password-123', 'reg"pässword-1']) assert.ok(!everything.includes(s), s);
  } finally {
    await api.close();
  }
});

test('a target whose options do not match its sink is refused at create, without showing a misplaced secret', async () => {
  const api = await open();
  try {
    // `password` belongs under `connection`: the task is refused (400, the paths named), and nothing echoes the value.
    const bad = { type: 'redshift', host: 'rs', password: 'misplaced-literal-pw', staging: { location: 's3://b/p' }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/r' } };
    const r = await call(api.url, TOKEN, 'POST', '/tasks', task('bad-target', {}, { targets: [bad] }));
    assert.equal(r.status, 400);
    assert.equal(r.body.error!.code, 'invalid_task');
    const paths = r.body.error!.problems!.map((p) => p.path);
    assert.ok(paths.includes('targets[0].connection'), JSON.stringify(paths));
    assert.ok(paths.includes('targets[0]'), JSON.stringify(paths));
    assert.ok(!JSON.stringify(r.body).includes('misplaced-literal-pw'));
    assert.equal((await call(api.url, TOKEN, 'GET', '/tasks/bad-target')).status, 404);
    // Shown definitions mask any field named like a secret, declared or not.
    const { maskTaskSecrets } = await import('../../../src/task/secret-fields.ts');
    assert.deepEqual(maskTaskSecrets({ name: 'x', targets: [bad], extra: { apiToken: 'tok-literal-1', port: 5 } }), { name: 'x', targets: [{ ...bad, password: '***' }], extra: { apiToken: '***', port: 5 } });
  } finally {
    await api.close();
  }
});

test('settings.stateDir through the API stays inside the server state folders', async () => {
  const api = await open();
  try {
    const problem = `must be a folder inside the server's state folders (${join(api.dir, '.ferry')}), after ".." and symbolic links are resolved; leave it out to use the default`;
    for (const stateDir of ['/tmp/elsewhere', '../../etc', '.ferry/../..', '.ferry', '.ferry/escape/x']) {
      const r = await call(api.url, TOKEN, 'POST', '/tasks', task('sd', {}, { settings: { offsetStore: 'sqlite', stateDir } }));
      assert.equal(r.status, 400, stateDir);
      assert.deepEqual(r.body.error!.problems, [{ path: 'settings.stateDir', message: problem }], stateDir);
    }
    let r = await call(api.url, TOKEN, 'POST', '/tasks', task('sd-ok', {}, { settings: { offsetStore: 'sqlite', stateDir: '.ferry/custom' } }));
    assert.equal(r.status, 201);
    r = await call(api.url, TOKEN, 'POST', '/tasks', task('sd-abs', {}, { settings: { offsetStore: 'sqlite', stateDir: join(api.dir, '.ferry', 'abs') } }));
    assert.equal(r.status, 201);
  } finally {
    await api.close();
  }
});

test('settings.stateEncryption.keyFile through the API: only inside --secrets-dir, never the server\'s other files', async () => {
  const api = await open();
  try {
    writeFileSync(join(api.dir, 'secrets', 'state.key'), `${'ab'.repeat(32)}\n`);
    const problem = `must be a file inside the server's secrets folder (${join(api.dir, 'secrets')}), after ".." and symbolic links are resolved`;
    for (const keyFile of [join(api.dir, 'outside.txt'), '../outside.txt', 'link.txt', '/etc/hostname']) {
      const r = await call(api.url, TOKEN, 'POST', '/tasks', task('kf', {}, { settings: { offsetStore: 'sqlite', stateEncryption: { keyFile } } }));
      assert.equal(r.status, 400, keyFile);
      assert.deepEqual(r.body.error!.problems, [{ path: 'settings.stateEncryption.keyFile', message: problem }], keyFile);
    }
    const r = await call(api.url, TOKEN, 'POST', '/tasks', task('kf-ok', {}, { settings: { offsetStore: 'sqlite', stateEncryption: { keyFile: 'state.key' } } }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
  } finally {
    await api.close();
  }
});

test('a malformed percent-encoding is a 400 (no 500, no stack); a token with another scheme is told to use Bearer', async () => {
  const api = await open();
  const before = lines.length;
  try {
    let r = await call(api.url, TOKEN, 'GET', '/tasks/%E0%A4%A');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error, { code: 'bad_request', message: 'the path has a malformed percent-encoding (each % must start a UTF-8 byte as %XX)' });
    r = await call(api.url, TOKEN, 'POST', '/tasks/%ZZ/start');
    assert.equal(r.status, 400);
    const logged = lines.slice(before).map((l) => JSON.parse(l) as { level: string; stack?: string; err?: unknown });
    assert.deepEqual(logged.filter((l) => l.level === 'error' || l.err !== undefined), []);
    for (const header of [`Token ${TOKEN}`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN]) {
      const res = await fetch(`${api.url}/tasks`, { headers: { authorization: header } });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: { code: 'unauthorized', message: 'the Authorization header does not use the Bearer scheme (the token is not checked); send the API token as "Authorization: Bearer <token>"' } });
    }
    const res = await fetch(`${api.url}/tasks`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } });
    assert.deepEqual(await res.json(), { error: { code: 'unauthorized', message: 'the API token is wrong' } });
  } finally {
    await api.close();
  }
});
