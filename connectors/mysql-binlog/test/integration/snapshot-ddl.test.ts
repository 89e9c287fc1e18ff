// DDL on a captured table while the locked (transactional) initial snapshot is still to read it: MariaDB refuses the
// snapshot's transaction the altered table (error 1412), and the task stops with FERRY_SOURCE_DDL_DURING_SNAPSHOT,
// naming the table and the fix, instead of a bare driver error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { FerryError } from '../../../../core/src/errors.ts';
import { createMySqlSource } from '../../src/MySqlSource.ts';
import { createDatabase, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_snapddl'));
  await conn.query('CREATE TABLE a_big (id INT PRIMARY KEY, v VARCHAR(20))');
  await conn.query('CREATE TABLE z_late (id INT PRIMARY KEY, v INT)');
  await conn.query(`INSERT INTO a_big VALUES ${Array.from({ length: 6000 }, (_, i) => `(${i}, 'v${i}')`).join(',')}`);
  await conn.query('INSERT INTO z_late VALUES (1, 1)');
});

after(async () => { await drop(); });

test('DDL on a table the locked snapshot has not read yet: FERRY_SOURCE_DDL_DURING_SNAPSHOT naming the table and the fix', async () => {
  const opts = await sourceOptions(db, { migrationType: 'full-load', settings: { snapshot: { chunkSize: 100, parallelism: 1 }, batch: { maxEvents: 100 } } });
  const source = createMySqlSource(opts);
  const ac = new AbortController();
  let altered = false;
  let rows = 0;
  const run = (async () => {
    for await (const b of source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })) {
      rows += b.events.length;
      if (!altered && rows > 0) {
        altered = true;
        await conn.query('ALTER TABLE z_late MODIFY v BIGINT'); // the snapshot's transactions began before this
      }
    }
  })();
  try {
    await assert.rejects(run, (e: unknown) => e instanceof FerryError && e.code === 'FERRY_SOURCE_DDL_DURING_SNAPSHOT' && e.disposition === 'fatal'
      && e.message.includes(`${db}.z_late`) && e.message.includes('Restart the task') && e.message.includes('Avoid DDL'));
    assert.ok(altered && rows >= 100 && rows < 6001, `the failure came while the snapshot was running (${rows} rows read)`);
  } finally {
    ac.abort();
    await source.close();
  }
});
