/**
 * Binlog streaming: zongji events → ChangeBatches.
 *
 *  - One batch per transaction, its checkpoint the position after the commit (XID, or COMMIT for
 *    non-transactional tables); a transaction with more than maxEvents events is split into batches whose
 *    checkpoint is null except the last. Transactions touching no captured table only move the position, reported
 *    by a checkpoint-only batch at most once a second.
 *  - DDL (standalone QUERY events) goes to the SchemaTracker while the connection is paused; TRUNCATE gives one
 *    op 't' event. Its checkpoint includes the DDL's GTID.
 *  - Backpressure: zongji pushes, so the connection is paused while more than 4 × maxEvents events wait here.
 *  - A lost connection reconnects from the last transaction boundary (a few times, with backoff); a purged binlog
 *    position is a 'resnapshot' error.
 */
import type ZongJi from '@vlasky/zongji';
import type { BinlogEvent, DeleteRowsEvent, MariadbGtidEvent, QueryEvent, TableMapEvent, UpdateRowsEvent, WriteRowsEvent } from '@vlasky/zongji';
import type { Connection } from 'mysql2/promise';
import { FerryError, errorMessage } from '../../../runtime/src/core/errors.ts';
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, Position, ReadPacing, Row, SourceInfo } from '../../../runtime/src/core/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { MySqlConnectionConfig } from './mysql-connection.ts';
import type { SchemaHistory } from './schema-history.ts';
import { addGtid, createBinlogClient, forgetTable, holdReads, pauseConnection, type BinlogStart, type TableMapEntryX } from './binlog-client.ts';
import { compareLogOrder, parseBinlogPosition, positionKey, withGtid } from './binlog-position.ts';
import { binlogError, isConnectionLoss } from './binlog-errors.ts';
import { keyValueEquals, type RowCodec } from './row-codec.ts';
import { SchemaTracker } from './schema-tracker.ts';

export interface StreamInput {
  readonly cfg: MySqlConnectionConfig;
  readonly serverId: number;
  readonly connector: 'mysql' | 'mariadb';
  readonly isMariaDb: boolean;
  readonly topicPrefix: string;
  readonly selector: TableSelector;
  readonly start: Position;
  readonly history: SchemaHistory;
  readonly control: Connection;
  readonly maxEvents: number;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  /** Registers a cleanup for SourceConnector.close(); returns its unregistration. */
  readonly onClose: (f: () => Promise<void>) => () => void;
  /** Reconnect attempts after a lost connection before the error goes to the runtime; default 5. */
  readonly reconnectAttempts?: number;
  readonly idleCheckpointMs?: number;
  /** The runtime's read pacing (SourceContext.pacing): while held, the binlog socket is left unread. */
  readonly pacing?: ReadPacing;
}

interface Boundary { file: string; pos: number; gtid: string | undefined }

export async function* streamBinlog(input: StreamInput): AsyncGenerator<ChangeBatch> {
  // The control connection idles between DDLs for as long as the task runs: keep the server from closing it.
  await input.control.query('SET SESSION wait_timeout = 31536000').catch(() => undefined);
  const tracker = new SchemaTracker({ history: input.history, selector: input.selector, control: input.control, isMariaDb: input.isMariaDb, log: input.log });
  await tracker.init(positionKey(input.start));
  const reader = new BinlogReader(input, tracker);
  yield* reader.run();
}

class BinlogReader {
  readonly #in: StreamInput;
  readonly #tracker: SchemaTracker;
  #zongji: ZongJi | null = null;
  readonly #queue: Array<{ events: ChangeEvent[]; checkpoint: Position | null }> = [];
  #queued = 0;
  #wake: (() => void) | null = null;
  #error: unknown = null;
  readonly #pauses = new Set<string>();
  /** Position after the last complete transaction seen; gtid undefined = read zongji's (unchanged since). */
  #boundary: Boundary;
  #boundaryGtidKnown = true;
  #boundaryPos: Position | null = null;
  #emitted = '';
  // the transaction being read
  #events: ChangeEvent[] = [];
  #open = false;
  #partial = false;
  #txStart: Position | null = null;
  #gtid: string | undefined;
  #serverId = 0;
  #ddlInTx = 0;

