/**
 * The checks of `ferry validate` (app/src/checks/validate-task.ts: the source plugin's prerequisites, the table
 * selection, destinations, Kafka, the registry, each target's reachability) as assessment findings. A failed check is
 * an error, a warning a warning; passed checks are only counted. Codes are the check ids in upper snake case
 * ('mysql.binlog_format' → MYSQL_BINLOG_FORMAT), with the few renames below; docs/assessment.md lists them.
 *
 * A full-load task reads no binlog or WAL: the settings only change capture needs are reported as info (the
 * PostgreSQL per-table REPLICA IDENTITY check stays: PgSource runs it at every start).
 */
import type { CheckResult } from '../../../core/src/check-result.ts';
import { finding, type Category, type Finding } from './finding.ts';

const RENAMED: Readonly<Record<string, string>> = {
  'tables.selected': 'MAPPING_SELECTS_NOTHING',
  'tables.destinations': 'DESTINATION_COLLISION',
};

/** Checks that only matter when the task reads the binlog or WAL (migrationType cdc or full-load-and-cdc). */
const CDC_ONLY = new Set([
  'mysql.log_bin', 'mysql.binlog_format', 'mysql.binlog_row_image', 'mysql.server_id', 'mysql.binlog_retention', 'mysql.gtid',
  'mysql.log_bin_compress', 'mysql.binlog_transaction_compression', 'mysql.binlog_row_value_options',
  'postgres.wal_level', 'postgres.max_replication_slots', 'postgres.max_wal_senders', 'postgres.max_slot_wal_keep_size',
  'postgres.replication_privilege', 'postgres.publication',
]);

export function codeOf(check: string): string {
  if (RENAMED[check]) return RENAMED[check];
  if (check.startsWith('postgres.table.')) return 'POSTGRES_TABLE_IDENTITY';
  if (check.startsWith('postgres.toast.')) return 'POSTGRES_TOAST_LOOKUP';
  if (check.startsWith('target.')) return 'TARGET_CONNECT';
  return check.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

function categoryOf(check: string): Category {
  if (check.startsWith('tables.')) return 'mapping';
  if (check.startsWith('target.') || check.startsWith('kafka.') || check.startsWith('registry.')) return 'target';
  return 'source';
}

function objectsOf(check: string): Finding['objects'] {
  if (check.startsWith('postgres.table.')) return [{ table: check.slice('postgres.table.'.length) }];
  if (check.startsWith('postgres.toast.')) return [{ table: check.slice('postgres.toast.'.length) }];
  if (check.startsWith('target.')) return [{ target: check.slice('target.'.length) }];
  return [];
}

/** The PostgreSQL source checks each table's key and REPLICA IDENTITY at every start, full-load too: never downgraded. */
export function isCdcOnly(check: string): boolean {
  return CDC_ONLY.has(check) || check.startsWith('postgres.toast.'); // unchanged TOAST values exist only in the WAL's updates
}

/** The failed and warned checks as findings (passed ones give none). */
export function checkFindings(checks: readonly CheckResult[], migrationType: string): Finding[] {
  const out: Finding[] = [];
  for (const c of checks) {
    if (c.status === 'ok') continue;
    const notNeeded = migrationType === 'full-load' && isCdcOnly(c.check);
    out.push(finding({
      code: codeOf(c.check), severity: notNeeded ? 'info' : c.status === 'fail' ? 'error' : 'warning', category: categoryOf(c.check), objects: objectsOf(c.check),
      message: notNeeded ? `${c.message} (not needed by a full-load task, which reads no binlog or WAL; needed before a cdc or full-load-and-cdc task)` : c.message,
      ...(c.fix ? { fix: c.fix } : {}),
      details: { check: c.check, ...(c.code ? { errorCode: c.code } : {}) },
    }));
  }
  return out;
}
