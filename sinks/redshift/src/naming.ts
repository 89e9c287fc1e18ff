/**
 * The Redshift table of a captured table (kept free of pg and the AWS SDK: the descriptor's destinationOf uses it).
 * Names are lower-cased: Redshift folds identifiers to lower case unless enable_case_sensitive_identifier is on, so
 * `"T"` and `t` are one table.
 */
export interface TargetTableRef {
  readonly schema: string;
  readonly table: string;
}

/** `targetSchema` (default: the table's own schema) and the table name, lower-cased. */
export function targetTableRef(targetSchema: string | undefined, t: { readonly schema: string; readonly table: string }): TargetTableRef {
  return { schema: (targetSchema ?? t.schema).toLowerCase(), table: t.table.toLowerCase() };
}
