/**
 * Checks of settings.outbox against the rest of the task (the task file's validation, app/src/task-file/task-schema.ts)
 * and against the source catalog (`ferry validate`, app/src/checks/validate-task.ts).
 */
import { fail, ok, type CheckResult } from '../../../core/src/check-result.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import type { OutboxSettings } from '../config/outbox-settings.ts';
import type { TableMapping } from '../config/table-mapping-schema.ts';
import { createTableSelector } from '../mapping/table-selection.ts';
import { missingColumns } from './outbox-event.ts';

export interface OutboxProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What is wrong with settings.outbox in this task: no kafka block, a table the mapping does not select, a message prefix on MySQL. */
export function outboxProblems(task: { readonly source: { readonly engine: string }; readonly kafka?: unknown; readonly tableMappings: TableMapping; readonly settings: { readonly outbox: OutboxSettings } }): OutboxProblem[] {
  const outbox = task.settings.outbox;
  if (outbox.length === 0) return [];
  const problems: OutboxProblem[] = [];
  if (task.kafka === undefined) {
    problems.push({ path: ['settings', 'outbox'], message: 'the outbox router writes events to Kafka topics: add a kafka block (brokers, schemaRegistry), or remove settings.outbox' });
  }
  const selector = createTableSelector(task.tableMappings);
  for (const [i, o] of outbox.entries()) {
    if (o.table !== undefined) {
      const dot = o.table.indexOf('.');
      const id = { schema: o.table.slice(0, dot), table: o.table.slice(dot + 1) };
      if (!selector.includes(id)) {
        problems.push({ path: ['settings', 'outbox', i, 'table'], message: `outbox table ${o.table} is not selected by the table mapping, so its changes are never read: add a selection rule that includes schema-name "${id.schema}", table-name "${id.table}"` });
      }
    }
    if (o.messagePrefix !== undefined && task.source.engine !== 'postgres') {
      problems.push({ path: ['settings', 'outbox', i, 'messagePrefix'], message: `messagePrefix reads PostgreSQL logical-decoding messages (pg_logical_emit_message); this source is ${task.source.engine}: use an outbox table (\`table\`)` });
    }
  }
  return problems;
}

/** `outbox.columns`: every outbox table of the catalog has the configured columns; null when no outbox table is configured. */
export function outboxColumnCheck(outbox: OutboxSettings, tables: readonly TableSchema[]): CheckResult | null {
  const entries = outbox.filter((o) => o.table !== undefined);
  if (entries.length === 0) return null;
  const problems: string[] = [];
  for (const o of entries) {
    const t = tables.find((x) => `${x.id.schema}.${x.id.table}` === o.table);
    if (t === undefined) { problems.push(`outbox table ${o.table} is not in the source catalog`); continue; }
    const missing = missingColumns(o, t);
    if (missing.length > 0) problems.push(`outbox table ${o.table} has no column${missing.length === 1 ? '' : 's'} ${missing.map((m) => `"${m}"`).join(', ')} (it has ${t.columns.map((c) => `"${c.name}"`).join(', ')})`);
  }
  if (problems.length > 0) return fail('outbox.columns', problems.join('; '), 'create the outbox table, or name its columns in settings.outbox[].columns and additionalFields (docs/outbox.md)', 'FERRY_CONFIG_INVALID');
  return ok('outbox.columns', `${entries.length} outbox table${entries.length === 1 ? '' : 's'} with the configured columns`);
}
