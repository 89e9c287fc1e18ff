/**
 * A task's source, built by the source plugin that serves its engine (app/src/plugins.ts), which loads its
 * driver lazily so a task only loads the driver it uses.
 */
import type { Logger, MetricsRegistry, SourceConnector } from '../../../core/src/types.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { sourcePlugin } from '../plugins.ts';
import { signalSelector, withSignalChannels } from '../../../runtime/src/signals/signal-channels.ts';

export interface SourceDeps {
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

export async function createSource(task: ResolvedTask, deps: SourceDeps): Promise<SourceConnector> {
  const selector = createTableSelector(task.tableMappings);
  // settings.signals (docs/signals.md): the signal table is captured whatever the mapping selects; the kafka channel runs beside the source.
  return withSignalChannels(await sourcePlugin(task.source.engine).create({
    source: task.source,
    taskName: task.name,
    migrationType: task.migrationType,
    selector: signalSelector(selector, task.settings.signals),
    topicPrefix: task.kafka?.topicPrefix ?? task.name,
    settings: task.settings,
    stateDir: task.settings.stateDir,
    log: deps.log,
    metrics: deps.metrics,
  }), { settings: task.settings.signals, selector, kafka: task.kafka, log: deps.log });
}
