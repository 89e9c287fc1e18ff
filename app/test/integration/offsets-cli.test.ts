// `ferry offsets show|reset` against both offset stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTaskFile } from '../../src/task-file/load-task.ts';
import { openOffsetStore } from '../../../runtime/src/offsets/open-offset-store.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ferry = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { encoding: 'utf8', timeout: 60000 });

for (const store of ['sqlite', 'kafka'] as const) {
  test(`offsets show and reset (${store})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-offsets-'));
    const name = uniqueName('offs');
    const file = join(dir, 'task.json');
    writeFileSync(file, JSON.stringify({
      name, source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 's', 'table-name': '%' } }] },
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl },
      settings: { offsetStore: store, stateDir: join(dir, 'state'), offsetsTopic: `ferry-it-offsets-${name}` },
    }));
    assert.equal(ferry('offsets', 'show', file).stdout.trim().endsWith('no committed offset in ' + (store === 'sqlite' ? `SQLite ${join(dir, 'state', 'offsets.db')} (the next run starts fresh)` : `Kafka topic ferry-it-offsets-${name} at ${services.brokers[0]} (the next run starts fresh)`)), true);
    const s = openOffsetStore(loadTaskFile(file));
    await s.commit(name, { position: binlogPosition({ file: 'mariadb-bin.000003', pos: 1234, gtid: '0-1-7' }), snapshotDone: true, formatVersion: 1 });
    await s.close();
    const shown = ferry('offsets', 'show', file, '--json');
    assert.equal(shown.status, 0);
    assert.deepEqual((JSON.parse(shown.stdout) as { offset: unknown }).offset, { position: 'mysql:0000000003:000000001234:mariadb-bin:0-1-7', snapshotDone: true, formatVersion: 1 });
    const refused = ferry('offsets', 'reset', file);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /Run again with --yes to do it\.$/m);
    const reset = ferry('offsets', 'reset', file, '--yes');
    assert.equal(reset.status, 0, reset.stderr);
    assert.equal(reset.stdout.trim(), `${name}: offset mysql:0000000003:000000001234:mariadb-bin:0-1-7 forgotten; the next run starts over`);
    const after = openOffsetStore(loadTaskFile(file));
    assert.equal(await after.read(name), null);
    await after.close();
  });
}
