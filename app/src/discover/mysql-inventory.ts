/**
 * What `ferry discover` reads from a MySQL or MariaDB server, read-only, from information_schema on one session:
 * the databases, their tables (estimated rows, data and index sizes, primary key, partitions, storage engine), the
 * features in use (views, routines, triggers, events, LOB/JSON/spatial/generated columns, foreign keys, MariaDB
 * sequences), and the binlog growth over the sample (SHOW MASTER STATUS positions and SHOW BINARY LOGS sizes).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { errorMessage } from '../../../core/src/errors.ts';
import type { SourceBlock } from '../../../core/src/plugin.ts';
import { emptyFeatures, type DiscoveredTable, type FeatureItem, type FeatureKind, type WriteRate } from './model.ts';
import { round, type DatabaseInventory, type RateSample, type ServerInventory } from './inventory.ts';

type Row = RowDataPacket & Record<string, unknown>;

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
const LOB_TYPES = new Set(['tinyblob', 'blob', 'mediumblob', 'longblob', 'tinytext', 'text', 'mediumtext', 'longtext', 'json']);
const SPATIAL_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);
/** The statement counters summed as "DML statements per second". */
const DML_COUNTERS = ['Com_insert', 'Com_insert_select', 'Com_update', 'Com_update_multi', 'Com_delete', 'Com_delete_multi', 'Com_replace', 'Com_replace_select', 'Com_load'];

const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const quoteMy = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

interface BinlogPoint { readonly file: string; readonly position: number }

export class MySqlInventory {
  readonly #conn: Connection;
  readonly #source: SourceBlock;
  #version = '';

  private constructor(conn: Connection, source: SourceBlock) {
    this.#conn = conn;
    this.#source = source;
  }

  static async open(source: SourceBlock): Promise<MySqlInventory> {
    const { openMySql } = await import('../../../connectors/mysql-binlog/src/mysql-connection.ts');
    const conn = await openMySql({ ...source, engine: source.engine === 'mariadb' ? 'mariadb' : 'mysql', database: undefined });
    conn.on('error', () => undefined);
    const inv = new MySqlInventory(conn, source);
    await conn.query('SET SESSION TRANSACTION READ ONLY');
    const [rows] = await conn.query<Row[]>('SELECT VERSION() AS v');
    inv.#version = str(rows[0]!.v);
    return inv;
  }

  get version(): string {
    return this.#version;
  }

  /** The flavour the server reports, whatever the connection said. */
  get engine(): 'mysql' | 'mariadb' {
    return /mariadb/i.test(this.#version) ? 'mariadb' : 'mysql';
  }

  async close(): Promise<void> {
    await this.#conn.end().catch(() => undefined);
  }

  async #rows(sql: string, values: readonly unknown[] = []): Promise<Row[]> {
    const [rows] = await this.#conn.query<Row[]>(sql, values as unknown[]);
    return rows;
  }

