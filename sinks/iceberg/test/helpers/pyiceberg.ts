/**
 * PyIceberg as the independent reader of the Iceberg sink's tests: infra/pyiceberg.sh makes its venv (pinned, from
 * PyPI); read_iceberg.py scans a table through the SQL catalog and writes the rows it sees to a Parquet file, which
 * DuckDB turns into the sink kit's canonical text.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../../..');

let python: Promise<string> | undefined;

/** The venv's python (installs PyIceberg on first use). */
export function pyicebergPython(): Promise<string> {
  python ??= run(join(ROOT, 'infra/pyiceberg.sh'), ['install'], { maxBuffer: 1 << 20 }).then((r) => r.stdout.trim().split('\n').pop()!);
  return python;
}

export interface PyIcebergRead {
  readonly rows: Record<string, unknown>[];
  readonly summary: Record<string, string> | null;
  readonly files: number;
  readonly deletes: number;
  readonly schema: string[];
}

/** PyIceberg's rows of a table, each column turned into text by `canonicalSql` (DuckDB SQL over the column). */
export async function readWithPyIceberg(o: {
  catalogUri: string; catalogName: string; table: string; s3Endpoint?: string;
  columns?: readonly { name: string; sql: string }[];
}): Promise<PyIcebergRead> {
  const py = await pyicebergPython();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pyiceberg-'));
  try {
    const out = join(dir, 'rows.parquet');
    const args = [join(import.meta.dirname, 'read_iceberg.py'), o.catalogUri, o.catalogName, o.table, out, ...(o.s3Endpoint ? [o.s3Endpoint] : [])];
    const r = await run(py, args, { maxBuffer: 16 << 20 }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`PyIceberg could not read ${o.table}: ${(e.stderr ?? e.message).split('\n').slice(-6).join('\n')}`);
    });
    const meta = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<PyIcebergRead, 'rows'>;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone='UTC'");
      // A column the table lacks (not yet added) reads as NULL.
      const cols = o.columns === undefined ? '*' : o.columns.map((c) => `${meta.schema.includes(c.name) ? c.sql : 'NULL'} AS "${c.name}"`).join(', ');
      const rows = (await conn.runAndReadAll(`SELECT ${cols} FROM read_parquet('${out}')`)).getRowObjects() as Record<string, unknown>[];
      return { ...meta, rows };
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
