/**
 * PyIceberg reading a table through the REST catalog (rest_read_iceberg.py), rows turned into text by DuckDB as the
 * SQL-catalog reader (pyiceberg.ts) does: the independent reader of the REST-catalog sink tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { pyicebergPython, type PyIcebergRead } from './pyiceberg.ts';

const run = promisify(execFile);

export async function readWithPyIcebergRest(o: { uri: string; token: string; table: string; columns?: readonly { name: string; sql: string }[] }): Promise<PyIcebergRead> {
  const py = await pyicebergPython();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pyiceberg-rest-'));
  try {
    const out = join(dir, 'rows.parquet');
    const r = await run(py, [join(import.meta.dirname, 'rest_read_iceberg.py'), o.uri, o.token, o.table, out], { maxBuffer: 16 << 20 })
      .catch((e: { stderr?: string; message: string }) => {
        throw new Error(`PyIceberg (REST) could not read ${o.table}: ${(e.stderr ?? e.message).split('\n').slice(-6).join('\n')}`);
      });
    const meta = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<PyIcebergRead, 'rows'>;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone='UTC'");
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