  constructor(input: StreamInput, tracker: SchemaTracker) {
    this.#in = input;
    this.#tracker = tracker;
    const c = parseBinlogPosition(input.start);
    this.#boundary = { file: c.file, pos: c.pos, gtid: c.gtid };
    this.#emitted = positionKey(input.start);
  }

  async *run(): AsyncGenerator<ChangeBatch> {
    const { signal, log } = this.#in;
    const high = this.#in.maxEvents * 4;
    const onAbort = () => this.#notify();
    signal.addEventListener('abort', onAbort);
    const unregister = this.#in.onClose(async () => { this.#stop(); this.#notify(); });
    const unpace = this.#in.pacing?.subscribe((held) => holdReads(this.#zongji, held, this.#pauses.size === 0));
    const idle = setInterval(() => this.#idleCheckpoint(), this.#in.idleCheckpointMs ?? 1000);
    idle.unref();
    let attempts = 0;
    this.#connect();
    log.info({ position: this.#in.start }, `streaming the binlog from ${this.#in.start}`);
    try {
      for (;;) {
        if (signal.aborted) return;
        const batch = this.#queue.shift();
        if (batch) {
          this.#queued -= batch.events.length;
          if (this.#queued <= this.#in.maxEvents) this.#pause('backpressure', false);
          if (batch.checkpoint !== null) attempts = 0;
          yield batch;
          continue;
        }
        if (this.#error !== null) {
          const err = this.#error;
          this.#error = null;
          if (!isConnectionLoss(err) || attempts >= (this.#in.reconnectAttempts ?? 5)) throw binlogError(err, this.#boundaryPosition());
          attempts++;
          const delay = Math.min(500 * 2 ** attempts, 15000);
          log.warn({ err: errorMessage(err), attempt: attempts, delayMs: delay, position: this.#boundaryPosition() }, 'binlog connection lost; reconnecting from the last transaction boundary');
          this.#stop();
          await new Promise<void>((r) => { const t = setTimeout(r, delay); signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });
          if (signal.aborted) return;
          this.#connect();
          continue;
        }
        if (this.#queued > high) this.#pause('backpressure', true);
        await new Promise<void>((r) => { this.#wake = r; });
      }
    } finally {
      clearInterval(idle);
      unpace?.();
      signal.removeEventListener('abort', onAbort);
      unregister();
      this.#stop();
    }
  }

  #connect(): void {
    const b = this.#boundary;
    const gtid = this.#boundaryGtidKnown ? b.gtid : this.#zongji?.gtidSet;
    const start: BinlogStart = gtid ? { gtidSet: gtid } : { filename: b.file, position: b.pos };
    this.#events = [];
    this.#open = false;
    this.#partial = false;
    this.#pauses.clear();
    this.#zongji = createBinlogClient(this.#in.cfg, this.#in.serverId, start, {
      captured: (db, table) => this.#tracker.isSelected(db, table),
      codecFor: (ev) => this.#codecFor(ev),
      onEvent: (ev) => this.#onEvent(ev),
      onError: (e) => { this.#error ??= e; this.#notify(); },
    });
  }

  #stop(): void {
    const z = this.#zongji;
    this.#zongji = null;
    if (z) {
      z.removeAllListeners('binlog');
      z.stop();
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #pause(reason: string, on: boolean): void {
    const before = this.#pauses.size > 0;
    if (on) this.#pauses.add(reason);
    else this.#pauses.delete(reason);
    const after = this.#pauses.size > 0;
    if (before !== after && this.#zongji) pauseConnection(this.#zongji, after);
  }

  /**
   * Queues a batch. While the consumer is behind, complete transactions are appended to the last queued batch
   * when it also ends at a transaction boundary (fewer, fuller batches; a batch still never splits a transaction).
   */
  #push(batch: { events: ChangeEvent[]; checkpoint: Position | null }): void {
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.checkpoint !== null && batch.checkpoint !== null && last.events.length + batch.events.length <= this.#in.maxEvents) {
      for (const e of batch.events) last.events.push(e);
      last.checkpoint = batch.checkpoint;
    } else {
      this.#queue.push(batch);
    }
    this.#queued += batch.events.length;
    if (batch.checkpoint !== null) this.#emitted = positionKey(batch.checkpoint);
    if (this.#queued > this.#in.maxEvents * 4) this.#pause('backpressure', true);
    this.#notify();
  }

  #boundaryPosition(): Position {
    if (this.#boundaryPos !== null) return this.#boundaryPos;
    const b = this.#boundary;
    if (!this.#boundaryGtidKnown) {
      b.gtid = this.#zongji?.gtidSet ?? b.gtid;
      this.#boundaryGtidKnown = true;
    }
    return (this.#boundaryPos = withGtid(b, b.gtid));
  }

  #setBoundary(b: Boundary, gtidKnown: boolean): void {
    this.#boundary = b;
    this.#boundaryGtidKnown = gtidKnown;
    this.#boundaryPos = null;
  }

  /** A checkpoint-only batch when transactions of uncaptured tables moved the position (at most once a tick). */
  #idleCheckpoint(): void {
    if (this.#open || this.#partial || this.#error !== null || !this.#zongji) return;
    const pos = this.#boundaryPosition();
    if (compareLogOrder(pos, this.#emitted) <= 0) return;
    this.#push({ events: [], checkpoint: pos });
  }

  #codecFor(ev: TableMapEvent): RowCodec | Promise<RowCodec> {
    const key = `${ev.schemaName}.${ev.tableName}`;
    const codec = this.#tracker.get(key);
    if (codec && codec.def.columns.length === ev.columnCount) return codec;
    const reason = codec ? `the binlog has ${ev.columnCount} columns for ${key} but Ferry's schema has ${codec.def.columns.length}` : `no schema for ${key} in the history`;
    const posKey = positionKey(this.#boundaryPosition());
    this.#pause('fetch', true);
    return this.#tracker.recover({ schema: ev.schemaName, table: ev.tableName }, posKey, ev.columnCount, reason).then((c) => {
      // zongji resumes the connection itself once the table map is attached; resuming here would let row events
      // through before it is, and zongji drops rows of unmapped tables
      this.#pauses.delete('fetch');
      if (c) return c;
      throw new FerryError('FERRY_SOURCE_ERROR', `cannot decode rows of ${key}: ${reason}, and information_schema does not match the binlog either (the table changed again since). Restart the task with full-load-and-cdc after deleting its offset and state folder`, { disposition: 'resnapshot' });
    });
  }

  #onEvent(ev: BinlogEvent): void {
    // zongji resumes the connection after a table-map lookup whatever else wants it paused
    if (this.#pauses.size > 0 && this.#zongji) pauseConnection(this.#zongji, true);
    switch (ev.getEventName()) {
      case 'writerows':
      case 'updaterows':
      case 'deleterows':
        this.#rows(ev as WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent);
        return;
      case 'xid':
        this.#commit();
        return;
      case 'mariadbgtid': {
        const g = ev as MariadbGtidEvent;
        this.#begin(g.gtid, g.serverId, !g.standalone);
        return;
      }
      case 'gtid':
        this.#begin(ev.gtid, 0, false);
        return;
      case 'query':
        this.#query(ev as QueryEvent);
        return;
      case 'xaprepare':
        this.#commit();
        return;
    }
  }

  #begin(gtid: string | undefined, serverId: number, opensTransaction: boolean): void {
    if (this.#events.length > 0) this.#flush(null); // a group that ended without a commit marker Ferry saw
    this.#gtid = gtid;
    this.#serverId = serverId;
    this.#open = opensTransaction;
    this.#txStart = null;
    this.#ddlInTx = 0;
  }

  #query(ev: QueryEvent): void {
    const q = ev.query;
    const head = q.slice(0, 12).trimStart().toUpperCase();
    if (head.startsWith('BEGIN')) { this.#open = true; return; }
    if (head.startsWith('COMMIT') || (head.startsWith('ROLLBACK') && !/^\s*ROLLBACK\s+TO/i.test(q))) { this.#commit(); return; }
    if (head.startsWith('XA COMMIT') || head.startsWith('XA ROLLBACK')) { this.#commit(); return; }
    if (head.startsWith('XA ') || head.startsWith('SAVEPOINT') || head.startsWith('ROLLBACK')) return;
    this.#ddl(ev);
  }

  #ddl(ev: QueryEvent): void {
    const z = this.#zongji!;
    const inTransaction = this.#open;
    const file = z.options.filename!;
    const pos = z.options.position!;
    const gtid = addGtid(z.gtidSet, ev.gtid, this.#in.isMariaDb);
    // Inside a transaction (CREATE ... SELECT) MariaDB gives no event its own end position: number the DDLs
    // after the transaction's start instead, so that each still has its own history key.
    const posKey = positionKey(withGtid({ file, pos }, undefined)) + (inTransaction ? `#${++this.#ddlInTx}` : '');
    this.#pause('ddl', true);
    this.#tracker.applyDdl(ev.query, ev.schema, posKey).then((r) => {
      if (this.#zongji !== z) return;
      for (const id of r.changed) forgetTable(z, id.schema, id.table);
      for (const codec of r.truncated) {
        this.#events.push({ op: 't', key: null, before: null, after: null, source: this.#source(codec, ev.timestamp, 0), tsMs: Date.now(), table: codec.schema });
      }
      if (!inTransaction) {
        this.#setBoundary({ file, pos, gtid }, true);
        if (this.#events.length > 0 || r.changed.length > 0) this.#flush(withGtid({ file, pos }, gtid));
      }
      this.#pause('ddl', false);
    }, (e: unknown) => { this.#error ??= e; this.#notify(); });
  }

  #source(codec: RowCodec, tsMs: number, row: number): SourceInfo {
    if (this.#txStart === null) this.#txStart = this.#boundaryPosition();
    const b = this.#boundary;
    const id = codec.schema.id;
    return {
      connector: this.#in.connector, name: this.#in.topicPrefix, tsMs, snapshot: 'false', db: id.schema, table: id.table,
      ...(this.#gtid !== undefined ? { txId: this.#gtid } : {}),
      position: this.#txStart,
      extra: { file: b.file, pos: b.pos, row, server_id: this.#serverId, gtid: this.#gtid ?? null },
    };
  }

  #rows(ev: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent): void {
    const entry = (ev.tableMap as Record<number, TableMapEntryX>)[ev.tableId];
    const codec = entry?.ferryCodec;
    if (!codec) return;
    const now = Date.now();
    const table = codec.schema;
    let out = this.#events;
    const max = this.#in.maxEvents;
    const kind = ev.getEventName();
    const perRow = kind === 'updaterows' ? 2 : 1; // an update changing the key gives two events
    for (let i = 0; i < ev.rows.length; i++) {
      if (out.length + perRow > max && out.length > 0) {
        this.#flush(null);
        out = this.#events;
      }
      const source = this.#source(codec, ev.timestamp, i);
      if (kind === 'writerows') {
        const after = codec.convert(ev.rows[i] as Row);
        out.push({ op: 'c', key: codec.keyOf(after), before: null, after, source, tsMs: now, table });
      } else if (kind === 'deleterows') {
        const before = codec.convert(ev.rows[i] as Row);
        out.push({ op: 'd', key: codec.keyOf(before), before, after: null, source, tsMs: now, table });
      } else {
        const r = (ev as UpdateRowsEvent).rows[i]!;
        const before = codec.convert(r.before);
        const after = codec.convert(r.after);
        const oldKey = codec.keyOf(before);
        const newKey = codec.keyOf(after);
        if (oldKey !== null && newKey !== null && codec.primaryKey.some((k) => !keyValueEquals(oldKey[k], newKey[k]))) {
          // a primary-key change is a delete of the old key and a create of the new one, as Debezium emits it
          out.push({ op: 'd', key: oldKey, before, after: null, source, tsMs: now, table });
          out.push({ op: 'c', key: newKey, before: null, after, source, tsMs: now, table });
        } else {
          out.push({ op: 'u', key: newKey, before, after, source, tsMs: now, table });
        }
      }
    }
    if (out.length >= max) this.#flush(null);
  }

  #commit(): void {
    const z = this.#zongji;
    if (!z) return;
    this.#setBoundary({ file: z.options.filename!, pos: z.options.position!, gtid: undefined }, false);
    if (this.#events.length > 0 || this.#partial) this.#flush(this.#boundaryPosition());
    this.#open = false;
    this.#partial = false;
    this.#txStart = null;
    this.#gtid = undefined;
    this.#ddlInTx = 0;
  }

  #flush(checkpoint: Position | null): void {
    const events = this.#events;
    this.#events = [];
    if (checkpoint === null) this.#partial = true;
    this.#push({ events, checkpoint });
  }
}
