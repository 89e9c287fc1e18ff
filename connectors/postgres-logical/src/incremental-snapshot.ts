/**
 * PostgreSQL incremental snapshots: the chunk queries and watermarks (PgChunkSource) for the shared snapshotter
 * (runtime/src/snapshot/incremental-snapshotter.ts, DBLog-style: nothing is written to any table).
 *
 * Watermarks. `watermark()` reads pg_current_wal_insert_lsn() and then writes a heartbeat logical message
 * (pg_logical_emit_message, non-transactional, as the slot monitor does): the message's LSN is at or after the
 * returned position, and the change stream checkpoints every heartbeat message, so the stream passes the high
 * watermark promptly even when nothing else changes.
 *
 * Visibility. A chunk is read in its own REPEATABLE READ snapshot S. The window (chunk-window.ts) drops every key
 * the stream changes from the moment the chunk starts, so a transaction streamed after that can never be
 * overwritten by an older chunk row. What remains is a transaction the stream delivered *before* the chunk
 * started but that S does not yet see (its commit record is flushed a moment before the committing backend makes
 * it visible). The source remembers the ids of the last transactions it streamed and checks them against S
 * (pg_current_snapshot()): if any is invisible, the chunk is read again in a new snapshot.
 */
import type pg from 'pg';
import { FerryError } from '../../../core/src/errors.ts';
import { lsnPosition, parseLsnPosition, parseLsnText } from '../../../core/src/position.ts';
import type { ChangeEvent, Logger, Position, SourceInfo } from '../../../core/src/types.ts';
import type { ChunkSource } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import { IncrementalSnapshotter, type SnapshotterOptions } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import type { EncodedKey } from '../../../runtime/src/snapshot/chunk-window.ts';
import { openSession, quoteIdent, type PgConnectionConfig } from './pg-connection.ts';
import { readTableDefs } from './pg-catalog.ts';
import { HEARTBEAT_PREFIX } from './slot.ts';
import { keyCondition } from './snapshot.ts';
import { STATE_VERSION } from './snapshot-state.ts';
import type { SchemaTracker, TableCodec } from './table-codec.ts';
import { codecInput } from './PgSource.ts';

/** The stream has read every transaction before `high` once its checkpoint (a commit or heartbeat LSN) reaches it. */
export function pgHasPassed(checkpoint: Position, high: Position): boolean {
  return parseLsnPosition(checkpoint) >= parseLsnPosition(high);
}

export function pgSnapshotter(options: Omit<SnapshotterOptions, 'stateVersion' | 'hasPassed'>): IncrementalSnapshotter {
  return new IncrementalSnapshotter({ ...options, stateVersion: STATE_VERSION, hasPassed: pgHasPassed });
}

/** A pg_current_snapshot() text `xmin:xmax:xip,…` as 32-bit xids (pgoutput's transaction ids are 32-bit). */
export interface XidSnapshot {
  readonly xmin: number;
  readonly xmax: number;
  readonly xip: ReadonlySet<number>;
}

export function parseSnapshot(text: string): XidSnapshot {
  const [xmin, xmax, xip] = text.split(':');
  const x32 = (s: string) => Number(BigInt(s) & 0xffffffffn);
  return { xmin: x32(xmin!), xmax: x32(xmax!), xip: new Set((xip ?? '').split(',').filter((s) => s !== '').map(x32)) };
}

/** `a` precedes `b` in 32-bit xid order (modulo 2^32, as TransactionIdPrecedes). */
const precedes = (a: number, b: number) => ((a - b) | 0) < 0;

/** Whether a committed transaction is visible in the snapshot. */
export function visibleIn(s: XidSnapshot, xid: number): boolean {
  if (precedes(xid, s.xmin)) return true;
  return precedes(xid, s.xmax) && !s.xip.has(xid);
}

const RECENT = 4096;
const MAX_VISIBILITY_RETRIES = 50;
const TEXT = { getTypeParser: () => (v: string) => v };

export interface PgChunkSourceOptions {
  readonly cfg: PgConnectionConfig;
  readonly tracker: SchemaTracker;
  readonly topicPrefix: string;
  readonly database: string;
  readonly slot: string;
  readonly log: Logger;
  readonly onClose: (f: () => Promise<void>) => () => void;
}

export class PgChunkSource implements ChunkSource {
  readonly #o: PgChunkSourceOptions;
  readonly #recent = new Uint32Array(RECENT);
  #recentCount = 0;
  #lastXid = -1;
  #conn: pg.Client | null = null;
  #unregister: (() => void) | null = null;
  #closed = false;

  constructor(options: PgChunkSourceOptions) {
    this.#o = options;
  }

