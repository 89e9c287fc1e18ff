/**
 * The engine-neutral catalog model: what a source's catalog reader (SourcePlugin.readCatalog) reports about the
 * selected tables and the objects around them, for `ferry convert-schema` (runtime/src/schema-conversion/).
 *
 * Types keep both the source's own spelling (`sourceType`, e.g. 'decimal(10,2) unsigned', 'character varying(40)[]')
 * and a parsed form (`type`). Expressions (defaults, checks, index expressions, view and routine bodies) are the
 * source's text, unchanged: converting them is the converter's job, and what it cannot convert it reports.
 */

export type CatalogEngine = 'mysql' | 'mariadb' | 'postgres';

/** A column type, parsed. Names are lower case and without modifiers: 'int', 'varchar', 'timestamp with time zone'. */
export interface CatalogType {
  /** The base type name, lower case: 'tinyint', 'decimal', 'varchar', 'character varying', 'numeric', 'int4' is not used (PostgreSQL names as format_type() spells them). */
  readonly name: string;
  /** Character length (char/varchar/binary/varbinary/bit) when declared. */
  readonly length?: number;
  /** Numeric precision (decimal/numeric), or the display width of a MySQL integer (tinyint(1)). */
  readonly precision?: number;
  /** Numeric scale (decimal/numeric). */
  readonly scale?: number;
  /** Fractional-second digits of a time type (datetime(6), timestamp(3), time(6), interval). */
  readonly fsp?: number;
  /** MySQL UNSIGNED. */
  readonly unsigned?: boolean;
  /** ENUM / SET values (MySQL), or the labels of a PostgreSQL enum type. */
  readonly values?: readonly string[];
  /** Array dimensions (PostgreSQL), 0 or absent for a scalar. */
  readonly arrayDims?: number;
  /** PostgreSQL: the type is a user-defined enum / domain / composite / extension type (its name). */
  readonly userDefined?: 'enum' | 'domain' | 'composite' | 'extension' | 'range';
  /** MySQL character set of a text column (utf8mb4, utf8mb3, latin1...). */
  readonly charset?: string;
  readonly collation?: string;
}

export interface CatalogColumn {
  readonly name: string;
  /** 1-based position. */
  readonly ordinal: number;
  /** The type as the source spells it (MySQL COLUMN_TYPE, PostgreSQL format_type()). */
  readonly sourceType: string;
  readonly type: CatalogType;
  readonly nullable: boolean;
  /** The default expression as the source's catalog gives it (MySQL: a literal is quoted), absent when none. */
  readonly defaultExpression?: string;
  /** MySQL AUTO_INCREMENT. */
  readonly autoIncrement?: boolean;
  /** PostgreSQL identity column. */
  readonly identity?: 'always' | 'by-default';
  /** PostgreSQL: the sequence that feeds the default (serial), schema-qualified. */
  readonly sequence?: string;
  /** MySQL ON UPDATE CURRENT_TIMESTAMP[(n)]: the expression. */
  readonly onUpdate?: string;
  /** A generated (computed) column: its expression and whether it is stored. */
  readonly generated?: { readonly expression: string; readonly stored: boolean };
  readonly comment?: string;
}

export interface CatalogKey {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface CatalogIndex {
  readonly name: string;
  /** Columns in order; an expression part is given as `expressions` instead. */
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** Index method as the source names it: 'btree', 'hash', 'gin', 'gist', 'fulltext', 'spatial'. */
  readonly method: string;
  /** Per-column prefix length (MySQL `KEY (name(10))`), same order as columns; 0 for none. */
  readonly prefixLengths?: readonly number[];
  /** Per-column DESC. */
  readonly descending?: readonly boolean[];
  /** PostgreSQL partial index: the WHERE predicate. */
  readonly predicate?: string;
  /** An index with expression parts (PostgreSQL, MySQL 8 functional index): the full definition. */
  readonly expression?: string;
  readonly fulltext?: boolean;
  readonly spatial?: boolean;
  /** The whole definition as the source prints it (pg_get_indexdef), when it has one. */
  readonly definition?: string;
}

export type ForeignKeyAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface CatalogForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
  readonly onUpdate: ForeignKeyAction;
  readonly onDelete: ForeignKeyAction;
}

