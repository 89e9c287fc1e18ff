/**
 * Micro-benchmark of KafkaEventSink.write()'s encoding, without a broker (a producer that drops records): the default
 * path (Avro envelope), and the settings.format / settings.flatten paths (docs/formats.md). Events of the MySQL
 * all-types fixture table. `scripts/node bench/kafka-output-encode.ts [events] [rounds]`. With BENCH_BASELINE=<module>
 * the default path of another KafkaEventSink module is measured too (e.g. the one before a change).
 */
import { KafkaEventSink } from '../runtime/src/kafka/KafkaEventSink.ts';
import { PromMetrics } from '../runtime/src/metrics/metrics.ts';
import type { ChangeEvent, SchemaRegistry } from '../core/src/types.ts';
import type { OutputFormat } from '../schemas/src/formats/event-formatter.ts';
import { MYSQL_ALL_TYPES } from '../schemas/test/unit/fixtures.ts';

const N = Number(process.argv[2] ?? 50000);
const ROUNDS = Number(process.argv[3] ?? 5);
let ids = 0;
const registry = { register: async () => ++ids, registerSchema: async () => ++ids, getById: async () => ({}), isCompatible: async () => true } as SchemaRegistry;
const producer = { send: async () => undefined, close: async () => undefined } as never;
const admin = { ensureTopics: async () => undefined, close: async () => undefined } as never;

const row = (i: number) => ({
  id: i, code: `c${i}`, tiny: 1, flag: true, qty: i * 3, big: 1234567890123, ubig: Buffer.from([0, 1, 2]), price: Buffer.from([1, 2]), ratio: 1.5, score: 2.25,
  bits: Buffer.from([1]), name: `name ${i}`, notes: 'some notes about this row', blob: Buffer.alloc(32, 7), born: 19000, alarm: 3600000000, created: 1700000000000,
  updated: 1700000000000000, seen: '2024-01-01T00:00:00Z', yr: 2024, color: 'red', tags: 'a,b', doc: '{"a":1}', shape: null, loc: null,
  area: { wkb: Buffer.alloc(21, 1), srid: 0 }, 'my-col': 'x', '2nd': 2,
});
const events: ChangeEvent[] = Array.from({ length: N }, (_, i) => ({
  op: i % 10 === 9 ? 'u' : 'c', key: null, before: i % 10 === 9 ? row(i) : null, after: row(i), tsMs: 1700000000000 + i, table: MYSQL_ALL_TYPES,
  source: { connector: 'mysql', name: 'bench', tsMs: 1700000000000, snapshot: 'false', db: 'inventory', table: 'all_types', position: `mysql:0000000001:${String(4 + i).padStart(12, "0")}:binlog` as never },
}));

type SinkCtor = new (o: ConstructorParameters<typeof KafkaEventSink>[0]) => { write(e: readonly ChangeEvent[], ctx: never): Promise<void> };

async function measure(name: string, Ctor: SinkCtor, output?: { format: OutputFormat; flatten: () => null | { deleteHandling: 'tombstone'; addFields: string[]; addFieldsPrefix: string } }): Promise<void> {
  const sink = new Ctor({ producer, admin, registry, connector: 'mysql', topicPrefix: 'bench', partitions: 1, replicationFactor: 1, tombstonesOnDelete: true, metrics: new PromMetrics({ collectProcessMetrics: false }), ...(output ? { output } : {}) });
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i += 2000) await sink.write(events.slice(i, i + 2000), { endsAtTransactionBoundary: true } as never);
    rates.push(N / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  rates.sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} median ${Math.round(rates[Math.floor(rates.length / 2)]!).toLocaleString('en')} events/s (rounds: ${rates.map((x) => Math.round(x / 1000)).join(', ')} k/s)`);
}

if (process.env.BENCH_BASELINE) {
  const base = (await import(process.env.BENCH_BASELINE)) as { KafkaEventSink: SinkCtor };
  await measure('baseline default (avro)', base.KafkaEventSink);
}
await measure('default (avro envelope)', KafkaEventSink as unknown as SinkCtor);
if (process.env.BENCH_BASELINE) {
  const base = (await import(process.env.BENCH_BASELINE)) as { KafkaEventSink: SinkCtor };
  await measure('baseline default (avro) 2', base.KafkaEventSink);
  await measure('default (avro envelope) 2', KafkaEventSink as unknown as SinkCtor);
}
if (!process.env.BENCH_DEFAULT_ONLY) {
  for (const format of ['avro', 'json', 'json-schemaless', 'json-schema', 'protobuf', 'cloudevents'] as const) {
    if (format !== 'avro') await measure(`format ${format}`, KafkaEventSink as unknown as SinkCtor, { format, flatten: () => null });
  }
  await measure('flatten (avro) +__op', KafkaEventSink as unknown as SinkCtor, { format: 'avro', flatten: () => ({ deleteHandling: 'tombstone', addFields: ['op'], addFieldsPrefix: '__' }) });
}
