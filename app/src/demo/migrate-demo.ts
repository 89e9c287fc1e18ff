/**
 * `ferry demo --to postgres`: the demo's shop workload migrated from MariaDB into PostgreSQL with minimal downtime:
 * a full-load-and-cdc task in direct mode (no Kafka) with a `postgres` target, live inserts, updates and deletes
 * while it runs, then both databases compared row by row and value by value with SQL.
 */
import pg from 'pg';
import { parseTask } from '../task-file/load-task.ts';
import { runTask } from '../task/TaskRunner.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';
import { adminConnection, applyChanges, type ChangeCounts, type DemoDb } from './demo-workload.ts';

export interface MigrateDemoOptions {
  readonly db: DemoDb;
  readonly rows: number;
  readonly stateDir: string;
  readonly name: string;
  readonly say: (line: string) => void;
}

export interface MigrateTableCheck {
  readonly table: string;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly match: boolean;
  readonly mismatches: readonly string[];
}

export interface MigrateDemoResult {
  readonly ok: boolean;
  readonly target: string;
  readonly fullLoadSeconds: number;
  readonly changes: ChangeCounts;
  readonly catchUpSeconds: number;
  readonly tables: readonly MigrateTableCheck[];
}

const PG_ADMIN = { host: '127.0.0.1', port: Number(process.env.FERRY_POSTGRES_PORT ?? 5432), user: 'postgres', password: 'postgres' };
export const DEMO_TARGET_DATABASE = 'ferry_demo_target';

/** Each table as canonical lines ordered by id: the same text from both engines for equal values (UTC times). */
const SOURCE_SQL: Readonly<Record<string, string>> = {
  customers: "SELECT CONCAT_WS('|', id, name, IFNULL(email, '\\\\N'), CAST(balance AS CHAR), DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f')) AS l FROM customers ORDER BY id",
  orders: "SELECT CONCAT_WS('|', id, customer_id, CAST(amount AS CHAR), status, IFNULL(note, '\\\\N'), DATE_FORMAT(placed_at, '%Y-%m-%d %H:%i:%s.%f')) AS l FROM orders ORDER BY id",
};
const TARGET_SQL = (schema: string): Readonly<Record<string, string>> => ({
  customers: `SELECT concat_ws('|', id, name, coalesce(email, '\\N'), balance::text, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US')) AS l FROM "${schema}".customers ORDER BY id`,
  orders: `SELECT concat_ws('|', id, customer_id, amount::text, status, coalesce(note, '\\N'), to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')) AS l FROM "${schema}".orders ORDER BY id`,
});

async function sourceLines(db: DemoDb, table: string): Promise<string[]> {
  const c = await adminConnection(db, db.database);
  try {
    await c.query("SET time_zone = '+00:00'");
    const [rows] = await c.query(SOURCE_SQL[table]!);
    return (rows as { l: string }[]).map((r) => r.l);
  } finally {
    await c.end();
  }
}

async function targetLines(client: pg.Client, schema: string, table: string): Promise<string[]> {
  try {
    return (await client.query<{ l: string }>(TARGET_SQL(schema)[table]!)).rows.map((r) => r.l);
  } catch {
    return []; // not created yet
  }
}

async function compare(db: DemoDb, client: pg.Client, table: string): Promise<MigrateTableCheck> {
  const [src, tgt] = [await sourceLines(db, table), await targetLines(client, db.database, table)];
  const mismatches: string[] = [];
  for (let i = 0; i < Math.max(src.length, tgt.length) && mismatches.length < 5; i++) {
    if (src[i] !== tgt[i]) mismatches.push(`row ${i + 1}: MariaDB ${src[i] ?? '(none)'} vs PostgreSQL ${tgt[i] ?? '(none)'}`);
  }
  return { table, sourceRows: src.length, targetRows: tgt.length, match: mismatches.length === 0, mismatches };
}

/** Polls until every table matches or the deadline passes; the last comparison either way. */
async function converge(db: DemoDb, client: pg.Client, running: Promise<unknown>, timeoutMs: number): Promise<MigrateTableCheck[]> {
  let failed: unknown;
  running.catch((e: unknown) => { failed = e; });
  for (const deadline = Date.now() + timeoutMs; ;) {
    if (failed !== undefined) throw failed;
    const checks = [await compare(db, client, 'customers'), await compare(db, client, 'orders')];
    if (checks.every((c) => c.match) || Date.now() > deadline) return checks;
    await sleep(250);
  }
}

export async function migrateDemo(o: MigrateDemoOptions): Promise<MigrateDemoResult> {
  const admin = new pg.Client({ ...PG_ADMIN, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DEMO_TARGET_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DEMO_TARGET_DATABASE}`);
  } finally {
    await admin.end();
  }
  const task = parseTask({
    name: o.name,
    source: { engine: 'mariadb', host: o.db.host, port: o.db.port, user: 'cdc', password: 'cdc', database: o.db.database },
    migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'shop', 'rule-action': 'include', 'object-locator': { 'schema-name': o.db.database, 'table-name': '%' } }] },
    targets: [{ type: 'postgres', name: 'pg', ...PG_ADMIN, database: DEMO_TARGET_DATABASE }],
    settings: { logLevel: 'warn', metrics: { enabled: false }, stateDir: o.stateDir },
  });
  // Not a postgresql:// URL: the local services' password is "postgres", and the redactor masks it wherever it appears.
  const target = `database ${DEMO_TARGET_DATABASE} on ${PG_ADMIN.host}:${PG_ADMIN.port}, schema ${o.db.database}`;
  const client = new pg.Client({ ...PG_ADMIN, database: DEMO_TARGET_DATABASE });
  await client.connect();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const log = createLogger({ level: 'warn' }).child({ task: task.name });
    const started = performance.now();
    o.say(`demo: migrating ${o.db.database} from MariaDB into PostgreSQL (${target}), full-load-and-cdc, direct mode ...`);
    const running = runTask({ task, log, metrics: new PromMetrics({ defaultLabels: { task: task.name }, collectProcessMetrics: false }), serveMetrics: false }, controller.signal);
    running.catch(() => controller.abort());
    const loaded = await converge(o.db, client, running, 180_000);
    if (!loaded.every((c) => c.match)) return { ok: false, target, fullLoadSeconds: NaN, changes: { inserts: 0, updates: 0, deletes: 0 }, catchUpSeconds: NaN, tables: loaded };
    const fullLoadSeconds = (performance.now() - started) / 1000;
    o.say(`demo: full load done: ${o.rows * 2} rows in PostgreSQL after ${fullLoadSeconds.toFixed(2)} s (including start-up)`);
    const changesStarted = performance.now();
    const changes = await applyChanges(o.db, o.rows, Math.min(100, o.rows));
    o.say(`demo: applied live changes in MariaDB: ${changes.inserts} inserts, ${changes.updates} updates, ${changes.deletes} deletes`);
    const tables = await converge(o.db, client, running, 60_000);
    const catchUpSeconds = (performance.now() - changesStarted) / 1000;
    controller.abort();
    await running;
    // Compared again after the graceful stop: nothing may move once the task has stopped.
    const final = [await compare(o.db, client, 'customers'), await compare(o.db, client, 'orders')];
    return { ok: tables.every((c) => c.match) && final.every((c) => c.match), target, fullLoadSeconds, changes, catchUpSeconds, tables: final };
  } finally {
    process.off('SIGINT', onSigint);
    controller.abort();
    await client.end();
  }
}
