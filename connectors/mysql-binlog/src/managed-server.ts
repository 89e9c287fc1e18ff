/**
 * Which managed MySQL/MariaDB service a server is, from what any user can read, so that `ferry validate` gives the
 * fix that works there (a parameter group, a flag, a stored procedure) instead of my.cnf. See docs/sources/managed-mysql.md.
 *
 *   Amazon RDS for MySQL/MariaDB  @@basedir under /rdsdbbin/ (e.g. /rdsdbbin/mysql-8.0.35.R2/)
 *   Amazon Aurora MySQL           the aurora_version variable, or @@basedir /rdsdbbin/oscar-…
 *   Google Cloud SQL for MySQL    variables named cloudsql_* (the Cloud SQL flags, e.g. cloudsql_iam_authentication)
 *   Azure Database for MySQL      the aad_auth_only server parameter (flexible server), or a version comment naming Azure
 *
 * Pure: recognizeManagedMySql takes the variables read by prerequisites.ts, and the advice functions give text.
 */

export type ManagedMySql = 'rds' | 'aurora' | 'cloudsql' | 'azure';

/** The service's name, for messages. */
export const MANAGED_NAMES: Readonly<Record<ManagedMySql, string>> = {
  rds: 'Amazon RDS', aurora: 'Amazon Aurora MySQL', cloudsql: 'Google Cloud SQL for MySQL', azure: 'Azure Database for MySQL',
};

/** The variables the recognition reads (SHOW GLOBAL VARIABLES), besides those named cloudsql_*. */
export const RECOGNITION_VARIABLES = ['basedir', 'version_comment', 'aurora_version', 'aad_auth_only'] as const;

/** The managed service `vars` (lower-case names → values) show, with the sign that gave it away; null for none. */
export function recognizeManagedMySql(vars: ReadonlyMap<string, string>): { readonly kind: ManagedMySql; readonly sign: string } | null {
  const basedir = vars.get('basedir') ?? '';
  if (vars.has('aurora_version')) return { kind: 'aurora', sign: `aurora_version ${vars.get('aurora_version')}` };
  if (/^\/rdsdbbin\/oscar/i.test(basedir)) return { kind: 'aurora', sign: `@@basedir ${basedir}` };
  if (/^\/rdsdbbin\//i.test(basedir)) return { kind: 'rds', sign: `@@basedir ${basedir}` };
  const cloudsql = [...vars.keys()].find((k) => k.startsWith('cloudsql_'));
  if (cloudsql !== undefined) return { kind: 'cloudsql', sign: `the Cloud SQL flag ${cloudsql}` };
  if (vars.has('aad_auth_only')) return { kind: 'azure', sign: 'the aad_auth_only server parameter' };
  if (/azure/i.test(vars.get('version_comment') ?? '')) return { kind: 'azure', sign: `@@version_comment ${vars.get('version_comment')}` };
  return null;
}

/** A server setting Ferry needs, and how to change it on each service (null: the my.cnf advice stands). */
export type ServerSetting = 'binlog_format' | 'binlog_row_image' | 'log_bin' | 'gtid_mode' | 'binlog_retention' | 'compression';

export function managedFix(kind: ManagedMySql | null, setting: ServerSetting, value: string): string | null {
  switch (kind) {
    case 'rds':
    case 'aurora': {
      const group = kind === 'aurora' ? 'DB cluster parameter group' : 'DB parameter group';
      if (setting === 'binlog_retention') return "CALL mysql.rds_set_configuration('binlog retention hours', 168); (RDS ignores expire_logs_days / binlog_expire_logs_seconds; NULL, the default, purges binlogs as soon as it can)";
      if (setting === 'log_bin') return kind === 'aurora'
        ? `set binlog_format=ROW in a custom ${group} attached to the cluster and reboot the writer (Aurora writes a binlog once binlog_format is not OFF)`
        : 'turn on automated backups (backup retention period of 1 day or more): RDS writes the binlog only then';
      if (setting === 'gtid_mode') return `set gtid-mode=ON and enforce_gtid_consistency=ON in a custom ${group} (stepwise: OFF_PERMISSIVE, ON_PERMISSIVE, ON), then reboot`;
      return `set ${setting === 'compression' ? value : `${setting}=${value}`} in a custom ${group} attached to the ${kind === 'aurora' ? 'cluster' : 'instance'} and reboot (SET GLOBAL needs SUPER, which RDS does not give)`;
    }
    case 'cloudsql':
      if (setting === 'log_bin') return 'enable point-in-time recovery on the instance (gcloud sql instances patch <instance> --enable-bin-log): Cloud SQL writes the binlog only then';
      if (setting === 'binlog_retention') return 'keep more transaction-log days: gcloud sql instances patch <instance> --retained-transaction-log-days=7 (the binlog_expire_logs_seconds flag where offered)';
      if (setting === 'gtid_mode') return 'Cloud SQL runs with GTIDs on; nothing to do unless the flag was changed';
      return `gcloud sql instances patch <instance> --database-flags=${setting === 'compression' ? value.replace(/ /g, '') : `${setting}=${value}`} (flags replace the whole list: repeat the ones already set)`;
    case 'azure':
      if (setting === 'log_bin') return 'Azure Database for MySQL flexible server always writes the binlog; a read replica or HA setting may not: check the server';
      if (setting === 'binlog_retention') return 'az mysql flexible-server parameter set --resource-group <rg> --server-name <server> --name binlog_expire_logs_seconds --value 604800';
      return `az mysql flexible-server parameter set --resource-group <rg> --server-name <server> --name ${setting === 'compression' ? value.split('=')[0] : setting} --value ${setting === 'compression' ? value.split('=')[1] : value}`;
    default:
      return null;
  }
}
