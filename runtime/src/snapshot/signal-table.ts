/**
 * The source signalling channel's part in the change stream (docs/signals.md): the rows inserted into the signal
 * table (Debezium's debezium_signal layout: id, type, data) are signals, read in stream order by the incremental
 * snapshotter; and the Kafka channel's offset as the snapshotter keeps it in the offset state.
 */
import type { ChangeEvent, SourceSignal } from '../../../core/src/types.ts';
import { signalOfRow } from '../signals/debezium-signal.ts';

/** The Kafka signal channel's next offset, committed with the snapshotter's state (SourceSignal.channelOffset). */
export interface ChannelOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read, as a decimal string. */
  readonly next: string;
}

/**
 * The signals (or why each is refused) among streamed events: inserts into `table` ('<schema>.<table>'), in order.
 * Updates and deletes of signal rows are not signals (Debezium reads inserts only).
 */
export function signalRowsOf(events: readonly ChangeEvent[], table: string | null): (SourceSignal | string)[] {
  if (table === null) return [];
  const dot = table.indexOf('.'); // the settings' regex guarantees exactly one
  const schema = table.slice(0, dot);
  const name = table.slice(dot + 1);
  const out: (SourceSignal | string)[] = [];
  for (const e of events) {
    if (e.op !== 'c' || e.after === null || e.table.id.table !== name || e.table.id.schema !== schema) continue;
    out.push(signalOfRow(e.after));
  }
  return out;
}

/** The Kafka channel's offset in a stored offset's state (either source's), or null. */
export function readChannelOffset(state: Readonly<Record<string, unknown>> | undefined): ChannelOffset | null {
  const inc = state?.incremental;
  if (typeof inc !== 'object' || inc === null) return null;
  const c = (inc as { channelOffset?: unknown }).channelOffset;
  if (typeof c !== 'object' || c === null) return null;
  const { topic, partition, next } = c as { topic?: unknown; partition?: unknown; next?: unknown };
  if (typeof topic !== 'string' || typeof partition !== 'number' || typeof next !== 'string' || !/^\d+$/.test(next)) return null;
  return { topic, partition, next };
}
