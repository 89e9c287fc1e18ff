/**
 * Which managed PostgreSQL service a server is, from the roles every user can see in pg_roles, so that `ferry validate`
 * gives the fix that works there (a parameter group, a flag, a server parameter, a role to grant) instead of
 * ALTER SYSTEM. See docs/sources/managed-postgres.md.
 *
 *   Amazon RDS / Aurora PostgreSQL   the rds_superuser role (Aurora: also the aurora_version() function)
 *   Google Cloud SQL for PostgreSQL  the cloudsqlsuperuser role
 *   Azure Database for PostgreSQL    the azure_pg_admin role
 */
import { quoteIdent } from './pg-connection.ts';

export type ManagedPg = 'rds' | 'aurora' | 'cloudsql' | 'azure';

export const MANAGED_PG_NAMES: Readonly<Record<ManagedPg, string>> = {
  rds: 'Amazon RDS for PostgreSQL', aurora: 'Amazon Aurora PostgreSQL', cloudsql: 'Google Cloud SQL for PostgreSQL', azure: 'Azure Database for PostgreSQL',
};

/** The roles whose presence the recognition reads. */
export const RECOGNITION_ROLES = ['rds_superuser', 'rds_replication', 'cloudsqlsuperuser', 'azure_pg_admin'] as const;

/** The service the roles (and whether aurora_version() exists) show; null for a self-managed server. */
export function recognizeManagedPg(roles: ReadonlySet<string>, hasAuroraVersion: boolean): { readonly kind: ManagedPg; readonly sign: string } | null {
  if (roles.has('rds_superuser')) return hasAuroraVersion ? { kind: 'aurora', sign: 'the rds_superuser role and aurora_version()' } : { kind: 'rds', sign: 'the rds_superuser role' };
  if (roles.has('cloudsqlsuperuser')) return { kind: 'cloudsql', sign: 'the cloudsqlsuperuser role' };
  if (roles.has('azure_pg_admin')) return { kind: 'azure', sign: 'the azure_pg_admin role' };
  return null;
}

/** The fix for wal_level on a managed service (null: ALTER SYSTEM stands). */
export function walLevelFix(kind: ManagedPg | null): string | null {
  switch (kind) {
    case 'rds': return 'set rds.logical_replication = 1 in a custom DB parameter group attached to the instance, and reboot it (wal_level then becomes logical)';
    case 'aurora': return 'set rds.logical_replication = 1 in a custom DB cluster parameter group attached to the cluster, and reboot the writer';
    case 'cloudsql': return 'gcloud sql instances patch <instance> --database-flags=cloudsql.logical_decoding=on (flags replace the whole list: repeat the ones already set); the instance restarts';
    case 'azure': return 'az postgres flexible-server parameter set --resource-group <rg> --server-name <server> --name wal_level --value logical, then az postgres flexible-server restart';
    default: return null;
  }
}

/** The fix for a parameter that needs a restart (max_replication_slots, max_wal_senders) on a managed service. */
export function parameterFix(kind: ManagedPg | null, name: string, value: string): string | null {
  switch (kind) {
    case 'rds': case 'aurora': return `set ${name} = ${value} in the custom DB ${kind === 'aurora' ? 'cluster ' : ''}parameter group and reboot`;
    case 'cloudsql': return `gcloud sql instances patch <instance> --database-flags=${name}=${value}`;
    case 'azure': return `az postgres flexible-server parameter set --resource-group <rg> --server-name <server> --name ${name} --value ${value}, then restart`;
    default: return null;
  }
}

/** How the user gets replication rights on a managed service (the REPLICATION attribute needs a superuser elsewhere). */
export function replicationFix(kind: ManagedPg | null, user: string): string | null {
  const q = quoteIdent(user);
  switch (kind) {
    case 'rds': case 'aurora': return `GRANT rds_replication TO ${q}; (as the master user: RDS gives no REPLICATION attribute, the rds_replication role stands for it)`;
    case 'cloudsql': return `ALTER USER ${q} WITH REPLICATION; (as a member of cloudsqlsuperuser, e.g. the postgres user)`;
    case 'azure': return `ALTER ROLE ${q} WITH REPLICATION; (as the server admin, a member of azure_pg_admin)`;
    default: return null;
  }
}
