/**
 * Transactional apply's script mode (PostgresSink): a source transaction whose statements can be sent as one script
 * with their values written in, and the group of consecutive transactions sent in one round trip (each still its own
 * BEGIN … COMMIT with its positions).
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';

/** Source transactions sent together (transactional apply): their script, and each one's positions and runs. */
export interface Grouped {
  readonly script: string[];
  readonly txs: { readonly advance: readonly (readonly [string, string])[]; readonly runs: readonly SinkRecord[][] }[];
}

/** A group is sent at this many transactions or statements. */
export const GROUP_TRANSACTIONS = 200;
export const GROUP_STATEMENTS = 2000;

/** Whether a run's statements can be inlined into a script (sql.inline): no `$` in the names it uses. */
export function scriptable(run: readonly SinkRecord[]): boolean {
  const t = run[0]!.table;
  return !t.schema.includes('$') && !t.table.includes('$') && run.every((r) => r.table === t || !r.table.columns.some((c) => c.name.includes('$'))) && !t.columns.some((c) => c.name.includes('$'));
}
