/** Exit codes of the `ferry` command (documented in docs/cli.md). */
export const EXIT = {
  /** Success; for `run`, also a graceful stop on SIGINT/SIGTERM. */
  OK: 0,
  /** The task failed while running (see the last log line and its error code). */
  FAILED: 1,
  /** Bad usage or an invalid task file: nothing was started. */
  INVALID: 2,
  /** The task file is valid, but a connectivity or prerequisite check failed. */
  CHECK_FAILED: 3,
  /** `validate-data`: the data of a target differs from the source (the mismatches are reported and recorded). */
  MISMATCHES: 4,
  /** `assess`: at least one error-level finding; `run`: refused by the premigration assessment (docs/assessment.md). */
  ASSESSMENT_ERRORS: 5,
  /** `cutover`: the task did not catch up and drain (or stop) within the timeout; it was left running. */
  TIMEOUT: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
