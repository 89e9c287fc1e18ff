/**
 * Problems about a task never echo a secret (issue #16, "Secrets leak when they are printed in an altered form"):
 * a value that came from a ${env:}/${file:} reference is shown as the reference, a secret field's value not at all,
 * in whatever form a message would carry it (raw, JSON-escaped, truncated to 57 characters and "...").
 * And every problem is reported at once ("Every problem at once stops short"): the checks that used to run only
 * after the schema passed (unavailable sink types, unsupported mapping constructs, cross-field rules) run on every
 * part of the document that is valid by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseTask } from '../../../src/task-file/load-task.ts';

/** Over 60 characters, with a quote and a backslash. */
const SECRET = 'Pa"ss\\word-' + 'k3y'.repeat(20) + '-end';
const ENV = { FERRY_SECRET: SECRET };
const SUPPORTED = 'string, wstring, clob, nclob, int1, int2, int4, int8, uint1, uint2, uint4, uint8, real4, real8, numeric, boolean, date, time, datetime, bytes, blob';

const base = (): Record<string, any> => ({
  name: 'shop',
  source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'pw-literal' },
  migrationType: 'cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
});

const changeType = (id: string, type: string) => ({
  'rule-type': 'transformation', 'rule-id': id, 'rule-name': `type-${id}`, 'rule-target': 'column', 'rule-action': 'change-data-type',
  'object-locator': { 'schema-name': 'shop', 'table-name': 't', 'column-name': 'c' }, 'data-type': { type },
});

