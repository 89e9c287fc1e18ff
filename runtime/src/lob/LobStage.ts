/**
 * The LOB stage (docs/lob.md): wraps the (table-mapped) source and applies each table's LOB policy to every event
 * before it reaches a sink:
 *   limited      LOB values over the limit are truncated (UTF-8 safe) and named in __ferry_truncated;
 *   full         values pass whole;
 *   inline /     values over the threshold are written to S3 (content-addressed, SSE-KMS when configured) and
 *   claim-check  replaced by null plus <column>__ferry_ref = {"uri","sha256","size"}; the upload is durable
 *                before the batch is yielded, so no event references an object that is not there.
 * Then an event whose estimated size is still over kafka.maxMessageBytes is handled by settings.lob.oversize:
 * 'fail' leaves it to the Kafka sink (FERRY_EVENT_TOO_LARGE, nothing committed), 'truncate' / 'claim-check' cut or
 * move its largest LOB values until it fits. An event is never dropped.
 */
import type { ChangeBatch, ChangeEvent, Logger, MetricsRegistry, Row, SourceConnector, TableId, TableSchema } from '../../../core/src/types.ts';
import type { LobSettings } from '../config/settings-schema.ts';
import type { TableMapping } from '../config/table-mapping-schema.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { withRetry } from '../pipeline/retry.ts';
import { LobPolicies, type LobTablePlan } from './lob-policy.ts';
import { estimateEventBytes, TRUNCATED_FIELD, truncateValue, valueBuffer, valueBytes } from './lob-values.ts';
import { S3ClaimCheckStore, type ClaimCheckStore } from './claim-check-store.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';

export interface LobStageOptions {
  readonly settings: LobSettings;
  readonly mapping: TableMapping;
  /** The Kafka message limit (kafka.maxMessageBytes); undefined without Kafka (no size limit applied). */
  readonly maxMessageBytes?: number;
  readonly log: Logger;
  readonly metrics?: MetricsRegistry;
  /** Injected for tests; default S3 from settings.claimCheck. */
  readonly store?: ClaimCheckStore;
  /** settings.stateEncryption: the state directory's cipher; claim-check objects are then encrypted client-side. */
  readonly cipher?: RecordCipher | null;
}

/** The source id of an event (the table mapping may have renamed its table): source.db / source.schema and source.table. */
export function sourceTableOf(e: ChangeEvent): TableId {
  return { schema: e.source.connector === 'postgresql' ? e.source.schema ?? e.source.db : e.source.db, table: e.source.table };
}

/** Per-table stage state; `context` is what withRetry needs for uploads. */
interface Context { readonly signal: AbortSignal; readonly log: Logger }

export class LobProcessor {
  readonly #o: LobStageOptions;
  readonly #policies: LobPolicies;
  readonly #plans = new WeakMap<TableSchema, LobTablePlan>();
  #store: ClaimCheckStore | undefined;
  readonly #truncated;
  readonly #claimChecked;

  constructor(o: LobStageOptions) {
    this.#o = o;
    this.#policies = new LobPolicies(o.settings, o.mapping);
    this.#store = o.store;
    this.#truncated = o.metrics?.counter('lob_truncated_total', 'LOB values truncated (limited mode or oversize truncate)', ['table']);
    this.#claimChecked = o.metrics?.counter('lob_claim_checked_total', 'LOB values written to S3 and replaced by a reference', ['table']);
  }

  get active(): boolean {
    return this.#policies.active;
  }

  plan(e: ChangeEvent): LobTablePlan {
    let p = this.#plans.get(e.table);
    if (!p) {
      p = this.#policies.plan(e.table, sourceTableOf(e));
      this.#plans.set(e.table, p);
    }
    return p;
  }

  async #put(table: TableId, v: string | Buffer, ctx: Context): Promise<string> {
    if (!this.#store) {
      if (!this.#o.settings.claimCheck) throw new FerryError('FERRY_INTERNAL', 'a LOB value is to be claim-checked but settings.lob.claimCheck is not set');
      this.#store = await S3ClaimCheckStore.open(this.#o.settings.claimCheck, this.#o.cipher ?? null);
    }
    const store = this.#store;
    const ref = await withRetry(() => store.put(table, valueBuffer(v)), { what: 'writing a LOB value to S3', log: ctx.log, signal: ctx.signal, maxAttempts: 8 });
    this.#claimChecked?.inc({ table: `${table.schema}.${table.table}` });
    return JSON.stringify({ uri: ref.uri, sha256: ref.sha256, size: ref.size });
  }

