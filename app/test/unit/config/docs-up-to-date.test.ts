// The reference docs are generated from the declarations; this fails when someone changes an option or an error
// code without regenerating them (npm run docs:config).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference, renderErrorReference } from '../../../src/task-file/config-docs.ts';

const docs = join(import.meta.dirname, '..', '..', '..', '..', 'docs');

test('docs/configuration.md matches the task declaration', () => {
  assert.equal(readFileSync(join(docs, 'configuration.md'), 'utf8'), renderConfigReference(), 'run npm run docs:config');
});

test('docs/errors.md matches ERROR_CODES', () => {
  assert.equal(readFileSync(join(docs, 'errors.md'), 'utf8'), renderErrorReference(), 'run npm run docs:config');
});
