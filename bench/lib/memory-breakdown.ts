/**
 * A preload that writes where a process's memory goes, every 5 s (FERRY_MEMORY_BREAKDOWN_MS), as JSON lines: process.memoryUsage(), the V8
 * heap spaces (size / used MB) and the resident memory of /proc/self/smaps by kind (the node binary's pages, V8's
 * 256 KB heap pages, malloc's main arena [heap], other anonymous mappings such as worker threads' malloc arenas).
 *
 *   NODE_OPTIONS="--import $PWD/bench/lib/memory-breakdown.ts" FERRY_MEMORY_BREAKDOWN=/tmp/mem.jsonl ferry run task.yaml
 *
 * (docs/performance.md, "Memory", was measured with it.)
 */
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';
import { residentByKind } from './process-stats.ts';

const out = process.env.FERRY_MEMORY_BREAKDOWN;
const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

if (out !== undefined && out !== '') {
  const t0 = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, [mb(s.space_size), mb(s.space_used_size)]]));
    appendFileSync(out, `${JSON.stringify({ pid: process.pid, s: Math.round((Date.now() - t0) / 1000), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces, resident: residentByKind() })}\n`);
  }, Number(process.env.FERRY_MEMORY_BREAKDOWN_MS ?? 5000)).unref();
}
