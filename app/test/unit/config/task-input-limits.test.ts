/**
 * Bounded input (issue #16, "Unbounded input"): a task file's size, nesting depth, YAML aliases and the number of
 * problems reported are capped, and each case ends in a coded, one-line FerryError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadTaskFile, parseTask } from '../../../src/task-file/load-task.ts';
import { FerryError } from '../../../../core/src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-limits-'));
const MAX_BYTES = 1024 * 1024;

const task = (extra: Record<string, unknown> = {}) => ({
  name: 'shop',
  source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'pw' },
  migrationType: 'cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
  ...extra,
});

/** The FerryError `fn` throws (failing the test if it throws anything else, or nothing). */
function ferryError(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (e: unknown) {
    assert.ok(e instanceof FerryError, `expected a FerryError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

/** A list nested `n` levels deep. */
function nested(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

test('the limits are 1 MiB, 64 levels, 100 alias expansions and 50 problems', async () => {
  const { TASK_INPUT_LIMITS } = await import('../../../src/task-file/input-limits.ts');
  assert.deepEqual({ ...TASK_INPUT_LIMITS }, { maxBytes: MAX_BYTES, maxDepth: 64, maxAliasCount: 100, maxProblems: 50 });
});

test('a file over 1 MiB is refused before it is parsed (FERRY_CONFIG_TOO_LARGE)', () => {
  const file = join(dir, 'big.yaml');
  // A valid task padded with a comment to one byte over the limit.
  const body = `${JSON.stringify(task())}\n#`;
  writeFileSync(file, body + 'x'.repeat(MAX_BYTES + 1 - Buffer.byteLength(body)));
  const e = ferryError(() => loadTaskFile(file));
  assert.equal(e.code, 'FERRY_CONFIG_TOO_LARGE');
  assert.equal(e.message, `${file} is larger than 1 MiB, the limit for a task file`);
  // Exactly at the limit is fine.
  writeFileSync(file, body + 'x'.repeat(MAX_BYTES - Buffer.byteLength(body)));
  assert.equal(loadTaskFile(file, { env: {} }).name, 'shop');
});

test('a pipe that goes on past the limit is read only up to it', () => {
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // 3 MiB of zero bytes, then the end of the stream; the reader must stop after 1 MiB + 1 byte.
  const writer = spawn('sh', ['-c', `head -c 3145728 /dev/zero > '${fifo}'`], { stdio: 'ignore' });
  try {
    const e = ferryError(() => loadTaskFile(fifo));
    assert.equal(e.code, 'FERRY_CONFIG_TOO_LARGE');
    assert.equal(e.message, `${fifo} is larger than 1 MiB, the limit for a task file`);
  } finally {
    writer.kill();
  }
});

test('1,000 levels of nesting in a file end in FERRY_CONFIG_TOO_DEEP with the line and column', () => {
  const file = join(dir, 'deep.json');
  writeFileSync(file, `{"name": "shop",\n"sauce": ${JSON.stringify(nested(1000))}}`);
  const e = ferryError(() => loadTaskFile(file));
  assert.equal(e.code, 'FERRY_CONFIG_TOO_DEEP');
  assert.equal(e.message, `${file} nests mappings and lists deeper than 64 levels (at line 2, column 75), the limit for a task document`);
});

test('deep block-style YAML ends in FERRY_CONFIG_TOO_DEEP too', () => {
  const file = join(dir, 'deep.yaml');
  writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'));
  const e = ferryError(() => loadTaskFile(file));
  assert.equal(e.code, 'FERRY_CONFIG_TOO_DEEP');
  assert.equal(e.message, `${file} nests mappings and lists deeper than 64 levels (at line 66, column 67), the limit for a task document`);
});

test('parseTask applies the depth limit to documents that arrive parsed: 64 levels are fine, 65 are not', () => {
  // The top-level mapping is level 1, "sauce" holds level 2 and below.
  const ok = ferryError(() => parseTask(task({ sauce: nested(63) }), { env: {} }));
  assert.ok(ok instanceof ConfigError);
  assert.deepEqual(ok.problems, [{ path: 'sauce', message: 'unknown field (did you mean "source"?)' }]);
  // A ConfigError (the task API answers 400 with it), coded as the limit, naming where.
  const e = ferryError(() => parseTask(task({ sauce: nested(64) }), { env: {} }));
  assert.ok(e instanceof ConfigError);
  assert.equal(e.code, 'FERRY_CONFIG_TOO_DEEP');
  const where = `sauce${'[0]'.repeat(63)}`;
  assert.deepEqual(e.problems, [{ path: where, message: 'nests mappings and lists deeper than 64 levels, the limit for a task document' }]);
  assert.equal(e.message, `task: 1 problem:\n  - ${where}: nests mappings and lists deeper than 64 levels, the limit for a task document`);
  const huge = ferryError(() => parseTask(task({ sauce: nested(100_000) }), { env: {} }));
  assert.equal(huge.code, 'FERRY_CONFIG_TOO_DEEP');
  assert.deepEqual((huge as ConfigError).problems.map((p) => p.path), [where]);
});

test('a YAML alias bomb ends in FERRY_CONFIG_ALIASES', () => {
  const file = join(dir, 'bomb.yaml');
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]`);
  writeFileSync(file, lines.join('\n'));
  const e = ferryError(() => loadTaskFile(file));
  assert.equal(e.code, 'FERRY_CONFIG_ALIASES');
  assert.equal(e.message, `${file}: its YAML aliases expand past the limit of 100 (an alias bomb?); repeat the values instead`);
  // A few aliases, as people use them, still work.
  writeFileSync(file, [
    'name: shop', 'source: &src { engine: mariadb, host: h, user: cdc, password: pw }', 'migrationType: cdc',
    'tableMappings: { rules: [ { rule-type: selection, rule-id: "1", rule-name: a, rule-action: include, object-locator: &loc { schema-name: s, table-name: "%" } },',
    '  { rule-type: transformation, rule-id: "2", rule-name: b, rule-target: table, rule-action: convert-lowercase, object-locator: *loc } ] }',
  ].join('\n'));
  assert.equal(loadTaskFile(file, { env: {} }).tableMappings.rules.length, 2);
});

test('200k bad entries: the first 50 problems, then how many more (no stack overflow)', () => {
  const t = task();
  for (let i = 0; i < 200_000; i++) t.tableMappings.rules.push({ 'rule-type': 'selekt' } as never);
  const e = ferryError(() => parseTask(t, { env: {} }));
  assert.ok(e instanceof ConfigError);
  assert.equal(e.problems.length, 50);
  assert.equal(e.moreProblems, 199_950);
  const lines = e.message.split('\n');
  assert.equal(lines.length, 52);
  assert.equal(lines[0], 'task: 200000 problems:');
  assert.equal(lines[1], '  - tableMappings.rules[1].rule-type: expected one of selection, transformation, table-settings, object-mapping, found "selekt"');
  assert.equal(lines[50], '  - tableMappings.rules[50].rule-type: expected one of selection, transformation, table-settings, object-mapping, found "selekt"');
  assert.equal(lines[51], '  - and 199950 more problems');
  assert.deepEqual(e.details, { file: 'task', problems: e.problems, moreProblems: 199_950 });
});

test('a file with many YAML syntax errors lists the first 50, then how many more', () => {
  const file = join(dir, 'syntax.yaml');
  writeFileSync(file, `a: 1\n${']\n'.repeat(120)}`);
  const e = ferryError(() => loadTaskFile(file));
  assert.equal(e.code, 'FERRY_CONFIG_PARSE');
  const lines = e.message.split('\n');
  assert.equal(lines.length, 52);
  assert.equal(lines[0], `${file} is not valid YAML/JSON:`);
  assert.equal(lines[1], '  - line 2, column 1: Unexpected flow-seq-end token in YAML stream: "]"');
  assert.equal(lines[51], '  - and 70 more errors');
});

test('ferry validate /dev/zero stops at the limit: one coded line, exit 2', () => {
  const root = join(import.meta.dirname, '..', '..', '..', '..');
  // Under a 3 GB address-space limit, so that a reader without a limit fails fast instead of taking the machine's memory.
  const r = spawnSync('bash', ['-c', 'ulimit -v 3000000; exec "$0" "$1" validate /dev/zero', process.execPath, join(root, 'bin', 'ferry.js')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.equal(r.stdout + r.stderr, 'error FERRY_CONFIG_TOO_LARGE: /dev/zero is larger than 1 MiB, the limit for a task file\n');
});
