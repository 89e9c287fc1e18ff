/**
 * PyIceberg as the independent reader of the Iceberg sink's tests: infra/pyiceberg.sh makes its venv (pinned, from
 * PyPI); read_iceberg.py (one process per test file, requests on stdin) scans a table through the SQL catalog and
 * writes the rows it sees to a Parquet file, which DuckDB turns into the sink kit's canonical text.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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

interface Server {
  readonly child: ChildProcessWithoutNullStreams;
  readonly answers: AsyncIterator<string>;
}

let server: Promise<Server> | undefined;
let queue: Promise<unknown> = Promise.resolve();

async function start(): Promise<Server> {
  const child = spawn(await pyicebergPython(), [join(import.meta.dirname, 'read_iceberg.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  process.once('exit', () => child.kill());
  return { child, answers };
}

/** Ends the reader process (tests call it in `after`; it also ends with the test process). */
export async function stopPyIceberg(): Promise<void> {
  const s = await server;
  server = undefined;
  s?.child.stdin.end();
  s?.child.kill();
}

export interface PyIcebergRead {
  readonly rows: Record<string, unknown>[];
  readonly summary: Record<string, string> | null;
  readonly files: number;
  readonly deletes: number;
  readonly schema: string[];
  /** The current schema's fields as PyIceberg sees them. */
  readonly fields: { id: number; name: string; type: string; required: boolean }[];
  readonly identifier: number[];
  /** Snapshots in the table metadata. */
  readonly snapshots: number;
  /** Earlier metadata files in the metadata log (one per commit since creation, up to 100). */
  readonly metadataLog: number;
}

async function ask(req: object): Promise<Omit<PyIcebergRead, 'rows'> & { error?: string; trace?: string }> {
  server ??= start();
  const s = await server;
  s.child.stdin.write(`${JSON.stringify(req)}\n`);
  const line = await s.answers.next();
  if (line.done) throw new Error('the PyIceberg reader exited');
  return JSON.parse(line.value) as Omit<PyIcebergRead, 'rows'>;
}

/** PyIceberg's rows of a table, each column turned into text by `sql` (DuckDB SQL over the column; absent: NULL). */
export async function readWithPyIceberg(o: {
  catalogUri: string; catalogName: string; table: string; s3Endpoint?: string;
  columns?: readonly { name: string; sql: string }[];
  /** A PyIceberg row filter (e.g. "created >= '2020-01-01T00:00:00'"): PyIceberg prunes files by partition values and bounds. */
  filter?: string;
}): Promise<PyIcebergRead> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pyiceberg-'));
  try {
    const out = join(dir, 'rows.parquet');
    const turn = queue.then(() => ask({ uri: o.catalogUri, name: o.catalogName, table: o.table, out, s3: o.s3Endpoint ?? null, filter: o.filter ?? null }));
    queue = turn.catch(() => undefined);
    const meta = await turn;
    if (meta.error !== undefined) throw new Error(`PyIceberg could not read ${o.table}: ${meta.error}\n${meta.trace ?? ''}`);
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
