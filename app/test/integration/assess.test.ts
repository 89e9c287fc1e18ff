// `ferry assess` against real databases (issue #18's check): a throwaway MariaDB whose binlog is not in ROW format
// (started and stopped here on a free port; the shared server is left alone), holding a table without a key and a
// 10 MB LOB above the task's LOB limit, and a PostgreSQL target table of the wrong shape. Each finding appears with
// its code, objects and fix; the --json output validates against the schema docs/assessment.md documents (ajv); the
// HTML report is self-contained; `ferry run` refuses the task (exit 5, FERRY_ASSESSMENT_FAILED naming
// --skip-assessment), and --skip-assessment lets it start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Ajv } from 'ajv';
import { freePort, services, uniqueName } from '../../../test/helpers/services.ts';
import { ASSESSMENT_JSON_SCHEMA } from '../../src/assess/assessment-schema.ts';
import type { AssessmentReport, Finding } from '../../src/assess/finding.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-assess-'));
const mariaDir = join(dir, 'maria-stmt');
const DB = uniqueName('assess_it');
const LOB_BYTES = 10 * 1024 * 1024;
let port = 0;
const pgAdmin = () => new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });

function taskFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, migrationType: 'full-load-and-cdc',
    source: { engine: 'mariadb', host: '127.0.0.1', port, user: 'cdc', password: 'cdc', connectTimeoutMs: 5000 },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': DB, 'table-name': '%' } }] },
    settings: { lob: { mode: 'limited', maxSizeKb: 1024 }, stateDir: join(dir, 'state', name), offsetStore: 'sqlite', metrics: { enabled: false } },
    targets: [{ type: 'postgres', name: 'pgt', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop', schema: DB }],
    ...extra,
  }));
  return file;
}

