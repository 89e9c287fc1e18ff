/**
 * `ferry demo`: starts the local services, generates a shop workload in MariaDB, runs a full-load-and-cdc task
 * through Ferry into Kafka, applies live inserts/updates/deletes, then reads every topic back through the schema
 * registry and checks that the latest state per key equals the source tables. With `--to postgres`, the same workload
 * is migrated into PostgreSQL instead (app/src/demo/migrate-demo.ts) and both databases are compared with SQL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseTask } from '../../task-file/load-task.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../task/TaskRunner.ts';
import { applyChanges, createWorkload, type DemoDb } from '../../demo/demo-workload.ts';
import { compareWithSource, type TableCheck } from '../../demo/compare-with-source.ts';
import { migrateDemo } from '../../demo/migrate-demo.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';
import { sleep } from '../../../../runtime/src/pipeline/retry.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

export interface DemoOptions {
  readonly rows: number;
  readonly services: boolean;
  readonly json?: boolean;
  /** kafka (default): the CDC pipeline into Kafka; postgres: a MariaDB → PostgreSQL migration. */
  readonly to?: 'kafka' | 'postgres';
}

export async function demoCommand(options: DemoOptions): Promise<ExitCode> {
  const json = options.json === true;
  const say = (s: string) => (json ? err(s) : out(s));
  try {
    if (options.services) {
      say('demo: starting the local services (npm run services:up) ...');
      await runScript(['bash', join(ROOT, 'infra', 'services.sh'), 'up']);
    }
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const db: DemoDb = { host: '127.0.0.1', port: Number(process.env.FERRY_MARIADB_PORT ?? 3306), database: 'ferry_demo' };
    const brokers = [`127.0.0.1:${process.env.FERRY_KAFKA_PORT ?? 9092}`];
    const registryUrl = `http://127.0.0.1:${process.env.FERRY_REGISTRY_PORT ?? 8081}/apis/ccompat/v7`;
    const prefix = `demo_${stamp}`;

    say(`demo: creating database ${db.database} in MariaDB with ${options.rows} customers and ${options.rows} orders ...`);
    await createWorkload(db, options.rows);
    if (options.to === 'postgres') {
      const r = await migrateDemo({ db, rows: options.rows, name: `demo_pg_${stamp}`, stateDir: join(ROOT, '.ferry', `demo_pg_${stamp}`), say });
      if (json) outJson(r);
      else {
        for (const c of r.tables) out(`demo: ${db.database}.${c.table}: ${c.sourceRows} rows in MariaDB, ${c.targetRows} in PostgreSQL: ${c.match ? 'MATCH' : `MISMATCH (${c.mismatches.slice(0, 3).join('; ')})`}`);
        if (r.ok) out(`demo: caught up ${r.catchUpSeconds.toFixed(2)} s after the live changes began`);
        out(r.ok ? `demo: OK — PostgreSQL (${r.target}) equals MariaDB, row by row and value by value.` : 'demo: FAILED — PostgreSQL does not match MariaDB (see above).');
      }
      return r.ok ? EXIT.OK : EXIT.FAILED;
    }

    const task = parseTask({
      name: prefix,
      source: { engine: 'mariadb', host: db.host, port: db.port, user: 'cdc', password: 'cdc', database: db.database },
      migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'shop', 'rule-action': 'include', 'object-locator': { 'schema-name': db.database, 'table-name': '%' } }] },
      kafka: { brokers, schemaRegistry: registryUrl, topicPrefix: prefix },
      settings: { logLevel: 'warn', metrics: { enabled: false }, stateDir: join(ROOT, '.ferry', prefix) },
    });
    const log = createLogger({ level: 'warn' }).child({ task: task.name });
    const metrics = new PromMetrics({ defaultLabels: { task: task.name }, collectProcessMetrics: false });
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const started = performance.now();
    say(`demo: running task ${task.name} (full-load-and-cdc) into Kafka topics ${prefix}.${db.database}.* ...`);
    const running = runTask({ task, log, metrics, serveMetrics: false }, controller.signal);
    running.catch(() => controller.abort());

    const snapshotRows = options.rows * 2;
    await waitForEvents(metrics, (ops) => (ops.r ?? 0) >= snapshotRows, running, 120000);
    const snapshotSeconds = (performance.now() - started) / 1000;
    say(`demo: full load done: ${snapshotRows} rows in ${snapshotSeconds.toFixed(2)} s (${Math.round(snapshotRows / snapshotSeconds)} rows/s, including start-up)`);

    const changes = await applyChanges(db, options.rows, Math.min(100, options.rows));
    say(`demo: applied live changes: ${changes.inserts} inserts, ${changes.updates} updates, ${changes.deletes} deletes`);
    await waitForEvents(metrics, (ops) => (ops.c ?? 0) >= changes.inserts && (ops.u ?? 0) >= changes.updates && (ops.d ?? 0) >= changes.deletes, running, 60000);
    const lagSeconds = (performance.now() - started) / 1000;
    controller.abort();
    const result = await running;
    say(`demo: streamed the changes; stopped gracefully at ${result.lastCommitted}`);

    say('demo: reading every topic back through the schema registry and comparing with MariaDB ...');
    const checks: TableCheck[] = [];
    for (const table of ['customers', 'orders']) {
      checks.push(await compareWithSource({ db, table, brokers, registryUrl, topic: `${prefix}.${db.database}.${table}` }));
    }
    const ok = checks.every((c) => c.match);
    const summary = { ok, task: task.name, events: result.events, snapshotRows, snapshotSeconds, totalSeconds: lagSeconds, changes, tables: checks.map(({ sample: _s, ...c }) => c), sampleEvent: checks[1]?.sample };
    if (json) outJson(summary);
    else {
      for (const c of checks) out(`demo: ${c.topic}: ${c.kafkaRecords} records (${Object.entries(c.ops).map(([k, v]) => `${k}=${v}`).join(' ')}); latest state ${c.kafkaKeys} keys vs ${c.sourceRows} source rows: ${c.match ? 'MATCH' : `MISMATCH (${c.mismatches.slice(0, 3).join('; ')})`}`);
      out(`demo: one event as a Debezium consumer sees it:\n${JSON.stringify(summary.sampleEvent, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}`);
      out(ok ? 'demo: OK — every row in MariaDB is on Kafka, exactly.' : 'demo: FAILED — Kafka does not match the source (see above).');
    }
    return ok ? EXIT.OK : EXIT.FAILED;
  } catch (e: unknown) {
    return reportError(e, json);
  }
}

async function waitForEvents(metrics: PromMetrics, done: (ops: Record<string, number>) => boolean, running: Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failed: unknown;
  running.catch((e: unknown) => { failed = e; });
  for (;;) {
    if (failed !== undefined) throw failed;
    const m = await metrics.registry.getSingleMetric('ferry_events_total')?.get();
    const ops: Record<string, number> = {};
    for (const v of m?.values ?? []) ops[String(v.labels.op)] = (ops[String(v.labels.op)] ?? 0) + v.value;
    if (done(ops)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for events (seen: ${JSON.stringify(ops)})`);
    await sleep(100);
  }
}

function runScript(cmd: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd.join(' ')} exited with ${code}`))));
    child.on('error', reject);
  });
}
