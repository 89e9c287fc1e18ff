/**
 * The OLTP load from several processes (bench/lib/oltp-worker.ts), so that the offered load is not capped by one
 * Node event loop: each process has its own connection pool, its own tables (table i goes to process i mod P) and
 * 1/P of the rate, open loop. What the generator costs is measured from /proc (the processes' CPU-seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { OpenLoopResult } from './load.ts';
import type { FromWorker, RunCommand, ToWorker, WorkerConfig } from './oltp-worker.ts';
import { procStats } from './process-stats.ts';
import type { Engine } from './workload-db.ts';

export interface OltpOptions {
  readonly engine: Engine;
  readonly schema: string;
  /** Tables seeded with ids 1..seed. */
  readonly tables: readonly string[];
  readonly seed: number;
  readonly processes: number;
  readonly connectionsPerProcess: number;
}

export interface OltpProgress { readonly expected: number; readonly deletes: number; readonly committed: number }

export interface OltpGenerator {
  /** One phase at rate(t) = start + step × floor(t / stepSeconds) in total, split over the processes. */
  run(o: Omit<RunCommand, 'type' | 'maxInFlight'> & { readonly maxInFlight?: number }): Promise<OpenLoopResult & OltpProgress>;
  /** Ends the running phase early. */
  stop(): void;
  /** Sums of the processes' last reports (at most 100 ms old while a phase runs; exact after it). */
  progress(): OltpProgress;
  /** CPU-seconds used by the generator processes so far. */
  cpuSeconds(): number;
  end(): Promise<void>;
}

interface Worker { readonly child: ChildProcess; last: OltpProgress; cpu: number }

export async function startOltp(o: OltpOptions): Promise<OltpGenerator> {
  const P = Math.max(1, Math.min(o.processes, o.tables.length));
  const workers: Worker[] = [];
  for (let k = 0; k < P; k++) {
    const cfg: WorkerConfig = { engine: o.engine, schema: o.schema, tables: o.tables.filter((_, i) => i % P === k), seed: o.seed, connections: o.connectionsPerProcess, share: 1 / P };
    const child = spawn(process.execPath, [join(import.meta.dirname, 'oltp-worker.ts'), JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const wk: Worker = { child, last: { expected: 0, deletes: 0, committed: 0 }, cpu: 0 };
    child.on('message', (m: FromWorker) => { if (m.type !== 'ready') wk.last = { expected: m.expected, deletes: m.deletes, committed: m.committed }; });
    workers.push(wk);
  }
  process.on('exit', () => { for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL'); });
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.child.once('exit', (code) => reject(new Error(`a generator process exited with ${code} before it was ready`)));
    w.child.on('message', (m: FromWorker) => { if (m.type === 'ready') resolve(); });
  })));
  const sendAll = (m: ToWorker) => { for (const w of workers) w.child.send(m); };
  const sum = (): OltpProgress => workers.reduce((s, w) => ({ expected: s.expected + w.last.expected, deletes: s.deletes + w.last.deletes, committed: s.committed + w.last.committed }), { expected: 0, deletes: 0, committed: 0 });
  const cpuSeconds = () => workers.reduce((s, w) => {
    try { w.cpu = procStats(w.child.pid!).cpuSeconds; } catch { /* exited: keep the last reading */ }
    return s + w.cpu;
  }, 0);
  return {
    async run(r) {
      const results = await Promise.all(workers.map((w) => new Promise<OpenLoopResult>((resolve) => {
        const onMessage = (m: FromWorker) => { if (m.type === 'done') { w.child.off('message', onMessage); resolve(m.result); } };
        w.child.on('message', onMessage);
        w.child.send({ type: 'run', maxInFlight: 4000, ...r } satisfies ToWorker);
      })));
      const firstError = results.find((x) => x.firstError)?.firstError;
      return {
        done: results.reduce((s, x) => s + x.done, 0), errors: results.reduce((s, x) => s + x.errors, 0), started: results.reduce((s, x) => s + x.started, 0),
        lateStarts: results.reduce((s, x) => s + x.lateStarts, 0), seconds: Math.max(...results.map((x) => x.seconds)), ...(firstError ? { firstError } : {}), ...sum(),
      };
    },
    stop: () => sendAll({ type: 'stop' }),
    progress: sum,
    cpuSeconds,
    async end() {
      cpuSeconds();
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => { if (w.child.exitCode !== null) resolve(); else { w.child.once('exit', () => resolve()); w.child.send({ type: 'end' }); } })));
    },
  };
}
