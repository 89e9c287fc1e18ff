/**
 * The initial snapshot: every selected table read inside the snapshot transactions (consistent-snapshot.ts),
 * emitted as op 'r' events.
 *
 * Tables with a primary key are cut into chunks of about `chunkSize` rows by a splitter that walks the key
 * (`WHERE pk > ? ORDER BY pk LIMIT 1 OFFSET chunkSize-1`, outside the snapshot: boundaries only partition the
 * key space, they need not be consistent); `parallelism` readers take chunks in turn and read them with keyset
 * pagination in their own snapshot. Tables without a key are streamed whole by one reader. Every batch carries
 * the stream-start position as its checkpoint and the contiguous progress (snapshot-state.ts) as its state, so an
 * interrupted snapshot resumes after the last chunk that was committed.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { raw } from 'mysql2/promise';
import type { Readable } from 'node:stream';
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, Position, Row, SourceInfo, TableId } from '../../../core/src/types.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { Channel } from '../../../runtime/src/pipeline/Channel.ts';
import { eventsBytes } from '../../../runtime/src/pipeline/event-bytes.ts';
import { SnapshotMarkers } from '../../../runtime/src/snapshot/snapshot-markers.ts';
import { quoteId, tableKey } from './mysql-schema.ts';
import type { RowCodec } from './row-codec.ts';
import { mapColumn } from './type-mapping.ts';
import { toDouble } from './value-conversion.ts';
import { decodeKeyValue, encodeKeyValue, ProgressTracker, snapshotStateRecord, type EncodedKey, type TableProgress } from './snapshot-state.ts';
import type { SnapshotTransactions } from './consistent-snapshot.ts';

export interface SnapshotInput {
  readonly connector: 'mysql' | 'mariadb';
  readonly topicPrefix: string;
  readonly tables: readonly TableId[];
  readonly codecs: ReadonlyMap<string, RowCodec>;
  readonly txns: SnapshotTransactions;
  /** The checkpoint of every snapshot batch: where streaming starts. */
  readonly position: Position;
  /**
   * Change capture follows (not a full load only): each keyless table read whole gets the snapshot position of the
   * connection that read it, recorded in its progress (TableProgress.at) and set in this map, so the stream drops that
   * table's changes the read already contains (runtime/src/snapshot/resumed-keyless.ts). The connections' positions
   * differ under write load (MariaDB), and the stream starts at the earliest.
   */
  readonly keylessReadAt?: Map<string, Position>;
  readonly progress: Readonly<Record<string, TableProgress>>;
  /** A new snapshot (not a resumed one): its first event is marked snapshot 'first'. */
  readonly fresh: boolean;
  /** Connection for the key splitter (outside the snapshot transactions). */
  readonly splitter: Connection;
  readonly estimates: ReadonlyMap<string, number>;
  readonly chunkSize: number;
  readonly maxEvents: number;
  /** Approximate bytes of chunks read ahead of the pipeline (settings.snapshot.readAheadBytes); default unbounded. */
  readonly readAheadBytes?: number;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  readonly progressIntervalMs?: number;
}

interface Unit {
  readonly key: string;
  readonly id: TableId;
  readonly codec: RowCodec;
  /** Chunk number since the resume watermark; -1 for a table read whole. */
  readonly seq: number;
  readonly lo: readonly unknown[] | null;
  readonly hi: readonly unknown[] | null;
}

interface Part {
  readonly unit: Unit;
  readonly events: ChangeEvent[];
  /** The unit's last part. */
  readonly final: boolean;
  /** The snapshot position of the connection that read the part. */
  readonly at: Position;
}

/** `(k1, k2, ...) > (v1, v2, ...)` (or `<=`) spelled out so that MariaDB's range optimizer uses the primary key. */
export function keyCondition(cols: readonly string[], op: '>' | '<=', values: readonly unknown[], params: unknown[]): string {
  const strict = op === '>' ? '>' : '<';
  const ors: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const ands: string[] = [];
    for (let j = 0; j < i; j++) { ands.push(`${quoteId(cols[j]!)} = ?`); params.push(values[j]); }
    const last = i === cols.length - 1 && op === '<=' ? '<=' : strict;
    ands.push(`${quoteId(cols[i]!)} ${last} ?`);
    params.push(values[i]);
    ors.push(ands.length === 1 ? ands[0]! : `(${ands.join(' AND ')})`);
  }
  return ors.length === 1 ? ors[0]! : `(${ors.join(' OR ')})`;
}

