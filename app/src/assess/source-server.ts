/**
 * The assessment's own source checks, beyond the plugin's prerequisites: the selected tables' sizes and the
 * full-load time they give at the documented rate, log retention against that time (binlog expiry; on PostgreSQL the
 * WAL the slot keeps during the load against max_slot_wal_keep_size), replication slots in use and free, and
 * long-running transactions. Read-only: catalog and statistics views only.
 */
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { finding, type Finding, type TableEstimate } from './finding.ts';
import { num, type SqlSession } from './sql-session.ts';

/** The full-load rate the estimate assumes, rows per second (docs/assessment.md: half the 1M-row snapshot benchmark). */
export const DEFAULT_ROWS_PER_SECOND = 50_000;
/** A transaction open longer than this (seconds) is reported. */
export const LONG_TRANSACTION_SECONDS = 60;

const MYSQL_SYSTEM = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** The selected tables' row and byte estimates from the catalog statistics. */
export async function tableEstimates(s: SqlSession, task: ResolvedTask): Promise<TableEstimate[]> {
  const selector = createTableSelector(task.tableMappings);
  const rows = s.engine === 'mysql'
    ? await s.query(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_ROWS AS n, DATA_LENGTH + INDEX_LENGTH AS b FROM information_schema.TABLES
        WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (${MYSQL_SYSTEM.map(() => '?').join(',')})`, MYSQL_SYSTEM)
    : await s.query(`SELECT n.nspname AS s, c.relname AS t, greatest(c.reltuples, 0)::bigint AS n, pg_total_relation_size(c.oid) AS b
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`);
  return rows
    .filter((r) => selector.includes({ schema: String(r.s), table: String(r.t) }))
    .map((r) => ({ table: `${String(r.s)}.${String(r.t)}`, rows: num(r.n), bytes: num(r.b) }))
    .sort((a, b) => a.table.localeCompare(b.table));
}

export function fullLoadSeconds(tables: readonly TableEstimate[], rowsPerSecond: number): number {
  return Math.ceil(tables.reduce((n, t) => n + t.rows, 0) / rowsPerSecond);
}

const human = (s: number): string => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
export const bytesText = (b: number): string => (b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB` : b < 1073741824 ? `${(b / 1048576).toFixed(1)} MiB` : `${(b / 1073741824).toFixed(2)} GiB`);

/**
 * MySQL/MariaDB: binlogs purged before a full-load-and-cdc task's snapshot ends take the position its stream starts
 * from (Ferry then must snapshot again). Error when retention is shorter than the estimate, warning under twice it.
 */
export async function mysqlRetention(s: SqlSession, task: ResolvedTask, loadSeconds: number): Promise<Finding[]> {
  if (task.migrationType !== 'full-load-and-cdc') return [];
  const rows = await s.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_expire_logs_seconds', 'expire_logs_days')");
  const v = new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), Number(r.Value)]));
  const retention = (v.get('binlog_expire_logs_seconds') || 0) || (v.get('expire_logs_days') || 0) * 86400;
  if (retention === 0 || retention >= 2 * loadSeconds) return [];
  return [finding({
    code: 'LOG_RETENTION_SHORT', severity: retention < loadSeconds ? 'error' : 'warning', category: 'source', objects: [],
    message: `binlogs are purged after ${human(retention)}, and the full load is estimated at ${human(loadSeconds)}: the binlog position the stream starts from may be purged before the load ends`,
    fix: `raise binlog_expire_logs_seconds to at least ${Math.max(86400, 2 * loadSeconds)} (SET GLOBAL binlog_expire_logs_seconds = …, and in my.cnf)`,
    details: { retentionSeconds: retention, fullLoadSeconds: loadSeconds },
  })];
}

