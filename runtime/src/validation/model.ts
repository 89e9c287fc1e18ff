/**
 * The data-validation model (docs/validation.md): the columns of one source table paired with its target table's,
 * the canonical family each pair is compared in, and the mismatches found, with DMS's failure kinds.
 * Engine-neutral: the SQL of each engine is in engine-sql.ts and canonical.ts; the drivers are the caller's (SqlClient).
 */

/** The engines validation can read: MySQL and MariaDB share one SQL dialect here. */
export type ValidationEngine = 'mysql' | 'postgres';

/**
 * The one thing validation needs from a database driver: run a read query and get its rows as arrays of values in
 * select-list order. Every value validation selects is text (or NULL), so drivers need no type parsing.
 */
export interface SqlClient {
  readonly engine: ValidationEngine;
  query(sql: string, signal?: AbortSignal): Promise<readonly (readonly (string | null)[])[]>;
}

/** A column as a database's catalog describes it (information_schema), lower-case type names. */
export interface CatalogColumnType {
  readonly name: string;
  /** MySQL DATA_TYPE / PostgreSQL udt_name-derived base name: 'int', 'varchar', 'bpchar', 'numeric', 'timestamptz', … */
  readonly dataType: string;
  /** The full type text (MySQL COLUMN_TYPE, PostgreSQL format_type). */
  readonly columnType: string;
  readonly unsigned: boolean;
  /** Numeric scale (decimal/numeric), when declared. */
  readonly scale?: number;
  /** Declared length of a char or bit column. */
  readonly length?: number;
  /** PostgreSQL: an array type. */
  readonly array: boolean;
  /** PostgreSQL: a user-defined enum type. */
  readonly enumType: boolean;
  /** MariaDB: a JSON column (LONGTEXT with a json_valid check). */
  readonly json: boolean;
  /** MySQL: the character set of a text column. */
  readonly charset?: string;
}

/**
 * How a column pair is compared: each side renders its column as the family's canonical text (canonical.ts), in SQL
 * for every family but `float` and `json`, whose SQL text is canonicalized again in Node before rows are compared.
 */
export type Family = 'int' | 'decimal' | 'float' | 'text' | 'bytes' | 'bits' | 'date' | 'timestamp' | 'micros' | 'uuid' | 'inet' | 'json';

/** Families whose canonical form is computed in Node, not in SQL (rows are compared after canonicalInNode). */
export const NODE_FAMILIES: ReadonlySet<Family> = new Set(['float', 'json']);

/**
 * Families whose SQL text differs between the engines for most equal values (jsonb reorders keys and spaces its
 * text), so checksums would differ everywhere: their tables are streamed and compared row by row. A float's SQL
 * text (the shortest decimal on both engines, notation aside: 1e20 / 1e+20) does enter the checksums: a range that
 * differs only by notation is pulled and compared in Node, where it is found equal.
 */
export const ROWS_ONLY_FAMILIES: ReadonlySet<Family> = new Set(['json']);

/** One compared column: its source and target names and how the pair is compared. */
export interface ColumnPair {
  readonly source: string;
  readonly target: string;
  readonly family: Family;
  /** CHAR on either side: trailing spaces are not compared (MySQL strips them on read, PostgreSQL char(n)::text too). */
  readonly rtrim: boolean;
  /** bits: the declared length the value is left-padded to. */
  readonly bits?: number;
  readonly sourceType: CatalogColumnType;
  readonly targetType: CatalogColumnType;
}

/** A column of the source table that is not compared, and why. */
export interface SkippedColumn {
  readonly column: string;
  readonly reason: string;
}

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

/** DMS's failure kinds (awsdms_validation_failures_v1.FAILURE_TYPE). */
export type FailureType = 'RECORD_DIFF' | 'MISSING_SOURCE' | 'MISSING_TARGET';

export interface Mismatch {
  readonly type: FailureType;
  /** The row's key: source key column name → its canonical text. */
  readonly key: Readonly<Record<string, string>>;
  /** RECORD_DIFF: the source names of the columns that differ. */
  readonly columns: readonly string[];
}

/** How a table is compared: checksums over key ranges, checksums over key-hash buckets, rows streamed in chunks, or a target state. */
export type ValidationMethod = 'range-checksum' | 'bucket-checksum' | 'range-rows' | 'bucket-rows'
  /** Targets without canonical SQL (state-compare.ts): a Kafka topic's or a lake's latest state per key, or a Redshift table's rows, rebuilt in Ferry. */
  | 'topic-state' | 'lake-state' | 'table-state';

export interface TableValidationResult {
  readonly source: TableRef;
  readonly target: TableRef;
  readonly method: ValidationMethod;
  readonly columns: readonly ColumnPair[];
  readonly skippedColumns: readonly SkippedColumn[];
  /** Source rows covered (rows of every range compared). */
  readonly sourceRows: number;
  readonly targetRows: number;
  /** Ranges (or buckets) checksummed, and those that differed and were split or compared row by row. */
  readonly ranges: number;
  readonly mismatchedRanges: number;
  /** Rows pulled into Node and compared one by one. */
  readonly rowsCompared: number;
  /** The mismatches, at most `maxFailures` of them (see `failures`). */
  readonly mismatches: readonly Mismatch[];
  /** Every mismatch found, also those beyond `maxFailures`. */
  readonly failures: number;
  readonly durationMs: number;
}
