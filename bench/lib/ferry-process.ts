/** Runs `ferry run` as a child process and reads its Prometheus metrics, for benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextStats, type ProcStats } from './process-stats.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface FerryProcess {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  /** Sum of ferry_events_total (optionally for one op). */
  events(op?: string): Promise<number>;
  /** ferry_offset_commits_total: ≥ 1 once a cdc task has committed its start position (it is then capturing). */
  commits(): Promise<number>;
  stats(): ProcStats;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * `nodeArgs` go before the script (e.g. --cpu-prof); `env` is added to this process's environment; `script` is the
 * launcher to run (another checkout's bin/ferry.js, to compare two versions side by side).
 */
export function startFerry(task: object, dir: string, metricsPort: number, nodeArgs: readonly string[] = [], env: Record<string, string> = {}, script = join(ROOT, 'bin', 'ferry.js')): FerryProcess {
  const file = join(dir, `task-${Date.now()}-${metricsPort}.json`);
  writeFileSync(file, JSON.stringify(task));
  const child = spawn(process.execPath, [...nodeArgs, script, 'run', file], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FERRY_LOG_LEVEL: 'warn', ...env } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  let last: ProcStats = { cpuSeconds: 0, peakRssMb: 0, rssMb: 0 };
  return {
    child, metricsUrl, exited,
    async events(op?: string) {
      try {
        const text = await (await fetch(metricsUrl)).text();
        let sum = 0;
        for (const m of text.matchAll(/^ferry_events_total\{([^}]*)\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) {
          if (op === undefined || m[1]!.includes(`op="${op}"`)) sum += Number(m[2]);
        }
        return sum;
      } catch {
        return 0;
      }
    },
    async commits() {
      try {
        const text = await (await fetch(metricsUrl)).text();
        return Number(/^ferry_offset_commits_total\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
      } catch {
        return 0;
      }
    },
    stats() {
      last = nextStats(child.pid!, last);
      return last;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
