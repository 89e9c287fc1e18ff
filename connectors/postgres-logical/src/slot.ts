/**
 * The replication slot and the publication, and the monitor that keeps the slot safe while Ferry streams.
 *
 * Names: by default both are `ferry_<task>` (lower case, [a-z0-9_], at most 63 characters). Ferry creates the
 * slot when it is missing (named or default); it creates and maintains the default publication (FOR TABLE the
 * selected tables, re-synced at every start); a named publication is the user's: Ferry only checks that it
 * covers the selected tables and never alters it.
 *
 * SlotMonitor, on its own connection, every intervalMs:
 *   - writes a heartbeat (pg_logical_emit_message(false, 'ferry-heartbeat', …)): the walsender forwards it even
 *     when no captured table changes, and the change stream checkpoints its LSN, so the slot advances on a busy
 *     database whose captured tables are idle;
 *   - sets pg_slot_lag_bytes (pg_current_wal_lsn() − confirmed_flush_lsn);
 *   - notices a slot that was dropped or invalidated (wal_status 'lost') and reports it for a re-snapshot.
 */
import type pg from 'pg';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { parseLsnText } from '../../../core/src/position.ts';
import type { Gauge, Logger, MetricsRegistry, TableId } from '../../../core/src/types.ts';
import { openSession, quoteIdent, type PgConnectionConfig } from './pg-connection.ts';
import { tableKey } from './pg-catalog.ts';

export const HEARTBEAT_PREFIX = 'ferry-heartbeat';

