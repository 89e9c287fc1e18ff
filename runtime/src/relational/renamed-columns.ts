/**
 * Records written before a RENAME COLUMN that reach a relational sink after the rename: with more than one Kafka
 * partition per table topic, one partition's records of the old table version can be applied after another
 * partition's records of the new one renamed the target column. Written as they are, their value of the old name
 * would be lost (the target no longer has that column) or land in a re-added column of the old name. This rewrites
 * such a record to the new names, as the source's rename did to the row.
 *
 * A record of version V is rewritten for a rename p → n (a version's column n with p among its `renamedFrom`) when V
 * has p and not n and V is older than the first version seen with that rename. Versions compare by number: the
 * registry id in Kafka mode (ids grow as schemas are registered), `v<n>` in direct mode (a MySQL source never reuses
 * one). The rewritten column keeps p as its earlier name, so if the target still has p it is renamed first, as for
 * the renaming version itself. A column p added again after n was dropped has a newer version and is left alone.
 * Versions without a number: rewritten only when the rename is plainly ahead (a record of a renaming version earlier
 * in the batch, or a target that has n and not p).
 */
import type { SinkColumn, SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';

/** A version's number (registry id, or n of `v<n>`); NaN when it has none (then it never counts as newer). */
function versionNumber(t: SinkTable): number {
  const m = /^v?(\d+)$/.exec(t.version);
  return m ? Number(m[1]) : Number.NaN;
}

/** Whether the target table of `t` has a column of that name now; undefined when the sink does not know yet. */
export type TargetHas = (t: SinkTable, column: string) => boolean | undefined;

export class RenamedColumns {
  /**
   * Per table (topic), from the versions seen: old name → its newest name (from the newest version naming it as an
   * earlier name: a chain a → b → c maps a to c) and the lowest version number naming it (the first rename seen).
   */
  readonly #renames = new Map<string, Map<string, { to: string; toAt: number; at: number }>>();
  readonly #noted = new WeakSet<SinkTable>();
  /** Rewritten versions: per old version and rename set. */
  readonly #derived = new WeakMap<SinkTable, Map<string, SinkTable>>();

  #note(t: SinkTable): void {
    if (this.#noted.has(t)) return;
    this.#noted.add(t);
    for (const c of t.columns) {
      if (c.renamedFrom === undefined) continue;
      let m = this.#renames.get(t.topic);
      if (m === undefined) this.#renames.set(t.topic, (m = new Map()));
      const at = versionNumber(t);
      for (const p of c.renamedFrom) {
        const known = m.get(p);
        if (known === undefined) {
          m.set(p, { to: c.name, toAt: at, at });
          continue;
        }
        if (at > known.toAt) {
          known.to = c.name;
          known.toAt = at;
        }
        if (at < known.at) known.at = at;
      }
    }
  }

  /** The records, with those of a version from before a rename that is ahead of them rewritten to the new names. */
  rewrite(records: readonly SinkRecord[], targetHas: TargetHas): readonly SinkRecord[] {
    let out: SinkRecord[] | null = null;
    const ahead = new Map<string, Set<string>>(); // per topic: old names whose rename came earlier in this batch
    let last: SinkTable | null = null;
    let lastRenames: Map<string, string> | null = null;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const t = r.table;
      if (t !== last) {
        last = t;
        this.#note(t);
        for (const c of t.columns) {
          if (c.renamedFrom === undefined) continue;
          let a = ahead.get(t.topic);
          if (a === undefined) ahead.set(t.topic, (a = new Set()));
          for (const p of c.renamedFrom) a.add(p);
        }
        lastRenames = this.#applicable(t, ahead.get(t.topic), targetHas);
      }
      if (lastRenames === null) {
        out?.push(r);
        continue;
      }
      out ??= records.slice(0, i);
      out.push(this.#rewriteRecord(r, lastRenames));
    }
    return out ?? records;
  }

  /** The renames a record of `t` needs (old → new), or null. */
  #applicable(t: SinkTable, ahead: ReadonlySet<string> | undefined, targetHas: TargetHas): Map<string, string> | null {
    const m = this.#renames.get(t.topic);
    if (m === undefined) return null;
    const names = new Set(t.columns.map((c) => c.name));
    const v = versionNumber(t);
    let out: Map<string, string> | null = null;
    for (const c of t.columns) {
      const rename = m.get(c.name);
      if (rename === undefined || names.has(rename.to)) continue;
      const n = rename.to;
      if (Number.isNaN(v) || Number.isNaN(rename.at)) {
        const renamedOnTarget = targetHas(t, n) === true && targetHas(t, c.name) === false;
        if (!renamedOnTarget && !(ahead?.has(c.name) ?? false)) continue;
      } else if (!(v < rename.at)) continue;
      (out ??= new Map()).set(c.name, n);
    }
    return out;
  }

  #rewriteRecord(r: SinkRecord, renames: Map<string, string>): SinkRecord {
    const key = [...renames].map(([a, b]) => `${a}\u0000${b}`).join('\u0001');
    let byRenames = this.#derived.get(r.table);
    if (byRenames === undefined) this.#derived.set(r.table, (byRenames = new Map()));
    let table = byRenames.get(key);
    if (table === undefined) {
      const columns = r.table.columns.map((c): SinkColumn => {
        const n = renames.get(c.name);
        return n === undefined ? c : { ...c, name: n, renamedFrom: [c.name, ...(c.renamedFrom ?? [])] };
      });
      table = { ...r.table, columns, primaryKey: r.table.primaryKey.map((k) => renames.get(k) ?? k), version: `${r.table.version} (renamed)` };
      byRenames.set(key, table);
    }
    const row = (x: Row | null): Row | null => {
      if (x === null) return null;
      const o: Row = {};
      for (const [k, v] of Object.entries(x)) o[renames.get(k) ?? k] = v;
      return o;
    };
    const env = r.envelope;
    return {
      topic: r.topic, stream: r.stream, partition: r.partition, offset: r.offset, position: r.position, event: r.event,
      key: row(r.key), envelope: { before: row(env.before), after: row(env.after), source: env.source, op: env.op, ts_ms: env.ts_ms },
      table, timestampMs: r.timestampMs, sizeBytes: r.sizeBytes,
    };
  }
}
