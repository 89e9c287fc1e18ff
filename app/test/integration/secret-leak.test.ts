// The leak test (issue #16): secrets with quotes, backslashes, newlines, unicode and more than 60 characters are
// planted as a source password (through ${env:} and ${file:}), in the schema registry URL's user info, and as literal
// target passwords and secret keys. Every error path the test can reach is provoked — `ferry validate` (text and
// --json), `ferry plan`, failing `ferry run`s (wrong port, wrong password, a registry refusing the credentials), a
// running task's JSON logs and metrics endpoint, the task API's answers (created, shown, refused, failed) and its
// log, and the files Ferry writes to its state folders — and no form of any secret may appear anywhere: raw,
// JSON-escaped once or twice, \uXXXX-escaped, URL-encoded (component, URI, form, user info), a 57-character prefix,
// any line of it, or the Basic auth header built from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { startFerry, sleep } from '../../../test/helpers/ferry-process.ts';

const TAIL = '-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP';
const DB_PW = `db"pw\\back\nline-ünïcødé-✓-DBMARK${TAIL}`;
const ENV_PW = `env"pw\\x\nzeile-ENVMARK-ß${TAIL}`;
const FILE_PW = `file"pw\\y\nzeile-FILEMARK-ø${TAIL}`;
const REG_PW = `reg"pw ünï-REGMARK${TAIL}`;
const LIT_PW = `lit"pw\\z\nzeile-LITMARK-€${TAIL}`;
const LIT_KEY = `key"sk\\w\nzeile-KEYMARK-µ${TAIL}`;
const SECRETS = { DB_PW, ENV_PW, FILE_PW, REG_PW, LIT_PW, LIT_KEY };
const TOKEN = `leak-test-token-${Math.random().toString(36).slice(2)}-0123456789`;

const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);
const asciiJson = (s: string) => s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
function formsOf(name: string, s: string): [string, string][] {
  const u = new URL('http://h/');
  u.password = s;
  const forms: [string, string][] = [
    ['raw', s], ['json', jsonInner(s)], ['json twice', jsonInner(jsonInner(s))], ['json \\u', asciiJson(jsonInner(s))],
    ['encodeURIComponent', encodeURIComponent(s)], ['encodeURI', encodeURI(s)], ['form', new URLSearchParams({ v: s }).toString().slice(2)],
    ['userinfo', u.password], ['lowercase hex', encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase())],
    ['57-char prefix', s.slice(0, 57)], ['57-char json prefix', jsonInner(s).slice(0, 57)],
    ['marker', /[A-Z]+MARK/.exec(s)![0]], ['basic auth', Buffer.from(`ferry:${s}`).toString('base64').slice(0, 40)],
  ];
  for (const line of s.split('\n')) if (line.length >= 12) forms.push(['a line', line]);
  return forms.map(([f, v]) => [`${name} (${f})`, v]);
}
const FORMS = Object.entries(SECRETS).flatMap(([n, s]) => formsOf(n, s));

/** Everything Ferry printed, answered or wrote, by where it came from. */
const seen: { where: string; text: string }[] = [];
const record = (where: string, text: string) => seen.push({ where, text });
function leaks(only?: readonly string[]): string[] {
  // LEAK_DUMP=<file> writes everything the test saw, to look at when it fails.
  if (process.env.LEAK_DUMP) writeFileSync(process.env.LEAK_DUMP, JSON.stringify(seen, null, 1));
  const out: string[] = [];
  for (const { where, text } of seen) {
    for (const [form, v] of FORMS) if ((!only || only.some((n) => form.startsWith(`${n} `))) && text.includes(v)) out.push(`${form} in ${where}`);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'ferry-leak-'));
