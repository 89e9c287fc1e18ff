/** Runs the real CLI (`bin/ferry.js`) as a child process for end-to-end tests, capturing its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface FerryProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export function startFerry(args: readonly string[], env: NodeJS.ProcessEnv = process.env): FerryProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Drops the replication slots and publications whose names contain `name` (a test's unique task name). */
export async function dropPgTaskObjects(admin: pg.Client, name: string): Promise<void> {
  await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%' AND active_pid IS NOT NULL", [name]);
  await sleep(300);
  await admin.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%' || $1 || '%'", [name]).catch(() => undefined);
  for (const r of (await admin.query<{ pubname: string }>("SELECT pubname FROM pg_publication WHERE pubname LIKE '%' || $1 || '%'", [name])).rows) {
    await admin.query(`DROP PUBLICATION "${r.pubname}"`);
  }
}
