/**
 * The PostgreSQL source: logical decoding with pgoutput from a replication slot, snapshot (op 'r') first unless
 * resuming past it, then c/u/d/t as Debezium-compatible ChangeBatches. See docs/sources/postgres.md.
 *
 *   full-load          snapshot in one exported snapshot (no slot), then end
 *   cdc                stream from the stored position, or from the slot's position on a first run
 *   full-load-and-cdc  create the slot exporting its snapshot, copy inside that snapshot, then stream from the
 *                      slot's consistent point: every change committed after the snapshot exactly once
 *                      (duplicates only if a run is interrupted), nothing committed before it again
 *
 * acknowledge(position) reports `position` to the slot as flushed: the slot releases WAL only up to what the
 * runtime has made durable in every sink and committed as the offset.
 */
import type { SslSettings } from '../../../runtime/src/config/tls-settings.ts';
import type pg from 'pg';
import type { SourceBlock, SourceTaskOptions } from '../../../core/src/plugin.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { lsnPosition, parseLsnPosition, parseLsnText } from '../../../core/src/position.ts';
import type { ChangeBatch, Logger, Position, SignalResult, SignalStatus, SourceConnector, SourceContext, SourceSignal } from '../../../core/src/types.ts';
import { openSession, type PgConnectionConfig } from './pg-connection.ts';
import { holdKeylessWriters, keylessToRead } from './keyless-lock.ts';
import { listSelectedTables, readTableDefs, serverInfo, TypeRegistry, type CatalogTable, type PgTableDef, type ServerInfo } from './pg-catalog.ts';
import { TOAST_ADVICE_PREFIX, tableCheck } from './prerequisites.ts';
import { SchemaTracker, type TableCodec } from './table-codec.ts';
import { valueModesOf, type ValueModes } from './type-mapping.ts';
import { pgFeatures, unsupportedFeature, type PgFeatures } from './server-features.ts';
import { createSlot, defaultSlotName, dropSlot, ensureFailoverSlot, ensurePublication, readPublication, readSlot, slotLostError, SlotMonitor, type SlotInfo } from './slot.ts';
import { openSnapshotWorkers, readSnapshot } from './snapshot.ts';
import { readSnapshotState, snapshotStateRecord, STATE_VERSION, type SnapshotState } from './snapshot-state.ts';
import { streamChanges } from './change-stream.ts';
import { PgCdcWindow } from './cdc-window.ts';
import { startPointOnSlot } from './cdc-start-point.ts';
import { parseCdcWindow } from '../../../runtime/src/config/cdc-window-settings.ts';
import type { ReplicationStream } from './replication-stream.ts';
import { PgChunkSource, pgSnapshotter } from './incremental-snapshot.ts';
import { snapshotTablesProblem, type IncrementalSnapshotter } from '../../../runtime/src/snapshot/incremental-snapshotter.ts';
import { signalTableOf } from '../../../runtime/src/config/signal-settings.ts';
import { keylessReplayOf, keylessReplayOfProgress, withoutReplayedKeylessChanges } from '../../../runtime/src/snapshot/resumed-keyless.ts';

/** The task's source block as this source reads it. */
export type PgSourceConfig = SourceBlock & {
  readonly slotName?: string | undefined;
  readonly publicationName?: string | undefined;
  /** Debezium's decimal.handling.mode, interval.handling.mode, and Ferry's bit varying mode (type-mapping.ts ValueModes). */
  readonly decimalHandlingMode?: ValueModes['decimal'] | undefined;
  readonly intervalHandlingMode?: ValueModes['interval'] | undefined;
  readonly bitVaryingHandlingMode?: ValueModes['bitVarying'] | undefined;
  /** Create the slot as a failover slot (PostgreSQL 17+), server-features.ts. */
  readonly failoverSlot?: boolean | undefined;
  /** What to do with an unchanged TOAST value PostgreSQL did not send (REPLICA IDENTITY DEFAULT): read it by key, or fail (toast-lookup.ts). */
  readonly unchangedToast?: 'lookup' | 'fail' | undefined;
};


