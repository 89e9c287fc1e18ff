/**
 * Debezium's column.propagate.source.type (PropagateSourceTypeToSchemaParameter): for the columns whose fully
 * qualified name `<database or schema>.<table>.<column>` matches one of the task's regular expressions (whole-name,
 * case-insensitive, as Debezium's column selectors match), the field schema gets the parameters
 *   __debezium.source.column.type   the type name in upper case (MySQL: 'DECIMAL UNSIGNED', PostgreSQL: pg_type's
 *                                   name, 'INT4', 'VARCHAR', 'NUMERIC', '_INT4' for int4[])
 *   __debezium.source.column.length the declared length / precision, when the type has one
 *   __debezium.source.column.scale  the declared scale / fractional-second digits, when the type has one
 *   __debezium.source.column.name   the column's name
 * Each source gives the type information (describe); this module applies it to the column's FieldType, which
 * carries the parameters into the Connect and Avro schemas (avro-mapping.ts).
 */
import type { FieldType } from '../../core/src/types.ts';
import { FerryError } from '../../core/src/errors.ts';
import { SOURCE_COLUMN_NAME_PARAM } from './naming.ts';

export const SOURCE_COLUMN_TYPE_PARAM = '__debezium.source.column.type';
export const SOURCE_COLUMN_LENGTH_PARAM = '__debezium.source.column.length';
export const SOURCE_COLUMN_SCALE_PARAM = '__debezium.source.column.scale';

/** A column's source type as column.propagate.source.type reports it. */
export interface SourceTypeInfo {
  readonly typeName: string;
  readonly length?: number | undefined;
  readonly scale?: number | undefined;
}

/** A test of fully qualified column names, or null when no pattern is given. Throws FERRY_CONFIG for a bad pattern. */
export function sourceTypeMatcher(patterns: readonly string[] | undefined): ((schema: string, table: string, column: string) => boolean) | null {
  if (!patterns || patterns.length === 0) return null;
  const res = patterns.map((p) => {
    try {
      return new RegExp(`^(?:${p})$`, 'i');
    } catch (e: unknown) {
      throw new FerryError('FERRY_CONFIG_INVALID', `settings.columnPropagateSourceType: ${JSON.stringify(p)} is not a regular expression (${(e as Error).message}); fix or remove it`, { cause: e });
    }
  });
  return (schema, table, column) => {
    const full = `${schema}.${table}.${column}`;
    return res.some((r) => r.test(full));
  };
}

/** The FieldType with the source-type parameters added. */
export function withSourceTypeParams(type: FieldType, column: string, info: SourceTypeInfo): FieldType {
  const params: Record<string, string> = { ...type.params, [SOURCE_COLUMN_NAME_PARAM]: column, [SOURCE_COLUMN_TYPE_PARAM]: info.typeName.toUpperCase() };
  if (info.length !== undefined) params[SOURCE_COLUMN_LENGTH_PARAM] = String(info.length);
  if (info.scale !== undefined) params[SOURCE_COLUMN_SCALE_PARAM] = String(info.scale);
  return { ...type, params };
}
