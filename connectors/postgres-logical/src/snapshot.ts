/**
 * The initial snapshot: every selected table read with COPY … TO STDOUT (text) by `parallelism` connections
 * that all imported one exported snapshot (REPEATABLE READ, SET TRANSACTION SNAPSHOT), emitted as op 'r'.
 *
 * Tables with a primary key are cut into chunks of about chunkSize rows by a splitter connection walking the key
 * (`… WHERE (pk) > (lo) ORDER BY pk LIMIT 1 OFFSET chunkSize-1`; the bounds only partition the key space, so the
 * splitter needs no snapshot). Tables without one are cut into ctid page ranges (TID range scans, PostgreSQL 14+)
 * or read whole. Every batch carries the streaming start position as its checkpoint and the contiguous progress
 * (snapshot-state.ts) as its state, so an interrupted snapshot resumes after its last committed chunk.
 */
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, Position, SourceInfo } from '../../../core/src/types.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { Channel } from '../../../runtime/src/pipeline/Channel.ts';
import { eventsBytes } from '../../../runtime/src/pipeline/event-bytes.ts';
import { SnapshotMarkers } from '../../../runtime/src/snapshot/snapshot-markers.ts';
import { CopyRowReader } from './copy-text.ts';
import { openSession, quoteIdent, quoteLiteral, type PgConnectionConfig } from './pg-connection.ts';
import { ProgressTracker, snapshotStateRecord, type TableProgress } from './snapshot-state.ts';
import type { TableCodec } from './table-codec.ts';

