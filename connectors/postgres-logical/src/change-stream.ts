/**
 * Streaming: pgoutput messages from the slot → ChangeBatches.
 *
 *   - A transaction's events are emitted in batches of at most maxEvents with checkpoint null, and its last
 *     batch carries checkpoint = the commit's end LSN. The walsender only sends a non-streamed transaction after
 *     it committed, so emitting before its Commit message arrives is safe, and memory stays bounded.
 *   - The transactions that commit within one read of the socket share a batch, checkpointed at the last one's
 *     end LSN (as the binlog reader does: at 1k single-row transactions a second, a batch per transaction cost
 *     more than the events). A batch never holds part of an open transaction next to committed ones.
 *   - A streamed transaction (protocol 2, larger than logical_decoding_work_mem, sent while in progress) is
 *     spilled to a file under stateDir (spill-file.ts) and replayed only on Stream Commit; on Stream Abort the
 *     file is dropped (or cut back, for a subtransaction). Nothing of it reaches the sink before it commits.
 *   - A heartbeat message (slot.ts) outside a transaction becomes an empty batch checkpointed at its LSN.
 *   - A message with a prefix in messagePrefixes (the outbox) goes into ChangeBatch.messages: a transactional one in
 *     the batches of its transaction (sent, like its changes, only once it committed; a streamed one on replay), a
 *     non-transactional one in a batch of its own checkpointed at its LSN.
 *   - Relation messages carry each table's columns: the codec is looked up again (catalog for nullability,
 *     defaults and key) and gets a new version when the structure changed (table-codec.ts).
 *   - On a lost connection the stream reconnects from the last checkpoint it emitted (a transaction cut in the
 *     middle is sent again from its start: at-least-once).
 */
import type pg from 'pg';
import { join } from 'node:path';
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, ReadPacing, SourceHealth, SourceMessage } from '../../../core/src/types.ts';
import { FerryError, errorMessage, isFerryError } from '../../../core/src/errors.ts';
import { lsnPosition, parseLsnPosition } from '../../../core/src/position.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { decodePgOutput, streamedXid, type LogicalDecodingMessage, type RelationMessage } from './protocol/pgoutput-decoder.ts';
import { ReplicationStream } from './replication-stream.ts';
import { readTableDefs, type TypeRegistry } from './pg-catalog.ts';
import type { PgConnectionConfig } from './pg-connection.ts';
import type { SchemaTracker } from './table-codec.ts';
import { deleteEvents, insertEvents, truncateEvent, txnInfo, updateEvents, type EventContext, type RelationState, type TxnInfo } from './change-events.ts';
import { SpillFile, clearSpillDir } from './spill-file.ts';
import { stateCipherOf } from '../../../runtime/src/encryption/state-keyring.ts';
import type { RecordCipher } from '../../../runtime/src/encryption/record-cipher.ts';
import { HEARTBEAT_PREFIX, slotLostError, type SlotMonitor } from './slot.ts';
import type { PgCdcWindow } from './cdc-window.ts';
import { PendingToastUpdate, ToastLookup, unsentColumns } from './toast-lookup.ts';

