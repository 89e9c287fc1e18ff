/**
 * MySQL's log-order test for incremental-snapshot windows (the window itself is shared:
 * runtime/src/snapshot/chunk-window.ts).
 */
import type { Position } from '../../../core/src/types.ts';
import { compareLogOrder, parseBinlogPosition } from './binlog-position.ts';

export { ChunkWindow, keyString } from '../../../runtime/src/snapshot/chunk-window.ts';

/** The GTID state of a position, normalised (sorted), or undefined without one. */
function gtidState(p: Position): string | undefined {
  const g = parseBinlogPosition(p).gtid;
  return g ? g.split(',').map((s) => s.trim()).filter((s) => s !== '').sort().join(',') : undefined;
}

/**
 * Whether the stream, having committed up to `checkpoint`, has read every transaction before `high`: by log
 * order, or (when events without data, e.g. a binlog rotation, sit between) by equal GTID states.
 */
export function hasPassed(checkpoint: Position, high: Position): boolean {
  if (compareLogOrder(checkpoint, high) >= 0) return true;
  const a = gtidState(checkpoint);
  return a !== undefined && a === gtidState(high);
}