/** Opens `n` connections inside the exported snapshot `name` (call while the exporter is still open and idle). */
export async function openSnapshotWorkers(cfg: PgConnectionConfig, name: string, n: number): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const c = await openSession(cfg, { applicationName: 'ferry:snapshot' });
      clients.push(c);
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await c.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(name)}`);
    }
    return clients;
  } catch (e: unknown) {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    throw new FerryError('FERRY_SOURCE_ERROR', `cannot open the snapshot transactions (snapshot ${name}): ${errorMessage(e)}`, { cause: e });
  }
}

export interface SnapshotInput {
  readonly topicPrefix: string;
  readonly database: string;
  readonly tables: readonly TableCodec[];
  readonly workers: readonly pg.Client[];
  /** A connection outside the snapshot, for chunk bounds and table sizes. */
  readonly splitter: pg.Client;
  /** Checkpoint of every snapshot batch: where streaming starts. */
  readonly position: Position;
  /** A resumed snapshot: the position of its new snapshot, recorded with each keyless table it reads whole (TableProgress.at). */
  readonly readAt?: Position;
  readonly lsn: bigint;
  readonly slot: string | null;
  readonly progress: Readonly<Record<string, TableProgress>>;
  readonly fresh: boolean;
  readonly chunkSize: number;
  readonly maxEvents: number;
  /** Approximate bytes of rows read ahead of the pipeline (settings.snapshot.readAheadBytes); default unbounded. */
  readonly readAheadBytes?: number;
  /** ctid page ranges for tables without a primary key (PostgreSQL 14+ has TID range scans). */
  readonly tidRanges: boolean;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  readonly progressIntervalMs?: number;
  /** Called once every row is read, before the last batch is handed out: end the snapshot transactions (their locks block DDL). */
  readonly onCopied?: () => Promise<void>;
}

interface Unit {
  readonly codec: TableCodec;
  readonly seq: number;
  /** Primary-key bounds (exclusive lo, inclusive hi) as texts; or ctid pages [pageLo, pageHi). */
  readonly lo: readonly string[] | null;
  readonly hi: readonly string[] | null;
  readonly pageLo?: number;
  readonly pageHi?: number | null;
}

interface Part { readonly unit: Unit; readonly events: ChangeEvent[]; readonly final: boolean }

/** `(a, b) > ('1', 'x')`: untyped literals take the key columns' types, and row comparison follows the index order. */
export function keyCondition(codec: TableCodec, op: '>' | '<=', values: readonly string[]): string {
  const cols = codec.primaryKey.map(quoteIdent);
  const lits = values.map(quoteLiteral);
  return cols.length === 1 ? `${cols[0]} ${op} ${lits[0]}` : `(${cols.join(', ')}) ${op} (${lits.join(', ')})`;
}

const from = (c: TableCodec) => `${quoteIdent(c.id.schema)}.${quoteIdent(c.id.table)}`;

function unitSql(u: Unit): string {
  const c = u.codec;
  const where: string[] = [];
  if (c.primaryKey.length > 0) {
    if (u.lo) where.push(keyCondition(c, '>', u.lo));
    if (u.hi) where.push(keyCondition(c, '<=', u.hi));
  } else if (u.pageLo !== undefined) {
    where.push(`ctid >= '(${u.pageLo},0)'::tid`);
    if (u.pageHi !== null && u.pageHi !== undefined) where.push(`ctid < '(${u.pageHi},0)'::tid`);
  }
  return `COPY (SELECT ${c.selectList} FROM ${from(c)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}) TO STDOUT`;
}

export async function* readSnapshot(input: SnapshotInput): AsyncGenerator<ChangeBatch> {
  const { log, metrics, position } = input;
  const tracker = new ProgressTracker(input.progress);
  const copied = new Map<string, number>();
  const started = Date.now();
  const gCopied = metrics.gauge('snapshot_rows_copied', 'Rows copied by the snapshot so far', ['table']);
  const out = new Channel<Part>(input.workers.length * 2, { weigh: (p) => eventsBytes(p.events), capacityWeight: input.readAheadBytes ?? Infinity });
  const nextUnit = unitSource(input, tracker);
  let stopping = false;
  /** Events per part of each table, sized by its first part (readUnit). */
  const partEvents = new Map<TableCodec, number>();
  const worker = async (conn: pg.Client): Promise<void> => {
    for (;;) {
      if (stopping) return;
      const unit = await nextUnit();
      if (unit === null) return;
      await readUnit(conn, unit, input, out, partEvents);
    }
  };
  const workers = Promise.all(input.workers.map((c) => worker(c))).then(() => out.close(), (e: unknown) => out.fail(e));
  const timer = setInterval(() => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    for (const [key, n] of copied) if (!tracker.get(key)?.done) log.info({ table: key, rowsCopied: n, rowsPerSecond: Math.round(n / secs) }, `snapshot of ${key}: ${n} rows so far`);
  }, input.progressIntervalMs ?? 5000);
  timer.unref();
  const onAbort = () => out.close();
  input.signal.addEventListener('abort', onAbort);
  let state = snapshotStateRecord({ position, slot: input.slot, tables: tracker.snapshot() });
  let pending = null as ChangeBatch | null;
  const markers = new SnapshotMarkers(input.fresh);
  let total = 0;
  try {
    for (;;) {
      let part: Part | undefined;
      try {
        part = await out.take();
      } catch (e: unknown) {
        if (input.signal.aborted) return;
        throw e instanceof FerryError ? e : new FerryError('FERRY_SOURCE_ERROR', `snapshot read failed: ${errorMessage(e)}`, { cause: e });
      }
      if (part === undefined || input.signal.aborted) break;
      const key = part.unit.codec.key;
      const n = (copied.get(key) ?? 0) + part.events.length;
      copied.set(key, n);
      total += part.events.length;
      gCopied.set({ table: key }, n);
      markers.markNext(key, part.events);
      if (part.final) {
        const u = part.unit;
        const keyed = u.codec.primaryKey.length > 0;
        const isLast = keyed ? u.hi === null : u.pageLo === undefined || u.pageHi === null;
        tracker.chunkDone(key, u.seq, isLast ? null : (u.hi ?? []), keyed, input.readAt);
        state = snapshotStateRecord({ position, slot: input.slot, tables: tracker.snapshot() });
        if (tracker.get(key)?.done) log.info({ table: key, rows: n }, `snapshot of ${key} finished: ${n} rows`);
      }
      if (part.events.length === 0) {
        // A chunk's end without rows of its own: its progress rides on the batch not yet handed out.
        if (part.final && pending !== null) pending = { events: pending.events, checkpoint: position, state };
        if (pending !== null || !part.final) continue;
      }
      if (pending) yield pending;
      pending = { events: part.events, checkpoint: position, state };
    }
    if (input.signal.aborted) return;
    await workers;
    await input.onCopied?.();
    const last: ChangeBatch = pending ?? { events: [], checkpoint: position };
    const evs = markers.markLast(last.events);
    pending = null;
    const secs = (Date.now() - started) / 1000;
    log.info({ rows: total, seconds: Math.round(secs * 10) / 10, rowsPerSecond: Math.round(total / Math.max(secs, 0.001)) }, `snapshot finished: ${total} rows in ${secs.toFixed(1)} s`);
    yield { events: evs, checkpoint: position, snapshotDone: true, state };
  } finally {
    clearInterval(timer);
    input.signal.removeEventListener('abort', onAbort);
    stopping = true;
    out.close();
    await workers.catch(() => undefined);
  }
}

/** Hands out work table by table; one bound query at a time (the splitter connection is shared). */
function unitSource(input: SnapshotInput, tracker: ProgressTracker): () => Promise<Unit | null> {
  let t = 0;
  let seq = 0;
  let lo: readonly string[] | null = null;
  let page = 0;
  let pages = 0;
  let pagesPerChunk = 0;
  let started = false;
  let chain: Promise<unknown> = Promise.resolve();
  const next = async (): Promise<Unit | null> => {
    for (; t < input.tables.length; t++, started = false) {
      const codec = input.tables[t]!;
      const progress = tracker.get(codec.key);
      if (progress?.done) continue;
      if (codec.primaryKey.length === 0) {
        if (!input.tidRanges) { t++; return { codec, seq: 0, lo: null, hi: null }; }
        if (!started) {
          started = true;
          seq = 0;
          page = 0;
          const { rows } = await input.splitter.query<Record<string, string>>(
            "SELECT (pg_relation_size(c.oid) / current_setting('block_size')::int) AS pages, c.reltuples, c.relpages FROM pg_class c WHERE c.oid = $1::regclass",
            [`${quoteIdent(codec.id.schema)}.${quoteIdent(codec.id.table)}`]);
          const r = rows[0];
          pages = Number(r?.pages ?? 0);
          const perPage = Number(r?.relpages) > 0 && Number(r?.reltuples) > 0 ? Number(r!.reltuples) / Number(r!.relpages) : 100;
          pagesPerChunk = Math.max(1, Math.floor(input.chunkSize / perPage));
        }
        const hi = page + pagesPerChunk;
        const unit: Unit = { codec, seq: seq++, lo: null, hi: null, pageLo: page, pageHi: hi >= pages ? null : hi };
        page = hi;
        if (unit.pageHi === null) { t++; started = false; }
        return unit;
      }
      if (!started) {
        started = true;
        seq = 0;
        lo = progress?.after ?? null;
      }
      const pk = codec.primaryKey.map(quoteIdent).join(', ');
      const sql = `SELECT ${pk} FROM ${from(codec)}${lo ? ` WHERE ${keyCondition(codec, '>', lo)}` : ''} ORDER BY ${pk} LIMIT 1 OFFSET ${input.chunkSize - 1}`;
      const { rows } = await input.splitter.query<Record<string, string>>(sql);
      const unit: Unit = { codec, seq: seq++, lo, hi: rows[0] ? codec.primaryKey.map((k) => rows[0]![k]!) : null };
      if (unit.hi === null) { t++; started = false; return unit; }
      lo = unit.hi;
      return unit;
    }
    return null;
  };
  return () => {
    const p = chain.then(next);
    chain = p.catch(() => undefined);
    return p;
  };
}

/** The fewest events a part is cut at by the read-ahead budget, and the sample its size is taken from. */
const MIN_PART_EVENTS = 100;

async function readUnit(conn: pg.Client, unit: Unit, input: SnapshotInput, out: Channel<Part>, partEvents: Map<TableCodec, number>): Promise<void> {
  const codec = unit.codec;
  const source: SourceInfo = {
    connector: 'postgresql', name: input.topicPrefix, tsMs: Date.now(), snapshot: 'true', db: input.database,
    schema: codec.id.schema, table: codec.id.table, position: input.position,
    extra: { lsn: Number(input.lsn), sequence: `[null,"${input.lsn}"]`, xmin: null },
  };
  const now = source.tsMs;
  const table = codec.schema;
  const stream = conn.query(copyTo(unitSql(unit)));
  const reader = new CopyRowReader();
  let events: ChangeEvent[] = [];
  // A part holds at most maxEvents events and, with a read-ahead budget, about half of it (by the table's first part).
  let limit = partEvents.get(codec) ?? input.maxEvents;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const rows = reader.push(chunk);
      for (let i = 0; i < rows.length; i++) {
        const after = codec.convertFields(rows[i]!);
        events.push({ op: 'r', key: codec.keyOf(after), before: null, after, source, tsMs: now, table });
        if (events.length === MIN_PART_EVENTS && input.readAheadBytes !== undefined) {
          // (Another worker may have sized the table meanwhile.)
          limit = partEvents.get(codec) ?? Math.max(MIN_PART_EVENTS, Math.min(input.maxEvents, Math.floor(input.readAheadBytes / 2 / (eventsBytes(events) / events.length))));
          partEvents.set(codec, limit);
        }
        if (events.length >= limit) {
          if (!(await out.put({ unit, events, final: false }))) return;
          events = [];
        }
      }
    }
    reader.end();
  } catch (e: unknown) {
    stream.destroy();
    throw e;
  }
  await out.put({ unit, events, final: true });
}
