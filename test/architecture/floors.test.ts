// The floor rule (docs/architecture.md) is enforced by the linter: each fixture under test/fixtures/floors is linted
// as if it stood at the path named on its first line, and must give exactly the boundary error its second line
// names (or none, for "expect: ok"). A rule that stopped firing, or fired on a legal import, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { SINK_PLUGINS, SOURCE_PLUGINS } from '../../app/src/plugins.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'floors');
const eslint = new ESLint({ cwd: ROOT });

for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.ts.txt')).sort()) {
  test(`floor rule: ${file.replace('.ts.txt', '')}`, async () => {
    const code = readFileSync(join(FIXTURES, file), 'utf8');
    const at = /^\/\/ lint as: (\S+)/m.exec(code)?.[1];
    const expect = /^\/\/ expect: (.+)$/m.exec(code)?.[1];
    assert.ok(at && expect, `${file} names where to lint it and what to expect`);
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, at) });
    const floorErrors = result!.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
    if (expect.startsWith('ok')) {
      assert.deepEqual(floorErrors, []);
      assert.deepEqual(result!.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`), []);
    } else {
      assert.equal(floorErrors.length, 1, `one boundary error, got: ${JSON.stringify(result!.messages.map((m) => m.message))}`);
      assert.match(floorErrors[0]!, new RegExp(`${expect.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    }
  });
}

test('every plugin folder exports a descriptor and is listed in the registry (app/src/plugins.ts)', async () => {
  for (const [dir, listed] of [['connectors', SOURCE_PLUGINS], ['sinks', SINK_PLUGINS]] as const) {
    const folders = readdirSync(join(ROOT, dir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const name of folders) {
      const file = join(ROOT, dir, name, 'src', 'descriptor.ts');
      assert.ok(existsSync(file), `${dir}/${name} has src/descriptor.ts`);
      const exported = Object.values(await import(file) as Record<string, unknown>);
      assert.ok(exported.some((d) => (listed as readonly unknown[]).includes(d)), `the descriptor of ${dir}/${name} is listed in app/src/plugins.ts`);
    }
    assert.equal(listed.length, folders.length, `${dir}: one registry entry per folder`);
  }
});

test('type names are unique across plugins', () => {
  const engines = SOURCE_PLUGINS.flatMap((p) => p.engines);
  const types = SINK_PLUGINS.flatMap((p) => p.types);
  assert.equal(new Set(engines).size, engines.length);
  assert.equal(new Set(types).size, types.length);
});