function ferry(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', timeout: 120000, env: { ...process.env, FERRY_LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  port = await freePort();
  const r = spawnSync('bash', [join(ROOT, 'infra', 'mariadb.sh'), 'start', mariaDir, String(port), '--binlog-format=STATEMENT'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const admin = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.query(`CREATE TABLE ${DB}.docs (id INT PRIMARY KEY, title VARCHAR(40) NOT NULL, body LONGTEXT) DEFAULT CHARSET=utf8mb4`);
  await admin.query(`CREATE TABLE ${DB}.nokey (a INT, b VARCHAR(10))`);
  await admin.query(`INSERT INTO ${DB}.docs VALUES (1, 'small', 'x'), (2, 'big', REPEAT('a', ${LOB_BYTES}))`);
  await admin.query(`INSERT INTO ${DB}.nokey VALUES (1, 'x')`);
  await admin.end();
  const p = pgAdmin();
  await p.connect();
  await p.query(`CREATE SCHEMA ${DB}`);
  // the wrong shape: body is an integer, title too narrow, no primary key, an extra NOT NULL column
  await p.query(`CREATE TABLE ${DB}.docs (id integer, title varchar(10) NOT NULL, body integer, extra text NOT NULL)`);
  // and the target's user (cdc) may not DELETE from it
  await p.query(`GRANT USAGE, CREATE ON SCHEMA ${DB} TO cdc`);
  await p.query(`GRANT SELECT, INSERT, UPDATE ON ${DB}.docs TO cdc`);
  await p.end();
});

after(async () => {
  spawnSync('bash', [join(ROOT, 'infra', 'mariadb.sh'), 'stop', mariaDir, String(port)], { timeout: 60000 });
  rmSync(dir, { recursive: true, force: true });
  const p = pgAdmin();
  await p.connect();
  await p.query(`DROP SCHEMA IF EXISTS ${DB} CASCADE`);
  await p.end();
});

const one = (findings: readonly Finding[], code: string, column?: string): Finding => {
  const of = findings.filter((f) => f.code === code && (column === undefined || f.objects.some((o) => o.column === column)));
  assert.equal(of.length, 1, `${code}${column ? ` on ${column}` : ''}: ${JSON.stringify(findings.map((f) => f.code))}`);
  return of[0]!;
};

test('assess --json: each finding with its fix, and the output validates against the documented schema (exit 5)', () => {
  const html = join(dir, 'report.html');
  const r = ferry('assess', taskFile('json'), '--json', '--html', html);
  assert.equal(r.status, 5, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as AssessmentReport & { ok: boolean };
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const valid = ajv.validate(ASSESSMENT_JSON_SCHEMA, out);
  assert.equal(valid, true, JSON.stringify(ajv.errors));
  assert.equal(out.ok, false);
  const f = out.findings;

  const binlog = one(f, 'MYSQL_BINLOG_FORMAT');
  assert.deepEqual([binlog.severity, binlog.category, binlog.message], ['error', 'source', `binlog_format is STATEMENT on 127.0.0.1:${port}; Ferry needs ROW`]);
  assert.equal(binlog.fix, "run SET GLOBAL binlog_format='ROW' and add binlog_format=ROW to [mariadbd] in my.cnf (sessions started before keep the old format)");

  const nokey = one(f, 'NO_PRIMARY_KEY');
  assert.deepEqual([nokey.severity, nokey.objects], ['warning', [{ table: `${DB}.nokey` }]]);
  assert.equal(nokey.fix, `add a primary key on the source (ALTER TABLE ${DB}.nokey ADD PRIMARY KEY (…)), or give the target one with a define-primary-key transformation rule`);

  const lob = one(f, 'LOB_TRUNCATED');
  assert.deepEqual([lob.severity, lob.objects], ['warning', [{ table: `${DB}.docs`, column: 'body' }]]);
  assert.deepEqual(lob.details, { largestBytes: LOB_BYTES, rowsRead: 2, complete: true, mode: 'limited', policyFrom: 'settings.lob', limitBytes: 1024 * 1024 });
  assert.equal(lob.message, `${DB}.docs.body holds values of 10.0 MiB (all 2 rows read), above the LOB limit of 1.0 MiB (limited mode, settings.lob): they are truncated, and the column is named in __ferry_truncated`);
  assert.equal(lob.fix, 'raise settings.lob.maxSizeKb to at least 10240, or use mode full (or inline with a claimCheck bucket) for this table');

  const type = one(f, 'TARGET_COLUMN_TYPE_MISMATCH', 'body');
  assert.deepEqual([type.severity, type.objects, type.details], ['error', [{ table: `${DB}.docs`, target: 'pgt', column: 'body' }], { targetType: 'integer', expectedType: 'text' }]);
  assert.equal(type.fix, `ALTER TABLE "${DB}"."docs" ALTER COLUMN "body" TYPE text USING …, or drop the table (or set tablePreparation: drop-and-create) so the sink creates it`);
  const pk = one(f, 'TARGET_PRIMARY_KEY_MISMATCH');
  assert.deepEqual([pk.severity, pk.fix], ['error', `ALTER TABLE "${DB}"."docs" ADD PRIMARY KEY ("id")`]);
  const narrow = one(f, 'TARGET_COLUMN_TOO_NARROW', 'title');
  assert.deepEqual([narrow.severity, narrow.details], ['warning', { targetType: 'character varying(10)', expectedType: 'character varying(40)' }]);
  assert.equal(narrow.fix, `ALTER TABLE "${DB}"."docs" ALTER COLUMN "title" TYPE character varying(40)`);
  const priv = one(f, 'TARGET_PRIVILEGES');
  assert.deepEqual([priv.severity, priv.objects, priv.message, priv.fix], ['error', [{ table: `${DB}.docs`, target: 'pgt' }], `target pgt: user cdc lacks DELETE on table ${DB}.docs`, `GRANT DELETE ON "${DB}"."docs" TO "cdc"`]);
  const extra = one(f, 'TARGET_EXTRA_COLUMN', 'extra');
  assert.equal(extra.severity, 'warning');
  assert.deepEqual(f.filter((x) => x.severity === 'error').map((x) => x.code).sort(), ['MYSQL_BINLOG_FORMAT', 'TARGET_COLUMN_TYPE_MISMATCH', 'TARGET_PRIMARY_KEY_MISMATCH', 'TARGET_PRIVILEGES']);
  assert.deepEqual(out.summary, { errors: 4, warnings: f.filter((x) => x.severity === 'warning').length, infos: f.filter((x) => x.severity === 'info').length });
  // errors first, then warnings, then infos
  const ranks = f.map((x) => ['error', 'warning', 'info'].indexOf(x.severity));
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));

  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.doesNotMatch(page, /<script|<link|\ssrc=|url\(/i);
  assert.ok(page.includes(`ALTER TABLE &quot;${DB}&quot;.&quot;docs&quot; ADD PRIMARY KEY (&quot;id&quot;)`));
  assert.ok(page.includes('binlog_format=&#39;ROW&#39;') || page.includes("SET GLOBAL binlog_format=&#39;ROW&#39;"));
});

test('a MySQL target table: a narrower column and a 10 MB value over max_allowed_packet are errors, a utf8mb3 column cannot hold utf8mb4', async () => {
  const admin = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${DB}_dst`);
  await admin.query(`CREATE TABLE ${DB}_dst.docs (id INT PRIMARY KEY, title VARCHAR(40) CHARACTER SET utf8mb3 NOT NULL, body TEXT) DEFAULT CHARSET=utf8mb4`);
  // this throwaway server is also the target: statements of at most 8 MiB, less than the 10 MB value
  const [[{ p: packet }]] = await admin.query('SELECT @@global.max_allowed_packet AS p') as unknown as [[{ p: number }]];
  await admin.query('SET GLOBAL max_allowed_packet = 8388608');
  const file = taskFile('mysql-target', { targets: [{ type: 'mysql', name: 'myt', host: '127.0.0.1', port, user: 'root', password: 'root', database: `${DB}_dst` }] });
  let r;
  try {
    r = ferry('assess', file, '--json', '--table', `${DB}.docs`);
  } finally {
    await admin.query(`SET GLOBAL max_allowed_packet = ${Number(packet)}`);
    await admin.end();
  }
  assert.equal(r.status, 5, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as AssessmentReport;
  const targetFindings = out.findings.filter((f) => f.category === 'target' && f.code !== 'TARGET_FREE_SPACE' && f.code !== 'TARGET_SIZE_ESTIMATE');
  assert.deepEqual(targetFindings.map((f) => [f.code, f.severity, f.objects[0]?.column ?? null, f.fix]), [
    ['TARGET_COLUMN_TOO_NARROW', 'error', 'body', `ALTER TABLE \`${DB}_dst\`.\`docs\` MODIFY COLUMN \`body\` longtext`],
    ['TARGET_MAX_ALLOWED_PACKET', 'error', 'body', 'SET GLOBAL max_allowed_packet = 22020096 on the target, and in its my.cnf; or limit the LOB size (settings.lob mode limited)'],
    ['CHARSET_NOT_HELD', 'warning', 'title', `ALTER TABLE \`${DB}_dst\`.\`docs\` MODIFY COLUMN \`title\` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`],
  ]);
  assert.deepEqual(targetFindings[1]!.details, { largestBytes: LOB_BYTES, maxAllowedPacket: 8388608 });
  // --table narrowed the assessment to docs: nokey is not reported
  assert.equal(out.findings.some((f) => f.code === 'NO_PRIMARY_KEY'), false);
  // a table the task does not select is a usage error (exit 2)
  const bad = ferry('assess', file, '--table', 'other.docs');
  assert.equal(bad.status, 2, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /--table other\.docs: the task's table mapping does not select it/);
});

