/**
 * `signals.table` in `ferry validate`: the signal table named by settings.signals.dataCollection exists on the source
 * and has Debezium's debezium_signal columns id, type and data (docs/signals.md). Read-only, through the source
 * plugin's catalog reader with a selector that selects the signal table only.
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { fail, ok, type CheckResult } from '../../../core/src/check-result.ts';
import { signalTableOf } from '../../../runtime/src/config/signal-settings.ts';
import { signalTableId } from '../../../runtime/src/signals/signal-channels.ts';
import { sourcePlugin } from '../plugins.ts';

const COLUMNS = ['id', 'type', 'data'] as const;

/** What to create: Debezium's layout, in the source's dialect. */
function createSql(task: ResolvedTask, name: string): string {
  const { schema, table } = signalTableId(name);
  const q = task.source.engine === 'postgres' ? (s: string) => `"${s}"` : (s: string) => `\`${s}\``;
  return `CREATE TABLE ${q(schema)}.${q(table)} (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`;
}

/** The check, or null when the task has no signal table. */
export async function checkSignalTable(task: ResolvedTask): Promise<CheckResult | null> {
  const name = signalTableOf(task.settings.signals);
  if (name === null) return null;
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.describeTables) return null;
  const id = signalTableId(name);
  try {
    const d = await plugin.describeTables({
      source: task.source, taskName: task.name,
      selector: { includes: (t) => t.schema === id.schema && t.table === id.table, schemaPatterns: () => [id.schema], loadOrder: () => 0 },
    });
    const t = d.tables.find((x) => x.id.schema === id.schema && x.id.table === id.table);
    if (!t) {
      return fail('signals.table', `the signal table ${name} (settings.signals.dataCollection) does not exist on the source`, `create it with Debezium's layout: ${createSql(task, name)}`, 'FERRY_CONFIG_INVALID');
    }
    const have = new Set(t.columns.map((c) => c.name));
    const missing = COLUMNS.filter((c) => !have.has(c));
    if (missing.length > 0) {
      return fail('signals.table', `the signal table ${name} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (Debezium's layout is id, type, data)`, `recreate it: ${createSql(task, name)}`, 'FERRY_CONFIG_INVALID');
    }
    const problem = d.problems.find((p) => p.table === name || p.table.endsWith(`.${id.table}`));
    if (problem) return fail('signals.table', `the signal table ${name} cannot be captured: ${problem.message}`, 'fix the table as the message says', 'FERRY_SOURCE_PREREQUISITE');
    return ok('signals.table', `signal table ${name} has the columns id, type, data`);
  } catch (e: unknown) {
    return fail('signals.table', `cannot read the signal table ${name}: ${errorMessage(e)}`, 'see the source checks above', 'FERRY_SOURCE_ERROR');
  }
}
