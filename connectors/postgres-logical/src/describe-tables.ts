/**
 * The selected tables as TableSchemas, read from the catalog without a slot, a publication or any write
 * (for `ferry plan`). The same definitions and type mapping (TableCodec) the snapshot uses; columns of types
 * Ferry cannot map are left out of events, as when streaming, and reported.
 */
import type { TableSchema } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { openSession, type PgConnectionConfig } from './pg-connection.ts';
import { listSelectedTables, readTableDefs, tableKey, TypeRegistry } from './pg-catalog.ts';
import { TableCodec } from './table-codec.ts';
import { DEFAULT_VALUE_MODES, type ValueModes } from './type-mapping.ts';

export interface DescribedTables {
  readonly connector: 'postgresql';
  readonly tables: readonly TableSchema[];
  readonly problems: readonly { readonly table: string; readonly message: string }[];
}

/** `modes`: the source block's value modes, so the described types are the ones the events carry. */
export async function describePgTables(config: PgConnectionConfig, selector: TableSelector, modes: ValueModes = DEFAULT_VALUE_MODES): Promise<DescribedTables> {
  const client = await openSession(config, { applicationName: 'ferry-plan' });
  try {
    const types = new TypeRegistry();
    await types.load(client);
    const selected = await listSelectedTables(client, selector);
    const defs = await readTableDefs(client, selected.map((t) => t.relid));
    const tables: TableSchema[] = [];
    const problems: { table: string; message: string }[] = [];
    for (const t of selected) {
      const def = defs.get(t.relid);
      if (!def) continue;
      try {
        const codec = new TableCodec({ ...def, columns: def.columns.filter((c) => !c.generated) }, 1, types, modes);
        tables.push(codec.schema);
        for (const s of codec.skipped) problems.push({ table: tableKey(t), message: `column ${s.name} is left out of events: ${s.reason}` });
      } catch (e: unknown) {
        problems.push({ table: tableKey(t), message: (e as Error).message });
      }
    }
    return { connector: 'postgresql', tables, problems };
  } finally {
    await client.end().catch(() => undefined);
  }
}
