/**
 * What one adaptive-batching cycle's parts cost in CPU (issue 24: CPU per change at 1k tx/s with the 20 ms budget),
 * each measured alone as process CPU time (user + system) per operation, so that the box's load moves it little:
 *
 * - `timer wake-up`: an empty setTimeout(2 ms) callback, i.e. one sleep and one wake-up of the event loop;
 * - `loopback round trip`: after such a wake-up, 300 bytes written to a local TCP peer and its 5 KB answer read (one
 *   source read or one Kafka request's shape);
 * - `producer.send 20 records`: Ferry's RecordProducer (kafka-producer.ts) sending 20 records of 250 bytes to the local
 *   broker and awaiting acks=all, back to back (one W5 batch at 1k tx/s);
 * - `offset commit`: SqliteOffsetStore.commit (WAL, synchronous=FULL), 1 ms apart;
 * - `binlog dispatch per transaction`: TABLE_MAP + WRITE_ROWS + XID of a 4-column table through EventDispatcher
 *   (test fixture bytes), warm, and `addGtid per transaction` (a MariaDB GTID state of one domain), warm.
 *
 * `scripts/node bench/cycle-costs.ts [--no-kafka]` (the broker at FERRY_KAFKA_BROKERS or 127.0.0.1:9092).
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProducer } from '../runtime/src/kafka/kafka-producer.ts';
import { createAdmin } from '../runtime/src/kafka/kafka-admin.ts';
import { SqliteOffsetStore } from '../runtime/src/offsets/SqliteOffsetStore.ts';
import { EventDispatcher } from '../connectors/mysql-binlog/src/binlog-dispatch.ts';
import { RowCodec } from '../connectors/mysql-binlog/src/row-codec.ts';
import { EventType } from '../connectors/mysql-binlog/src/binlog/binlog-events.ts';
import { addGtid } from '../connectors/mysql-binlog/src/binlog/gtid.ts';
import { event, formatDescription, int32, packedInt, packet, rotate, rowsHeader, tableMapBody, xidBody } from '../connectors/mysql-binlog/test/unit/mysql8-fixtures.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU µs per call of `op` (after `warm` calls), `n` calls. */
async function cpuPer(n: number, op: () => unknown, warm = Math.min(200, n)): Promise<number> {
  for (let i = 0; i < warm; i++) await op();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await op();
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / n;
}

const results: Array<[string, number]> = [];
const record = (what: string, us: number) => { results.push([what, us]); console.log(`${what.padEnd(36)} ${us.toFixed(2).padStart(8)} µs CPU`); };

record('timer wake-up (2 ms sleep)', await cpuPer(3000, () => sleep(2)));

{
  const peer = net.createServer((s) => s.on('data', () => s.write(Buffer.alloc(5000, 1))));
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const sock = net.connect((peer.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const req = Buffer.alloc(300, 2);
  // The peer runs in this process too: its read and write are in the figure (two reads, two writes per round trip).
  const trip = () => new Promise<void>((r) => { sock.once('data', () => r()); sock.write(req); });
  const total = await cpuPer(3000, async () => { await sleep(2); await trip(); });
  const wake = results[0]![1];
  record('loopback round trip (both ends)', total - wake);
  sock.destroy();
  peer.close();
}

if (!process.argv.includes('--no-kafka')) {
  const brokers = (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = `bench_cycle_costs_${process.pid}_${Date.now()}`;
  const admin = createAdmin({ brokers, clientId: 'bench-cycle-costs' });
  await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: {} }]);
  const producer = createProducer({ brokers, clientId: 'bench-cycle-costs' });
  const records = Array.from({ length: 20 }, (_, i) => ({ topic, key: Buffer.from(`key-${i}`), value: Buffer.alloc(250, i) }));
  record('producer.send 20 records (acks=all)', await cpuPer(3000, () => producer.send(records), 300));
  await producer.close();
  await admin.close();
}

{
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cycle-costs-'));
  const store = new SqliteOffsetStore({ path: join(dir, 'offsets.db') });
  const offset = { position: 'mysql-bin.000001:000000012345:0-1-12345' as never, snapshotDone: true, formatVersion: 1 as const };
  const withCommit = await cpuPer(1000, async () => { await store.commit('t', offset); await sleep(1); }, 20);
  const alone = await cpuPer(1000, () => sleep(1), 20);
  record('offset commit (sqlite, FULL sync)', withCommit - alone);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

{
  const codec = new RowCodec({
    schema: 'shop', table: 'items', primaryKey: ['id'], charset: 'utf8mb4',
    columns: [
      { name: 'id', columnType: 'int', nullable: false, charset: null }, { name: 'name', columnType: 'varchar(20)', nullable: true, charset: 'utf8mb4' },
      { name: 'doc', columnType: 'json', nullable: true, charset: null }, { name: 'extra', columnType: 'json', nullable: true, charset: null },
    ],
  }, 1);
  const cols = [{ type: 3, meta: Buffer.alloc(0) }, { type: 15, meta: Buffer.from([80, 0]) }, { type: 245, meta: Buffer.from([4]) }, { type: 245, meta: Buffer.from([4]) }];
  let events = 0;
  const d = new EventDispatcher({
    handler: { captured: () => true, codecFor: () => codec, onEvent: () => { events++; }, onError: (e) => { throw e; } },
    block: () => { throw new Error('nothing blocks here'); }, file: 'binlog.000001', pos: 4, checksum: true,
  });
  let pos = 127;
  const pk = (type: number, body: Buffer) => { pos += 19 + body.length + 4; return packet(event(type, body, { nextPos: pos, checksum: true })); };
  d.packet(packet(rotate('binlog.000001')));
  d.packet(packet(formatDescription()));
  const txs = Array.from({ length: 2000 }, (_, i) => [
    pk(EventType.TABLE_MAP, tableMapBody(91, 'shop', 'items', cols)),
    pk(EventType.WRITE_ROWS_V2, Buffer.concat([rowsHeader(91), packedInt(4), Buffer.from([0x0f]), Buffer.from([0b1110]), int32(i)])),
    pk(EventType.XID, xidBody(i)),
  ]);
  let k = 0;
  record('binlog dispatch per transaction', await cpuPer(200000, () => { for (const p of txs[k++ % txs.length]!) d.packet(p); }, 20000));
  if (events === 0) throw new Error('no events dispatched');
  let state = '0-1-1';
  let seq = 2;
  record('addGtid per transaction', await cpuPer(200000, () => { state = addGtid(state, `0-1-${seq++}`, true)!; }, 20000));
}
