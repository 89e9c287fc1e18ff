/**
 * Integration-test plumbing: a MariaDB to test against (FERRY_MARIADB_PORT, else 3306, else 3407 — the throwaway
 * instance of `bash infra/mariadb.sh start /tmp/ferry-maria-test 3407`), a fresh database per test file, and a
 * source built the way the runtime builds it, with batches collected in memory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import type { ChangeBatch, Counter, Gauge, Histogram, Logger, MetricsRegistry, StoredOffset } from '../../../../core/src/types.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { createMySqlSource, type MySqlSourceOptions } from '../../src/MySqlSource.ts';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

let portPromise: Promise<number> | undefined;
export function mariaPort(): Promise<number> {
  portPromise ??= (async () => {
    if (process.env.FERRY_MARIADB_PORT) return Number(process.env.FERRY_MARIADB_PORT);
    if (await reachable(3306)) return 3306;
    if (await reachable(3407)) return 3407;
    throw new Error('no MariaDB on 127.0.0.1:3306 or :3407; run `bash infra/services.sh up` or set FERRY_MARIADB_PORT');
  })();
  return portPromise;
}

export async function admin(database?: string): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({
    host: '127.0.0.1', port: await mariaPort(), user: 'root', password: 'root', ...(database ? { database } : {}),
    multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, timezone: 'Z', charset: 'utf8mb4_general_ci',
  });
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

export async function createDatabase(prefix = 'ferry_it'): Promise<{ db: string; conn: mysql.Connection; drop(): Promise<void> }> {
  const db = `${prefix}_${randomBytes(4).toString('hex')}`;
  const root = await admin();
  await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await root.changeUser({ database: db });
  return { db, conn: root, drop: async () => { await root.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined); await root.end(); } };
}

export function includeDb(db: string): TableMapping {
  return { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] } as unknown as TableMapping;
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return silentLog; } };

/** A logger that keeps lines, for assertions on warnings. */
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
    gauges,
    counter: () => counter,
    histogram: () => histogram,
    gauge: (name: string): Gauge => ({ set: (labels, value) => { gauges.set(`${name}${JSON.stringify(labels)}`, value); } }),
  };
}

/**
 * A replica server_id for one test source: random in 1e6..1e9, clear of the ids Ferry derives from task names
 * (5400-6399), which the end-to-end tests' tasks use. Two binlog readers with one id refuse each other (ER 4052).
 */
export function testServerId(): number {
  return 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
}

export async function sourceOptions(db: string, overrides: Partial<MySqlSourceOptions> = {}): Promise<MySqlSourceOptions> {
  return {
    config: {
      engine: 'mariadb', host: '127.0.0.1', port: await mariaPort(), user: 'cdc', password: new Secret('cdc'), connectTimeoutMs: 5000,
      serverId: testServerId(),
    },
    migrationType: 'full-load-and-cdc',
    selector: createTableSelector(includeDb(db)),
    topicPrefix: 'it',
    settings: { snapshot: { chunkSize: 1000, parallelism: 2 }, batch: { maxEvents: 500 } },
    stateDir: mkdtempSync(join(tmpdir(), 'ferry-mysql-it-')),
    log: silentLog,
    metrics: memoryMetrics(),
    ...overrides,
  };
}

/**
 * Runs a source like the pipeline does, collecting batches, until `until(batches)` is true or `timeoutMs` passes;
 * returns what was read and the offset the pipeline would have committed last.
 */
export async function collect(
  opts: MySqlSourceOptions,
  resumeFrom: StoredOffset | null,
  until: (batches: ChangeBatch[]) => boolean,
  timeoutMs = 20000,
): Promise<{ batches: ChangeBatch[]; offset: StoredOffset | null }> {
  const source = createMySqlSource(opts);
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
      if (until(batches)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
    await source.close();
  }
  return { batches, offset };
}

export const events = (batches: readonly ChangeBatch[]) => batches.flatMap((b) => b.events);
