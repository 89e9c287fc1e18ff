/**
 * `ferry validate-data --repair` (docs/validation.md#repair): makes the targets equal to the source again for the
 * rows validation found different, then compares those rows again.
 *
 *   MISSING_TARGET, RECORD_DIFF  re-copied through the running task: an incremental snapshot of the table limited to
 *                                those keys (Debezium's additional-conditions; runtime/src/snapshot), so the rows travel
 *                                the task's own path (mapping, LOB handling, sinks) and the snapshot's watermarks keep
 *                                a row that changes meanwhile from being overwritten with an older version.
 *   MISSING_SOURCE               deleted on the target, by a DELETE that matches the row's key and every compared
 *                                column's value as validation read it, and only while the source still lacks the key:
 *                                a row that the stream re-inserted or changed meanwhile is left alone.
 *
 * Then each repaired key is read on both sides until they agree (the snapshot's rows reach the targets a moment after
 * the snapshot is done) or the time is up; what still differs is reported and stays in the failures table.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SignalStatus } from '../../../core/src/types.ts';
import { literal, quote, tableSql } from '../../../runtime/src/validation/engine-sql.ts';
import { sleep } from '../../../runtime/src/pipeline/retry.ts';
import { keyRows, keyTextsKey } from '../../../runtime/src/validation/key-rows.ts';
import type { RowRate, Semaphore } from '../../../runtime/src/validation/limits.ts';
import type { Mismatch, SqlClient, ValidationEngine } from '../../../runtime/src/validation/model.ts';
import { compareRows } from '../../../runtime/src/validation/row-compare.ts';
import type { ValidationTablePlan } from '../../../runtime/src/validation/table-plan.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { ControlClient } from '../task/control-client.ts';
import type { PooledClient } from './clients.ts';

export interface RepairTarget {
  readonly name: string;
  readonly client: PooledClient;
  readonly tables: readonly { readonly table: string; readonly plan: ValidationTablePlan; readonly mismatches: readonly Mismatch[] }[];
}

export interface RepairOptions {
  readonly task: ResolvedTask;
  /** The task file, for messages. */
  readonly file: string;
  readonly source: SqlClient;
  readonly targets: readonly RepairTarget[];
  readonly slots: Semaphore;
  readonly rate: RowRate;
  /** How long to wait for the re-copy and for the rows to agree (default 600,000 ms). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

export interface TableRepair {
  readonly source: string;
  readonly target: string;
  /** Keys re-copied through the task (MISSING_TARGET, RECORD_DIFF). */
  readonly recopied: number;
  /** Target rows deleted (MISSING_SOURCE). */
  readonly deleted: number;
  /** What still differs after the repair. */
  readonly remaining: readonly Mismatch[];
}

export interface RepairReport {
  /** The incremental snapshots that re-copied the rows. */
  readonly snapshots: readonly SignalStatus[];
  readonly tables: readonly TableRepair[];
}

/** The longest SQL condition one signal carries (the control API takes bodies up to 64 KiB). */
const MAX_CONDITION = 40_000;

