/** The DynamoDB table name of a source table (kept free of the AWS SDK: the descriptor's destinationOf uses it). */
import type { SinkTable } from '../../../core/src/record-sink.ts';

/** Characters DynamoDB does not allow in a table name become '_' (so `t x` and `t_x` give one name). */
const sanitize = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The DynamoDB table name of a source table: the explicit name by `<schema>.<table>`, else the template. */
export function targetTableName(template: string, explicit: Readonly<Record<string, string>>, table: Pick<SinkTable, 'schema' | 'table'>): string {
  const mapped = explicit[`${table.schema}.${table.table}`];
  if (mapped) return mapped;
  const name = sanitize(template.replaceAll('{schema}', table.schema).replaceAll('{table}', table.table));
  return name.length < 3 ? name.padEnd(3, '_') : name.slice(0, 255);
}
