/** docs/from-dms.md lists every DMS setting of the declared mapping table with the Ferry setting it maps to, and nothing else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DMS_SETTING_RULES } from '../../../src/task-file/dms-task-settings.ts';

test('docs/from-dms.md: its settings table is the declared mapping table', () => {
  const doc = readFileSync(new URL('../../../../docs/from-dms.md', import.meta.url), 'utf8');
  const start = doc.indexOf('| DMS setting | Ferry setting');
  assert.ok(start >= 0, 'the settings table is missing');
  const table = doc.slice(start).split('\n\n')[0]!.split('\n').slice(2);
  const expected = DMS_SETTING_RULES.map((r) => `| \`${r.path}\` | ${r.ferry === '—' ? '—' : r.ferry.split(', ').map((x) => `\`${x}\``).join(', ')} |`);
  assert.deepEqual(table, expected);
});
