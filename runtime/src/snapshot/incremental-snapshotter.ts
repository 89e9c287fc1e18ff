/**
 * Incremental snapshots (DBLog-style watermarks, read-only: nothing is written to the source), triggered by an
 * `execute-snapshot` signal (SourceConnector.signal, from POST /signals) while changes stream. Shared by the MySQL/MariaDB and PostgreSQL sources;
 * each gives a ChunkSource (its watermark and chunk queries) and its log-order test.
 *
 * The snapshotter wraps the change stream. For each chunk of a table (primary-key order, settings.snapshot.chunkSize
 * rows) it opens a ChunkWindow (chunk-window.ts), reads the low watermark (the source's current log position),
 * SELECTs the chunk, reads the high watermark, and lets streamed batches go by meanwhile, each dropping the keys it
 * changes from the chunk. After the first streamed batch whose checkpoint (a transaction boundary) has passed the
 * high watermark, the remaining rows go out as op 'r' events with source.snapshot 'incremental', in batches whose
 * last one carries that checkpoint and the new progress as its state. Then the next chunk.
 *
 * Progress (pending and running signals: tables, the table being read, the last key emitted) is committed with every
 * checkpoint as ChangeBatch.state `{ v: 1, incremental: { jobs: [...] } }`, so a restarted task continues with the
 * chunk after the last one committed. (The initial snapshot's state uses the `snapshot` field of the same record;
 * the two never coexist, since incremental snapshots run only while streaming. A MySQL lock-free initial snapshot is a job
 * here, `initial: true`: queueInitial.)
 *
 * Signals (docs/signals.md): `execute-snapshot` queues a job; `stop-snapshot` takes tables out of the open jobs (or
 * stops them all), and a chunk of a stopped table still being read is discarded; `pause-snapshot` holds every job
 * after the chunk in flight, `resume-snapshot` continues them. The pause, the stopped tables and the Kafka signal
 * channel's offset (SourceSignal.channelOffset) are part of the committed state. With a signal table
 * (SnapshotterOptions.signalTable), its inserted rows are read as signals from the stream, in stream order, before
 * the batch that carries them goes on (signal-table.ts).
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { ChangeBatch, ChangeEvent, Logger, Position, SignalResult, SignalStatus, SourceSignal } from '../../../core/src/types.ts';
import { ChunkWindow, type EncodedKey, type HasPassed } from './chunk-window.ts';
import { readChannelOffset, signalRowsOf, type ChannelOffset } from './signal-table.ts';
import { SnapshotMarkers } from './snapshot-markers.ts';

/** The id of the lock-free initial snapshot's job (queueInitial). */
export const INITIAL_SNAPSHOT_ID = 'initial-snapshot';

/** One signal's progress, as committed in the offset state. */
export interface JobState {
  readonly id: string;
  readonly tables: readonly string[];
  /** Index into tables of the table being read. */
  readonly index: number;
  /** The last key emitted in tables[index] (null: start at its beginning). */
  readonly after: EncodedKey | null;
  readonly rows: number;
  readonly chunks: number;
  /** Per table, the SQL condition the re-read rows meet (SourceSignal.conditions). */
  readonly conditions?: Readonly<Record<string, string>>;
  /** Tables a stop-snapshot took out of this job. */
  readonly stopped?: readonly string[];
  /** The signal's sender id (SourceSignal.origin). */
  readonly origin?: string;
  /** The task's lock-free initial snapshot (queueInitial), not a signal's. */
  readonly initial?: boolean;
}

/** Pending and running incremental snapshots in a stored offset's state (an empty list when there are none). */
export function readIncrementalState(state: Readonly<Record<string, unknown>> | undefined, version: number): JobState[] {
  if (!state || state.v !== version || typeof state.incremental !== 'object' || state.incremental === null) return [];
  const jobs = (state.incremental as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) return [];
  return jobs.filter((j: unknown): j is JobState => typeof j === 'object' && j !== null && typeof (j as JobState).id === 'string'
    && Array.isArray((j as JobState).tables) && typeof (j as JobState).index === 'number');
}