/** PostgreSQL: replication slots in use and free, the task's own slot, and WAL kept during the load. */
export async function pgSlots(s: SqlSession, task: ResolvedTask, loadSeconds: number): Promise<Finding[]> {
  if (task.migrationType === 'full-load') return [];
  const out: Finding[] = [];
  const { defaultSlotName } = await import('../../../connectors/postgres-logical/src/slot.ts');
  const slotName = (task.source as { slotName?: string }).slotName ?? defaultSlotName(task.name);
  const settings = new Map((await s.query("SELECT name, setting FROM pg_settings WHERE name IN ('max_replication_slots', 'max_slot_wal_keep_size')")).map((r) => [String(r.name), Number(r.setting)]));
  const max = settings.get('max_replication_slots') ?? 0;
  const slots = await s.query(`SELECT slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained FROM pg_replication_slots`);
  const mine = slots.some((r) => r.slot_name === slotName);
  const active = slots.filter((r) => r.active === true || r.active === 't').length;
  if (!mine && slots.length >= max) {
    out.push(finding({
      code: 'REPLICATION_SLOTS_EXHAUSTED', severity: 'error', category: 'source', objects: [],
      message: `all ${max} replication slots are in use (${active} active) and the task's slot ${slotName} does not exist yet: it cannot be created`,
      fix: `drop an unused slot (SELECT pg_drop_replication_slot('<name>')) or raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = ${max + 4}; restart)`,
      details: { used: slots.length, max, active },
    }));
  } else {
    out.push(finding({
      code: 'REPLICATION_SLOTS', severity: 'info', category: 'source', objects: [],
      message: `${slots.length} of ${max} replication slots in use (${active} active); the task's slot ${slotName} ${mine ? 'exists' : 'is created at the first run'}`,
      details: { used: slots.length, max, active, taskSlotExists: mine },
    }));
  }
  for (const r of slots) {
    const retained = num(r.retained);
    if (r.slot_name === slotName || r.active === true || r.active === 't' || retained < 1073741824) continue;
    out.push(finding({
      code: 'INACTIVE_REPLICATION_SLOT', severity: 'warning', category: 'source', objects: [],
      message: `inactive replication slot ${String(r.slot_name)} keeps ${bytesText(retained)} of WAL`,
      fix: `drop it if nothing reads it any more: SELECT pg_drop_replication_slot('${String(r.slot_name)}')`,
      details: { slot: String(r.slot_name), retainedBytes: retained },
    }));
  }
  const keepMb = settings.get('max_slot_wal_keep_size') ?? -1;
  if (keepMb >= 0 && task.migrationType === 'full-load-and-cdc') {
    // pg_stat_wal (PostgreSQL 14+): the average WAL rate since its statistics were reset.
    const rate = await s.query('SELECT wal_bytes, extract(epoch FROM now() - stats_reset) AS secs FROM pg_stat_wal').catch(() => []);
    const bytesPerSecond = rate[0] && num(rate[0].secs) > 0 ? num(rate[0].wal_bytes) / num(rate[0].secs) : 0;
    const during = Math.round(bytesPerSecond * loadSeconds);
    if (during > keepMb * 1048576) {
      out.push(finding({
        code: 'LOG_RETENTION_SHORT', severity: 'warning', category: 'source', objects: [],
        message: `at the server's average WAL rate (${bytesText(Math.round(bytesPerSecond))}/s) the slot keeps about ${bytesText(during)} of WAL during the estimated ${human(loadSeconds)} full load, more than max_slot_wal_keep_size (${keepMb} MB): the slot would be invalidated before the stream starts`,
        fix: `raise max_slot_wal_keep_size to at least ${Math.ceil((2 * during) / 1048576)} MB (ALTER SYSTEM SET max_slot_wal_keep_size = '…MB'; SELECT pg_reload_conf())`,
        details: { walBytesPerSecond: Math.round(bytesPerSecond), walDuringLoadBytes: during, maxSlotWalKeepSizeMb: keepMb, fullLoadSeconds: loadSeconds },
      }));
    }
  }
  return out;
}

/** Transactions open longer than LONG_TRANSACTION_SECONDS; what the user may see of them. */
export async function longTransactions(s: SqlSession, task: ResolvedTask): Promise<{ findings: Finding[]; checked: string }> {
  const why = task.source.engine === 'postgres'
    ? 'creating the replication slot waits until every transaction open at that moment has ended, and the snapshot holds back vacuum meanwhile'
    : 'the full load\'s table locks and consistent snapshot wait behind it, and its undo history keeps growing';
  let rows;
  try {
    rows = s.engine === 'mysql'
      ? await s.query(`SELECT trx_mysql_thread_id AS id, TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age, LEFT(COALESCE(trx_query, ''), 200) AS query
          FROM information_schema.INNODB_TRX WHERE trx_started < NOW() - INTERVAL ? SECOND ORDER BY trx_started`, [LONG_TRANSACTION_SECONDS])
      : await s.query(`SELECT pid AS id, extract(epoch FROM now() - xact_start)::bigint AS age, left(coalesce(query, ''), 200) AS query, usename AS who
          FROM pg_stat_activity WHERE xact_start < now() - make_interval(secs => $1) AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY xact_start`, [LONG_TRANSACTION_SECONDS]);
  } catch (e: unknown) {
    return { findings: [], checked: `not checked: ${(e as Error).message}` };
  }
  return {
    findings: rows.map((r) => finding({
      code: 'LONG_RUNNING_TRANSACTION', severity: 'warning', category: 'source', objects: [],
      message: `a transaction has been open for ${human(num(r.age))} (${s.engine === 'mysql' ? 'thread' : 'pid'} ${String(r.id)}${r.who ? `, user ${String(r.who)}` : ''}${r.query ? `, last statement: ${String(r.query)}` : ''}): ${why}`,
      fix: `let it finish or end it before the task starts (${s.engine === 'mysql' ? `KILL ${String(r.id)}` : `SELECT pg_terminate_backend(${String(r.id)})`})`,
      details: { id: String(r.id), ageSeconds: num(r.age) },
    })),
    checked: `transactions open longer than ${LONG_TRANSACTION_SECONDS} s (${s.engine === 'postgres' ? 'those of other roles are visible only to superusers and members of pg_read_all_stats' : 'InnoDB transactions of other users are visible with the PROCESS privilege'})`,
  };
}
