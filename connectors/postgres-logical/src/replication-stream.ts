/**
 * The walsender connection: START_REPLICATION … LOGICAL on a `replication=database` connection of `pg`, read
 * through a Submittable that receives each CopyData message as pg-protocol parses it.
 *
 *   - Backpressure: received XLogData messages queue up to readAheadBytes of payload (settings.batch.readAheadBytes,
 *     1 MiB by default) or HIGH_WATER_MESSAGES messages; beyond that the socket's reads stop until take() empties
 *     the queue, so a backlog waits in the kernel and the walsender instead of in Ferry's heap. (The bound was
 *     20,000 messages or 32 MiB: a 500k-event drain held 20,000 queued messages, each a Buffer, an object and
 *     bigints, and as many again being decoded, all promoted to old space; docs/performance.md, "Memory".)
 *     A message keeps only its position and a copy of its payload.
 *   - Acknowledgement: the only position ever reported is the last *durable* one (confirm(), called from
 *     SourceConnector.acknowledge once the runtime has committed the offset) — in answers to keepalives that ask
 *     for a reply, and every statusIntervalMs so the walsender never times out while Ferry is busy or paused.
 *     Received-but-unacknowledged data is never reported (a client library's periodic status update, as pg-logical-replication's, does that).
 *   - Read pacing: hold(true) also pauses the socket (the runtime's ReadPacer, while it gathers or writes a small
 *     batch), so a burst of small transactions is read at once; status updates go out regardless.
 */
import type pg from 'pg';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { formatLsnText } from '../../../core/src/position.ts';
import type { Logger } from '../../../core/src/types.ts';
import { pauseSocketReads, resumeSocketReads } from '../../../core/src/socket-reads.ts';
import { decodeCopyData, encodeStandbyStatus, pgNow, type PrimaryKeepalive, type XLogData } from './protocol/pgoutput-decoder.ts';
import { openSession, quoteIdent, quoteLiteral, type PgConnectionConfig } from './pg-connection.ts';

export interface ReplicationOptions {
  readonly slot: string;
  readonly publication: string;
  /** Where to start: the server starts at this LSN or the slot's confirmed_flush_lsn, whichever is later. */
  readonly startLsn: bigint;
  /** The last durable position (reported until confirm() moves it). */
  readonly durableLsn: bigint;
  readonly protoVersion: 1 | 2;
  /** Protocol 2: stream in-progress transactions larger than logical_decoding_work_mem. */
  readonly streaming: boolean;
  /** pgoutput's `messages` option (PostgreSQL 14+): logical decoding messages (heartbeats, outbox) are sent. */
  readonly messages: boolean;
  /**
   * Queue the server's keepalives in order with the data (take() returns them), so the reader can checkpoint at
   * their WAL position while no transaction is open: how the stream moves while idle when the server sends no
   * logical messages (PostgreSQL 13). See server-features.ts.
   */
  readonly keepalivePositions?: boolean;
  readonly statusIntervalMs: number;
  /**
   * Most payload bytes received and not yet taken (settings.batch.readAheadBytes); the socket is left unread beyond
   * that. Default DEFAULT_READ_AHEAD_BYTES. One socket read (up to 64 KiB) may go over it.
   */
  readonly readAheadBytes?: number;
  /** Extra settings of the walsender session, e.g. logical_decoding_work_mem (when transactions start streaming). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly log: Logger;
}

const HIGH_WATER_MESSAGES = 20000;
/** settings.batch.readAheadBytes' default (also for streams opened without it, e.g. in tests). */
export const DEFAULT_READ_AHEAD_BYTES = 1024 * 1024;

interface CopyDataMsg { readonly chunk: Buffer }

/** START_REPLICATION's options for pgoutput. */
export function startReplicationSql(o: Pick<ReplicationOptions, 'slot' | 'publication' | 'startLsn' | 'protoVersion' | 'streaming' | 'messages'>): string {
  const opts = [`proto_version '${o.protoVersion}'`, `publication_names ${quoteLiteral(quoteIdent(o.publication))}`];
  // PostgreSQL 13's pgoutput refuses options it does not know ("unrecognized pgoutput option"): only what the server has
  if (o.messages) opts.push("messages 'true'");
  if (o.protoVersion >= 2 && o.streaming) opts.push("streaming 'on'");
  return `START_REPLICATION SLOT ${quoteIdent(o.slot)} LOGICAL ${formatLsnText(o.startLsn)} (${opts.join(', ')})`;
}

export class ReplicationStream {
  readonly #client: pg.Client;
  readonly #o: ReplicationOptions;
  #queue: (XLogData | PrimaryKeepalive)[] = [];
  #lastKeepalive = 0n;
  #queuedBytes = 0;
  /** Paused for backpressure (queue at the high-water mark). */
  #paused = false;
  /** Paused for read pacing. */
  #held = false;
  #socketPaused = false;
  #waiter: (() => void) | null = null;
  /** The signal take() listens to (one listener, #onAbort, which wakes a waiting take()). */
  #abortSignal: AbortSignal | null = null;
  readonly #onAbort = (): void => this.#wake();
  #error: unknown = null;
  #ended = false;
  #closing = false;
  #durable: bigint;
  readonly #readAheadBytes: number;
  #timer: NodeJS.Timeout | null = null;
  /** The server's WAL end from the latest message or keepalive (for lag logs). */
  walEnd = 0n;

