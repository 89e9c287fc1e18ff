// bench/compare-versions.sh's command line: usage, and the errors it gives before it runs anything. No services.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const script = join(import.meta.dirname, '..', '..', 'bench', 'compare-versions.sh');
const run = (...args: string[]) => spawnSync('bash', [script, ...args], { encoding: 'utf8' });

test('--help prints the usage and exits 0', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: bench\/compare-versions\.sh \(--base DIR \| --base-rev REV\)/);
  assert.match(r.stdout, /--pairs N/);
});

test('usage errors exit 2 with a message naming the problem, before anything runs', () => {
  const cases: [string[], RegExp][] = [
    [[], /give --base DIR or --base-rev REV/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--base', '/tmp', '--pairs', 'x'], /--pairs must be a positive integer, got 'x'/],
    [['--base', mkdtempSync(join(tmpdir(), 'ferry-cmp-'))], /is not a Ferry checkout with its dependencies installed/],
    [['--base-rev', 'no-such-revision-anywhere'], /'no-such-revision-anywhere' is not a commit of this repository/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `exit status for ${args.join(' ') || '(no options)'}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '', 'nothing run');
  }
});
