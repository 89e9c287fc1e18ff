/**
 * The JSON Schema of `ferry discover --json` (docs/discovery.schema.json), generated from the zod declaration in
 * model.ts. Regenerate with `scripts/node app/src/discover/json-schema.ts --write`; a unit test fails when the
 * file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { discoveryReportSchema } from './model.ts';

export const SCHEMA_FILE = join(import.meta.dirname, '..', '..', '..', 'docs', 'discovery.schema.json');

export function discoveryJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(discoveryReportSchema, { target: 'draft-2020-12' }), null, 2)}\n`;
}

if (process.argv.includes('--write') && import.meta.filename === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, discoveryJsonSchema());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