/** What the snapshotter reads from the database (MySqlChunkSource; a fake in unit tests). */
export interface ChunkSource {
  /** The server's current log position (the low and high watermarks). */
  watermark(): Promise<Position>;
  /**
   * Up to `limit` rows after `after` in key order as op 'r' events; `last` null when the table has no more rows.
   * With `condition`, only rows that meet it (a SQL condition of the source's dialect, ANDed to the chunk's).
   * `at`, when the source knows it: the exact log position the read saw (every transaction before it, none after;
   * MariaDB's binlog_snapshot_position). A read at a position before the stream's checkpoint when its window opened
   * missed changes the window did not see, so the snapshotter reads that chunk again.
   */
  readChunk(table: string, after: EncodedKey | null, limit: number, condition?: string): Promise<{ events: ChangeEvent[]; last: EncodedKey | null; version: number; at?: Position }>;
  /** The table's current schema version (a DDL since the chunk was read means reading it again). */
  version(table: string): number | null;
  /** Forget the connection after an error. */
  reset(): void;
  /** Optional: false while the stream has not yet seen the table (MySQL: not in the schema history yet). */
  ready?(table: string): boolean;
  /** Optional: every streamed batch, before the snapshotter's window sees it (PostgreSQL tracks transaction ids). */
  observe?(events: readonly ChangeEvent[]): void;
}

export interface SnapshotterOptions {
  readonly chunkSize: number;
  /** The version of the offset-state record the source writes (its initial snapshot shares the record). */
  readonly stateVersion: number;
  /** The source's log-order test of a checkpoint against a high watermark. */
  readonly hasPassed: HasPassed;
  readonly maxEvents: number;
  readonly log: Logger;
  /** Why these tables cannot be snapshotted ('<db>.<table>' each), or null when they can. */
  readonly validate: (tables: readonly string[]) => Promise<string | null>;
  /** The signal table ('<schema>.<table>' as in TableSchema.id): its streamed inserts are signals. Null: none. */
  readonly signalTable?: string | null;
  /** The initial job's progress: rows of `table` emitted in a chunk, and whether the table is done (the source logs it). */
  readonly onInitialRows?: (table: string, rows: number, tableDone: boolean) => void;
}

interface Job {
  id: string;
  tables: string[];
  index: number;
  after: EncodedKey | null;
  rows: number;
  chunks: number;
  conditions?: Readonly<Record<string, string>>;
  stopped: string[];
  origin?: string;
  /** Increased by a stop-snapshot: a chunk read under an older generation is discarded. */
  generation: number;
  /** The lock-free initial snapshot (queueInitial), with its snapshot markers. */
  initial?: SnapshotMarkers;
  /** Chunks read again in a row because their read was older than their window (ChunkSource.readChunk `at`). */
  stale?: number;
  /** The order of signals in statuses(). */
  readonly seq: number;
  status: SignalStatus['status'];
  error?: string;
  attempts: number;
  /** When the source first said the current table is not ready (see ChunkSource.ready). */
  waitingSince?: number;
}

interface Chunk {
  readonly job: Job;
  readonly generation: number;
  readonly window: ChunkWindow;
  /** Resolves (never rejects) when the chunk is read or failed. */
  readonly read: Promise<void>;
  settled: boolean;
  error: unknown;
  version: number;
  /** The stream's checkpoint when the window opened, and the exact position of the read if the source gave one. */
  readonly openedAt: Position;
  at?: Position;
}

const MAX_ATTEMPTS = 3;
const READY_WAIT_MS = 120_000;

export class IncrementalSnapshotter {
  readonly #o: SnapshotterOptions;
  readonly #jobs: Job[] = [];
  /** stop, pause and resume signals received (statuses() lists them with the jobs); not part of the state. */
  readonly #controls: (SignalStatus & { readonly seq: number })[] = [];
  #seq = 0;
  #paused = false;
  #channelOffset: ChannelOffset | null = null;
  #wake: (() => void) | null = null;

