/**
 * Generated (VIRTUAL and STORED) and INVISIBLE columns in row images, against the real MariaDB: the binlog's
 * TABLE_MAP lists every column, in ordinal order, and Ferry's catalog reader must list the same ones so that values
 * land in the right columns (the MySQL 8 side of this is covered by fixtures in test/unit/binlog-mysql8.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { collect, createDatabase, events, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_mysql8gen'));
  await conn.query(`CREATE TABLE g (
    id INT PRIMARY KEY,
    a INT NOT NULL,
    v INT AS (a * 2) VIRTUAL,
    hidden VARCHAR(10) INVISIBLE DEFAULT 'h',
    s VARCHAR(20) AS (CONCAT('s', a)) STORED,
    b VARCHAR(10))`);
});

after(async () => { await drop(); });

test('cdc: virtual, stored and invisible columns keep their values and places in inserts, updates and deletes', async () => {
  const opts = await sourceOptions(db, { migrationType: 'cdc' });
  let started: Promise<void> | null = null;
  const { batches } = await collect(opts, null, (b) => {
    started ??= (async () => {
      await conn.query("INSERT INTO g (id, a, hidden, b) VALUES (1, 5, 'x', 'one')");
      await conn.query('INSERT INTO g (id, a, b) VALUES (2, 7, NULL)');
      await conn.query("UPDATE g SET a = 6, hidden = 'y' WHERE id = 1");
      await conn.query('DELETE FROM g WHERE id = 2');
      await conn.query("INSERT INTO g (id, a, b) VALUES (3, 0, 'last')");
    })();
    return events(b).some((e) => e.after?.b === 'last');
  }, 30000);
  await started;
  const evs = events(batches).filter((e) => e.table.id.table === 'g');
  assert.deepEqual(evs.map((e) => e.op), ['c', 'c', 'u', 'd', 'c']);
  assert.deepEqual(evs[0]!.table.columns.map((c) => c.name), ['id', 'a', 'v', 'hidden', 's', 'b']);
  assert.deepEqual(evs[0]!.after, { id: 1, a: 5, v: 10, hidden: 'x', s: 's5', b: 'one' });
  assert.deepEqual(evs[1]!.after, { id: 2, a: 7, v: 14, hidden: 'h', s: 's7', b: null });
  assert.deepEqual(evs[2]!.before, { id: 1, a: 5, v: 10, hidden: 'x', s: 's5', b: 'one' });
  assert.deepEqual(evs[2]!.after, { id: 1, a: 6, v: 12, hidden: 'y', s: 's6', b: 'one' });
  assert.deepEqual(evs[3]!.before, { id: 2, a: 7, v: 14, hidden: 'h', s: 's7', b: null });
  assert.deepEqual(evs[4]!.after, { id: 3, a: 0, v: 0, hidden: 'h', s: 's0', b: 'last' });
});
