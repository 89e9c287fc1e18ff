/**
 * CPU per `RecordProducer.send` of one W5 batch (20 records of 250 bytes, acks=all) against the local broker, back to
 * back, as process CPU time (user + system) per send: the Kafka part of bench/cycle-costs.ts alone, repeated in
 * rounds so that before/after trees can be compared in the same minutes (issue 24).
 *
 * `--floor` also measures the same number of bare round trips to the broker over a plain socket (an ApiVersions v0
 * request, ~20 bytes out, its answer read): the socket write, the wake-up and the read that any client pays per
 * request, so what the client adds per send is the difference.
 *
 * `scripts/node bench/producer-send-cost.ts [--rounds 5] [--sends 3000] [--floor]` (the broker at FERRY_KAFKA_BROKERS
 * or 127.0.0.1:9092).
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { createProducer } from '../runtime/src/kafka/kafka-producer.ts';
import { createAdmin } from '../runtime/src/kafka/kafka-admin.ts';

const USAGE = 'Usage: scripts/node bench/producer-send-cost.ts [--help] [--rounds 5] [--sends 3000] [--floor]\n'
  + '  CPU per producer.send of one W5 batch (20 records of 250 bytes, acks=all), per round and the median;\n'
  + '  --floor also times bare ApiVersions round trips to the broker. Broker: FERRY_KAFKA_BROKERS or 127.0.0.1:9092.\n';
let parsed;
try {
  parsed = parseArgs({ options: { rounds: { type: 'string', default: '5' }, sends: { type: 'string', default: '3000' }, floor: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
} catch (e: unknown) {
  process.stderr.write(`producer-send-cost: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
const sends = Number(values.sends);
const brokers = (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = `bench_producer_send_${process.pid}_${Date.now()}`;
const admin = createAdmin({ brokers, clientId: 'bench-producer-send' });
await admin.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: {} }]);
const producer = createProducer({ brokers, clientId: 'bench-producer-send' });
const records = Array.from({ length: 20 }, (_, i) => ({ topic, key: Buffer.from(`key-${i}`), value: Buffer.alloc(250, i) }));
for (let i = 0; i < 300; i++) await producer.send(records);
const figures: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < sends; i++) await producer.send(records);
  const u = process.cpuUsage(t0);
  figures.push((u.user + u.system) / sends);
}
await producer.close();
await admin.deleteTopics([topic]).catch(() => {});
await admin.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`producer.send 20 records (acks=all): µs CPU per send, rounds ${figures.map((f) => f.toFixed(1)).join(' ')}; median ${median(figures).toFixed(1)}`);

if (values.floor) {
  const [host, port] = brokers[0]!.split(':');
  const sock = net.connect(Number(port), host);
  await new Promise((r) => sock.once('connect', r));
  let correlationId = 0;
  const trip = () => new Promise<void>((resolve) => {
    const req = Buffer.alloc(15);
    req.writeInt32BE(11, 0); // size
    req.writeInt16BE(18, 4); // ApiVersions
    req.writeInt16BE(0, 6); // v0
    req.writeInt32BE(++correlationId, 8);
    req.writeInt16BE(1, 12); // client id "f"
    req.write('f', 14);
    let got = 0;
    let need = -1;
    const onData = (d: Buffer) => {
      got += d.length;
      if (need < 0) need = d.readInt32BE(0) + 4;
      if (got >= need) { sock.off('data', onData); resolve(); }
    };
    sock.on('data', onData);
    sock.write(req);
  });
  for (let i = 0; i < 300; i++) await trip();
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < sends; i++) await trip();
    const u = process.cpuUsage(t0);
    floor.push((u.user + u.system) / sends);
  }
  sock.destroy();
  console.log(`bare round trip to the broker (ApiVersions v0): µs CPU per trip, rounds ${floor.map((f) => f.toFixed(1)).join(' ')}; median ${median(floor).toFixed(1)}`);
}