/** `ferry_<name>` as a valid slot/publication name. */
export function defaultSlotName(taskName: string): string {
  return `ferry_${taskName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

export interface SlotInfo {
  readonly name: string;
  readonly plugin: string | null;
  readonly database: string | null;
  readonly confirmedFlush: bigint | null;
  /** 'reserved', 'extended', 'unreserved' or 'lost' (PostgreSQL 13+). */
  readonly walStatus: string | null;
  readonly active: boolean;
}

export async function readSlot(client: pg.Client, name: string): Promise<SlotInfo | null> {
  const { rows } = await client.query<Record<string, string | null>>(
    'SELECT slot_name, plugin, database, confirmed_flush_lsn, wal_status, active FROM pg_replication_slots WHERE slot_name = $1', [name]);
  const r = rows[0];
  if (!r) return null;
  return {
    name: r.slot_name!, plugin: r.plugin ?? null, database: r.database ?? null,
    confirmedFlush: r.confirmed_flush_lsn ? parseLsnText(r.confirmed_flush_lsn) : null, walStatus: r.wal_status ?? null, active: r.active === 't',
  };
}

/** The error for a slot that can no longer give the changes after `position`. */
export function slotLostError(slot: string, why: string, details: Record<string, unknown> = {}): FerryError {
  return new FerryError('FERRY_SOURCE_ERROR',
    `replication slot "${slot}" ${why}: the changes since the stored position are no longer available from PostgreSQL. ` +
    'Recover by re-copying: run `ferry offsets reset <task-file> --yes`, then run the task with migrationType full-load-and-cdc ' +
    '(Ferry recreates its own slot; drop a named slot that is still there first); to keep it from happening, keep Ferry running or raise max_slot_wal_keep_size (docs/sources/postgres.md)',
    { disposition: 'resnapshot', details: { slot, ...details } });
}

export interface CreatedSlot {
  readonly consistentPoint: bigint;
  /** With exportSnapshot: the snapshot to SET TRANSACTION SNAPSHOT to, valid while `connection` stays open and idle. */
  readonly snapshotName: string | null;
  readonly connection: pg.Client;
}

/**
 * CREATE_REPLICATION_SLOT … LOGICAL pgoutput, on a replication connection that the caller closes. `failover`
 * (source.failoverSlot, PostgreSQL 17+; the caller checked the version) creates a failover slot, which standbys
 * with sync_replication_slots keep in step so that it survives a switch to a standby.
 */
export async function createSlot(cfg: PgConnectionConfig, name: string, exportSnapshot: boolean, options: { readonly failover?: boolean } = {}): Promise<CreatedSlot> {
  const conn = await openSession(cfg, { replication: true, applicationName: `ferry:${name}` });
  try {
    const how = options.failover === true
      ? `(SNAPSHOT '${exportSnapshot ? 'export' : 'nothing'}', FAILOVER true)` // the option-list syntax (15+), FAILOVER 17+
      : exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT';
    const { rows } = await conn.query<Record<string, string | null>>(`CREATE_REPLICATION_SLOT ${quoteIdent(name)} LOGICAL pgoutput ${how}`);
    const r = rows[0]!;
    return { consistentPoint: parseLsnText(r.consistent_point!), snapshotName: r.snapshot_name ?? null, connection: conn };
  } catch (e: unknown) {
    await conn.end().catch(() => undefined);
    const code = (e as { code?: string }).code;
    if (code === '42710') throw new FerryError('FERRY_SOURCE_ERROR', `replication slot "${name}" already exists (created concurrently?)`, { cause: e });
    if (code === '53400') throw new FerryError('FERRY_SOURCE_PREREQUISITE', `cannot create replication slot "${name}": all replication slots are in use. Drop unused slots or raise max_replication_slots`, { cause: e });
    throw new FerryError('FERRY_SOURCE_ERROR', `cannot create replication slot "${name}": ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Makes an existing slot a failover slot (ALTER_REPLICATION_SLOT … (FAILOVER true), PostgreSQL 17+) when
 * source.failoverSlot asks for it and the slot is not one yet; the slot must not be in use. Returns whether it changed.
 */
export async function ensureFailoverSlot(cfg: PgConnectionConfig, client: pg.Client, name: string, log: Logger): Promise<boolean> {
  const { rows } = await client.query<{ failover: string }>('SELECT failover::text AS failover FROM pg_replication_slots WHERE slot_name = $1', [name]);
  if (rows[0] === undefined || rows[0].failover === 'true') return false;
  const conn = await openSession(cfg, { replication: true, applicationName: `ferry:${name}` });
  try {
    await conn.query(`ALTER_REPLICATION_SLOT ${quoteIdent(name)} (FAILOVER true)`);
  } catch (e: unknown) {
    throw new FerryError('FERRY_SOURCE_ERROR', `cannot make replication slot "${name}" a failover slot (source.failoverSlot): ${errorMessage(e)}`, { cause: e });
  } finally {
    await conn.end().catch(() => undefined);
  }
  log.info({ slot: name }, `replication slot "${name}" is now a failover slot (source.failoverSlot)`);
  return true;
}

/** Drops a slot if it exists (waiting briefly for a walsender that is still shutting down). */
export async function dropSlot(client: pg.Client, name: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { rowCount } = await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [name]);
      return (rowCount ?? 0) > 0;
    } catch (e: unknown) {
      if ((e as { code?: string }).code !== '55006' || attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface PublicationInfo {
  readonly allTables: boolean;
  readonly tables: ReadonlySet<string>;
  readonly actions: { readonly insert: boolean; readonly update: boolean; readonly delete: boolean; readonly truncate: boolean };
  readonly owner: string;
}

export async function readPublication(client: pg.Client, name: string): Promise<PublicationInfo | null> {
  const pub = await client.query<Record<string, string>>(
    'SELECT p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, pg_get_userbyid(p.pubowner) AS owner FROM pg_publication p WHERE p.pubname = $1', [name]);
  const p = pub.rows[0];
  if (!p) return null;
  const t = await client.query<Record<string, string>>('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [name]);
  return {
    allTables: p.puballtables === 't',
    tables: new Set(t.rows.map((r) => tableKey({ schema: r.schemaname!, table: r.tablename! }))),
    actions: { insert: p.pubinsert === 't', update: p.pubupdate === 't', delete: p.pubdelete === 't', truncate: p.pubtruncate === 't' },
    owner: p.owner!,
  };
}

const tableList = (tables: readonly TableId[]) => tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');

/**
 * Makes the publication publish exactly `tables` (managed) or checks that it publishes them (a named one).
 */
export async function ensurePublication(client: pg.Client, name: string, tables: readonly TableId[], managed: boolean, log: Logger): Promise<void> {
  const pub = await readPublication(client, name);
  const want = new Set(tables.map(tableKey));
  if (!managed) {
    if (!pub) throw new FerryError('FERRY_SOURCE_PREREQUISITE', `publication "${name}" (source publicationName) does not exist. Create it (CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE …) or leave publicationName unset so Ferry manages its own`);
    const missing = pub.allTables ? [] : [...want].filter((k) => !pub.tables.has(k));
    if (missing.length > 0) {
      throw new FerryError('FERRY_SOURCE_PREREQUISITE', `publication "${name}" does not publish ${missing.length} selected table(s): ${missing.join(', ')}. Run ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE …, or change the table mapping`);
    }
    const off = Object.entries(pub.actions).filter(([, on]) => !on).map(([a]) => a);
    if (off.length > 0) log.warn({ publication: name, notPublished: off }, `publication "${name}" does not publish ${off.join(', ')}: those changes will not be captured`);
    return;
  }
  try {
    if (!pub) {
      await client.query(tables.length > 0 ? `CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tableList(tables)}` : `CREATE PUBLICATION ${quoteIdent(name)}`);
      log.info({ publication: name, tables: tables.length }, `created publication "${name}" for ${tables.length} table(s)`);
      return;
    }
    const same = !pub.allTables && pub.tables.size === want.size && [...want].every((k) => pub.tables.has(k));
    if (same) return;
    if (tables.length > 0) await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${tableList(tables)}`);
    else {
      const current = [...pub.tables].map((k) => { const i = k.indexOf('.'); return { schema: k.slice(0, i), table: k.slice(i + 1) }; });
      if (current.length > 0) await client.query(`ALTER PUBLICATION ${quoteIdent(name)} DROP TABLE ${tableList(current)}`);
    }
    log.info({ publication: name, tables: tables.length }, `publication "${name}" now publishes ${tables.length} table(s)`);
  } catch (e: unknown) {
    if (e instanceof FerryError) throw e;
    if ((e as { code?: string }).code === '42501') {
      throw new FerryError('FERRY_SOURCE_PRIVILEGES', `cannot create or alter publication "${name}": ${errorMessage(e)}. A publication FOR TABLE needs the table owner (or a superuser): have them run CREATE PUBLICATION … FOR TABLE ${tableList(tables)} and set the source's publicationName`, { cause: e });
    }
    throw new FerryError('FERRY_SOURCE_ERROR', `cannot create or alter publication "${name}": ${errorMessage(e)}`, { cause: e });
  }
}

export interface SlotMonitorOptions {
  readonly slot: string;
  readonly intervalMs: number;
  readonly heartbeat: boolean;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

export class SlotMonitor {
  readonly #cfg: PgConnectionConfig;
  readonly #o: SlotMonitorOptions;
  readonly #lag: Gauge;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** Set when the slot was dropped or invalidated; the change stream raises it. */
  error: FerryError | null = null;
  onError: (() => void) | null = null;

  constructor(cfg: PgConnectionConfig, o: SlotMonitorOptions) {
    this.#cfg = cfg;
    this.#o = o;
    this.#lag = o.metrics.gauge('pg_slot_lag_bytes', 'WAL bytes between the server\'s current position and the slot\'s confirmed_flush_lsn', ['slot']);
  }

  start(): void {
    this.#timer = setInterval(() => { this.#running ??= this.tick().finally(() => { this.#running = null; }); }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One heartbeat and lag poll (also called by tests). */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#client ??= await openSession(this.#cfg, { applicationName: `ferry:${this.#o.slot}:monitor` });
      // Lag first, then the heartbeat: the gauge is set before the heartbeat can move the slot.
      const { rows } = await this.#client.query<Record<string, string | null>>(
        // on a standby (PostgreSQL 16+ decodes there) the WAL position is the replayed one
        'SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)::text AS lag, wal_status FROM pg_replication_slots WHERE slot_name = $1', [this.#o.slot]);
      const r = rows[0];
      if (!r) this.#raise(slotLostError(this.#o.slot, 'was dropped while Ferry was streaming from it'));
      else if (r.wal_status === 'lost') this.#raise(slotLostError(this.#o.slot, 'was invalidated (wal_status lost: it fell more than max_slot_wal_keep_size behind)'));
      else if (r.lag !== null) this.#lag.set({ slot: this.#o.slot }, Number(r.lag));
      if (r && r.wal_status !== 'lost' && this.#o.heartbeat) await this.#client.query('SELECT pg_logical_emit_message(false, $1, $2)', [HEARTBEAT_PREFIX, this.#o.slot]);
    } catch (e: unknown) {
      this.#o.log.warn({ err: errorMessage(e) }, 'slot heartbeat/lag poll failed; retrying at the next interval');
      const c = this.#client;
      this.#client = null;
      await c?.end().catch(() => undefined);
    }
  }

  #raise(e: FerryError): void {
    this.error ??= e;
    this.onError?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
    await this.#client?.end().catch(() => undefined);
    this.#client = null;
  }
}
