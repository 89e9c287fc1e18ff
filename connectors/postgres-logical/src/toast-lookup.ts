/**
 * Unchanged TOAST values under REPLICA IDENTITY DEFAULT (source.unchangedToast: lookup, the default).
 *
 * An UPDATE that leaves an out-of-line (TOASTed) value unchanged does not carry it: pgoutput sends the marker 'u',
 * and without REPLICA IDENTITY FULL no old row image holds the value either. Ferry then reads the value by primary
 * key from the table, as AWS DMS's LOB lookup and Debezium's column reselector do:
 *
 *   - The update becomes a PendingToastUpdate, a stand-in in the batch's event list, when the stream reads it.
 *     Before the batch is handed on (change-stream.ts), resolve() reads the values of every stand-in in it, one
 *     `SELECT … WHERE (key) IN (…)` per table and column set (index lookups, up to LOOKUP_CHUNK keys each), on the
 *     source's catalog connection (same session settings as the walsender, so values arrive in pgoutput's text form),
 *     and turns each into its events. The events carry `unchangedToast`: the columns re-read (Kafka header
 *     `ferry.unchanged-toast`, docs/event-format.md).
 *   - Consistency: the value read is the row's current committed one, not necessarily the one at the update's commit.
 *     It differs only when a later committed transaction changed that column, and that change comes later in the
 *     stream with its own value, so every target converges to the source; an intermediate version may show the
 *     later value early. REPLICA IDENTITY FULL gives values exactly as of each change (the old row image), and needs
 *     no lookup.
 *   - A row no longer there (deleted, or its key changed, by a later committed transaction): the update is not
 *     passed on. The value is nowhere to be had, and a placeholder would overwrite real data; the delete or key
 *     change that removed the row follows in the stream, so every target ends exactly as the source. An update that
 *     changed the key still yields the delete of its old key (the later change names only the new one). The skipped
 *     updates are counted (pg_toast_lookup_rows_gone_total) and logged.
 *   - A table renamed since is found by its OID; a column dropped or renamed since cannot be read: its value is
 *     left null (the column is leaving the table), with a warning.
 */
import type pg from 'pg';
import type { ChangeEvent, Counter, Logger, MetricsRegistry } from '../../../core/src/types.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { UNCHANGED_TOAST, type Tuple, type UpdateMessage } from './protocol/pgoutput-decoder.ts';
import { quoteIdent } from './pg-connection.ts';
import type { RelationState, TxnInfo } from './change-events.ts';
import type { TableCodec } from './table-codec.ts';

/** Keys per lookup statement (2 × this many parameters at most for a two-column key, far below PostgreSQL's 65535). */
export const LOOKUP_CHUNK = 500;

export interface PendingToastFields {
  readonly rel: RelationState;
  /** The codec when the update was read (a later Relation message may have replaced rel.codec since). */
  readonly codec: TableCodec;
  readonly m: UpdateMessage;
  readonly lsn: bigint;
  readonly tx: TxnInfo;
  readonly now: number;
  /** Tuple positions (relation order) whose values PostgreSQL did not send. */
  readonly missing: readonly number[];
}

/** An update waiting for its unchanged TOAST values: a stand-in in a batch's event list until resolve(). */
export class PendingToastUpdate implements PendingToastFields {
  readonly rel: RelationState;
  readonly codec: TableCodec;
  readonly m: UpdateMessage;
  readonly lsn: bigint;
  readonly tx: TxnInfo;
  readonly now: number;
  readonly missing: readonly number[];

  constructor(f: PendingToastFields) {
    this.rel = f.rel;
    this.codec = f.codec;
    this.m = f.m;
    this.lsn = f.lsn;
    this.tx = f.tx;
    this.now = f.now;
    this.missing = f.missing;
  }

  /** As an entry of a ChangeEvent list (resolve() replaces it before the list leaves the stream). */
  asEvent(): ChangeEvent {
    return this as unknown as ChangeEvent;
  }
}

/** The included columns of an update whose values PostgreSQL did not send (tuple positions), or [] when none. */
export function unsentColumns(codec: TableCodec, t: Tuple, old: Tuple | null): number[] {
  const out: number[] = [];
  const included = codec.schema.columns;
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== UNCHANGED_TOAST) continue;
    if (old !== null && old[i] !== undefined && old[i] !== UNCHANGED_TOAST) continue; // REPLICA IDENTITY FULL fills it
    const name = codec.input.columns[i]?.name;
    if (name !== undefined && included.some((c) => c.name === name)) out.push(i);
  }
  return out;
}

