/**
 * Source plugins by engine, loaded lazily so a task only loads the driver it uses.
 * Adding a source: one line here (compare powersync's service/src/util/modules.ts).
 */
import type { Logger, MetricsRegistry, SourceConnector } from '../../../core/src/types.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';

export interface SourceDeps {
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

export async function createSource(task: ResolvedTask, deps: SourceDeps): Promise<SourceConnector> {
  // What every source takes; each adds its own connection config and options.
  const common = {
    migrationType: task.migrationType,
    selector: createTableSelector(task.tableMappings),
    topicPrefix: task.kafka?.topicPrefix ?? task.name,
    settings: task.settings,
    stateDir: task.settings.stateDir,
    log: deps.log,
    metrics: deps.metrics,
  };
  switch (task.source.engine) {
    case 'mysql':
    case 'mariadb': {
      const { createMySqlSource } = await import('../../../connectors/mysql-binlog/src/MySqlSource.ts');
      return createMySqlSource({ ...common, config: task.source });
    }
    case 'postgres': {
      const { createPgSource } = await import('../../../connectors/postgres-logical/src/PgSource.ts');
      return createPgSource({
        ...common,
        config: task.source,
        taskName: task.name,
        heartbeatIntervalMs: task.settings.heartbeatIntervalMs,
        ...(task.source.slotName ? { slotName: task.source.slotName } : {}),
        ...(task.source.publicationName ? { publicationName: task.source.publicationName } : {}),
      });
    }
  }
}

export function connectorName(engine: ResolvedTask['source']['engine']): 'mysql' | 'mariadb' | 'postgresql' {
  return engine === 'postgres' ? 'postgresql' : engine;
}