/** SQL conditions (source dialect) that select exactly `keys`, each at most MAX_CONDITION long. */
export function keyConditions(plan: ValidationTablePlan, engine: ValidationEngine, keys: readonly Mismatch['key'][]): string[] {
  const pairs = plan.pairs.slice(0, plan.keyCount);
  const parts: string[] = [];
  if (plan.rangeColumn && plan.keyCount === 1) {
    // One integer key column: runs of consecutive values as BETWEEN, the rest in IN lists.
    const col = quote(engine, plan.rangeColumn.source);
    const values = [...new Set(keys.map((k) => BigInt(k[pairs[0]!.source]!)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const singles: string[] = [];
    for (let i = 0; i < values.length;) {
      let j = i;
      while (j + 1 < values.length && values[j + 1] === values[j]! + 1n) j++;
      if (j - i >= 2) parts.push(`${col} BETWEEN ${values[i]} AND ${values[j]}`);
      else for (let k = i; k <= j; k++) singles.push(String(values[k]));
      i = j + 1;
    }
    for (let i = 0; i < singles.length; i += 2000) parts.push(`${col} IN (${singles.slice(i, i + 2000).join(', ')})`);
  } else {
    const exprs = plan.sourceExprs.slice(0, plan.keyCount);
    for (const k of keys) parts.push(`(${pairs.map((p, i) => `${exprs[i]!.expr} = ${literal(engine, k[p.source] ?? '')}`).join(' AND ')})`);
  }
  const out: string[] = [];
  let cur = '';
  for (const p of parts) {
    if (cur !== '' && cur.length + p.length + 4 > MAX_CONDITION) { out.push(cur); cur = ''; }
    cur = cur === '' ? p : `${cur} OR ${p}`;
  }
  if (cur !== '') out.push(cur);
  return out;
}

export async function repairMismatches(o: RepairOptions): Promise<RepairReport> {
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const say = o.onProgress ?? (() => undefined);
  const client = new ControlClient(o.task, { file: o.file });
  await client.list(); // the task must be running before anything changes: fails with how to start it

  // Keys to re-copy per source table (over every target: re-copying a row a target already has changes nothing).
  const recopy = new Map<string, { plan: ValidationTablePlan; keys: Map<string, Mismatch['key']> }>();
  for (const t of o.targets) {
    for (const x of t.tables) {
      for (const m of x.mismatches) {
        if (m.type === 'MISSING_SOURCE') continue;
        let e = recopy.get(x.table);
        if (!e) recopy.set(x.table, (e = { plan: x.plan, keys: new Map() }));
        e.keys.set(keyTextsKey(x.plan, m.key), m.key);
      }
    }
  }
  const snapshots: SignalStatus[] = [];
  for (const [table, e] of recopy) {
    for (const condition of keyConditions(e.plan, o.source.engine, [...e.keys.values()])) {
      const { id } = await client.send({ type: 'execute-snapshot', tables: [table], conditions: { [table]: condition } });
      say(`repair: re-copying ${e.keys.size} rows of ${table} through the task (incremental snapshot ${id})`);
      snapshots.push(await waitFor(client, id, deadline, o.signal));
    }
  }
  const failed = snapshots.filter((s) => s.status !== 'done');
  if (failed.length > 0) throw new FerryError('FERRY_SOURCE_ERROR', `the re-copy did not finish: ${failed.map((s) => `${s.id} ${s.status}${s.error ? ` (${s.error})` : ''}`).join('; ')}`);

  const tables: TableRepair[] = [];
  for (const t of o.targets) {
    for (const x of t.tables) {
      if (x.mismatches.length === 0) continue;
      const deleted = await deleteExtraRows(o, t, x.plan, x.mismatches.filter((m) => m.type === 'MISSING_SOURCE'));
      const remaining = await settle(o, t.client, x.plan, x.mismatches, deadline);
      say(`repair: ${x.table} → ${t.name}: ${x.mismatches.length - remaining.length} of ${x.mismatches.length} rows now equal`);
      tables.push({ source: x.table, target: `${x.plan.target.schema}.${x.plan.target.table}`, recopied: x.mismatches.filter((m) => m.type !== 'MISSING_SOURCE').length, deleted, remaining });
    }
  }
  return { snapshots, tables };
}

async function waitFor(client: ControlClient, id: string, deadline: number, signal?: AbortSignal): Promise<SignalStatus> {
  for (;;) {
    const s = (await client.list()).find((x) => x.id === id);
    if (!s) throw new FerryError('FERRY_SOURCE_ERROR', `the task no longer knows incremental snapshot ${id} (restarted?): run validate-data --repair again`);
    if (s.status === 'done' || s.status === 'failed' || s.status === 'stopped') return s;
    if (signal?.aborted) throw new FerryError('FERRY_ABORTED', 'repair was cancelled');
    if (Date.now() > deadline) throw new FerryError('FERRY_SOURCE_ERROR', `incremental snapshot ${id} has not finished in time (${s.status}, ${s.rowsEmitted} rows): see \`ferry snapshot <task-file> --status\``);
    await sleep(300, signal);
  }
}

/** Deletes the target rows the source lacks, each only if it still holds the values validation read. */
async function deleteExtraRows(o: RepairOptions, t: RepairTarget, plan: ValidationTablePlan, extra: readonly Mismatch[]): Promise<number> {
  if (extra.length === 0) return 0;
  const rows = await keyRows(plan, { source: o.source, target: t.client, slots: o.slots, rate: o.rate, ...(o.signal ? { signal: o.signal } : {}) }, extra.map((m) => m.key));
  const engine = t.client.engine;
  let deleted = 0;
  for (const m of extra) {
    const k = keyTextsKey(plan, m.key);
    const row = rows.target.get(k);
    if (!row || rows.source.has(k)) continue; // gone already, or the source has the key again (the stream brings it)
    const where = plan.targetExprs.map((e, i) => (row[i] === null ? `${e.expr} IS NULL` : `${e.expr} = ${literal(engine, row[i]!)}`)).join(' AND ');
    await t.client.execute(`DELETE FROM ${tableSql(engine, plan.target)} WHERE ${where}`);
    deleted++;
  }
  return deleted;
}

/** Reads the keys on both sides until they agree or the deadline passes; returns what still differs. */
async function settle(o: RepairOptions, target: SqlClient, plan: ValidationTablePlan, mismatches: readonly Mismatch[], deadline: number): Promise<Mismatch[]> {
  let keys = mismatches.map((m) => m.key);
  const end = Math.min(deadline, Date.now() + 60_000);
  for (;;) {
    const rows = await keyRows(plan, { source: o.source, target, slots: o.slots, rate: o.rate, ...(o.signal ? { signal: o.signal } : {}) }, keys);
    const still: Mismatch[] = [];
    for (const key of keys) {
      const k = keyTextsKey(plan, key);
      const s = rows.source.get(k);
      const t = rows.target.get(k);
      still.push(...compareRows(plan, s ? [s] : [], t ? [t] : []));
    }
    if (still.length === 0 || Date.now() > end) return still;
    keys = still.map((m) => m.key);
    await sleep(500, o.signal);
  }
}
