/**
 * What `ferry assess` reports: findings, each with a stable code (finding-codes.ts), a severity, the objects it
 * concerns, a message and the fix; and the report that gathers them (its JSON shape is assessment-schema.ts,
 * documented in docs/assessment.md).
 */

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = ['source', 'tables', 'lob', 'target', 'mapping'] as const;
export type Category = (typeof CATEGORIES)[number];

/** One object a finding concerns: a source table ('schema.table'), a column of it, and/or a target by name. */
export interface FindingObject {
  readonly table?: string;
  readonly column?: string;
  readonly target?: string;
}

export interface Finding {
  /** Stable code (finding-codes.ts, docs/assessment.md). */
  readonly code: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly objects: readonly FindingObject[];
  /** What was found, in one line. */
  readonly message: string;
  /** How to fix it, in one line (always present on errors and warnings). */
  readonly fix?: string;
  /** Numbers behind the finding (sizes, seconds, counts), for scripts. */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

/** One selected table's size as the source's catalog statistics give it (estimates, not counts). */
export interface TableEstimate {
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface AssessmentReport {
  readonly version: 1;
  readonly task: string;
  readonly sourceEngine: string;
  readonly migrationType: string;
  /** full: `ferry assess`; run: the fast subset `ferry run` checks before it starts. */
  readonly profile: 'full' | 'run';
  /** ISO 8601 time the assessment ended. */
  readonly assessedAt: string;
  readonly summary: { readonly errors: number; readonly warnings: number; readonly infos: number };
  /** What each area checked, or why it did not ('not applicable to a kafka target', …). */
  readonly scope: readonly { readonly area: string; readonly checked: string }[];
  readonly estimate: {
    /** The documented full-load rate the estimate uses (docs/assessment.md). */
    readonly rowsPerSecond: number;
    readonly rows: number;
    readonly bytes: number;
    readonly fullLoadSeconds: number;
    readonly tables: readonly TableEstimate[];
  } | null;
  /** Errors first, then warnings, then infos; in check order within a severity. */
  readonly findings: readonly Finding[];
}

const ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Findings sorted by severity (stable within one). */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((a, b) => ORDER[a.f.severity] - ORDER[b.f.severity] || a.i - b.i).map((x) => x.f);
}

export function summarize(findings: readonly Finding[]): AssessmentReport['summary'] {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    infos: findings.filter((f) => f.severity === 'info').length,
  };
}

/** A finding; `fix` is dropped when empty, `details` when it has no entry. */
export function finding(f: Finding): Finding {
  return {
    code: f.code, severity: f.severity, category: f.category, objects: f.objects, message: f.message,
    ...(f.fix ? { fix: f.fix } : {}), ...(f.details && Object.keys(f.details).length > 0 ? { details: f.details } : {}),
  };
}
