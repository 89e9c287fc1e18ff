/**
 * The assessment of a schema conversion, as AWS SCT reports it: every object Ferry looked at, per kind, with its
 * outcome — converted automatically, converted with a warning (it works, but differs in a way to know), or needing
 * manual work (not converted, or not faithfully) — and for each item that is not automatic, why and the fix.
 */

export const OBJECT_KINDS = ['table', 'column type', 'default', 'index', 'foreign key', 'check', 'view', 'trigger', 'procedure', 'function', 'sequence'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export type Outcome = 'auto' | 'warning' | 'manual';

export interface AssessmentItem {
  readonly kind: ObjectKind;
  /** The source object: 'shop.orders', 'shop.orders.total', 'shop.orders idx_created'. */
  readonly object: string;
  readonly outcome: Outcome;
  /** What it became in the target (a type, a statement head), when converted. */
  readonly target?: string;
  /** Why it is a warning or needs manual work. */
  readonly reason?: string;
  /** The suggested fix. */
  readonly fix?: string;
}

export interface KindSummary {
  readonly kind: ObjectKind;
  readonly total: number;
  readonly auto: number;
  readonly warning: number;
  readonly manual: number;
}

export interface Assessment {
  readonly source: { readonly engine: string; readonly serverVersion: string };
  readonly target: string;
  readonly summary: readonly KindSummary[];
  /** Items with a warning or needing manual work, in kind order, then object order. */
  readonly issues: readonly AssessmentItem[];
  /** Every item. */
  readonly items: readonly AssessmentItem[];
}

export class AssessmentBuilder {
  readonly #items: AssessmentItem[] = [];

  add(item: AssessmentItem): void {
    this.#items.push(item);
  }

  auto(kind: ObjectKind, object: string, target?: string): void {
    this.add({ kind, object, outcome: 'auto', ...(target !== undefined ? { target } : {}) });
  }

  warn(kind: ObjectKind, object: string, reason: string, fix: string, target?: string): void {
    this.add({ kind, object, outcome: 'warning', reason, fix, ...(target !== undefined ? { target } : {}) });
  }

  manual(kind: ObjectKind, object: string, reason: string, fix: string, target?: string): void {
    this.add({ kind, object, outcome: 'manual', reason, fix, ...(target !== undefined ? { target } : {}) });
  }

  build(source: Assessment['source'], target: string): Assessment {
    const order = (i: AssessmentItem) => OBJECT_KINDS.indexOf(i.kind);
    const items = [...this.#items].sort((a, b) => order(a) - order(b));
    const summary = OBJECT_KINDS.map((kind) => {
      const of = items.filter((i) => i.kind === kind);
      return { kind, total: of.length, auto: of.filter((i) => i.outcome === 'auto').length, warning: of.filter((i) => i.outcome === 'warning').length, manual: of.filter((i) => i.outcome === 'manual').length };
    });
    return { source, target, summary, issues: items.filter((i) => i.outcome !== 'auto'), items };
  }
}
