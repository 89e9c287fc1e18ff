/**
 * What `ferry validate` checks on a MySQL/MariaDB source before change capture can work, each with its fix.
 * See docs/sources/mysql.md "Prerequisites".
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { fail, ok, warn, type CheckResult } from '../../../core/src/check-result.ts';
import type { FerryError } from '../../../core/src/errors.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { managedFix, MANAGED_NAMES, RECOGNITION_VARIABLES, recognizeManagedMySql, type ManagedMySql } from './managed-server.ts';

const ONE_DAY_S = 86400;

/** Runs every check; a connection failure is reported as one failed check and ends the run. */
export async function checkMySqlPrerequisites(c: MySqlConnectionConfig): Promise<CheckResult[]> {
  let conn: Connection;
  try {
    conn = await openMySql(c);
  } catch (e: unknown) {
    const err = e as FerryError;
    return [fail('source.connect', err.message, fixFor(err.code), err.code)];
  }
  try {
    const results: CheckResult[] = [ok('source.connect', `connected to ${c.engine} at ${c.host}:${c.port} as ${c.user}`)];
    results.push(...(await serverChecks(conn, c)));
    results.push(...(await privilegeChecks(conn, c)));
    return results;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

function fixFor(code: string): string {
  switch (code) {
    case 'FERRY_SOURCE_UNREACHABLE': return 'start the server or correct source.host/source.port';
    case 'FERRY_SOURCE_AUTH': return 'correct source.user/source.password (the password comes from the reference in the task file)';
    case 'FERRY_SOURCE_DATABASE_MISSING': return 'create the database or correct source.database';
    default: return 'see the message';
  }
}

async function variables(conn: Connection, names: readonly string[]): Promise<Map<string, string>> {
  const [rows] = await conn.query<RowDataPacket[]>(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(',')})`, [...names]);
  return new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
}

async function serverChecks(conn: Connection, c: MySqlConnectionConfig): Promise<CheckResult[]> {
  const v = await variables(conn, [
    'version', 'log_bin', 'binlog_format', 'binlog_row_image', 'server_id', 'binlog_expire_logs_seconds', 'expire_logs_days',
    'gtid_mode', 'gtid_strict_mode', 'log_bin_compress', 'binlog_transaction_compression', 'binlog_row_value_options', ...RECOGNITION_VARIABLES,
  ]);
  const [cloudsql] = await conn.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES LIKE 'cloudsql\\_%'");
  for (const r of cloudsql) v.set(String(r.Variable_name).toLowerCase(), String(r.Value));
  const version = v.get('version') ?? '';
  const isMariaDb = /mariadb/i.test(version);
  const where = `${c.host}:${c.port}`;
  const cnf = isMariaDb ? '[mariadbd]' : '[mysqld]';
  const out: CheckResult[] = [];
  // A managed server (RDS, Aurora, Cloud SQL, Azure) is told by its variables, and its fixes replace my.cnf's.
  const managed = recognizeManagedMySql(v);
  const kind: ManagedMySql | null = managed?.kind ?? null;
  const fix = (setting: Parameters<typeof managedFix>[1], value: string, otherwise: string) => managedFix(kind, setting, value) ?? otherwise;
  if (managed) out.push(ok('source.managed', `${MANAGED_NAMES[managed.kind]}${managed.kind === 'rds' && isMariaDb ? ' (MariaDB)' : ''} (recognised by ${managed.sign}): the fixes below are ${kind === 'cloudsql' ? 'Cloud SQL flags' : kind === 'azure' ? 'server parameters' : 'parameter-group settings and RDS procedures'}; guide: docs/sources/managed-mysql.md`));

  if (isMariaDb && c.engine === 'mysql') out.push(warn('source.engine', `the server is MariaDB ${version} but source.engine is "mysql"`, 'set source.engine: mariadb so events carry the MariaDB connector name'));
  else if (!isMariaDb && c.engine === 'mariadb') out.push(warn('source.engine', `the server is MySQL ${version} but source.engine is "mariadb"`, 'set source.engine: mysql'));
  else out.push(ok('source.engine', `${isMariaDb ? 'MariaDB' : 'MySQL'} ${version}`));

  if (v.get('log_bin') !== 'ON') {
    out.push(fail('mysql.log_bin', `binary logging is off on ${where}; change capture reads the binlog`, fix('log_bin', 'ON', `add log-bin=<path> to ${cnf} in my.cnf and restart the server`), 'FERRY_SOURCE_PREREQUISITE'));
  } else out.push(ok('mysql.log_bin', 'binary logging is on'));

  const format = v.get('binlog_format');
  if (format !== 'ROW') {
    out.push(fail('mysql.binlog_format', `binlog_format is ${format} on ${where}; Ferry needs ROW`, fix('binlog_format', 'ROW', `run SET GLOBAL binlog_format='ROW' and add binlog_format=ROW to ${cnf} in my.cnf (sessions started before keep the old format)`), 'FERRY_SOURCE_PREREQUISITE'));
  } else out.push(ok('mysql.binlog_format', 'binlog_format is ROW'));

  const image = v.get('binlog_row_image');
  if (image !== undefined && image.toUpperCase() !== 'FULL') {
    out.push(fail('mysql.binlog_row_image', `binlog_row_image is ${image} on ${where}; Ferry needs FULL so that updates and deletes carry whole rows`, fix('binlog_row_image', 'FULL', `run SET GLOBAL binlog_row_image='FULL' and add binlog_row_image=FULL to ${cnf} in my.cnf`), 'FERRY_SOURCE_PREREQUISITE'));
  } else out.push(ok('mysql.binlog_row_image', 'binlog_row_image is FULL'));

  if (v.get('server_id') === '0') {
    out.push(fail('mysql.server_id', `server_id is 0 on ${where}; a server with server_id 0 refuses replicas`, `set server-id to a non-zero value in ${cnf} and restart`, 'FERRY_SOURCE_PREREQUISITE'));
  } else out.push(ok('mysql.server_id', `server_id is ${v.get('server_id')}`));

  const expireS = Number(v.get('binlog_expire_logs_seconds') ?? 0) || Number(v.get('expire_logs_days') ?? 0) * ONE_DAY_S;
  if (kind === 'rds' || kind === 'aurora') {
    out.push(await rdsRetention(conn)); // RDS purges by its own setting, not by these variables
  } else if (expireS > 0 && expireS < ONE_DAY_S) {
    out.push(warn('mysql.binlog_retention', `binlogs are purged after ${expireS} s; a task stopped longer than that must re-snapshot`, fix('binlog_retention', '604800', 'raise binlog_expire_logs_seconds to at least 86400 (1 day), better 7 days')));
  } else out.push(ok('mysql.binlog_retention', expireS === 0 ? 'binlogs are never purged automatically' : `binlogs are kept ${Math.round(expireS / 3600)} h`));

  if (isMariaDb) {
    if (v.get('log_bin_compress') === 'ON') {
      out.push(fail('mysql.log_bin_compress', `log_bin_compress is ON on ${where}; compressed binlog events are not supported`, `SET GLOBAL log_bin_compress=OFF and remove it from ${cnf}`, 'FERRY_SOURCE_PREREQUISITE'));
    }
    out.push(v.get('gtid_strict_mode') === 'ON' ? ok('mysql.gtid', 'GTIDs on (gtid_strict_mode=ON)') : warn('mysql.gtid', 'gtid_strict_mode is OFF; positions fall back to file and offset after a failover', `add gtid_strict_mode=ON to ${cnf}`));
  } else {
    if (v.get('binlog_transaction_compression') === 'ON') {
      out.push(ok('mysql.binlog_transaction_compression', 'binlog_transaction_compression is ON: Ferry decompresses the transactions (TRANSACTION_PAYLOAD, zstd)'));
    }
    if ((v.get('binlog_row_value_options') ?? '').toUpperCase().includes('PARTIAL_JSON')) {
      // the diffs are applied to the before image, which binlog_row_image=FULL (checked above) provides
      out.push(ok('mysql.binlog_row_value_options', 'binlog_row_value_options is PARTIAL_JSON: Ferry applies the JSON diffs to the before image and emits whole documents'));
    }
    out.push(v.get('gtid_mode') === 'ON' ? ok('mysql.gtid', 'gtid_mode is ON') : warn('mysql.gtid', `gtid_mode is ${v.get('gtid_mode') ?? 'unknown'}; positions are file and offset, which do not survive a failover`, fix('gtid_mode', 'ON', `set gtid_mode=ON and enforce_gtid_consistency=ON in ${cnf}`)));
  }
  return out;
}

/**
 * RDS and Aurora keep binlogs for `binlog retention hours` (mysql.rds_show_configuration), NULL by default: purged as
 * soon as no replica of RDS's own needs them, so a stopped task soon finds its position gone.
 */
async function rdsRetention(conn: Connection): Promise<CheckResult> {
  const set = managedFix('rds', 'binlog_retention', '');
  let hours: string | null | undefined;
  try {
    const [sets] = await conn.query<RowDataPacket[][]>('CALL mysql.rds_show_configuration');
    const rows = Array.isArray(sets[0]) ? sets[0] : (sets as unknown as RowDataPacket[]);
    const row = rows.find((r) => String(r.name).toLowerCase() === 'binlog retention hours');
    hours = row === undefined ? undefined : row.value === null ? null : String(row.value);
  } catch {
    return warn('mysql.binlog_retention', 'could not read the RDS binlog retention (CALL mysql.rds_show_configuration was refused to this user)', `check it as the master user; set it with ${set!}`);
  }
  if (hours === null || hours === undefined || hours === 'NULL') return warn('mysql.binlog_retention', "binlog retention hours is NULL on RDS: binlogs are purged within minutes, and a task stopped longer must re-snapshot", set!);
  if (Number(hours) < 24) return warn('mysql.binlog_retention', `binlog retention hours is ${hours} on RDS; a task stopped longer than that must re-snapshot`, set!);
  return ok('mysql.binlog_retention', `binlogs are kept ${hours} h (binlog retention hours)`);
}

async function privilegeChecks(conn: Connection, c: MySqlConnectionConfig): Promise<CheckResult[]> {
  const [rows] = await conn.query<RowDataPacket[]>('SHOW GRANTS FOR CURRENT_USER()');
  const grants = rows.map((r) => String(Object.values(r)[0])).join('\n').toUpperCase();
  const global = grants.split('\n').filter((g) => / ON \*\.\* /.test(g)).join(' ');
  const has = (p: string) => global.includes('ALL PRIVILEGES') || new RegExp(`\\b${p}\\b`).test(global);
  const missing: string[] = [];
  if (!has('REPLICATION SLAVE')) missing.push('REPLICATION SLAVE');
  if (!has('REPLICATION CLIENT') && !has('BINLOG MONITOR') && !has('SUPER')) missing.push('REPLICATION CLIENT (BINLOG MONITOR on MariaDB)');
  const db = c.database;
  const canSelect = has('SELECT') || (db !== undefined && grants.includes(`ON \`${db.toUpperCase()}\`.*`) && /GRANT (ALL PRIVILEGES|[^\n]*\bSELECT\b)[^\n]* ON `/.test(grants));
  if (!canSelect) missing.push(db ? `SELECT (on *.* or \`${db}\`.*)` : 'SELECT');
  if (missing.length > 0) {
    return [fail('mysql.privileges', `user "${c.user}" lacks ${missing.join(', ')}`, `GRANT ${missing.map((m) => m.replace(/ \(.*\)$/, '')).join(', ')} ON *.* TO '${c.user}'@'<host>'`, 'FERRY_SOURCE_PRIVILEGES')];
  }
  return [ok('mysql.privileges', `user "${c.user}" has REPLICATION SLAVE, REPLICATION CLIENT/BINLOG MONITOR and SELECT`)];
}
