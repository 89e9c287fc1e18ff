// ${aws-sm:…} references end to end, against moto (http://127.0.0.1:5000) and MariaDB, with the real CLI:
//   - `ferry validate` / `ferry plan --json` of a task whose source user and password come from one JSON secret
//     (#username, #password): it connects; the missing-secret, not-JSON and missing-key errors name the reference;
//   - `ferry serve --secrets-aws-sm-prefix`: a task with a reference inside the prefix is created and shown with the
//     reference; one outside it is refused;
//   - rotation: a running MariaDB → Kafka task whose password is in the secret; the test changes the user's password
//     and the secret (PutSecretValue), kills the task's connections, writes more rows, and reads every row back from
//     the topic; the task logged that it fetched the secret again. The same for a PostgreSQL target (direct mode):
//     its role's password and the secret change, its connection is terminated, and the rows written after arrive;
//     for a MySQL target (on MariaDB); and for a PostgreSQL source (its query and replication connections).
// Every output, API answer and state file is searched for the planted passwords (in several forms): none is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { dropPgTaskObjects, startFerry, sleep } from '../../../test/helpers/ferry-process.ts';
import { readDecoded } from '../../../test/helpers/topic-reader.ts';

const AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: services.motoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const env = { ...process.env, ...AWS_ENV, FERRY_LOG_LEVEL: 'debug' };
const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: services.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

const db = uniqueName('secrets_sm');
const user = `sm_${db.slice(-20)}`;
const PW1 = `first"pw\\sm-ünï-PWONEMARK-${Math.random().toString(36).slice(2)}-0123456789`;
const PW2 = `second"pw\\sm-øß-PWTWOMARK-${Math.random().toString(36).slice(2)}-0123456789`;
const secretName = `${db}/mariadb`;
const dir = mkdtempSync(join(tmpdir(), 'ferry-aws-sm-'));
let admin: mysql.Connection;

const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);
const FORMS = [PW1, PW2].flatMap((s, i) => [
  [`PW${i + 1} raw`, s], [`PW${i + 1} json`, jsonInner(s)], [`PW${i + 1} json twice`, jsonInner(jsonInner(s))],
  [`PW${i + 1} url`, encodeURIComponent(s)], [`PW${i + 1} 24-char prefix`, s.slice(0, 24)], [`PW${i + 1} marker`, /PW[A-Z]+MARK/.exec(s)![0]],
]);
const seen: { where: string; text: string }[] = [];
const record = (where: string, text: string) => seen.push({ where, text });
const leaks = () => seen.flatMap(({ where, text }) => FORMS.filter(([, v]) => text.includes(v!)).map(([form]) => `${form} in ${where}`));

function recordFiles(root: string, where: string): void {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) record(`${where}: ${entry.name}`, readFileSync(join(entry.parentPath, entry.name)).toString('latin1') + readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  }
}

const rules = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] };
const source = (ref = secretName) => ({ engine: 'mariadb', ...services.mariadb, user: `\${aws-sm:${ref}#username}`, password: `\${aws-sm:${ref}#password}`, connectTimeoutMs: 3000 });
function taskFile(name: string, doc: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, migrationType: 'cdc', tableMappings: rules, kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db }, ...doc }));
  return file;
}

async function ferry(args: string[], where: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startFerry(args, env);
  const code = await p.exited;
  record(`${where} stdout`, p.stdout());
  record(`${where} stderr`, p.stderr());
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

before(async () => {
  admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', charset: 'utf8mb4' });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, note VARCHAR(40))`);
  await admin.query(`INSERT INTO ${db}.items VALUES (1, 'one'), (2, 'two')`);
  for (const host of ['127.0.0.1', 'localhost']) {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, PW1]);
    await admin.query('GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO ?@?', [user, host]);
  }
  await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify({ username: user, password: PW1, engine: 'mariadb', port: 3306 }) }));
  await sm.send(new CreateSecretCommand({ Name: `${db}/text`, SecretString: 'just text' }));
});

