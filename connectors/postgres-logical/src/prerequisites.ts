/**
 * What `ferry validate` checks on a PostgreSQL source before logical decoding can work, each with its fix.
 */
import type pg from 'pg';
import { fail, ok, warn, type CheckResult } from '../../../runtime/src/checks/check-result.ts';
import type { FerryError } from '../../../runtime/src/core/errors.ts';
import { openPg, type PgConnectionConfig } from './pg-connection.ts';

export async function checkPgPrerequisites(c: PgConnectionConfig): Promise<CheckResult[]> {
  let client: pg.Client;
  try {
    client = await openPg(c);
  } catch (e: unknown) {
    const err = e as FerryError;
    return [fail('source.connect', err.message, err.code === 'FERRY_SOURCE_AUTH' ? 'correct source.user/source.password' : err.code === 'FERRY_SOURCE_DATABASE_MISSING' ? 'create the database or correct source.database' : 'start the server or correct source.host/source.port', err.code)];
  }
  try {
    const out: CheckResult[] = [ok('source.connect', `connected to postgres at ${c.host}:${c.port} as ${c.user}`)];
    const { rows } = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('server_version','wal_level','max_replication_slots','max_wal_senders','max_slot_wal_keep_size')",
    );
    const s = new Map(rows.map((r) => [r.name, r.setting]));
    out.push(ok('postgres.version', `PostgreSQL ${s.get('server_version')}`));
    out.push(s.get('wal_level') === 'logical'
      ? ok('postgres.wal_level', 'wal_level is logical')
      : fail('postgres.wal_level', `wal_level is ${s.get('wal_level')}; logical decoding needs logical`, "run ALTER SYSTEM SET wal_level = 'logical' and restart PostgreSQL", 'FERRY_SOURCE_PREREQUISITE'));
    for (const name of ['max_replication_slots', 'max_wal_senders'] as const) {
      out.push(Number(s.get(name)) >= 1
        ? ok(`postgres.${name}`, `${name} is ${s.get(name)}`)
        : fail(`postgres.${name}`, `${name} is ${s.get(name)}; Ferry needs at least 1 free`, `ALTER SYSTEM SET ${name} = 10 and restart PostgreSQL`, 'FERRY_SOURCE_PREREQUISITE'));
    }
    const keep = Number(s.get('max_slot_wal_keep_size'));
    out.push(keep === -1
      ? warn('postgres.max_slot_wal_keep_size', 'max_slot_wal_keep_size is unlimited: a stalled slot can fill the disk', 'set max_slot_wal_keep_size to a bound your disk can hold (the slot is invalidated past it, and Ferry then asks for a re-snapshot)')
      : ok('postgres.max_slot_wal_keep_size', `max_slot_wal_keep_size is ${keep} MB`));
    const role = await client.query<{ rolreplication: boolean; rolsuper: boolean }>('SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user');
    const r = role.rows[0];
    out.push(r?.rolreplication || r?.rolsuper
      ? ok('postgres.replication_privilege', `role "${c.user}" has REPLICATION`)
      : fail('postgres.replication_privilege', `role "${c.user}" lacks the REPLICATION attribute`, `ALTER ROLE "${c.user}" REPLICATION`, 'FERRY_SOURCE_PRIVILEGES'));
    return out;
  } finally {
    await client.end().catch(() => undefined);
  }
}