/** Key values as query parameters: big integers and decimals as literals, so that no comparison goes through a double. */
export function keyParams(codec: RowCodec, values: readonly unknown[]): unknown[] {
  return codec.primaryKey.map((name, i) => {
    const v = values[i];
    if (typeof v !== 'string') return v;
    const col = codec.def.columns.find((c) => c.name === name)!;
    const kind = mapColumn(col).kind;
    if (kind === 'float64' || kind === 'float32') return toDouble(v); // exact text → the number, escaped in its shortest exact form
    return (kind === 'int64' || kind === 'decimal' || kind === 'int') && /^-?\d+(\.\d+)?$/.test(v) ? raw(v) : v;
  });
}

export async function* readSnapshot(input: SnapshotInput): AsyncGenerator<ChangeBatch> {
  const { log, metrics, maxEvents, position } = input;
  const tracker = new ProgressTracker(input.progress);
  const copied = new Map<string, number>();
  const started = Date.now();
  const gCopied = metrics.gauge('snapshot_rows_copied', 'Rows copied by the snapshot so far', ['table']);
  const gTotal = metrics.gauge('snapshot_rows_total_estimate', 'Rows of the table according to information_schema (an estimate)', ['table']);
  for (const id of input.tables) {
    const key = tableKey(id);
    copied.set(key, 0);
    gTotal.set({ table: key }, input.estimates.get(key) ?? 0);
  }
  const out = new Channel<Part>(input.txns.connections.length + 1, { weigh: (p) => eventsBytes(p.events), capacityWeight: input.readAheadBytes ?? Infinity });
  const nextUnit = unitSource(input, tracker);
  let stopping = false;
  /** Approximate bytes per event of each table, from its last page read (readRange's page size). */
  const rowBytes = new Map<string, number>();

  const worker = async (conn: Connection, at: Position): Promise<void> => {
    for (;;) {
      if (stopping) return;
      const unit = await nextUnit();
      if (unit === null) return;
      if (unit.seq < 0) await readWhole(conn, unit, input, out, at);
      else await readRange(conn, unit, input, out, at, rowBytes);
    }
  };
  const workers = Promise.all(input.txns.connections.map((c, i) => worker(c, input.txns.positions[i] ?? input.txns.position)))
    .then(() => out.close(), (e: unknown) => out.fail(e));

  const report = () => {
    const secs = (Date.now() - started) / 1000;
    for (const [key, n] of copied) {
      const p = tracker.get(key);
      if (n === 0 || p?.done) continue;
      const total = input.estimates.get(key) ?? 0;
      const rate = n / Math.max(secs, 0.001);
      log.info({ table: key, rowsCopied: n, rowsTotalEstimate: total, rowsPerSecond: Math.round(rate), etaSeconds: total > n ? Math.round((total - n) / rate) : 0 }, `snapshot of ${key}: ${n} of ~${total} rows`);
    }
  };
  const timer = setInterval(report, input.progressIntervalMs ?? 5000);
  timer.unref();
  const onAbort = () => out.close();
  input.signal.addEventListener('abort', onAbort);

  let state = snapshotStateRecord({ position, tables: tracker.snapshot() });
  let pending: ChangeBatch | null = null;
  const markers = new SnapshotMarkers(input.fresh);
  let total = 0;
  try {
    for (;;) {
      let part: Part | undefined;
      try {
        part = await out.take();
      } catch (e: unknown) {
        if (input.signal.aborted) return;
        throw e instanceof FerryError ? e : snapshotReadError(e);
      }
      if (part === undefined || input.signal.aborted) break;
      const key = part.unit.key;
      const n = (copied.get(key) ?? 0) + part.events.length;
      copied.set(key, n);
      total += part.events.length;
      gCopied.set({ table: key }, n);
      markers.markNext(key, part.events);
      for (let i = 0; i < part.events.length || i === 0; i += maxEvents) {
        const events = part.events.length <= maxEvents ? part.events : part.events.slice(i, i + maxEvents);
        if (part.final && i + maxEvents >= part.events.length) {
          const keylessAt = input.keylessReadAt !== undefined && part.unit.codec.primaryKey.length === 0 ? part.at : undefined;
          if (keylessAt !== undefined) input.keylessReadAt!.set(key, keylessAt);
          if (part.unit.seq < 0) tracker.tableDone(key, keylessAt);
          else tracker.chunkDone(key, part.unit.seq, part.unit.hi === null ? null : part.unit.hi.map(encodeKeyValue));
          state = snapshotStateRecord({ position, tables: tracker.snapshot() });
          if (tracker.get(key)?.done) log.info({ table: key, rows: n }, `snapshot of ${key} finished: ${n} rows`);
        }
        if (events.length === 0) continue;
        const batch: ChangeBatch = { events, checkpoint: position, state };
        if (pending) yield pending;
        pending = batch;
      }
    }
    if (input.signal.aborted) return;
    // The snapshot's last event is marked 'last', and its batch ends the snapshot.
    const last: ChangeBatch = pending ?? { events: [], checkpoint: position };
    const evs = markers.markLast(last.events);
    pending = null;
    const secs = (Date.now() - started) / 1000;
    log.info({ rows: total, seconds: Math.round(secs * 10) / 10, rowsPerSecond: Math.round(total / Math.max(secs, 0.001)) }, `snapshot finished: ${total} rows in ${secs.toFixed(1)} s`);
    yield { events: evs, checkpoint: position, snapshotDone: true, state }; // the state: a keyless table finished in this batch keeps its `at`
  } finally {
    clearInterval(timer);
    input.signal.removeEventListener('abort', onAbort);
    stopping = true;
    out.close();
    await input.txns.close();
    await workers.catch(() => undefined);
  }
}

