/**
 * `ferry discover`: an inventory of a MySQL, MariaDB or PostgreSQL server, as AWS DMS Fleet Advisor gives one. It
 * starts the write-rate sample, reads the inventory (mysql-inventory.ts, postgres-inventory.ts) and the conversion
 * catalog (the source plugin's readCatalog, the reader `ferry convert-schema` uses), waits out the rest of the
 * sample, then estimates the effort per database (effort.ts). Read-only throughout: every session is read-only.
 */
import { errorMessage, FerryError, isFerryError } from '../../../core/src/errors.ts';
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';
import { sourcePlugin } from '../plugins.ts';
import type { DiscoverConnection } from './connection.ts';
import { catalogOf, estimateEffort } from './effort.ts';
import type { DatabaseInventory, RateSample, ServerInventory } from './inventory.ts';
import type { DiscoveredDatabase, DiscoveryReport } from './model.ts';
import { MySqlInventory } from './mysql-inventory.ts';
import { PgInventory } from './postgres-inventory.ts';

export interface DiscoverOptions {
  readonly connection: DiscoverConnection;
  /** Only these databases (MySQL: schemas; PostgreSQL: databases); empty: all. */
  readonly databases: readonly string[];
  readonly exactCounts: boolean;
  /** Length of the write-rate sample; 0: none. */
  readonly sampleSeconds: number;
  readonly signal?: AbortSignal;
}

function selectorOf(schemas: ReadonlySet<string> | null): TableSelector {
  return { includes: (id) => schemas === null || schemas.has(id.schema), schemaPatterns: () => (schemas === null ? [] : [...schemas]), loadOrder: () => 0 };
}

async function sleepUntil(deadline: number, signal: AbortSignal | undefined): Promise<void> {
  const ms = deadline - performance.now();
  if (ms <= 0) return;
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(ms, undefined, signal ? { signal } : {});
}

export async function discover(o: DiscoverOptions): Promise<DiscoveryReport> {
  const startedAt = new Date();
  const { engine: declared, source } = o.connection;
  const inv = declared === 'postgres' ? await openPg(o) : await MySqlInventory.open(source);
  const engine = inv instanceof MySqlInventory ? inv.engine : 'postgres';
  let server: ServerInventory;
  let sample: RateSample | undefined;
  const catalogs = new Map<string, SourceCatalog | Error>();
  try {
    const deadline = performance.now() + o.sampleSeconds * 1000;
    if (o.sampleSeconds > 0) sample = await inv.startSample();
    server = await inv.inventory({ databases: o.databases, exactCounts: o.exactCounts });
    await readCatalogs(o, engine, server.databases, catalogs);
    o.signal?.throwIfAborted();
    if (sample) await sleepUntil(deadline, o.signal);
    const rate = sample ? await sample.finish() : undefined;
    const databases = server.databases.map((d) => databaseReport(d, engine, catalogs.get(d.name), rate?.perDatabase ?? null));
    const notes = [...server.notes];
    for (const [db, c] of catalogs) if (c instanceof Error) notes.push(`database ${db}: the catalog could not be read for the effort estimate: ${errorMessage(c)}`);
    const sum = (f: (d: DiscoveredDatabase) => number) => databases.reduce((s, d) => s + f(d), 0);
    return {
      ok: true, discoveredAt: startedAt.toISOString(),
      server: { engine, host: source.host, port: source.port, version: server.version },
      options: { exactCounts: o.exactCounts, sampleSeconds: o.sampleSeconds, databases: [...o.databases] },
      writeRate: rate?.rate ?? null,
      databases,
      totals: { databases: databases.length, tables: sum((d) => d.totals.tables), rows: sum((d) => d.totals.rows), dataBytes: sum((d) => d.totals.dataBytes), indexBytes: sum((d) => d.totals.indexBytes) },
      notes,
    };
  } finally {
    await inv.close();
  }
}

/**
 * The first PostgreSQL session: the database the task or URL names, else `postgres`; when that one is missing or
 * closed to the user, the first --database.
 */
async function openPg(o: DiscoverOptions): Promise<PgInventory> {
  const first = o.connection.database ?? 'postgres';
  try {
    return await PgInventory.open(o.connection.source, first);
  } catch (e: unknown) {
    const fallback = o.databases.find((d) => d !== first);
    if (o.connection.database === undefined && fallback !== undefined && isFerryError(e) && (e.code === 'FERRY_SOURCE_DATABASE_MISSING' || e.code === 'FERRY_SOURCE_PRIVILEGES')) {
      return PgInventory.open(o.connection.source, fallback);
    }
    throw e;
  }
}

/** The conversion catalog of each database, through the source plugin (MySQL: one read for every database). */
async function readCatalogs(o: DiscoverOptions, engine: 'mysql' | 'mariadb' | 'postgres', dbs: readonly DatabaseInventory[], out: Map<string, SourceCatalog | Error>): Promise<void> {
  const plugin = sourcePlugin(engine);
  if (!plugin.readCatalog) throw new FerryError('FERRY_UNSUPPORTED', `the ${engine} source has no catalog reader`);
  const source = { ...o.connection.source, engine };
  if (engine !== 'postgres') {
    if (dbs.length === 0) return;
    try {
      const all = await plugin.readCatalog({ source: { ...source, serverId: 1 }, taskName: 'ferry-discover', selector: selectorOf(new Set(dbs.map((d) => d.name))) });
      for (const d of dbs) out.set(d.name, catalogOf(all, d.name, engine));
    } catch (e: unknown) {
      for (const d of dbs) out.set(d.name, e instanceof Error ? e : new Error(String(e)));
    }
    return;
  }
  for (const d of dbs) {
    o.signal?.throwIfAborted();
    try {
      out.set(d.name, await plugin.readCatalog({ source: { ...source, database: d.name }, taskName: 'ferry-discover', selector: selectorOf(null) }));
    } catch (e: unknown) {
      out.set(d.name, e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function databaseReport(d: DatabaseInventory, engine: 'mysql' | 'mariadb' | 'postgres', catalog: SourceCatalog | Error | undefined, perDatabase: ReadonlyMap<string, number | null> | null): DiscoveredDatabase {
  const sum = (f: (t: DatabaseInventory['tables'][number]) => number) => d.tables.reduce((s, t) => s + f(t), 0);
  return {
    name: d.name, schemas: [...d.schemas], tables: d.tables,
    totals: { tables: d.tables.length, rows: sum((t) => t.rows ?? 0), dataBytes: sum((t) => t.dataBytes), indexBytes: sum((t) => t.indexBytes), tablesWithoutPrimaryKey: d.tables.filter((t) => !t.primaryKey).length },
    features: d.features,
    rowWritesPerSecond: perDatabase === null ? null : (perDatabase.get(d.name) ?? 0),
    effort: catalog === undefined || catalog instanceof Error ? null : estimateEffort(d, catalog, engine),
  };
}
