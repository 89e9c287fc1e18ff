/** CPU-seconds and peak RSS of another process, read from /proc (Linux). */
import { readFileSync } from 'node:fs';

const TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux x86_64

export interface ProcStats { readonly cpuSeconds: number; readonly peakRssMb: number; readonly rssMb: number }

export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds, peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/**
 * A new reading of `pid` after `last`: an exited process that was not reaped yet still has its CPU times but no
 * memory lines, and a process that is gone has nothing, so the peak (and the last RSS) are kept.
 */
export function nextStats(pid: number, last: ProcStats): ProcStats {
  try {
    const now = procStats(pid);
    return { cpuSeconds: now.cpuSeconds, peakRssMb: Math.max(last.peakRssMb, now.peakRssMb), rssMb: now.rssMb || last.rssMb };
  } catch {
    return last;
  }
}

/**
 * Resident MB of a process by kind, from /proc/<pid>/smaps: `files` (the node binary's pages and other mapped files),
 * `v8 pages` (V8's 256 KB heap pages), `[heap]` (malloc's main arena), `other anonymous` (threads' malloc arenas,
 * V8's code range, WebAssembly memory), and any other named mapping; kinds under 1 MB are left out.
 */
export function residentByKind(pid: number | 'self' = 'self'): Record<string, number> {
  const kb: Record<string, number> = {};
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const sizeKb = (parseInt(m[2]!, 16) - parseInt(m[1]!, 16)) / 1024;
      const name = m[3] ?? '';
      kind = name.startsWith('/') ? 'files' : name !== '' ? name : sizeKb === 256 ? 'v8 pages' : 'other anonymous';
      continue;
    }
    const r = /^Rss:\s+(\d+)/.exec(line);
    if (r) kb[kind] = (kb[kind] ?? 0) + Number(r[1]);
  }
  return Object.fromEntries(Object.entries(kb).filter(([, v]) => v >= 1024).map(([k, v]) => [k, Math.round(v / 102.4) / 10]));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Least-squares slope of y over x (per unit of x); NaN with fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n, my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const p of points) { sxy += (p.x - mx) * (p.y - my); sxx += (p.x - mx) ** 2; }
  return sxx === 0 ? NaN : sxy / sxx;
}

export function machine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const mem = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024;
  const cores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return `${cores} cores (${cpu}), ${mem.toFixed(0)} GiB RAM, Node ${process.version}`;
}