after(async () => {
  for (const id of [secretName, `${db}/text`]) await sm.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
  sm.destroy();
  for (const host of ['127.0.0.1', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [user, host]).catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  await admin.end();
});

test('validate and plan connect with the user and password of a JSON secret; the errors name the reference', { timeout: 120_000 }, async () => {
  const good = taskFile('sm-good', { source: source() });
  const v = await ferry(['validate', good, '--timeout-ms', '10000'], 'validate');
  // The user name came from a secret reference too: like every resolved value, it is masked in output.
  assert.match(v.stdout, new RegExp(`ok {3}source\\.connect: connected to mariadb at 127\\.0\\.0\\.1:${services.mariadb.port} as \\*\\*\\*\\n`), v.stdout + v.stderr);
  assert.ok(!v.stdout.includes(user));
  assert.match(v.stdout, /ok {3}tables\.selected/);
  const plan = await ferry(['plan', good, '--json', '--timeout-ms', '10000'], 'plan --json');
  const checks = (JSON.parse(plan.stdout) as { checks: { check: string; status: string }[] }).checks;
  assert.deepEqual(checks.filter((c) => c.check === 'source.connect' || c.check === 'mysql.privileges').map((c) => c.status), ['ok', 'ok']);
  assert.ok(plan.stdout.includes(`${db}.items`), plan.stdout);

  const bad = taskFile('sm-bad', {
    source: { ...source(), user: `\${aws-sm:${db}/text#username}`, password: `\${aws-sm:${db}/missing}`, database: `\${aws-sm:${secretName}#schema}` },
  });
  const e = await ferry(['validate', bad, '--json'], 'validate bad');
  assert.equal(e.code, 2, e.stderr);
  const problems = (JSON.parse(e.stdout) as { error: { details: { problems: { path: string; message: string }[] } } }).error.details.problems;
  assert.deepEqual(problems, [
    { path: 'source.user', message: `cannot resolve \${aws-sm:${db}/text#username}: secret "${db}/text" is not JSON, so it has no key "username"; store a JSON object in it, or drop "#username" to use the whole secret` },
    { path: 'source.password', message: `cannot resolve \${aws-sm:${db}/missing}: AWS Secrets Manager (us-east-1, ${services.motoUrl}) has no secret "${db}/missing" (ResourceNotFoundException); check the name or ARN, and the region (AWS_REGION)` },
    { path: 'source.database', message: `cannot resolve \${aws-sm:${secretName}#schema}: secret "${secretName}" has no top-level key "schema" (its keys: "username", "password", "engine", "port"); fix the key after "#" or add it to the secret` },
  ]);
  assert.deepEqual(leaks(), []);
});

test('ferry serve resolves ${aws-sm:} only inside --secrets-aws-sm-prefix and shows the reference', { timeout: 60_000 }, async () => {
  const token = `sm-test-token-${Math.random().toString(36).slice(2)}-0123456789`;
  const state = join(dir, 'serve');
  const p = startFerry(['serve', '--port', '0', '--state-dir', state, '--secrets-aws-sm-prefix', `${db}/`, '--json'], { ...env, FERRY_API_TOKEN: token });
  try {
    let url = '';
    for (let i = 0; i < 200 && url === ''; i++) { url = /"url": "([^"]+)"/.exec(p.stdout())?.[1] ?? ''; await sleep(100); }
    assert.notEqual(url, '', p.stderr());
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      record(`API ${method} ${path}`, text);
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
    };
    const task = { name: 'sm-api', migrationType: 'cdc', tableMappings: rules, source: { ...source(), user }, kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl }, settings: { offsetStore: 'sqlite' } };
    const created = await api('POST', '/tasks', task);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const shown = await api('GET', '/tasks/sm-api');
    assert.equal((shown.body as { task: { definition: { source: { password: string } } } }).task.definition.source.password, `\${aws-sm:${secretName}#password}`);
    const refused = await api('POST', '/tasks', { ...task, name: 'sm-refused', source: { ...task.source, password: '${aws-sm:elsewhere/db#password}' } });
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body as { error: { problems: unknown[] } }).error.problems, [
      { path: 'source.password', message: `\${aws-sm:…} is refused: this server resolves only AWS secrets whose name or ARN starts with "${db}/" (ferry serve --secrets-aws-sm-prefix)` },
    ]);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  record('serve stdout', p.stdout());
  record('serve stderr', p.stderr());
  recordFiles(state, 'serve state');
  assert.deepEqual(leaks(), []);
});

