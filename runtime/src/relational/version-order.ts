/**
 * Which schema versions of a table are older than which, as a relational sink has seen them in log order.
 *
 * A version that lacks a column the target has is a DROP COLUMN only if it is newer than a version that had it. In
 * direct mode every record comes from one ordered stream; in Kafka mode each partition is ordered, but partitions of
 * one table's topic are not ordered against each other: a lagging partition still delivers rows of the version before
 * an ADD COLUMN after another partition delivered rows of the version after it. Treating such a row as a drop would
 * delete the new column and its values. So a version counts as newer than another only when one stream (a Kafka
 * partition, or the source in direct mode) delivered the other first; when no stream says so, nothing is dropped (the
 * column is kept, nullable) and nothing a newer version dropped is added back.
 */
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';

export class VersionOrder {
  /** Per "stream\0schema\0table": the last version seen. */
  readonly #last = new Map<string, SinkTable>();
  /** Per version: the versions known to be older (transitively). */
  readonly #older = new Map<SinkTable, Set<SinkTable>>();

  /** Learns from records in log order (any batch, applied or not). */
  observe(records: readonly SinkRecord[]): void {
    let prev: SinkRecord | undefined;
    for (const r of records) {
      if (prev !== undefined && prev.table === r.table && prev.stream === r.stream) continue; // runs of one version
      prev = r;
      const k = `${r.stream}\u0000${r.table.schema}\u0000${r.table.table}`;
      const before = this.#last.get(k);
      this.#last.set(k, r.table);
      if (before === undefined || before === r.table) continue;
      if (this.#olderSet(before).has(r.table)) continue; // r.table is older than what this stream sent before: no news
      const set = this.#olderSet(r.table);
      set.add(before);
      for (const o of this.#olderSet(before)) set.add(o);
      for (const olders of this.#older.values()) if (olders.has(r.table)) for (const o of set) olders.add(o);
    }
  }

  /** Column names of the versions known to be older than `v`: a column among them that `v` lacks was dropped. */
  olderColumns(v: SinkTable): Set<string> {
    const out = new Set<string>();
    for (const o of this.#older.get(v) ?? []) for (const c of o.columns) out.add(c.name);
    return out;
  }

  /** Whether a version known to be newer than `v` lacks column `name` (so `v`'s rows must not add it back). */
  droppedSince(v: SinkTable, name: string): boolean {
    for (const [w, olders] of this.#older) if (olders.has(v) && !w.columns.some((c) => c.name === name)) return true;
    return false;
  }

  #olderSet(v: SinkTable): Set<SinkTable> {
    let s = this.#older.get(v);
    if (s === undefined) this.#older.set(v, (s = new Set()));
    return s;
  }
}
