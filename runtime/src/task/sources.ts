/**
 * Source plugins by engine, loaded lazily so a task only loads the driver it uses.
 * Adding a source: one line here (compare powersync's service/src/util/modules.ts).
 */
import type { Logger, MetricsRegistry, SourceConnector } from '../core/types.ts';
import type { ResolvedTask } from '../config/load-task.ts';
import { createTableSelector } from '../mapping/table-selection.ts';

export interface SourceDeps {
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

export async function createSource(task: ResolvedTask, deps: SourceDeps): Promise<SourceConnector> {
  const selector = createTableSelector(task.tableMappings);
  switch (task.source.engine) {
    case 'mysql':
    case 'mariadb': {
      const { createMySqlSource } = await import('../../../connectors/mysql-binlog/src/MySqlSource.ts');
      return createMySqlSource({
        config: task.source,
        migrationType: task.migrationType,
        selector,
        topicPrefix: task.kafka?.topicPrefix ?? task.name,
        settings: task.settings,
        stateDir: task.settings.stateDir,
        log: deps.log,
        metrics: deps.metrics,
      });
    }
    case 'postgres': {
      const { createPgSource } = await import('../../../connectors/postgres-logical/src/PgSource.ts');
      return createPgSource({
        config: task.source,
        migrationType: task.migrationType,
        selector,
        topicPrefix: task.kafka?.topicPrefix ?? task.name,
        settings: task.settings,
        stateDir: task.settings.stateDir,
        log: deps.log,
        metrics: deps.metrics,
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
