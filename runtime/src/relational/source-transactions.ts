/**
 * Source transactions in a batch, for the relational sinks' transactional apply mode (each source transaction is one
 * target transaction, in commit order). Engine-neutral.
 *
 * A record's transaction:
 *   direct mode   its source position (every event of a transaction shares the commit position; snapshot reads of a
 *                 chunk share one too)
 *   Kafka mode    the source block: `txId` (PostgreSQL), else `gtid` (MySQL/MariaDB with GTIDs), else `file`+`pos`
 *                 (the binlog position of the transaction, as Ferry and Debezium write it), else the record alone
 * Consecutive records with the same transaction form one group. A transaction cut by the runtime's batch limit is
 * applied in two target transactions (the first part commits with its batch): the target never shows a state the
 * source did not have at a batch boundary only if batches end at transaction boundaries (docs/sinks/postgres.md).
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';

/** Source-block fields the transaction of a Kafka record is read from. */
export const TRANSACTION_SOURCE_FIELDS = ['txId', 'gtid', 'file', 'pos', 'snapshot'] as const;

export function transactionOf(r: SinkRecord): string {
  if (r.offset === null) return `p:${r.position ?? ''}`;
  const s = r.envelope.source;
  if (s.txId !== undefined && s.txId !== null) return `t:${String(s.txId)}`;
  if (typeof s.gtid === 'string' && s.gtid !== '') return `g:${s.gtid}`;
  if (s.file !== undefined && s.file !== null && s.pos !== undefined && s.pos !== null) return `b:${String(s.file)}:${String(s.pos)}`;
  return `o:${r.stream}:${String(r.offset)}`;
}

/** Consecutive records of one source transaction, in order. */
export function sourceTransactions(records: readonly SinkRecord[]): SinkRecord[][] {
  const out: SinkRecord[][] = [];
  let cur: SinkRecord[] = [];
  let key: string | null = null;
  for (const r of records) {
    const k = `${r.stream}\u0000${transactionOf(r)}`;
    if (k !== key && cur.length > 0) {
      out.push(cur);
      cur = [];
    }
    key = k;
    cur.push(r);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Consecutive records of one table (schema and table name), in order: the runs a transaction is applied in. */
export function tableRuns(records: readonly SinkRecord[]): SinkRecord[][] {
  const out: SinkRecord[][] = [];
  let cur: SinkRecord[] = [];
  let key: string | null = null;
  for (const r of records) {
    const k = `${r.table.schema}\u0000${r.table.table}`;
    if (k !== key && cur.length > 0) {
      out.push(cur);
      cur = [];
    }
    key = k;
    cur.push(r);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
