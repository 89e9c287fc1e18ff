// Shared fixtures for the table-mapping unit tests.
import type { ChangeEvent, Column, Op, Position, Row, TableSchema } from '../../../../core/src/types.ts';
import type { TableMapping } from '../../../src/config/table-mapping-schema.ts';
import { tableMappingSchema } from '../../../src/config/table-mapping-schema.ts';

export const col = (name: string, type: Column['type']['type'] = 'string', extra: Partial<Column> = {}): Column => ({ name, type: { type: type as never }, nullable: true, sourceType: type === 'string' ? 'varchar(50)' : 'int', ...extra });

export function table(schema: string, name: string, columns: Column[], primaryKey: string[] = ['id']): TableSchema {
  return { id: { schema, table: name }, version: 1, columns, primaryKey };
}

export const include = (schema = '%', tbl = '%', extra: Record<string, unknown> = {}) => ({ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'sel', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': tbl }, ...extra });

let n = 100;
/** A transformation rule; ids increase in call order unless given. */
export function tr(target: string, action: string, locator: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  n++;
  return { 'rule-type': 'transformation', 'rule-id': String(n), 'rule-name': `r${n}`, 'rule-target': target, 'rule-action': action, 'object-locator': locator, ...extra };
}

/** Parses rules through the real schema (so the tests use only valid documents). */
export function mapping(...rules: Record<string, unknown>[]): TableMapping {
  const r = tableMappingSchema.safeParse({ rules });
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return r.data;
}

export function event(t: TableSchema, op: Op, before: Row | null, after: Row | null, extra: Partial<ChangeEvent['source']> = {}): ChangeEvent {
  const image = after ?? before;
  return {
    op, before, after, table: t, tsMs: 1_700_000_000_000,
    key: t.primaryKey.length && image ? Object.fromEntries(t.primaryKey.map((k) => [k, image[k]])) : null,
    source: { connector: 'mariadb', name: 'p', tsMs: 1_700_000_000_000, snapshot: 'false', db: t.id.schema, table: t.id.table, position: 'mariadb-bin.000001:4' as Position, txId: '0-1-7', ...extra },
  };
}