export interface PgSourceOptions extends SourceTaskOptions {
  readonly config: PgSourceConfig;
  /** Names the default slot and publication (ferry_<taskName>); default: the topic prefix. */
  readonly taskName?: string;
  /** An existing or to-be-created replication slot; default ferry_<task>. */
  readonly slotName?: string;
  /** An existing publication Ferry reads as it is; default: ferry_<task>, which Ferry creates and maintains. */
  readonly publicationName?: string;
  /** Milliseconds between heartbeats and slot-lag polls; default 10000; 0 turns heartbeats off. */
  readonly heartbeatIntervalMs?: number;
  /** Milliseconds between standby status updates to the walsender; default 10000. */
  readonly statusIntervalMs?: number;
  /**
   * Settings of the walsender session, e.g. { logical_decoding_work_mem: '16MB' }: transactions bigger than it
   * are streamed while in progress (and spilled by Ferry) instead of buffered by the server.
   */
  readonly replicationSettings?: Readonly<Record<string, string>>;
  readonly progressIntervalMs?: number;
}

export function createPgSource(options: PgSourceOptions): SourceConnector {
  return new PgSource(options);
}

interface Prepared {
  readonly info: ServerInfo;
  /** What the server's version gives (server-features.ts). */
  readonly features: PgFeatures;
  readonly types: TypeRegistry;
  readonly tracker: SchemaTracker;
  readonly tables: readonly CatalogTable[];
}

export class PgSource implements SourceConnector {
  readonly #o: PgSourceOptions;
  readonly #cfg: PgConnectionConfig;
  readonly slot: string;
  readonly publication: string;
  readonly #closers = new Set<() => Promise<void>>();
  #control: pg.Client | null = null;
  #stream: ReplicationStream | null = null;
  #durable = 0n;
  /** Keyless tables read whole later than the stream starts: the stream drops their earlier changes (resumed-keyless.ts). */
  #keylessReplay: Map<string, Position> | null = null;
  #stopped = false;
  #opening: Promise<pg.Client> | null = null;
  readonly #incremental: IncrementalSnapshotter;
  /** settings.cdcStartTime / cdcStopPosition (cdc-window.ts), or null. */
  #window: PgCdcWindow | null = null;
  /** The outbox tables ('schema.table', settings.outbox): only their inserts are carried (tableCheck, change-events.ts). */
  readonly #insertOnly: ReadonlySet<string>;

