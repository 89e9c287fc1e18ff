/**
 * The database side of the source benchmarks (bench/source-cdc.ts, bench/vs-debezium.ts): one 10-column ~230 B table
 * definition for MariaDB and PostgreSQL, bulk fills (each one transaction), and pools of application writers for
 * single-row autocommit transactions. `updated_at` is the commit-time µs timestamp that latency is measured from.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services } from '../../test/helpers/services.ts';

export type Engine = 'mariadb' | 'postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tableDdl(engine: Engine): string {
  return engine === 'postgres' ? `(id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount NUMERIC(12,2) NOT NULL, status VARCHAR(16) NOT NULL,
  note VARCHAR(120), qty INT NOT NULL, price DOUBLE PRECISION NOT NULL, created_at TIMESTAMP(6) NOT NULL, updated_at TIMESTAMP(6) NOT NULL, flag SMALLINT NOT NULL)` : `(id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, status VARCHAR(16) NOT NULL,
  note VARCHAR(120), qty INT NOT NULL, price DOUBLE NOT NULL, created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL, flag TINYINT NOT NULL)`;
}

/** One INSERT … SELECT of ids from..from+n-1 into `schema.table` (one transaction). */
export function fillSql(engine: Engine, table: string, from: number, n: number): string {
  return engine === 'postgres'
    ? `INSERT INTO ${table} SELECT g, g % 10007, (g % 100000) / 100.0, (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4],
  'note for order ' || g || ' with some padding text to reach a realistic row width of about 230 bytes', g % 17, g / 7.0,
  TIMESTAMP '2024-01-01 00:00:00.000001' + g * INTERVAL '1 second', clock_timestamp(), g % 2 FROM generate_series(${from}, ${from + n - 1}) g`
    : `INSERT INTO ${table} SELECT seq, seq % 10007, (seq % 100000) / 100, ELT(1 + seq % 4, 'new','paid','shipped','cancelled'),
  CONCAT('note for order ', seq, ' with some padding text to reach a realistic row width of about 230 bytes'), seq % 17, seq / 7,
  '2024-01-01 00:00:00.000001' + INTERVAL seq SECOND, NOW(6), seq % 2 FROM ${table.split('.')[0]}.seq_${from}_to_${from + n - 1}`;
}

/** Single-row autocommit writers on a pool (the application's side of an OLTP workload); each resolves with the rows it changed. */
export interface Writers {
  insert(table: string, id: number): Promise<number>;
  update(table: string, id: number): Promise<number>;
  delete(table: string, id: number): Promise<number>;
  end(): Promise<void>;
}

/** The database-specific part: DDL and fills run as the table owner, the OLTP writers as an application user. */
export interface Db {
  readonly engine: Engine;
  /** The MariaDB database or the PostgreSQL schema (in database `shop`) that holds the benchmark's tables. */
  readonly schema: string;
  query(sql: string): Promise<void>;
  /** The rows of a query, as the driver returns them. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  createTable(name: string): Promise<void>;
  /** Many statements (DDL) in batches of `batch` per round trip (PostgreSQL: one implicit transaction per batch). */
  batch(statements: readonly string[], batch?: number): Promise<void>;
  /** `n` rows in transactions of up to 250k rows, ids from..from+n-1. */
  fill(table: string, from: number, n: number): Promise<void>;
  warm(table: string, id?: number): Promise<void>;
  writers(connections?: number): Writers;
  /** Drops the replication slots and publications whose names contain `pattern` (PostgreSQL; no-op on MariaDB). */
  dropSlots(pattern: string): Promise<void>;
  close(): Promise<void>;
}

const affected = (r: unknown) => ((r as [{ affectedRows?: number }])[0].affectedRows ?? 0);

