/**
 * The refusals of an `execute-snapshot` signal that both sources share (incremental-snapshotter.ts re-exports it).
 */
import type { TableId } from '../../../core/src/types.ts';
import type { TableSelector } from '../mapping/table-selection.ts';
/** What a source knows of the tables a signal names ('<schema>.<table>' keys). */
export interface SnapshotTableFacts {
  /** Named tables the source does not have. */
  readonly missing: readonly string[];
  /** Named tables without a primary key. */
  readonly noKey: readonly string[];
}

/**
 * Why an `execute-snapshot` signal's tables cannot be re-snapshotted, or null: the refusals both sources share
 * (a full-load task, a malformed name, a table outside the mapping, a missing or key-less table).
 */
export async function snapshotTablesProblem(tables: readonly string[], o: {
  readonly fullLoad: boolean;
  readonly selector: TableSelector;
  /** How the source spells a table name in the message, e.g. '<database>.<table>'. */
  readonly nameForm: string;
  readonly facts: (ids: readonly TableId[]) => Promise<SnapshotTableFacts>;
}): Promise<string | null> {
  if (o.fullLoad) return 'this task is a full load: it does not stream, so it cannot run incremental snapshots';
  const ids: TableId[] = [];
  for (const t of tables) {
    const dot = typeof t === 'string' ? t.indexOf('.') : -1;
    if (dot <= 0 || dot === t.length - 1) return `"${String(t)}" is not a table name: write ${o.nameForm}`;
    const id = { schema: t.slice(0, dot), table: t.slice(dot + 1) };
    if (!o.selector.includes(id)) return `${t} is not selected by the task's table mappings`;
    ids.push(id);
  }
  const { missing, noKey } = await o.facts(ids);
  if (missing.length > 0) return `unknown table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: not found on the source`;
  if (noKey.length > 0) return `${noKey.join(', ')} ha${noKey.length > 1 ? 've' : 's'} no primary key: incremental snapshots read tables in key order`;
  return null;
}