test('rotation: the password changes in MariaDB and in the secret while the task runs; after its connections are killed it fetches the secret again and goes on', { timeout: 180_000 }, async () => {
  const stateDir = join(dir, 'run-state');
  const file = taskFile('sm-run', { migrationType: 'full-load-and-cdc', source: source(), settings: { stateDir, offsetStore: 'sqlite', metrics: { enabled: false } } });
  const topic = `${db}.${db}.items`;
  const rows = async () => {
    try {
      return (await readDecoded(topic)).map((r) => [r.value?.op, r.value?.after?.id, r.value?.after?.note]);
    } catch { return []; }
  };
  const waitForRows = async (n: number) => {
    let got: unknown[][] = [];
    for (let i = 0; i < 90 && got.length < n && run.child.exitCode === null; i++) { got = await rows(); if (got.length < n) await sleep(1000); }
    return got;
  };
  const run = startFerry(['run', file], env);
  try {
    assert.deepEqual(await waitForRows(2), [['r', 1, 'one'], ['r', 2, 'two']], run.stderr());
    await admin.query(`INSERT INTO ${db}.items VALUES (3, 'three')`);
    assert.deepEqual(await waitForRows(3), [['r', 1, 'one'], ['r', 2, 'two'], ['c', 3, 'three']], run.stderr());

    // Rotate: the user's password, then the secret, then cut every connection the task holds.
    for (const host of ['127.0.0.1', 'localhost']) await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, PW2]);
    await sm.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: JSON.stringify({ username: user, password: PW2, engine: 'mariadb', port: 3306 }) }));
    const [conns] = await admin.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    assert.ok(conns.length >= 1, 'the task holds at least its binlog connection');
    for (const c of conns) await admin.query(`KILL ${Number(c.ID)}`).catch(() => undefined);
    // CREATE TABLE … SELECT of a captured name makes the stream read the new table on its control connection
    // (information_schema), which was killed above too: it opens a new one (reconnecting-control.ts).
    await admin.query(`CREATE TABLE ${db}.copied AS SELECT id, note FROM ${db}.items`);
    await admin.query(`INSERT INTO ${db}.items VALUES (4, 'four'), (5, 'five')`);
    await admin.query(`UPDATE ${db}.items SET note = 'TWO' WHERE id = 2`);

    const got = await waitForRows(6);
    assert.deepEqual(got, [['r', 1, 'one'], ['r', 2, 'two'], ['c', 3, 'three'], ['c', 4, 'four'], ['c', 5, 'five'], ['u', 2, 'TWO']], run.stderr());
    assert.equal(run.child.exitCode, null, 'the task is still running');
    const [again] = await admin.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    assert.ok(Number(again[0]!.n) >= 1, 'the task reconnected with the new password');
    const refetched = run.stderr().split('\n').filter((l) => l.includes('"secretReference"')).map((l) => JSON.parse(l) as { secretReference: string; changed: boolean; msg: string });
    assert.ok(run.stderr().includes('the control connection to the source was lost; opening a new one'), run.stderr());
    assert.ok(refetched.some((l) => l.secretReference === `\${aws-sm:${secretName}#password}` && l.changed && l.msg === `the credentials were refused: fetched \${aws-sm:${secretName}#password} again and got a new value; connecting with it`), run.stderr());
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    record('run stdout', run.stdout());
    record('run stderr', run.stderr());
  }
  recordFiles(stateDir, 'run state');
  assert.deepEqual(leaks(), []);
});

