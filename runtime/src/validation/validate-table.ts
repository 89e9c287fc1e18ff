/**
 * Validates one table (docs/validation.md#how-a-table-is-compared):
 *
 *   range-checksum   the source's first (integer) key column is cut into ranges of about `chunkRows` rows by walking
 *                    its index; each range's count and checksum are computed in both databases; a range that differs
 *                    is cut into parts of about `leafRows` rows (at most 64, equal key width) whose counts and
 *                    checksums one grouped query per side returns; differing parts are pulled and compared in Node
 *                    (or cut again when they still hold more rows).
 *                    The first and last ranges are unbounded, so target rows beyond the source's keys are found too.
 *   range-rows       the same ranges, every one pulled and compared in Node (a json column).
 *   bucket-checksum  keys that are not integers: rows are grouped by a hash of their canonical key into buckets of
 *                    about `chunkRows` rows (collation-independent), one count-and-checksum scan per side; buckets
 *                    that differ are pulled and compared in Node.
 *   bucket-rows      every bucket pulled and compared, a few buckets per scan.
 *
 * Read-only on both sides. Every range query holds one slot of the shared semaphore and is charged to the rate limit.
 */
import { andWhere, bucketChecksumSql, bucketWhere, checksumSql, estimateRows, keyAfterSql, keyWalkSql, partsChecksumSql, quote, rangeWhere, rowsSql, tableSql, type KeyRange } from './engine-sql.ts';
import { throwIfAborted, type RowRate, type Semaphore } from './limits.ts';
import type { Mismatch, SqlClient, TableValidationResult } from './model.ts';
import { compareRows } from './row-compare.ts';
import type { ValidationTablePlan } from './table-plan.ts';

export interface ValidateTableOptions {
  readonly source: SqlClient;
  readonly target: SqlClient;
  readonly slots: Semaphore;
  readonly rate: RowRate;
  /** Rows per range or bucket (default 20,000). */
  readonly chunkRows?: number;
  /** A differing range is compared row by row once it holds at most this many rows (default 500). */
  readonly leafRows?: number;
  /** Most mismatches kept per table (the rest are counted). Default 10,000. */
  readonly maxFailures?: number;
  /** Range workers of this table (default 2); each query still takes a slot of `slots`. */
  readonly concurrency?: number;
  /** Called with the source rows of each range once it is validated. */
  readonly onRows?: (rows: number) => void;
  readonly signal?: AbortSignal;
}

interface Counters {
  sourceRows: number;
  targetRows: number;
  ranges: number;
  mismatchedRanges: number;
  rowsCompared: number;
  failures: number;
}

export async function validateTable(plan: ValidationTablePlan, o: ValidateTableOptions): Promise<TableValidationResult> {
  const started = Date.now();
  const c: Counters = { sourceRows: 0, targetRows: 0, ranges: 0, mismatchedRanges: 0, rowsCompared: 0, failures: 0 };
  const mismatches: Mismatch[] = [];
  const max = o.maxFailures ?? 10_000;
  const record = (found: readonly Mismatch[]): void => {
    c.failures += found.length;
    for (const m of found) if (mismatches.length < max) mismatches.push(m);
  };
  if (plan.method === 'range-checksum' || plan.method === 'range-rows') await byRanges(plan, o, c, record);
  else await byBuckets(plan, o, c, record);
  return {
    source: plan.source, target: plan.target, method: plan.method, columns: plan.pairs, skippedColumns: plan.skipped,
    sourceRows: c.sourceRows, targetRows: c.targetRows, ranges: c.ranges, mismatchedRanges: c.mismatchedRanges, rowsCompared: c.rowsCompared,
    mismatches, failures: c.failures, durationMs: Date.now() - started,
  };
}

/** One query on each side at once, under a slot and the rate limit. */
async function both(o: ValidateTableOptions, sourceSql: string, targetSql: string) {
  await o.rate.wait(o.signal);
  throwIfAborted(o.signal);
  return o.slots.run(() => Promise.all([o.source.query(sourceSql, o.signal), o.target.query(targetSql, o.signal)]));
}

