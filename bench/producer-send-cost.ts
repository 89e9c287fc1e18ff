/**
 * CPU per `RecordProducer.send` of one W5 batch (20 records of 250 bytes, acks=all) against the local broker, back to
 * back, as process CPU time (user + system) per send: the Kafka part of bench/cycle-costs.ts alone, repeated in
 * rounds so that before/after trees can be compared in the same minutes (issue 24).
 *
 * `scripts/node bench/producer-send-cost.ts [--rounds 5] [--sends 3000]` (the broker at FERRY_KAFKA_BROKERS or
 * 127.0.0.1:9092).
 */
import { parseArgs } from 'node:util';
import { createProducer } from '../runtime/src/kafka/kafka-producer.ts';
import { createAdmin } from '../runtime/src/kafka/kafka-admin.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, sends: { type: 'string', default: '3000' } } });
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
const sorted = [...figures].sort((a, b) => a - b);
console.log(`producer.send 20 records (acks=all): µs CPU per send, rounds ${figures.map((f) => f.toFixed(1)).join(' ')}; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)}`);
