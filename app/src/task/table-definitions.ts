/**
 * Target table definitions for relational sinks, at the start of `ferry run` (direct mode) and `ferry sink` (sink
 * workers): the source catalog of the selected tables is read once (the source plugin's readCatalog, as `ferry plan`
 * and `ferry convert-schema` read it), converted for each sink's dialect and target schema with the task's table
 * mapping (runtime/src/schema-conversion), and handed to the sink (RecordSink.useTableDefinitions). The sink creates
 * the tables it prepares from these: converted types, defaults, primary and unique keys, checks, secondary indexes.
 *
 * When there is no catalog (the source has no reader, or a sink worker cannot reach the source, e.g. the topics come
 * from Debezium), each such sink is told why, one log line says so, and the sink creates tables from the event schema.
 */
import { errorMessage } from '../../../core/src/errors.ts';
import type { SourceCatalog } from '../../../core/src/catalog.ts';
import type { RecordSink, TableDefinitions } from '../../../core/src/record-sink.ts';
import type { Logger, TableSchema } from '../../../core/src/types.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { convertSchema } from '../../../runtime/src/schema-conversion/convert.ts';
import { tableDefinitions } from '../../../runtime/src/schema-conversion/table-definitions.ts';
import { sourcePlugin } from '../plugins.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';

export interface NamedSink {
  readonly name: string;
  readonly sink: RecordSink;
}

/** Reads the catalog once and hands every sink that takes table definitions its converted tables (or why there are none). */
export async function handTableDefinitions(task: ResolvedTask, sinks: readonly NamedSink[], log: Logger): Promise<void> {
  const wanting = sinks.filter((s) => s.sink.useTableDefinitions !== undefined && s.sink.tableDefinitions !== undefined);
  if (wanting.length === 0) return;
  let catalog: SourceCatalog | undefined;
  let described: readonly TableSchema[] = [];
  let unavailable: string | undefined;
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.readCatalog) {
    unavailable = `the ${task.source.engine} source has no catalog reader`;
  } else {
    const o = { source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) };
    try {
      catalog = await plugin.readCatalog(o);
      // The Connect types the table mapping's data-type locators match on (as convert-schema reads them).
      if (plugin.describeTables) described = (await plugin.describeTables(o)).tables;
    } catch (e: unknown) {
      unavailable = `cannot read the source catalog (${task.source.engine} at ${task.source.host}:${task.source.port}): ${errorMessage(e)}`;
    }
  }
  for (const s of wanting) {
    const req = s.sink.tableDefinitions!;
    let given: TableDefinitions;
    if (catalog === undefined) {
      given = { unavailable: unavailable ?? 'no source catalog' };
    } else {
      try {
        const converted = convertSchema({ catalog, described, mapping: task.tableMappings, target: req.dialect, ...(req.schema ? { targetSchema: req.schema } : {}) });
        given = { tables: tableDefinitions(converted), from: `the ${catalog.engine} ${catalog.serverVersion} catalog` };
      } catch (e: unknown) {
        given = { unavailable: `the schema conversion failed: ${errorMessage(e)}` };
      }
    }
    if ('unavailable' in given) {
      log.warn({ target: s.name }, `target ${s.name}: no table definitions from the source catalog (${given.unavailable}); tables it creates come from the event schema (no defaults, unique keys, secondary indexes or checks)`);
    } else {
      log.info({ target: s.name, tables: given.tables.length }, `target ${s.name}: ${given.tables.length} table definitions converted from ${given.from}`);
    }
    s.sink.useTableDefinitions!(given);
  }
}
