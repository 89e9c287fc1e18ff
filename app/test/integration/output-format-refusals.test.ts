// settings.format / settings.flatten through the CLI (docs/formats.md): `ferry run` without a kafka block, `ferry sink`
// with a target that decodes the envelope, and `ferry validate` (check output.format) refuse, naming the setting;
// `ferry validate` accepts a kafka target, which forwards the records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { services } from '../../../test/helpers/services.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-format-refusals-'));

function ferry(cmd: string, doc: Record<string, unknown>): { status: number | null; out: Record<string, unknown> } {
  const file = join(dir, `${String(doc.name)}-${cmd}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), cmd, file, '--json'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, FERRY_LOG_LEVEL: 'fatal' } });
  return { status: r.status, out: JSON.parse(r.stdout) as Record<string, unknown> };
}

const doc = (name: string, o: { kafka: boolean; settings: Record<string, unknown>; targets: Record<string, unknown>[] }) => ({
  name, migrationType: 'cdc',
  source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc', serverId: 4242 },
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'formats_refusal_none', 'table-name': '%' } }] },
  ...(o.kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name } } : {}),
  settings: { metrics: { enabled: false }, stateDir: join(dir, name), ...o.settings },
  targets: o.targets,
});
const pgTarget = { type: 'postgres', name: 'wh', host: '127.0.0.1', port: 5432, user: 'postgres', password: 'postgres', database: 'shop' };

test('ferry run without a kafka block refuses settings.format', { timeout: 60000 }, () => {
  const r = ferry('run', doc('formats_refusal_run', { kafka: false, settings: { format: 'json' }, targets: [pgTarget] }));
  assert.equal(r.status, 2, "exit 2: a configuration error");
  const error = r.out.error as { code: string; message: string };
  assert.equal(error.code, 'FERRY_CONFIG_INVALID');
  assert.match(error.message, /settings\.format is json, but the task has no kafka block/);
});

test('ferry sink refuses a decoding target when settings.flatten is on', { timeout: 60000 }, () => {
  const r = ferry('sink', doc('formats_refusal_sink', { kafka: true, settings: { flatten: { enabled: true } }, targets: [pgTarget] }));
  assert.equal(r.status, 2, "exit 2: a configuration error");
  const error = r.out.error as { code: string; message: string };
  assert.equal(error.code, 'FERRY_CONFIG_INVALID');
  assert.match(error.message, /settings\.flatten is on: .* decode for target wh \(/);
});

test('ferry validate: output.format fails for a decoding target, passes for a kafka target', { timeout: 120000 }, () => {
  const checkOf = (out: Record<string, unknown>) => (out.checks as { check: string; status: string; message: string }[]).find((c) => c.check === 'output.format');
  const bad = checkOf(ferry('validate', doc('formats_refusal_val1', { kafka: true, settings: { format: 'protobuf' }, targets: [pgTarget] })).out);
  assert.equal(bad?.status, 'fail');
  assert.match(bad!.message, /settings\.format is protobuf/);
  const good = checkOf(ferry('validate', doc('formats_refusal_val2', { kafka: true, settings: { format: 'protobuf' }, targets: [{ type: 'kafka', name: 'mirror', brokers: services.brokers }] })).out);
  assert.equal(good?.status, 'ok', JSON.stringify(good));
});
