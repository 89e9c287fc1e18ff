/**
 * The `source.snapshot` markers one initial-snapshot pass must carry, in emission order
 * (runtime/src/snapshot/snapshot-markers.ts): 'first' on the pass's first event (a fresh snapshot), then
 * 'first_in_data_collection' on each other table's first event, 'last' on the last event unless it opens a keyless
 * table, 'true' elsewhere.
 */
import type { ChangeEvent } from '../../core/src/types.ts';

export function expectedSnapshotMarkers(evs: readonly ChangeEvent[], fresh = true): string[] {
  const seen = new Set<string>();
  return evs.map((e, i) => {
    const t = `${e.table.id.schema}.${e.table.id.table}`;
    const opens = !seen.has(t);
    seen.add(t);
    if (opens && i === 0 && fresh) return 'first';
    if (i === evs.length - 1 && !(opens && e.table.primaryKey.length === 0)) return 'last';
    return opens ? 'first_in_data_collection' : 'true';
  });
}
