import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadTaskFile, parseTask } from '../../../src/task-file/load-task.ts';
import { FerryError } from '../../../../core/src/errors.ts';

const base = () => ({
  name: 'shop',
  source: { engine: 'mariadb', host: '127.0.0.1', port: 3306, user: 'cdc', password: 'pw-literal', database: 'shop' },
  migrationType: 'full-load-and-cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
  kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7', topicPrefix: 'shop' },
  targets: [],
  settings: {},
});

/** Applies `edit` to a fresh valid task and returns the problem lines, exactly as the CLI prints them. */
function problems(edit: (t: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}): string[] {
  const t = base() as Record<string, any>;
  edit(t);
  try {
    parseTask(t, { env, baseDir: tmpdir() });
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('a valid task parses, with defaults filled in', () => {
  const t = parseTask(base(), { env: {}, cwd: '/work' });
  assert.equal(t.source.port, 3306);
  assert.equal(Number(t.source.serverId) >= 5400 && Number(t.source.serverId) < 6400, true);
  assert.equal(t.kafka?.clientId, 'ferry-shop');
  assert.equal(t.settings.offsetStore, 'kafka');
  assert.equal(t.settings.stateDir, '/work/.ferry/shop');
  assert.equal(t.settings.batch.maxEvents, 2000);
  assert.equal(t.settings.metrics.port, 9464);
  assert.equal(t.source.password.reveal(), 'pw-literal');
  assert.equal(JSON.stringify(t.source.password), '"***"');
});

test('postgres gets port 5432 and sqlite offsets without kafka', () => {
  const t = parseTask({ ...base(), source: { ...base().source, engine: 'postgres' }, kafka: undefined }, { env: {}, cwd: '/w' });
  assert.equal(t.source.port, 3306); // explicit port wins
  const t2 = parseTask({ ...base(), source: { engine: 'postgres', host: 'h', user: 'u', password: 'p', database: 'd' }, kafka: undefined }, { env: {} });
  assert.equal(t2.source.port, 5432);
  assert.equal(t2.settings.offsetStore, 'sqlite');
});

const cases: [string, (t: Record<string, any>) => void, string[]][] = [
  ['missing field', (t) => { delete t.source.host; }, ['source.host: required field is missing (expected a non-empty string)']],
  ['missing top-level section', (t) => { delete t.tableMappings; }, ['tableMappings: required field is missing (expected a mapping (key: value))']],
  ['wrong type', (t) => { t.source.port = 'abc'; }, ['source.port: expected an integer from 1 to 65535, found "abc"']],
  ['out of range', (t) => { t.source.port = 70000; }, ['source.port: expected an integer from 1 to 65535, found 70000']],
  ['not an integer', (t) => { t.settings = { batch: { maxEvents: 1.5 } }; }, ['settings.batch.maxEvents: expected an integer from 1 to 1000000, found 1.5']],
  ['unknown engine', (t) => { t.source.engine = 'oracle'; }, ['source.engine: expected one of mysql, mariadb, postgres, found "oracle"']],
  ['bad migration type', (t) => { t.migrationType = 'full'; }, ['migrationType: expected one of full-load, cdc, full-load-and-cdc, found "full"']],
  ['unknown field with suggestion', (t) => { t.source.hots = 'x'; }, ['source.hots: unknown field (did you mean "host"?)']],
  ['unknown top-level field', (t) => { t.sauce = {}; }, ['sauce: unknown field (did you mean "source"?)']],
  ['malformed table mapping: no rules', (t) => { t.tableMappings = { rules: [] }; }, ['tableMappings.rules: expected a list of at least 1 item, found an empty list']],
  ['malformed table mapping: bad rule-type', (t) => { t.tableMappings.rules[0]['rule-type'] = 'selekt'; }, ['tableMappings.rules[0].rule-type: expected one of selection, transformation, table-settings, object-mapping, found "selekt"']],
  ['malformed table mapping: bad rule-action', (t) => { t.tableMappings.rules[0]['rule-action'] = 'grab'; }, ['tableMappings.rules[0].rule-action: expected one of include, exclude, explicit, found "grab"']],
  ['malformed table mapping: rule-id not digits', (t) => { t.tableMappings.rules[0]['rule-id'] = 'one'; }, ['tableMappings.rules[0].rule-id: rule-id must be a string of digits, e.g. "1", found "one"']],
  ['malformed table mapping: missing locator field', (t) => { delete t.tableMappings.rules[0]['object-locator']['table-name']; }, ['tableMappings.rules[0].object-locator.table-name: required field is missing (expected a non-empty string)']],
  ['malformed table mapping: duplicate rule-id', (t) => { t.tableMappings.rules.push({ ...t.tableMappings.rules[0], 'rule-name': 'two' }); }, ['tableMappings.rules[1].rule-id: duplicate rule-id "1" (also used by rules[0]); every rule needs its own rule-id']],
  ['malformed table mapping: only excludes', (t) => { t.tableMappings.rules[0]['rule-action'] = 'exclude'; }, ['tableMappings.rules: the table mapping needs at least one selection rule with rule-action "include" or "explicit", or no table is captured']],
  ['explicit with wildcard', (t) => { t.tableMappings.rules[0]['rule-action'] = 'explicit'; }, ['tableMappings.rules[0].object-locator: an "explicit" selection takes exact schema and table names without wildcards (%, _, [ ]); use "include" for patterns']],
  ['unresolvable env secret', (t) => { t.source.password = '${env:FERRY_TEST_UNSET}'; }, ['source.password: cannot resolve ${env:FERRY_TEST_UNSET}: environment variable FERRY_TEST_UNSET is not set (export it before running ferry)']],
  ['unresolvable file secret', (t) => { t.source.password = '${file:/nonexistent/pw.txt}'; }, ['source.password: cannot resolve ${file:/nonexistent/pw.txt}: cannot read file /nonexistent/pw.txt (ENOENT)']],
  ['file secret from a device is refused, not read without end', (t) => { t.source.password = '${file:/dev/zero}'; }, ['source.password: cannot resolve ${file:/dev/zero}: /dev/zero is not a regular file; a secret file is a regular file of at most 1048576 bytes']],
  ['unknown secret provider', (t) => { t.source.password = '${vault:db/pw}'; }, ['source.password: cannot resolve ${vault:…}: unknown secret provider "vault" (expected ${env:NAME}, ${file:path} or ${aws-sm:name-or-arn})']],
  ['empty password', (t) => { t.source.password = ''; }, ['source.password: expected a non-empty string, found a string (value hidden: secret field)']],
  ['wrong password type hides value', (t) => { t.source.password = 12345678; }, ['source.password: expected a non-empty string, found a number (value hidden: secret field)']],
  ['bad broker address', (t) => { t.kafka.brokers = ['localhost']; }, ['kafka.brokers[0]: expected "host:port", found "localhost"']],
  ['empty broker list', (t) => { t.kafka.brokers = []; }, ['kafka.brokers: expected a list of at least 1 item, found an empty list']],
  ['bad registry url', (t) => { t.kafka.schemaRegistry = 'registry:8081'; }, ['kafka.schemaRegistry: expected a URL, found "registry:8081"']],
  ['bad task name', (t) => { t.name = 'my task'; }, ['name: expected 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit, found "my task"']],
  ['unknown target type', (t) => { t.targets = [{ type: 's3' }]; }, ['targets[0].type: expected one of parquet, csv, redshift, kinesis, dynamodb, kafka, postgres, mysql, iceberg, found "s3"']],
  ['unsupported mapping rule is rejected, not ignored', (t) => { t.tableMappings.rules.push({ 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'ts', 'rule-target': 'table-tablespace', 'rule-action': 'rename', 'object-locator': { 'schema-name': 'shop', 'table-name': '%', 'table-tablespace-name': 'x' }, value: 'y' }); }, ['tableMappings.rules[1].rule-target: rule-target "table-tablespace" is not supported: tablespaces exist only on Oracle targets, and Ferry\'s targets (Kafka topics, lake files, Redshift) have none; remove the rule']],
  ['postgres without database', (t) => { t.source.engine = 'postgres'; delete t.source.database; }, ['source.database: required field is missing (expected a string: the postgres database to capture)']],
  ['kafka offsets without kafka', (t) => { delete t.kafka; t.settings = { offsetStore: 'kafka' }; }, ['settings.offsetStore: is "kafka", but the task has no kafka block; add one or use "sqlite"']],
  ['wrong type for a section', (t) => { t.settings = 'fast'; }, ['settings: expected a mapping (key: value), found "fast"']],
  ['boolean field', (t) => { t.settings = { tombstonesOnDelete: 'yes' }; }, ['settings.tombstonesOnDelete: expected true or false, found "yes"']],
];

for (const [name, edit, expected] of cases) {
  test(`bad input: ${name}`, () => {
    assert.deepEqual(problems(edit), expected);
  });
}

test('every error in the file is reported at once', () => {
  const lines = problems((t) => { t.source.port = 'x'; t.migrationType = 'y'; delete t.name; t.kafka.brokers = []; });
  assert.deepEqual(lines, [
    'name: required field is missing (expected a string)',
    'source.port: expected an integer from 1 to 65535, found "x"',
    'migrationType: expected one of full-load, cdc, full-load-and-cdc, found "y"',
    'kafka.brokers: expected a list of at least 1 item, found an empty list',
  ]);
});

test('secret references resolve from env and file (relative to the task file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
  writeFileSync(join(dir, 'pw.txt'), 'from-file-secret\n');
  writeFileSync(join(dir, 'task.yaml'), [
    'name: t1',
    'source: { engine: mysql, host: 127.0.0.1, user: "${env:FERRY_T_USER}", password: "${file:pw.txt}" }',
    'migrationType: cdc',
    'tableMappings: { rules: [ { rule-type: selection, rule-id: "1", rule-name: a, rule-action: include, object-locator: { schema-name: s, table-name: "%" } } ] }',
  ].join('\n'));
  const t = loadTaskFile(join(dir, 'task.yaml'), { env: { FERRY_T_USER: 'cdc_user' } });
  assert.equal(t.source.user, 'cdc_user');
  assert.equal(t.source.password.reveal(), 'from-file-secret');
  assert.equal(t.settings.offsetStore, 'sqlite');
});

test('$${ is a literal ${: a name holding "${env:…}" is written escaped, and only real references resolve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
  writeFileSync(join(dir, 'task.yaml'), [
    'name: t1',
    'source: { engine: mysql, host: 127.0.0.1, user: "${env:FERRY_T_USER}", password: "p$${x}${env:FERRY_T_USER}" }',
    'migrationType: cdc',
    'tableMappings: { rules: [ { rule-type: selection, rule-id: "1", rule-name: a, rule-action: include, object-locator: { schema-name: "s$${env:HOME}", table-name: "$${env:FERRY_T_USER}$${" } } ] }',
  ].join('\n'));
  const t = loadTaskFile(join(dir, 'task.yaml'), { env: { FERRY_T_USER: 'cdc_user', HOME: '/root' } });
  assert.equal(t.source.user, 'cdc_user');
  assert.equal(t.source.password.reveal(), 'p${x}cdc_user');
  const locator = (t.tableMappings.rules[0] as { 'object-locator': { 'schema-name': string; 'table-name': string } })['object-locator'];
  assert.equal(locator['schema-name'], 's${env:HOME}', 'an escaped reference stays text');
  assert.equal(locator['table-name'], '${env:FERRY_T_USER}${', 'escapes only');
});

