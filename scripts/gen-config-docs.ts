// Writes docs/configuration.md and docs/errors.md from their declarations (npm run docs:config).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference, renderErrorReference } from '../app/src/task-file/config-docs.ts';

const docs = join(import.meta.dirname, '..', 'docs');
writeFileSync(join(docs, 'configuration.md'), renderConfigReference());
writeFileSync(join(docs, 'errors.md'), renderErrorReference());
console.log('wrote docs/configuration.md and docs/errors.md');
