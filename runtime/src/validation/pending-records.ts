/**
 * Pending records (DMS's term): rows found different while the task is replicating may only be in flight, so they
 * are not reported until the change stream has passed them. docs/validation.md#validation-during-cdc.
 *
 * A mismatch found by a comparison becomes pending at the source position read right after that comparison (`since`,
 * the source's current log position). Once the target has durably applied everything up to `since` (`durable()`,
 * the task's committed position), the key is read again on both sides:
 *   - equal: it was in flight, it is validated;
 *   - different: its source row is remembered and it waits again, from a new `since`. It is confirmed failed only when
 *     the source row stayed the same over `confirmations` such re-checks (so the target had applied the row's last
 *     change and still differs), and suspended when the source row kept changing for `maxAttempts` re-checks (a row
 *     too hot to compare; DMS's suspended records).
 * Nothing here writes anywhere: the caller records the outcome.
 */
import { comparePositions } from '../../../core/src/position.ts';
import type { Position } from '../../../core/src/types.ts';
import { keyRows, keyTextsKey, type KeyRowsOptions } from './key-rows.ts';
import type { Mismatch } from './model.ts';
import { compareRows } from './row-compare.ts';
import type { ValidationTablePlan } from './table-plan.ts';

/** Where the source and the target stand, in the source's positions. */
export interface Watermarks {
  /** The source's current log position: every change committed before the call is at or before it. */
  sourceNow(): Promise<Position>;
  /** The position the target has durably applied up to (the task's committed offset); null before the first. */
  durable(): Position | null;
}

export interface PendingOptions {
  /** Re-checks with an unchanged source row that still differ before a mismatch is confirmed (default 2). */
  readonly confirmations?: number;
  /** Re-checks after which a key whose source row keeps changing is suspended (default 10). */
  readonly maxAttempts?: number;
}

export interface RecheckOutcome {
  /** Keys that turned out equal. */
  readonly validated: number;
  /** Confirmed mismatches (as of their last re-check). */
  readonly failed: readonly Mismatch[];
  /** Keys suspended: their source row changed at every re-check. */
  readonly suspended: readonly Mismatch[];
}

interface Pending {
  mismatch: Mismatch;
  since: Position;
  /** The source row's canonical text at the last re-check (undefined before the first). */
  source: string | undefined;
  /** Re-checks in a row that saw this source row and a different target. */
  same: number;
  attempts: number;
}

export class PendingRecords {
  readonly #plan: ValidationTablePlan;
  readonly #confirmations: number;
  readonly #maxAttempts: number;
  readonly #byKey = new Map<string, Pending>();

  constructor(plan: ValidationTablePlan, o: PendingOptions = {}) {
    this.#plan = plan;
    this.#confirmations = Math.max(1, o.confirmations ?? 2);
    this.#maxAttempts = Math.max(this.#confirmations + 1, o.maxAttempts ?? 10);
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Keys of the plan's table still pending. */
  keys(): Mismatch[] {
    return [...this.#byKey.values()].map((p) => p.mismatch);
  }

  /** Mismatches just found by a comparison: pending from `since` (read after the comparison). A known key keeps its history. */
  add(mismatches: readonly Mismatch[], since: Position): void {
    for (const m of mismatches) {
      const k = keyTextsKey(this.#plan, m.key);
      const p = this.#byKey.get(k);
      if (p) { p.mismatch = m; continue; }
      this.#byKey.set(k, { mismatch: m, since, source: undefined, same: 0, attempts: 0 });
    }
  }

  /** Forgets a key (a later full comparison found it equal, or the table is dropped from validation). */
  delete(m: Mismatch): void {
    this.#byKey.delete(keyTextsKey(this.#plan, m.key));
  }

  /** Re-checks the keys the target has applied past; the rest wait. */
  async recheck(o: KeyRowsOptions, wm: Watermarks): Promise<RecheckOutcome> {
    const durable = wm.durable();
    if (durable === null || this.#byKey.size === 0) return { validated: 0, failed: [], suspended: [] };
    const due = [...this.#byKey.entries()].filter(([, p]) => comparePositions(p.since, durable) <= 0);
    if (due.length === 0) return { validated: 0, failed: [], suspended: [] };
    const rows = await keyRows(this.#plan, o, due.map(([, p]) => p.mismatch.key));
    // Anything committed before this point is what the rows just read can reflect: the next wait starts here.
    const since = await wm.sourceNow();
    let validated = 0;
    const failed: Mismatch[] = [];
    const suspended: Mismatch[] = [];
    for (const [k, p] of due) {
      const s = rows.source.get(k);
      const t = rows.target.get(k);
      const found = compareRows(this.#plan, s ? [s] : [], t ? [t] : []);
      if (found.length === 0) {
        this.#byKey.delete(k);
        validated++;
        continue;
      }
      const text = JSON.stringify(s ?? null);
      p.same = p.source === text ? p.same + 1 : 0;
      p.source = text;
      p.mismatch = found[0]!;
      p.attempts++;
      p.since = since;
      if (p.same >= this.#confirmations) {
        this.#byKey.delete(k);
        failed.push(p.mismatch);
      } else if (p.attempts >= this.#maxAttempts) {
        this.#byKey.delete(k);
        suspended.push(p.mismatch);
      }
    }
    return { validated, failed, suspended };
  }
}
