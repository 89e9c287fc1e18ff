// Recognising a managed PostgreSQL server from the roles pg_roles shows there, and the fixes `ferry validate` gives
// instead of ALTER SYSTEM (docs/sources/managed-postgres.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameterFix, recognizeManagedPg, replicationFix, walLevelFix } from '../../src/managed-server.ts';

test('RDS, Aurora, Cloud SQL and Azure are told by their roles; a self-managed server is none of them', () => {
  assert.deepEqual(recognizeManagedPg(new Set(['rds_superuser', 'rds_replication', 'rds_iam']), false), { kind: 'rds', sign: 'the rds_superuser role' });
  assert.deepEqual(recognizeManagedPg(new Set(['rds_superuser', 'rds_replication']), true), { kind: 'aurora', sign: 'the rds_superuser role and aurora_version()' });
  assert.deepEqual(recognizeManagedPg(new Set(['cloudsqlsuperuser']), false), { kind: 'cloudsql', sign: 'the cloudsqlsuperuser role' });
  assert.deepEqual(recognizeManagedPg(new Set(['azure_pg_admin']), false), { kind: 'azure', sign: 'the azure_pg_admin role' });
  assert.equal(recognizeManagedPg(new Set(['postgres', 'cdc']), false), null);
});

test('the fixes: rds.logical_replication, cloudsql.logical_decoding, the Azure wal_level parameter; rds_replication; none for a self-managed server', () => {
  assert.match(walLevelFix('rds')!, /^set rds\.logical_replication = 1 in a custom DB parameter group/);
  assert.match(walLevelFix('aurora')!, /DB cluster parameter group/);
  assert.match(walLevelFix('cloudsql')!, /--database-flags=cloudsql\.logical_decoding=on/);
  assert.match(walLevelFix('azure')!, /--name wal_level --value logical/);
  assert.equal(walLevelFix(null), null);
  assert.equal(replicationFix('rds', 'ferry'), 'GRANT rds_replication TO "ferry"; (as the master user: RDS gives no REPLICATION attribute, the rds_replication role stands for it)');
  assert.match(replicationFix('cloudsql', 'ferry')!, /^ALTER USER "ferry" WITH REPLICATION;/);
  assert.equal(replicationFix(null, 'ferry'), null);
  assert.equal(parameterFix('aurora', 'max_replication_slots', '10'), 'set max_replication_slots = 10 in the custom DB cluster parameter group and reboot');
});
