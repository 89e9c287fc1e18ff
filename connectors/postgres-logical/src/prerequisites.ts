/**
 * What `ferry validate` checks on a PostgreSQL source before logical decoding can work, each with its fix.
 * With a table selection it also checks every selected table (key, REPLICA IDENTITY, TOAST) and the
 * publication; PgSource runs the same table checks at start and refuses to run on a failure.
 * See docs/sources/postgres.md "Prerequisites".
 */
import type pg from 'pg';
import { fail, ok, warn, type CheckResult } from '../../../core/src/check-result.ts';
import type { FerryError } from '../../../core/src/errors.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { openPg, openSession, quoteIdent, type PgConnectionConfig } from './pg-connection.ts';
import { listSelectedTables, readTableDefs, serverInfo, TypeRegistry, tableKey, type PgTableDef } from './pg-catalog.ts';
import { mapPgType, type TypeLookup } from './type-mapping.ts';
import { readPublication } from './slot.ts';
import { MANAGED_PG_NAMES, parameterFix, RECOGNITION_ROLES, recognizeManagedPg, replicationFix, walLevelFix } from './managed-server.ts';

export interface TableCheckOptions {
  readonly selector: TableSelector;
  /** The publication Ferry will read: a named (user-managed) one, or Ferry's own default. */
  readonly publicationName: string;
  /** Whether Ferry creates and maintains the publication (no publicationName configured). */
  readonly managedPublication: boolean;
  /** Outbox tables ('schema.table'): their updates are not carried, so TOAST-able columns need no REPLICA IDENTITY FULL. */
  readonly insertOnlyTables?: ReadonlySet<string>;
  /** source.unchangedToast (default lookup). */
  readonly unchangedToast?: 'lookup' | 'fail';
}

