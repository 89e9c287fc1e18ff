/**
 * The latest state per key of a table in a Parquet lake (sinks/s3-lake, docs/sinks/s3-lake.md), as canonical texts
 * for state-compare.ts. The table's files (`<location>/<schema>/<table>/**.parquet`) are listed and downloaded to a
 * temporary folder (DuckDB's httpfs extension is not assumed to be installable), then read with DuckDB
 * (`read_parquet`, columns by name: older files lack later columns) and reduced as the lake's readers are told to:
 * rows older than a truncate (`Op = 'T'`) of their Kafka partition (or, in direct mode, source position) are dropped;
 * per key the last change wins — highest `_kafka_offset` (a key lives in one partition), else highest
 * (`_source_position`, `_source_event`) — and a key whose last change is `D` is gone. Repeated copies of one change
 * (a redelivered batch) are identical, so either may win. Each column is read as text in SQL (lakeTextSql) and
 * canonicalized in Ferry (lakeCanonical).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import { openObjectStore, type S3Options } from '../../../runtime/src/storage/object-store.ts';
import { throwIfAborted } from '../../../runtime/src/validation/limits.ts';
import { DEFAULT_MAX_STATE_ROWS, type StatePlan, type TargetState } from '../../../runtime/src/validation/state-compare.ts';
import { lakeCanonical, lakeTextSql } from '../../../runtime/src/validation/wire-canonical.ts';
import { tableFolder } from '../../../sinks/s3-lake/src/naming.ts';

export interface LakeStateOptions {
  readonly location: string;
  readonly s3?: S3Options;
  readonly opColumn: string;
  readonly maxRows?: number;
  readonly signal?: AbortSignal;
}

const q = (n: string): string => `"${n.replace(/"/g, '""')}"`;
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export async function readLakeState(plan: StatePlan, o: LakeStateOptions): Promise<TargetState> {
  const max = o.maxRows ?? DEFAULT_MAX_STATE_ROWS;
  const store = await openObjectStore(o.location, o.s3);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-validate-lake-'));
  try {
    const folder = tableFolder('', plan.target).replace(/^\/+/, '');
    const keys = (await store.list(folder)).filter((k) => k.endsWith('.parquet'));
    const files: string[] = [];
    for (const k of keys) {
      throwIfAborted(o.signal);
      const p = join(dir, ...k.split('/'));
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, await store.get(k));
      files.push(p);
    }
    if (files.length === 0) return { rows: new Map(), absent: new Set(), records: 0 };
    return await reduce(plan, files, o.opColumn, max);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}

async function reduce(plan: StatePlan, files: readonly string[], opColumn: string, max: number): Promise<TargetState> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await inst.connect();
  try {
    await c.run("SET TimeZone = 'UTC'");
    await c.run(`CREATE VIEW lake AS SELECT * FROM read_parquet([${files.map(lit).join(', ')}], union_by_name = true, hive_partitioning = false)`);
    const types = new Map<string, string>();
    for (const r of (await c.runAndReadAll('DESCRIBE lake')).getRowObjectsJS()) types.set(String(r.column_name), String(r.column_type));
    if (!types.has(opColumn)) throw new FerryError('FERRY_SINK_ERROR', `the lake files of ${plan.target.schema}.${plan.target.table} have no ${opColumn} column: not a change log Ferry wrote`);
    const missingKey = plan.pairs.slice(0, plan.keyCount).filter((p) => !types.has(p.target));
    if (missingKey.length > 0) throw new FerryError('FERRY_SINK_ERROR', `the lake files of ${plan.target.schema}.${plan.target.table} have no key column ${missingKey.map((p) => p.target).join(', ')}`);
    const absent = new Set(plan.pairs.map((p, i) => (types.has(p.target) ? -1 : i)).filter((i) => i >= 0));
    const has = (n: string): boolean => types.has(n);
    const op = q(opColumn);
    // The change order: Kafka offset within a key's partition, else the source position and event ordinal.
    const order = [has('_kafka_offset') ? '_kafka_offset DESC NULLS LAST' : '', has('_source_position') ? '_source_position DESC NULLS LAST' : '', has('_source_event') ? '_source_event DESC NULLS LAST' : ''].filter((x) => x !== '');
    if (order.length === 0) throw new FerryError('FERRY_SINK_ERROR', `the lake files of ${plan.target.schema}.${plan.target.table} have no _kafka_offset or _source_position column: the change order is unknown`);
    // Rows before the latest truncate of their partition (Kafka) or before its position (direct) are dropped.
    const afterTruncate = has('_kafka_offset')
      ? `NOT EXISTS (SELECT 1 FROM lake t WHERE t.${op} = 'T' AND ((t._kafka_offset IS NOT NULL AND t._kafka_partition = l._kafka_partition AND t._kafka_offset > l._kafka_offset)${has('_source_position') ? ' OR (t._kafka_offset IS NULL AND l._kafka_offset IS NULL AND t._source_position > l._source_position)' : ''}))`
      : `NOT EXISTS (SELECT 1 FROM lake t WHERE t.${op} = 'T' AND t._source_position > l._source_position)`;
    const keys = plan.pairs.slice(0, plan.keyCount).map((p) => q(p.target)).join(', ');
    const select = plan.pairs.map((p, i) => (absent.has(i) ? 'NULL' : lakeTextSql(p.target, types.get(p.target)!))).join(', ');
    const records = Number((await c.runAndReadAll('SELECT count(*) FROM lake')).getRows()[0]?.[0] ?? 0);
    const anyTruncate = Number((await c.runAndReadAll(`SELECT count(*) FROM lake WHERE ${op} = 'T'`)).getRows()[0]?.[0] ?? 0) > 0;
    const sql = `SELECT ${select} FROM (
      SELECT *, row_number() OVER (PARTITION BY ${keys} ORDER BY ${order.join(', ')}) AS ferry_rn
      FROM lake l WHERE l.${op} IS DISTINCT FROM 'T'${anyTruncate ? ` AND ${afterTruncate}` : ''}) x
      WHERE ferry_rn = 1 AND ${op} IS DISTINCT FROM 'D'`;
    const rows = new Map<string, (string | null)[]>();
    const result = await c.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const r of chunk.getRows()) {
        const row = plan.pairs.map((p, i) => (absent.has(i) ? null : lakeCanonical(p, types.get(p.target)!, r[i] === null ? null : String(r[i]))));
        rows.set(JSON.stringify(row.slice(0, plan.keyCount)), row);
      }
      if (rows.size > max) throw new FerryError('FERRY_UNSUPPORTED', `the lake table ${plan.target.schema}.${plan.target.table} holds more than ${max.toLocaleString('en-US')} keys: too many to validate in memory`);
    }
    return { rows, absent, records };
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}
