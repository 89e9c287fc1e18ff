/**
 * Binlog streaming: binlog-client.ts events → ChangeBatches.
 *
 *  - One batch per transaction, its checkpoint the position after the commit (XID, or COMMIT for
 *    non-transactional tables); a transaction with more than maxEvents events is split into batches whose
 *    checkpoint is null except the last. Transactions touching no captured table only move the position, reported
 *    by a checkpoint-only batch at most once a second.
 *  - DDL (standalone QUERY events) goes to the SchemaTracker while the connection is paused; TRUNCATE gives one
 *    op 't' event. Its checkpoint includes the DDL's GTID. A DDL that changed captured tables also gives one
 *    SchemaChange per database it changed (Debezium's schema-change topic), on the batch that ends at it, unless
 *    includeSchemaChanges is false.
 *  - Backpressure: the binlog client pushes, so its socket is left unread while more than 4 × maxEvents events wait
 *    here; read pacing (SourceContext.pacing) holds the socket the same way.
 *  - The GTID state of each checkpoint is the start state plus every group completed since.
 *  - A lost connection reconnects from the last transaction boundary (a few times, with backoff); a purged binlog
 *    position is a 'resnapshot' error.
 */
import type { Connection } from 'mysql2/promise';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, Position, ReadPacing, Row, SourceHealth, SchemaChange, SourceInfo, TableId } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { MySqlConnectionConfig } from './mysql-connection.ts';
import type { SchemaHistory } from './schema-history.ts';
import { BinlogClient, type BinlogEvent, type BinlogStart } from './binlog-client.ts';
import { columnNamesDiffer } from './binlog/table-map-metadata.ts';
import type { TableMap } from './binlog/binlog-events.ts';
import { addGtid } from './binlog/gtid.ts';
import { compareLogOrder, currentBinlogPosition, parseBinlogPosition, positionKey, withGtid } from './binlog-position.ts';
import { binlogError, isConnectionLoss } from './binlog-errors.ts';
import { keyValueEquals, type RowCodec } from './row-codec.ts';
import { SchemaTracker } from './schema-tracker.ts';
import { STREAM_CONTROL_SESSION } from './reconnecting-control.ts';
import { BinlogWindow } from './cdc-stop.ts';
import type { CdcStop } from '../../../runtime/src/config/cdc-window-settings.ts';

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
  /** Heartbeat period of the binlog connection (binlog-client.ts); default 30 s. */
  readonly heartbeatMs?: number;
  /** The runtime's readiness (SourceContext.health): connected once the server streams, reconnecting while it waits. */
  readonly health?: SourceHealth;
  /** Debezium's include.schema.changes: a SchemaChange per DDL that changed captured tables; default true. */
  readonly includeSchemaChanges?: boolean;
  /** settings.cdcStartTime: transactions committed before this time (ms) are skipped, up to the first one at or after it. */
  readonly skipBeforeMs?: number | null;
  /** settings.cdcStopPosition: the stream ends at this point (cdc-stop.ts). */
  readonly stop?: CdcStop | null;
}

type QueuedBatch = { events: ChangeEvent[]; checkpoint: Position | null; schemaChanges?: SchemaChange[]; stopReached?: string };

interface Boundary { file: string; pos: number; gtid: string | undefined }

export async function* streamBinlog(input: StreamInput): AsyncGenerator<ChangeBatch> {
  // The control connection idles between DDLs for as long as the task runs: keep the server from closing it (a lost
  // one is reopened with the same setting: reconnecting-control.ts).
  await input.control.query(STREAM_CONTROL_SESSION).catch(() => undefined);
  const tracker = new SchemaTracker({ history: input.history, selector: input.selector, control: input.control, isMariaDb: input.isMariaDb, log: input.log });
  await tracker.init(positionKey(input.start));
  const reader = new BinlogReader(input, tracker);
  yield* reader.run();
}

class BinlogReader {
  readonly #in: StreamInput;
  readonly #tracker: SchemaTracker;
  #client: BinlogClient | null = null;
  readonly #queue: QueuedBatch[] = [];
  #queued = 0;
  #wake: (() => void) | null = null;
  #error: unknown = null;
  #backpressure = false;
  /** Position after the last complete transaction seen. */
  #boundary: Boundary;
  #boundaryPos: Position | null = null;
  /** The GTID state after the last complete group (undefined when the start position carried none). */
  #gtidState: string | undefined;
  #emitted = '';
  // the transaction being read
  #events: ChangeEvent[] = [];
  #open = false;
  #partial = false;
  #txStart: Position | null = null;
  #gtid: string | undefined;
  #serverId = 0;
  #ddlInTx = 0;
  /** Schema changes of the DDLs read since the last flush: they go with the next batch. */
  #schemaChanges: SchemaChange[] = [];
  /** settings.cdcStartTime / cdcStopPosition (cdc-stop.ts); null without them. */
  readonly #window: BinlogWindow | null;
  /** Where the current transaction began (with a window only). */
  #txBegin: Position | null = null;

