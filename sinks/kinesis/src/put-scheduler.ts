/**
 * Sends Kinesis records with PutRecords without ever reordering an ordering key, retrying only what failed.
 *
 * An entry is one Kinesis record (a plain user record or a KPL aggregate) with the ordering keys of the changes it
 * carries. Entries are split into lanes by ordering key; each lane runs one PutRecords call at a time, and lanes run
 * in parallel. A call takes entries in order, within the API limits (records and bytes per call), and skips an entry
 * when one of its ordering keys is already in the call or held back by an earlier unsent entry: so a call carries at
 * most one entry per ordering key, and an entry is sent only after every earlier entry sharing a key has succeeded.
 * PutRecords may fail some records of a call and write the others; with at most one entry per key per call, a failed
 * entry can never be overtaken by a later entry of its key. Failed entries stay pending in their place and go in a
 * later call. Throttling (a throttled call, or ProvisionedThroughputExceeded records) raises a shared adaptive
 * backoff, each clean call lowers it.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { callError, classifyCallError, isThrottleCode, type KinesisPutClient } from './kinesis-client.ts';

export interface Entry {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Ordering keys of the changes in this entry (one for a plain record, several for an aggregate). */
  readonly keys: readonly string[];
  /** Number of changes (user records) it carries. */
  readonly count: number;
}

export interface SchedulerLimits {
  readonly maxRecordsPerCall: number;
  readonly maxBytesPerCall: number;
  readonly parallelCalls: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly giveUpAfterMs: number;
}

export interface SendStats {
  calls: number;
  throttledCalls: number;
  failedRecords: number;
  throttledRecords: number;
}

/** Backoff shared by the lanes: doubles on throttling, halves after each clean call (AIMD-like). */
export class AdaptiveBackoff {
  #delay = 0;
  readonly #initial: number;
  readonly #max: number;

  constructor(initialMs: number, maxMs: number) {
    this.#initial = initialMs;
    this.#max = maxMs;
  }

  get delayMs(): number {
    return this.#delay;
  }

  throttled(): void {
    this.#delay = Math.min(this.#max, Math.max(this.#initial, this.#delay * 2));
  }

  ok(): void {
    this.#delay = this.#delay / 2 < this.#initial / 2 ? 0 : this.#delay / 2;
  }

  /** The wait before the next call: the delay with ±25 % jitter. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.#delay <= 0) return Promise.resolve();
    const ms = this.#delay * (0.75 + Math.random() * 0.5);
    return sleep(ms, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason as Error); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function entryBytes(e: Entry): number {
  return e.data.length + Buffer.byteLength(e.partitionKey);
}

/** FNV-1a of a string, for lanes. */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/** The next call: entries of `pending` (in order) that may go now, within the limits. */
export function selectCall(pending: readonly Entry[], limits: Pick<SchedulerLimits, 'maxRecordsPerCall' | 'maxBytesPerCall'>): Entry[] {
  const call: Entry[] = [];
  const held = new Set<string>();
  let bytes = 0;
  for (const e of pending) {
    let blocked = false;
    for (const k of e.keys) if (held.has(k)) { blocked = true; break; }
    const size = entryBytes(e);
    if (!blocked && bytes + size <= limits.maxBytesPerCall) {
      call.push(e);
      bytes += size;
      if (call.length >= limits.maxRecordsPerCall) break;
    }
    // Taken or not, later entries of these keys must wait for this one.
    for (const k of e.keys) held.add(k);
    if (bytes >= limits.maxBytesPerCall) break;
  }
  return call;
}

export class PutScheduler {
  readonly #client: KinesisPutClient;
  readonly #stream: string;
  readonly #limits: SchedulerLimits;
  readonly backoff: AdaptiveBackoff;

  constructor(client: KinesisPutClient, stream: string, limits: SchedulerLimits) {
    this.#client = client;
    this.#stream = stream;
    this.#limits = limits;
    this.backoff = new AdaptiveBackoff(limits.initialDelayMs, limits.maxDelayMs);
  }

  /** Sends every entry, split into lanes by its first ordering key. Resolves when all are written. */
  send(entries: readonly Entry[], signal: AbortSignal): Promise<SendStats> {
    const n = this.#limits.parallelCalls;
    const lanes: Entry[][] = Array.from({ length: n }, () => []);
    for (const e of entries) lanes[laneOf(e.keys[0] ?? e.partitionKey, n)]!.push(e);
    return this.sendLanes(lanes, signal);
  }

  /** Sends lanes of entries, one call at a time per lane, lanes in parallel. Entries sharing an ordering key must share a lane. */
  async sendLanes(lanes: readonly (readonly Entry[])[], signal: AbortSignal): Promise<SendStats> {
    const stats: SendStats = { calls: 0, throttledCalls: 0, failedRecords: 0, throttledRecords: 0 };
    // One lane failing stops the others, and the write settles only when no call is left in flight: a retried
    // batch must never race with calls of the attempt before it.
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    let first: { readonly error: unknown } | undefined;
    const results = await Promise.allSettled(lanes.filter((l) => l.length > 0).map((l) => this.#lane(l, both, stats).catch((e: unknown) => {
      first ??= { error: e };
      stop.abort(e);
      throw e;
    })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw first ? first.error : failed.reason;
    return stats;
  }

  async #lane(entries: readonly Entry[], signal: AbortSignal, stats: SendStats): Promise<void> {
    let pending = entries;
    let lastProgress = Date.now();
    let lastError = '';
    while (pending.length > 0) {
      if (Date.now() - lastProgress > this.#limits.giveUpAfterMs) {
        throw new FerryError('FERRY_SINK_ERROR', `Kinesis: ${pending.length} records of ${this.#stream} not accepted for ${this.#limits.giveUpAfterMs} ms (last error: ${lastError})`, { disposition: 'retry' });
      }
      await this.backoff.wait(signal);
      const call = selectCall(pending, this.#limits);
      stats.calls++;
      let results;
      try {
        results = await this.#client.putRecords(this.#stream, call.map((e) => ({ data: e.data, partitionKey: e.partitionKey })), signal);
      } catch (e: unknown) {
        if (signal.aborted) throw e;
        const kind = classifyCallError(e);
        if (kind === 'fatal') throw callError(e, this.#stream);
        if (kind === 'throttled') stats.throttledCalls++;
        lastError = callError(e, this.#stream).message;
        this.backoff.throttled();
        continue;
      }
      const failed = new Set<Entry>();
      results.forEach((r, i) => {
        if (r.ok) return;
        failed.add(call[i]!);
        stats.failedRecords++;
        lastError = `${r.errorCode}: ${r.errorMessage}`;
        if (isThrottleCode(r.errorCode)) stats.throttledRecords++;
      });
      if (failed.size < call.length) lastProgress = Date.now();
      const sent = new Set(call.filter((e) => !failed.has(e)));
      pending = pending.filter((e) => !sent.has(e));
      // Any failed record (throttled or an internal failure) slows this sink down; a clean call speeds it up.
      if (failed.size > 0) this.backoff.throttled();
      else this.backoff.ok();
    }
  }
}