  /** Remembers the ids of the transactions the stream delivers (a ring of the last RECENT). */
  observe(events: readonly ChangeEvent[]): void {
    let lastId: unknown;
    for (const e of events) {
      const id = e.source.txId;
      // a transaction's events follow one another: its id is converted once
      if (id === lastId || id === undefined || e.op === 'r') continue;
      lastId = id;
      const xid = Number(id);
      if (xid === this.#lastXid) continue;
      this.#lastXid = xid;
      this.#recent[this.#recentCount++ % RECENT] = xid;
    }
  }

  async #connection(): Promise<pg.Client> {
    if (this.#conn) return this.#conn;
    // A chunk still being read when the task stops must not open a connection nobody closes.
    if (this.#closed) throw new FerryError('FERRY_ABORTED', 'the source is closing');
    const c = await openSession(this.#o.cfg, { applicationName: 'ferry:incremental-snapshot' });
    if (this.#closed) { await c.end().catch(() => undefined); throw new FerryError('FERRY_ABORTED', 'the source is closing'); }
    c.on('error', () => { if (this.#conn === c) this.#conn = null; });
    this.#conn = c;
    this.#unregister = this.#o.onClose(async () => { await c.end().catch(() => undefined); });
    return c;
  }

  async watermark(): Promise<Position> {
    const c = await this.#connection();
    const { rows } = await c.query<{ x: string }>('SELECT pg_current_wal_insert_lsn()::text AS x, pg_logical_emit_message(false, $1, $2)', [HEARTBEAT_PREFIX, this.#o.slot]);
    return lsnPosition(parseLsnText(rows[0]!.x));
  }

  version(table: string): number | null {
    return this.#o.tracker.current(splitTable(table))?.schema.version ?? null;
  }

  async #codec(c: pg.Client, table: string): Promise<TableCodec> {
    const id = splitTable(table);
    const current = this.#o.tracker.current(id);
    if (current) return current;
    const { rows } = await c.query<{ oid: string }>('SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [id.schema, id.table]);
    if (!rows[0]) throw new FerryError('FERRY_SOURCE_ERROR', `table ${table} no longer exists`, { disposition: 'fatal' });
    const relid = Number(rows[0].oid);
    const def = (await readTableDefs(c, [relid])).get(relid)!;
    return this.#o.tracker.codec(codecInput(def), 'incremental snapshot');
  }

  async readChunk(table: string, after: EncodedKey | null, limit: number, condition?: string): Promise<{ events: ChangeEvent[]; last: EncodedKey | null; version: number }> {
    const c = await this.#connection();
    const codec = await this.#codec(c, table);
    if (codec.primaryKey.length === 0) throw new FerryError('FERRY_UNSUPPORTED', `${table} has no primary key: incremental snapshots read tables in key order`, { disposition: 'fatal' });
    const pk = codec.primaryKey.map(quoteIdent).join(', ');
    const from = `${quoteIdent(codec.id.schema)}.${quoteIdent(codec.id.table)}`;
    const conds = [...(after ? [keyCondition(codec, '>', after as readonly string[])] : []), ...(condition ? [`(${condition})`] : [])];
    const where = conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : '';
    const sql = `SELECT ${codec.selectList}, ${codec.primaryKey.map((k, i) => `${quoteIdent(k)}::text AS __ferry_key${i}`).join(', ')} FROM ${from}${where} ORDER BY ${pk} LIMIT ${limit}`;
    for (let attempt = 0; ; attempt++) {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      let rows: string[][];
      let snap: XidSnapshot;
      let lsn: string;
      try {
        const s = await c.query<{ s: string; l: string }>('SELECT pg_current_snapshot()::text AS s, pg_current_wal_lsn()::text AS l');
        snap = parseSnapshot(s.rows[0]!.s);
        lsn = s.rows[0]!.l;
        rows = (await c.query<string[]>({ text: sql, rowMode: 'array', types: TEXT })).rows;
      } finally {
        await c.query('COMMIT').catch(() => undefined);
      }
      const invisible = this.#invisible(snap);
      if (invisible === null) return this.#events(codec, rows, lsn, limit);
      if (attempt >= MAX_VISIBILITY_RETRIES) {
        throw new FerryError('FERRY_SOURCE_ERROR', `transaction ${invisible}, already streamed, stays invisible to new snapshots; the incremental snapshot of ${table} cannot read a consistent chunk`);
      }
      this.#o.log.debug({ table, xid: invisible }, 'a streamed transaction is not yet visible to the chunk snapshot: reading the chunk again');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A remembered streamed transaction the snapshot does not see, or null. */
  #invisible(s: XidSnapshot): number | null {
    const n = Math.min(this.#recentCount, RECENT);
    for (let i = 0; i < n; i++) if (!visibleIn(s, this.#recent[i]!)) return this.#recent[i]!;
    return null;
  }

  #events(codec: TableCodec, rows: readonly string[][], lsn: string, limit: number): { events: ChangeEvent[]; last: EncodedKey | null; version: number } {
    const now = Date.now();
    const n = codec.columnCount;
    const source: SourceInfo = {
      connector: 'postgresql', name: this.#o.topicPrefix, tsMs: now, snapshot: 'incremental', db: this.#o.database,
      schema: codec.id.schema, table: codec.id.table, position: lsnPosition(parseLsnText(lsn)),
      extra: { lsn: Number(parseLsnText(lsn)), sequence: `[null,"${parseLsnText(lsn)}"]`, xmin: null },
    };
    const events = rows.map((r): ChangeEvent => {
      const after = codec.convertFields(r.slice(0, n));
      return { op: 'r', key: codec.keyOf(after), before: null, after, source, tsMs: now, table: codec.schema };
    });
    const lastRow = rows.at(-1);
    return { events, last: rows.length < limit || !lastRow ? null : lastRow.slice(n), version: codec.schema.version };
  }

  reset(): void {
    const c = this.#conn;
    this.#conn = null;
    this.#unregister?.();
    this.#unregister = null;
    void c?.end().catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.reset();
  }
}

function splitTable(table: string): { schema: string; table: string } {
  const dot = table.indexOf('.');
  return { schema: table.slice(0, dot), table: table.slice(dot + 1) };
}