test('a ${file:} secret is read within a limit: a FIFO does not block, a file over 1 MiB is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(1024 * 1024 + 1));
  writeFileSync(join(dir, 'max.txt'), `${'y'.repeat(1024 * 1024)}`);
  const problemsOf = (ref: string): string[] => {
    const t = base();
    t.source.password = ref;
    try {
      parseTask(t, { baseDir: dir });
      return [];
    } catch (e: unknown) {
      return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };
  assert.deepEqual(problemsOf('${file:pipe}'), [`source.password: cannot resolve \${file:pipe}: ${join(dir, 'pipe')} is not a regular file; a secret file is a regular file of at most 1048576 bytes`]);
  assert.deepEqual(problemsOf('${file:big.txt}'), [`source.password: cannot resolve \${file:big.txt}: ${join(dir, 'big.txt')} is larger than 1048576 bytes; a secret file is a regular file of at most 1048576 bytes`]);
  assert.deepEqual(problemsOf('${file:max.txt}'), []);
});

test('JSON task files work too, and YAML syntax errors name the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
  writeFileSync(join(dir, 'task.json'), JSON.stringify(base()));
  assert.equal(loadTaskFile(join(dir, 'task.json')).name, 'shop');
  writeFileSync(join(dir, 'bad.yaml'), 'name: shop\nsource: { engine: mysql\n');
  assert.throws(() => loadTaskFile(join(dir, 'bad.yaml')), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_CONFIG_PARSE' && e.message.startsWith(`${join(dir, 'bad.yaml')} is not valid YAML/JSON:\n  - line 3, column 1: Flow map`));
  writeFileSync(join(dir, 'dup.yaml'), 'name: a\nname: b\n');
  assert.throws(() => loadTaskFile(join(dir, 'dup.yaml')), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_CONFIG_PARSE' && /unique/i.test(e.message));
  assert.throws(() => loadTaskFile(join(dir, 'missing.yaml')), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_CONFIG_NOT_FOUND' && e.message === `cannot read task file ${join(dir, 'missing.yaml')}: no such file`);
  writeFileSync(join(dir, 'empty.yaml'), '');
  assert.throws(() => loadTaskFile(join(dir, 'empty.yaml')), (e: unknown) => e instanceof ConfigError && e.problems[0]?.message === 'expected a mapping (key: value) with name, source, migrationType and tableMappings, found an empty document');
});
