import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type { ChangeEvent } from '../../../../core/src/types.ts';
import { admin, collect, createDatabase, events, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;
const N = 20000;
const KEYLESS = 6;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_handoff'));
  await conn.query('CREATE TABLE h (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(20))');
  await conn.query('CREATE TABLE h2 (a VARCHAR(8), b INT, v INT, PRIMARY KEY (a, b))');
  await conn.query('CREATE TABLE marker (id INT PRIMARY KEY)');
  // Keyless tables are read whole, each by whichever snapshot connection takes it: under write load their positions
  // differ, so the stream must drop each table's changes from before its own reading connection's position.
  for (let t = 0; t < KEYLESS; t++) {
    await conn.query(`CREATE TABLE k${t} (v INT, s VARCHAR(20))`);
    await conn.query(`INSERT INTO k${t} VALUES ${Array.from({ length: 400 }, (_, k) => `(${k % 50}, 'init')`).join(',')}`);
  }
  for (let i = 0; i < N; i += 5000) {
    await conn.query(`INSERT INTO h VALUES ${Array.from({ length: 5000 }, (_, k) => `(${i + k}, 0, 'init')`).join(',')}`);
  }
  await conn.query(`INSERT INTO h2 VALUES ${Array.from({ length: 3000 }, (_, k) => `('k${k % 13}', ${k}, 0)`).join(',')}`);
});

after(async () => { await drop(); });

/** Random single-row and multi-row changes until stopped; some transactions touch both tables. */
async function writer(c: mysql.Connection, seed: number, stop: { done: boolean }): Promise<number> {
  let x = seed;
  const rnd = (n: number) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
  let n = 0;
  while (!stop.done) {
    const id = rnd(N + 2000);
    const op = rnd(13);
    if (op >= 10) {
      const t = `k${rnd(KEYLESS)}`;
      if (op === 10) await c.query(`INSERT INTO ${t} VALUES (?, ?)`, [rnd(50), `w${seed}-${n}`]);
      else if (op === 11) await c.query(`UPDATE ${t} SET v = v + 1, s = ? WHERE v = ? LIMIT 2`, [`u${seed}-${n}`, rnd(50)]);
      else await c.query(`DELETE FROM ${t} WHERE v = ? LIMIT 1`, [rnd(50)]);
    } else if (op < 5) await c.query('UPDATE h SET v = v + 1, s = ? WHERE id = ?', [`w${seed}-${n}`, id]);
    else if (op < 7) await c.query('INSERT INTO h VALUES (?, 1, ?) ON DUPLICATE KEY UPDATE v = v + 100', [id, `i${seed}`]);
    else if (op < 8) await c.query('DELETE FROM h WHERE id = ?', [id]);
    else if (op < 9) await c.query('UPDATE h SET id = ? WHERE id = ?', [N + 2000 + rnd(1000), id]).catch(() => undefined);
    else {
      await c.query('BEGIN');
      await c.query('UPDATE h2 SET v = v + 1 WHERE a = ? LIMIT 50', [`k${rnd(13)}`]);
      await c.query('UPDATE h SET v = v - 1 WHERE id BETWEEN ? AND ?', [id, id + 20]);
      await c.query('DELETE FROM h2 WHERE a = ? AND b = ?', [`k${rnd(13)}`, rnd(3000)]);
      await c.query('COMMIT');
    }
    n++;
  }
  return n;
}

/** A keyless table's rows as a multiset (row JSON → count), from its events. */
function applyKeyless(evs: readonly ChangeEvent[], table: string): Map<string, number> {
  const rows = new Map<string, number>();
  const add = (r: Record<string, unknown> | null, d: number) => {
    const k = JSON.stringify(r);
    const n = (rows.get(k) ?? 0) + d;
    if (n === 0) rows.delete(k); else rows.set(k, n);
  };
  for (const e of evs) {
    if (e.table.id.table !== table) continue;
    if (e.op === 'u' || e.op === 'd') add(e.before, -1);
    if (e.op !== 'd') add(e.after, 1);
  }
  return rows;
}

