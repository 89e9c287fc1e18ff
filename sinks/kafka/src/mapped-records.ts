/**
 * Records of a table that a DMS object-mapping rule shapes (runtime/src/mapping/object-mapping-apply.ts): instead of
 * the forwarded Avro change event, a JSON value in DMS's Kafka message layout — `data` (the mapped record) and
 * `metadata` — keyed by the rule's partition key. docs/sinks/kafka.md § Object mapping.
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { mappedKeyText, SOURCE_TABLE_FIELDS, transactionIdOf, type TableObjectMapping } from '../../../runtime/src/mapping/object-mapping-apply.ts';

/** DMS operation names (as Ferry's Kinesis records); snapshot reads are DMS's full-load "load". */
const OPERATION = { r: 'load', c: 'insert', u: 'update', d: 'delete', t: 'truncate-table' } as const;

/** The source-block fields the mapped records read (commit time, transaction, the source table for the rule). */
export const MAPPED_SOURCE_FIELDS = ['ts_ms', 'gtid', 'txId', 'file', 'pos', 'lsn', ...SOURCE_TABLE_FIELDS];

function isoMicros(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

const replacer = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** The Kafka key (the partition key's UTF-8 text) and value (DMS JSON) of a mapped change. */
export function mappedRecord(r: SinkRecord, m: TableObjectMapping): { key: Buffer; value: Buffer } {
  const env = r.envelope;
  const row = env.op === 'd' ? env.before : env.after;
  const attrs = row === null ? null : m.apply(row);
  const ts = typeof env.source.ts_ms === 'number' ? env.source.ts_ms : env.ts_ms ?? r.timestampMs;
  const doc = {
    data: attrs === null ? {} : m.toJson(attrs, true),
    metadata: {
      timestamp: isoMicros(Number(ts)),
      'record-type': env.op === 't' ? 'control' : 'data',
      operation: OPERATION[env.op],
      'partition-key-type': m.partitionKey.type,
      'schema-name': r.table.schema,
      'table-name': m.rule.targetTableName ?? r.table.table,
      'transaction-id': transactionIdOf(r),
    },
  };
  return { key: Buffer.from(mappedKeyText(r, m, attrs), 'utf8'), value: Buffer.from(JSON.stringify(doc, replacer), 'utf8') };
}
