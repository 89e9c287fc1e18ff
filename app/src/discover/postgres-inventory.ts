/**
 * What `ferry discover` reads from a PostgreSQL server, read-only: the databases (one session each, in turn), their
 * schemas and tables (reltuples estimates, pg_table_size / pg_indexes_size with partitions summed into their
 * partitioned parent, primary key), the features in use (views, routines, triggers, LOB/JSON/spatial/generated
 * columns, partitioning, foreign keys, sequences, extensions, user-defined types; objects that belong to an
 * extension are left out), and the WAL growth over the sample (pg_current_wal_lsn()) with each database's row
 * writes (pg_stat_database). Needs PostgreSQL 12 or later (pg_partition_tree).
 */
import type pg from 'pg';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { SourceBlock } from '../../../core/src/plugin.ts';
import { emptyFeatures, type DiscoveredTable, type FeatureKind, type WriteRate } from './model.ts';
import { round, type DatabaseInventory, type RateSample, type ServerInventory } from './inventory.ts';

type Row = Record<string, string | null>;

const SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";
/** Objects an extension created (PostGIS's spatial_ref_sys, its functions and types) are the extension's, not the database's. */
const NOT_EXTENSION = (catalog: string, oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;
const LOB_TYPES = new Set(['text', 'bytea', 'json', 'jsonb', 'xml']);
const SPATIAL_TYPES = new Set(['geometry', 'geography', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);
const STRATEGIES: Readonly<Record<string, string>> = { r: 'RANGE', l: 'LIST', h: 'HASH' };

export const quotePg = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const num = (v: string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export class PgInventory {
  readonly #client: pg.Client;
  readonly #source: SourceBlock;
  readonly #database: string;
  #version = '';

  private constructor(client: pg.Client, source: SourceBlock, database: string) {
    this.#client = client;
    this.#source = source;
    this.#database = database;
  }

  static async open(source: SourceBlock, database: string): Promise<PgInventory> {
    const client = await PgInventory.#session(source, database);
    const inv = new PgInventory(client, source, database);
    inv.#version = (await client.query<Row>('SHOW server_version')).rows[0]!.server_version!;
    return inv;
  }

  static async #session(source: SourceBlock, database: string): Promise<pg.Client> {
    const { openSession } = await import('../../../connectors/postgres-logical/src/pg-connection.ts');
    let client: pg.Client;
    try {
      client = await openSession({ ...source, database }, { applicationName: 'ferry-discover' });
    } catch (e: unknown) {
      // 42501: the user may log in, but not to this database (CONNECT revoked)
      if ((e as { cause?: { code?: string } }).cause?.code === '42501') {
        throw new FerryError('FERRY_SOURCE_PRIVILEGES', `user "${source.user}" has no CONNECT privilege on database ${database} at ${source.host}:${source.port}. GRANT CONNECT ON DATABASE ${quotePg(database)} TO the user`, { cause: e });
      }
      throw e;
    }
    await client.query('SET default_transaction_read_only = on');
    return client;
  }

  get version(): string {
    return this.#version;
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }

  async inventory(o: { readonly databases: readonly string[]; readonly exactCounts: boolean }): Promise<ServerInventory> {
    const notes: string[] = [];
    const listed = (await this.#client.query<Row>(`SELECT datname, has_database_privilege(datname, 'CONNECT') AS can
      FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname`)).rows;
    for (const d of o.databases) if (!listed.some((r) => r.datname === d)) notes.push(`database ${d} does not exist or does not allow connections`);
    const out: DatabaseInventory[] = [];
    for (const r of listed) {
      const name = r.datname!;
      if (o.databases.length > 0 && !o.databases.includes(name)) continue;
      if (r.can !== 't') {
        const message = `user "${this.#source.user}" has no CONNECT privilege on database ${name}`;
        if (o.databases.includes(name)) throw new FerryError('FERRY_SOURCE_PRIVILEGES', `${message}. GRANT CONNECT ON DATABASE ${quotePg(name)} TO the user`);
        notes.push(`${message}: skipped`);
        continue;
      }
      const client = name === this.#database ? this.#client : await PgInventory.#session(this.#source, name);
      try {
        out.push(await readDatabase(client, name, o.exactCounts));
      } finally {
        if (client !== this.#client) await client.end().catch(() => undefined);
      }
    }
    const unanalyzed = out.filter((d) => d.tables.some((t) => t.rows === null)).map((d) => d.name);
    if (unanalyzed.length > 0) notes.push(`tables never analyzed have no row estimate (run ANALYZE, or use --exact-counts), in: ${unanalyzed.join(', ')}`);
    return { version: this.#version, databases: out, notes };
  }

  async #counters(): Promise<Map<string, number>> {
    await this.#client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.#client.query<Row>('SELECT datname, tup_inserted + tup_updated + tup_deleted AS n FROM pg_stat_database WHERE datname IS NOT NULL');
    return new Map(rows.map((r) => [r.datname!, num(r.n)]));
  }

  /** Starts the write-rate sample: the WAL insert position and each database's row counters now. */
  async startSample(): Promise<RateSample> {
    const startedAt = performance.now();
    let lsn: string | null = null;
    let note: string | undefined;
    try {
      lsn = (await this.#client.query<Row>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn!;
    } catch (e: unknown) {
      note = `cannot read the WAL position: ${errorMessage(e)}${/recovery/i.test(errorMessage(e)) ? ' (a standby: sample the primary)' : ''}`;
    }
    const before = await this.#counters();
    return {
      finish: async () => {
        const logBytes = lsn === null ? null : num((await this.#client.query<Row>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS d', [lsn])).rows[0]!.d);
        const after = await this.#counters();
        const seconds = (performance.now() - startedAt) / 1000;
        const perDatabase = new Map<string, number | null>();
        let total = 0;
        for (const [db, n] of after) {
          const d = Math.max(0, n - (before.get(db) ?? n));
          total += d;
          perDatabase.set(db, round(d / seconds, 2));
        }
        const rate: WriteRate = {
          method: 'wal', sampledSeconds: round(seconds, 3), logBytes, logBytesPerSecond: logBytes === null ? null : round(logBytes / seconds, 1),
          rowWritesPerSecond: round(total / seconds, 2), ...(note ? { note } : {}),
        };
        return { rate, perDatabase };
      },
    };
  }
}

async function readDatabase(client: pg.Client, database: string, exactCounts: boolean): Promise<DatabaseInventory> {
  const q = async (sql: string, values: unknown[] = []) => (await client.query<Row>(sql, values)).rows;
  const features = emptyFeatures();
  const add = (kind: FeatureKind, object: string, detail?: string | null) => features[kind].push({ object, ...(detail ? { detail } : {}) });
  const schemas = (await q(`SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM} AND ${NOT_EXTENSION('pg_namespace', 'n.oid')} ORDER BY n.nspname`)).map((r) => r.nspname!);

  const tableRows = await q(`
    WITH rel AS (
      SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${SYSTEM} AND ${NOT_EXTENSION('pg_class', 'c.oid')})
    SELECT rel.nspname, rel.relname, rel.relkind, pt.partstrat,
           CASE WHEN rel.relkind = 'p' THEN (SELECT CASE WHEN bool_and(lc.reltuples < 0) THEN NULL ELSE sum(greatest(lc.reltuples, 0)) END::bigint
                                               FROM pg_partition_tree(rel.oid) t JOIN pg_class lc ON lc.oid = t.relid WHERE t.isleaf)
                WHEN rel.reltuples < 0 THEN NULL ELSE rel.reltuples::bigint END AS est,
           CASE WHEN rel.relkind = 'p' THEN (SELECT coalesce(sum(pg_table_size(t.relid)), 0) FROM pg_partition_tree(rel.oid) t WHERE t.isleaf)::bigint ELSE pg_table_size(rel.oid) END AS data,
           CASE WHEN rel.relkind = 'p' THEN (SELECT coalesce(sum(pg_indexes_size(t.relid)), 0) FROM pg_partition_tree(rel.oid) t WHERE t.isleaf)::bigint ELSE pg_indexes_size(rel.oid) END AS idx,
           CASE WHEN rel.relkind = 'p' THEN (SELECT count(*) FROM pg_partition_tree(rel.oid) t WHERE t.isleaf) ELSE 0 END AS parts,
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = rel.oid AND k.contype = 'p') AS pk
      FROM rel LEFT JOIN pg_partitioned_table pt ON pt.partrelid = rel.oid
     ORDER BY rel.nspname, rel.relname`);
  const tables: DiscoveredTable[] = [];
  for (const r of tableRows) {
    const t: DiscoveredTable = {
      schema: r.nspname!, name: r.relname!, rows: r.est === null ? null : num(r.est), rowsExact: false,
      dataBytes: num(r.data), indexBytes: num(r.idx), primaryKey: r.pk === 't', partitions: num(r.parts),
    };
    if (exactCounts) {
      const n = (await q(`SELECT count(*) AS n FROM ${quotePg(t.schema)}.${quotePg(t.name)}`))[0]!.n;
      tables.push({ ...t, rows: num(n), rowsExact: true });
    } else {
      tables.push(t);
    }
    if (r.relkind === 'p') add('partitionedTables', `${t.schema}.${t.name}`, `${STRATEGIES[r.partstrat ?? ''] ?? r.partstrat}, ${t.partitions} partitions`);
  }

  for (const r of await q(`SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm', 'S') AND ${SYSTEM} AND ${NOT_EXTENSION('pg_class', 'c.oid')} ORDER BY 1, 2`)) {
    if (r.relkind === 'S') add('sequences', `${r.nspname}.${r.relname}`);
    else add('views', `${r.nspname}.${r.relname}`, r.relkind === 'm' ? 'materialized' : null);
  }
  for (const r of await q(`SELECT n.nspname, p.proname, p.prokind, l.lanname, pg_get_function_identity_arguments(p.oid) AS args
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
     WHERE p.prokind IN ('f', 'p') AND ${SYSTEM} AND ${NOT_EXTENSION('pg_proc', 'p.oid')} ORDER BY 1, 2, 5`)) {
    add(r.prokind === 'p' ? 'procedures' : 'functions', `${r.nspname}.${r.proname}`, `(${r.args}) ${r.lanname}`);
  }
  for (const r of await q(`SELECT n.nspname, c.relname, tg.tgname, tg.tgtype FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND NOT c.relispartition AND ${SYSTEM} ORDER BY 1, 2, 3`)) {
    const type = num(r.tgtype);
    const timing = type & 2 ? 'BEFORE' : type & 64 ? 'INSTEAD OF' : 'AFTER';
    const events = [[4, 'INSERT'], [16, 'UPDATE'], [8, 'DELETE'], [32, 'TRUNCATE']].filter(([bit]) => type & (bit as number)).map(([, e]) => e).join(' OR ');
    add('triggers', `${r.nspname}.${r.relname}.${r.tgname}`, `${timing} ${events}`);
  }
  for (const r of await q(`SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS ftype, bt.typname, a.attgenerated
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_type ty ON ty.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND ${SYSTEM} AND ${NOT_EXTENSION('pg_class', 'c.oid')}
     ORDER BY n.nspname, c.relname, a.attnum`)) {
    const object = `${r.nspname}.${r.relname}.${r.attname}`;
    const base = r.typname ?? '';
    if (LOB_TYPES.has(base)) add('lobColumns', object, r.ftype);
    if (base === 'json' || base === 'jsonb') add('jsonColumns', object, r.ftype);
    if (SPATIAL_TYPES.has(base)) add('spatialColumns', object, r.ftype);
    if (r.attgenerated === 's') add('generatedColumns', object, `stored ${r.ftype}`);
  }
  for (const r of await q(`SELECT n.nspname, c.relname, k.conname, k.confrelid::regclass::text AS ref FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND k.conparentid = 0 AND NOT c.relispartition AND ${SYSTEM} ORDER BY 1, 2, 3`)) {
    add('foreignKeys', `${r.nspname}.${r.relname}.${r.conname}`, `references ${r.ref}`);
  }
  for (const r of await q("SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname")) add('extensions', r.extname!, r.extversion);
  for (const r of await q(`SELECT n.nspname, t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      LEFT JOIN pg_class c ON c.oid = t.typrelid
     WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c')) AND ${SYSTEM} AND ${NOT_EXTENSION('pg_type', 't.oid')} ORDER BY 1, 2`)) {
    add('userDefinedTypes', `${r.nspname}.${r.typname}`, ({ e: 'enum', d: 'domain', r: 'range', c: 'composite' } as Record<string, string>)[r.typtype!] ?? null);
  }
  return { name: database, schemas, tables, features };
}
