/**
 * The failures table on a database target, like DMS's awsdms_validation_failures_v1: one row per mismatch, in the
 * sink's state schema (postgres: `stateSchema`, default public) or state database (mysql: `stateDatabase`, else
 * `database`, else ferry), next to _ferry_sink_offsets. Each run replaces the rows of the tables it validated
 * (one transaction), so the table always holds the last result of each table.
 *
 *   task_name     the task's name
 *   source_table  schema.table in the source
 *   table_schema, table_name   the target table
 *   key_json      the row's key as JSON: source key column → canonical text
 *   failure_type  RECORD_DIFF, MISSING_SOURCE or MISSING_TARGET
 *   columns_json  RECORD_DIFF: the differing source columns as a JSON array; else []
 *   detected_at   when this run found it (UTC)
 */
import type { TableValidationResult } from '../../../runtime/src/validation/model.ts';
import type { PooledClient } from './clients.ts';

export const FAILURES_TABLE = 'ferry_validation_failures';

const qp = (n: string): string => `"${n.replace(/"/g, '""')}"`;
const qm = (n: string): string => `\`${n.replace(/`/g, '``')}\``;

/** Replaces the failures of the validated tables of `task` with the mismatches of `results`. */
export async function recordFailures(client: PooledClient, stateSchema: string, task: string, results: readonly TableValidationResult[], detectedAt: Date): Promise<number> {
  const my = client.engine === 'mysql';
  const t = my ? `${qm(stateSchema)}.${qm(FAILURES_TABLE)}` : `${qp(stateSchema)}.${qp(FAILURES_TABLE)}`;
  const rows: unknown[][] = [];
  for (const r of results) {
    for (const m of r.mismatches) {
      rows.push([task, `${r.source.schema}.${r.source.table}`, r.target.schema, r.target.table, JSON.stringify(m.key), m.type, JSON.stringify(m.columns), detectedAt]);
    }
  }
  if (my) {
    await client.execute(`CREATE DATABASE IF NOT EXISTS ${qm(stateSchema)}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${t} (id BIGINT AUTO_INCREMENT PRIMARY KEY, task_name VARCHAR(255) NOT NULL, source_table VARCHAR(512) NOT NULL, table_schema VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL,
      key_json LONGTEXT NOT NULL, failure_type VARCHAR(32) NOT NULL, columns_json LONGTEXT NOT NULL, detected_at DATETIME(6) NOT NULL, KEY ferry_validation_failures_task (task_name, table_schema, table_name)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } else {
    await client.execute(`CREATE SCHEMA IF NOT EXISTS ${qp(stateSchema)}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${t} (id bigserial PRIMARY KEY, task_name text NOT NULL, source_table text NOT NULL, table_schema text NOT NULL, table_name text NOT NULL,
      key_json jsonb NOT NULL, failure_type text NOT NULL, columns_json jsonb NOT NULL, detected_at timestamptz NOT NULL)`);
    await client.execute(`CREATE INDEX IF NOT EXISTS ferry_validation_failures_task ON ${t} (task_name, table_schema, table_name)`);
  }
  // One transaction: delete the validated tables' old rows, insert the new ones.
  const statements: { sql: string; values: unknown[] }[] = [];
  for (const r of results) statements.push({ sql: `DELETE FROM ${t} WHERE task_name = ${my ? '?' : '$1'} AND table_schema = ${my ? '?' : '$2'} AND table_name = ${my ? '?' : '$3'}`, values: [task, r.target.schema, r.target.table] });
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const placeholders = chunk.map((_, j) => (my ? '(?, ?, ?, ?, ?, ?, ?, ?)' : `(${Array.from({ length: 8 }, (_x, k) => `$${j * 8 + k + 1}`).join(', ')})`)).join(', ');
    statements.push({ sql: `INSERT INTO ${t} (task_name, source_table, table_schema, table_name, key_json, failure_type, columns_json, detected_at) VALUES ${placeholders}`, values: chunk.flat() });
  }
  await client.transaction(statements);
  return rows.length;
}