async function byRanges(plan: ValidationTablePlan, o: ValidateTableOptions, c: Counters, record: (m: readonly Mismatch[]) => void): Promise<void> {
  const chunk = o.chunkRows ?? 20_000;
  const leaf = o.leafRows ?? 500;
  const rc = plan.rangeColumn!;
  const se = o.source.engine;
  const te = o.target.engine;
  const rowsMode = plan.method === 'range-rows';
  const sf = plan.sourceFilter;

  const compareLeaf = async (r: KeyRange): Promise<readonly [number, number]> => {
    const [s, t] = await both(o, rowsSql(se, plan.source, plan.sourceExprs, andWhere(rangeWhere(se, rc.source, r), sf)), rowsSql(te, plan.target, plan.targetExprs, rangeWhere(te, rc.target, r)));
    c.rowsCompared += s.length + t.length;
    record(compareRows(plan, s, t));
    o.rate.charge(s.length);
    return [s.length, t.length];
  };

  /** The range's bounds made finite from both sides' smallest and largest keys in it (to split an open range). */
  const finite = async (r: KeyRange): Promise<KeyRange | null> => {
    const q = (e: typeof se, col: string, t: typeof plan.source) => `SELECT ${e === 'mysql' ? `CAST(MIN(${quote(e, col)}) AS CHAR), CAST(MAX(${quote(e, col)}) AS CHAR)` : `min(${quote(e, col)})::text, max(${quote(e, col)})::text`} FROM ${tableSql(e, t)}${rangeWhere(e, col, r)}`;
    const [s, t] = await both(o, q(se, rc.source, plan.source), q(te, rc.target, plan.target));
    const lows = [s[0]?.[0], t[0]?.[0]].filter((x): x is string => x !== null && x !== undefined).map(BigInt);
    const highs = [s[0]?.[1], t[0]?.[1]].filter((x): x is string => x !== null && x !== undefined).map(BigInt);
    if (lows.length === 0) return null;
    const lo = lows.reduce((a, b) => (a < b ? a : b));
    const hi = highs.reduce((a, b) => (a > b ? a : b)) + 1n;
    return { lo: String(lo), hi: String(hi) };
  };

  /** Validates a range: equal checksums end it; else it is split or compared row by row. Returns its source rows. */
  const check = async (r: KeyRange, top: boolean): Promise<void> => {
    if (rowsMode) {
      c.ranges++;
      const [sn, tn] = await compareLeaf(r);
      if (top) { c.sourceRows += sn; c.targetRows += tn; o.onRows?.(sn); }
      return;
    }
    const [s, t] = await both(o, checksumSql(se, plan.source, plan.sourceExprs, andWhere(rangeWhere(se, rc.source, r), sf)), checksumSql(te, plan.target, plan.targetExprs, rangeWhere(te, rc.target, r)));
    c.ranges++;
    const sn = Number(s[0]?.[0] ?? 0);
    const tn = Number(t[0]?.[0] ?? 0);
    o.rate.charge(sn);
    if (top) { c.sourceRows += sn; c.targetRows += tn; }
    if (sn !== tn || s[0]?.[1] !== t[0]?.[1]) {
      c.mismatchedRanges++;
      await narrow(r, Math.max(sn, tn));
    }
    if (top) o.onRows?.(sn);
  };

  const narrow = async (r: KeyRange, rows: number): Promise<void> => {
    if (rows <= leaf) { await compareLeaf(r); return; }
    const f = r.lo === null || r.hi === null ? await finite(r) : r;
    if (!f) return;
    const lo = BigInt(f.lo!);
    const hi = BigInt(f.hi!);
    if (hi - lo <= 1n) { await compareLeaf(f); return; } // one value of the first key column: compare all its rows
    // Split in parts of about `leaf` rows (at most 64) of equal key width, checksummed in one grouped scan per side;
    // a part that differs is compared row by row, or split again when it still holds more rows.
    const parts = BigInt(Math.min(64, Math.ceil(rows / leaf)));
    const width = (hi - lo + parts - 1n) / parts;
    const [s, t] = await both(o, partsChecksumSql(se, plan.source, plan.sourceExprs, rc.source, f, width, sf), partsChecksumSql(te, plan.target, plan.targetExprs, rc.target, f, width));
    c.ranges += Number(parts);
    const sm = new Map(s.map((x) => [x[0], x]));
    const tm = new Map(t.map((x) => [x[0], x]));
    const differing = [...new Set([...sm.keys(), ...tm.keys()])].filter((p) => sm.get(p)?.[1] !== tm.get(p)?.[1] || sm.get(p)?.[2] !== tm.get(p)?.[2]);
    c.mismatchedRanges += differing.length;
    await Promise.all(differing.map((p) => {
      const a = lo + BigInt(p!) * width;
      const b = a + width < hi ? a + width : hi;
      return narrow({ lo: String(a), hi: String(b) }, Math.max(Number(sm.get(p)?.[1] ?? 0), Number(tm.get(p)?.[1] ?? 0)));
    }));
  };

  // Range boundaries by walking the source's key index, `chunk` rows at a time; ranges start while the walk goes on.
  const queue: KeyRange[] = [];
  let walking = true;
  /** A range failed: the walk and the other workers stop (the table's error is the first failure). */
  let failed = false;
  let wake: (() => void) | undefined;
  const walk = (async () => {
    try {
      let lo: string | null = null;
      while (!failed) {
        throwIfAborted(o.signal);
        const rows = await o.slots.run(() => o.source.query(keyWalkSql(se, plan.source, rc.source, lo, chunk), o.signal));
        let next = rows[0]?.[0] ?? null;
        // More than `chunk` rows share the first key column's value (a composite key): the range ends at the next value.
        if (next !== null && next === lo) next = (await o.slots.run(() => o.source.query(keyAfterSql(se, plan.source, rc.source, lo!), o.signal)))[0]?.[0] ?? null;
        if (next === null) { queue.push({ lo, hi: null }); break; }
        queue.push({ lo, hi: next });
        lo = next;
        wake?.();
      }
    } catch (e: unknown) {
      failed = true;
      throw e;
    } finally {
      walking = false;
      wake?.();
    }
  })();
  const workers = Array.from({ length: Math.max(1, o.concurrency ?? 2) }, async () => {
    while (!failed) {
      const r = queue.shift();
      if (r) {
        try {
          await check(r, true);
        } catch (e: unknown) {
          failed = true;
          throw e;
        }
        continue;
      }
      if (!walking) return;
      await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50); });
    }
  });
  await Promise.all([walk, ...workers]);
}