test('rotation of a PostgreSQL target\'s password: after its connection is terminated the sink fetches the secret again and writes on', { timeout: 180_000 }, async () => {
  const role = `sm_pg_${db.slice(-20)}`;
  const schema = `${db}_pg`;
  const pgName = `${db}/postgres`;
  const PG = { host: services.postgres.host, port: services.postgres.port, database: db };
  const pgRoot = new pg.Client({ ...PG, database: 'postgres', user: 'postgres', password: 'postgres' });
  await pgRoot.connect();
  await pgRoot.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PW1.replace(/'/g, "''")}'`);
  await pgRoot.query(`CREATE DATABASE ${db} OWNER ${role}`);
  const pgAdmin = new pg.Client({ ...PG, user: 'postgres', password: 'postgres' });
  await pgAdmin.connect();
  await pgAdmin.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
  await sm.send(new CreateSecretCommand({ Name: pgName, SecretString: JSON.stringify({ password: PW1 }) }));
  const table = `${db}_pgt`;
  await admin.query(`CREATE TABLE ${db}.${table} (id INT PRIMARY KEY, note VARCHAR(40))`);
  await admin.query(`INSERT INTO ${db}.${table} VALUES (1, 'one'), (2, 'two')`);
  const stateDir = join(dir, 'pg-state');
  const file = taskFile('sm-pg', {
    migrationType: 'full-load-and-cdc', kafka: undefined,
    // The source connects as the shared cdc user (its password never changes); the target's password is in the secret.
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 't', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': table } }] },
    targets: [{ type: 'postgres', name: 'pg', ...PG, user: role, password: `\${aws-sm:${pgName}#password}`, schema, stateSchema: schema, maxBatchDelayMs: 20, disableTriggersAndForeignKeys: 'no' }],
    settings: { stateDir, offsetStore: 'sqlite', metrics: { enabled: false } },
  });
  const rowsOf = async () => {
    try {
      return (await pgAdmin.query<{ id: number; note: string }>(`SELECT id, note FROM ${schema}.${table} ORDER BY id`)).rows.map((r) => [r.id, r.note]);
    } catch { return []; }
  };
  const waitFor = async (expected: unknown[][]) => {
    let got: unknown[][] = [];
    for (let i = 0; i < 90; i++) { got = await rowsOf(); if (JSON.stringify(got) === JSON.stringify(expected)) break; await sleep(1000); }
    return got;
  };
  const run = startFerry(['run', file], env);
  try {
    assert.deepEqual(await waitFor([[1, 'one'], [2, 'two']]), [[1, 'one'], [2, 'two']], run.stderr());
    await pgAdmin.query(`ALTER ROLE ${role} PASSWORD '${PW2.replace(/'/g, "''")}'`);
    await sm.send(new PutSecretValueCommand({ SecretId: pgName, SecretString: JSON.stringify({ password: PW2 }) }));
    const killed = await pgAdmin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    assert.ok(killed.rowCount! >= 1, 'the sink held a connection');
    await admin.query(`INSERT INTO ${db}.${table} VALUES (3, 'three'), (4, 'four')`);
    await admin.query(`UPDATE ${db}.${table} SET note = 'ONE' WHERE id = 1`);
    const expected = [[1, 'ONE'], [2, 'two'], [3, 'three'], [4, 'four']];
    assert.deepEqual(await waitFor(expected), expected, run.stderr());
    assert.equal(run.child.exitCode, null, 'the task is still running');
    const refetched = run.stderr().split('\n').filter((l) => l.includes('"secretReference"')).map((l) => JSON.parse(l) as { secretReference: string; changed: boolean });
    assert.ok(refetched.some((l) => l.secretReference === `\${aws-sm:${pgName}#password}` && l.changed), run.stderr());
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    record('pg run stdout', run.stdout());
    record('pg run stderr', run.stderr());
    await sm.send(new DeleteSecretCommand({ SecretId: pgName, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    await pgAdmin.end();
    await pgRoot.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await pgRoot.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await pgRoot.end();
  }
  recordFiles(stateDir, 'pg run state');
  assert.deepEqual(leaks(), []);
});

/** Waits until `read()` equals `expected` (JSON), up to 90 s or until the run exits; returns the last read. */
async function until(run: ReturnType<typeof startFerry>, read: () => Promise<unknown[][]>, expected: unknown[][]): Promise<unknown[][]> {
  let got: unknown[][] = [];
  for (let i = 0; i < 90 && run.child.exitCode === null; i++) { got = await read().catch(() => []); if (JSON.stringify(got) === JSON.stringify(expected)) break; await sleep(1000); }
  return got;
}

/** The refreshes the run logged: reference and whether the value changed. */
const refreshesOf = (stderr: string) => stderr.split('\n').filter((l) => l.includes('"secretReference"')).map((l) => JSON.parse(l) as { secretReference: string; changed: boolean });

test('rotation of a MySQL target\'s password (on MariaDB): after its connection is killed the sink fetches the secret again and writes on', { timeout: 180_000 }, async () => {
  const target = `${db}_my`;
  const tuser = `smt_${db.slice(-20)}`;
  const name = `${db}/mysql-target`;
  const table = `${db}_myt`;
  for (const host of ['127.0.0.1', 'localhost']) {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [tuser, host, PW1]);
    await admin.query(`GRANT ALL ON \`${target}\`.* TO ?@?`, [tuser, host]);
  }
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: PW1 }));
  await admin.query(`CREATE TABLE ${db}.${table} (id INT PRIMARY KEY, note VARCHAR(40))`);
  await admin.query(`INSERT INTO ${db}.${table} VALUES (1, 'one'), (2, 'two')`);
  const stateDir = join(dir, 'my-state');
  const file = taskFile('sm-my', {
    migrationType: 'full-load-and-cdc', kafka: undefined,
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 't', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': table } }] },
    targets: [{ type: 'mysql', name: 'my', ...services.mariadb, user: tuser, password: `\${aws-sm:${name}}`, database: target, maxBatchDelayMs: 20 }],
    settings: { stateDir, offsetStore: 'sqlite', metrics: { enabled: false } },
  });
  const read = async () => (await admin.query<mysql.RowDataPacket[]>(`SELECT id, note FROM \`${target}\`.${table} ORDER BY id`))[0].map((r) => [r.id, r.note]);
  const run = startFerry(['run', file], env);
  try {
    assert.deepEqual(await until(run, read, [[1, 'one'], [2, 'two']]), [[1, 'one'], [2, 'two']], run.stderr());
    for (const host of ['127.0.0.1', 'localhost']) await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [tuser, host, PW2]);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: PW2 }));
    const [conns] = await admin.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [tuser]);
    assert.ok(conns.length >= 1, 'the sink held a connection');
    for (const c of conns) await admin.query(`KILL ${Number(c.ID)}`).catch(() => undefined);
    await admin.query(`INSERT INTO ${db}.${table} VALUES (3, 'three'), (4, 'four')`);
    await admin.query(`DELETE FROM ${db}.${table} WHERE id = 2`);
    const expected = [[1, 'one'], [3, 'three'], [4, 'four']];
    assert.deepEqual(await until(run, read, expected), expected, run.stderr());
    assert.equal(run.child.exitCode, null, 'the task is still running');
    assert.ok(refreshesOf(run.stderr()).some((l) => l.secretReference === `\${aws-sm:${name}}` && l.changed), run.stderr());
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    record('mysql target run stdout', run.stdout());
    record('mysql target run stderr', run.stderr());
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    for (const host of ['127.0.0.1', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [tuser, host]).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS \`${target}\``).catch(() => undefined);
  }
  recordFiles(stateDir, 'mysql target run state');
  assert.deepEqual(leaks(), []);
});