  constructor(options: SnapshotterOptions) {
    this.#o = options;
  }

  /** Pending and running jobs from a stored offset's state (a restart continues them). */
  restore(state: Readonly<Record<string, unknown>> | undefined): void {
    for (const j of readIncrementalState(state, this.#o.stateVersion)) {
      if (this.#jobs.some((x) => x.id === j.id)) continue;
      this.#jobs.push({
        id: j.id, tables: [...j.tables], index: j.index, after: j.after ?? null, rows: j.rows ?? 0, chunks: j.chunks ?? 0, ...(j.conditions ? { conditions: j.conditions } : {}),
        stopped: Array.isArray(j.stopped) ? [...j.stopped] : [], ...(typeof j.origin === 'string' ? { origin: j.origin } : {}), generation: 0, seq: ++this.#seq, status: 'pending', attempts: 0,
        ...(j.initial === true ? { initial: new SnapshotMarkers(false) } : {}),
      });
      this.#o.log.info({ id: j.id, table: j.tables[j.index], after: j.after }, `resuming ${j.initial === true ? 'the lock-free initial snapshot' : `incremental snapshot ${j.id}`} at ${j.tables[j.index]}`);
    }
    const inc = state?.v === this.#o.stateVersion ? (state.incremental as { paused?: unknown } | undefined) : undefined;
    if (inc?.paused === true) {
      this.#paused = true;
      this.#o.log.info('incremental snapshots stay paused (a pause-snapshot signal was received before the restart): send resume-snapshot to continue');
    }
    this.#channelOffset ??= readChannelOffset(state);
  }

