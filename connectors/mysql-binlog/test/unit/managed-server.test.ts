// Recognising a managed MySQL/MariaDB server from sample variables as each service reports them, and the fixes
// `ferry validate` gives there instead of my.cnf (docs/sources/managed-mysql.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { managedFix, recognizeManagedMySql } from '../../src/managed-server.ts';

const vars = (o: Record<string, string>) => new Map(Object.entries(o));

test('RDS, Aurora, Cloud SQL and Azure are told by their variables; a self-managed server is none of them', () => {
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/rdsdbbin/mysql-8.0.35.R2/', version_comment: 'Source distribution' })), { kind: 'rds', sign: '@@basedir /rdsdbbin/mysql-8.0.35.R2/' });
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/rdsdbbin/mariadb-10.11.6.R1/', version_comment: 'managed by https://aws.amazon.com/rds/' })), { kind: 'rds', sign: '@@basedir /rdsdbbin/mariadb-10.11.6.R1/' });
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/rdsdbbin/oscar-8.0.mysql_aurora.3.05.2.0.18765.0/', aurora_version: '3.05.2' })), { kind: 'aurora', sign: 'aurora_version 3.05.2' });
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/rdsdbbin/oscar-5.7.mysql_aurora.2.11.2/' })), { kind: 'aurora', sign: '@@basedir /rdsdbbin/oscar-5.7.mysql_aurora.2.11.2/' });
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/usr/', cloudsql_iam_authentication: 'OFF', version_comment: '(Google)' })), { kind: 'cloudsql', sign: 'the Cloud SQL flag cloudsql_iam_authentication' });
  assert.deepEqual(recognizeManagedMySql(vars({ basedir: '/usr/', aad_auth_only: 'OFF' })), { kind: 'azure', sign: 'the aad_auth_only server parameter' });
  assert.equal(recognizeManagedMySql(vars({ basedir: '/usr/', version_comment: 'Debian 12' })), null);
  assert.equal(recognizeManagedMySql(vars({ basedir: '/opt/rdsdbbin/mysql/' })), null, 'only a basedir that starts with /rdsdbbin/');
});

test('the fixes: RDS retention by mysql.rds_set_configuration, parameter groups, Cloud SQL flags, Azure parameters; none for a self-managed server', () => {
  assert.match(managedFix('rds', 'binlog_retention', '')!, /^CALL mysql\.rds_set_configuration\('binlog retention hours', 168\);/);
  assert.match(managedFix('aurora', 'binlog_retention', '')!, /rds_set_configuration/);
  assert.equal(managedFix('rds', 'binlog_format', 'ROW'), 'set binlog_format=ROW in a custom DB parameter group attached to the instance and reboot (SET GLOBAL needs SUPER, which RDS does not give)');
  assert.equal(managedFix('aurora', 'binlog_row_image', 'FULL'), 'set binlog_row_image=FULL in a custom DB cluster parameter group attached to the cluster and reboot (SET GLOBAL needs SUPER, which RDS does not give)');
  assert.match(managedFix('rds', 'log_bin', 'ON')!, /automated backups/);
  assert.equal(managedFix('cloudsql', 'binlog_row_image', 'FULL'), 'gcloud sql instances patch <instance> --database-flags=binlog_row_image=FULL (flags replace the whole list: repeat the ones already set)');
  assert.match(managedFix('cloudsql', 'log_bin', 'ON')!, /--enable-bin-log/);
  assert.equal(managedFix('azure', 'binlog_retention', '604800'), 'az mysql flexible-server parameter set --resource-group <rg> --server-name <server> --name binlog_expire_logs_seconds --value 604800');
  assert.equal(managedFix('azure', 'compression', 'binlog_transaction_compression=OFF'), 'az mysql flexible-server parameter set --resource-group <rg> --server-name <server> --name binlog_transaction_compression --value OFF');
  assert.equal(managedFix(null, 'binlog_format', 'ROW'), null);
});