export interface ToastLookupOptions {
  /** The source's live catalog connection (RAW_TEXT, the walsender's session settings). */
  readonly catalog: () => Promise<pg.Client>;
  readonly log: Logger;
  readonly metrics?: MetricsRegistry;
  /** Turns an update with its values filled in into its events (change-events.ts updateEvents). */
  readonly emit: (p: PendingToastUpdate, newTuple: Tuple, unchanged: readonly string[], out: ChangeEvent[]) => void;
  /**
   * The delete of the old key of a key-changing update whose row is gone (change-events.ts deleteEvents): the update
   * is not passed on, but the row did leave its old key, and no later change in the stream names that key again.
   */
  readonly emitOldKeyDelete: (p: PendingToastUpdate, out: ChangeEvent[]) => void;
}

interface Group {
  readonly codec: TableCodec;
  readonly relationId: number;
  readonly columns: number[];
  readonly items: PendingToastUpdate[];
}

export class ToastLookup {
  readonly #o: ToastLookupOptions;
  readonly #gone: Counter | null;
  readonly #looked: Counter | null;
  /** Stand-ins created and not yet resolved. */
  pending = 0;
  readonly #warned = new Set<string>();

  constructor(o: ToastLookupOptions) {
    this.#o = o;
    this.#gone = o.metrics?.counter('pg_toast_lookup_rows_gone_total', 'PostgreSQL updates with unchanged TOAST values whose row was gone (deleted or re-keyed since) at the lookup: not passed on, the later delete follows', ['table']) ?? null;
    this.#looked = o.metrics?.counter('pg_toast_lookup_rows_total', 'PostgreSQL updates whose unchanged TOAST values were read by key (REPLICA IDENTITY DEFAULT)', ['table']) ?? null;
  }

  /** Records a stand-in (counted until resolved). */
  track(p: PendingToastUpdate): ChangeEvent {
    this.pending++;
    return p.asEvent();
  }