  /** The event with its table's LOB policy and the oversize policy applied. */
  async process(e: ChangeEvent, ctx: Context): Promise<ChangeEvent> {
    const plan = this.plan(e);
    if (plan.output === plan.input && this.#o.settings.oversize === 'fail') return e;
    if (e.op === 't') return plan.output === plan.input ? e : { ...e, table: plan.output };
    const id = plan.output.id;
    const before = e.before ? { ...e.before } : null;
    const after = e.after ? { ...e.after } : null;
    const images = [before, after].filter((r): r is Row => r !== null);
    const flags = new Map<Row, string[]>(images.map((r) => [r, []]));
    const { mode, maxBytes, thresholdBytes } = plan.policy;
    for (const row of images) {
      for (const c of plan.lobColumns) {
        const v = row[c];
        if (v === null || v === undefined) continue;
        if (mode === 'limited' && valueBytes(v) > maxBytes) {
          row[c] = truncateValue(v, maxBytes).value;
          flags.get(row)!.push(c);
        } else if ((mode === 'inline' || mode === 'claim-check') && valueBytes(v) > thresholdBytes && (typeof v === 'string' || Buffer.isBuffer(v))) {
          row[plan.refFields.get(c)!] = await this.#put(id, v, ctx);
          row[c] = null;
        }
      }
    }
    const limit = this.#o.maxMessageBytes;
    if (limit !== undefined && this.#o.settings.oversize !== 'fail') {
      // Headroom: 1 KiB, and per image the reference fields and the longest __ferry_truncated text, added below.
      const budget = limit - 1024 - images.length * (plan.lobColumns.reduce((n, c) => n + c.length + 1, 0) + plan.refFields.size * 12 + 16);
      for (let excess = estimateEventBytes(before, after, e.key) - budget; excess > 0; excess = estimateEventBytes(before, after, e.key) - budget) {
        // The largest LOB value left in either image.
        let best: { row: Row; column: string; size: number } | undefined;
        for (const row of images) {
          for (const c of plan.lobColumns) {
            const size = valueBytes(row[c]);
            if (size > 0 && (best === undefined || size > best.size) && (typeof row[c] === 'string' || Buffer.isBuffer(row[c]))) best = { row, column: c, size };
          }
        }
        if (!best) break; // nothing left to cut: the sink stops the task with FERRY_EVENT_TOO_LARGE
        if (this.#o.settings.oversize === 'claim-check') {
          best.row[plan.refFields.get(best.column)!] = await this.#put(id, best.row[best.column] as string | Buffer, ctx);
          best.row[best.column] = null;
        } else {
          best.row[best.column] = truncateValue(best.row[best.column], Math.max(0, best.size - excess - 16)).value;
          const f = flags.get(best.row)!;
          if (!f.includes(best.column)) f.push(best.column);
        }
      }
    }
    for (const row of images) {
      if (!plan.lobColumns.some((c) => c in row)) continue; // a key-only before image stays key-only
      for (const [, f] of plan.refFields) if (!(f in row)) row[f] = null;
      if (plan.truncatedField) {
        const f = flags.get(row)!;
        row[TRUNCATED_FIELD] = f.length > 0 ? f.join(',') : null;
        if (f.length > 0) this.#truncated?.inc({ table: `${id.schema}.${id.table}` }, f.length);
      }
    }
    return { ...e, table: plan.output, before, after };
  }

  async processBatch(batch: ChangeBatch, ctx: Context): Promise<ChangeBatch> {
    const events: ChangeEvent[] = [];
    for (const e of batch.events) events.push(await this.process(e, ctx));
    return { ...batch, events };
  }

  async close(): Promise<void> {
    await this.#store?.close();
  }
}

/**
 * The pipeline hook: the source with LOB handling applied to every batch (after the table mapping). Returns the
 * source itself when every table is in full mode, oversize is 'fail' and no table-settings rule has lob-settings.
 */
export function withLobHandling(source: SourceConnector, o: LobStageOptions): SourceConnector {
  const p = new LobProcessor(o);
  if (!p.active) return source;
  const wrapped: SourceConnector = {
    async *read(ctx) {
      for await (const batch of source.read(ctx)) yield await p.processBatch(batch, ctx);
    },
    acknowledge: (position) => source.acknowledge(position),
    close: async () => {
      await p.close();
      await source.close();
    },
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}
