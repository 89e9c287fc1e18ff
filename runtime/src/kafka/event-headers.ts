/**
 * Kafka headers Ferry adds to a change event's record (docs/event-format.md "Headers").
 *
 * `ferry.unchanged-toast`: the columns whose values an UPDATE left unchanged out of line (TOAST) and the PostgreSQL
 * source read by key under REPLICA IDENTITY DEFAULT (ChangeEvent.unchangedToast; connectors/postgres-logical/src/
 * toast-lookup.ts), as a JSON array of column names. The values in the record are real ones, never a placeholder.
 */
import type { ChangeEvent } from '../../../core/src/types.ts';

export const UNCHANGED_TOAST_HEADER = 'ferry.unchanged-toast';

/** An event's headers, or undefined when it has none (most events). */
export function eventHeaders(e: ChangeEvent): ReadonlyMap<string, Buffer> | undefined {
  return e.unchangedToast ? new Map([[UNCHANGED_TOAST_HEADER, Buffer.from(JSON.stringify(e.unchangedToast))]]) : undefined;
}
