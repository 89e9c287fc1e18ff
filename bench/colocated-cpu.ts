/**
 * Where the CPU of a benchmark goes on a box that runs everything: runs a command (a bench run) and reports the
 * CPU-seconds spent meanwhile by the Kafka broker, the database servers (MariaDB, PostgreSQL and each backend /
 * walsender), the Ferry processes the command started (per thread: main, V8 GC/compile helpers, libuv pool) and
 * everything else, from /proc. Read only: it never signals a process.
 *
 * A second table covers only the time a Ferry process of the command ran (a bench's table fill left out).
 * The broker and the databases are shared: on a busy box their figures include other clients' work.
 *
 * Usage: node bench/colocated-cpu.ts [--per 500000] [--interval-ms 200] -- <command> [args...]
 *   --per N: also print each figure per 1M of N events (the rows the command moves).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const TICKS = 100;
const sep = process.argv.indexOf('--');
if (sep < 0) {
  process.stderr.write('usage: node bench/colocated-cpu.ts [--per N] [--interval-ms 200] -- <command> [args...]\n');
  process.exit(2);
}
const { values: a } = parseArgs({ args: process.argv.slice(2, sep), options: { per: { type: 'string' }, 'interval-ms': { type: 'string', default: '200' } } });
const command = process.argv.slice(sep + 1);

interface Proc { pid: number; ppid: number; cmd: string; cpu: number; threads?: Map<number, { comm: string; cpu: number }> }

function ticksOf(stat: string): { ppid: number; cpu: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS };
}

function readProcs(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const { ppid, cpu } = ticksOf(readFileSync(`/proc/${d}/stat`, 'utf8'));
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.set(Number(d), { pid: Number(d), ppid, cmd, cpu });
    } catch { /* gone */ }
  }
  return out;
}

function threadsOf(pid: number): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
        out.set(Number(t), { comm, cpu: ticksOf(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')).cpu });
      } catch { /* gone */ }
    }
  } catch { /* gone */ }
  return out;
}

const group = (p: Proc, mine: Set<number>): string => {
  if (mine.has(p.pid) && /bin\/ferry\.js/.test(p.cmd)) return 'ferry (this run)';
  if (mine.has(p.pid)) return 'the command itself (bench driver, Connect JVM)';
  if (/kafka\.Kafka /.test(p.cmd)) return 'kafka broker';
  if (/^mariadbd|\/mariadbd /.test(p.cmd)) return 'mariadbd';
  if (/^postgres: walsender/.test(p.cmd)) return 'postgres walsenders';
  if (/^postgres/.test(p.cmd)) return 'postgres (server and backends)';
  if (/apicurio|quarkus-run/.test(p.cmd)) return 'schema registry';
  return 'other processes (other clients of the box)';
};

const first = readProcs();
const last = new Map<number, Proc>(first);
const mine = new Set<number>();
const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
mine.add(child.pid!);
const t0 = performance.now();
const sample = () => {
  for (const [pid, p] of readProcs()) {
    if (mine.has(p.ppid)) mine.add(pid);
    const prev = last.get(pid);
    if (mine.has(pid) && /bin\/ferry\.js/.test(p.cmd)) {
      const threads = prev?.threads ?? new Map<number, { comm: string; cpu: number }>();
      for (const [tid, t] of threadsOf(pid)) threads.set(tid, t);
      p.threads = threads;
    } else if (prev?.threads) p.threads = prev.threads;
    last.set(pid, p);
  }
};
// The window while a Ferry process of the command runs (a bench's fill and set-up left out): the CPU of every process
// at the first sample that sees Ferry and at the last one that still does.
let ferryStart: Map<number, number> | undefined;
let ferryEnd: Map<number, number> | undefined;
let ferryFrom = 0;
let ferryTo = 0;
const cpuNow = () => new Map([...last].map(([pid, p]) => [pid, p.cpu]));
const ferryAlive = () => [...last.values()].some((p) => mine.has(p.pid) && /bin\/ferry\.js/.test(p.cmd) && existsSync(`/proc/${p.pid}`));
const sampleWindow = () => {
  sample();
  if (ferryAlive()) {
    if (!ferryStart) { ferryStart = cpuNow(); ferryFrom = performance.now(); }
    ferryEnd = cpuNow();
    ferryTo = performance.now();
  }
};
const timer = setInterval(sampleWindow, Number(a['interval-ms']));
const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
clearInterval(timer);
sample();
const seconds = (performance.now() - t0) / 1000;

const byGroup = new Map<string, number>();
const ferryThreads = new Map<string, number>();
for (const [pid, p] of last) {
  const base = first.get(pid)?.cmd === p.cmd ? first.get(pid)!.cpu : 0;
  const g = group(p, mine);
  byGroup.set(g, (byGroup.get(g) ?? 0) + Math.max(0, p.cpu - base));
  for (const t of p.threads?.values() ?? []) {
    const name = /^node$|^ferry/.test(t.comm) ? 'main thread' : t.comm.replace(/\d+$/, 'N');
    ferryThreads.set(name, (ferryThreads.get(name) ?? 0) + t.cpu);
  }
}
const per = a.per ? Number(a.per) : 0;
const line = (label: string, s: number) => `${label.padEnd(48)} ${s.toFixed(2).padStart(7)} CPU-s${per ? `  ${((s / per) * 1e6).toFixed(2).padStart(6)} per 1M` : ''}`;
const total = [...byGroup.values()].reduce((x, y) => x + y, 0);
const out = [`\n${seconds.toFixed(1)} s wall, ${total.toFixed(2)} CPU-s on the box (${(total / seconds).toFixed(2)} cores busy on average); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`];
for (const [g, s] of [...byGroup].sort((x, y) => y[1] - x[1])) out.push(line(g, s));
if (ferryThreads.size > 0) {
  out.push('Ferry threads:');
  for (const [t, s] of [...ferryThreads].sort((x, y) => y[1] - x[1])) out.push(line(`  ${t}`, s));
}
if (ferryStart && ferryEnd) {
  const win = new Map<string, number>();
  for (const [pid, end] of ferryEnd) {
    const p = last.get(pid)!;
    const g = group(p, mine);
    win.set(g, (win.get(g) ?? 0) + Math.max(0, end - (ferryStart.get(pid) ?? 0)));
  }
  const wsec = (ferryTo - ferryFrom) / 1000;
  const wtotal = [...win.values()].reduce((x, y) => x + y, 0);
  out.push(`While Ferry ran (${wsec.toFixed(1)} s, sampled; ${(wtotal / wsec).toFixed(2)} cores busy):`);
  for (const [g, s] of [...win].sort((x, y) => y[1] - x[1])) out.push(line(`  ${g}`, s));
}
process.stdout.write(`${out.join('\n')}\n`);
process.exitCode = code ?? 1;
