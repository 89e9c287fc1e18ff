import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type mysql from 'mysql2/promise';
import { collect, createDatabase, events, mariaPort, memoryLog, sourceOptions } from './helpers.ts';

/**
 * A loopback TCP proxy to MariaDB that can freeze its open connections: nothing reaches the client any more and
 * nothing is closed, as when a network path dies silently (no FIN, no RST); what the server sends is dropped
 * (its writes do not block, as on a lossy path). Connections opened later flow normally.
 */
async function freezableProxy(target: number) {
  const pairs: Array<[net.Socket, net.Socket]> = [];
  const server = net.createServer((client) => {
    const up = net.connect(target, '127.0.0.1');
    client.pipe(up);
    up.pipe(client);
    const end = () => { client.destroy(); up.destroy(); };
    client.on('error', end);
    up.on('error', end);
    pairs.push([client, up]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const [client, up] of pairs) {
        client.unpipe(up);
        up.unpipe(client);
        client.pause();
        up.on('data', () => undefined); // dropped
      }
    },
    close() {
      for (const [client, up] of pairs) { client.destroy(); up.destroy(); }
      server.close();
    },
  };
}

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_hb'));
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
});

after(async () => { await drop(); });

/** Waits until `ok()`, failing after `ms` (so that a lost row fails the test instead of hanging it). */
async function until(what: string, ok: () => boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

test('heartbeats keep an idle binlog connection alive; a connection that goes silent is declared dead', async () => {
  const proxy = await freezableProxy(await mariaPort());
  const log = memoryLog();
  const base = await sourceOptions(db, { migrationType: 'cdc', log, binlogHeartbeatMs: 200 });
  const opts = { ...base, config: { ...base.config, port: proxy.port } };
  const lost = () => log.lines.filter((l) => l.level === 'warn' && /reconnecting/.test(l.msg ?? ''));
  let step: Promise<void> | null = null;
  let frozen = false;
  try {
    const { batches } = await collect(opts, null, (b) => {
      step ??= (async () => {
        await conn.query('INSERT INTO t VALUES (1)');
        await sleep(1500); // idle for 7 heartbeat periods: the server's heartbeats must keep the connection
        assert.deepEqual(lost(), [], 'no reconnect while the server sends heartbeats');
        await conn.query('INSERT INTO t VALUES (2)'); // and the connection still delivers
        await until('row 2 delivered', () => events(b).some((e) => e.after?.id === 2));
        proxy.freeze();
        frozen = true;
      })();
      // done once the silent connection was declared dead (the reconnect itself is the recovery tests' subject:
      // through this proxy the server keeps the frozen dump thread of the same server id for a while)
      return frozen && lost().length > 0;
    }, 6000); // no batch follows the freeze, so the run ends at this timeout: long enough for three silent periods

    await step;
    assert.deepEqual(events(batches).map((e) => [e.op, e.after?.id]), [['c', 1], ['c', 2]]);
    assert.ok(lost().length >= 1, 'the silent connection was declared dead');
    assert.match(JSON.stringify(lost()[0]!.obj), /no data and no heartbeat from the server for 1 s/);
  } finally {
    proxy.close();
  }
});

test('a process that did not run for longer than the dead-connection limit does not declare a healthy connection dead', async () => {
  const log = memoryLog();
  const opts = await sourceOptions(db, { migrationType: 'cdc', log, binlogHeartbeatMs: 200 }); // dead after 600 ms
  const lost = () => log.lines.filter((l) => l.level === 'warn' && /reconnecting/.test(l.msg ?? ''));
  let step: Promise<void> | null = null;
  const { batches } = await collect(opts, null, (b) => {
    step ??= (async () => {
      await conn.query('INSERT INTO t VALUES (11)');
      await until('row 11 delivered', () => events(b).some((e) => e.after?.id === 11));
      // The event loop blocked for 1 s (as in a long GC pause or on a starved CPU): the server's heartbeats of that
      // second wait unread in the socket, and the watchdog's timer runs before the loop reads them.
      const stalledUntil = Date.now() + 1000;
      while (Date.now() < stalledUntil) { /* busy */ }
      await sleep(700); // more than the limit again, with the loop running: heartbeats keep it alive
      await conn.query('INSERT INTO t VALUES (12)');
    })();
    return events(b).some((e) => e.after?.id === 12);
  }, 30000);
  await step;
  assert.deepEqual(events(batches).filter((e) => [11, 12].includes(e.after?.id as number)).map((e) => [e.op, e.after?.id]), [['c', 11], ['c', 12]]);
  assert.deepEqual(lost().map((l) => JSON.stringify(l.obj)), [], 'no reconnect: the connection was healthy, the process was stalled');
});
