/**
 * Coded errors. Every error Ferry raises on purpose is a FerryError with
 *   - a stable code, documented in ERROR_CODES (and so in docs/errors.md),
 *   - a disposition: what the runtime does about it ('retry' with backoff, 'fatal' stop the task,
 *     'resnapshot' the saved position can no longer be resumed from),
 *   - a message that names the problem and the fix, and never contains a secret.
 */
export type Disposition = 'retry' | 'fatal' | 'resnapshot';

export interface ErrorCodeInfo {
  readonly disposition: Disposition;
  readonly meaning: string;
}

/** The one list of error codes. Add a code here before raising it; docs/errors.md is generated from this. */
export const ERROR_CODES = {
  FERRY_CONFIG_INVALID: { disposition: 'fatal', meaning: 'The task file does not match the task schema; every problem is listed with its path.' },
  FERRY_CONFIG_PARSE: { disposition: 'fatal', meaning: 'The task file is not valid YAML or JSON.' },
  FERRY_CONFIG_NOT_FOUND: { disposition: 'fatal', meaning: 'The task file could not be read.' },
  FERRY_CONFIG_TOO_LARGE: { disposition: 'fatal', meaning: 'The task file is larger than 1 MiB (or is a device or pipe that does not end within it); nothing past the limit is read.' },
  FERRY_CONFIG_TOO_DEEP: { disposition: 'fatal', meaning: 'The task document nests mappings and lists deeper than 64 levels.' },
  FERRY_CONFIG_ALIASES: { disposition: 'fatal', meaning: 'The task file’s YAML aliases expand past the limit (100 alias expansions): an alias bomb, or a file to write out in full.' },
  FERRY_SECRET_UNRESOLVED: { disposition: 'fatal', meaning: 'A ${env:…}, ${file:…} or ${aws-sm:…} secret reference could not be resolved (for ${aws-sm:…}: the secret is missing, not readable with the credentials Ferry runs with, not JSON or without the #key, or AWS Secrets Manager is unreachable; also when fetching it again after a refused login fails).' },
  FERRY_POSITION_INVALID: { disposition: 'fatal', meaning: 'A stored or given log position is malformed or belongs to another source type.' },
  FERRY_SOURCE_UNREACHABLE: { disposition: 'retry', meaning: 'The source database did not accept a TCP connection (wrong host/port, or it is down).' },
  FERRY_SOURCE_AUTH: { disposition: 'fatal', meaning: 'The source database rejected the user name or password.' },
  FERRY_SOURCE_PRIVILEGES: { disposition: 'fatal', meaning: 'The source user lacks a privilege that change capture needs.' },
  FERRY_SOURCE_PREREQUISITE: { disposition: 'fatal', meaning: 'A source server setting that change capture needs is wrong (binlog format, wal_level, ...).' },
  FERRY_SOURCE_DATABASE_MISSING: { disposition: 'fatal', meaning: 'The configured source database does not exist.' },
  FERRY_SOURCE_ERROR: { disposition: 'retry', meaning: 'The source failed in a way that may clear up on retry.' },
  FERRY_SOURCE_DDL_DURING_SNAPSHOT: { disposition: 'fatal', meaning: 'MySQL/MariaDB: a captured table was altered (DDL) while the locked initial snapshot was reading it, so the snapshot\'s transaction can no longer read it (server error 1412, "Table definition has changed"). Restart the task: the snapshot is taken again from the start (docs/sources/mysql.md#resuming-an-interrupted-snapshot). Avoid DDL on captured tables during the full load.' },
  FERRY_TLS_UNTRUSTED_CERT: { disposition: 'fatal', meaning: 'TLS to a database (or to `ferry serve` over https, where the fix is `--ca FILE`): the server certificate does not chain to a trusted CA (unknown CA, self-signed, or an incomplete chain); the message names the endpoint and connection, the certificate\'s issuer when known, and the fix (`ssl.ca` with the CA that signed it, or `ssl.mode: require` to encrypt without verification).' },
  FERRY_TLS_HOSTNAME_MISMATCH: { disposition: 'fatal', meaning: 'TLS to a database with `ssl.mode: verify-full` (or to `ferry serve` over https, where the fix is `--ca` or the URL\'s host name): the server certificate does not name the host Ferry connects to; the message names the host and the names in the certificate, and the fix (connect with one of those names, or `ssl.mode: verify-ca`).' },
  FERRY_TLS_CERT_EXPIRED: { disposition: 'fatal', meaning: 'TLS to a database (or to `ferry serve` over https, where the fix is `--ca FILE`): the server certificate has expired (or is not valid yet); the message names the date. Renew the server certificate (or correct the clock).' },
  FERRY_TLS_NOT_SUPPORTED: { disposition: 'fatal', meaning: 'TLS to a database was asked for (`ssl` given, mode other than disable) and the server does not offer TLS; enable TLS on the server, or remove `ssl` / set `ssl.mode: disable`.' },
  FERRY_TLS_HANDSHAKE: { disposition: 'fatal', meaning: 'TLS to a database (or to `ferry serve` over https) failed during the handshake for another reason (the server refused the client certificate, no common protocol version or cipher, an unusable `ssl.cert`/`ssl.key`); the message names the endpoint and the TLS library\'s reason.' },
  FERRY_KAFKA_UNREACHABLE: { disposition: 'retry', meaning: 'No Kafka broker answered at the configured bootstrap addresses.' },
  FERRY_KAFKA_ERROR: { disposition: 'retry', meaning: 'A Kafka request failed.' },
  FERRY_REGISTRY_UNREACHABLE: { disposition: 'retry', meaning: 'The schema registry did not answer at the configured URL.' },
  FERRY_REGISTRY_ERROR: { disposition: 'retry', meaning: 'The schema registry refused a request (see its error code).' },
  FERRY_SCHEMA_INCOMPATIBLE: { disposition: 'fatal', meaning: 'A new schema version is incompatible with the subject’s registered versions.' },
  FERRY_EVENT_TOO_LARGE: { disposition: 'fatal', meaning: 'A change event is larger than Kafka accepts (kafka.maxMessageBytes / the topic’s max.message.bytes). Nothing is dropped: the task stops before committing it.' },
  FERRY_WORKER_FENCED: { disposition: 'fatal', meaning: 'Cluster (`ferry worker --cluster`, docs/cluster.md#fencing): this worker no longer owns the task. Another worker took it over (the group moved it, or this worker was frozen or cut off from Kafka past its session timeout) and Kafka fenced this worker\'s transactional producer, or the generation check before the offset commit failed. The worker stops the task; nothing it wrote after the move is visible to read_committed readers. Nothing to fix unless it repeats: then check the worker\'s pauses (GC, CPU starvation) against the session timeout.' },
  FERRY_TRANSACTION_ABORTED: { disposition: 'fatal', meaning: 'Cluster: the Kafka transaction that carries a task\'s events and its offset failed (a broker restart, a timeout) and was aborted; nothing of it is visible to read_committed readers. The worker restarts the task from its last committed offset after a pause, as long as it still owns it.' },
  FERRY_STATE_MISSING: { disposition: 'fatal', meaning: 'Cluster: a task has a committed offset in the cluster\'s offsets topic but a piece of state it needs to resume is not in the cluster\'s state topic (the MySQL schema history, or the keyring of an encrypted task); the message names the piece and the topic. The topic was deleted or truncated, or the offset was written by a `ferry run` outside the cluster. Fix: restore the topic (from a backup or a mirror), or create the task again under a new name, which takes a new snapshot.' },
  FERRY_CLUSTER_ERROR: { disposition: 'retry', meaning: 'Cluster: a request to the cluster could not be served (no leader yet during a rebalance, or the leader did not answer a forwarded request); retry in a few seconds.' },
  FERRY_OFFSET_STORE: { disposition: 'retry', meaning: 'Reading or committing the task offset failed.' },
  FERRY_STATE_KEY_MISMATCH: { disposition: 'fatal', meaning: 'settings.stateEncryption does not match the key the state directory was created with (another KMS key or key file, or encryption turned on or off): the key of a state directory is fixed. The message says how to migrate: a new settings.stateDir started at the old one\'s position (settings.cdcStartPosition), or the original key (docs/security.md#encryption-at-rest).' },
  FERRY_STATE_KEY_UNAVAILABLE: { disposition: 'fatal', meaning: 'The state directory\'s data key could not be unwrapped: KMS refused Decrypt (access denied, key disabled or deleted, unreachable) or the key file is missing or unreadable. Nothing is read or written until it is fixed.' },
  FERRY_STATE_DECRYPT: { disposition: 'fatal', meaning: 'An encrypted state record (offset, schema history line, spill chunk, dead letter, claim-check object) failed authentication or is not in Ferry\'s format: it was changed, damaged, or moved from another place. Nothing of it is used.' },
  FERRY_SINK_ERROR: { disposition: 'retry', meaning: 'A sink write failed; the batch is retried, and its offset is not committed.' },
  FERRY_NOTIFICATION_DELIVERY: { disposition: 'retry', meaning: 'An event notification (SNS, webhook or Kafka; docs/notifications.md) was not delivered: the message names the subscription and the destination\'s answer. It is retried with backoff, then written to the dead letters; the task itself is never held up or stopped by it.' },
  FERRY_ICEBERG_CATALOG_UNREACHABLE: { disposition: 'retry', meaning: 'The Iceberg REST catalog did not answer (connection refused, DNS failure, timeout) after the retries; the message names the endpoint and the fix (catalog.uri, or start the catalog).' },
  FERRY_ICEBERG_CATALOG_AUTH: { disposition: 'fatal', meaning: 'The Iceberg REST catalog refused Ferry\'s credentials (HTTP 401/403 on a request, or the OAuth2 token endpoint refused the client credentials); the message names the endpoint, the catalog\'s reason and which catalog.auth setting to fix. No secret is shown.' },
  FERRY_ICEBERG_CATALOG_ERROR: { disposition: 'retry', meaning: 'The Iceberg REST catalog refused a request or failed: the message names the endpoint, the HTTP status and the catalog\'s error type and message. Server errors (5xx) are retried; a refused request (4xx) stops the task (disposition fatal), with the fix when Ferry knows it.' },
  FERRY_ICEBERG_COMMIT_UNKNOWN: { disposition: 'retry', meaning: 'An Iceberg commit\'s outcome is unknown (the REST catalog timed out or answered 500/502/504) and reloading the table could not tell whether it was applied. The batch is retried: the writer recognises its own snapshot by the source position in the snapshot summary, so nothing is committed twice (docs/sinks/iceberg.md#rest-catalog).' },
  FERRY_TARGET_DDL: { disposition: 'fatal', meaning: '`ferry convert-schema --apply`: the target database refused the connection or a statement of the converted schema; the message names the target, the statement and the database\'s error. On PostgreSQL the whole script runs in one transaction, which is rolled back: nothing is applied.' },
  FERRY_TARGET_SCHEMA_CHANGE: { disposition: 'fatal', meaning: 'A source schema change cannot be applied to a database target table in place (a column changed to an incompatible type; a dropped column that other target objects depend on, with droppedColumns: drop); the message names the table, the column, the types where they matter, and the fix. Nothing of the batch is written.' },
  FERRY_NO_TABLES_SELECTED: { disposition: 'fatal', meaning: 'The table mapping selects no table of the source: validate, plan and run refuse it, naming the selection rules and the closest existing schema or table names.' },
  FERRY_ASSESSMENT_FAILED: { disposition: 'fatal', meaning: '`ferry run`: the premigration assessment (docs/assessment.md) found error-level findings, listed with their codes and fixes; nothing was started. Fix them, or start anyway with --skip-assessment.' },
  FERRY_DESTINATION_COLLISION: { disposition: 'fatal', meaning: 'Two selected tables, after renames and character substitution, would write the same topic, target table or file path; both are named, with the fix (a rename rule). Checked by validate, plan, at start and for tables created later.' },
  FERRY_USAGE: { disposition: 'fatal', meaning: 'A command-line argument or option is missing, unknown or out of range: the message names it and the value it expects; the command exits 2 and starts nothing.' },
  FERRY_EXPRESSION_FAILED: { disposition: 'fatal', meaning: 'A table-mapping expression (add-column) or change-data-type conversion failed on a row, or one evaluation ran over its time budget: the message names the rule id, the table and SQLite\'s reason. The task stops before the batch is committed.' },
  FERRY_UNSUPPORTED: { disposition: 'fatal', meaning: 'The configuration asks for something Ferry does not support (yet); the message says what.' },
  FERRY_TASK_NOT_RUNNING: { disposition: 'fatal', meaning: 'A command that works on a running task (`ferry cutover`) found nothing answering at the task\'s metrics address (settings.metrics.host:port): start it with `ferry run <task-file>`, or run the command with the same task file (and working directory) as the task.' },
  FERRY_CUTOVER_TIMEOUT: { disposition: 'fatal', meaning: '`ferry cutover`: the task did not reach the latency threshold and drain (or did not stop) within --timeout; the message says which condition was not met and the last values seen. The task was left running (unless the stop itself timed out).' },
  FERRY_AUDIT_CHAIN_BROKEN: { disposition: 'fatal', meaning: 'The audit log of `ferry serve` (<state-dir>/audit.jsonl) fails its hash-chain check: an entry was edited, removed, inserted or reordered, or the file was cut short. The message names the first bad entry\'s sequence number; `ferry serve` refuses to start on it (move the file aside, keep it as evidence) and `ferry audit verify` exits 1.' },
  FERRY_ABORTED: { disposition: 'fatal', meaning: 'The operation was cancelled (SIGINT/SIGTERM or shutdown); not a failure.' },
  FERRY_INTERNAL: { disposition: 'fatal', meaning: 'An invariant was broken: a bug in Ferry. Please report it with the log.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FerryErrorOptions {
  readonly cause?: unknown;
  /** Overrides the code's default disposition (e.g. an auth failure during a retry loop is still fatal). */
  readonly disposition?: Disposition;
  /** Structured, secret-free details for logs and --json output. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly disposition: Disposition;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.disposition = options.disposition ?? ERROR_CODES[code].disposition;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, disposition: this.disposition, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/** The message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