  async inventory(o: { readonly databases: readonly string[]; readonly exactCounts: boolean }): Promise<ServerInventory> {
    const notes: string[] = [];
    const all = (await this.#rows('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')).map((r) => str(r.s)).filter((s) => !SYSTEM.has(s.toLowerCase()));
    for (const d of o.databases) if (!all.includes(d)) notes.push(`database ${d} does not exist or user "${this.#source.user}" cannot see it`);
    const names = o.databases.length > 0 ? all.filter((d) => o.databases.includes(d)) : all;
    if (names.length === 0) return { version: this.#version, databases: [], notes };
    const dbs = new Map<string, DatabaseInventory>(names.map((n) => [n, { name: n, schemas: [n], tables: [], features: emptyFeatures() }]));
    const feature = (db: string, kind: FeatureKind, item: FeatureItem) => dbs.get(db)?.features[kind].push(item);
    const inList = names.map(() => '?').join(',');

    const tables = await this.#rows(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_TYPE AS type, ENGINE AS engine, TABLE_ROWS AS est, DATA_LENGTH AS data, INDEX_LENGTH AS idx
      FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${inList}) ORDER BY TABLE_SCHEMA, TABLE_NAME`, names);
    const pks = new Set((await this.#rows(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLE_CONSTRAINTS
      WHERE CONSTRAINT_TYPE = 'PRIMARY KEY' AND TABLE_SCHEMA IN (${inList})`, names)).map((r) => `${str(r.s)}.${str(r.t)}`));
    const parts = new Map<string, { method: string; count: number }>();
    for (const r of await this.#rows(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, MAX(PARTITION_METHOD) AS method, COUNT(DISTINCT PARTITION_NAME) AS n
      FROM information_schema.PARTITIONS WHERE PARTITION_NAME IS NOT NULL AND TABLE_SCHEMA IN (${inList}) GROUP BY TABLE_SCHEMA, TABLE_NAME`, names)) {
      parts.set(`${str(r.s)}.${str(r.t)}`, { method: str(r.method), count: num(r.n) });
    }
    const baseTables = new Set<string>();
    for (const r of tables) {
      const db = str(r.s);
      const name = str(r.t);
      const key = `${db}.${name}`;
      const type = str(r.type);
      if (type === 'VIEW') { feature(db, 'views', { object: key }); continue; }
      if (type === 'SEQUENCE') { feature(db, 'sequences', { object: key }); continue; }
      if (type !== 'BASE TABLE' && type !== 'SYSTEM VERSIONED') continue;
      baseTables.add(key);
      const p = parts.get(key);
      const t: DiscoveredTable = {
        schema: db, name, rows: r.est === null ? null : num(r.est), rowsExact: false, dataBytes: num(r.data), indexBytes: num(r.idx),
        primaryKey: pks.has(key), partitions: p?.count ?? 0, ...(r.engine !== null ? { engine: str(r.engine) } : {}),
      };
      dbs.get(db)!.tables.push(t);
      if (p) feature(db, 'partitionedTables', { object: key, detail: `${p.method}, ${p.count} partitions` });
    }
    if (o.exactCounts) {
      for (const d of dbs.values()) {
        d.tables = await Promise.all(d.tables.map(async (t) => {
          const [r] = await this.#rows(`SELECT COUNT(*) AS n FROM ${quoteMy(t.schema)}.${quoteMy(t.name)}`);
          return { ...t, rows: num(r!.n), rowsExact: true };
        }));
      }
    }

    const jsonChecks = new Set<string>();
    if (this.engine === 'mariadb') {
      // MariaDB's JSON is a LONGTEXT with a json_valid(`col`) check.
      for (const r of await this.#rows(`SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CHECK_CLAUSE AS c FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN (${inList})`, names)) {
        const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(str(r.c).trim());
        if (m) jsonChecks.add(`${str(r.s)}.${str(r.t)}.${m[1]!.replace(/``/g, '`')}`);
      }
    }
    for (const r of await this.#rows(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS dt, COLUMN_TYPE AS ct, EXTRA AS extra
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${inList}) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, names)) {
      const db = str(r.s);
      const table = `${db}.${str(r.t)}`;
      if (!baseTables.has(table)) continue;
      const object = `${table}.${str(r.c)}`;
      const dataType = str(r.dt).toLowerCase();
      const json = dataType === 'json' || jsonChecks.has(object);
      const detail = json && dataType !== 'json' ? 'json (longtext)' : str(r.ct);
      if (LOB_TYPES.has(dataType)) feature(db, 'lobColumns', { object, detail });
      if (json) feature(db, 'jsonColumns', { object, detail });
      if (SPATIAL_TYPES.has(dataType)) feature(db, 'spatialColumns', { object, detail });
      const gen = /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.exec(str(r.extra));
      if (gen) feature(db, 'generatedColumns', { object, detail: `${gen[1]!.toLowerCase() === 'virtual' ? 'virtual' : 'stored'} ${str(r.ct)}` });
    }
    for (const r of await this.#rows(`SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA IN (${inList}) ORDER BY ROUTINE_SCHEMA, ROUTINE_NAME`, names)) {
      const type = str(r.type).toUpperCase();
      feature(str(r.s), type === 'FUNCTION' ? 'functions' : 'procedures', { object: `${str(r.s)}.${str(r.n)}`, ...(type !== 'FUNCTION' && type !== 'PROCEDURE' ? { detail: type.toLowerCase() } : {}) });
    }
    for (const r of await this.#rows(`SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS t, ACTION_TIMING AS timing, EVENT_MANIPULATION AS ev
      FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (${inList}) ORDER BY TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME`, names)) {
      feature(str(r.s), 'triggers', { object: `${str(r.s)}.${str(r.t)}.${str(r.n)}`, detail: `${str(r.timing)} ${str(r.ev)}` });
    }
    for (const r of await this.#rows(`SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CONSTRAINT_NAME AS n, UNIQUE_CONSTRAINT_SCHEMA AS rs, REFERENCED_TABLE_NAME AS rt
      FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN (${inList}) ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME`, names)) {
      feature(str(r.s), 'foreignKeys', { object: `${str(r.s)}.${str(r.t)}.${str(r.n)}`, detail: `references ${str(r.rs)}.${str(r.rt)}` });
    }
    try {
      for (const r of await this.#rows(`SELECT EVENT_SCHEMA AS s, EVENT_NAME AS n, EVENT_TYPE AS type, STATUS AS status FROM information_schema.EVENTS
        WHERE EVENT_SCHEMA IN (${inList}) ORDER BY EVENT_SCHEMA, EVENT_NAME`, names)) {
        feature(str(r.s), 'events', { object: `${str(r.s)}.${str(r.n)}`, detail: `${str(r.type).toLowerCase()}, ${str(r.status).toLowerCase()}` });
      }
    } catch (e: unknown) {
      notes.push(`events not listed: ${errorMessage(e)}`);
    }
    return { version: this.#version, databases: [...dbs.values()], notes };
  }

  async #binlogPoint(): Promise<BinlogPoint | null> {
    let rows: Row[];
    try {
      rows = await this.#rows('SHOW MASTER STATUS');
    } catch (e: unknown) {
      if ((e as { code?: string }).code !== 'ER_PARSE_ERROR') throw e;
      rows = await this.#rows('SHOW BINARY LOG STATUS'); // MySQL 8.4 and later
    }
    const r = rows[0];
    return r ? { file: str(r.File), position: num(r.Position) } : null;
  }

  async #counters(): Promise<{ dml: number; perDatabase: Map<string, number> | null }> {
    const status = await this.#rows(`SHOW GLOBAL STATUS WHERE Variable_name IN (${DML_COUNTERS.map(() => '?').join(',')})`, DML_COUNTERS);
    const dml = status.reduce((s, r) => s + num(r.Value), 0);
    let perDatabase: Map<string, number> | null = null;
    try {
      const [on] = await this.#rows('SELECT @@performance_schema AS on_');
      if (num(on!.on_) === 1) {
        perDatabase = new Map((await this.#rows(`SELECT OBJECT_SCHEMA AS s, SUM(COUNT_INSERT + COUNT_UPDATE + COUNT_DELETE) AS n
          FROM performance_schema.table_io_waits_summary_by_table WHERE OBJECT_TYPE = 'TABLE' GROUP BY OBJECT_SCHEMA`)).map((r) => [str(r.s), num(r.n)]));
      }
    } catch {
      perDatabase = null; // no SELECT on performance_schema: the per-database rate stays unknown
    }
    return { dml, perDatabase };
  }

  /** Starts the write-rate sample: the binlog position and the statement counters now. */
  async startSample(): Promise<RateSample> {
    const startedAt = performance.now();
    let note: string | undefined;
    let point: BinlogPoint | null = null;
    try {
      point = await this.#binlogPoint();
      if (!point) note = 'binary logging is off (log_bin): no binlog growth to measure';
    } catch (e: unknown) {
      note = `cannot read the binlog position: ${errorMessage(e)} (grant ${this.engine === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'})`;
    }
    const before = await this.#counters();
    return {
      finish: async () => {
        let logBytes: number | null = null;
        let finishNote = note;
        if (point) {
          try {
            const end = await this.#binlogPoint();
            logBytes = end ? await this.#binlogBytes(point, end) : null;
          } catch (e: unknown) {
            finishNote = `cannot read the binlog sizes: ${errorMessage(e)} (grant ${this.engine === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'})`;
          }
        }
        const after = await this.#counters();
        const seconds = (performance.now() - startedAt) / 1000;
        const perDatabase = new Map<string, number | null>();
        if (before.perDatabase && after.perDatabase) {
          for (const [db, n] of after.perDatabase) perDatabase.set(db, round(Math.max(0, n - (before.perDatabase.get(db) ?? 0)) / seconds, 2));
        }
        const rate: WriteRate = {
          method: 'binlog', sampledSeconds: round(seconds, 3), logBytes, logBytesPerSecond: logBytes === null ? null : round(logBytes / seconds, 1),
          rowWritesPerSecond: round(Math.max(0, after.dml - before.dml) / seconds, 2), ...(finishNote ? { note: finishNote } : {}),
        };
        return { rate, perDatabase: before.perDatabase && after.perDatabase ? perDatabase : null };
      },
    };
  }

  /** Bytes written between two binlog positions, across rotations (a log purged meanwhile counts as 0). */
  async #binlogBytes(from: BinlogPoint, to: BinlogPoint): Promise<number> {
    if (from.file === to.file) return Math.max(0, to.position - from.position);
    const logs = (await this.#rows('SHOW BINARY LOGS')).map((r) => ({ file: str(r.Log_name), size: num(r.File_size) }));
    let bytes = 0;
    for (const l of logs) {
      if (l.file < from.file || l.file > to.file) continue;
      if (l.file === from.file) bytes += Math.max(0, l.size - from.position);
      else if (l.file === to.file) bytes += to.position;
      else bytes += l.size;
    }
    return bytes;
  }
}
