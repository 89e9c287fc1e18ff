/**
 * One end-to-end migration as the issue's check describes it: `ferry convert-schema --json`, then `ferry run`
 * (full-load-and-cdc, tables dropped and created on the target; Kafka mode adds `ferry sink`) while the application
 * changes the source from before the full load starts until a few seconds into CDC; then the target is compared
 * with the source, table by table, row by row, value by value (canonical.ts), until equal or a deadline.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { services } from '../services.ts';
import { compareDatabases, format, waitUntilEqual, type Side, type TableDiff } from './canonical.ts';
import { FerryChild, convertSchema, selectSchema, startWriter, tempDir, writeTask, type AssessmentItem } from './run.ts';

export interface Migration {
  /** Unique: the task name, the Kafka topic prefix. */
  readonly name: string;
  /** The schema (PostgreSQL) or database (MariaDB) the task selects. */
  readonly sourceSchema: string;
  readonly source: Side;
  readonly target: Side;
  readonly sourceConfig: Record<string, unknown>;
  /** The source as convert-schema reads it, when the CDC user may not see every object (MariaDB triggers need TRIGGER). */
  readonly assessmentSource?: Record<string, unknown>;
  /** The task's target (with `type`); tablePreparation is drop-and-create. */
  readonly targetConfig: Record<string, unknown>;
  /** The target engine for convert-schema: postgres, mariadb. */
  readonly targetEngine: string;
  /** One application change on the source. */
  change(): Promise<void>;
  /** Called once the first `ferry run` reported its snapshot started (the shops switch the mark of their rows). */
  snapshotStarted?(): void;
  /**
   * Columns with a known, reported bug: left out of `diff` (so the rest is proved) and compared on their own in
   * `known` once the rest is equal, so the bug stays visible (a todo test) until fixed.
   */
  readonly knownBugs?: readonly KnownBug[];
  /** Through Kafka: `ferry run` with a kafka block and `ferry sink`, with this many partitions per topic. */
  readonly kafka?: { readonly partitions: number };
}

/** A table's column (or the whole table) whose values Ferry alters today, with the reported bug. */
export interface KnownBug { readonly table: string; readonly column?: string; readonly bug: string }

export interface MigrationResult {
  readonly assessment: { status: number | null; items: AssessmentItem[]; stderr: string };
  /** Application changes committed while the source read its snapshot (between its start and finish lines), and in all. */
  readonly changesDuringLoad: number;
  readonly changes: number;
  /** From `ferry run`'s start to the target equal to the source. */
  readonly seconds: number;
  /** [] when the target equals the source (but for the known bugs' columns). */
  readonly diff: TableDiff[];
  /** Per known bug: [] when its column is equal after all. */
  readonly known: { readonly bug: KnownBug; readonly diff: TableDiff[] }[];
  readonly report: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The migration's task (full-load-and-cdc, drop-and-create, state under `dir`) written to `dir`/task.json. */
export function taskOf(m: Migration, dir: string, source = m.sourceConfig): string {
  return writeTask(dir, {
    name: m.name, source, migrationType: 'full-load-and-cdc', tableMappings: selectSchema(m.sourceSchema),
    ...(m.kafka ? { kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: m.name, partitions: m.kafka.partitions } } : {}),
    targets: [{ name: 'db', tablePreparation: 'drop-and-create', maxBatchDelayMs: 200, ...m.targetConfig }],
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), snapshot: { chunkSize: 2000 }, batch: { maxEvents: 1000, maxDelayMs: 50 } },
  });
}

/** The source's log lines that open and close its full load (MariaDB, PostgreSQL; a restart resumes or skips it). */
export const SNAPSHOT_STARTED = /snapshot of \d+ tables from|with an exported snapshot at|snapshot in a new exported snapshot|resuming the interrupted snapshot/;
export const SNAPSHOT_FINISHED = /snapshot finished|the full load already finished|"snapshotDone":true/;

export async function migrate(m: Migration): Promise<MigrationResult> {
  const dir = tempDir('ferry-migration');
  const taskFile = taskOf(m, dir);
  const assessment = convertSchema(m.assessmentSource ? taskOf(m, join(dir, 'assessment'), m.assessmentSource) : taskFile, m.targetEngine, join(dir, 'schema'));
  const log = join(dir, 'ferry.log');
  const writer = startWriter(() => m.change());
  await sleep(300);
  const started = Date.now();
  const run = new FerryChild(['run', taskFile], log);
  const sink = m.kafka ? new FerryChild(['sink', taskFile], log) : null;
  const failed = () => run.failed() ?? sink?.failed() ?? null;
  try {
    // the full load runs from the source's "snapshot of N tables from <position>" to its "snapshot finished"
    let atStart = -1;
    let changesDuringLoad = -1;
    const loadDeadline = Date.now() + 120000;
    while (Date.now() < loadDeadline && failed() === null) {
      if (atStart < 0 && SNAPSHOT_STARTED.test(run.output())) atStart = writer.count();
      if (SNAPSHOT_FINISHED.test(run.output())) { changesDuringLoad = writer.count() - Math.max(atStart, 0); break; }
      await sleep(50);
    }
    await sleep(3000); // changes during CDC
    const changes = await writer.stop();
    const skip = m.knownBugs ?? [];
    const diff = await waitUntilEqual(m.source, m.target, { timeoutMs: 90000, failed, skip });
    const seconds = (Date.now() - started) / 1000;
    const known = [];
    for (const bug of skip) known.push({ bug, diff: await compareDatabases(m.source, m.target, { tables: [bug.table], skip: skip.filter((k) => k !== bug) }) });
    const report = `${m.name}: ${changes} changes (${changesDuringLoad} while the snapshot was read), target equal after ${seconds.toFixed(1)} s; log ${log}`;
    return { assessment, changesDuringLoad, changes, seconds, diff, known, report: diff.length ? `${report}\n${format(diff)}` : report };
  } finally {
    await writer.stop().catch(() => undefined);
    await run.stop();
    await sink?.stop();
  }
}

/** One todo subtest per known bug: it fails (as todo, not failing the run) while the bug shows, and passes once fixed. */
export async function checkKnownBugs(t: TestContext, m: MigrationResult): Promise<void> {
  for (const k of m.known) {
    await t.test(`${k.bug.table}${k.bug.column ? `.${k.bug.column}` : ''} equals the source`, { todo: k.bug.bug }, () => assert.deepEqual(k.diff, [], format(k.diff)));
  }
}
