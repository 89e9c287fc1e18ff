/**
 * Running a migration as a user does: a task file, `ferry run` (and `ferry sink` in Kafka mode) as child processes,
 * the application writing meanwhile, `ferry convert-schema --json`, and connections to both sides for the
 * comparison (canonical.ts).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ROOT, startFerry, type FerryProcess } from '../ferry-process.ts';
import { services } from '../services.ts';

export const PG_TARGET = { host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' } as const;
export const MARIADB_TARGET = { host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' } as const;
export const MARIADB_SOURCE = { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' } as const;
export const PG_SOURCE = { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' } as const;

/** A root connection to MariaDB that reads every value as text (dates, big numbers) in UTC, utf8mb4. */
export async function mariadbRoot(): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ ...MARIADB_TARGET, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4', timezone: 'Z' });
  await c.query("SET time_zone = '+00:00'");
  return c;
}

export async function pgClient(user: 'postgres' | 'cdc'): Promise<pg.Client> {
  const c = new pg.Client({ ...services.postgres, user, password: user, database: 'shop' });
  await c.connect();
  await c.query("SET TimeZone = 'UTC'");
  return c;
}

export const selectSchema = (schema: string) => ({
  rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }],
});

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function writeTask(dir: string, task: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify(task, null, 2));
  return file;
}

/** A `ferry run` or `ferry sink` child; its output is appended to `logFile` when it exits. */
export class FerryChild {
  readonly #p: FerryProcess;
  #stopped = false;
  readonly started = Date.now();
  readonly logFile: string;

  constructor(args: readonly string[], logFile: string) {
    this.logFile = logFile;
    this.#p = startFerry(args, { ...process.env, FERRY_LOG_LEVEL: process.env.FERRY_LOG_LEVEL ?? 'info' });
    void this.#p.exited.then((code) => appendFileSync(logFile, `== ferry ${args[0]} exited ${code}\n${this.#p.stdout()}${this.#p.stderr()}`));
  }

  output(): string {
    return this.#p.stdout() + this.#p.stderr();
  }

  /** Why it stopped on its own (it should not), with the end of its output; null while it runs. */
  failed(): string | null {
    if (this.#stopped || this.#p.child.exitCode === null) return null;
    return `ferry exited with ${this.#p.child.exitCode}:\n${this.output().slice(-3000)}`;
  }

  async kill9(): Promise<void> {
    const f = this.failed();
    if (f) throw new Error(f);
    this.#stopped = true;
    this.#p.child.kill('SIGKILL');
    await this.#p.exited;
  }

  /** SIGTERM (graceful), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#p.child.exitCode !== null) return;
    this.#p.child.kill('SIGTERM');
    const t = setTimeout(() => this.#p.child.kill('SIGKILL'), 20000);
    await this.#p.exited;
    clearTimeout(t);
  }
}

/** The application: `change` called in a loop until stopped, pausing a little every 20 changes (about 300-600/s). */
export function startWriter(change: () => Promise<void>): { count: () => number; stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const done = (async () => {
    while (running) {
      await change();
      if (++n % 20 === 0) await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { count: () => n, stop: async () => { running = false; await done; return n; } };
}

export interface AssessmentItem { kind: string; object: string; outcome: string; reason?: string; fix?: string }

/** `ferry convert-schema <task> --target <engine> --json`: the assessment's items (exit status 0 asserted by caller). */
export function convertSchema(taskFile: string, target: string, out: string): { status: number | null; items: AssessmentItem[]; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'convert-schema', taskFile, '--target', target, '--out', out, '--json'], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) return { status: r.status, items: [], stderr: r.stderr + r.stdout };
  return { status: 0, items: (JSON.parse(readFileSync(join(out, 'assessment.json'), 'utf8')) as { items: AssessmentItem[] }).items, stderr: r.stderr };
}

/** The items of the assessment a person must handle by hand, as 'kind object: outcome'. */
export function manualItems(items: readonly AssessmentItem[], kinds: readonly string[]): string[] {
  return items.filter((i) => kinds.includes(i.kind)).map((i) => `${i.kind} ${i.object}: ${i.outcome}`).sort();
}
