/**
 * The two tools under test behind one interface, so every workload drives and measures them the same way:
 * Ferry (`ferry run` as a child process) and Debezium (Kafka Connect standalone JVM, bench/debezium/connect.ts).
 * A run is named; starting the same name again resumes from that run's committed offsets (restart, recovery).
 */
import { join } from 'node:path';
import { freePort, services } from '../../test/helpers/services.ts';
import { startFerry } from '../lib/ferry-process.ts';
import type { ProcStats } from '../lib/process-stats.ts';
import type { Engine } from '../lib/workload-db.ts';
import { startDebezium } from './connect.ts';

export type ToolName = 'ferry' | 'debezium';

export interface ToolRun {
  readonly pid: number;
  stats(): ProcStats;
  alive(): boolean;
  /** Throws when the tool has failed (exited unexpectedly or reports a failed task). */
  check(): Promise<void>;
  /** Graceful stop (offsets flushed). */
  stop(): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
  /** V8 heap used in MB (Ferry's metrics endpoint); undefined where not measured (the JVM) or not answering. */
  heapUsedMb(): Promise<number | undefined>;
  /** "ferry exited with code 0" / "… was killed by SIGKILL", for errors. */
  describeExit(): string;
}

export interface StartOptions {
  /** Names the task/connector, its topic prefix, offsets and slot. */
  readonly run: string;
  readonly tables: readonly string[];
  /** true: snapshot the tables (then stream); false: stream from the current position. */
  readonly snapshot: boolean;
}

export interface Tool {
  readonly name: ToolName;
  start(o: StartOptions): ToolRun;
  topic(run: string, table: string): string;
}

export interface ToolContext {
  readonly engine: Engine;
  readonly schema: string;
  readonly dir: string;
  /** Every process started, so a failure can kill them all (by pid). */
  readonly children: { kill(signal: NodeJS.Signals): unknown; readonly exitCode: number | null }[];
  readonly ferryNodeArgs?: readonly string[];
  /** Merged into the Ferry task's `settings` (e.g. {"batch":{"maxDelayMs":50}}), for tuning runs. */
  readonly ferrySettings?: Record<string, unknown>;
  readonly debeziumTuned?: boolean;
}

// Ports free on 127.0.0.1 now, so that several benchmark runs on one box do not collide.
const FERRY_METRICS_PORT = await freePort();
const CONNECT_REST_PORT = await freePort();

export function makeTool(name: ToolName, ctx: ToolContext): Tool {
  const prefix = (run: string) => `${ctx.schema}_${run}_${name === 'ferry' ? 'f' : 'd'}`;
  const topic = (run: string, table: string) => `${prefix(run)}.${ctx.schema}.${table}`;
  if (name === 'ferry') {
    return {
      name, topic,
      start(o) {
        const taskName = prefix(o.run);
        const task = {
          name: taskName, migrationType: o.snapshot ? 'full-load' : 'cdc',
          source: ctx.engine === 'postgres'
            ? { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }
            : { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
          tableMappings: { rules: o.tables.map((t, i) => ({ 'rule-type': 'selection', 'rule-id': String(i + 1), 'rule-name': t, 'rule-action': 'include', 'object-locator': { 'schema-name': ctx.schema, 'table-name': t } })) },
          kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: taskName },
          settings: { logLevel: 'warn', stateDir: join(ctx.dir, taskName), offsetStore: 'sqlite', metrics: { port: FERRY_METRICS_PORT }, ...ctx.ferrySettings },
        };
        const f = startFerry(task, ctx.dir, FERRY_METRICS_PORT, ctx.ferryNodeArgs ?? []);
        ctx.children.push(f.child);
        // A full-load task exits 0 by itself when the load is done: that is not a failure.
        return {
          pid: f.child.pid!, stats: () => f.stats(), alive: () => f.child.exitCode === null && f.child.signalCode === null,
          async check() { if (f.child.exitCode !== null && f.child.exitCode !== 0) throw new Error(`ferry exited with ${f.child.exitCode}`); },
          async stop() {
            // A full-load task is finishing on its own: let it (a SIGTERM after its signal handlers are gone would kill
            // it before --cpu-prof writes its profile).
            if (o.snapshot) await Promise.race([f.exited, new Promise((resolve) => setTimeout(resolve, 10000).unref())]);
            if (f.child.exitCode === null && f.child.signalCode === null) await f.stop();
          },
          async kill() { f.child.kill('SIGKILL'); await f.exited; },
          async heapUsedMb() {
            try {
              const m = /^(?:ferry_)?nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(await (await fetch(f.metricsUrl)).text());
              return m ? Number(m[1]) / 1048576 : undefined;
            } catch { return undefined; }
          },
          describeExit: () => `ferry (pid ${f.child.pid}) ${f.child.signalCode ? `was killed by ${f.child.signalCode}` : `exited with code ${f.child.exitCode}`}`,
        };
      },
    };
  }
  return {
    name, topic,
    start(o) {
      const d = startDebezium({
        engine: ctx.engine, name: prefix(o.run), topicPrefix: prefix(o.run), schema: ctx.schema, tables: o.tables,
        snapshot: o.snapshot ? 'initial' : 'no_data', dir: ctx.dir, restPort: CONNECT_REST_PORT, slotName: prefix(o.run).toLowerCase(),
        ...(ctx.debeziumTuned ? { tuned: true } : {}),
      });
      ctx.children.push(d.child);
      let lastCheck = 0;
      return {
        pid: d.child.pid!, stats: () => d.stats(), alive: () => d.child.exitCode === null && d.child.signalCode === null,
        async check() {
          if (d.child.exitCode !== null) throw new Error(`the Connect JVM exited with ${d.child.exitCode} (log: ${d.log})`);
          if (Date.now() - lastCheck < 2000) return;
          lastCheck = Date.now();
          await d.running(); // throws when the task FAILED
        },
        async stop() { await d.stop(); },
        async kill() { d.child.kill('SIGKILL'); await d.exited; },
        async heapUsedMb() { return undefined; }, // jcmd/jstat would start a JVM per sample, on the same 2 cores
        describeExit: () => `the Connect JVM (pid ${d.child.pid}) ${d.child.signalCode ? `was killed by ${d.child.signalCode}` : `exited with code ${d.child.exitCode}`} (log: ${d.log})`,
      };
    },
  };
}
