/**
 * The net change per primary key over a run of records of one table, in log order: what the relational sinks'
 * batch-optimized apply mode writes (DMS's "batch apply"). Engine-neutral.
 *
 *   insert / read / update → the key's row becomes the after-image    (an upsert)
 *   delete                 → the key's row is gone                     (a delete)
 *   update that changes the key (before key ≠ after key) → a delete of the old key, then an upsert of the new one
 *
 * Each key ends in exactly one of the two lists, so applying all deletes and then all upserts (in any order between
 * keys) leaves the target as applying every change one by one would. Truncates are not changes of a key: split the
 * records at them first (splitAtTruncates).
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { opOf } from '../sink-worker/record-decoder.ts';

export interface NetChanges {
  /** Records whose key row must be deleted: use `keyRow(record)` (for a key-changing update, `deletedKeyRow`). */
  readonly deletes: readonly NetDelete[];
  /** Records whose after-image is the key's final row, one per key, in the order each key was last changed. */
  readonly upserts: readonly SinkRecord[];
}

export interface NetDelete {
  readonly record: SinkRecord;
  /** The primary-key values of the row to delete. */
  readonly key: Row;
}

/** A run of records of one table between truncates, or one truncate. */
export interface Segment {
  readonly kind: 'changes' | 'truncate';
  readonly records: readonly SinkRecord[];
}

/** The primary-key values of an image. */
export function keyOf(pk: readonly string[], row: Row): Row {
  const out: Row = {};
  for (const k of pk) out[k] = row[k];
  return out;
}

/** A map key for primary-key values (bigint, Buffer and struct values included). */
export function keyText(pk: readonly string[], row: Row): string {
  let s = '';
  for (const k of pk) {
    const v = row[k];
    s += typeof v === 'bigint' ? `n${v}` : Buffer.isBuffer(v) ? `x${v.toString('hex')}` : typeof v === 'object' && v !== null ? `o${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}` : `${typeof v}:${String(v)}`;
    s += '\u0000';
  }
  return s;
}

/** The net change per key of records of one table (log order), all of which have `pk` as their primary key. */
export function netChanges(records: readonly SinkRecord[], pk: readonly string[]): NetChanges {
  if (pk.length === 0) throw new Error('netChanges needs a primary key');
  // key → the last change: an upsert (the record) or a delete (the record and the key values).
  const last = new Map<string, { upsert: SinkRecord } | { del: NetDelete }>();
  const set = (k: string, v: { upsert: SinkRecord } | { del: NetDelete }): void => {
    last.delete(k); // re-insert: Map order = order of each key's last change
    last.set(k, v);
  };
  for (const r of records) {
    const { op, before, after } = r.envelope;
    if (op === 't') throw new Error('netChanges: split the records at truncates first');
    if (op === 'd') {
      const image = before ?? r.key;
      if (image === null) continue;
      const key = keyOf(pk, image);
      set(keyText(pk, key), { del: { record: r, key } });
      continue;
    }
    if (after === null) continue;
    const newKey = keyText(pk, after);
    if (op === 'u' && before !== null) {
      const oldKey = keyText(pk, before);
      if (oldKey !== newKey) set(oldKey, { del: { record: r, key: keyOf(pk, before) } });
    }
    set(newKey, { upsert: r });
  }
  const deletes: NetDelete[] = [];
  const upserts: SinkRecord[] = [];
  for (const v of last.values()) {
    if ('upsert' in v) upserts.push(v.upsert);
    else deletes.push(v.del);
  }
  return { deletes, upserts };
}

export interface SplitOptions {
  /**
   * A snapshot read that opens a table without a primary key in a snapshot pass (marked `first` or
   * `first_in_data_collection`, runtime/src/snapshot/snapshot-markers.ts) implies a truncate before it: a keyless
   * table's interrupted pass is sent again from its first row, and only clearing what the earlier pass wrote keeps
   * its rows from doubling. Off for targets whose rows the sink did not prepare (tablePreparation do-nothing).
   */
  readonly keylessPassRestarts?: boolean;
}

/** Whether `r` opens a keyless table's snapshot pass (see SplitOptions.keylessPassRestarts). */
export function opensKeylessPass(r: SinkRecord): boolean {
  if (r.table.primaryKey.length > 0 || opOf(r) !== 'r') return false; // keyed first: a lazily decoded read stays undecoded
  const m = r.envelope.source.snapshot;
  return m === 'first' || m === 'first_in_data_collection';
}

/** Records of one table split at truncates, in order. */
export function splitAtTruncates(records: readonly SinkRecord[], o: SplitOptions = {}): Segment[] {
  const out: Segment[] = [];
  let cur: SinkRecord[] = [];
  for (const r of records) {
    if (opOf(r) === 't') {
      if (cur.length > 0) out.push({ kind: 'changes', records: cur });
      out.push({ kind: 'truncate', records: [r] });
      cur = [];
    } else if (o.keylessPassRestarts === true && opensKeylessPass(r)) {
      // What came before in this run belongs to the interrupted pass: cleared by the implied truncate.
      out.length = 0;
      out.push({ kind: 'truncate', records: [] });
      cur = [r];
    } else {
      cur.push(r);
    }
  }
  if (cur.length > 0) out.push({ kind: 'changes', records: cur });
  return out;
}

/**
 * The leading snapshot reads of a run (op 'r' before any other change of the table in the run): a full load that
 * can be bulk-copied. The rest follows them.
 */
export function leadingReads(records: readonly SinkRecord[]): { readonly reads: readonly SinkRecord[]; readonly rest: readonly SinkRecord[] } {
  let i = 0;
  while (i < records.length && opOf(records[i]!) === 'r') i++; // opOf: a lazily decoded snapshot read stays undecoded
  return { reads: records.slice(0, i), rest: records.slice(i) };
}
