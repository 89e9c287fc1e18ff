import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteOffsetStore } from '../../src/offsets/SqliteOffsetStore.ts';
import { lsnPosition } from '../../../core/src/position.ts';
import { FerryError } from '../../../core/src/errors.ts';

test('offsets survive close and reopen, per task, with state', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-off-')), 'offsets.db');
  const a = new SqliteOffsetStore({ path });
  assert.equal(await a.read('t1'), null);
  await a.commit('t1', { position: lsnPosition('0/10'), snapshotDone: false, formatVersion: 1, state: { chunk: 3 } });
  await a.commit('t1', { position: lsnPosition('0/20'), snapshotDone: true, formatVersion: 1 });
  await a.commit('t2', { position: lsnPosition('0/5'), snapshotDone: false, formatVersion: 1 });
  await a.close();
  const b = new SqliteOffsetStore({ path });
  assert.deepEqual(await b.read('t1'), { position: 'pg:0000000000000020', snapshotDone: true, formatVersion: 1 });
  assert.deepEqual(await b.read('t2'), { position: 'pg:0000000000000005', snapshotDone: false, formatVersion: 1 });
  await b.close();
});

test('a commit is durable when it returns, even if the process is killed with SIGKILL right after', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ferry-off-')), 'offsets.db');
  const script = join(tmpdir(), `ferry-off-kill-${process.pid}.ts`);
  writeFileSync(script, `
    import { SqliteOffsetStore } from ${JSON.stringify(join(import.meta.dirname, '../../src/offsets/SqliteOffsetStore.ts'))};
    const s = new SqliteOffsetStore({ path: ${JSON.stringify(path)} });
    for (let i = 1; i <= 200; i++) await s.commit('t', { position: 'pg:' + i.toString(16).toUpperCase().padStart(16, '0'), snapshotDone: false, formatVersion: 1 });
    process.kill(process.pid, 'SIGKILL');
  `);
  const r = spawnSync(process.execPath, [script]);
  assert.equal(r.signal, 'SIGKILL');
  const s = new SqliteOffsetStore({ path });
  assert.equal((await s.read('t'))?.position, 'pg:00000000000000C8');
  await s.close();
});

test('an offset written by something else is refused, not misread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-off-'));
  const s = new SqliteOffsetStore({ path: join(dir, 'o.db') });
  // write a foreign value through SQLite directly
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(join(dir, 'o.db'));
  db.prepare("INSERT INTO offsets VALUES ('t', '{\"formatVersion\":9,\"position\":\"x\"}', 'now')").run();
  db.close();
  await assert.rejects(s.read('t'), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_OFFSET_STORE' && e.message === 'sqlite offset of task t has an unknown format (formatVersion 9); this Ferry reads version 1');
  await s.close();
  writeFileSync(join(dir, 'afile'), '');
  const bad = join(dir, 'afile', 'sub', 'o.db');
  assert.throws(() => new SqliteOffsetStore({ path: bad }), (e: unknown) => e instanceof FerryError && e.message.startsWith(`cannot open the offset store ${bad}: ENOTDIR`));
});
