/**
 * Secondary unique keys on a MySQL/MariaDB target that a relational sink writes into (docs/sinks/mysql.md).
 *
 * The sink upserts with `INSERT … ON DUPLICATE KEY UPDATE` and full-loads with `LOAD DATA … REPLACE`; both act on a
 * conflict with ANY unique key. When a batch moves a unique value from one row to another (a swap, or net changes
 * applied in key order), the server would update or replace the row that still holds the value: the wrong row. So a
 * table the sink creates gets its secondary unique keys as plain indexes of the same name (lookups stay fast; the
 * source enforces uniqueness), and `ferry convert-schema --apply --after-load` makes them unique once the target has
 * caught up. PostgreSQL targets keep them unique (deferred to commit; the sink's upserts arbitrate on the primary key).
 */
import type { ConvertedTable } from './convert.ts';

const UNIQUE_CONSTRAINT = /^CONSTRAINT (`(?:[^`]|``)+`) UNIQUE (\(.*\))$/s;
const UNIQUE_INDEX = /^CREATE UNIQUE INDEX (`(?:[^`]|``)+`) ON (.+?) (\(.*\))$/s;

/** A CREATE TABLE line or index statement with its uniqueness removed (other statements unchanged). */
export function uniqueAsPlainIndex(sql: string): string {
  const c = UNIQUE_CONSTRAINT.exec(sql);
  if (c) return `KEY ${c[1]} ${c[2]}`;
  return sql.replace(/^CREATE UNIQUE INDEX /, 'CREATE INDEX ');
}

export interface UniqueKeyPromotion {
  /** The index name, unquoted. */
  readonly name: string;
  /** One ALTER TABLE that swaps the plain index for the unique key, atomically. */
  readonly sql: string;
}

/** The statements that make a converted table's secondary unique keys unique again (after uniqueAsPlainIndex). */
export function uniqueKeyPromotions(t: ConvertedTable, tableSql: string): UniqueKeyPromotion[] {
  const out: UniqueKeyPromotion[] = [];
  const name = (q: string) => q.slice(1, -1).replaceAll('``', '`');
  for (const k of t.ddl.constraints) {
    const m = k.kind === 'unique' ? UNIQUE_CONSTRAINT.exec(k.sql) : null;
    if (m) out.push({ name: name(m[1]!), sql: `ALTER TABLE ${tableSql} DROP INDEX ${m[1]}, ADD ${k.sql}` });
  }
  for (const s of t.ddl.indexes) {
    const m = UNIQUE_INDEX.exec(s);
    if (m) out.push({ name: name(m[1]!), sql: `ALTER TABLE ${tableSql} DROP INDEX ${m[1]}, ADD UNIQUE INDEX ${m[1]} ${m[3]}` });
  }
  return out;
}
