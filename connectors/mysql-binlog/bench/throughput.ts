/**
 * In-memory throughput of the MySQL source: snapshot rows/s and binlog events/s, batches consumed and dropped
 * (no sink, no Avro). Usage (use a throwaway server: it loads ROWS rows):
 *   FERRY_MARIADB_PORT=3407 node connectors/mysql-binlog/bench/throughput.ts [rows=500000] [txRows=1000]
 * txRows = rows per binlog transaction (1 = single-row transactions).
 */
import { createDatabase, sourceOptions } from '../test/integration/helpers.ts';
import { createMySqlSource } from '../src/MySqlSource.ts';
import type { StoredOffset } from '../../../core/src/types.ts';

const ROWS = Number(process.argv[2] ?? 500000);
const TX_ROWS = Number(process.argv[3] ?? 1000);
const { db, conn, drop } = await createDatabase('ferry_bench');
try {
  await conn.query(`CREATE TABLE t (id BIGINT PRIMARY KEY, a INT, b BIGINT, c VARCHAR(40), d DECIMAL(12,2), e DATETIME(6), f DOUBLE, g TINYINT, h VARCHAR(100), i DATE)`);
  const row = (i: number) => `(${i}, ${i % 1000}, ${i * 7}, 'name-${i}', ${i % 100000}.25, '2024-01-01 00:00:00.${String(i % 1000000).padStart(6, '0')}', ${i / 3}, ${i % 100}, 'some longer text value for row ${i}', '2024-02-29')`;
  for (let i = 0; i < ROWS; i += 5000) await conn.query(`INSERT INTO t VALUES ${Array.from({ length: Math.min(5000, ROWS - i) }, (_, k) => row(i + k)).join(',')}`);

  const opts = await sourceOptions(db, { migrationType: 'full-load', settings: { snapshot: { chunkSize: 20000, parallelism: 2 }, batch: { maxEvents: 5000 } } });
  let n = 0;
  let t0 = 0;
  let offset: StoredOffset | null = null;
  const ac = new AbortController();
  const source = createMySqlSource(opts);
  for await (const b of source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: null })) {
    if (t0 === 0) t0 = performance.now();
    n += b.events.length;
    if (b.checkpoint) offset = { position: b.checkpoint, snapshotDone: true, formatVersion: 1 };
  }
  const snapSecs = (performance.now() - t0) / 1000;
  console.log(`snapshot: ${n} rows in ${snapSecs.toFixed(2)} s = ${Math.round(n / snapSecs)} rows/s (parallelism 2, chunk 20000)`);

  // binlog: write ROWS more rows while no reader runs, then drain them (catch-up mode)
  const start = offset!;
  const base = ROWS;
  for (let i = 0; i < ROWS; i += TX_ROWS) {
    if (TX_ROWS === 1) await conn.query(`INSERT INTO t VALUES ${row(base + i)}`);
    else {
      await conn.query('BEGIN');
      for (let k = 0; k < TX_ROWS; k += 1000) await conn.query(`INSERT INTO t VALUES ${Array.from({ length: Math.min(1000, TX_ROWS - k) }, (_, j) => row(base + i + k + j)).join(',')}`);
      await conn.query('COMMIT');
    }
  }
  const s2 = createMySqlSource({ ...opts, migrationType: 'cdc' });
  let m = 0;
  let t1 = 0;
  const mem0 = process.memoryUsage().rss;
  let maxRss = mem0;
  for await (const b of s2.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom: start })) {
    if (t1 === 0) t1 = performance.now();
    m += b.events.length;
    if ((m & 0x3fff) === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    if (m >= ROWS) break;
  }
  const secs = (performance.now() - t1) / 1000;
  console.log(`binlog: ${m} events in ${secs.toFixed(2)} s = ${Math.round(m / secs)} events/s (${TX_ROWS} rows per transaction), rss ${(maxRss / 1e6).toFixed(0)} MB`);
  await s2.close();
} finally {
  await drop();
}