export async function checkPgPrerequisites(c: PgConnectionConfig, tables?: TableCheckOptions): Promise<CheckResult[]> {
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
    // A managed server (RDS, Aurora, Cloud SQL, Azure) is told by its roles; its fixes replace ALTER SYSTEM (managed-server.ts).
    const found = await client.query<{ rolname: string; aurora: boolean; rdsrepl: boolean }>(
      "SELECT rolname, to_regproc('aurora_version') IS NOT NULL AS aurora, CASE WHEN rolname = 'rds_replication' THEN pg_has_role(current_user, 'rds_replication', 'member') ELSE false END AS rdsrepl FROM pg_roles WHERE rolname = ANY($1)", [[...RECOGNITION_ROLES]]);
    const managed = recognizeManagedPg(new Set(found.rows.map((x) => x.rolname)), found.rows.some((x) => x.aurora));
    const kind = managed?.kind ?? null;
    if (managed) out.push(ok('source.managed', `${MANAGED_PG_NAMES[managed.kind]} (recognised by ${managed.sign}): the fixes below are ${kind === 'cloudsql' ? 'Cloud SQL flags' : kind === 'azure' ? 'server parameters' : 'parameter-group settings'}; guide: docs/sources/managed-postgres.md`));
    out.push(s.get('wal_level') === 'logical'
      ? ok('postgres.wal_level', 'wal_level is logical')
      : fail('postgres.wal_level', `wal_level is ${s.get('wal_level')}; logical decoding needs logical`, walLevelFix(kind) ?? "run ALTER SYSTEM SET wal_level = 'logical' and restart PostgreSQL", 'FERRY_SOURCE_PREREQUISITE'));
    for (const name of ['max_replication_slots', 'max_wal_senders'] as const) {
      out.push(Number(s.get(name)) >= 1
        ? ok(`postgres.${name}`, `${name} is ${s.get(name)}`)
        : fail(`postgres.${name}`, `${name} is ${s.get(name)}; Ferry needs at least 1 free`, parameterFix(kind, name, '10') ?? `ALTER SYSTEM SET ${name} = 10 and restart PostgreSQL`, 'FERRY_SOURCE_PREREQUISITE'));
    }
    const rdsReplication = found.rows.some((x) => x.rdsrepl);
    const keep = Number(s.get('max_slot_wal_keep_size'));
    out.push(keep === -1
      ? warn('postgres.max_slot_wal_keep_size', 'max_slot_wal_keep_size is unlimited: a stalled slot can fill the disk', 'set max_slot_wal_keep_size to a bound your disk can hold (the slot is invalidated past it, and Ferry then asks for a re-snapshot)')
      : ok('postgres.max_slot_wal_keep_size', `max_slot_wal_keep_size is ${keep} MB`));
    const role = await client.query<{ rolreplication: boolean; rolsuper: boolean }>('SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user');
    const r = role.rows[0];
    out.push(r?.rolreplication || r?.rolsuper || rdsReplication
      ? ok('postgres.replication_privilege', rdsReplication && !r?.rolreplication ? `role "${c.user}" is a member of rds_replication` : `role "${c.user}" has REPLICATION`)
      : fail('postgres.replication_privilege', `role "${c.user}" lacks the REPLICATION attribute${kind === 'rds' || kind === 'aurora' ? ' (RDS: membership of rds_replication)' : ''}`, replicationFix(kind, c.user) ?? `ALTER ROLE "${c.user}" REPLICATION`, 'FERRY_SOURCE_PRIVILEGES'));
    if (tables) {
      await client.end().catch(() => undefined);
      client = await openSession(c);
      out.push(...(await checkPgTables(client, tables)));
    }
    return out;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Bytes of a heap tuple above which PostgreSQL moves values out of line (TOAST_TUPLE_THRESHOLD, ≈ block/4). */
export function toastThreshold(blockSize: number): number {
  return Math.floor(blockSize / 4) - 64;
}

/**
 * The columns of a table whose values can be stored out of line (TOAST), so that an UPDATE that leaves them
 * unchanged does not carry them in the WAL: varlena columns not SET STORAGE PLAIN, unless every column is
 * bounded and the widest possible row stays under the TOAST threshold.
 */
export function toastableColumns(def: PgTableDef, types: TypeLookup, blockSize: number): string[] {
  const varlena = def.columns.filter((c) => c.attlen === -1 && c.storage !== 'p');
  if (varlena.length === 0) return [];
  let max = 32 + Math.ceil(def.columns.length / 8);
  for (const c of def.columns) {
    if (c.attlen > 0) { max += c.attlen + 8; continue; }
    const m = mapPgType(c.typeOid, c.typmod, types);
    const bytes = 'unsupported' in m ? null : m.maxBytes;
    if (bytes === null) { max = Infinity; break; }
    max += bytes + 8;
  }
  return max <= toastThreshold(blockSize) ? [] : varlena.map((c) => c.name);
}

/**
 * Key, REPLICA IDENTITY and TOAST check of one table. An insert-only table (an outbox table: Ferry skips its updates
 * and deletes) needs no REPLICA IDENTITY FULL for its TOAST-able columns; it still needs a key or FULL, since without
 * a replica identity PostgreSQL refuses its UPDATEs and DELETEs once it is in a publication.
 */
export interface TableCheckMode {
  /** An outbox table: only its inserts are carried. */
  readonly insertOnly?: boolean;
  /** source.unchangedToast (default lookup): whether a TOAST-able table under DEFAULT is advice (lookup) or a failure. */
  readonly unchangedToast?: 'lookup' | 'fail';
}

/** The check id of the advice for a TOAST-able table read by key (so PgSource can log it once for all tables). */
export const TOAST_ADVICE_PREFIX = 'postgres.toast.';

export function tableCheck(def: PgTableDef, types: TypeLookup, blockSize: number, mode: TableCheckMode = {}): CheckResult {
  const insertOnly = mode.insertOnly === true;
  const key = tableKey(def);
  const id = `postgres.table.${key}`;
  const qualified = `${quoteIdent(def.schema)}.${quoteIdent(def.table)}`;
  const full = def.replicaIdentity === 'f';
  if (def.primaryKey.length === 0 && !full) {
    return fail(id, `${key} has no primary key and REPLICA IDENTITY ${identityName(def.replicaIdentity)}: once it is in a publication, its UPDATEs and DELETEs would fail (or carry no row identity)`,
      `ALTER TABLE ${qualified} REPLICA IDENTITY FULL (or add a primary key)`, 'FERRY_SOURCE_PREREQUISITE');
  }
  const toastable = full ? [] : toastableColumns(def, types, blockSize);
  if (toastable.length > 0 && insertOnly) {
    return ok(id, `${key}: primary key (${def.primaryKey.join(', ')}), REPLICA IDENTITY ${identityName(def.replicaIdentity)}; an outbox table (only its inserts are carried), so its TOAST-able column(s) need no REPLICA IDENTITY FULL`);
  }
  if (toastable.length > 0 && mode.unchangedToast === 'fail') {
    return fail(id, `${key} is REPLICA IDENTITY ${identityName(def.replicaIdentity)} and has column(s) that can be TOASTed (${toastable.join(', ')}): an UPDATE leaving them unchanged does not carry their values, and source.unchangedToast is fail`,
      `ALTER TABLE ${qualified} REPLICA IDENTITY FULL, or set source.unchangedToast: lookup (values read by key)`, 'FERRY_SOURCE_PREREQUISITE');
  }
  if (toastable.length > 0) {
    return warn(`${TOAST_ADVICE_PREFIX}${key}`, `${key} is REPLICA IDENTITY ${identityName(def.replicaIdentity)} with column(s) that can be TOASTed (${toastable.join(', ')}): an UPDATE leaving such a value unchanged does not carry it, so Ferry reads it by primary key (${def.primaryKey.join(', ')}) when the change is streamed (source.unchangedToast: lookup); the value read may already be a later one, whose own change follows`,
      `nothing to do; for values exactly as of each change (and no lookups), ALTER TABLE ${qualified} REPLICA IDENTITY FULL (larger WAL records for updates and deletes)`);
  }
  if (def.primaryKey.length === 0) {
    return warn(id, `${key} has no primary key: its events have a null key (no per-key order or compaction, and a re-delivered change cannot be recognised as a duplicate)`, `add a primary key to ${qualified} if it has a natural one`);
  }
  return ok(id, `${key}: primary key (${def.primaryKey.join(', ')}), REPLICA IDENTITY ${identityName(def.replicaIdentity)}`);
}

function identityName(r: string): string {
  return r === 'f' ? 'FULL' : r === 'n' ? 'NOTHING' : r === 'i' ? 'USING INDEX' : 'DEFAULT';
}

/** The per-table checks and the publication check, on an open RAW_TEXT session. */
export async function checkPgTables(client: pg.Client, o: TableCheckOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const types = new TypeRegistry();
  await types.load(client);
  const { blockSize } = await serverInfo(client);
  const tables = await listSelectedTables(client, o.selector);
  if (tables.length === 0) out.push(warn('postgres.tables', 'the table mapping selects no table in this database', 'check the selection rules (schema-name is the PostgreSQL schema)'));
  const defs = await readTableDefs(client, tables.map((t) => t.relid));
  for (const t of tables) out.push(tableCheck(defs.get(t.relid)!, types, blockSize, { insertOnly: o.insertOnlyTables?.has(tableKey(t)) ?? false, unchangedToast: o.unchangedToast ?? 'lookup' }));
  out.push(await publicationCheck(client, o, tables));
  return out;
}

async function publicationCheck(client: pg.Client, o: TableCheckOptions, tables: readonly { schema: string; table: string }[]): Promise<CheckResult> {
  const id = 'postgres.publication';
  const name = o.publicationName;
  const pub = await readPublication(client, name);
  const { rows } = await client.query<Record<string, string>>(
    "SELECT current_user AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su");
  const me = rows[0]!.me!;
  const superuser = rows[0]!.su === 't';
  if (!o.managedPublication) {
    if (!pub) return fail(id, `publication "${name}" does not exist`, `CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE … (as the tables' owner), or leave publicationName unset so Ferry manages its own`, 'FERRY_SOURCE_PREREQUISITE');
    const missing = pub.allTables ? [] : tables.map(tableKey).filter((k) => !pub.tables.has(k));
    if (missing.length > 0) return fail(id, `publication "${name}" (owned by ${pub.owner}) does not publish ${missing.join(', ')}`, `ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE … as its owner ${pub.owner}`, 'FERRY_SOURCE_PREREQUISITE');
    return ok(id, `publication "${name}" (owned by ${pub.owner}) publishes every selected table`);
  }
  if (superuser) return ok(id, `Ferry manages publication "${name}" (${c2(pub)}; "${me}" is a superuser)`);
  if (pub && pub.owner !== me) {
    return fail(id, `publication "${name}" exists but is owned by ${pub.owner}, so "${me}" cannot keep it in step with the table mapping`,
      `ALTER PUBLICATION ${quoteIdent(name)} OWNER TO ${quoteIdent(me)}, or set the source's publicationName to use it as it is`, 'FERRY_SOURCE_PRIVILEGES');
  }
  const owners = await client.query<Record<string, string>>(
    `SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT pg_has_role(c.relowner, 'USAGE')`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)]);
  const notOwned = owners.rows.map((r) => `${r.nspname}.${r.relname} (owner ${r.owner})`);
  const needAlter = !pub || pub.allTables || pub.tables.size !== tables.length || tables.some((t) => !pub.tables.has(tableKey(t)));
  if (notOwned.length > 0 && needAlter) {
    return fail(id, `Ferry must ${pub ? 'alter' : 'create'} publication "${name}" FOR TABLE the selected tables, but "${me}" does not own ${notOwned.join(', ')}`,
      `have the owner run CREATE PUBLICATION … FOR TABLE … and set the source's publicationName, or make "${me}" the tables' owner`, 'FERRY_SOURCE_PRIVILEGES');
  }
  return ok(id, `Ferry manages publication "${name}" (${c2(pub)})`);
}

const c2 = (pub: { tables: ReadonlySet<string> } | null) => (pub ? `exists, ${pub.tables.size} table(s)` : 'created at the first run');
