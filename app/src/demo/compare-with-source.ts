/** Compares the latest state of a demo topic with its MariaDB table, column by column. */
import { bytesToDecimal } from '../../../schemas/src/decimal.ts';
import { adminConnection, type DemoDb } from './demo-workload.ts';
import { readTopicState } from './topic-state.ts';

export interface TableCheck {
  readonly table: string;
  readonly topic: string;
  readonly sourceRows: number;
  readonly kafkaKeys: number;
  readonly kafkaRecords: number;
  readonly ops: Record<string, number>;
  readonly match: boolean;
  readonly mismatches: string[];
  readonly sample: unknown;
}

/** Source values rendered as the Avro values should decode: decimals as exact strings, times as µs since the epoch. */
const RENDER: Record<string, Record<string, (v: unknown) => unknown>> = {
  customers: { balance: (v) => v, created_at: (v) => micros(String(v)) },
  orders: { amount: (v) => v, placed_at: (v) => `${String(v).replace(' ', 'T')}Z` },
};
const DECIMAL_SCALE: Record<string, number> = { balance: 2, amount: 2 };

export async function compareWithSource(o: { db: DemoDb; table: string; topic: string; brokers: readonly string[]; registryUrl: string }): Promise<TableCheck> {
  const state = await readTopicState({ brokers: o.brokers, registryUrl: o.registryUrl, topic: o.topic });
  const c = await adminConnection(o.db, o.db.database);
  const mismatches: string[] = [];
  let sourceRows = 0;
  try {
    const [rows] = await c.query(`SELECT * FROM \`${o.table}\` ORDER BY id`);
    for (const row of rows as Record<string, unknown>[]) {
      sourceRows++;
      const key = JSON.stringify({ id: typeof row.id === 'string' ? Number(row.id) : row.id });
      const got = state.rows.get(key);
      if (!got) { mismatches.push(`id ${String(row.id)} missing on Kafka`); continue; }
      for (const [col, value] of Object.entries(row)) {
        const want = RENDER[o.table]?.[col]?.(value) ?? (col === 'id' ? Number(value) : value);
        let have = got[col];
        if (DECIMAL_SCALE[col] !== undefined && have instanceof Uint8Array) have = bytesToDecimal(have, DECIMAL_SCALE[col]);
        if (typeof have === 'bigint') have = Number(have);
        if (String(have) !== String(want)) mismatches.push(`id ${String(row.id)} ${col}: Kafka ${String(have)} vs source ${String(want)}`);
      }
    }
  } finally {
    await c.end();
  }
  if (state.rows.size !== sourceRows) mismatches.push(`Kafka has ${state.rows.size} live keys, the table ${sourceRows} rows`);
  return { table: o.table, topic: o.topic, sourceRows, kafkaKeys: state.rows.size, kafkaRecords: state.records, ops: state.ops, match: mismatches.length === 0, mismatches, sample: readable(state.sample) };
}

/** Decimal bytes shown as their exact value, for people reading the demo's sample event. */
function readable(envelope: unknown): unknown {
  const env = envelope as { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null } | undefined;
  for (const image of [env?.before, env?.after]) {
    if (!image) continue;
    for (const [col, scale] of Object.entries(DECIMAL_SCALE)) {
      const v = image[col];
      if (v instanceof Uint8Array) image[col] = bytesToDecimal(v, scale);
    }
  }
  return envelope;
}

function micros(datetime: string): number {
  const [date, frac = '0'] = datetime.split('.');
  return Date.parse(`${date!.replace(' ', 'T')}Z`) * 1000 + Number(frac.padEnd(6, '0'));
}
