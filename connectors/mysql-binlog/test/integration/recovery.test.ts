import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { HISTORY_FILE } from '../../src/schema-history.ts';
import { collect, createDatabase, events, memoryLog, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_recov'));
  await conn.query('CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(30))');
  await conn.query('CREATE TABLE r (id INT PRIMARY KEY, a INT)');
});

after(async () => { await drop(); });

test('a slow consumer pauses the binlog connection; every event still arrives once, in order', async () => {
  const opts = await sourceOptions(db, { migrationType: 'cdc', settings: { snapshot: { chunkSize: 100, parallelism: 1 }, batch: { maxEvents: 100 } } });
  let writing: Promise<void> | null = null;
  const res = await (async () => {
    const { createMySqlSource } = await import('../../src/MySqlSource.ts');
    const source = createMySqlSource(opts);
    const ac = new AbortController();
    const ids: number[] = [];
    let maxBatch = 0;
    for await (const b of source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })) {
      writing ??= (async () => {
        for (let t = 0; t < 30; t++) await conn.query(`INSERT INTO s VALUES ${Array.from({ length: 200 }, (_, i) => `(${t * 200 + i}, 'v${i}')`).join(',')}`);
      })();
      maxBatch = Math.max(maxBatch, b.events.length);
      for (const e of b.events) ids.push(e.after!.id as number);
      await new Promise((r) => setTimeout(r, 3));
      if (ids.length >= 6000) break;
    }
    await source.close();
    return { ids, maxBatch };
  })();
  await writing;
  assert.equal(res.ids.length, 6000);
  assert.ok(res.ids.every((id, i) => id === i), 'in order, no duplicates, no gaps');
  assert.ok(res.maxBatch <= 100);
});

test('rows whose column count does not match the history are decoded with information_schema, with a warning', async () => {
  const log = memoryLog();
  const opts = await sourceOptions(db, { migrationType: 'cdc', log });
  const first = await collect(opts, null, () => true);
  const file = join(opts.stateDir, HISTORY_FILE);
  // damage the history: r loses a column, as if a DDL had been misread
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; def: { columns: unknown[] } });
  for (const l of lines) if (l.key === `${db}.r`) l.def.columns = l.def.columns.slice(0, 1);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await conn.query('INSERT INTO r VALUES (1, 5)');
  const second = await collect(opts, first.offset, (b) => events(b).length > 0);
  assert.deepEqual(events(second.batches)[0]!.after, { id: 1, a: 5 });
  assert.equal(events(second.batches)[0]!.table.version, 2);
  assert.ok(log.lines.some((l) => l.level === 'warn' && /information_schema has now/.test(l.msg ?? '')));
});