  /** `events` with every stand-in replaced by its events (or dropped when its row is gone). */
  async resolve(events: readonly ChangeEvent[]): Promise<ChangeEvent[]> {
    const groups = new Map<string, Group>();
    for (const e of events) {
      const p = e as unknown;
      if (!(p instanceof PendingToastUpdate)) continue;
      const gk = `${p.m.relationId}/${p.codec.signature}/${p.missing.join(',')}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, g = { codec: p.codec, relationId: p.m.relationId, columns: [...p.missing], items: [] });
      g.items.push(p);
    }
    if (groups.size === 0) return [...events];
    const filled = new Map<PendingToastUpdate, Tuple | null>();
    const names = new Map<PendingToastUpdate, string[]>();
    for (const g of groups.values()) {
      const values = await this.#read(g);
      const cols = g.columns.map((i) => g.codec.input.columns[i]!.name);
      for (const p of g.items) {
        const row = values.get(keyText(g.codec, p.m.newTuple));
        if (row === undefined) { filled.set(p, null); continue; }
        const t = [...p.m.newTuple];
        g.columns.forEach((pos, j) => { t[pos] = row[j] === undefined ? null : row[j]!; });
        filled.set(p, t);
        names.set(p, cols);
      }
    }
    const out: ChangeEvent[] = [];
    for (const e of events) {
      const p = e as unknown;
      if (!(p instanceof PendingToastUpdate)) { out.push(e); continue; }
      this.pending--;
      const t = filled.get(p)!;
      if (t === null) {
        this.#gone?.inc({ table: p.codec.key });
        this.#warnOnce(`gone:${p.codec.key}`, { table: p.codec.key, lsn: String(p.lsn) },
          `${p.codec.key}: an UPDATE left TOASTed value(s) unchanged and its row is gone now (deleted or re-keyed since): the update is not passed on (the delete follows in the stream); further ones are logged at debug`);
        // a key change: the later delete or key change names the new key only, so the old key's delete is passed on
        const old = p.m.keyTuple ?? p.m.oldTuple;
        if (old !== null && keyText(p.codec, old) !== keyText(p.codec, p.m.newTuple)) this.#o.emitOldKeyDelete(p, out);
        continue;
      }
      this.#looked?.inc({ table: p.codec.key });
      this.#o.emit(p, t, names.get(p)!, out);
    }
    return out;
  }

  /** The group's current values by key text: `key → values of g.columns (text; undefined: the column is gone)`. */
  async #read(g: Group): Promise<Map<string, (string | null | undefined)[]>> {
    const client = await this.#o.catalog();
    const codec = g.codec;
    const keyPos = codec.primaryKey.map((k) => codec.input.columns.findIndex((c) => c.name === k));
    const keys = new Map<string, string[]>();
    for (const p of g.items) {
      const vals = keyPos.map((i) => p.m.newTuple[i]);
      if (keyPos.some((i) => i < 0) || !vals.every((v): v is string => typeof v === 'string')) {
        throw new FerryError('FERRY_SOURCE_PREREQUISITE',
          `an UPDATE of ${codec.key} left out-of-line (TOASTed) values unchanged, and its key is not available to read them by (${codec.primaryKey.length === 0 ? 'the table has no primary key' : 'a key value was itself not sent'}). ` +
          `Run ALTER TABLE ${quoteIdent(codec.id.schema)}.${quoteIdent(codec.id.table)} REPLICA IDENTITY FULL, then re-copy the table (new task or offset), or exclude it`,
          { details: { table: codec.key }, disposition: 'fatal' });
      }
      keys.set(keyText(codec, p.m.newTuple), vals);
    }
    const current = await currentTable(client, g.relationId);
    const out = new Map<string, (string | null | undefined)[]>();
    if (current === null) {
      this.#warnOnce(`dropped:${codec.key}`, { table: codec.key }, `${codec.key} was dropped after an UPDATE that left TOASTed values unchanged: its rows are gone, the update is not passed on`);
      return out;
    }
    let present = g.columns.map((i) => codec.input.columns[i]!.name);
    const { table, columns: exists } = current;
    const lost = present.filter((c) => !exists.has(c));
    if (lost.length > 0) {
      this.#warnOnce(`column:${codec.key}:${lost.join(',')}`, { table: codec.key, columns: lost },
        `${codec.key}: column(s) ${lost.join(', ')} were dropped or renamed after an UPDATE that left their TOASTed values unchanged: the value cannot be read any more and is left null (the column is leaving the table)`);
      present = present.filter((c) => exists.has(c));
    }
    const keyCols = codec.primaryKey.map(quoteIdent);
    const list = [...keys.values()];
    for (let at = 0; at < list.length; at += LOOKUP_CHUNK) {
      const chunk = list.slice(at, at + LOOKUP_CHUNK);
      const params: string[] = [];
      const tuples = chunk.map((vals) => {
        const ph = vals.map((v) => { params.push(v); return `$${params.length}`; });
        return ph.length === 1 ? ph[0]! : `(${ph.join(', ')})`;
      });
      const select = [...keyCols, ...present.map(quoteIdent)].join(', ');
      const cond = keyCols.length === 1 ? `${keyCols[0]} IN (${tuples.join(', ')})` : `(${keyCols.join(', ')}) IN (${tuples.join(', ')})`;
      const { rows } = await client.query<Record<string, string | null>>({ text: `SELECT ${select} FROM ONLY ${table} WHERE ${cond}`, values: params, rowMode: 'array' } as never) as unknown as { rows: (string | null)[][] };
      for (const r of rows) {
        const k = JSON.stringify(r.slice(0, keyCols.length));
        const byName = new Map(present.map((c, j) => [c, r[keyCols.length + j]!]));
        out.set(k, g.columns.map((i) => byName.get(codec.input.columns[i]!.name)));
      }
    }
    return out;
  }

  #warnOnce(id: string, obj: object, msg: string): void {
    if (this.#warned.has(id)) this.#o.log.debug(obj, msg);
    else { this.#warned.add(id); this.#o.log.warn(obj, msg); }
  }
}

/** The key's text values as a map key (pgoutput and a RAW_TEXT query print a stored value the same way). */
function keyText(codec: TableCodec, t: Tuple): string {
  return JSON.stringify(codec.primaryKey.map((k) => t[codec.input.columns.findIndex((c) => c.name === k)]));
}

/** The table's current qualified name (it may have been renamed since) and columns, or null when it was dropped. */
async function currentTable(client: pg.Client, relid: number): Promise<{ table: string; columns: Set<string> } | null> {
  const { rows } = await client.query<{ nspname: string; relname: string; cols: string }>(
    `SELECT n.nspname, c.relname, (SELECT json_agg(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text AS cols
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`, [relid]);
  const r = rows[0];
  return r ? { table: `${quoteIdent(r.nspname)}.${quoteIdent(r.relname)}`, columns: new Set(JSON.parse(r.cols) as string[]) } : null;
}
