/**
 * An independent reader for the lake: DuckDB's own read_parquet / read_csv over the files (downloaded from S3
 * first), rebuilding the latest row per key with the dedup rule docs/sinks/s3-lake.md gives readers.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ObjectStore } from '../../../../runtime/src/storage/object-store.ts';
import { COLUMNS_V2, duckCanonicalSql, normalizeRead } from '../../../../test/helpers/sink-kit/fixtures.ts';

/** Copies every object of the store under `prefix` into a local folder (same relative paths); returns the folder. */
export async function download(store: ObjectStore, prefix = ''): Promise<{ dir: string; keys: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lake-read-'));
  const keys = await store.list(prefix);
  for (const k of keys) {
    const p = join(dir, ...k.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, await store.get(k));
  }
  return { dir, keys };
}

export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    await c.run("SET TimeZone='UTC'");
    const r = await c.runAndReadAll(sql);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

export interface LakeState {
  /** Canonical rows of the latest state (deletes applied). */
  readonly rows: string[];
  /** Rows in all files. */
  readonly changes: number;
  /** Rows that are a repeat of another row's (partition, offset) — or (position, event, key) in direct mode. */
  readonly duplicates: number;
}

/**
 * The latest state of a table from its files: dedupe on the change identity, then the last change per key
 * (Kafka: highest offset; direct: highest position, ordinal), dropping keys whose last change is a delete.
 */
export async function latestState(files: string, mode: 'kafka' | 'direct', format: 'parquet' | { csv: string } = 'parquet'): Promise<LakeState> {
  const src = format === 'parquet' ? `read_parquet('${files}', union_by_name = true, hive_partitioning = false)` : format.csv;
  const order = mode === 'kafka' ? '_kafka_offset DESC' : '_source_position DESC, _source_event DESC';
  const ident = mode === 'kafka' ? '_kafka_partition, _kafka_offset' : '_source_position, _source_event, id';
  const present = new Set((await query(`DESCRIBE SELECT * FROM ${src}`)).map((d) => d.column_name));
  // A column no file has yet (e.g. one added later) reads as NULL.
  const cols = COLUMNS_V2.map((c) => (present.has(c.name) ? `${duckCanonicalSql(c)} AS "${c.name}"` : `NULL AS "${c.name}"`)).join(', ');
  const [counts] = await query(`SELECT count(*) AS n, count(*) - count(DISTINCT (${ident})) AS dup FROM ${src}`);
  const rows = await query(`
    WITH changes AS (SELECT * FROM ${src}),
    latest AS (SELECT *, row_number() OVER (PARTITION BY id ORDER BY ${order}) AS rn FROM changes)
    SELECT ${cols} FROM latest WHERE rn = 1 AND "Op" <> 'D'`);
  return {
    rows: rows.map((r) => COLUMNS_V2.map((c) => normalizeRead(c, (r[c.name] as string | null) ?? null)).join('|')),
    changes: Number(counts!.n),
    duplicates: Number(counts!.dup),
  };
}