const secretsDir = join(dir, 'secrets');
const db = uniqueName('ferry_leak');
const user = db.slice(0, 30);
let admin: mysql.Connection;
const fakeRegistry = createServer((_req, res) => { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"error_code":40101,"message":"Unauthorized"}'); });
let FAKE = '';

before(async () => {
  mkdirSync(secretsDir);
  writeFileSync(join(secretsDir, 'pw.txt'), `${FILE_PW}\n`);
  writeFileSync(join(dir, 'pw.txt'), `${FILE_PW}\n`);
  admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', charset: 'utf8mb4' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, note VARCHAR(40))`);
  await admin.query(`INSERT INTO ${db}.items VALUES (1, 'a'), (2, 'b')`);
  for (const host of ['127.0.0.1', 'localhost']) {
    await admin.query(`CREATE USER ?@? IDENTIFIED BY ?`, [user, host, DB_PW]);
    await admin.query(`GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO ?@?`, [user, host]);
  }
  await new Promise<void>((r) => fakeRegistry.listen(0, '127.0.0.1', () => r()));
  FAKE = `127.0.0.1:${(fakeRegistry.address() as AddressInfo).port}`;
});

after(async () => {
  fakeRegistry.close();
  for (const host of ['127.0.0.1', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [user, host]).catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  await admin.end();
});

const rules = (schema: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] });
const targets = [
  { type: 'redshift', name: 'rs', connection: { host: '127.0.0.1', port: 1, database: 'd', user: 'u', password: LIT_PW, ssl: false }, staging: { location: 's3://b/p', s3: { endpoint: services.motoUrl, accessKeyId: 'test', secretAccessKey: LIT_KEY } }, copyAuth: { accessKeyId: 'AKIA', secretAccessKey: LIT_KEY } },
  { type: 'kafka', name: 'kt', brokers: ['127.0.0.1:1'], timeoutMs: 2000, sasl: { mechanism: 'scram-sha-512', username: 'u', password: LIT_PW } },
];
const registryWith = (host: string, ref = '${env:LEAK_REG_PW}') => `http://ferry:${ref}@${host}/apis/ccompat/v7`;
const APICURIO = new URL(services.registryUrl).host;
const env = { ...process.env, LEAK_DB_PW: DB_PW, LEAK_ENV_PW: ENV_PW, LEAK_REG_PW: REG_PW, FERRY_LOG_LEVEL: 'debug' };

function taskFile(name: string, doc: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, migrationType: 'cdc', tableMappings: rules(db), ...doc }));
  return file;
}

async function ferry(args: string[], where: string, e: NodeJS.ProcessEnv = env): Promise<number | null> {
  const p = startFerry(args, e);
  const code = await p.exited;
  record(`${where} stdout`, p.stdout());
  record(`${where} stderr`, p.stderr());
  return code;
}

function recordFiles(root: string, where: string, skip: (file: string) => boolean = () => false): number {
  let n = 0;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath, entry.name);
    if (!entry.isFile() || skip(file)) continue;
    record(`${where}: ${file}`, readFileSync(file).toString('latin1') + readFileSync(file, 'utf8'));
    n++;
  }
  return n;
}

test('validate, validate --json and plan show no form of any secret', { timeout: 180000 }, async () => {
  const wrongPw = taskFile('leak-validate', {
    // the right password and a database named like a secret: the server's "unknown database" echoes it
    source: { engine: 'mariadb', ...services.mariadb, user, password: '${env:LEAK_DB_PW}', database: '${env:LEAK_ENV_PW}', connectTimeoutMs: 2000 },
    kafka: { brokers: services.brokers, schemaRegistry: registryWith(FAKE) }, targets,
    settings: { stateDir: join(dir, 'state-validate'), lob: { mode: 'full', claimCheck: { bucket: 'bkt', accessKeyId: 'AKIA', secretAccessKey: LIT_KEY } } },
  });
  const invalid = taskFile('leak-invalid', {
    source: { engine: 'mariadb', host: `\${file:${join(dir, 'pw.txt')}}`, port: '${env:LEAK_DB_PW}', user, password: '${env:LEAK_ENV_PW}', database: LIT_PW },
    migrationType: 'sometimes', kafka: { brokers: ['${env:LEAK_REG_PW}'], schemaRegistry: registryWith(FAKE) },
    targets: [{ ...targets[0], connection: { ...targets[0]!.connection, port: LIT_KEY } }],
  });
  // a host named like a secret: the resolver's error echoes it
  const wrongHost = taskFile('leak-host', { source: { engine: 'mariadb', host: `\${file:${join(dir, 'pw.txt')}}`, user, password: '${env:LEAK_ENV_PW}', connectTimeoutMs: 2000 } });
  for (const file of [wrongPw, invalid, wrongHost]) {
    for (const extra of [[], ['--json']]) {
      const code = await ferry(['validate', file, '--timeout-ms', '4000', ...extra], `validate ${file} ${extra.join(' ')}`);
      assert.ok(code === 2 || code === 3, `exit ${code}`);
    }
    await ferry(['plan', file, '--json', '--timeout-ms', '4000'], `plan ${file} --json`);
    await ferry(['plan', file, '--timeout-ms', '4000'], `plan ${file}`);
  }
  assert.deepEqual(leaks(), []);
});