  constructor(options: PgSourceOptions) {
    this.#o = options;
    this.#insertOnly = new Set((options.settings.outbox ?? []).flatMap((x) => (x.table !== undefined ? [x.table] : [])));
    this.#incremental = pgSnapshotter({
      chunkSize: options.settings.snapshot.chunkSize, maxEvents: options.settings.batch.maxEvents, log: options.log,
      validate: (tables) => this.#validateSnapshotTables(tables), signalTable: signalTableOf(options.settings.signals),
    });
    const c = options.config;
    if (c.database === undefined) throw new FerryError('FERRY_CONFIG_INVALID', 'source.database is required for a postgres source');
    this.#cfg = { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, connectTimeoutMs: c.connectTimeoutMs, ssl: c.ssl as SslSettings | undefined };
    const base = defaultSlotName(options.taskName ?? options.topicPrefix);
    this.slot = options.slotName ?? base;
    this.publication = options.publicationName ?? base;
  }

  /** A live connection for catalog queries (reopened after a failure); concurrent callers share one. */
  #catalog(): Promise<pg.Client> {
    if (this.#control) return Promise.resolve(this.#control);
    // Late callers (a Relation message or a signal while the task stops) must not open a connection nobody closes.
    if (this.#stopped) return Promise.reject(new FerryError('FERRY_ABORTED', 'the source is stopping'));
    this.#opening ??= (async () => {
      try {
        const c = await openSession(this.#cfg, { applicationName: 'ferry:catalog' });
        if (this.#stopped) { await c.end().catch(() => undefined); throw new FerryError('FERRY_ABORTED', 'the source is stopping'); }
        const drop = () => { if (this.#control === c) this.#control = null; };
        c.on('error', drop);
        c.on('end', drop);
        this.#control = c;
        return c;
      } finally {
        this.#opening = null;
      }
    })();
    return this.#opening;
  }

  async *read(ctx: SourceContext): AsyncGenerator<ChangeBatch> {
    const o = this.#o;
    const log = ctx.log;
    this.#stopped = false;
    const closeControl = async () => { this.#stopped = true; await this.#control?.end().catch(() => undefined); this.#control = null; };
    this.#closers.add(closeControl);
    try {
      const control = await this.#catalog();
      const p = await this.#prepare(control, log);
      const resume = ctx.resumeFrom;
      const window = parseCdcWindow(o.settings, 'postgres');
      this.#window = window.start?.kind === 'time' || window.stop
        ? new PgCdcWindow({ stop: window.stop, skipBeforeMs: window.start?.kind === 'time' ? window.start.ms : null, log, serverEnd: async () => parseLsnText((await (await this.#catalog()).query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l) })
        : null;
      if (o.migrationType === 'full-load') {
        if (resume?.snapshotDone) { log.info('the full load already finished (stored offset says so): nothing to do'); return; }
        yield* this.#snapshot(p, null, readSnapshotState(resume?.state), ctx);
        return;
      }
      const managed = o.publicationName === undefined;
      const selected = p.tables.map((t) => ({ schema: t.schema, table: t.table }));
      const before = managed ? await readPublication(control, this.publication) : null;
      await ensurePublication(control, this.publication, selected, managed, log);
      let slot = await readSlot(control, this.slot);
      if (slot && o.config.failoverSlot === true) await ensureFailoverSlot(this.#cfg, control, this.slot, log);
      if (slot && (slot.plugin !== 'pgoutput' || slot.database !== p.info.database)) {
        throw new FerryError('FERRY_SOURCE_PREREQUISITE', `replication slot "${this.slot}" exists but is a ${slot.plugin} slot of database ${slot.database}; Ferry needs a pgoutput slot of ${p.info.database}. Choose another slotName or drop it`);
      }
      let start: bigint;
      if (o.migrationType === 'full-load-and-cdc' && !resume?.snapshotDone) {
        let prev = readSnapshotState(resume?.state);
        if (prev && (!slot || slot.walStatus === 'lost' || prev.slot !== this.slot)) {
          log.warn({ slot: this.slot }, `replication slot "${prev.slot}" of the interrupted snapshot is gone: starting the snapshot over`);
          prev = null;
        }
        if (!prev && slot && o.slotName === undefined) {
          // Ferry's own slot with no snapshot depending on it: recreate it, for an exported snapshot at its start.
          await dropSlot(control, this.slot);
          slot = null;
        }
        if (!prev && slot?.walStatus === 'lost') {
          throw new FerryError('FERRY_SOURCE_PREREQUISITE', `replication slot "${this.slot}" (source slotName) is invalidated (wal_status lost) and cannot start a new copy. Drop it (SELECT pg_drop_replication_slot('${this.slot}')) and run the task again`);
        }
        const position = yield* this.#snapshot(p, prev ? null : slot, prev, ctx);
        start = parseLsnPosition(position);
      } else if (resume) {
        start = parseLsnPosition(resume.position);
        if (window.start) log.info({ position: resume.position }, `a stored offset wins over the CDC start point (${o.settings.cdcStartPosition ?? o.settings.cdcStartTime}): resuming from ${resume.position}`);
        this.#incremental.restore(resume.state);
        this.#keylessReplay = keylessReplayOf(resume.state) ?? keylessReplayOfProgress(readSnapshotState(resume.state)?.tables);
        if (!slot) throw slotLostError(this.slot, 'does not exist (it was dropped, or the task ran against another database)', { position: resume.position });
        if (slot.walStatus === 'lost') throw slotLostError(this.slot, 'was invalidated (wal_status lost: it fell more than max_slot_wal_keep_size behind)', { position: resume.position });
        if (slot.confirmedFlush !== null && slot.confirmedFlush > start) {
          throw slotLostError(this.slot, `has moved past the stored position (slot at ${lsnPosition(slot.confirmedFlush)}, task offset at ${resume.position}; was the offset store reset, or the slot advanced by hand?)`, { position: resume.position });
        }
        if (managed && before && p.tables.some((t) => !before.tables.has(`${t.schema}.${t.table}`))) {
          log.warn({ publication: this.publication }, 'tables were added to the selection after the initial snapshot: only their changes from now on are captured; run a new full load to copy their existing rows');
        }
      } else if (slot) {
        start = slot.confirmedFlush ?? 0n;
        if (window.start) start = startPointOnSlot(window.start, { slot: this.slot, at: start, created: null, walStatus: slot.walStatus });
        log.info({ slot: this.slot, position: lsnPosition(start) }, `change capture starts at existing slot "${this.slot}" (${lsnPosition(start)})`);
        yield { events: [], checkpoint: lsnPosition(start), snapshotDone: true };
      } else {
        const createdAt = Date.now();
        const created = await createSlot(this.#cfg, this.slot, false, { failover: o.config.failoverSlot === true });
        await created.connection.end().catch(() => undefined);
        start = created.consistentPoint;
        if (window.start) {
          try {
            start = startPointOnSlot(window.start, { slot: this.slot, at: start, created: createdAt, walStatus: null });
          } catch (e: unknown) {
            await dropSlot(control, this.slot).catch(() => undefined); // a slot made for a start it cannot serve: not left behind
            throw e;
          }
        }
        log.info({ slot: this.slot, position: lsnPosition(start) }, `created replication slot "${this.slot}"; change capture starts at ${lsnPosition(start)}`);
        yield { events: [], checkpoint: lsnPosition(start), snapshotDone: true };
      }
      if (ctx.signal.aborted) return;
      if (this.#durable < start) this.#durable = start;
      // Incremental snapshots (signal()) interleave their chunks with the stream: incremental-snapshot.ts.
      const chunks = new PgChunkSource({
        cfg: this.#cfg, tracker: p.tracker, topicPrefix: o.topicPrefix, database: p.info.database, slot: this.slot, log,
        onClose: (f) => { this.#closers.add(f); return () => this.#closers.delete(f); },
      });
      try {
        yield* withoutReplayedKeylessChanges(this.#incremental.wrap(this.#streamFrom(start, p, ctx), chunks, lsnPosition(start)), this.#keylessReplay, STATE_VERSION);
      } finally {
        chunks.close();
      }
    } finally {
      this.#closers.delete(closeControl);
      await closeControl();
    }
  }

  /** Server facts, types and the selected tables, checked: a table Ferry cannot capture exactly stops the start. */
  async #prepare(control: pg.Client, log: Logger): Promise<Prepared> {
    const info = await serverInfo(control);
    if (info.versionNum < 120000) throw new FerryError('FERRY_UNSUPPORTED', `PostgreSQL ${info.versionNum} is too old: Ferry needs PostgreSQL 12 or later`);
    const standby = (await control.query<{ r: string }>('SELECT pg_is_in_recovery()::text AS r')).rows[0]!.r === 'true';
    const features = pgFeatures(info.versionNum, { standby });
    const refused = this.#o.migrationType === 'full-load' ? null : unsupportedFeature(features, {
      managedPublication: this.#o.publicationName === undefined,
      messagePrefixes: (this.#o.settings.outbox ?? []).flatMap((x) => (x.messagePrefix !== undefined ? [x.messagePrefix] : [])),
      failoverSlot: this.#o.config.failoverSlot === true,
    });
    if (refused) throw refused;
    const types = new TypeRegistry();
    await types.load(control);
    const tables = await listSelectedTables(control, this.#o.selector);
    const defs = await readTableDefs(control, tables.map((t) => t.relid));
    const problems: string[] = [];
    const lookedUp: string[] = [];
    const unchangedToast = this.#o.config.unchangedToast ?? 'lookup';
    for (const t of tables) {
      const r = tableCheck(defs.get(t.relid)!, types, info.blockSize, { insertOnly: this.#insertOnly.has(`${t.schema}.${t.table}`), unchangedToast });
      if (r.status === 'fail') problems.push(`${r.message} (fix: ${r.fix})`);
      else if (r.check.startsWith(TOAST_ADVICE_PREFIX)) lookedUp.push(`${t.schema}.${t.table}`);
      else if (r.status === 'warn') log.warn({ table: `${t.schema}.${t.table}` }, r.message);
    }
    if (problems.length > 0) throw new FerryError('FERRY_SOURCE_PREREQUISITE', problems.join('; '), { details: { tables: problems.length } });
    if (lookedUp.length > 0) {
      log.info({ tables: lookedUp.slice(0, 20), count: lookedUp.length },
        `${lookedUp.length} table(s) have TOAST-able columns under REPLICA IDENTITY DEFAULT: a value an UPDATE leaves unchanged is read by primary key (source.unchangedToast: lookup; REPLICA IDENTITY FULL avoids the lookups; docs/sources/postgres.md#toast-values)`);
    }
    log.info({ tables: tables.length, server: info.versionNum }, `capturing ${tables.length} table(s) of database ${info.database}`);
    return { info, features, types, tracker: new SchemaTracker(types, log, valueModesOf(this.#o.config)), tables };
  }

  /**
   * Copies the tables inside one snapshot: a new slot's exported snapshot (fresh start), or — resuming (`prev`),
   * with an existing named slot, or for a plain full load — a snapshot exported now; streaming then starts at the
   * stored, slot or current position. Returns the position streaming starts from.
   */
  async *#snapshot(p: Prepared, existingSlot: SlotInfo | null, prev: SnapshotState | null, ctx: SourceContext): AsyncGenerator<ChangeBatch, Position> {
    const o = this.#o;
    const parallelism = Math.max(1, o.settings.snapshot.parallelism);
    let exporter: pg.Client;
    let snapshotName: string;
    let position: Position;
    let lsn: bigint;
    const streaming = o.migrationType !== 'full-load';
    let seenFrom: string | null = null;
    if (streaming && !prev && !existingSlot) {
      const created = await createSlot(this.#cfg, this.slot, true, { failover: o.config.failoverSlot === true });
      exporter = created.connection;
      snapshotName = created.snapshotName!;
      lsn = created.consistentPoint;
      position = lsnPosition(lsn);
      ctx.log.info({ slot: this.slot, position }, `created replication slot "${this.slot}" with an exported snapshot at ${position}`);
    } else {
      exporter = await openSession(this.#cfg, { applicationName: 'ferry:snapshot-export' });
      // Keyless tables this snapshot reads whole while the stream replays from an earlier position: their writers are
      // held off (SHARE lock on another connection) from just before the position is read until the snapshot is taken,
      // so the position is exact for them and no replayed change doubles a row (keyless-lock.ts).
      const lock = streaming ? await holdKeylessWriters(this.#cfg, await keylessToRead(exporter, p.tables, prev), ctx.log) : null;
      let rows: Record<string, string>[];
      try {
        // Read before the snapshot is taken: every transaction committed before it is visible in the snapshot. The
        // insert position, not pg_current_wal_lsn() (the write position lags it with synchronous_commit off).
        seenFrom = streaming ? (await exporter.query<Record<string, string>>('SELECT pg_current_wal_insert_lsn() AS l')).rows[0]!.l! : null;
        await exporter.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        ({ rows } = await exporter.query<Record<string, string>>('SELECT pg_export_snapshot() AS s, pg_current_wal_lsn() AS l'));
      } finally {
        await lock?.release();
      }
      snapshotName = rows[0]!.s!;
      if (prev) position = prev.position;
      else if (existingSlot) position = lsnPosition(existingSlot.confirmedFlush ?? parseLsnText(rows[0]!.l!));
      else position = lsnPosition(rows[0]!.l!);
      lsn = parseLsnPosition(position);
      if (streaming) ctx.log.info({ position }, 'snapshot in a new exported snapshot; changes are streamed from the slot position, so rows changed since are re-sent (idempotent by key)');
    }
    let workers: pg.Client[];
    try {
      workers = await openSnapshotWorkers(this.#cfg, snapshotName, parallelism);
    } finally {
      await exporter.end().catch(() => undefined);
    }
    const closeWorkers = async () => { await Promise.all(workers.map((w) => w.end().catch(() => undefined))); };
    this.#closers.add(closeWorkers);
    try {
      const defs = await readTableDefs(workers[0]!, p.tables.map((t) => t.relid));
      const codecs: TableCodec[] = [];
      for (const t of p.tables) {
        const def = defs.get(t.relid);
        if (!def) { ctx.log.warn({ table: `${t.schema}.${t.table}` }, 'table dropped before the snapshot: skipped'); continue; }
        codecs.push(p.tracker.codec(codecInput(def), 'snapshot'));
      }
      // Keyless tables read whole in a snapshot later than the stream start (resumed, or an existing slot's): the stream
      // drops their changes from before that read (runtime/src/snapshot/resumed-keyless.ts).
      const replay = new Map<string, Position>();
      for (const c of codecs) {
        if (c.primaryKey.length !== 0) continue;
        const done = prev?.tables[c.key];
        if (done?.done === true) { if (done.at !== undefined) replay.set(c.key, done.at); } else if (seenFrom !== null) replay.set(c.key, lsnPosition(seenFrom));
      }
      this.#keylessReplay = replay;
      if (prev) ctx.log.info({ position, tables: Object.keys(prev.tables).length }, 'resuming the interrupted snapshot after its last committed chunk');
      else if (streaming) {
        // Store the stream-start position and the slot before the first row is sent: a crash before the first chunk
        // commits then resumes this snapshot (streaming from here re-sends what changed since) instead of taking a
        // new one at a later position, which would leave the rows deleted in between on the topic/target.
        yield { events: [], checkpoint: position, state: snapshotStateRecord({ position, slot: this.slot, tables: {} }), commitNow: true };
      }
      yield* readSnapshot({
        topicPrefix: o.topicPrefix, database: p.info.database, tables: codecs, workers, splitter: await this.#catalog(), position, lsn,
        slot: streaming ? this.slot : null, progress: prev?.tables ?? {}, fresh: prev === null, ...(seenFrom !== null ? { readAt: lsnPosition(seenFrom) } : {}),
        chunkSize: o.settings.snapshot.chunkSize, maxEvents: o.settings.batch.maxEvents, readAheadBytes: o.settings.snapshot.readAheadBytes, tidRanges: p.info.versionNum >= 140000,
        log: ctx.log, metrics: ctx.metrics, signal: ctx.signal, ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
        onCopied: closeWorkers,
      });
      return position;
    } finally {
      this.#closers.delete(closeWorkers);
      await closeWorkers();
    }
  }

  async *#streamFrom(start: bigint, p: Prepared, ctx: SourceContext): AsyncGenerator<ChangeBatch> {
    const o = this.#o;
    const interval = o.heartbeatIntervalMs ?? 10000;
    // On a standby no heartbeat can be written: idle checkpoints come from keepalives there (server-features.ts).
    const monitor = new SlotMonitor(this.#cfg, { slot: this.slot, intervalMs: interval > 0 ? interval : 10000, heartbeat: interval > 0 && p.features.heartbeatMessages, log: ctx.log, metrics: ctx.metrics });
    const stopMonitor = () => monitor.stop();
    this.#closers.add(stopMonitor);
    monitor.start();
    try {
      yield* streamChanges({
        cfg: this.#cfg, slot: this.slot, publication: this.publication, start,
        protoVersion: p.features.protoVersion, streaming: p.features.streaming, messages: p.features.messages, keepalivePositions: p.features.keepalivePositions,
        topicPrefix: o.topicPrefix, database: p.info.database, selector: o.selector, tracker: p.tracker, types: p.types,
        catalog: () => this.#catalog(), maxEvents: o.settings.batch.maxEvents, stateDir: o.stateDir,
        ...(o.settings.batch.readAheadBytes !== undefined ? { readAheadBytes: o.settings.batch.readAheadBytes } : {}),
        unchangedToast: o.config.unchangedToast ?? 'lookup', metrics: ctx.metrics,
        statusIntervalMs: o.statusIntervalMs ?? 10000, monitor, log: ctx.log, signal: ctx.signal,
        durable: () => this.#durable, onStream: (rs) => { this.#stream = rs; },
        // On stop the stream stays open until close(), so the final commits' acknowledgements reach the slot.
        deferClose: (close) => { this.#closers.add(async () => { this.#stream = null; await close(); }); },
        ...(o.replicationSettings ? { replicationSettings: o.replicationSettings } : {}),
        ...(ctx.pacing ? { pacing: ctx.pacing } : {}),
        ...(ctx.health ? { health: ctx.health } : {}),
        messagePrefixes: new Set((o.settings.outbox ?? []).flatMap((x) => (x.messagePrefix !== undefined ? [x.messagePrefix] : []))),
        insertOnlyTables: this.#insertOnly,
        window: this.#window,
      });
    } finally {
      this.#closers.delete(stopMonitor);
      await monitor.stop();
    }
  }

  /** An `execute-snapshot` signal: queued, then run while streaming (docs/sources/postgres.md "Incremental snapshots"). */
  signal(signal: SourceSignal): Promise<SignalResult> {
    return this.#incremental.signal(signal);
  }

  signals(): readonly SignalStatus[] {
    return this.#incremental.statuses();
  }

  /** Why these '<schema>.<table>' names cannot be re-snapshotted, or null. */
  #validateSnapshotTables(tables: readonly string[]): Promise<string | null> {
    return snapshotTablesProblem(tables, {
      fullLoad: this.#o.migrationType === 'full-load', selector: this.#o.selector, nameForm: '<schema>.<table>',
      facts: async (ids) => {
        const control = await this.#catalog();
        const relids = new Map((await listSelectedTables(control, this.#o.selector)).map((t) => [`${t.schema}.${t.table}`, t.relid]));
        const keys = ids.map((id) => `${id.schema}.${id.table}`);
        const found = keys.filter((k) => relids.has(k));
        const defs = await readTableDefs(control, found.map((k) => relids.get(k)!));
        return {
          missing: keys.filter((k) => !relids.has(k)),
          noKey: found.filter((k) => (defs.get(relids.get(k)!)?.primaryKey.length ?? 0) === 0),
        };
      },
    });
  }

  async acknowledge(position: Position): Promise<void> {
    const lsn = parseLsnPosition(position);
    if (lsn <= this.#durable) return;
    this.#durable = lsn;
    this.#stream?.confirm(lsn);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#closers].map((f) => f().catch(() => undefined)));
    this.#closers.clear();
  }
}

/** A catalog table definition as a codec input: generated columns left out, as pgoutput leaves them out. */
export function codecInput(def: PgTableDef): Parameters<SchemaTracker['codec']>[0] {
  return {
    schema: def.schema, table: def.table, primaryKey: def.primaryKey,
    columns: def.columns.filter((c) => !c.generated).map((c) => ({ name: c.name, typeOid: c.typeOid, typmod: c.typmod, notNull: c.notNull, defaultExpr: c.defaultExpr, dims: c.dims })),
  };
}
