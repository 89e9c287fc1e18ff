/**
 * The destination guard: a stage that hands each table to `admit` the first time one of its events comes by, before
 * the batch that holds it goes on to the sinks. The app's `admit` (app/src/task/destinations.ts) compares the table's
 * destinations (topic, target tables, folders) with those of the tables seen before and throws
 * FERRY_DESTINATION_COLLISION when two tables would share one: the batch is never yielded, so no event of the
 * colliding table reaches a sink, and the pipeline stops the task after writing the batches before it.
 *
 * It wraps the source after the table mapping: an event's table is the target table, and its source block still
 * names the source table.
 */
import type { ChangeBatch, ChangeEvent, SourceConnector, TableId, TableSchema } from '../../../core/src/types.ts';

/** The source table of an event (as runtime/src/lob/LobStage.ts's sourceTableOf; kept here so sink descriptors that import kafkaTopicKey stay cheap). */
function sourceTableOf(e: ChangeEvent): TableId {
  return { schema: e.source.connector === 'postgresql' ? e.source.schema ?? e.source.db : e.source.db, table: e.source.table };
}

export interface DestinationGuardOptions {
  /**
   * Called once per source table and target table pair, the first time an event of it is read: `source` is the
   * source table, `target` the table after the mapping. Throws to stop the task.
   */
  readonly admit: (source: TableId, target: TableSchema) => void;
}

/**
 * Kafka refuses a topic whose name differs from an existing one only by '.' versus '_' (both become '_' in its
 * metric names: "Topic 'a_b' collides with existing topics: a.b"), so topics are compared with both folded to '_'.
 */
export function kafkaTopicKey(topic: string): string {
  return topic.replaceAll('.', '_');
}

export function withDestinationGuard(source: SourceConnector, options: DestinationGuardOptions): SourceConnector {
  const seen = new Set<string>();
  // The events of a batch mostly share one table object and source table: those skip building the key.
  let lastTable: TableSchema | undefined;
  let lastDb: string | undefined;
  let lastSchema: string | undefined;
  let lastSourceTable: string | undefined;
  const check = (batch: ChangeBatch) => {
    for (const e of batch.events) {
      if (e.table === lastTable && e.source.table === lastSourceTable && e.source.db === lastDb && e.source.schema === lastSchema) continue;
      const source = sourceTableOf(e);
      const key = `${source.schema}\u0000${source.table}\u0000${e.table.id.schema}\u0000${e.table.id.table}`;
      if (!seen.has(key)) {
        options.admit(source, e.table);
        seen.add(key);
      }
      lastTable = e.table;
      lastDb = e.source.db;
      lastSchema = e.source.schema;
      lastSourceTable = e.source.table;
    }
  };
  const wrapped: SourceConnector = {
    async *read(ctx) {
      for await (const batch of source.read(ctx)) {
        check(batch);
        yield batch;
      }
    },
    acknowledge: (position) => source.acknowledge(position),
    close: () => source.close(),
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}
