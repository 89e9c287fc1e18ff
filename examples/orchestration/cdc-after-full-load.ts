/**
 * Start the CDC-only task when the full-load task completes (DMS's "full load, then a CDC task from the position of
 * the load" pattern):
 *
 *   1. `ferry run <full-load-task>`: copies the tables and exits 0 when the load is complete (any other exit code
 *      stops the recipe with it);
 *   2. `ferry offsets show <full-load-task> --json`: the load's committed position, which is the source's log position
 *      of the load's consistent snapshot (MySQL/MariaDB: the binlog position the tables were read at);
 *   3. `ferry run` of the CDC task with settings.cdcStartPosition set to that position (in the source's native form:
 *      binlog "file:position", PostgreSQL LSN "X/Y"), written to <cdc-task>.from-full-load.json beside it: the changes
 *      made during and after the load are applied on top of it, and none is lost in between.
 *
 * The CDC task then runs in the foreground (this script forwards SIGINT/SIGTERM to it and exits with its code); its
 * start position only matters on its first run: once it has committed an offset, it resumes from that.
 *
 *   scripts/node examples/orchestration/cdc-after-full-load.ts tasks/shop-full-load.yaml tasks/shop-cdc.yaml
 *
 * Env: FERRY (the ferry command, default "npx ferry").
 * PostgreSQL: a full-load task reads a snapshot but creates no replication slot, so the WAL between the load and the
 * CDC task's start must still be retained; prefer one full-load-and-cdc task there (docs/sources/postgres.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ferryCommand } from './webhook-receiver.ts';

const [fullLoadFile, cdcFile] = process.argv.slice(2);
if (!fullLoadFile || !cdcFile) {
  process.stderr.write('usage: cdc-after-full-load.ts <full-load-task-file> <cdc-task-file>\n');
  process.exit(2);
}
const [cmd, ...pre] = ferryCommand();

/** Ferry's stored position (core/src/position.ts) in the source's native form, as settings.cdcStartPosition takes it. */
export function nativePosition(p: string): string {
  const my = /^mysql:(\d{10}):(\d{12}):([^:]+)(?::.+)?$/.exec(p);
  if (my) return `${my[3]}.${String(Number(my[1])).padStart(6, '0')}:${Number(my[2])}`;
  const pg = /^pg:([0-9A-F]{8})([0-9A-F]{8})$/.exec(p);
  if (pg) return `${pg[1]!.replace(/^0+(?=.)/, '')}/${pg[2]!.replace(/^0+(?=.)/, '')}`;
  throw new Error(`not a position this recipe knows: ${p}`);
}

// 1. the full load, in the foreground
const load = spawnSync(cmd!, [...pre, 'run', fullLoadFile], { stdio: 'inherit' });
if (load.status !== 0) {
  process.stderr.write(`the full-load task exited with ${load.status ?? load.signal}: not starting the CDC task\n`);
  process.exit(load.status ?? 1);
}

// 2. where it was read
const shown = spawnSync(cmd!, [...pre, 'offsets', 'show', fullLoadFile, '--json'], { encoding: 'utf8' });
const offset = shown.status === 0 ? (JSON.parse(shown.stdout) as { offset: { position: string; snapshotDone: boolean } | null }).offset : null;
if (!offset?.snapshotDone) {
  process.stderr.write(`the full-load task has no completed load to start from (ferry offsets show: ${shown.stdout.trim() || shown.stderr.trim()})\n`);
  process.exit(1);
}
const start = nativePosition(offset.position);

// 3. the CDC task, from there
const doc = parse(readFileSync(cdcFile, 'utf8')) as { migrationType?: string; settings?: Record<string, unknown> };
if (doc.migrationType !== 'cdc') {
  process.stderr.write(`${cdcFile} must be a migrationType: cdc task (it is ${doc.migrationType ?? 'unset'})\n`);
  process.exit(2);
}
doc.settings = { ...doc.settings, cdcStartPosition: start };
const resolved = cdcFile.replace(/\.(ya?ml|json)$/i, '') + '.from-full-load.json';
writeFileSync(resolved, `${JSON.stringify(doc, null, 2)}\n`);
process.stderr.write(`full load done at ${offset.position}: starting the CDC task from ${start} (${resolved})\n`);
const cdc = spawn(cmd!, [...pre, 'run', resolved], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => cdc.kill(sig));
cdc.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