async function byBuckets(plan: ValidationTablePlan, o: ValidateTableOptions, c: Counters, record: (m: readonly Mismatch[]) => void): Promise<void> {
  const chunk = o.chunkRows ?? 20_000;
  const se = o.source.engine;
  const te = o.target.engine;
  let [es, et] = await Promise.all([estimateRows(o.source, plan.source), estimateRows(o.target, plan.target)]);
  // No statistics yet (a table never analyzed): count, so a large table does not become one bucket.
  if (es === 0 && et === 0) {
    const [s, t] = await both(o, `SELECT COUNT(*) FROM ${tableSql(se, plan.source)}`, `SELECT COUNT(*) FROM ${tableSql(te, plan.target)}`);
    es = Number(s[0]?.[0] ?? 0);
    et = Number(t[0]?.[0] ?? 0);
  }
  const buckets = Math.max(1, Math.ceil(Math.max(es, et) / chunk));
  const keysS = plan.sourceExprs.slice(0, plan.keyCount);
  const keysT = plan.targetExprs.slice(0, plan.keyCount);
  let differing: number[];
  if (plan.method === 'bucket-checksum') {
    const [s, t] = await both(o, bucketChecksumSql(se, plan.source, keysS, plan.sourceExprs, buckets, plan.sourceFilter), bucketChecksumSql(te, plan.target, keysT, plan.targetExprs, buckets));
    const sm = new Map(s.map((r) => [Number(r[0]), `${r[1]}/${r[2]}`]));
    const tm = new Map(t.map((r) => [Number(r[0]), `${r[1]}/${r[2]}`]));
    for (const r of s) c.sourceRows += Number(r[1]);
    for (const r of t) c.targetRows += Number(r[1]);
    c.ranges += buckets;
    differing = Array.from({ length: buckets }, (_, i) => i).filter((b) => sm.get(b) !== tm.get(b));
    c.mismatchedRanges += differing.length;
    o.rate.charge(c.sourceRows);
    o.onRows?.(c.sourceRows);
  } else {
    differing = Array.from({ length: buckets }, (_, i) => i);
    c.ranges += buckets;
  }
  // A few buckets per scan: each scan reads the whole table on both sides, so group to about 10 chunks of rows.
  const perScan = 10;
  for (let i = 0; i < differing.length; i += perScan) {
    const group = differing.slice(i, i + perScan);
    const [s, t] = await both(o, rowsSql(se, plan.source, plan.sourceExprs, andWhere(bucketWhere(se, keysS, buckets, group), plan.sourceFilter)), rowsSql(te, plan.target, plan.targetExprs, bucketWhere(te, keysT, buckets, group)));
    c.rowsCompared += s.length + t.length;
    record(compareRows(plan, s, t));
    o.rate.charge(s.length);
    if (plan.method === 'bucket-rows') {
      c.sourceRows += s.length;
      c.targetRows += t.length;
      o.onRows?.(s.length);
    }
  }
}
