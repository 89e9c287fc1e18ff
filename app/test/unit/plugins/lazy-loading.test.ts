// The registry loads descriptors only: importing it (and the task-file schema built from it) must not load any
// driver or SDK. Each plugin loads its own in create/check/describeTables, so a task loads only what it uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const DRIVERS = ['mysql2', 'pg', 'pg-copy-streams', '@duckdb/node-api', '@platformatic/kafka', '@aws-sdk/client-s3', '@aws-sdk/client-kinesis', '@aws-sdk/client-dynamodb'];

/** Runs `body` (an ES module) in a fresh Node that records every bare package it resolves; returns them. */
function packagesLoadedBy(body: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) {
      if (!specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('file:') && !specifier.startsWith('node:')) seen.add(specifier);
      return next(specifier, context);
    } });
    ${body}
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

const url = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);

test('importing the registry and the task-file schema loads no driver or SDK', () => {
  const loaded = packagesLoadedBy(`
    const { SOURCE_PLUGINS, SINK_PLUGINS } = await import(${url('app/src/plugins.ts')});
    await import(${url('app/src/task-file/task-schema.ts')});
    if (SOURCE_PLUGINS.length === 0 || SINK_PLUGINS.length === 0) throw new Error('empty registry');
  `);
  assert.deepEqual(loaded.filter((p) => DRIVERS.some((d) => p === d || p.startsWith(`${d}/`))), []);
  assert.ok(loaded.includes('zod'), 'the probe sees bare imports (zod, which the declarations use)');
});

test('creating a lake sink loads DuckDB but not the database drivers or the Kafka client', () => {
  const loaded = packagesLoadedBy(`
    const { sinkPlugin } = await import(${url('app/src/plugins.ts')});
    const sink = await sinkPlugin('parquet').create({ name: 'p', type: 'parquet', options: { location: ${JSON.stringify(join(ROOT, '.run', 'lazy-loading-probe'))} } });
    await sink.close();
  `);
  assert.ok(loaded.includes('@duckdb/node-api'), `the lake's writer was loaded (${loaded.join(', ')})`);
  for (const d of ['mysql2', 'pg', '@platformatic/kafka', '@aws-sdk/client-kinesis', '@aws-sdk/client-dynamodb']) assert.ok(!loaded.includes(d), `${d} not loaded`);
});