/** Hands out chunks table by table, in load order; one at a time (the splitter connection is shared). */
function unitSource(input: SnapshotInput, tracker: ProgressTracker): () => Promise<Unit | null> {
  let t = 0;
  let seq = 0;
  let lo: readonly unknown[] | null = null;
  let started = false;
  let chain: Promise<unknown> = Promise.resolve();
  const next = async (): Promise<Unit | null> => {
    for (; t < input.tables.length; t++, started = false) {
      const id = input.tables[t]!;
      const key = tableKey(id);
      const codec = input.codecs.get(key)!;
      const progress = tracker.get(key);
      if (progress?.done) continue;
      if (codec.primaryKey.length === 0) {
        t++;
        return { key, id, codec, seq: -1, lo: null, hi: null };
      }
      if (!started) {
        started = true;
        seq = 0;
        lo = progress?.after ? progress.after.map((v) => decodeKeyValue(v)) : null;
      }
      const pk = codec.primaryKey;
      const params: unknown[] = [];
      const where = lo ? `WHERE ${keyCondition(pk, '>', keyParams(codec, lo), params)}` : '';
      const sql = `SELECT ${pk.map(quoteId).join(', ')} FROM ${quoteId(id.schema)}.${quoteId(id.table)} ${where} ORDER BY ${pk.map(quoteId).join(', ')} LIMIT 1 OFFSET ${input.chunkSize - 1}`;
      const [rows] = await input.splitter.query<RowDataPacket[]>({ sql, values: params });
      const unit: Unit = { key, id, codec, seq: seq++, lo, hi: rows[0] ? pk.map((c) => rows[0]![c]) : null };
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

function makeEvents(rows: Row[], unit: Unit, input: SnapshotInput): ChangeEvent[] {
  const now = Date.now();
  const table = unit.codec.schema;
  const source: SourceInfo = { connector: input.connector, name: input.topicPrefix, tsMs: now, snapshot: 'true', db: unit.id.schema, table: unit.id.table, position: input.position };
  const codec = unit.codec;
  const events = new Array<ChangeEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const after = codec.convert(rows[i]!);
    events[i] = { op: 'r', key: codec.keyOf(after), before: null, after, source, tsMs: now, table };
  }
  return events;
}

async function readRange(conn: Connection, unit: Unit, input: SnapshotInput, out: Channel<Part>, at: Position, rowBytes: Map<string, number>): Promise<void> {
  const { codec, id } = unit;
  const pk = codec.primaryKey;
  const from = `${quoteId(id.schema)}.${quoteId(id.table)}`;
  const order = pk.map(quoteId).join(', ');
  let cursor = unit.lo;
  for (;;) {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (cursor) conds.push(keyCondition(pk, '>', keyParams(codec, cursor), params));
    if (unit.hi) conds.push(keyCondition(pk, '<=', keyParams(codec, unit.hi), params));
    // A chunk holds about chunkSize rows (more if rows were inserted since it was cut): read it in one query
    // unless it grew past twice that; the open-ended last chunk of a table is paged by chunkSize. With a read-ahead
    // budget a page also holds at most half of it (by the table's last page), so wide rows are read in more pages
    // instead of a whole chunk held at once.
    const whole = unit.hi ? input.chunkSize * 2 : input.chunkSize;
    const per = rowBytes.get(unit.key);
    const limit = per !== undefined && input.readAheadBytes !== undefined ? Math.max(100, Math.min(whole, Math.floor(input.readAheadBytes / 2 / per))) : whole;
    const sql = `SELECT ${codec.selectList} FROM ${from}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`;
    const [rows] = await conn.query<RowDataPacket[]>({ sql, values: params });
    const more = rows.length === limit;
    if (rows.length > 0) {
      const lastRow = rows[rows.length - 1]!;
      cursor = pk.map((c) => lastRow[c]);
    }
    const events = makeEvents(rows as Row[], unit, input);
    if (events.length > 0) rowBytes.set(unit.key, eventsBytes(events) / events.length);
    if (!(await out.put({ unit, events, final: !more, at }))) return;
    if (!more) return;
  }
}

async function readWhole(conn: Connection, unit: Unit, input: SnapshotInput, out: Channel<Part>, at: Position): Promise<void> {
  const core = (conn as unknown as { connection: { query(sql: string): { stream(o: object): Readable } } }).connection;
  const stream = core.query(`SELECT ${unit.codec.selectList} FROM ${quoteId(unit.id.schema)}.${quoteId(unit.id.table)}`).stream({ highWaterMark: Math.min(input.chunkSize, 10000) });
  let rows: Row[] = [];
  try {
    for await (const row of stream) {
      rows.push(row as Row);
      if (rows.length >= input.chunkSize) {
        if (!(await out.put({ unit, events: makeEvents(rows, unit, input), final: false, at }))) return;
        rows = [];
      }
    }
  } finally {
    stream.destroy();
  }
  await out.put({ unit, events: makeEvents(rows, unit, input), final: true, at });
}

export type { EncodedKey };

/**
 * A failed snapshot read as its FerryError. Error 1412 (ER_TABLE_DEF_CHANGED): DDL on the table after the snapshot's
 * transaction began; that transaction can never read the table again, so retrying it is pointless.
 */
function snapshotReadError(e: unknown): FerryError {
  const err = e as { errno?: number; sql?: string };
  if (err.errno === 1412) {
    const table = /FROM `((?:[^`]|``)+)`\.`((?:[^`]|``)+)`/.exec(err.sql ?? '');
    const name = table ? `${table[1]!.replace(/``/g, '`')}.${table[2]!.replace(/``/g, '`')}` : 'a captured table';
    return new FerryError('FERRY_SOURCE_DDL_DURING_SNAPSHOT',
      `${name} was altered (DDL) while the initial snapshot was reading it: the snapshot's transaction cannot read it any more (${errorMessage(e)}). ` +
      'Restart the task: the snapshot is taken again from the start, at a new position. Avoid DDL on captured tables during the full load',
      { cause: e, details: { table: name } });
  }
  return new FerryError('FERRY_SOURCE_ERROR', `snapshot read failed: ${errorMessage(e)}`, { cause: e });
}