  /**
   * The task's initial snapshot, lock-free (MySQL settings.snapshotLocking none): `tables` read in key chunks between
   * watermarks while the stream goes on, before any signalled job. Its reads are op 'r' with the initial snapshot's
   * markers (first, true, last; not 'incremental'), and the batch that emits its last chunk has snapshotDone. A chunk
   * that keeps failing fails the stream (the task restarts from its last checkpoint and continues the job), and
   * stop-snapshot does not touch it. An empty table list finishes at the first checkpoint.
   */
  queueInitial(tables: readonly string[]): void {
    this.#jobs.unshift({
      id: INITIAL_SNAPSHOT_ID, tables: [...tables], index: 0, after: null, rows: 0, chunks: 0, stopped: [], generation: 0,
      seq: ++this.#seq, status: 'pending', attempts: 0, initial: new SnapshotMarkers(true),
    });
  }

  /** Whether the lock-free initial snapshot is still pending or running. */
  get initialPending(): boolean {
    return this.#jobs.some((j) => j.initial !== undefined && (j.status === 'pending' || j.status === 'running'));
  }

  /** execute-snapshot, stop-snapshot, pause-snapshot or resume-snapshot (docs/signals.md). */
  async signal(s: SourceSignal): Promise<SignalResult> {
    const r = await this.#signal(s);
    // The Kafka channel's position moves past every signal it handed on, accepted or refused: a refused one
    // would be refused again.
    if (s.channelOffset) this.#channelOffset = { topic: s.channelOffset.topic, partition: s.channelOffset.partition, next: s.channelOffset.next };
    return r;
  }

  async #signal(s: SourceSignal): Promise<SignalResult> {
    switch (s.type) {
      case 'execute-snapshot': return this.#execute(s);
      case 'stop-snapshot': return this.#stop(s);
      case 'pause-snapshot':
      case 'resume-snapshot': {
        const pause = s.type === 'pause-snapshot';
        if (this.#paused === pause) return { accepted: false, reason: pause ? 'incremental snapshots are already paused' : 'incremental snapshots are not paused' };
        this.#paused = pause;
        this.#o.log.info({ origin: s.origin }, pause ? 'incremental snapshots paused (after the chunk being read)' : 'incremental snapshots resumed');
        this.#notify();
        return { accepted: true, signal: this.#control(s, []) };
      }
      default: return { accepted: false, reason: `unknown signal type ${String((s as { type: unknown }).type)}` };
    }
  }

  async #execute(s: SourceSignal): Promise<SignalResult> {
    const tables = [...new Set(s.tables)];
    if (tables.length === 0) return { accepted: false, reason: 'execute-snapshot needs at least one table' };
    const reason = await this.#o.validate(tables);
    if (reason !== null) return { accepted: false, reason };
    const unknown = Object.keys(s.conditions ?? {}).filter((t) => !tables.includes(t));
    if (unknown.length > 0) return { accepted: false, reason: `additional-conditions name ${unknown.join(', ')}, which the signal does not snapshot` };
    const conditions = s.conditions && Object.keys(s.conditions).length > 0 ? s.conditions : undefined;
    const seq = ++this.#seq;
    const job: Job = {
      id: `snap-${Date.now().toString(36)}-${seq}`, tables, index: 0, after: null, rows: 0, chunks: 0, ...(conditions ? { conditions } : {}),
      stopped: [], ...(s.origin !== undefined ? { origin: s.origin } : {}), generation: 0, seq, status: 'pending', attempts: 0,
    };
    this.#jobs.push(job);
    this.#o.log.info({ id: job.id, tables, origin: s.origin }, `incremental snapshot ${job.id} of ${tables.join(', ')} queued`);
    this.#notify();
    return { accepted: true, signal: this.#status(job) };
  }

  /** stop-snapshot: the named tables leave every open job (none named: every open job stops). */
  #stop(s: SourceSignal): SignalResult {
    const open = this.#jobs.filter((j) => j.initial === undefined && (j.status === 'pending' || j.status === 'running'));
    if (open.length === 0) return { accepted: false, reason: 'stop-snapshot: no incremental snapshot is pending or running' };
    const named = new Set(s.tables);
    if (named.size > 0) {
      const unread = new Set(open.flatMap((j) => j.tables.slice(j.index)));
      const strangers = [...named].filter((t) => !unread.has(t));
      if (strangers.length === named.size) return { accepted: false, reason: `stop-snapshot: ${strangers.join(', ')} ${strangers.length > 1 ? 'are' : 'is'} not being snapshotted (pending or running)` };
    }
    for (const j of open) {
      const rest = j.tables.slice(j.index);
      const gone = named.size === 0 ? rest : rest.filter((t) => named.has(t));
      if (gone.length === 0) continue;
      if (gone.includes(j.tables[j.index]!)) { j.after = null; j.generation++; j.waitingSince = undefined; }
      j.stopped.push(...gone);
      j.tables = [...j.tables.slice(0, j.index), ...rest.filter((t) => !gone.includes(t))];
      if (j.index >= j.tables.length) j.status = 'stopped';
      this.#o.log.info({ id: j.id, tables: gone, origin: s.origin }, `incremental snapshot ${j.id}: stopped ${gone.join(', ')}${j.status === 'stopped' ? '; the snapshot is over' : ''}`);
    }
    this.#notify();
    return { accepted: true, signal: this.#control(s, s.tables) };
  }

  #control(s: SourceSignal, tables: readonly string[]): SignalStatus {
    const seq = ++this.#seq;
    const st: SignalStatus & { seq: number } = {
      id: `${s.type.replace('-snapshot', '')}-${Date.now().toString(36)}-${seq}`, type: s.type, tables, status: 'done', tablesDone: 0, rowsEmitted: 0, chunks: 0,
      ...(s.origin !== undefined ? { origin: s.origin } : {}), seq,
    };
    this.#controls.push(st);
    const { seq: _seq, ...out } = st;
    return out;
  }

  statuses(): SignalStatus[] {
    const all: { seq: number; s: SignalStatus }[] = [...this.#jobs.map((j) => ({ seq: j.seq, s: this.#status(j) })), ...this.#controls.map(({ seq, ...s }) => ({ seq, s }))];
    return all.sort((a, b) => a.seq - b.seq).map((x) => x.s);
  }

  #status(j: Job): SignalStatus {
    const st = status(j);
    return this.#paused && (j.status === 'pending' || j.status === 'running') ? { ...st, status: 'paused' } : st;
  }

  /** Whether incremental snapshots are paused (pause-snapshot). */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * The offset state that records the open jobs, the pause and the Kafka signal channel's offset; undefined when
   * there is none of these.
   */
  state(): Readonly<Record<string, unknown>> | undefined {
    const open = this.#jobs.filter((j) => j.status === 'pending' || j.status === 'running');
    if (open.length === 0 && !this.#paused && this.#channelOffset === null) return undefined;
    const jobs = open.map((j): JobState => ({
      id: j.id, tables: j.tables, index: j.index, after: j.after, rows: j.rows, chunks: j.chunks, ...(j.conditions ? { conditions: j.conditions } : {}),
      ...(j.stopped.length > 0 ? { stopped: j.stopped } : {}), ...(j.origin !== undefined ? { origin: j.origin } : {}),
      ...(j.initial !== undefined ? { initial: true } : {}),
    }));
    return { v: this.#o.stateVersion, incremental: { jobs, ...(this.#paused ? { paused: true } : {}), ...(this.#channelOffset ? { channelOffset: this.#channelOffset } : {}) } };
  }

  /** The signals among a streamed batch's events (rows inserted into the signal table), handled in order. */
  async #signalRows(events: readonly ChangeEvent[]): Promise<void> {
    for (const s of signalRowsOf(events, this.#o.signalTable ?? null)) {
      if (typeof s === 'string') {
        this.#o.log.warn({ channel: 'source', table: this.#o.signalTable }, `signal refused: ${s}`);
        continue;
      }
      const r = await this.signal(s);
      if (r.accepted) this.#o.log.info({ channel: 'source', origin: s.origin, type: s.type, id: r.signal.id }, `signal ${s.type} accepted`);
      else this.#o.log.warn({ channel: 'source', origin: s.origin, type: s.type }, `signal ${s.type} refused: ${r.reason}`);
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /**
   * The change stream with incremental snapshot chunks interleaved; `start` is the stream's start position.
   *
   * The loop sleeps until the stream's next batch arrives, a chunk settles or a signal comes (#notify). Each
   * pending next() and each chunk gets exactly one callback that wakes it. (A Promise.race over the next batch, the
   * chunk and a never-settling promise, as this once was, adds a reaction to the long-lived promises on every turn,
   * and each reaction keeps the batch its race resolved with alive: every event streamed stayed in memory.)
   */
  async *wrap(stream: AsyncIterable<ChangeBatch>, source: ChunkSource, start: Position): AsyncGenerator<ChangeBatch> {
    const it = stream[Symbol.asyncIterator]();
    /** The outstanding it.next() (`pending`) until it settles into `result`. */
    const next: { pending: Promise<void> | null; result: { readonly r: IteratorResult<ChangeBatch> } | { readonly e: unknown } | null } = { pending: null, result: null };
    let chunk: Chunk | null = null;
    let last = start;
    const actionable = (c: Chunk | null) => c !== null && c.settled && (c.error !== undefined || c.generation !== c.job.generation || this.#stale(c) || c.window.readyAt(last));
    /** The last streamed batch ended inside a transaction (checkpoint null): no window opens until its end. */
    let midTransaction = false;
    try {
      for (;;) {
        if (chunk === null && !midTransaction) {
          chunk = this.#startChunk(source, last);
          if (chunk !== null) void chunk.read.then(() => this.#notify());
        }
        if (next.pending === null && next.result === null) {
          const p: Promise<void> = it.next().then((r) => { next.result = { r }; }, (e: unknown) => { next.result = { e }; }).finally(() => {
            if (next.pending === p) next.pending = null;
            this.#notify();
          });
          next.pending = p;
        }
        if (next.result === null && !actionable(chunk)) {
          await new Promise<void>((r) => { this.#wake = r; });
          this.#wake = null;
        }
        const got = next.result;
        if (got !== null) {
          next.result = null;
          if ('e' in got) throw got.e;
          if (got.r.done) return;
          const b = got.r.value;
          if (this.#o.signalTable) await this.#signalRows(b.events);
          source.observe?.(b.events);
          chunk?.window.observe(b.events);
          midTransaction = b.checkpoint === null;
          if (b.checkpoint !== null) {
            last = b.checkpoint;
            const st = this.state();
            yield st ? { ...b, state: st } : b;
          } else {
            yield b;
          }
        }
        if (chunk !== null && chunk.generation !== chunk.job.generation) {
          // A stop-snapshot took its table out (or stopped its job) while it was read: discarded once its query is
          // over (the chunk source runs one query at a time), none of its rows emitted.
          if (chunk.settled) {
            chunk = null;
            continue;
          }
        } else if (chunk?.settled) {
          if (chunk.error !== undefined) {
            this.#failed(chunk, source);
            if (chunk.job.initial !== undefined && chunk.job.status === 'failed') {
              throw new FerryError('FERRY_SOURCE_ERROR', `the initial snapshot failed: ${chunk.job.error ?? errorMessage(chunk.error)}`, { cause: chunk.error });
            }
            chunk = null;
          } else if (this.#stale(chunk)) {
            const n = chunk.job.stale = (chunk.job.stale ?? 0) + 1;
            (n === 20 ? this.#o.log.warn : this.#o.log.debug).call(this.#o.log, { table: chunk.window.table, at: chunk.at, openedAt: chunk.openedAt, times: n },
              `a chunk of ${chunk.window.table} was read at a position before its window opened${n >= 20 ? ` ${n} times in a row` : ''}: reading it again`);
            chunk = null;
          } else if (chunk.window.readyAt(last)) {
            const done = chunk;
            chunk = null;
            if (source.version(done.window.table) !== done.version) {
              this.#o.log.info({ table: done.window.table }, `the schema of ${done.window.table} changed while a chunk was read: reading it again`);
              continue;
            }
            yield* this.#emit(done, last);
          }
        }
      }
    } finally {
      this.#wake = null;
      for (const j of this.#jobs) if (j.status === 'running') j.status = 'pending';
      if (next.pending !== null) void next.pending.then(() => it.return?.(), () => undefined);
      else await it.return?.();
    }
  }

  /** A chunk read at an exact position before the stream's checkpoint when its window opened (ChunkSource.readChunk `at`). */
  #stale(c: Chunk): boolean {
    return c.settled && c.error === undefined && c.at !== undefined && !this.#o.hasPassed(c.at, c.openedAt);
  }

  #startChunk(source: ChunkSource, openedAt: Position): Chunk | null {
    if (this.#paused) return null;
    const job = this.#jobs.find((j) => j.status === 'pending' || j.status === 'running');
    if (!job) return null;
    if (job.status === 'pending') {
      job.status = 'running';
      this.#o.log.info({ id: job.id, tables: job.tables }, `${nameOf(job)} started`);
    }
    const table = job.tables[job.index]!;
    if (source.ready?.(table) === false) {
      // The stream has not reached the table's creation yet (e.g. a table added to a task that restarted from an
      // older offset): wait for the stream, up to READY_WAIT_MS, then read anyway and let the chunk source fail.
      job.waitingSince ??= Date.now();
      if (Date.now() - job.waitingSince < READY_WAIT_MS) return null;
    }
    job.waitingSince = undefined;
    const window = new ChunkWindow(table, this.#o.hasPassed);
    const chunk: Chunk = { job, generation: job.generation, window, settled: false, error: undefined, version: 0, openedAt, read: Promise.resolve() };
    (chunk as { read: Promise<void> }).read = (async () => {
      try {
        // A chunk read again because its read was older than its window: the commit it missed lands within milliseconds.
        const stale = job.stale ?? 0;
        if (stale > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** Math.min(stale, 7))));
        await source.watermark(); // the low watermark: the window is already open (earlier, in stream order)
        const { events, last, version, at } = await source.readChunk(table, job.after, this.#o.chunkSize, job.conditions?.[table]);
        const high = await source.watermark();
        chunk.version = version;
        if (at !== undefined) chunk.at = at;
        window.fill(events, high, last);
      } catch (e: unknown) {
        chunk.error = e;
      } finally {
        chunk.settled = true;
      }
    })();
    return chunk;
  }

  #failed(chunk: Chunk, source: ChunkSource): void {
    const job = chunk.job;
    source.reset();
    job.attempts++;
    const msg = errorMessage(chunk.error);
    if (job.attempts < MAX_ATTEMPTS && !(chunk.error instanceof FerryError && chunk.error.disposition === 'fatal')) {
      this.#o.log.warn({ id: job.id, table: chunk.window.table, err: msg, attempt: job.attempts }, `incremental snapshot chunk of ${chunk.window.table} failed: retrying`);
      return;
    }
    job.status = 'failed';
    job.error = `${chunk.window.table}: ${msg}`;
    this.#o.log.error({ id: job.id, err: job.error }, `${nameOf(job)} failed: ${job.error}`);
  }

  *#emit(chunk: Chunk, checkpoint: Position): Generator<ChangeBatch> {
    const { job, window } = chunk;
    const now = Date.now();
    const marker = job.initial !== undefined ? 'true' : 'incremental';
    let rows = window.take().map((e): ChangeEvent => ({ ...e, tsMs: now, source: { ...e.source, tsMs: now, snapshot: marker, position: checkpoint } }));
    job.initial?.markNext(window.table, rows);
    job.rows += rows.length;
    job.chunks++;
    job.attempts = 0;
    job.stale = 0;
    if (job.initial !== undefined) this.#o.onInitialRows?.(window.table, rows.length, window.last === null);
    if (window.last === null) {
      this.#o.log.info({ id: job.id, table: window.table, rows: job.rows }, `${nameOf(job)}: ${window.table} done`);
      job.index++;
      job.after = null;
      if (job.index >= job.tables.length) {
        job.status = 'done';
        this.#o.log.info({ id: job.id, rows: job.rows, chunks: job.chunks }, `${nameOf(job)} finished: ${job.rows} rows in ${job.chunks} chunks`);
      }
    } else {
      job.after = window.last;
    }
    const initialDone = job.initial !== undefined && job.status === 'done';
    if (initialDone) rows = job.initial!.markLast(rows);
    const state = this.state();
    const max = this.#o.maxEvents;
    for (let i = 0; i < rows.length || i === 0; i += max) {
      const events = rows.slice(i, i + max);
      const final = i + max >= rows.length;
      if (final) yield { events, checkpoint, ...(state ? { state } : {}), ...(initialDone ? { snapshotDone: true } : {}) };
      else yield { events, checkpoint: null };
    }
  }
}

/** How the logs name a job. */
function nameOf(j: Job): string {
  return j.initial !== undefined ? 'the lock-free initial snapshot' : `incremental snapshot ${j.id}`;
}

function status(j: Job): SignalStatus {
  return {
    // tables: those asked for (stopped ones last); stoppedTables: those a stop-snapshot took out
    id: j.id, type: 'execute-snapshot', tables: [...j.tables, ...j.stopped], status: j.status, tablesDone: Math.min(j.index, j.tables.length), rowsEmitted: j.rows, chunks: j.chunks,
    ...(j.origin !== undefined ? { origin: j.origin } : {}), ...(j.stopped.length > 0 ? { stoppedTables: j.stopped } : {}),
    ...(j.status === 'running' || j.status === 'pending' ? { table: j.tables[j.index] } : {}),
    ...(j.error !== undefined ? { error: j.error } : {}),
  };
}

export { snapshotTablesProblem, type SnapshotTableFacts } from './snapshot-tables-problem.ts';
