// Usage errors of the real `ferry` process: every bad numeric flag prints one line naming the flag and the value it
// expects (and with --json a FERRY_USAGE object on stdout) and exits 2; a command group without its command shows its
// help on stderr and exits 2; an unknown command exits 2 with a message. Nothing here needs a service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ferry = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const HINT = '(run with --help for usage)\n';

const TIMEOUT = 'an integer from 1 to 2147483647 (milliseconds)';
const PORT = 'an integer from 0 to 65535 (0: any free port)';
const ROWS = 'an integer from 1 to 1000000 (rows per table)';
const RF = 'an integer from 1 to 32767';

const cases: { args: string[]; message: string }[] = [
  { args: ['validate', 'x.yaml', '--timeout-ms', '-5'], message: `--timeout-ms expects ${TIMEOUT}, got "-5"` },
  { args: ['validate', 'x.yaml', '--timeout-ms', 'abc'], message: `--timeout-ms expects ${TIMEOUT}, got "abc"` },
  { args: ['validate', 'x.yaml', '--timeout-ms', '0'], message: `--timeout-ms expects ${TIMEOUT}, got "0"` },
  { args: ['validate', 'x.yaml', '--timeout-ms', '2147483648'], message: `--timeout-ms expects ${TIMEOUT}, got "2147483648"` },
  { args: ['plan', 'x.yaml', '--timeout-ms', '1e3'], message: `--timeout-ms expects ${TIMEOUT}, got "1e3"` },
  { args: ['plan', 'x.yaml', '--timeout-ms', '1.5'], message: `--timeout-ms expects ${TIMEOUT}, got "1.5"` },
  { args: ['plan', 'x.yaml', '--timeout-ms', ''], message: `--timeout-ms expects ${TIMEOUT}, got ""` },
  { args: ['serve', '--port', '70000'], message: `--port expects ${PORT}, got "70000"` },
  { args: ['serve', '--port', '-1'], message: `--port expects ${PORT}, got "-1"` },
  { args: ['serve', '--port', '0x50'], message: `--port expects ${PORT}, got "0x50"` },
  { args: ['serve', '--replication-factor', 'abc'], message: `--replication-factor expects ${RF}, got "abc"` },
  { args: ['serve', '--replication-factor', '0'], message: `--replication-factor expects ${RF}, got "0"` },
  { args: ['demo', '--rows', '-1'], message: `--rows expects ${ROWS}, got "-1"` },
  { args: ['demo', '--rows', '0'], message: `--rows expects ${ROWS}, got "0"` },
  { args: ['demo', '--rows', '99999999999999999999'], message: `--rows expects ${ROWS}, got "99999999999999999999"` },
  { args: ['top', 'x.yaml', '--interval', '0'], message: '--interval expects an integer from 1 to 3600 (seconds), got "0"' },
  { args: ['top', '--api', 'http://127.0.0.1:1', '--interval', 'abc'], message: '--interval expects an integer from 1 to 3600 (seconds), got "abc"' },
];

test('ferry top without a task file or --api, or with both: FERRY_USAGE, exit 2', () => {
  for (const [args, message] of [
    [[], 'ferry top needs a task file (of a task running with `ferry run`) or --api URL (a `ferry serve`)'],
    [['x.yaml', '--api', 'http://127.0.0.1:1'], 'give either a task file or --api URL, not both'],
  ] as const) {
    const r = ferry('top', ...args, '--json');
    assert.equal(r.status, 2, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ok: false, error: { code: 'FERRY_USAGE', disposition: 'fatal', message } });
  }
});

for (const c of cases) {
  test(`ferry ${c.args.join(' ')}: one line naming the flag, exit 2`, () => {
    const r = ferry(...c.args);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: ${c.message}\n${HINT}`);
    assert.equal(r.stdout, '');
  });
  test(`ferry ${c.args.join(' ')} --json: a FERRY_USAGE object on stdout, exit 2`, () => {
    const r = ferry(...c.args, '--json');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: ${c.message}\n${HINT}`);
    assert.deepEqual(JSON.parse(r.stdout), { ok: false, error: { code: 'FERRY_USAGE', disposition: 'fatal', message: c.message } });
  });
}

test('--json given before the bad flag works the same', () => {
  const r = ferry('validate', '--json', 'x.yaml', '--timeout-ms', 'abc');
  assert.equal(r.status, 2);
  assert.deepEqual(JSON.parse(r.stdout), { ok: false, error: { code: 'FERRY_USAGE', disposition: 'fatal', message: `--timeout-ms expects ${TIMEOUT}, got "abc"` } });
});

test('values in range pass the parser (the run then fails on the missing file, not on usage)', () => {
  const r = ferry('validate', join(ROOT, 'no-such-task.yaml'), '--offline', '--timeout-ms', '2147483647', '--json');
  assert.equal(r.status, 2);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'FERRY_CONFIG_NOT_FOUND');
});

for (const [group, subs] of [['offsets', 'show, reset'], ['tasks', 'list, create, show, start, stop, reload-table, add-tables, remove-tables, stats, status, delete']] as const) {
  test(`ferry ${group} without a command: its help on stderr, exit 2`, () => {
    const r = ferry(group);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(`Usage: ferry ${group} [options] [command]\n`), r.stderr);
    assert.ok(r.stderr.endsWith(`\nerror: \`ferry ${group}\` needs a command: ${subs}\n`), r.stderr);
  });
  test(`ferry ${group} nope: unknown command, exit 2`, () => {
    const r = ferry(group, 'nope');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: unknown command 'nope'\n${HINT}`);
    assert.equal(r.stdout, '');
  });
}

test('ferry without a command: help on stderr, exit 2; ferry frobnicate: exit 2', () => {
  const r = ferry();
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.startsWith('Usage: ferry [options] [command]\n'), r.stderr);
  assert.ok(r.stderr.endsWith('\nerror: `ferry` needs a command: validate, plan, convert-schema, discover, validate-data, assess, run, offsets, snapshot, cutover, top, sink, worker, demo, import-dms, lake, serve, tasks, tokens, audit\n'), r.stderr);
  const n = ferry('frobnicate', '--json');
  assert.equal(n.status, 2);
  assert.equal(n.stderr, `error: unknown command 'frobnicate'\n${HINT}`);
  assert.deepEqual(JSON.parse(n.stdout), { ok: false, error: { code: 'FERRY_USAGE', disposition: 'fatal', message: 'unknown command \'frobnicate\'' } });
});

test('--help, help and --version still exit 0 with their text on stdout', () => {
  for (const args of [['--help'], ['help'], ['offsets', '--help'], ['tasks', 'help', 'list']]) {
    const r = ferry(...args);
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /^Usage: ferry/, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
  }
  const v = ferry('--version');
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});