  private constructor(client: pg.Client, o: ReplicationOptions) {
    this.#client = client;
    this.#o = o;
    this.#durable = o.durableLsn;
    this.#readAheadBytes = o.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES;
  }

  /** Connects and starts streaming; rejects with the server's error (e.g. a missing slot) if it cannot. */
  static async open(cfg: PgConnectionConfig, o: ReplicationOptions): Promise<ReplicationStream> {
    const client = await openSession(cfg, { replication: true, applicationName: `ferry:${o.slot}`, ...(o.settings ? { settings: o.settings } : {}) });
    const rs = new ReplicationStream(client, o);
    try {
      await rs.#start();
    } catch (e: unknown) {
      await rs.close();
      throw e;
    }
    return rs;
  }

  get #connection(): pg.Connection & { stream: { pause(): void; resume(): void; destroy(): void }; sendCopyFromChunk(b: Buffer): void } {
    return (this.#client as unknown as { connection: never }).connection;
  }

  #start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const conn = this.#connection;
      conn.once('replicationStart', () => {
        started = true;
        this.#timer = setInterval(() => this.#sendStatus(false), this.#o.statusIntervalMs);
        this.#timer.unref();
        resolve();
      });
      this.#client.on('error', (e: unknown) => this.#fail(e));
      this.#client.on('end', () => { if (!this.#closing) this.#fail(new FerryError('FERRY_SOURCE_ERROR', 'the replication connection was closed by the server')); });
      const submittable = {
        submit: (c: pg.Connection) => c.query(startReplicationSql(this.#o)),
        handleCopyData: (msg: CopyDataMsg) => this.#onCopyData(msg.chunk),
        handleError: (e: unknown) => {
          if (!started) reject(e);
          else this.#fail(e);
        },
        handleReadyForQuery: () => {
          if (!started) reject(new FerryError('FERRY_SOURCE_ERROR', 'START_REPLICATION ended without streaming'));
          this.#ended = true;
          this.#wake();
        },
        handleCommandComplete: () => undefined,
        handleRowDescription: () => undefined,
        handleDataRow: () => undefined,
        handleEmptyQuery: () => undefined,
        handlePortalSuspended: () => undefined,
        handleCopyInResponse: () => undefined,
      };
      this.#client.query(submittable as unknown as pg.Submittable);
    });
  }

