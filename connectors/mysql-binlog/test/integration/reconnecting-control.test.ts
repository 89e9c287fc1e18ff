// The stream's control connection reopens itself when the server drops it (reconnecting-control.ts), against MariaDB:
// KILL CONNECTION from another session, then the next query runs on a new connection with the session settings again;
// an error of the query itself is passed on untouched, and destroy() closes the connection in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { STREAM_CONTROL_SESSION, reconnectingControl } from '../../src/reconnecting-control.ts';
import { admin, memoryLog } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = async (c: mysql.Connection) => Number(((await c.query('SELECT CONNECTION_ID() AS id'))[0] as { id: number }[])[0]!.id);

test('the control connection: KILLed by the server, the next query runs on a new one with the stream session settings; query errors pass through', async () => {
  const killer = await admin();
  const opened: mysql.Connection[] = [];
  const open = async () => { const c = await admin(); opened.push(c); return c; };
  const log = memoryLog();
  const first = await open();
  const control = reconnectingControl({ first, open, session: [STREAM_CONTROL_SESSION], log });
  try {
    await control.query(STREAM_CONTROL_SESSION);
    const before = await idOf(control);
    await killer.query(`KILL CONNECTION ${before}`);
    await sleep(100);
    const after = await idOf(control);
    assert.notEqual(after, before, 'a new connection');
    assert.equal(opened.length, 2);
    const [w] = await control.query('SELECT @@session.wait_timeout AS w');
    assert.equal(Number((w as { w: number }[])[0]!.w), 31536000, 'the session setting applied again');
    assert.ok(log.lines.some((l) => l.level === 'warn' && /control connection to the source was lost/.test(l.msg ?? '')), 'a warning says so');

    // Two queries racing on a dropped connection open one new connection between them.
    await killer.query(`KILL CONNECTION ${after}`);
    await sleep(100);
    const [a, b] = await Promise.all([idOf(control), idOf(control)]);
    assert.equal(a, b);
    assert.equal(opened.length, 3);

    // The query's own errors are not connection losses: passed on, no reconnect.
    await assert.rejects(control.query('SELEC 1'), (e: unknown) => (e as { code?: string }).code === 'ER_PARSE_ERROR');
    await assert.rejects(control.query('SELECT * FROM no_such_db.no_such_table'), (e: unknown) => (e as { code?: string }).code === 'ER_NO_SUCH_TABLE' || (e as { code?: string }).code === 'ER_BAD_DB_ERROR');
    assert.equal(opened.length, 3);
    assert.equal(await idOf(control), a);
  } finally {
    control.destroy();
    await killer.end();
  }
  // destroy() reached the connection in use (and the wrapper does not reopen after it)
  await assert.rejects(control.query('SELECT 1'));
  assert.equal(opened.length, 3);
});