function apply(evs: readonly ChangeEvent[], table: string, keyOf: (r: Record<string, unknown>) => string): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  for (const e of evs) {
    if (e.table.id.table !== table) continue;
    if (e.op === 't') state.clear();
    else if (e.op === 'd') state.delete(keyOf(e.key!));
    else state.set(keyOf(e.key!), e.after!);
  }
  return state;
}

test('full-load-and-cdc under concurrent writes: snapshot + binlog replay converge to the table, losing nothing', async () => {
  const stop = { done: false };
  const conns = [await admin(db), await admin(db)];
  const writers = conns.map((c, i) => writer(c, i + 1, stop));
  await new Promise((r) => setTimeout(r, 200));
  // The snapshot transactions open 150 ms apart, so their positions differ by a few hundred transactions: chunks
  // read in the later snapshots are newer than the position streaming starts from.
  const opts = await sourceOptions(db, { migrationType: 'full-load-and-cdc', snapshotStaggerMs: 150, settings: { snapshot: { chunkSize: 700, parallelism: 3 }, batch: { maxEvents: 1000 } } });
  let finishing: Promise<void> | null = null;
  const { batches } = await collect(opts, null, (b) => {
    if (!finishing && b.some((x) => x.snapshotDone)) {
      finishing = (async () => {
        await new Promise((r) => setTimeout(r, 1500)); // keep writing while streaming
        stop.done = true;
        await Promise.all(writers);
        await conn.query('INSERT INTO marker VALUES (1)');
      })();
    }
    return events(b).some((e) => e.table.id.table === 'marker');
  }, 120000);
  await finishing;
  const written = await Promise.all(writers);
  for (const c of conns) await c.end();
  assert.ok(written.every((n) => n > 50), `writers made ${written} changes`);

  const evs = events(batches);
  const snapshotted = evs.filter((e) => e.op === 'r').length;
  assert.ok(snapshotted >= N);
  const h = apply(evs, 'h', (k) => String(k.id));
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT id, v, s FROM h');
  assert.equal(h.size, rows.length);
  for (const r of rows) assert.deepEqual(h.get(String(r.id)), { id: r.id, v: r.v, s: r.s }, `h row ${r.id}`);
  const h2 = apply(evs, 'h2', (k) => `${k.a}/${k.b}`);
  const [rows2] = await conn.query<mysql.RowDataPacket[]>('SELECT a, b, v FROM h2');
  assert.equal(h2.size, rows2.length);
  for (const r of rows2) assert.deepEqual(h2.get(`${r.a}/${r.b}`), { a: r.a, b: r.b, v: r.v });

  // Each keyless table equals the source as a multiset, and at least one was read by a later snapshot connection
  // than the one streaming starts from (else this test would not exercise the filter).
  const start = batches.find((b) => b.commitNow === true)?.checkpoint;
  const done = batches.map((b) => (b.state as { snapshot?: { tables?: Record<string, { at?: string }> } } | undefined)?.snapshot?.tables).filter((x) => x !== undefined).at(-1) ?? {};
  const readAts = Array.from({ length: KEYLESS }, (_, t) => done[`${db}.k${t}`]?.at);
  assert.ok(readAts.every((a) => a !== undefined), `every keyless table records its read position: ${JSON.stringify(readAts)}`);
  assert.ok(readAts.some((a) => a !== start), `a keyless table was read at a later position than the stream start ${start}: ${JSON.stringify(readAts)}`);
  for (let t = 0; t < KEYLESS; t++) {
    const [krows] = await conn.query<mysql.RowDataPacket[]>(`SELECT v, s FROM k${t}`);
    const expected = applyKeyless(krows.map((r) => ({ op: 'c', table: { id: { schema: db, table: `k${t}` } }, before: null, after: { v: r.v, s: r.s } }) as unknown as ChangeEvent), `k${t}`);
    assert.deepEqual(applyKeyless(evs, `k${t}`), expected, `keyless table k${t} (read at ${readAts[t]}, stream from ${start})`);
  }
});
