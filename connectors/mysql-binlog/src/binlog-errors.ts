/**
 * Binlog client failures → coded FerryErrors with what to do about them.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Position } from '../../../core/src/types.ts';

const CONNECTION_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ER_SERVER_SHUTDOWN', 'PROTOCOL_SEQUENCE_TIMEOUT']);
/** ER_MASTER_FATAL_ERROR_READING_BINLOG: the requested file/offset or GTID is not (any more) in the server's binlog. */
const ER_BINLOG_FATAL = 1236;

interface DriverError { code?: string; errno?: number; fatal?: boolean; message?: string }

/** A dropped connection (the server restarted, a network blip, KILL): reconnecting may help. */
export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof FerryError) return false;
  const err = e as DriverError;
  if (err.errno === ER_BINLOG_FATAL) return false;
  return (err.code !== undefined && CONNECTION_CODES.has(err.code)) || /connection lost|server has gone away|closed the connection/i.test(err.message ?? '');
}

export function isPurgedPosition(e: unknown): boolean {
  const err = e as DriverError;
  return err.errno === ER_BINLOG_FATAL || err.code === 'ER_MASTER_FATAL_ERROR_READING_BINLOG' || /Could not find first log file|not in the master's binlog|purged binary logs/i.test(err.message ?? '');
}

export function binlogError(e: unknown, position: Position): FerryError {
  if (e instanceof FerryError) return e;
  const msg = errorMessage(e);
  if (isPurgedPosition(e)) {
    return new FerryError('FERRY_SOURCE_ERROR',
      `the binlog position ${position} is no longer on the server (${msg}): the binlogs were purged (binlog_expire_logs_seconds) while the task was behind or stopped. ` +
      'Changes since then are lost to the binlog; recover by re-copying: run `ferry offsets reset <task-file> --yes`, then run the task with migrationType full-load-and-cdc, and keep binlogs longer than the longest expected outage (docs/runbooks.md)',
      { cause: e, disposition: 'resnapshot', details: { position } });
  }
  // MySQL 8's TRANSACTION_PAYLOAD and PARTIAL_UPDATE_ROWS events are decoded (binlog/transaction-payload.ts,
  // partial-update-rows.ts); what still lands here is MariaDB's compressed events and a driver that names these.
  if (/TRANSACTION_PAYLOAD|compressed/i.test(msg)) {
    return new FerryError('FERRY_SOURCE_PREREQUISITE', `the binlog holds compressed events Ferry cannot decode (${msg}). Set log_bin_compress=OFF (MariaDB)`, { cause: e });
  }
  if (/PARTIAL_UPDATE_ROWS|PartialUpdateRows/i.test(msg)) {
    return new FerryError('FERRY_SOURCE_PREREQUISITE', `the binlog holds partial JSON updates Ferry cannot decode (${msg}). Set binlog_row_value_options=''`, { cause: e });
  }
  return new FerryError('FERRY_SOURCE_ERROR', `reading the binlog failed at ${position}: ${msg}`, { cause: e, details: { position } });
}