test('rotation of a PostgreSQL source\'s password: after its query and replication connections are terminated it fetches the secret again and streams on', { timeout: 180_000 }, async () => {
  const role = `sm_src_${db.slice(-20)}`;
  const schema = `${db}_src`;
  const name = `${db}/postgres-source`;
  const task = `${db}_pgsrc`;
  const pgAdmin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await pgAdmin.connect();
  await pgAdmin.query(`CREATE ROLE ${role} LOGIN REPLICATION PASSWORD '${PW1.replace(/'/g, "''")}'`);
  await pgAdmin.query(`GRANT CONNECT, CREATE ON DATABASE shop TO ${role}`);
  await pgAdmin.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
  await pgAdmin.query(`CREATE TABLE ${schema}.items (id int PRIMARY KEY, note text NOT NULL)`);
  await pgAdmin.query(`ALTER TABLE ${schema}.items OWNER TO ${role}; ALTER TABLE ${schema}.items REPLICA IDENTITY FULL`);
  await pgAdmin.query(`INSERT INTO ${schema}.items VALUES (1, 'one'), (2, 'two')`);
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ username: role, password: PW1 }) }));
  const stateDir = join(dir, 'pgsrc-state');
  const file = taskFile(task, {
    migrationType: 'full-load-and-cdc',
    source: { engine: 'postgres', ...services.postgres, database: 'shop', user: role, password: `\${aws-sm:${name}#password}`, connectTimeoutMs: 3000 },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 't', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': 'items' } }] },
    settings: { stateDir, offsetStore: 'sqlite', metrics: { enabled: false } },
  });
  const topic = `${db}.${schema}.items`;
  const read = async () => (await readDecoded(topic)).map((r) => [r.value?.op, r.value?.after?.id ?? r.value?.before?.id, r.value?.after?.note ?? null]);
  const run = startFerry(['run', file], env);
  try {
    assert.deepEqual(await until(run, read, [['r', 1, 'one'], ['r', 2, 'two']]), [['r', 1, 'one'], ['r', 2, 'two']], run.stderr());
    await pgAdmin.query(`INSERT INTO ${schema}.items VALUES (3, 'three')`);
    assert.deepEqual((await until(run, read, [['r', 1, 'one'], ['r', 2, 'two'], ['c', 3, 'three']])).length, 3, run.stderr());
    await pgAdmin.query(`ALTER ROLE ${role} PASSWORD '${PW2.replace(/'/g, "''")}'`);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify({ username: role, password: PW2 }) }));
    const killed = await pgAdmin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    assert.ok(killed.rowCount! >= 1, 'the task held at least its replication connection');
    await pgAdmin.query(`INSERT INTO ${schema}.items VALUES (4, 'four')`);
    await pgAdmin.query(`UPDATE ${schema}.items SET note = 'ONE' WHERE id = 1`);
    const expected = [['r', 1, 'one'], ['r', 2, 'two'], ['c', 3, 'three'], ['c', 4, 'four'], ['u', 1, 'ONE']];
    assert.deepEqual(await until(run, read, expected), expected, run.stderr());
    assert.equal(run.child.exitCode, null, 'the task is still running');
    assert.ok(refreshesOf(run.stderr()).some((l) => l.secretReference === `\${aws-sm:${name}#password}` && l.changed), run.stderr());
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    record('postgres source run stdout', run.stdout());
    record('postgres source run stderr', run.stderr());
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    await dropPgTaskObjects(pgAdmin, task.toLowerCase()).catch(() => undefined);
    await pgAdmin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pgAdmin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await pgAdmin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await pgAdmin.end();
  }
  recordFiles(stateDir, 'postgres source run state');
  assert.deepEqual(leaks(), []);
});