test('assess: the terminal report groups the findings by severity and ends with the summary line', () => {
  const r = ferry('assess', taskFile('text'));
  assert.equal(r.status, 5, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  const errorsAt = lines.indexOf('Errors (4)');
  const warningsAt = lines.findIndex((l) => /^Warnings \(\d+\)$/.test(l));
  assert.ok(errorsAt > 0 && warningsAt > errorsAt, r.stdout);
  assert.ok(lines.slice(errorsAt, warningsAt).includes(`  ERROR MYSQL_BINLOG_FORMAT: binlog_format is STATEMENT on 127.0.0.1:${port}; Ferry needs ROW`));
  assert.ok(lines.includes(`          on: ${DB}.docs.body`));
  assert.match(r.stdout, /\nassess: 4 errors, \d+ warnings, \d+ infos — ferry run refuses to start until the errors are fixed \(or is given --skip-assessment\)\n$/);
});

test('ferry run refuses while an error finding is open, naming the findings and --skip-assessment (exit 5)', async () => {
  const r = ferry('run', taskFile('run'), '--json');
  assert.equal(r.status, 5, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; details: { findings: Finding[] } } };
  assert.equal(out.ok, false);
  assert.equal(out.error.code, 'FERRY_ASSESSMENT_FAILED');
  assert.deepEqual(out.error.details.findings.map((x) => x.code).sort(), ['MYSQL_BINLOG_FORMAT', 'TARGET_COLUMN_TYPE_MISMATCH', 'TARGET_PRIMARY_KEY_MISMATCH', 'TARGET_PRIVILEGES']);
  assert.match(out.error.message, /^the premigration assessment found 4 errors, so the task was not started:\n/);
  assert.match(out.error.message, /\nFix them \(ferry assess <task-file> shows every finding\), or start anyway with ferry run --skip-assessment$/);
  // nothing was started: the target table is as it was (the sink would have widened title and relaxed NOT NULL)
  const p = pgAdmin();
  await p.connect();
  const shape = async () => (await p.query(`SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute WHERE attrelid = '${DB}.docs'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows;
  try {
    assert.deepEqual(await shape(), [
      { attname: 'id', type: 'integer', attnotnull: false }, { attname: 'title', type: 'character varying(10)', attnotnull: true },
      { attname: 'body', type: 'integer', attnotnull: false }, { attname: 'extra', type: 'text', attnotnull: true },
    ]);
  } finally {
    await p.end();
  }
  // --skip-assessment starts the task (which then meets the problems the assessment named: it is stopped here)
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', taskFile('skip'), '--skip-assessment'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'info' } });
  let log = '';
  child.stderr.on('data', (b: Buffer) => { log += b.toString(); });
  try {
    const deadline = Date.now() + 30000;
    while (!/"msg":"starting task skip"/.test(log) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(log, /--skip-assessment: starting without the premigration assessment/);
    assert.match(log, /"msg":"starting task skip"/);
    assert.doesNotMatch(log, /FERRY_ASSESSMENT_FAILED/);
  } finally {
    child.kill('SIGKILL');
  }
});
