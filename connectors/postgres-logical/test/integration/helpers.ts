/**
 * Integration-test plumbing: the local PostgreSQL (FERRY_POSTGRES_PORT, else 5432) with database `shop`, a fresh
 * schema per test file owned by the `cdc` role (so Ferry may put its tables in a publication), and a source built
 * the way the runtime would build it, with batches collected in memory and acknowledged like the pipeline does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import type { ChangeBatch, ChangeEvent, Counter, Gauge, Histogram, Logger, MetricsRegistry, StoredOffset } from '../../../../core/src/types.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { PgSource, type PgSourceOptions } from '../../src/PgSource.ts';
import { RAW_TEXT } from '../../src/pg-connection.ts';

export const PG_PORT = Number(process.env.FERRY_POSTGRES_PORT ?? 5432);
export const DATABASE = 'shop';

export async function connect(user: 'postgres' | 'cdc', raw = true): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: PG_PORT, user, password: user, database: DATABASE, ...(raw ? { types: RAW_TEXT } : {}), options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
  await c.connect();
  c.on('error', () => undefined);
  return c;
}

let versionNum: Promise<number> | null = null;

/**
 * The server's server_version_num (130023, 170012, …): tests of what a version lacks skip or assert the refusal.
 * FERRY_POSTGRES_PORT points the suite at another server (infra/pg-versions.sh; docs/services.md).
 */
export function serverVersionNum(): Promise<number> {
  versionNum ??= (async () => {
    const c = await connect('cdc');
    try {
      return Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
    } finally {
      await c.end();
    }
  })();
  return versionNum;
}

export interface TestSchema {
  readonly schema: string;
  /** Superuser connection with search_path set to the schema. */
  readonly admin: pg.Client;
  /** The cdc role's connection, search_path set (tables created here are owned by cdc). */
  readonly owner: pg.Client;
  drop(): Promise<void>;
}

/** A schema `<prefix>_<random>` owned by cdc; drop() removes it with every slot and publication named after it. */
export async function createSchema(prefix = 'ferry_it'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = await connect('postgres');
  await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
  await admin.query(`SET search_path = ${schema}, public`);
  const owner = await connect('cdc');
  await owner.query(`SET search_path = ${schema}, public`);
  return {
    schema, admin, owner,
    drop: async () => {
      await dropSlotsAndPublications(admin, schema);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await owner.end().catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** Drops slots and publications whose name contains `tag` (terminating a walsender still holding a slot). */
export async function dropSlotsAndPublications(admin: pg.Client, tag: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [tag]);
    try {
      await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [tag]);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const { rows } = await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [tag]);
  for (const r of rows) await admin.query(`DROP PUBLICATION IF EXISTS "${r.pubname}"`);
}

export function includeSchema(schema: string, exclude: readonly string[] = []): TableMapping {
  return {
    rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } },
      ...exclude.map((t, i) => ({ 'rule-type': 'selection', 'rule-id': String(i + 2), 'rule-name': `ex${i}`, 'rule-action': 'exclude', 'object-locator': { 'schema-name': schema, 'table-name': t } })),
    ],
  } as unknown as TableMapping;
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return silentLog; } };

export function memoryLog(): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string | undefined }> } {
  const lines: Array<{ level: string; obj: unknown; msg?: string | undefined }> = [];
  const mk = (level: string) => (obj: object | string, msg?: string) => { lines.push({ level, obj, msg }); };
  const log = { lines, debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), child: () => log };
  return log;
}

export function memoryMetrics(): MetricsRegistry & { gauges: Map<string, number> } {
  const gauges = new Map<string, number>();
  const counter: Counter = { inc() {} };
  const histogram: Histogram = { observe() {} };
  return {
    gauges, counter: () => counter, histogram: () => histogram,
    gauge: (name: string): Gauge => ({ set: (labels, value) => { gauges.set(`${name}${JSON.stringify(labels)}`, value); } }),
  };
}

export function sourceOptions(schema: string, overrides: Partial<PgSourceOptions> = {}): PgSourceOptions {
  return {
    config: { engine: 'postgres', host: '127.0.0.1', port: PG_PORT, user: 'cdc', password: new Secret('cdc'), database: DATABASE, connectTimeoutMs: 5000 },
    migrationType: 'full-load-and-cdc',
    selector: createTableSelector(includeSchema(schema)),
    topicPrefix: 'it',
    settings: { snapshot: { chunkSize: 1000, parallelism: 2 }, batch: { maxEvents: 500 } },
    stateDir: mkdtempSync(join(tmpdir(), 'ferry-pg-it-')),
    log: silentLog,
    metrics: memoryMetrics(),
    taskName: schema,
    heartbeatIntervalMs: 1000,
    statusIntervalMs: 1000,
    ...overrides,
  };
}

export interface Collected {
  readonly batches: ChangeBatch[];
  readonly offset: StoredOffset | null;
  readonly source: PgSource;
}

/**
 * Runs a source like the pipeline does — every checkpointed batch is "committed" and acknowledged — until
 * `until(batches)` holds or `timeoutMs` passes. `onStart` runs once the first batch arrived.
 */
export async function collect(
  opts: PgSourceOptions, resumeFrom: StoredOffset | null, until: (batches: ChangeBatch[]) => boolean,
  { timeoutMs = 30000, onBatch }: { timeoutMs?: number; onBatch?: (b: ChangeBatch, all: ChangeBatch[]) => void | Promise<void> } = {},
): Promise<Collected> {
  const source = new PgSource(opts);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const batches: ChangeBatch[] = [];
  let offset = resumeFrom;
  try {
    for await (const b of source.read({ signal: ac.signal, log: opts.log, metrics: opts.metrics, resumeFrom })) {
      batches.push(b);
      if (b.checkpoint !== null) {
        offset = { position: b.checkpoint, snapshotDone: (offset?.snapshotDone ?? false) || (b.snapshotDone ?? false), formatVersion: 1, ...(b.state ? { state: b.state } : {}) };
        await source.acknowledge(b.checkpoint);
      }
      await onBatch?.(b, batches);
      if (until(batches)) break;
    }
  } finally {
    clearTimeout(timer);
    await source.close();
  }
  return { batches, offset, source };
}

export const events = (batches: readonly ChangeBatch[]): ChangeEvent[] => batches.flatMap((b) => b.events);
export const dataEvents = (batches: readonly ChangeBatch[], table: string): ChangeEvent[] => events(batches).filter((e) => e.table.id.table === table);

export async function slotRow(admin: pg.Client, slot: string): Promise<{ confirmed_flush_lsn: string; wal_status: string; active: string } | undefined> {
  const { rows } = await admin.query<{ confirmed_flush_lsn: string; wal_status: string; active: string }>('SELECT confirmed_flush_lsn, wal_status, active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return rows[0];
}