function problems(t: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseTask(t, { env, baseDir: tmpdir() });
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

/** Every run of 8 characters of the secret, raw and JSON-escaped: none may appear in output. */
function assertNoFragment(text: string): void {
  for (const form of [SECRET, JSON.stringify(SECRET).slice(1, -1)]) {
    for (let i = 0; i + 8 <= form.length; i++) assert.equal(text.includes(form.slice(i, i + 8)), false, `"${form.slice(i, i + 8)}" found in ${text}`);
  }
}

test('a referenced value is never echoed: the problem names the reference', () => {
  const t = base();
  t.name = 'x${env:FERRY_SECRET}';
  t.source.engine = '${env:FERRY_SECRET}';
  t.kafka = { brokers: ['${env:FERRY_SECRET}'], schemaRegistry: 'http://user:${env:FERRY_SECRET}@registry:8081/apis/ccompat/v7' };
  t.tableMappings.rules.push(changeType('2', '${env:FERRY_SECRET}'));
  const lines = problems(t, ENV);
  assert.deepEqual(lines, [
    'name: expected 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit, found the value of "x${env:FERRY_SECRET}"',
    'source.engine: expected one of mysql, mariadb, postgres, found the value of ${env:FERRY_SECRET}',
    'kafka.brokers[0]: expected "host:port", found the value of ${env:FERRY_SECRET}',
    'kafka.schemaRegistry: expected a URL, found the value of "http://user:${env:FERRY_SECRET}@registry:8081/apis/ccompat/v7"',
    `tableMappings.rules[1].data-type.type: data type "\${env:FERRY_SECRET}" is not supported; use one of ${SUPPORTED}`,
  ]);
  assertNoFragment(lines.join('\n'));
});

test('a message that would quote part of a referenced value is replaced as a whole', () => {
  const t = base();
  t.tableMappings.rules.push({
    'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'e', 'rule-target': 'column', 'rule-action': 'add-column', value: 'x',
    expression: '${env:FERRY_SECRET}', 'object-locator': { 'schema-name': 'shop', 'table-name': 't' }, 'data-type': { type: 'string', length: 10 },
  });
  const lines = problems(t, ENV);
  assert.deepEqual(lines, ['tableMappings.rules[1].expression: the problem found here is not shown, because it would show part of the value of ${env:FERRY_SECRET}; check that value']);
});

test('a secret field’s value is not echoed where it is pasted into another field', () => {
  const t = base();
  t.source.password = SECRET;
  t.source.port = SECRET;
  const lines = problems(t);
  assert.deepEqual(lines, ['source.port: expected an integer from 1 to 65535, found "***"']);
  assertNoFragment(lines.join('\n'));
});

test('hideValues: raw, JSON-escaped, URL-encoded and truncated forms, and any fragment', async () => {
  const { hideValues } = await import('../../../../runtime/src/config/config-problems.ts');
  const hidden = [{ value: SECRET, shownAs: '${env:X}' }];
  const at = (message: string) => hideValues([{ path: 'p', message }], hidden)[0]!.message;
  assert.equal(at(`raw ${SECRET} end`), 'raw ${env:X} end');
  assert.equal(at(`json ${JSON.stringify(SECRET)} end`), 'json "${env:X}" end');
  assert.equal(at(`twice ${JSON.stringify(JSON.stringify(SECRET))} end`), 'twice "\\"${env:X}\\"" end');
  assert.equal(at(`url ${encodeURIComponent(SECRET)} end`), 'url ${env:X} end');
  assert.equal(at(`cut ${JSON.stringify(`${SECRET.slice(0, 57)}...`)} end`), 'cut "${env:X}" end');
  assert.equal(at(`excerpt near "${SECRET.slice(20, 35)}"`), 'the problem found here is not shown, because it would show part of the value of ${env:X}; check that value');
  assert.equal(at('nothing of it'), 'nothing of it');
  // Values shorter than 4 characters are hidden by their field only; replacing them everywhere would garble messages.
  assert.equal(hideValues([{ path: 'p', message: 'rules[1]' }], [{ value: '1', shownAs: '***' }])[0]!.message, 'rules[1]');
});

test('every problem at once: unknown sink types, unsupported data types and table types, and cross-field rules come with the others', () => {
  const t = base();
  t.source.port = 'abc';
  t.targets = [{ type: 's3' }, { type: 'parquet' }];
  t.settings = { offsetStore: 'kafka' };
  t.tableMappings.rules.push(changeType('2', 'set'));
  t.tableMappings.rules.push({ 'rule-type': 'selection', 'rule-id': '3', 'rule-name': 'views', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': 'v', 'table-type': 'view' } });
  // A rule that is itself invalid is reported once, for what makes it invalid.
  t.tableMappings.rules.push(changeType('four', 'set'));
  assert.deepEqual(problems(t), [
    'source.port: expected an integer from 1 to 65535, found "abc"',
    'tableMappings.rules[3].rule-id: rule-id must be a string of digits, e.g. "1", found "four"',
    'targets[0].type: expected one of parquet, csv, redshift, kinesis, dynamodb, kafka, postgres, mysql, iceberg, found "s3"',
    `tableMappings.rules[1].data-type.type: data type "set" is not supported; use one of ${SUPPORTED}`,
    'tableMappings.rules[2].object-locator.table-type: table-type "view" is not supported yet; only "table" (Ferry captures tables from the change log, and views have none)',
    'settings.offsetStore: is "kafka", but the task has no kafka block; add one or use "sqlite"',
  ]);
});

test('every problem at once: an unknown sink type alongside a problem elsewhere in targets', () => {
  const t = base();
  t.targets = [{ type: 's3' }, { type: 'parquet', name: '' }];
  assert.deepEqual(problems(t), [
    'targets[0].type: expected one of parquet, csv, redshift, kinesis, dynamodb, kafka, postgres, mysql, iceberg, found "s3"',
    'targets[1].name: expected a non-empty string, found ""',
  ]);
});

test('validate --json shows the reference, not the value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-echo-'));
  const file = join(dir, 'task.yaml');
  writeFileSync(file, [
    'name: shop',
    'source: { engine: "${env:FERRY_SECRET}", host: h, user: cdc, password: pw }',
    'migrationType: cdc',
    'kafka: { brokers: ["127.0.0.1:9092"], schemaRegistry: "http://user:${env:FERRY_SECRET}@registry:8081/apis/ccompat/v7" }',
    'tableMappings: { rules: [ { rule-type: selection, rule-id: "1", rule-name: a, rule-action: include, object-locator: { schema-name: s, table-name: "%" } } ] }',
  ].join('\n'));
  const root = join(import.meta.dirname, '..', '..', '..', '..');
  for (const args of [['validate', file], ['validate', file, '--json']]) {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...ENV } });
    assert.equal(r.status, 2, r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(out.includes('source.engine: expected one of mysql, mariadb, postgres, found the value of ${env:FERRY_SECRET}'), out);
    assert.ok(out.includes('kafka.schemaRegistry: expected a URL, found the value of \\"http://user:${env:FERRY_SECRET}@registry:8081/apis/ccompat/v7\\"') || out.includes('kafka.schemaRegistry: expected a URL, found the value of "http://user:${env:FERRY_SECRET}@registry:8081/apis/ccompat/v7"'), out);
    assertNoFragment(out);
  }
});
