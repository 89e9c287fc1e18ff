/**
 * A resumed initial snapshot reads the tables it had not finished in a NEW snapshot, taken at position S, while the
 * change stream replays from the interrupted snapshot's position C < S. For a table with a primary key the replayed
 * changes between C and S are harmless (upserts and deletes by key converge). A table without a key is read again
 * whole at S, so its rows already contain those changes: replaying them too would insert rows twice (and a replayed
 * delete would remove a duplicate). So, per such table, the stream drops its changes committed before the position
 * its rows were read at ("the keyless replay"), until the stream has passed them all.
 *
 * The keyless replay must survive restarts until then: the sources record each keyless table's read position in the
 * snapshot progress (`at`), and this wrapper adds `keylessReplay: { "schema.table": position }` to the state of every
 * checkpointed stream batch while it filters; a source resuming change capture reads it back (keylessReplayOf).
 *
 * A position must not be later than the snapshot it stands for (a change committed before it is visible in that
 * snapshot): a source that cannot tell exactly takes a position read before the snapshot was taken, so a change in the
 * small window between can only be applied twice, never lost.
 */
import { comparePositions } from '../../../core/src/position.ts';
import type { ChangeBatch, Position } from '../../../core/src/types.ts';

/** "schema.table" of a keyless table → the position its rows were read at. */
export type KeylessReplay = ReadonlyMap<string, Position>;

/** The keyless replay recorded in a stored offset's state, or null. */
export function keylessReplayOf(state: Readonly<Record<string, unknown>> | undefined): Map<string, Position> | null {
  const r = state?.keylessReplay;
  if (typeof r !== 'object' || r === null) return null;
  const out = new Map<string, Position>();
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) if (typeof v === 'string') out.set(k, v as Position);
  return out.size > 0 ? out : null;
}

/** The keyless replay from a snapshot's table progress (tables done with `at`), for a state written before the stream's. */
export function keylessReplayOfProgress(tables: Readonly<Record<string, { readonly at?: Position }>> | undefined): Map<string, Position> | null {
  const out = new Map<string, Position>();
  for (const [k, p] of Object.entries(tables ?? {})) if (p.at !== undefined) out.set(k, p.at);
  return out.size > 0 ? out : null;
}

/** The stream without the keyless replay's changes; checkpointed batches record it in their state while it lasts. */
export async function* withoutReplayedKeylessChanges(stream: AsyncIterable<ChangeBatch>, replay: KeylessReplay | null, stateVersion: number): AsyncGenerator<ChangeBatch> {
  if (replay === null || replay.size === 0) {
    yield* stream;
    return;
  }
  const last = [...replay.values()].reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
  const record = Object.fromEntries(replay);
  let filtering = true;
  for await (const b of stream) {
    if (!filtering) {
      yield b;
      continue;
    }
    const events = b.events.filter((e) => {
      const at = replay.get(`${e.table.id.schema}.${e.table.id.table}`);
      return at === undefined || comparePositions(e.source.position, at) >= 0;
    });
    if (b.checkpoint !== null && comparePositions(b.checkpoint, last) >= 0) {
      filtering = false;
      yield events.length === b.events.length ? b : { ...b, events };
      continue;
    }
    yield { ...b, events, ...(b.checkpoint !== null ? { state: { ...(b.state ?? { v: stateVersion }), keylessReplay: record } } : {}) };
  }
}