export interface ChangeStreamInput {
  readonly cfg: PgConnectionConfig;
  readonly slot: string;
  readonly publication: string;
  /** The checkpoint to resume from (a commit end LSN, a heartbeat LSN or the slot's consistent point). */
  readonly start: bigint;
  readonly protoVersion: 1 | 2;
  readonly streaming: boolean;
  /** pgoutput sends logical decoding messages (14+); server-features.ts. */
  readonly messages?: boolean;
  /** Idle checkpoints at the walsender's keepalive positions, where heartbeat messages are not sent (13). */
  readonly keepalivePositions?: boolean;
  readonly topicPrefix: string;
  readonly database: string;
  readonly selector: TableSelector;
  readonly tracker: SchemaTracker;
  readonly types: TypeRegistry;
  /** A live normal connection for catalog lookups. */
  readonly catalog: () => Promise<pg.Client>;
  readonly maxEvents: number;
  /** Most pgoutput payload bytes read ahead of decoding (settings.batch.readAheadBytes; replication-stream.ts). */
  readonly readAheadBytes?: number;
  readonly stateDir: string;
  readonly statusIntervalMs: number;
  readonly monitor: SlotMonitor | null;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The last position acknowledged (durable) so far. */
  readonly durable: () => bigint;
  /** The open replication stream, so acknowledge() can confirm positions to it (null between connections). */
  readonly onStream: (rs: ReplicationStream | null) => void;
  /**
   * Called instead of closing the stream when the task stops (signal aborted): the runtime still commits and
   * acknowledges the last batches after the source's iteration ended, and those confirmations must reach the slot.
   * The owner closes the stream later (SourceConnector.close()).
   */
  readonly deferClose?: (close: () => Promise<void>) => void;
  readonly reconnectAttempts?: number;
  readonly replicationSettings?: Readonly<Record<string, string>>;
  /** The runtime's read pacing (SourceContext.pacing), applied to each replication connection. */
  readonly pacing?: ReadPacing;
  /** The runtime's readiness (SourceContext.health): connected once replication streams, reconnecting while it waits. */
  readonly health?: SourceHealth;
  /**
   * Logical-decoding messages with these prefixes (settings.outbox messagePrefix) go into ChangeBatch.messages:
   * a transactional one with its (committed) transaction, a non-transactional one at its own position.
   */
  readonly messagePrefixes?: ReadonlySet<string>;
  /** Outbox tables ('schema.table'): an update whose TOASTed value PostgreSQL did not send is passed on (the router skips it) instead of failing. */
  readonly insertOnlyTables?: ReadonlySet<string>;
  /** settings.cdcStartTime / cdcStopPosition (cdc-window.ts): one for the whole stream, across reconnects. */
  readonly window?: PgCdcWindow | null;
  /**
   * source.unchangedToast: 'lookup' (default) reads an unchanged TOAST value PostgreSQL did not send by key
   * (toast-lookup.ts); 'fail' stops the task on one (change-events.ts).
   */
  readonly unchangedToast?: 'lookup' | 'fail';
  readonly metrics?: MetricsRegistry;
}

const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '55006', '08000', '08003', '08006', '53300']);

function isTransient(e: unknown): boolean {
  if (isFerryError(e)) return e.disposition === 'retry';
  const err = e as { code?: string; message?: string };
  if (err.code !== undefined && RETRYABLE_SQLSTATES.has(err.code)) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(err.code ?? '') || /terminated|closed|ended unexpectedly/i.test(err.message ?? '');
}

/** A START_REPLICATION failure → its meaning. */
function startError(e: unknown, slot: string): unknown {
  const err = e as { code?: string; message?: string };
  if (err.code === '42704') return slotLostError(slot, 'does not exist (it was dropped)');
  if (/invalidated|can no longer get changes/i.test(err.message ?? '')) return slotLostError(slot, `can no longer be read (${err.message})`);
  return e;
}

