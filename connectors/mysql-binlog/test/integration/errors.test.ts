import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { FerryError } from '../../../../core/src/errors.ts';
import type { Position, StoredOffset } from '../../../../core/src/types.ts';
import { collect, createDatabase, events, memoryLog, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_err'));
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
});

after(async () => { await drop(); });

const offset = (position: string): StoredOffset => ({ position: position as Position, snapshotDone: true, formatVersion: 1 });

function isResnapshot(e: unknown): boolean {
  assert.ok(e instanceof FerryError, String(e));
  assert.equal(e.code, 'FERRY_SOURCE_ERROR');
  assert.equal(e.disposition, 'resnapshot');
  assert.match(e.message, /no longer on the server/);
  assert.match(e.message, /full-load-and-cdc/);
  return true;
}

test('a binlog file that is gone (purged) is a resnapshot error that says how to recover', async () => {
  const opts = await sourceOptions(db, { migrationType: 'cdc', log: memoryLog() });
  await assert.rejects(collect(opts, offset('mysql:0000999999:000000000004:mariadb-bin'), () => false, 15000), isResnapshot);
});

test('a GTID position the server does not have is a resnapshot error too', async () => {
  const opts = await sourceOptions(db, { migrationType: 'cdc', log: memoryLog() });
  await assert.rejects(collect(opts, offset('mysql:0000000001:000000000004:mariadb-bin:0-1-999999999'), () => false, 15000), isResnapshot);
});

test('a dropped binlog connection reconnects from the last transaction boundary without losing changes', async () => {
  const log = memoryLog();
  const opts = await sourceOptions(db, { migrationType: 'cdc', log });
  let step = 0;
  let work: Promise<void> = Promise.resolve();
  const { batches } = await collect(opts, null, (b) => {
    const ids = events(b).map((e) => e.after?.id);
    if (step === 0) { step = 1; work = conn.query('INSERT INTO t VALUES (1)').then(() => undefined); }
    if (step === 1 && ids.includes(1)) {
      step = 2;
      work = (async () => {
        const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'cdc'");
        for (const r of rows) await conn.query(`KILL ${r.ID}`).catch(() => undefined);
        await conn.query('INSERT INTO t VALUES (2), (3)');
      })();
    }
    return ids.includes(3);
  }, 30000);
  await work;
  const ids = events(batches).map((e) => e.after?.id);
  assert.deepEqual(ids.filter((i) => i !== undefined).sort(), [1, 2, 3]);
  assert.ok(log.lines.some((l) => l.level === 'warn' && /reconnecting/.test(l.msg ?? '')), 'the reconnect is logged');
});
