/**
 * `withTaskEvents`: a stage around the task's source (composed in app/src/task/TaskRunner.ts) that emits the events
 * the change stream carries, each once it is durable: a batch is noted when read, and its events are emitted when the
 * pipeline acknowledges its checkpoint (after every sink has it and its offset is committed), as withTaskStatistics
 * counts. So "full load completed" means the whole full load is in the sinks, and a crash before the commit re-reads
 * the batch and emits the event again with the same idempotency id (keyed by the position).
 *
 *   full-load-completed   the batch with snapshotDone (key: its checkpoint)
 *   cdc-started           full-load-and-cdc: with full-load-completed (the stream starts at that checkpoint; same
 *                         key); a run that starts in the stream (migrationType cdc, or resuming after the full load):
 *                         when reading begins (key: the resume position; a fresh cdc task: a random id)
 *   schema-change         each DDL of ChangeBatch.schemaChanges (key: its position, database and statement)
 */
import type { ChangeBatch, Position, SchemaChange, SourceConnector } from '../../../core/src/types.ts';
import type { TaskEventEmitter, TaskEventInput } from './task-events.ts';

interface Noted {
  readonly checkpoint: Position | null;
  readonly events: readonly TaskEventInput[];
}

export function withTaskEvents(source: SourceConnector, events: TaskEventEmitter | undefined, o: { readonly migrationType: 'full-load' | 'cdc' | 'full-load-and-cdc' }): SourceConnector {
  if (!events) return source;
  const pending: Noted[] = [];
  const wrapped: SourceConnector = {
    async *read(ctx) {
      const resume = ctx.resumeFrom;
      if (o.migrationType === 'cdc' || (o.migrationType === 'full-load-and-cdc' && resume?.snapshotDone === true)) {
        events.emit({
          category: 'cdc-started', ...(resume ? { key: `resume@${resume.position}` } : {}),
          message: resume ? `CDC started: reading the log from ${resume.position}` : 'CDC started: reading the log from its current end',
          details: { position: resume?.position ?? null, resumed: resume !== null },
        });
      }
      for await (const batch of source.read(ctx)) {
        const noted = eventsOf(batch, o.migrationType === 'full-load-and-cdc');
        if (noted.length > 0 || pending.length > 0) pending.push({ checkpoint: batch.checkpoint, events: noted });
        yield batch;
      }
    },
    acknowledge: async (position) => {
      let upTo = -1;
      for (let i = 0; i < pending.length; i++) if (pending[i]!.checkpoint === position) upTo = i;
      if (upTo >= 0) for (const p of pending.splice(0, upTo + 1)) for (const e of p.events) events.emit(e);
      await source.acknowledge(position);
    },
    close: () => source.close(),
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}

function eventsOf(batch: ChangeBatch, streamsAfterLoad: boolean): TaskEventInput[] {
  const out: TaskEventInput[] = [];
  for (const c of batch.schemaChanges ?? []) out.push(schemaChangeEvent(c));
  if (batch.snapshotDone && batch.checkpoint !== null) {
    const rows = batch.events.filter((e) => e.op === 'r').length;
    out.push({
      category: 'full-load-completed', key: batch.checkpoint,
      message: `full load completed: every selected table is loaded and durable in the sinks; the stream continues from ${batch.checkpoint}`,
      details: { position: batch.checkpoint, rowsInLastBatch: rows },
    });
    if (streamsAfterLoad) out.push({ category: 'cdc-started', key: `resume@${batch.checkpoint}`, message: `CDC started: reading the log from ${batch.checkpoint}`, details: { position: batch.checkpoint, resumed: false } });
  }
  return out;
}

function schemaChangeEvent(c: SchemaChange): TaskEventInput {
  const table = c.source.table ? `${c.databaseName}.${c.source.table.split(',')[0]}` : undefined;
  const ddl = c.ddl.length > 2000 ? `${c.ddl.slice(0, 2000)}…` : c.ddl;
  return {
    category: 'schema-change', key: `${c.source.position}\u0000${c.databaseName}\u0000${c.ddl}`,
    ...(table !== undefined ? { table } : {}),
    message: `schema change in ${c.databaseName}${c.source.table ? ` (${c.source.table})` : ''}: ${ddl.replace(/\s+/g, ' ').slice(0, 200)}`,
    details: { database: c.databaseName, tables: c.source.table ? c.source.table.split(',') : [], ddl, position: c.source.position, tsMs: c.source.tsMs },
  };
}