test('failing runs (wrong port, wrong password, a registry refusing the credentials) show no form of any secret', { timeout: 180000 }, async () => {
  const wrongPort = taskFile('leak-run-port', {
    migrationType: 'full-load', source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user, password: `\${file:${join(dir, 'pw.txt')}}` }, targets,
    settings: { stateDir: join(dir, 'state-port'), metrics: { enabled: false } },
  });
  const wrongHost = taskFile('leak-run-host', {
    migrationType: 'full-load', source: { engine: 'mariadb', host: '${env:LEAK_ENV_PW}', user, password: '${env:LEAK_DB_PW}' }, targets,
    settings: { stateDir: join(dir, 'state-host'), metrics: { enabled: false } },
  });
  const wrongPw = taskFile('leak-run-pw', {
    migrationType: 'full-load', source: { engine: 'mariadb', ...services.mariadb, user, password: '${env:LEAK_ENV_PW}' }, targets,
    settings: { stateDir: join(dir, 'state-pw'), metrics: { enabled: false } },
  });
  const registryRefuses = taskFile('leak-run-registry', {
    migrationType: 'full-load', source: { engine: 'mariadb', ...services.mariadb, user, password: '${env:LEAK_DB_PW}' },
    kafka: { brokers: services.brokers, schemaRegistry: registryWith(FAKE), topicPrefix: `${db}_refused` },
    settings: { stateDir: join(dir, 'state-registry'), metrics: { enabled: false } },
  });
  for (const file of [wrongPort, wrongHost, wrongPw, registryRefuses]) {
    for (const extra of [[], ['--json']]) assert.notEqual(await ferry(['run', file, ...extra], `run ${file} ${extra.join(' ')}`), 0);
  }
  for (const d of ['state-port', 'state-host', 'state-pw', 'state-registry']) {
    try { recordFiles(join(dir, d), `state files of ${d}`); } catch { /* the run stopped before it wrote any */ }
  }
  assert.deepEqual(leaks(), []);
});

test('a running task: its logs, its metrics endpoint and its state files show no form of any secret', { timeout: 180000 }, async () => {
  const port = await new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => r(p)); }); });
  const file = taskFile('leak-running', {
    migrationType: 'full-load-and-cdc', source: { engine: 'mariadb', ...services.mariadb, user, password: '${env:LEAK_DB_PW}' },
    kafka: { brokers: services.brokers, schemaRegistry: registryWith(APICURIO), topicPrefix: db },
    settings: { stateDir: join(dir, 'state-running'), metrics: { enabled: true, port }, lob: { mode: 'full', claimCheck: { bucket: 'bkt', accessKeyId: 'AKIA', secretAccessKey: LIT_KEY } } },
  });
  const p = startFerry(['run', file], env);
  let metrics = '';
  for (let i = 0; i < 300 && !/ferry_events_total\{[^}]*\} [1-9]/.test(metrics); i++) {
    await sleep(200);
    if (p.child.exitCode !== null) break;
    metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
  }
  assert.match(metrics, /ferry_/, p.stderr());
  record('metrics', metrics);
  await admin.query(`INSERT INTO ${db}.items VALUES (3, 'c')`);
  await sleep(1500);
  record('metrics again', await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()));
  p.child.kill('SIGTERM');
  await p.exited;
  record('running stdout', p.stdout());
  record('running stderr', p.stderr());
  assert.match(p.stderr(), /"level":"(info|debug)"/);
  assert.ok(recordFiles(join(dir, 'state-running'), 'state files of the running task') >= 0);
  assert.deepEqual(leaks(), []);
});