export async function* streamChanges(input: ChangeStreamInput): AsyncGenerator<ChangeBatch> {
  const { log, signal } = input;
  let resumeAt = input.start;
  const maxAttempts = input.reconnectAttempts ?? 10;
  for (let attempt = 0; ; attempt++) {
    let rs: ReplicationStream | null = null;
    let unpace: (() => void) | undefined;
    const reader = new StreamReader(input, resumeAt);
    try {
      rs = await ReplicationStream.open(input.cfg, {
        slot: input.slot, publication: input.publication, startLsn: resumeAt, durableLsn: input.durable(),
        protoVersion: input.protoVersion, streaming: input.streaming, messages: input.messages ?? true, keepalivePositions: input.keepalivePositions === true,
        statusIntervalMs: input.statusIntervalMs, log,
        ...(input.readAheadBytes !== undefined ? { readAheadBytes: input.readAheadBytes } : {}),
        ...(input.replicationSettings ? { settings: input.replicationSettings } : {}),
      }).catch((e: unknown) => { throw startError(e, input.slot); });
      input.onStream(rs);
      input.health?.connected();
      const stream = rs;
      unpace = input.pacing?.subscribe((held) => stream.hold(held));
      if (input.pacing?.held) stream.hold(true); // held already (e.g. while reconnecting): the new socket waits too
      log.info({ slot: input.slot, from: lsnPosition(resumeAt), protoVersion: input.protoVersion, streaming: input.streaming }, `streaming changes from slot "${input.slot}" at ${lsnPosition(resumeAt)}`);
      for await (const read of reader.run(rs)) {
        // updates waiting for unchanged TOAST values read by key (toast-lookup.ts) are resolved before they leave
        const batch = reader.toast !== null && reader.toast.pending > 0 ? { ...read, events: await reader.toast.resolve(read.events) } : read;
        yield batch;
        if (batch.checkpoint !== null) {
          resumeAt = parseLsnPosition(batch.checkpoint);
          attempt = 0;
        }
      }
      return;
    } catch (e: unknown) {
      if (signal.aborted) return;
      if (!isTransient(e) || attempt + 1 >= maxAttempts) {
        throw isFerryError(e) ? e : new FerryError('FERRY_SOURCE_ERROR', `logical replication from slot "${input.slot}" failed at ${lsnPosition(resumeAt)}: ${errorMessage(e)}`, { cause: e });
      }
      const wait = Math.min(30000, 250 * 2 ** attempt);
      log.warn({ err: errorMessage(e), attempt: attempt + 1, waitMs: wait }, `replication connection lost; reconnecting from ${lsnPosition(resumeAt)}`);
      input.health?.reconnecting(`replication connection lost (${errorMessage(e)}); reconnect attempt ${attempt + 1} in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    } finally {
      unpace?.();
      const open = rs;
      if (open !== null && (signal.aborted || input.window?.done === true) && input.deferClose) { // a stop point too: its checkpoint is confirmed after the commit
        input.deferClose(() => open.close());
      } else {
        input.onStream(null);
        await rs?.close();
      }
      await reader.cleanup();
    }
  }
}

/** One replication connection's worth of state. */
class StreamReader {
  readonly #in: ChangeStreamInput;
  readonly #ctx: EventContext;
  readonly #relations = new Map<number, RelationState>();
  readonly #spills = new Map<number, SpillFile>();
  readonly #spillDir: string;
  /** settings.stateEncryption: spill files are sealed chunk by chunk (spill-file.ts). */
  readonly #spillCipher: RecordCipher | null;
  #lastCheckpoint: bigint;
  #lastCommit: bigint | null;
  #spillReady: Promise<void> | null = null;
  /** Reads unchanged TOAST values by key (source.unchangedToast: lookup); null with 'fail'. */
  readonly toast: ToastLookup | null;

  constructor(input: ChangeStreamInput, start: bigint) {
    this.#in = input;
    this.#ctx = { topicPrefix: input.topicPrefix, database: input.database, tracker: input.tracker, ...(input.insertOnlyTables ? { insertOnlyTables: input.insertOnlyTables } : {}) };
    this.#lastCheckpoint = start;
    this.#lastCommit = start;
    this.#spillDir = join(input.stateDir, 'pg-spill');
    this.#spillCipher = stateCipherOf(input.stateDir);
    this.toast = input.unchangedToast === 'fail' ? null : new ToastLookup({
      catalog: input.catalog, log: input.log, ...(input.metrics ? { metrics: input.metrics } : {}),
      emit: (p, newTuple, unchanged, out) => updateEvents(this.#ctx, p.rel, { ...p.m, newTuple }, p.lsn, p.tx, p.now, out, unchanged),
      emitOldKeyDelete: (p, out) => deleteEvents(this.#ctx, p.rel, { tag: 'delete', xid: p.m.xid, relationId: p.m.relationId, keyTuple: p.m.keyTuple, oldTuple: p.m.oldTuple }, p.lsn, p.tx, p.now, out),
    });
  }

  async *run(rs: ReplicationStream): AsyncGenerator<ChangeBatch> {
    const { signal, maxEvents } = this.#in;
    let events: ChangeEvent[] = [];
    let tx: TxnInfo | null = null;
    let inStream: SpillFile | null = null;
    const monitor = this.#in.monitor;
    if (monitor) monitor.onError = () => rs.interrupt(monitor.error);
    // The transactions committed within one read go out as one batch (a batch still never splits a transaction):
    // `events` holds their events first, then the open transaction's; `committed` counts the former, and `pending`
    // is the end LSN of the last of them (null: none waiting).
    let committed = 0;
    let pending: bigint | null = null;
    // Outbox messages (messagePrefixes) of the same transactions, split the same way (`committedMsgs` of them done).
    let msgs: SourceMessage[] = [];
    let committedMsgs = 0;
    const window = this.#in.window ?? null;
    let skipTx = false; // the open transaction is before settings.cdcStartTime
    const takeCommitted = (): ChangeBatch => {
      const whole = committed === events.length;
      const batch = this.#checkpointed(whole ? events : events.slice(0, committed), pending!);
      events = whole ? [] : events.slice(committed);
      committed = 0;
      pending = null;
      const done = committedMsgs === msgs.length ? msgs : msgs.slice(0, committedMsgs);
      msgs = committedMsgs === msgs.length ? [] : msgs.slice(committedMsgs);
      committedMsgs = 0;
      return withMessages(batch, done);
    };
    while (!signal.aborted) {
      if (this.#in.monitor?.error) throw this.#in.monitor.error;
      const received = await rs.take(signal);
      if (received === null) return;
      const now = Date.now();
      // An indexed loop: this generator is not optimized, and a for-of would allocate an iterator result per message.
      for (let i = 0; i < received.length; i++) {
        const x = received[i]!;
        if (x.kind === 'keepalive') {
          // keepalivePositions (13): every transaction that committed before walEnd was sent before this keepalive
          // (the walsender decodes in WAL order and reports the end of what it decoded), so with none open the
          // stream may checkpoint here, as at a heartbeat message; a transaction in progress commits after it.
          // Committed transactions waiting for the end of this read keep waiting (one batch, as without keepalives):
          // their checkpoint moves up to the keepalive's position instead.
          if (tx !== null || inStream !== null || x.walEnd <= this.#lastCheckpoint) continue;
          if (pending !== null) {
            if (x.walEnd > pending) pending = x.walEnd;
            continue;
          }
          if (window !== null && window.idle(x.walEnd)) {
            yield window.finalBatch(this.#checkpointed([], x.walEnd).checkpoint!);
            return;
          }
          yield this.#checkpointed([], x.walEnd);
          continue;
        }
        const data = x.data;
        const tag = data[0];
        // logical messages and streamed transactions are checkpointed in log order: what committed before goes first
        if (pending !== null && (tag === 0x4d || tag === 0x53 || tag === 0x63)) yield takeCommitted();
        if (inStream !== null && tag !== 0x45) { // inside Stream Start … Stop: spill
          if (tag === 0x52 || tag === 0x59) inStream.addSchema(x.walStart, data);
          else await inStream.append(x.walStart, streamedXid(data) ?? 0, data);
          continue;
        }
        const m = decodePgOutput(data, { inStream: false });
        switch (m.tag) {
          case 'begin':
            tx = txnInfo(m.xid, m.commitTime, m.finalLsn, this.#lastCommit);
            if (window !== null) {
              const d = window.transaction(m.finalLsn, BigInt(tx.tsUs));
              if (d === 'stop') {
                if (pending !== null) yield takeCommitted();
                yield window.finalBatch(this.#checkpointed([], m.finalLsn).checkpoint!);
                return;
              }
              skipTx = d === 'skip';
            }
            break;
          case 'relation':
            await this.#relation(m, this.#relations);
            break;
          case 'type':
            if (!this.#in.types.has(m.typeOid)) await this.#in.types.load(await this.#in.catalog());
            break;
          case 'insert': case 'update': case 'delete': case 'truncate':
            if (tx === null) throw new FerryError('FERRY_SOURCE_ERROR', `pgoutput sent a ${m.tag} outside a transaction`, { disposition: 'fatal' });
            if (skipTx) break;
            this.#change(m, this.#relations, x.walStart, tx, now, events);
            if (events.length + msgs.length >= maxEvents && pending !== null) yield takeCommitted();
            if (events.length + msgs.length >= maxEvents) {
              yield withMessages({ events, checkpoint: null }, msgs);
              events = [];
              msgs = [];
            }
            break;
          case 'commit':
            committed = events.length;
            committedMsgs = msgs.length;
            pending = m.endLsn;
            tx = null;
            skipTx = false;
            this.#lastCommit = m.endLsn;
            if (committed + committedMsgs >= maxEvents) yield takeCommitted();
            break;
          case 'message':
            if (skipTx && tx !== null) break;
            if (window !== null && !m.transactional && m.prefix === HEARTBEAT_PREFIX && tx === null && window.idle(m.lsn)) {
              if (pending !== null) yield takeCommitted();
              yield window.finalBatch(this.#checkpointed([], m.lsn).checkpoint!);
              return;
            }
            if (!m.transactional && m.prefix === HEARTBEAT_PREFIX && tx === null && m.lsn > this.#lastCheckpoint) yield this.#checkpointed([], m.lsn);
            else if (this.#in.messagePrefixes?.has(m.prefix)) {
              if (tx !== null) {
                msgs.push(sourceMessage(m, tx));
                if (events.length + msgs.length >= maxEvents && pending !== null) yield takeCommitted();
                if (events.length + msgs.length >= maxEvents) {
                  yield withMessages({ events, checkpoint: null }, msgs);
                  events = [];
                  msgs = [];
                }
              } else if (m.transactional) {
                throw new FerryError('FERRY_SOURCE_ERROR', `pgoutput sent a transactional message (prefix "${m.prefix}") outside a transaction`, { disposition: 'fatal' });
              } else if (m.lsn > this.#lastCheckpoint) {
                yield withMessages(this.#checkpointed([], m.lsn), [sourceMessage(m, null)]);
              }
            }
            break;
          case 'stream-start': {
            let spill = this.#spills.get(m.xid);
            if (spill && m.firstSegment) { await spill.discard(); spill = undefined; }
            if (!spill) {
              this.#spillReady ??= clearSpillDir(this.#spillDir);
              await this.#spillReady;
              spill = new SpillFile(this.#spillDir, m.xid, this.#spillCipher);
              this.#spills.set(m.xid, spill);
            }
            inStream = spill;
            break;
          }
          case 'stream-stop':
            inStream = null;
            break;
          case 'stream-abort': {
            const spill = this.#spills.get(m.xid);
            if (!spill) break;
            if (m.subxid === m.xid) {
              this.#spills.delete(m.xid);
              await spill.discard();
            } else await spill.abortSubtransaction(m.subxid);
            break;
          }
          case 'stream-commit': {
            const spill = this.#spills.get(m.xid);
            const d = window?.transaction(m.commitLsn, BigInt(txnInfo(m.xid, m.commitTime, m.commitLsn, this.#lastCommit).tsUs)) ?? 'emit';
            if (d === 'stop') {
              yield window!.finalBatch(this.#checkpointed([], m.commitLsn).checkpoint!);
              return;
            }
            if (spill && d === 'skip') {
              this.#spills.delete(m.xid);
              await spill.discard();
            } else if (spill) {
              this.#in.log.debug({ xid: m.xid, records: spill.records, bytes: spill.bytes }, 'replaying a streamed transaction');
              yield* this.#replay(spill, txnInfo(m.xid, m.commitTime, m.commitLsn, this.#lastCommit));
              this.#spills.delete(m.xid);
              await spill.discard();
            }
            yield this.#checkpointed([], m.endLsn);
            this.#lastCommit = m.endLsn;
            break;
          }
          case 'origin':
            break;
        }
      }
      if (pending !== null) yield takeCommitted();
    }
  }

  #checkpointed(events: ChangeEvent[], lsn: bigint): ChangeBatch {
    if (lsn > this.#lastCheckpoint) this.#lastCheckpoint = lsn;
    return { events, checkpoint: lsnPosition(this.#lastCheckpoint) };
  }

  /**
   * Replays a committed streamed transaction: batches with checkpoint null (the caller checkpoints its end).
   * The Relation messages it carried then hold for the main stream too: once a streamed transaction commits,
   * pgoutput counts its relations as sent (pgoutput.c cleanup_rel_sync_cache) and does not send them again.
   * (No DDL on those tables can have committed meanwhile: the transaction held locks on them.)
   */
  async *#replay(spill: SpillFile, tx: TxnInfo): AsyncGenerator<ChangeBatch> {
    const relations = new Map(this.#relations);
    const sent = new Set<number>();
    let events: ChangeEvent[] = [];
    let msgs: SourceMessage[] = [];
    const now = Date.now();
    for await (const r of spill.replay()) {
      const m = decodePgOutput(r.data, { inStream: true });
      if (m.tag === 'relation') { await this.#relation(m, relations); sent.add(m.relationId); }
      else if (m.tag === 'message') { if (m.transactional && this.#in.messagePrefixes?.has(m.prefix)) msgs.push(sourceMessage(m, tx)); }
      else if (m.tag === 'type') { if (!this.#in.types.has(m.typeOid)) await this.#in.types.load(await this.#in.catalog()); }
      else if (m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete' || m.tag === 'truncate') {
        this.#change(m, relations, r.lsn, tx, now, events);
      }
      if (events.length + msgs.length >= this.#in.maxEvents) {
        yield withMessages({ events, checkpoint: null }, msgs);
        events = [];
        msgs = [];
      }
    }
    if (events.length + msgs.length > 0) yield withMessages({ events, checkpoint: null }, msgs);
    for (const id of sent) this.#relations.set(id, relations.get(id)!);
  }

  #change(m: ReturnType<typeof decodePgOutput>, relations: Map<number, RelationState>, lsn: bigint, tx: TxnInfo, now: number, out: ChangeEvent[]): void {
    if (m.tag === 'truncate') {
      for (const id of m.relationIds) {
        const codec = relations.get(id)?.codec;
        if (codec) out.push(truncateEvent(this.#ctx, codec, lsn, tx, now));
      }
      return;
    }
    if (m.tag !== 'insert' && m.tag !== 'update' && m.tag !== 'delete') return;
    const rel = relations.get(m.relationId);
    if (rel === undefined) throw new FerryError('FERRY_SOURCE_ERROR', `pgoutput sent a ${m.tag} for relation ${m.relationId} before its Relation message`, { disposition: 'fatal' });
    if (rel.codec === null) return;
    if (m.tag === 'insert') insertEvents(this.#ctx, rel, m, lsn, tx, now, out);
    else if (m.tag === 'update') {
      const codec = rel.codec;
      // an unchanged TOAST value without an old image (REPLICA IDENTITY DEFAULT): read by key before the batch leaves
      const missing = this.toast !== null && this.#ctx.insertOnlyTables?.has(codec.key) !== true ? unsentColumns(codec, m.newTuple, m.oldTuple) : [];
      if (missing.length > 0) out.push(this.toast!.track(new PendingToastUpdate({ rel, codec, m, lsn, tx, now, missing })));
      else updateEvents(this.#ctx, rel, m, lsn, tx, now, out);
    }
    else deleteEvents(this.#ctx, rel, m, lsn, tx, now, out);
  }

  /**
   * A Relation message: the table's codec at this point of the stream. Columns the current codec already has
   * (same name, type and typmod) keep its nullability and default; only new or retyped columns are looked up in
   * the catalog, which shows the table as it is now, maybe after later DDL: a column gone from it since is taken
   * as nullable. (A null arriving in a column held NOT NULL relaxes it, see change-events.ts.)
   *
   * Renames: a Relation message lists names, not column identities (attnum), so RENAME COLUMN looks exactly like
   * DROP COLUMN plus ADD COLUMN, and the catalog cannot settle it: it shows the table as it is now, after any later
   * DDL. Guessing by position could put a value under the wrong column, so a rename is passed on as a drop and an add
   * (Column.renamedFrom stays unset; docs/sources/postgres.md#schema-changes), with a warning when one message does both.
   */
  async #relation(m: RelationMessage, relations: Map<number, RelationState>): Promise<void> {
    const id = { schema: m.namespace, table: m.name };
    if (!this.#in.selector.includes(id)) {
      relations.set(m.relationId, { codec: null, replicaIdentity: m.replicaIdentity });
      return;
    }
    const current = this.#in.tracker.current(id);
    const known = new Map((current?.input.columns ?? []).map((c) => [c.name, c]));
    const isKnown = (c: RelationMessage['columns'][number]) => {
      const k = known.get(c.name);
      return k !== undefined && k.typeOid === c.typeOid && k.typmod === c.typmod;
    };
    const names = new Set(m.columns.map((c) => c.name));
    if (current !== null) {
      const gone = current.input.columns.filter((c) => !names.has(c.name)).map((c) => c.name);
      const added = m.columns.filter((c) => !known.has(c.name)).map((c) => c.name);
      if (gone.length > 0 && added.length > 0) {
        this.#in.log.warn({ table: `${id.schema}.${id.table}`, gone, added },
          `${id.schema}.${id.table}: column(s) ${gone.join(', ')} gone and ${added.join(', ')} new in one change; PostgreSQL's stream cannot tell a RENAME COLUMN from a drop and an add, so targets get new, empty columns (rows fill as they change) — see docs/sources/postgres.md#schema-changes`);
      }
    }
    const keyKept = current !== null && current.primaryKey.length > 0 && current.primaryKey.every((k) => names.has(k));
    let catalog: Map<string, { typeOid: number; typmod: number; notNull: boolean; defaultExpr: string | null; dims: number }> = new Map();
    let catalogKey: readonly string[] = [];
    if (!m.columns.every(isKnown) || (current === null || (!keyKept && current.primaryKey.length > 0))) {
      const client = await this.#in.catalog();
      if (m.columns.some((c) => !this.#in.types.has(c.typeOid))) await this.#in.types.load(client);
      const def = (await readTableDefs(client, [m.relationId])).get(m.relationId);
      catalog = new Map((def?.columns ?? []).map((c) => [c.name, c]));
      catalogKey = def?.primaryKey ?? [];
    }
    const columns = m.columns.map((c) => {
      if (isKnown(c)) { const k = known.get(c.name)!; return { ...k }; }
      const cat = catalog.get(c.name);
      const same = cat !== undefined && cat.typeOid === c.typeOid && cat.typmod === c.typmod;
      return { name: c.name, typeOid: c.typeOid, typmod: c.typmod, notNull: same && cat.notNull, defaultExpr: same ? cat.defaultExpr : null, dims: same ? cat.dims : 0 };
    });
    const primaryKey = keyKept ? current!.primaryKey
      : catalogKey.length > 0 && catalogKey.every((k) => names.has(k)) ? catalogKey : [];
    const codec = this.#in.tracker.codec({ ...id, columns, primaryKey }, 'Relation message');
    relations.set(m.relationId, { codec, replicaIdentity: m.replicaIdentity });
  }

  async cleanup(): Promise<void> {
    for (const s of this.#spills.values()) await s.discard();
    this.#spills.clear();
  }
}

/** `batch` with `messages` (when there are any). */
function withMessages(batch: ChangeBatch, messages: SourceMessage[]): ChangeBatch {
  return messages.length > 0 ? { ...batch, messages } : batch;
}

/** A pgoutput message as a SourceMessage: a transactional one with its transaction's id and commit time. */
function sourceMessage(m: LogicalDecodingMessage, tx: TxnInfo | null): SourceMessage {
  return {
    prefix: m.prefix, content: m.content, transactional: m.transactional, position: lsnPosition(m.lsn),
    ...(tx !== null ? { txId: tx.txId, tsMs: tx.commitMs } : { tsMs: Date.now() }),
  };
}
