/**
 * The sink benchmarks' workload (bench/sink-parquet.ts, bench/sink-scale-out.ts): change events of a 10-column
 * `bench.orders` table (bigint, int, decimal(12,2), 2 varchar, int, double, 2 datetime(6), tinyint; ~230 B a row),
 * produced with Ferry's Kafka sink (Avro through the registry, lz4) into `<prefix>.bench.orders`. Row j has id j,
 * qty j % 17, and is an insert (70%) or an update (30%) of its own id, so every id appears once.
 */
import { binlogPosition } from '../../core/src/position.ts';
import type { ChangeEvent, TableSchema } from '../../core/src/types.ts';
import { decimalToBytes } from '../../schemas/src/decimal.ts';
import { produceEvents } from '../../test/helpers/sink-kit/services.ts';

const DEC = 'org.apache.kafka.connect.data.Decimal';

export const ORDERS: TableSchema = { id: { schema: 'bench', table: 'orders' }, version: 1, primaryKey: ['id'], columns: [
  { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
  { name: 'customer_id', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'amount', type: { type: 'bytes', logical: DEC, params: { scale: '2', 'connect.decimal.precision': '12' } }, nullable: false, sourceType: 'decimal(12,2)' },
  { name: 'status', type: { type: 'string' }, nullable: false, sourceType: 'varchar(16)' },
  { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'varchar(120)' },
  { name: 'qty', type: { type: 'int32' }, nullable: false, sourceType: 'int' },
  { name: 'price', type: { type: 'float64' }, nullable: false, sourceType: 'double' },
  { name: 'created_at', type: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, nullable: false, sourceType: 'datetime(6)' },
  { name: 'updated_at', type: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp' }, nullable: false, sourceType: 'datetime(6)' },
  { name: 'flag', type: { type: 'int16' }, nullable: false, sourceType: 'tinyint' },
] };
const STATUSES = ['new', 'paid', 'shipped', 'cancelled'];

/** Produces `rows` change events (ids 0 … rows-1) into `<prefix>.bench.orders` with `partitions` partitions. */
export async function fillOrders(prefix: string, rows: number, partitions: number): Promise<void> {
  const t0 = Date.now();
  const chunk = 20000;
  for (let i = 0; i < rows; i += chunk) {
    const evs: ChangeEvent[] = [];
    const ts = Date.now();
    for (let j = i; j < Math.min(rows, i + chunk); j++) {
      const row = {
        id: j, customer_id: j % 10007, amount: decimalToBytes(((j % 100000) / 100).toFixed(2), 2), status: STATUSES[j % 4],
        note: `note for order ${j} with some padding text to reach a realistic row width`, qty: j % 17, price: j / 7,
        created_at: 1704067200000000 + j * 1000000, updated_at: 1704067200000000 + j, flag: j % 2,
      };
      evs.push({ op: j % 10 < 7 ? 'c' : 'u', key: { id: j }, before: null, after: row, tsMs: ts, table: ORDERS,
        source: { connector: 'mariadb', name: prefix, tsMs: ts, snapshot: 'false', db: 'bench', table: 'orders', position: binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + j }) } });
    }
    await produceEvents(evs, { prefix, partitions, chunk: 5000 });
  }
  console.error(`filled ${rows} events into ${prefix}.bench.orders (${partitions} partitions) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
