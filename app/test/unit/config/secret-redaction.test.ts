import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { parseTask } from '../../../src/task-file/load-task.ts';
import { FerryError } from '../../../../core/src/errors.ts';

const SECRET = 'Sup3r-Secret-Value-9f8e7d';
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

test('a secret value appears in no log line, whatever is logged', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger({ destination: sink, level: 'debug' });
  const task = parseTask({
    name: 't', source: { engine: 'mysql', host: 'h', user: 'u', password: '${env:FERRY_TEST_PW}' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 's', 'table-name': '%' } }] },
  }, { env: { FERRY_TEST_PW: SECRET } });
  log.info({ task }, 'the whole task object');
  log.info({ source: task.source }, `inspect: ${inspect(task.source)}`);
  log.warn({ pw: task.source.password.reveal() }, 'a revealed value by mistake');
  log.error({ err: new FerryError('FERRY_SOURCE_AUTH', `login failed for password ${task.source.password.reveal()}`) }, `error: ${task.source.password.reveal()}`);
  await new Promise((r) => setImmediate(r));
  const all = lines.join('');
  assert.equal(lines.length, 4);
  assert.equal(all.includes(SECRET), false, all);
  assert.equal((all.match(/\*\*\*/g) ?? []).length >= 6, true, all);
});

test('a secret value appears in no CLI output or error (validate against an unreachable source)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-secret-'));
  writeFileSync(join(dir, 'pw'), `${SECRET}\n`);
  writeFileSync(join(dir, 'task.yaml'), [
    'name: secret-test',
    'source: { engine: mariadb, host: 127.0.0.1, port: 1, user: cdc, password: "${file:pw}", connectTimeoutMs: 500 }',
    'migrationType: cdc',
    'tableMappings: { rules: [ { rule-type: selection, rule-id: "1", rule-name: a, rule-action: include, object-locator: { schema-name: "s", table-name: "%" } } ] }',
  ].join('\n'));
  for (const args of [['validate', join(dir, 'task.yaml')], ['validate', join(dir, 'task.yaml'), '--json']]) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', env: { ...process.env, FERRY_DEBUG: '1' } });
    assert.equal(r.status, 3, r.stderr);
    assert.equal((r.stdout + r.stderr).includes(SECRET), false);
    assert.match(r.stdout, /cannot connect to mariadb at 127\.0\.0\.1:1: connection refused/);
  }
});
