/**
 * The MySQL/MariaDB source: snapshot (op 'r') unless resuming past it, then the binlog (c/u/d, and t for
 * TRUNCATE), as Debezium-compatible ChangeBatches. See docs/sources/mysql.md.
 *
 *   full-load          snapshot, then end (the last batch has snapshotDone and a checkpoint)
 *   cdc                stream from the stored position, or from the server's current position on a first run
 *   full-load-and-cdc  snapshot, then stream from the snapshot's position (no gap, no loss; duplicates possible); or,
 *                      lock-free (settings.snapshotLocking, snapshot-locking.ts), stream from the position read at
 *                      start with the tables read in key chunks between watermarks meanwhile (lock-free-snapshot.ts)
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { SourceBlock, SourceTaskOptions } from '../../../core/src/plugin.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeBatch, Logger, Position, SignalResult, SignalStatus, SourceConnector, SourceContext, SourceSignal, TableId } from '../../../core/src/types.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { estimateRows, listSelectedTables, readTableDefs, sameDef, tableKey } from './mysql-schema.ts';
import { codecFor, type RowCodec } from './row-codec.ts';
import { SchemaHistory, type HistoryEntry } from './schema-history.ts';
import { currentBinlogPosition, positionKey } from './binlog-position.ts';
import { openSnapshotTransactions, type SnapshotTransactions, type TransactionLock } from './consistent-snapshot.ts';
import { AUTO_LOCK_WAIT_S, lockFreeAfterRefusal, planSnapshot, type PlanOptions, type SnapshotPlan } from './snapshot-locking.ts';
import { InitialLoadProgress, lockFreeInitialIn } from './lock-free-snapshot.ts';
import { readSnapshot } from './snapshot.ts';
import { readSnapshotState, snapshotStateRecord, STATE_VERSION, type SnapshotState } from './snapshot-state.ts';
import { streamBinlog } from './binlog-stream.ts';
import { STREAM_CONTROL_SESSION, reconnectingControl } from './reconnecting-control.ts';
import { resolveBinlogStart } from './cdc-start-point.ts';
import { parseCdcWindow } from '../../../runtime/src/config/cdc-window-settings.ts';
import { mysqlSnapshotter, MySqlChunkSource, type IncrementalSnapshotter } from './incremental-snapshot.ts';
import { snapshotTablesProblem } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import { signalTableOf } from '../../../runtime/src/config/signal-settings.ts';
import type { MySqlTableDef } from './type-mapping.ts';
import { keylessReplayOf, keylessReplayOfProgress, withoutReplayedKeylessChanges } from '../../../runtime/src/snapshot/resumed-keyless.ts';
import { withMariaDbJsonAsString, type MariaDbJsonAs } from './json-columns.ts';
import { changesValues, withValueHandling } from './value-handling.ts';
import { defaultValueHandling, type ValueHandling } from '../../../core/src/value-handling.ts';

/** The task's source block as this source reads it (descriptor.ts fills serverId in). */
export type MySqlSourceConfig = SourceBlock & { readonly engine: 'mysql' | 'mariadb'; readonly serverId: number; readonly mariadbJsonAs?: MariaDbJsonAs | undefined; readonly includeSchemaChanges?: boolean | undefined;
  /** The task's value-handling settings, resolved (app/src/task-file/value-handling.ts); absent = the defaults. */
  readonly valueHandling?: ValueHandling | undefined };

export interface MySqlSourceOptions extends SourceTaskOptions {
  readonly config: MySqlSourceConfig;
  /** Milliseconds between snapshot progress lines; default 5000. */
  readonly progressIntervalMs?: number;
  /** Testing aid: milliseconds between opening the snapshot transactions, so their binlog positions differ. */
  readonly snapshotStaggerMs?: number;
  /** Testing aid: the binlog connection's heartbeat period (default 30 s; a silent connection is dead after 3). */
  readonly binlogHeartbeatMs?: number;
}

export function createMySqlSource(options: MySqlSourceOptions): SourceConnector {
  return new MySqlSource(options);
}

const START_ATTEMPTS = 5;

export class MySqlSource implements SourceConnector {
  readonly #o: MySqlSourceOptions;
  readonly #cfg: MySqlConnectionConfig;
  readonly #closers = new Set<() => Promise<void>>();
  readonly #incremental: IncrementalSnapshotter;
  /** The lock-free initial snapshot's progress lines, while it runs. */
  #initialProgress: InitialLoadProgress | null = null;

