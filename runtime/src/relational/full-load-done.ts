/**
 * Which tables' full loads a batch shows to be over, for relational sinks that build secondary indexes after the
 * full load (`indexes: after-full-load`). The signals, in the order a source sends them:
 *
 *   source.snapshot = 'last'                      the initial snapshot's last event: every table's load is over
 *   source.snapshot = 'last_in_data_collection'   (Debezium) the last event of that table's snapshot
 *   a streamed change (op c, u, d, t)             the source streams a table only after its initial snapshot
 *
 * In Kafka mode the 'last' event is in one table's topic while rows of other topics may still be in flight: an index
 * built then is still correct (later rows update it), only the rest of that load is slower. Records that the sink
 * already applied (redelivered) count too, so a crash between the data's commit and the index build is repaired.
 *
 * Snapshot reads a sink left undecoded (lazyDecode 'snapshot-reads') are not decoded for this, except the last such
 * read of each stream in the batch (a snapshot's last event is the last read of its stream); decoded reads are read as
 * they are.
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { afterImageAt, opOf } from '../sink-worker/record-decoder.ts';

export interface FullLoadsDone {
  /** The snapshot's last event was seen: every table's full load is over. */
  readonly all: boolean;
  /** Records of tables whose full load is over (one per table: the sink maps each to its target table). */
  readonly tables: readonly SinkRecord[];
}

export function fullLoadsDone(records: readonly SinkRecord[]): FullLoadsDone {
  const lastLazy = new Map<string, SinkRecord>();
  const streamed = new Map<string, SinkRecord>();
  let all = false;
  const tables: SinkRecord[] = [];
  const marker = (r: SinkRecord) => {
    const m = r.envelope.source.snapshot;
    if (m === 'last') all = true;
    else if (m === 'last_in_data_collection') tables.push(r);
  };
  for (const r of records) {
    if (afterImageAt(r) >= 0) {
      lastLazy.set(r.stream, r);
      continue;
    }
    if (opOf(r) === 'r') {
      marker(r);
      continue;
    }
    const k = `${r.table.schema}\u0000${r.table.table}`;
    if (!streamed.has(k)) streamed.set(k, r);
  }
  for (const r of lastLazy.values()) marker(r);
  return { all, tables: [...tables, ...streamed.values()] };
}
