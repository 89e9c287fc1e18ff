/**
 * Sink worker child processes for crash tests (shared by every sink's crash.test.ts): starts a worker script with
 * its JSON arguments, records each `commit <topic/partition> <offset>` line it prints, and kills whatever is still
 * running when the test process exits (a failed assertion must not leave a worker behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerLauncher {
  /** Starts the script; committed offsets go to `committed`, stderr to `log`. */
  start(args: object, committed: Map<string, bigint>, log: string[]): ChildProcess;
  /** Commit lines seen so far over every worker started. */
  commits(): number;
}

const children: ChildProcess[] = [];

/** SIGKILLs every worker still running (also done when the test process exits). */
export function killWorkers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killWorkers);

/** `onLine`: every other line a worker prints (e.g. its own progress markers). */
export function workerLauncher(script: string, options: { onLine?: (line: string) => void } = {}): WorkerLauncher {
  let commitLines = 0;
  return {
    start(args, committed, log) {
      const child = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const m = /^commit (\S+) (\d+)$/.exec(l);
          if (m) {
            committed.set(m[1]!, BigInt(m[2]!));
            commitLines++;
          } else {
            options.onLine?.(l);
          }
        }
      });
      child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
      return child;
    },
    commits: () => commitLines,
  };
}

/** Resolves when the child has exited (at once if it already has). */
export const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));