export interface CatalogCheck {
  readonly name: string;
  /** The boolean expression, without CHECK and the outer parentheses when the source gives them. */
  readonly expression: string;
}

export interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
  readonly primaryKey?: CatalogKey;
  readonly uniqueKeys: readonly CatalogKey[];
  /** Indexes that are not the primary key or a unique constraint's own index. */
  readonly indexes: readonly CatalogIndex[];
  readonly foreignKeys: readonly CatalogForeignKey[];
  readonly checks: readonly CatalogCheck[];
  /** MySQL: the next AUTO_INCREMENT value. */
  readonly autoIncrementNext?: number;
  /** MySQL storage engine, PostgreSQL access method. */
  readonly engine?: string;
  readonly comment?: string;
  /** MySQL: SHOW CREATE TABLE, for same-engine copies. */
  readonly createStatement?: string;
}

export interface CatalogView {
  readonly schema: string;
  readonly name: string;
  /** The SELECT as the source stores it. */
  readonly definition: string;
}

export interface CatalogTrigger {
  readonly schema: string;
  readonly name: string;
  readonly table: string;
  /** 'BEFORE' | 'AFTER' | 'INSTEAD OF'. */
  readonly timing: string;
  /** 'INSERT', 'UPDATE', 'DELETE' (PostgreSQL: several joined with ' OR '). */
  readonly event: string;
  /** MySQL: the trigger body; PostgreSQL: the full CREATE TRIGGER statement. */
  readonly definition: string;
  /** PostgreSQL: the trigger function it executes, schema-qualified. */
  readonly function?: string;
}

export interface CatalogRoutine {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'procedure' | 'function';
  /** The full CREATE statement as the source prints it (SHOW CREATE / pg_get_functiondef), or its body. */
  readonly definition: string;
  /** The routine's language ('SQL', 'plpgsql', 'sql'). */
  readonly language: string;
}

export interface CatalogSequence {
  readonly schema: string;
  readonly name: string;
  readonly dataType: string;
  readonly start: string;
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly cycle: boolean;
  /** The next value nextval() would return (last_value + increment once called, else start). */
  readonly next: string;
  /** 'schema.table.column' when the sequence is owned by a column (serial, identity). */
  readonly ownedBy?: string;
}

/** What a source catalog reader reports for the selected tables. */
export interface SourceCatalog {
  readonly engine: CatalogEngine;
  /** The server's version string (SELECT VERSION()). */
  readonly serverVersion: string;
  readonly tables: readonly CatalogTable[];
  /** Views in the selected tables' schemas whose names the table selection matches. */
  readonly views: readonly CatalogView[];
  /** Triggers on the selected tables. */
  readonly triggers: readonly CatalogTrigger[];
  /** Procedures and functions in the selected tables' schemas (trigger functions included). */
  readonly routines: readonly CatalogRoutine[];
  /** PostgreSQL sequences in the selected schemas, owned or standalone. */
  readonly sequences: readonly CatalogSequence[];
  /**
   * What the reading user could not see, so the lists above may lack it (MySQL/MariaDB show triggers only on tables
   * with the TRIGGER privilege, routines only with a privilege on them); each becomes an assessment warning.
   */
  readonly blindSpots?: readonly CatalogBlindSpot[];
}

/** Objects a catalog reader could not see for want of a privilege: which, why, and the GRANT that fixes it. */
export interface CatalogBlindSpot {
  readonly kind: 'trigger' | 'procedure' | 'function';
  /** The schema (or table) whose objects may be missing. */
  readonly object: string;
  readonly reason: string;
  readonly fix: string;
}
