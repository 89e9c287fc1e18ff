/**
 * settings.cdcStopPosition, the runtime's part (the sources find the point: connectors/*\/src/cdc-stop*.ts): the
 * batch a source marks `stopReached` is committed at once with the stop recorded in the offset state
 * (`cdcStopReached: { point, position, at }`, shown by `ferry offsets show`), and the read ends there, so the pipeline
 * commits it and the task finishes (exit 0). A restart of a task whose stored offset records the same stop point ends
 * at once; with another stop point (or none) it streams on from the stored position.
 */
import type { ChangeBatch, Logger, Position, SourceConnector, StoredOffset } from '../../../core/src/types.ts';

export interface CdcStopRecord { readonly point: string; readonly position: Position; readonly at: string }

/** The stop point a stored offset records as reached, or null. */
export function cdcStopReachedOf(offset: Pick<StoredOffset, 'state'> | null | undefined): CdcStopRecord | null {
  const r = offset?.state?.cdcStopReached as Partial<CdcStopRecord> | undefined;
  return r && typeof r.point === 'string' && typeof r.position === 'string' ? r as CdcStopRecord : null;
}

export function withCdcStopPoint(source: SourceConnector, stopPoint: string | undefined, log: Logger): SourceConnector {
  if (stopPoint === undefined) return source;
  const point = stopPoint.trim();
  const wrapped: SourceConnector = {
    async *read(ctx) {
      const done = cdcStopReachedOf(ctx.resumeFrom);
      if (done !== null && done.point === point) {
        log.info({ stop: point, position: done.position, reachedAt: done.at }, `the task already reached its stop point ${point} (at ${done.position}, ${done.at}): nothing to do. To stream on, change or remove settings.cdcStopPosition`);
        return;
      }
      for await (const batch of source.read(ctx)) {
        if (batch.stopReached === undefined || batch.checkpoint === null) {
          yield batch;
          continue;
        }
        const record: CdcStopRecord = { point, position: batch.checkpoint, at: new Date().toISOString() };
        const last: ChangeBatch = { ...batch, state: { ...(batch.state ?? {}), cdcStopReached: record }, commitNow: true };
        log.info({ stop: point, position: batch.checkpoint }, `reached the stop point ${point}: everything before it is written; committing ${batch.checkpoint} and ending the task`);
        yield last;
        return;
      }
    },
    acknowledge: (position) => source.acknowledge(position),
    close: () => source.close(),
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}
