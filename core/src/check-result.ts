/** The outcome of one prerequisite or connectivity check, as `ferry validate` reports it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable id, e.g. 'source.connect', 'mysql.binlog_format'. */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found, in one line. */
  readonly message: string;
  /** How to fix it, in one line (for warn and fail). */
  readonly fix?: string;
  /** The FerryError code behind a failure, if any. */
  readonly code?: string;
}

export const ok = (check: string, message: string): CheckResult => ({ check, status: 'ok', message });
export const warn = (check: string, message: string, fix: string): CheckResult => ({ check, status: 'warn', message, fix });
export const fail = (check: string, message: string, fix: string, code?: string): CheckResult => ({ check, status: 'fail', message, fix, ...(code ? { code } : {}) });