  constructor(input: StreamInput, tracker: SchemaTracker) {
    this.#in = input;
    this.#tracker = tracker;
    const c = parseBinlogPosition(input.start);
    this.#boundary = { file: c.file, pos: c.pos, gtid: c.gtid };
    this.#gtidState = c.gtid;
    this.#emitted = positionKey(input.start);
    this.#window = input.stop || input.skipBeforeMs != null
      ? new BinlogWindow({ stop: input.stop ?? null, skipBeforeMs: input.skipBeforeMs ?? null, log: input.log, serverEnd: () => currentBinlogPosition(input.control, input.isMariaDb) })
      : null;
  }

  async *run(): AsyncGenerator<ChangeBatch> {
    const { signal, log } = this.#in;
    const high = this.#in.maxEvents * 4;
    const onAbort = () => this.#notify();
    signal.addEventListener('abort', onAbort);
    const unregister = this.#in.onClose(async () => { this.#stop(); this.#notify(); });
    const unpace = this.#in.pacing?.subscribe((held) => this.#client?.hold(held));
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
          if (this.#queued <= this.#in.maxEvents) this.#setBackpressure(false);
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
          this.#in.health?.reconnecting(`binlog connection lost (${errorMessage(err)}); reconnect attempt ${attempts} in ${delay} ms`);
          this.#stop();
          await sleep(delay, signal); // removes its abort listener when it ends, so reconnects leave none behind
          if (signal.aborted) return;
          this.#connect();
          continue;
        }
        if (this.#window?.done) return; // the stop point: its batch went out above
        if (this.#queued > high) this.#setBackpressure(true);
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
    const start: BinlogStart = b.gtid ? { gtidSet: b.gtid } : { filename: b.file, position: b.pos };
    this.#events = [];
    this.#schemaChanges = [];
    this.#open = false;
    this.#partial = false;
    this.#gtid = undefined;
    this.#gtidState = b.gtid;
    this.#backpressure = false;
    const client: BinlogClient = new BinlogClient({
      cfg: this.#in.cfg, serverId: this.#in.serverId, start, isMariaDb: this.#in.isMariaDb,
      ...(this.#in.heartbeatMs !== undefined ? { heartbeatMs: this.#in.heartbeatMs } : {}),
      handler: {
        captured: (db, table) => this.#tracker.isSelected(db, table),
        codecFor: (map) => this.#codecFor(map),
        onEvent: (ev): void | Promise<void> => (this.#client === client ? this.#onEvent(ev) : undefined),
        onError: (e) => { if (this.#client === client) { this.#error ??= e; this.#notify(); } },
        onStreaming: () => { if (this.#client === client) this.#in.health?.connected(); },
      },
    });
    this.#client = client;
    if (this.#in.pacing?.held) client.hold(true);
  }

  #stop(): void {
    const c = this.#client;
    this.#client = null;
    c?.stop();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #setBackpressure(on: boolean): void {
    if (this.#backpressure === on) return;
    this.#backpressure = on;
    this.#client?.pause(on);
  }

  /**
   * Queues a batch. While the consumer is behind, complete transactions are appended to the last queued batch
   * when it also ends at a transaction boundary (fewer, fuller batches; a batch still never splits a transaction).
   */
  #push(batch: QueuedBatch): void {
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.checkpoint !== null && batch.checkpoint !== null && last.events.length + batch.events.length <= this.#in.maxEvents) {
      for (const e of batch.events) last.events.push(e);
      if (batch.schemaChanges) (last.schemaChanges ??= []).push(...batch.schemaChanges);
      last.checkpoint = batch.checkpoint;
    } else {
      this.#queue.push(batch);
    }
    this.#queued += batch.events.length;
    if (batch.checkpoint !== null) this.#emitted = positionKey(batch.checkpoint);
    if (this.#queued > this.#in.maxEvents * 4) this.#setBackpressure(true);
    this.#notify();
  }

  #boundaryPosition(): Position {
    if (this.#boundaryPos !== null) return this.#boundaryPos;
    const b = this.#boundary;
    return (this.#boundaryPos = withGtid(b, b.gtid));
  }

  #setBoundary(file: string, pos: number): void {
    this.#boundary = { file, pos, gtid: this.#gtidState };
    this.#boundaryPos = null;
  }

  /** Folds the current group's GTID into the GTID state (the group is complete). */
  #endGroup(): void {
    if (this.#gtid !== undefined) this.#gtidState = addGtid(this.#gtidState, this.#gtid, this.#in.isMariaDb);
    this.#gtid = undefined;
  }

  /** A checkpoint-only batch when transactions of uncaptured tables moved the position (at most once a tick). */
  #idleCheckpoint(): void {
    if (this.#open || this.#partial || this.#error !== null || !this.#client) return;
    const pos = this.#boundaryPosition();
    if (this.#window?.idle(pos)) { this.#reachStop(pos); return; }
    if (compareLogOrder(pos, this.#emitted) <= 0) return;
    this.#push({ events: [], checkpoint: pos });
  }

  #codecFor(map: TableMap): RowCodec | Promise<RowCodec> {
    const key = `${map.schema}.${map.table}`;
    const codec = this.#tracker.get(key);
    // binlog_row_metadata=FULL (MySQL 8) names the columns: a history that disagrees would misplace values
    const misnamed = codec ? columnNamesDiffer(map.optional?.columnNames, codec.columnNames) : null;
    if (codec && codec.def.columns.length === map.columnCount && misnamed === null) return codec;
    const reason = !codec ? `no schema for ${key} in the history`
      : misnamed === null ? `the binlog has ${map.columnCount} columns for ${key} but Ferry's schema has ${codec.def.columns.length}`
        : `the binlog's column names for ${key} differ from Ferry's schema (${misnamed})`;
    const posKey = positionKey(this.#boundaryPosition());
    return this.#tracker.recover({ schema: map.schema, table: map.table }, posKey, map.columnCount, reason, map.optional?.columnNames).then((c) => {
      if (c) return c;
      throw new FerryError('FERRY_SOURCE_ERROR', `cannot decode rows of ${key}: ${reason}, and information_schema does not match the binlog either (the table changed again since). Restart the task with full-load-and-cdc after deleting its offset and state folder`, { disposition: 'resnapshot' });
    });
  }

  #onEvent(ev: BinlogEvent): void | Promise<void> {
    switch (ev.type) {
      case 'rows':
        this.#rows(ev);
        return;
      case 'xid':
      case 'xaprepare':
        this.#commit(ev.file, ev.pos);
        return;
      case 'gtid':
        this.#begin(ev.gtid, ev.serverId, this.#in.isMariaDb && !ev.standalone);
        this.#txOpens(ev.timestamp);
        return;
      case 'query':
        return this.#query(ev);
    }
  }

  #begin(gtid: string, serverId: number, opensTransaction: boolean): void {
    if (this.#events.length > 0) this.#flush(null); // a group that ended without a commit marker Ferry saw
    this.#endGroup();
    this.#gtid = gtid;
    this.#serverId = serverId;
    this.#open = opensTransaction;
    this.#txStart = null;
    this.#ddlInTx = 0;
  }

  #query(ev: Extract<BinlogEvent, { type: 'query' }>): void | Promise<void> {
    const q = ev.query;
    const head = q.slice(0, 12).trimStart().toUpperCase();
    if (head.startsWith('BEGIN')) { this.#open = true; if (this.#gtid === undefined) this.#txOpens(ev.timestamp); return; }
    if (head.startsWith('COMMIT') || (head.startsWith('ROLLBACK') && !/^\s*ROLLBACK\s+TO/i.test(q))) { this.#commit(ev.file, ev.pos); return; }
    if (head.startsWith('XA COMMIT') || head.startsWith('XA ROLLBACK')) { this.#commit(ev.file, ev.pos); return; }
    if (head.startsWith('XA ') || head.startsWith('SAVEPOINT') || head.startsWith('ROLLBACK')) return;
    return this.#ddl(ev);
  }

  /** A DDL: applied to the schema history while the stream waits (the rows after it need the new schema). */
  #ddl(ev: Extract<BinlogEvent, { type: 'query' }>): Promise<void> {
    const client = this.#client;
    const inTransaction = this.#open;
    const { file, pos } = ev;
    // Inside a transaction (CREATE ... SELECT) MariaDB gives no event its own end position: number the DDLs
    // after the transaction's start instead, so that each still has its own history key.
    const posKey = positionKey(withGtid({ file, pos }, undefined)) + (inTransaction ? `#${++this.#ddlInTx}` : '');
    return this.#tracker.applyDdl(ev.query, ev.schema, posKey).then((r) => {
      if (this.#client !== client || client === null) return;
      for (const id of r.changed) client.forgetTable(id.schema, id.table);
      for (const codec of this.#window?.skipping ? [] : r.truncated) {
        this.#events.push({ op: 't', key: null, before: null, after: null, source: this.#source(codec, ev.timestamp, 0), tsMs: Date.now(), table: codec.schema });
      }
      if (r.changed.length > 0 && this.#in.includeSchemaChanges !== false && !this.#window?.skipping) this.#schemaChange(ev.query, ev.timestamp, r.changed);
      if (!inTransaction) {
        this.#endGroup();
        this.#setBoundary(file, pos);
        if (this.#events.length > 0 || r.changed.length > 0) this.#flush(this.#boundaryPosition());
        this.#txStart = null;
      }
    });
  }

  /** One SchemaChange per database among `changed`, its `source.table` the changed tables of that database. */
  #schemaChange(ddl: string, tsMs: number, changed: readonly TableId[]): void {
    const byDb = new Map<string, string[]>();
    for (const id of changed) {
      const tables = byDb.get(id.schema) ?? [];
      if (!tables.includes(id.table)) tables.push(id.table);
      byDb.set(id.schema, tables);
    }
    const b = this.#boundary;
    const position = this.#txStart ?? this.#boundaryPosition();
    for (const [db, tables] of byDb) {
      this.#schemaChanges.push({
        databaseName: db, ddl,
        source: {
          connector: this.#in.connector, name: this.#in.topicPrefix, tsMs, snapshot: 'false', db, table: tables.join(','), position,
          extra: { file: b.file, pos: b.pos, row: 0, server_id: this.#serverId, gtid: this.#gtid ?? null },
        },
      });
    }
  }

  #source(codec: RowCodec, tsMs: number, row: number): SourceInfo {
    if (this.#txStart === null) this.#txStart = this.#boundaryPosition();
    const b = this.#boundary;
    const id = codec.schema.id;
    const gtid = this.#gtid;
    const extra = { file: b.file, pos: b.pos, row, server_id: this.#serverId, gtid: gtid ?? null };
    // Two literals rather than a spread of an optional txId: a spread clones through the runtime, once per row.
    return gtid !== undefined
      ? { connector: this.#in.connector, name: this.#in.topicPrefix, tsMs, snapshot: 'false', db: id.schema, table: id.table, txId: gtid, position: this.#txStart, extra }
      : { connector: this.#in.connector, name: this.#in.topicPrefix, tsMs, snapshot: 'false', db: id.schema, table: id.table, position: this.#txStart, extra };
  }

  #rows(ev: Extract<BinlogEvent, { type: 'rows' }>): void {
    if (this.#window?.skipping || this.#window?.done) return;
    const codec = ev.codec;
    const convert = ev.convert;
    const now = Date.now();
    const table = codec.schema;
    let out = this.#events;
    const max = this.#in.maxEvents;
    const kind = ev.kind;
    const perRow = kind === 'update' ? 2 : 1; // an update changing the key gives two events
    const rows = ev.rows;
    for (let i = 0; i < rows.length; i++) {
      if (out.length + perRow > max && out.length > 0) {
        this.#flush(null);
        out = this.#events;
      }
      const source = this.#source(codec, ev.timestamp, i);
      if (kind === 'write') {
        const after = convert(rows[i] as Row);
        out.push({ op: 'c', key: codec.keyOf(after), before: null, after, source, tsMs: now, table });
      } else if (kind === 'delete') {
        const before = convert(rows[i] as Row);
        out.push({ op: 'd', key: codec.keyOf(before), before, after: null, source, tsMs: now, table });
      } else {
        const r = rows[i] as { before: Row; after: Row };
        const before = convert(r.before);
        const after = convert(r.after);
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

  /** A transaction's first event (cdc-stop.ts): past the stop point, the stream ends before it. */
  #txOpens(tsMs: number): void {
    const w = this.#window;
    if (!w || !this.#client) return;
    this.#txBegin = this.#boundaryPosition();
    if (w.begin(this.#txBegin, tsMs)) this.#reachStop(this.#txBegin);
  }

  /** The stop point: what is queued goes out, then one last batch at `at`, and the stream ends. */
  #reachStop(at: Position): void {
    this.#events = [];
    this.#schemaChanges = [];
    this.#queue.push(this.#window!.finalBatch(at));
    this.#stop();
    this.#notify();
  }

  #commit(file: string, pos: number): void {
    if (!this.#client) return;
    if (this.#window?.commit(this.#txBegin, withGtid({ file, pos }, undefined), this.#partial) === 'drop') { this.#reachStop(this.#txBegin ?? this.#boundaryPosition()); return; }
    this.#endGroup();
    this.#setBoundary(file, pos);
    if (this.#events.length > 0 || this.#partial) this.#flush(this.#boundaryPosition());
    this.#open = false;
    this.#partial = false;
    this.#txStart = null;
    this.#ddlInTx = 0;
    if (this.#window?.afterCommit(this.#boundaryPosition())) this.#reachStop(this.#boundaryPosition());
  }

  #flush(checkpoint: Position | null): void {
    const events = this.#events;
    this.#events = [];
    if (checkpoint === null) this.#partial = true;
    const schemaChanges = this.#schemaChanges;
    if (schemaChanges.length > 0) this.#schemaChanges = [];
    this.#push(schemaChanges.length > 0 ? { events, checkpoint, schemaChanges } : { events, checkpoint });
  }
}
