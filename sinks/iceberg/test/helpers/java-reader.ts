/**
 * Apache Iceberg's Java library as the second independent reader (infra/iceberg-java.sh: iceberg-core 1.10.0 from
 * Maven Central, JdbcCatalog + IcebergGenerics, which applies position and equality deletes).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../../../infra/iceberg-java.sh');

let built: Promise<unknown> | undefined;

export interface JavaRead {
  readonly rows: Record<string, string | null>[];
  readonly fields: { id: number; name: string; type: string; required: boolean }[];
  readonly identifier: number[];
  readonly summary: Record<string, string> | null;
}

export async function readWithJava(o: { jdbcUri: string; catalogName: string; table: string; warehouse: string }): Promise<JavaRead> {
  built ??= run(SCRIPT, ['install'], { maxBuffer: 1 << 20 });
  await built;
  const r = await run(SCRIPT, ['read', o.jdbcUri, o.catalogName, o.table, o.warehouse], { maxBuffer: 256 << 20 }).catch((e: { stderr?: string; message: string }) => {
    throw new Error(`the Java Iceberg reader could not read ${o.table}: ${(e.stderr ?? e.message).split('\n').slice(0, 8).join('\n')}`);
  });
  return JSON.parse(r.stdout) as JavaRead;
}
