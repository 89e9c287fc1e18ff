/**
 * A resumed initial snapshot reads the tables it had not finished in a NEW snapshot, taken at position S, while the
 * change stream replays from the interrupted snapshot's position C < S. For a table with a primary key the replayed
 * changes between C and S are harmless (upserts and deletes by key converge). A table without a key is read again
 * whole at S, so its rows already contain those changes: replaying them too would insert rows twice (and a replayed
 * delete would remove a duplicate). This filter drops, from the stream, the changes of such tables committed before S.
 *
 * `before` must not be later than the new snapshot (a change committed before it is visible in the snapshot): a
 * source that cannot tell exactly takes a position read before the snapshot was taken, so a change in the small
 * window between can only be applied twice, never lost.
 */
import { comparePositions } from '../../../core/src/position.ts';
import type { ChangeBatch, Position } from '../../../core/src/types.ts';

export interface ResumedKeylessTables {
  /** "schema.table" of the keyless tables read again in the new snapshot. */
  readonly tables: ReadonlySet<string>;
  /** S: where the new snapshot starts to see changes. */
  readonly before: Position;
}

export async function* withoutReplayedKeylessChanges(stream: AsyncIterable<ChangeBatch>, o: ResumedKeylessTables | null): AsyncGenerator<ChangeBatch> {
  if (o === null || o.tables.size === 0) {
    yield* stream;
    return;
  }
  let filtering = true;
  for await (const b of stream) {
    if (!filtering) {
      yield b;
      continue;
    }
    const events = b.events.filter((e) => !(o.tables.has(`${e.table.id.schema}.${e.table.id.table}`) && comparePositions(e.source.position, o.before) < 0));
    if (b.checkpoint !== null && comparePositions(b.checkpoint, o.before) >= 0) filtering = false;
    yield events.length === b.events.length ? b : { ...b, events };
  }
}
