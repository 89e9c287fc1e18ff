/**
 * Debezium's `source.snapshot` markers on the events of one initial-snapshot pass (docs/event-format.md §3):
 *
 *   first                     the pass's first event (a fresh snapshot; a resumed one has none)
 *   first_in_data_collection  the first event of every other table in this pass
 *   last                      the pass's last event
 *   true                      every other snapshot read
 *
 * A table without a primary key cannot resume mid-table (there is no key to continue after), so an interrupted pass
 * sends it again from its first row. Its first-in-pass marker is what tells a relational sink to drop the rows of the
 * interrupted pass before these (runtime/src/relational/net-changes.ts splitAtTruncates), so that marker is never
 * overwritten by `last`. Debezium's `last_in_data_collection` is not emitted: with chunks read in parallel a table's
 * last event is only known after it was handed on.
 */
import type { ChangeEvent } from '../../../core/src/types.ts';

export class SnapshotMarkers {
  #first: boolean;
  readonly #started = new Set<string>();

  /** `fresh`: a new snapshot (not a resumed one), whose first event is marked `first`. */
  constructor(fresh: boolean) {
    this.#first = fresh;
  }

  /** Marks the first of `events` (the next events of `table` to be handed on) if it opens the table in this pass. */
  markNext(table: string, events: ChangeEvent[]): void {
    if (events.length === 0 || this.#started.has(table)) return;
    this.#started.add(table);
    events[0] = { ...events[0]!, source: { ...events[0]!.source, snapshot: this.#first ? 'first' : 'first_in_data_collection' } };
    this.#first = false;
  }

  /** `events` (the pass's last batch) with its last event marked `last`, unless that event opens a keyless table. */
  markLast(events: readonly ChangeEvent[]): ChangeEvent[] {
    const out = [...events];
    const e = out.at(-1);
    if (e === undefined || opensKeylessTable(e)) return out;
    out[out.length - 1] = { ...e, source: { ...e.source, snapshot: 'last' } };
    return out;
  }
}

function opensKeylessTable(e: ChangeEvent): boolean {
  return (e.source.snapshot === 'first' || e.source.snapshot === 'first_in_data_collection') && e.table.primaryKey.length === 0;
}