  #onCopyData(view: Buffer): void {
    if (view[0] === 0x77 && view.length >= 25) { // XLogData, the common case: decoded here, without the framing's objects
      const walEnd = view.readBigUInt64BE(9);
      if (walEnd > this.walEnd) this.walEnd = walEnd;
      // pg-protocol hands out views of its read buffer, which it reuses for later data: keep a copy of the payload.
      const data = Buffer.from(view.subarray(25));
      this.#queue.push({ kind: 'xlogdata', walStart: view.readBigUInt64BE(1), data });
      this.#queuedBytes += data.length;
      if (!this.#paused && (this.#queue.length >= HIGH_WATER_MESSAGES || this.#queuedBytes >= this.#readAheadBytes)) {
        this.#paused = true;
        this.#applyPause();
      }
      this.#wake();
      return;
    }
    let m;
    try {
      m = decodeCopyData(view);
    } catch (e: unknown) {
      this.#fail(e);
      return;
    }
    if (m.kind === 'keepalive') {
      if (m.walEnd > this.walEnd) this.walEnd = m.walEnd;
      if (m.replyRequested) this.#sendStatus(false);
      if (this.#o.keepalivePositions === true && m.walEnd > this.#lastKeepalive) {
        this.#lastKeepalive = m.walEnd;
        this.#queue.push(m);
        this.#wake();
      }
      return;
    }
    // not reached: decodeCopyData gives an XLogData only for what the branch above took, and throws for a short one
    this.#fail(new FerryError('FERRY_SOURCE_ERROR', 'an XLogData message the replication stream did not take', { disposition: 'fatal' }));
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  #fail(e: unknown): void {
    this.#error ??= e;
    this.#wake();
  }

  /**
   * The messages received since the last call (waits for at least one); null once the stream has ended. Keepalives
   * are among them, in stream order, only with keepalivePositions.
   */
  async take(signal: AbortSignal): Promise<(XLogData | PrimaryKeepalive)[] | null> {
    // One abort listener per signal for the stream's life (removed by close()), not one added and removed per wait:
    // an AbortSignal's listener list is an EventTarget's, and this waits about once per pipeline cycle.
    if (this.#abortSignal !== signal) {
      this.#abortSignal?.removeEventListener('abort', this.#onAbort);
      this.#abortSignal = signal;
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    while (this.#queue.length === 0) {
      if (this.#error !== null) throw this.#error;
      if (this.#ended || signal.aborted) return null;
      await new Promise<void>((resolve) => { this.#waiter = resolve; });
    }
    const out = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#applyPause();
    }
    return out;
  }

  /** Read pacing (SourceContext.pacing): leave the socket unread while held. */
  hold(on: boolean): void {
    if (this.#closing || on === this.#held) return;
    this.#held = on;
    this.#applyPause();
  }

  #applyPause(): void {
    const pause = this.#paused || this.#held;
    if (pause === this.#socketPaused) return;
    this.#socketPaused = pause;
    if (pause) pauseSocketReads(this.#connection.stream as never);
    else resumeSocketReads(this.#connection.stream as never);
  }

  /** Makes take() throw `e` (e.g. the slot monitor found the slot lost). */
  interrupt(e: unknown): void {
    this.#fail(e);
  }

  /** `lsn` is durable downstream: the slot may release WAL up to it. */
  confirm(lsn: bigint): void {
    if (lsn <= this.#durable) return;
    this.#durable = lsn;
    this.#sendStatus(false);
  }

  get durable(): bigint {
    return this.#durable;
  }

  #sendStatus(replyRequested: boolean): void {
    if (this.#closing || this.#error !== null) return;
    const lsn = this.#durable;
    try {
      this.#connection.sendCopyFromChunk(encodeStandbyStatus({ write: lsn, flush: lsn, apply: lsn, clock: pgNow(), replyRequested }));
    } catch (e: unknown) {
      this.#o.log.warn({ err: errorMessage(e) }, 'could not send a standby status update');
    }
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#abortSignal?.removeEventListener('abort', this.#onAbort);
    this.#abortSignal = null;
    this.#wake();
    const conn = this.#connection;
    if (this.#socketPaused) resumeSocketReads(conn.stream as never);
    await Promise.race([
      this.#client.end().catch(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    conn?.stream.destroy();
  }
}
