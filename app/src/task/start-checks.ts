/**
 * What `ferry run` checks before it starts a task, with the source catalog (read-only, as `ferry plan`): the table
 * mapping selects at least one table (FERRY_NO_TABLES_SELECTED), and no two selected tables share a destination
 * (FERRY_DESTINATION_COLLISION). Returns the destinations of the selected tables, which the destination guard
 * (runtime/src/pipeline/destination-guard.ts) extends with each table created while the task runs.
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { Logger, SourceConnector } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { compileMapping } from '../../../runtime/src/mapping/transform-rules.ts';
import { withDestinationGuard } from '../../../runtime/src/pipeline/destination-guard.ts';
import { noTablesSelectedError, readSourceCatalog } from '../checks/source-catalog.ts';
import { collisionError, DestinationMap, targetIdOf } from './destinations.ts';

/**
 * Throws FERRY_NO_TABLES_SELECTED or FERRY_DESTINATION_COLLISION. A catalog that cannot be read is logged and
 * skipped: the source reports its own connection errors (and retries those that may clear up), and the guard still
 * checks each table as its first event comes by.
 */
export async function checkBeforeStart(task: ResolvedTask, log: Logger): Promise<DestinationMap> {
  const map = new DestinationMap(task);
  let catalog;
  try {
    catalog = await readSourceCatalog(task);
  } catch (e: unknown) {
    log.warn({ err: e }, `cannot read the source catalog before the start (${errorMessage(e)}): the selected tables and their destinations are checked as their events come`);
    return map;
  }
  if (catalog === null) return map;
  if (catalog.selected.length === 0) throw noTablesSelectedError(task, catalog.listed);
  const mapping = compileMapping(task.tableMappings);
  const collisions = catalog.tables.flatMap((t) => map.add(t.id, targetIdOf(mapping, t)));
  if (collisions.length > 0) throw collisionError(collisions);
  return map;
}

/** The source (after the table mapping) with each new table's destinations checked before its first event goes on. */
export function guardDestinations(source: SourceConnector, map: DestinationMap): SourceConnector {
  return withDestinationGuard(source, {
    admit(src, target) {
      const collisions = map.add(src, target.id);
      if (collisions.length > 0) throw collisionError(collisions);
    },
  });
}
