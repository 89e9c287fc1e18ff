/**
 * The selected tables as TableSchemas, read from information_schema without streaming or writing anything
 * (for `ferry plan`). The same definitions and type mapping the snapshot uses.
 */
import type { TableSchema } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { openMySql, type MySqlConnectionConfig } from './mysql-connection.ts';
import { listSelectedTables, readTableDefs, tableKey, toTableSchema } from './mysql-schema.ts';

export interface DescribedTables {
  readonly connector: 'mysql' | 'mariadb';
  readonly tables: readonly TableSchema[];
  /** Tables whose definition cannot be mapped (unknown column type), with the reason. */
  readonly problems: readonly { readonly table: string; readonly message: string }[];
}

export async function describeMySqlTables(config: MySqlConnectionConfig, selector: TableSelector): Promise<DescribedTables> {
  const conn = await openMySql(config);
  try {
    const [v] = await conn.query('SELECT VERSION() AS v');
    const isMariaDb = /mariadb/i.test(String((v as { v: unknown }[])[0]?.v));
    const ids = await listSelectedTables(conn, selector);
    const defs = await readTableDefs(conn, ids, isMariaDb);
    const tables: TableSchema[] = [];
    const problems: { table: string; message: string }[] = [];
    for (const id of ids) {
      const def = defs.get(tableKey(id));
      if (!def) continue;
      try {
        tables.push(toTableSchema(def, 1));
      } catch (e: unknown) {
        problems.push({ table: tableKey(id), message: (e as Error).message });
      }
    }
    return { connector: isMariaDb ? 'mariadb' : 'mysql', tables, problems };
  } finally {
    await conn.end().catch(() => undefined);
  }
}