  constructor(options: MySqlSourceOptions) {
    this.#o = options;
    this.#cfg = { ...options.config };
    this.#incremental = mysqlSnapshotter({
      chunkSize: options.settings.snapshot.chunkSize, maxEvents: options.settings.batch.maxEvents, log: options.log,
      validate: (tables) => this.#validateSnapshotTables(tables), signalTable: signalTableOf(options.settings.signals),
      onInitialRows: (table, rows, done) => this.#initialProgress?.rows(table, rows, done),
    });
  }

  read(ctx: SourceContext): AsyncIterable<ChangeBatch> {
    let batches: AsyncIterable<ChangeBatch> = this.#read(ctx);
    if (this.#o.config.mariadbJsonAs === 'string') batches = withMariaDbJsonAsString(batches);
    const modes = this.#o.config.valueHandling ?? defaultValueHandling('mysql');
    return changesValues(modes) ? withValueHandling(batches, modes) : batches;
  }

  async *#read(ctx: SourceContext): AsyncGenerator<ChangeBatch> {
    const o = this.#o;
    const log = ctx.log;
    const control = await openMySql(this.#cfg);
    // While the binlog streams, the control connection reopens itself when lost (reconnecting-control.ts).
    let streamControl: Connection | null = null;
    const closeControl = async () => { (streamControl ?? control).destroy(); };
    this.#closers.add(closeControl);
    try {
      const [v] = await control.query<RowDataPacket[]>('SELECT VERSION() AS v');
      const isMariaDb = /mariadb/i.test(String(v[0]?.v));
      const connector = isMariaDb ? 'mariadb' : 'mysql';
      const history = new SchemaHistory(o.stateDir);
      const window = parseCdcWindow(o.settings, o.config.engine);
      const resume = ctx.resumeFrom;
      let start: Position;
      let keylessReplay: Map<string, Position> | null = null;
      const lockFreeResume = o.migrationType === 'full-load-and-cdc' && resume !== null && !resume.snapshotDone && lockFreeInitialIn(resume.state);
      const plan = o.migrationType !== 'cdc' && !resume?.snapshotDone && !lockFreeResume ? await this.#plan(control, isMariaDb, log) : null;
      if (lockFreeResume && resume) {
        // A lock-free initial snapshot was interrupted: the stream resumes at its checkpoint, the initial job after its
        // last committed chunk.
        start = resume.position;
        this.#incremental.restore(resume.state);
        this.#initialProgress = new InitialLoadProgress({ log, metrics: ctx.metrics, estimates: await estimateRows(control, await listSelectedTables(control, o.selector)), intervalMs: o.progressIntervalMs });
        log.info({ position: start }, 'resuming the interrupted snapshot (lock-free) after its last committed chunk');
      } else if (plan?.kind === 'lock-free' && readSnapshotState(resume?.state) === null) {
        const { position, tables } = await this.#startCdc(control, isMariaDb, history, log, undefined, 'snapshot');
        start = position;
        if (tables.length > 0) this.#incremental.queueInitial(tables.map(tableKey));
        this.#initialProgress = new InitialLoadProgress({ log, metrics: ctx.metrics, estimates: await estimateRows(control, tables), intervalMs: o.progressIntervalMs });
        log.info({ position, tables: tables.length, reason: plan.reason }, `lock-free snapshot of ${tables.length} tables from ${position}, read in key chunks while the binlog streams`);
        // As for the locked snapshot: the stream start is stored before the first row is sent (a restart continues
        // this snapshot from it rather than taking a new one).
        const st = this.#incremental.state();
        yield { events: [], checkpoint: position, ...(st ? { state: st } : {}), commitNow: true, ...(tables.length === 0 ? { snapshotDone: true } : {}) };
      } else if (plan !== null) {
        const snap = await this.#prepareSnapshot(control, isMariaDb, history, readSnapshotState(resume?.state), plan, log);
        // Keyless tables are read whole, each at its reading connection's snapshot position, which can be later than the
        // stream's start: the stream drops their changes from before that read (runtime/src/snapshot/resumed-keyless.ts).
        // Tables an interrupted snapshot finished keep the position they were read at; readSnapshot adds the others.
        keylessReplay = new Map();
        for (const t of snap.tables) {
          if (snap.codecs.get(tableKey(t))?.primaryKey.length !== 0) continue;
          const p = snap.state.tables[tableKey(t)];
          if (p?.done === true && p.at !== undefined) keylessReplay.set(tableKey(t), p.at);
        }
        const estimates = await estimateRows(control, snap.tables);
        if (snap.fresh && o.migrationType !== 'full-load') {
          // Store the stream-start position before the first row is sent: a crash before the first chunk commits then
          // resumes this snapshot (the binlog from here re-sends what changed since) instead of taking a new one at a
          // later position, which would leave the rows deleted in between on the topic/target.
          yield { events: [], checkpoint: snap.state.position, state: snapshotStateRecord(snap.state), commitNow: true };
        }
        yield* readSnapshot({
          connector, topicPrefix: o.topicPrefix, tables: snap.tables, codecs: snap.codecs, txns: snap.txns, position: snap.state.position,
          progress: snap.state.tables, fresh: snap.fresh, splitter: control, estimates, ...(o.migrationType !== 'full-load' ? { keylessReadAt: keylessReplay } : {}),
          chunkSize: o.settings.snapshot.chunkSize, maxEvents: o.settings.batch.maxEvents, readAheadBytes: o.settings.snapshot.readAheadBytes, log, metrics: ctx.metrics, signal: ctx.signal,
          ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
        });
        if (o.migrationType === 'full-load' || ctx.signal.aborted) return;
        start = snap.state.position;
      } else if (resume) {
        if (o.migrationType === 'full-load') {
          log.info('the full load already finished (stored offset says so): nothing to do');
          return;
        }
        start = resume.position;
        if (window.start) log.info({ position: start }, `a stored offset wins over the CDC start point (${o.settings.cdcStartPosition ?? o.settings.cdcStartTime}): resuming from ${start}`);
        this.#incremental.restore(resume.state);
        keylessReplay = keylessReplayOf(resume.state) ?? keylessReplayOfProgress(readSnapshotState(resume.state)?.tables);
      } else {
        const chosen = window.start;
        const at = chosen ? () => resolveBinlogStart({ control, cfg: this.#cfg, serverId: o.config.serverId, isMariaDb, start: chosen, log, signal: ctx.signal }) : null;
        start = (await this.#startCdc(control, isMariaDb, history, log, at === null ? undefined : async () => (await at()).position)).position;
        yield { events: [], checkpoint: start, snapshotDone: true };
      }
      const onClose = (f: () => Promise<void>) => { this.#closers.add(f); return () => this.#closers.delete(f); };
      streamControl = reconnectingControl({ first: control, open: () => openMySql(this.#cfg), session: [STREAM_CONTROL_SESSION], log });
      const stream = streamBinlog({
        cfg: this.#cfg, serverId: o.config.serverId, connector, isMariaDb, topicPrefix: o.topicPrefix, selector: o.selector,
        start, history, control: streamControl, maxEvents: o.settings.batch.maxEvents, log, metrics: ctx.metrics, signal: ctx.signal, onClose,
        ...(ctx.pacing ? { pacing: ctx.pacing } : {}),
        ...(ctx.health ? { health: ctx.health } : {}),
        ...(o.binlogHeartbeatMs !== undefined ? { heartbeatMs: o.binlogHeartbeatMs } : {}),
        includeSchemaChanges: o.config.includeSchemaChanges !== false,
        // cdcStartTime: transactions before it are skipped on a resume too (a restart before the first one after it).
        skipBeforeMs: window.start?.kind === 'time' ? window.start.ms : null, stop: window.stop,
      });
      // Incremental snapshots (signal()) interleave their chunks with the stream: incremental-snapshot.ts.
      const chunks = new MySqlChunkSource({ cfg: this.#cfg, isMariaDb, history, connector, topicPrefix: o.topicPrefix, onClose });
      try {
        for await (const b of withoutReplayedKeylessChanges(this.#incremental.wrap(stream, chunks, start), keylessReplay, STATE_VERSION)) {
          if (b.snapshotDone && this.#initialProgress) { this.#initialProgress.close(true); this.#initialProgress = null; }
          yield b;
        }
      } finally {
        chunks.close();
        this.#initialProgress?.close(false);
        this.#initialProgress = null;
      }
    } finally {
      this.#closers.delete(closeControl);
      await closeControl();
    }
  }

  /** Reads the selected tables and their definitions, twice around `between`, until no DDL raced it. */
  async #stableDefs<T>(control: Connection, isMariaDb: boolean, between: (tables: readonly TableId[]) => Promise<T>, undo: (t: T) => Promise<void>, log: Logger):
    Promise<{ tables: TableId[]; defs: Map<string, MySqlTableDef>; value: T }> {
    let tables = await listSelectedTables(control, this.#o.selector);
    let defs = await readTableDefs(control, tables, isMariaDb);
    for (let attempt = 1; ; attempt++) {
      const value = await between(tables);
      const tables2 = await listSelectedTables(control, this.#o.selector);
      const defs2 = await readTableDefs(control, tables2, isMariaDb);
      const same = tables.length === tables2.length && tables2.every((t, i) => tableKey(t) === tableKey(tables[i]!))
        && tables2.every((t) => sameDef(defs.get(tableKey(t)), defs2.get(tableKey(t))));
      if (same) return { tables: tables2, defs: defs2, value };
      await undo(value);
      if (attempt >= START_ATTEMPTS) {
        throw new FerryError('FERRY_SOURCE_ERROR', `the captured tables kept changing (DDL) while Ferry read their definitions, ${attempt} times in a row; retrying later`);
      }
      log.warn({ attempt }, 'a table definition changed while the start position was taken; taking it again');
      tables = tables2;
      defs = defs2;
    }
  }

  async #prepareSnapshot(control: Connection, isMariaDb: boolean, history: SchemaHistory, prev: SnapshotState | null, plan: SnapshotPlan, log: Logger):
    Promise<{ tables: TableId[]; codecs: Map<string, RowCodec>; txns: SnapshotTransactions; state: SnapshotState; fresh: boolean }> {
    const o = this.#o;
    // A resumed snapshot whose plan is now lock-free (the lock is refused since) opens its transactions without a lock:
    // keyed tables only need them later than the stored stream start, which they are.
    const lockOf = (tables: readonly TableId[]): TransactionLock => plan.kind === 'lock-free' || plan.lock === 'none' ? { kind: 'none' }
      : plan.lock === 'tables' ? { kind: 'tables', tables } : { kind: 'global', ...(plan.fallback ? { waitSeconds: AUTO_LOCK_WAIT_S } : {}) };
    const { tables, defs, value: txns } = await this.#stableDefs(control, isMariaDb,
      (listed) => openSnapshotTransactions(this.#cfg, o.settings.snapshot.parallelism, isMariaDb, o.migrationType !== 'full-load', control, o.snapshotStaggerMs ?? 0, lockOf(listed)),
      (t) => t.close(), log);
    const closeTxns = () => txns.close();
    this.#closers.add(closeTxns);
    try {
      let fresh = true;
      let state: SnapshotState = { position: txns.position, tables: {} };
      const codecs = new Map<string, RowCodec>();
      if (prev) {
        // Resume only if every table still looks as it did at the snapshot's position (else start over: the
        // rows already sent and the binlog replay could not be reconciled table by table).
        const then = history.stateAt(positionKey(prev.position));
        const unchanged = tables.every((t) => sameDef(then.get(tableKey(t))?.def ?? undefined, defs.get(tableKey(t))));
        if (unchanged) {
          fresh = false;
          state = prev;
          for (const t of tables) codecs.set(tableKey(t), codecFor(defs.get(tableKey(t))!, then.get(tableKey(t))!.version));
          log.info({ position: prev.position, tables: Object.keys(prev.tables).length }, 'resuming the interrupted snapshot after its last committed chunk');
        } else {
          log.warn({ position: prev.position }, 'a captured table changed (DDL) since the interrupted snapshot, or the schema history is missing: starting the snapshot over');
        }
      }
      if (fresh) {
        const pos = positionKey(txns.position);
        const entries: HistoryEntry[] = [];
        for (const t of tables) {
          const def = defs.get(tableKey(t))!;
          codecs.set(tableKey(t), codecFor(def, 1));
          entries.push({ pos, key: tableKey(t), version: 1, def, cause: 'snapshot' });
        }
        history.reset(entries);
        const how = plan.kind === 'transactions' && plan.lock !== 'none' ? `, ${plan.lock === 'global' ? 'global read lock' : 'table locks'} released` : '';
        log.info({ position: txns.position, tables: tables.length, connections: txns.connections.length }, `snapshot of ${tables.length} tables from ${txns.position}${how}`);
      }
      return { tables, codecs, txns, state, fresh };
    } catch (e: unknown) {
      await txns.close();
      throw e;
    } finally {
      this.#closers.delete(closeTxns);
    }
  }

  /** A first CDC start (or a lock-free snapshot's: cause 'snapshot'): the current position, with the table definitions in effect there. */
  async #startCdc(control: Connection, isMariaDb: boolean, history: SchemaHistory, log: Logger, at?: () => Promise<Position>, cause: 'start' | 'snapshot' = 'start'):
    Promise<{ position: Position; tables: TableId[] }> {
    // With a start point (settings.cdcStartPosition / cdcStartTime, cdc-start-point.ts) the tables' current definitions are taken as in effect there.
    const { tables, defs, value: position } = await this.#stableDefs(control, isMariaDb, at ?? (() => currentBinlogPosition(control, isMariaDb)), async () => undefined, log);
    const pos = positionKey(position);
    history.reset(tables.map((t) => {
      const def = defs.get(tableKey(t))!;
      codecFor(def, 1);
      return { pos, key: tableKey(t), version: 1, def, cause };
    }));
    if (cause === 'start') log.info({ position, tables: tables.length }, `change capture of ${tables.length} tables starts at ${position}`);
    return { position, tables };
  }

  /**
   * settings.snapshotLocking for this snapshot (snapshot-locking.ts). auto on MySQL with RELOAD tries the global lock
   * here, bounded by AUTO_LOCK_WAIT_S, and turns lock-free if it is refused.
   */
  async #plan(control: Connection, isMariaDb: boolean, log: Logger): Promise<SnapshotPlan> {
    const tables = await listSelectedTables(control, this.#o.selector);
    const defs = await readTableDefs(control, tables, isMariaDb);
    const keyless = tables.filter((t) => (defs.get(tableKey(t))?.primaryKey.length ?? 0) === 0).map(tableKey);
    const po: PlanOptions = { setting: this.#o.settings.snapshotLocking ?? 'auto', isMariaDb, cdc: this.#o.migrationType === 'full-load-and-cdc', keyless, control, log };
    const plan = await planSnapshot(po);
    if (plan.kind !== 'transactions' || plan.fallback === undefined) return plan;
    try {
      await control.query(`SET SESSION lock_wait_timeout = ${AUTO_LOCK_WAIT_S}`);
      await control.query('FLUSH TABLES WITH READ LOCK');
      return plan;
    } catch (e: unknown) {
      return lockFreeAfterRefusal(po, e);
    } finally {
      await control.query('UNLOCK TABLES').catch(() => undefined);
      await control.query('SET SESSION lock_wait_timeout = DEFAULT').catch(() => undefined);
    }
  }

  /** An `execute-snapshot` signal: queued, then run while streaming (docs/sources/mysql.md "Incremental snapshots"). */
  signal(signal: SourceSignal): Promise<SignalResult> {
    return this.#incremental.signal(signal);
  }

  signals(): readonly SignalStatus[] {
    return this.#incremental.statuses();
  }

  /** Why these '<db>.<table>' names cannot be re-snapshotted, or null. */
  #validateSnapshotTables(tables: readonly string[]): Promise<string | null> {
    return snapshotTablesProblem(tables, {
      fullLoad: this.#o.migrationType === 'full-load', selector: this.#o.selector, nameForm: '<database>.<table>',
      facts: async (ids) => {
        const conn = await openMySql(this.#cfg);
        try {
          const [v] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
          const existing = new Set((await listSelectedTables(conn, this.#o.selector)).map(tableKey));
          const found = ids.filter((id) => existing.has(tableKey(id)));
          const defs = await readTableDefs(conn, found, /mariadb/i.test(String(v[0]?.v)));
          return {
            missing: ids.filter((id) => !existing.has(tableKey(id))).map(tableKey),
            noKey: found.filter((id) => (defs.get(tableKey(id))?.primaryKey.length ?? 0) === 0).map(tableKey),
          };
        } finally {
          conn.destroy();
        }
      },
    });
  }

  async acknowledge(): Promise<void> {
    // MySQL keeps no server-side state for its readers: nothing to release.
  }

  async close(): Promise<void> {
    await Promise.all([...this.#closers].map((f) => f().catch(() => undefined)));
    this.#closers.clear();
  }
}