test('the task API: created, shown, refused and failed tasks, its log and its state files show no form of any secret', { timeout: 180000 }, async () => {
  const state = join(dir, 'serve-state');
  const p = startFerry(['serve', '--port', '0', '--state-dir', state, '--secrets-dir', secretsDir, '--json'],
    { ...env, FERRY_API_TOKEN: TOKEN, FERRY_SECRET_DB: DB_PW, FERRY_SECRET_REG: REG_PW, FERRY_SECRET_ENV: ENV_PW });
  let url = '';
  for (let i = 0; i < 200 && url === ''; i++) { url = /"url": "([^"]+)"/.exec(p.stdout())?.[1] ?? ''; await sleep(100); }
  assert.notEqual(url, '', p.stderr());
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    record(`API ${method} ${path} → ${res.status}`, text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };
  const good = {
    name: 'leak-api', migrationType: 'full-load', tableMappings: rules(db),
    source: { engine: 'mariadb', host: '127.0.0.1', port: 1, user, password: '${env:FERRY_SECRET_DB}', connectTimeoutMs: 1000 },
    kafka: { brokers: services.brokers, schemaRegistry: registryWith(APICURIO, '${env:FERRY_SECRET_REG}') },
    targets, settings: { offsetStore: 'sqlite', stateDir: join(state, 'leak-api'), lob: { mode: 'full', claimCheck: { bucket: 'bkt', accessKeyId: 'AKIA', secretAccessKey: LIT_KEY } } },
  };
  try {
    assert.equal((await api('POST', '/tasks', good)).status, 201);
    assert.equal((await api('POST', '/tasks', { ...good, name: 'leak-file', source: { ...good.source, password: '${file:pw.txt}' } })).status, 201);
    await api('GET', '/tasks/leak-api');
    await api('GET', '/tasks/leak-file');
    await api('GET', '/tasks');
    await api('POST', '/tasks/leak-api/start');
    await api('POST', '/tasks/leak-file/start');
    for (let i = 0; i < 100; i++) {
      const s = await api('GET', '/tasks/leak-api/status');
      if (s.body.status === 'failed' || s.body.status === 'stopped') break;
      await sleep(200);
    }
    await api('GET', '/tasks/leak-file/status');
    await api('GET', '/tasks/leak-api/stats');
    // refused: references outside secret fields or allowed sources, literal secrets in wrong places
    const refused = await api('POST', '/tasks', {
      ...good, name: 'leak-refused', migrationType: 'sometimes',
      source: { ...good.source, engine: '${file:pw.txt}', host: '${env:FERRY_SECRET_ENV}', database: `\${file:${join(dir, 'pw.txt')}}`, password: '${env:LEAK_ENV_PW}', port: LIT_PW },
      kafka: { brokers: ['${env:FERRY_SECRET_DB}'], schemaRegistry: `http://\${env:FERRY_SECRET_REG}@${APICURIO}/x` },
      targets: [{ ...targets[0], connection: { ...targets[0]!.connection, port: LIT_KEY } }],
    });
    assert.equal(refused.status, 400);
    await api('POST', '/tasks', { ...good, name: 'leak-refused-2', source: { ...good.source, password: '${file:../pw.txt}' }, settings: { stateDir: '/tmp' } });
    await api('GET', '/tasks/%E0%A4%A');
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  record('serve stdout', p.stdout());
  record('serve stderr', p.stderr());
  assert.match(p.stderr(), /"level":"debug"/);
  // The task store keeps definitions as sent: references unresolved, literal values as given (docs/api.md), so it
  // must hold none of the resolved secrets; every other file holds no secret at all.
  recordFiles(state, 'serve state files', (f) => /tasks\.db/.test(f));
  const before = seen.length;
  recordFiles(state, 'serve task store', (f) => !/tasks\.db/.test(f));
  assert.ok(seen.length > before);
  assert.deepEqual(leaks(['DB_PW', 'FILE_PW', 'REG_PW', 'ENV_PW']), []);
  seen.splice(before);
  assert.deepEqual(leaks(), []);
});