/** A pool of application writers on an existing schema (also used by generator processes, bench/lib/oltp-worker.ts). */
export function openWriters(engine: Engine, schema: string, connections = 8): Writers {
  if (engine === 'postgres') {
    // synchronous_commit=on as in production: the local server runs with it off, which delays WAL to the walsender by up to wal_writer_delay.
    const p = new pg.Pool({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop', max: connections, options: '-c synchronous_commit=on' });
    return {
      insert: async (t, id) => (await p.query(`INSERT INTO ${schema}.${t} VALUES ($1, 1, 9.99, 'new', NULL, 1, 1.5, clock_timestamp(), clock_timestamp(), 1)`, [id])).rowCount ?? 0,
      update: async (t, id) => (await p.query(`UPDATE ${schema}.${t} SET qty = qty + 1, status = 'paid', updated_at = clock_timestamp() WHERE id = $1`, [id])).rowCount ?? 0,
      delete: async (t, id) => (await p.query(`DELETE FROM ${schema}.${t} WHERE id = $1`, [id])).rowCount ?? 0,
      end: () => p.end(),
    };
  }
  const p = mysql.createPool({ ...services.mariadb, user: 'root', password: 'root', database: schema, connectionLimit: connections });
  return {
    insert: async (t, id) => affected(await p.query(`INSERT INTO ${t} VALUES (?, 1, 9.99, 'new', NULL, 1, 1.5, NOW(6), NOW(6), 1)`, [id])),
    update: async (t, id) => affected(await p.query(`UPDATE ${t} SET qty = qty + 1, status = 'paid', updated_at = NOW(6) WHERE id = ?`, [id])),
    delete: async (t, id) => affected(await p.query(`DELETE FROM ${t} WHERE id = ?`, [id])),
    end: () => p.end(),
  };
}

export async function openDb(engine: Engine, schema: string): Promise<Db> {
  const fill = async (db: Db, table: string, from: number, n: number) => {
    for (let i = 0; i < n; i += 250000) await db.query(fillSql(engine, `${schema}.${table}`, from + i, Math.min(250000, n - i)));
  };
  if (engine === 'postgres') {
    const su = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
    await su.connect();
    await su.query(`CREATE SCHEMA ${schema} AUTHORIZATION cdc`);
    const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
    await owner.connect();
    const db: Db = {
      engine, schema,
      async query(sql) { await owner.query(sql); },
      async rows(sql) { return (await owner.query(sql)).rows as Record<string, unknown>[]; },
      async createTable(name) { await owner.query(`CREATE TABLE ${schema}.${name} ${tableDdl(engine)}`); },
      // 200 tables a transaction keep the locks (table, key index, TOAST table and index) under max_locks_per_transaction × max_connections.
      async batch(statements, n = 200) { for (let i = 0; i < statements.length; i += n) await owner.query(statements.slice(i, i + n).join(';\n')); },
      fill: (table, from, n) => fill(db, table, from, n),
      async warm(table, id = 1) { await owner.query(`INSERT INTO ${schema}.${table} VALUES (${id}, 0, 0, 'warm', NULL, 0, 0, clock_timestamp(), clock_timestamp(), 0)`); },
      writers: (connections = 8) => openWriters(engine, schema, connections),
      async dropSlots(pattern) {
        // Slots keep WAL forever: drop every slot and publication the runs created.
        await su.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [pattern]);
        await sleep(500);
        await su.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND NOT active", [pattern]);
        for (const r of (await su.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [pattern])).rows) await su.query(`DROP PUBLICATION "${r.pubname}"`);
      },
      async close() {
        await owner.end();
        await db.dropSlots(schema);
        await su.query(`DROP SCHEMA ${schema} CASCADE`);
        await su.end();
      },
    };
    return db;
  }
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await c.query(`CREATE DATABASE ${schema}`);
  const db: Db = {
    engine, schema,
    async query(sql) { await c.query(sql); },
    async rows(sql) { return (await c.query(sql))[0] as Record<string, unknown>[]; },
    async createTable(name) { await c.query(`CREATE TABLE ${schema}.${name} ${tableDdl(engine)}`); },
    async batch(statements, n = 100) {
      const m = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', multipleStatements: true });
      try { for (let i = 0; i < statements.length; i += n) await m.query(statements.slice(i, i + n).join(';\n')); } finally { await m.end(); }
    },
    fill: (table, from, n) => fill(db, table, from, n),
    async warm(table, id = 1) { await c.query(`INSERT INTO ${schema}.${table} VALUES (${id}, 0, 0, 'warm', NULL, 0, 0, NOW(6), NOW(6), 0)`); },
    writers: (connections = 8) => openWriters(engine, schema, connections),
    async dropSlots() { /* MariaDB has no slots */ },
    async close() { await c.query(`DROP DATABASE ${schema}`); await c.end(); },
  };
  return db;
}
