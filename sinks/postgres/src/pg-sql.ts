/**
 * Every SQL statement the PostgreSQL sink sends is generated here, so the exact text can be tested and reviewed in
 * one place. Identifiers are always double-quoted and keep their case (PostgreSQL folds only unquoted names).
 */
import type { PgColumn } from './pg-types.ts';

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function tableName(t: TableRef): string {
  return `${ident(t.schema)}.${ident(t.table)}`;
}

/** A string literal (standard_conforming_strings is on: the sink sets it). */
export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * A parameterised statement with its text parameters written in as literals, for a multi-statement script sent in
 * one round trip. Only for statements whose identifiers hold no `$` (the caller checks): `$n` is replaced blindly.
 */
export function inline(text: string, values: readonly (string | null)[]): string {
  return text.replace(/\$(\d+)/g, (_m, n: string) => {
    const v = values[Number(n) - 1];
    return v === null || v === undefined ? 'NULL' : literal(v);
  });
}

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`;
}

export function createTable(t: TableRef, columns: readonly PgColumn[], primaryKey: readonly string[]): string {
  const cols = columns.map((c) => `  ${ident(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  if (primaryKey.length > 0) cols.push(`  PRIMARY KEY (${primaryKey.map(ident).join(', ')})`);
  return `CREATE TABLE ${tableName(t)} (\n${cols.join(',\n')}\n)`;
}

export function dropTable(t: TableRef): string {
  return `DROP TABLE IF EXISTS ${tableName(t)}`;
}

export function truncate(t: TableRef): string {
  return `TRUNCATE ${tableName(t)}`;
}

/** An added source column: always nullable (rows written before it have no value). */
export function addColumn(t: TableRef, c: PgColumn): string {
  return `ALTER TABLE ${tableName(t)} ADD COLUMN IF NOT EXISTS ${ident(c.name)} ${c.type}`;
}

export function alterColumnType(t: TableRef, column: string, type: string): string {
  return `ALTER TABLE ${tableName(t)} ALTER COLUMN ${ident(column)} TYPE ${type}`;
}

export function dropNotNull(t: TableRef, column: string): string {
  return `ALTER TABLE ${tableName(t)} ALTER COLUMN ${ident(column)} DROP NOT NULL`;
}

/** The target's columns with their types as format_type() prints them, in order. Parameters: schema, table. */
export const SELECT_COLUMNS = `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;

/** A temp table with the given columns of the target (no constraints), dropped at commit. */
export function createStage(stage: string, t: TableRef, columns: readonly string[]): string {
  return `CREATE TEMP TABLE ${ident(stage)} ON COMMIT DROP AS SELECT ${columns.map(ident).join(', ')} FROM ${tableName(t)} WITH NO DATA`;
}

export function copyIn(into: string, columns: readonly string[]): string {
  return `COPY ${into} (${columns.map(ident).join(', ')}) FROM STDIN`;
}

function conflictAction(columns: readonly string[], pk: readonly string[]): string {
  const keys = new Set(pk);
  const rest = columns.filter((c) => !keys.has(c));
  if (rest.length === 0) return `ON CONFLICT (${pk.map(ident).join(', ')}) DO NOTHING`;
  return `ON CONFLICT (${pk.map(ident).join(', ')}) DO UPDATE SET ${rest.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}`;
}

/** Upserts the staged rows (one per key). */
export function upsertFromStage(t: TableRef, stage: string, columns: readonly string[], pk: readonly string[]): string {
  const cols = columns.map(ident).join(', ');
  return `INSERT INTO ${tableName(t)} (${cols}) SELECT ${cols} FROM ${ident(stage)} ${conflictAction(columns, pk)}`;
}

/** Deletes the target rows whose keys are staged. */
export function deleteStaged(t: TableRef, stage: string, pk: readonly string[]): string {
  return `DELETE FROM ${tableName(t)} AS t USING ${ident(stage)} AS s WHERE ${pk.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ')}`;
}

/**
 * The type a text parameter is cast to: the column's type without its modifier, so that storing it applies the
 * column's length, precision and range as an assignment (an error the sink dead-letters), where an explicit cast to
 * `varchar(3)` or `bit(1)` would silently truncate. `character` and `bit` become text and bit varying for the same reason.
 */
const paramTypes = new Map<string, string>();

export function paramType(type: string): string {
  let t = paramTypes.get(type);
  if (t === undefined) paramTypes.set(type, (t = paramTypeOf(type)));
  return t;
}

function paramTypeOf(type: string): string {
  const base = type.replace(/\(\d+(?:,\s*\d+)?\)/g, '').replace(/\s+/g, ' ').trim();
  if (base === 'character' || base === 'char') return 'text';
  if (base === 'bit') return 'bit varying';
  return base;
}

/** Parameter placeholders `($1::type, …), (…)` for `rows` rows of `types`. */
function valuesList(rows: number, types: readonly string[]): string {
  const out: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) out.push(`(${types.map((ty) => `$${++n}::${paramType(ty)}`).join(', ')})`);
  return out.join(', ');
}

/** A multi-row INSERT (with an upsert action when `pk` is given); parameters row by row, as text. */
export function insertValues(t: TableRef, columns: readonly PgColumn[], rows: number, pk: readonly string[] | null): string {
  const names = columns.map((c) => c.name);
  const base = `INSERT INTO ${tableName(t)} (${names.map(ident).join(', ')}) VALUES ${valuesList(rows, columns.map((c) => c.type))}`;
  return pk === null || pk.length === 0 ? base : `${base} ${conflictAction(names, pk)}`;
}

/** `(v, …), (…)` with the values written in as literals, cast as valuesList casts its parameters. */
function inlineList(rows: readonly (readonly (string | null)[])[], types: readonly string[]): string {
  const casts = types.map((ty) => `::${paramType(ty)}`);
  let out = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    out += r === 0 ? '(' : ', (';
    for (let i = 0; i < casts.length; i++) {
      const v = row[i];
      out += `${i === 0 ? '' : ', '}${v === null || v === undefined ? 'NULL' : literal(v)}${casts[i]}`;
    }
    out += ')';
  }
  return out;
}

/** insertValues with its parameters written in (what inline() makes of it, without the placeholders; script mode). */
export function insertValuesInline(t: TableRef, columns: readonly PgColumn[], rows: readonly (readonly (string | null)[])[], pk: readonly string[] | null): string {
  const names = columns.map((c) => c.name);
  const base = `INSERT INTO ${tableName(t)} (${names.map(ident).join(', ')}) VALUES ${inlineList(rows, columns.map((c) => c.type))}`;
  return pk === null || pk.length === 0 ? base : `${base} ${conflictAction(names, pk)}`;
}

/** deleteKeys with its parameters written in (script mode). */
export function deleteKeysInline(t: TableRef, keyColumns: readonly PgColumn[], rows: readonly (readonly (string | null)[])[]): string {
  return `DELETE FROM ${tableName(t)} WHERE (${keyColumns.map((c) => ident(c.name)).join(', ')}) IN (${inlineList(rows, keyColumns.map((c) => c.type))})`;
}

/** A multi-row DELETE by key; parameters key by key, as text. */
export function deleteKeys(t: TableRef, keyColumns: readonly PgColumn[], rows: number): string {
  return `DELETE FROM ${tableName(t)} WHERE (${keyColumns.map((c) => ident(c.name)).join(', ')}) IN (${valuesList(rows, keyColumns.map((c) => c.type))})`;
}

/**
 * A table without a primary key: the one row (ctid) whose every column IS NOT DISTINCT FROM the before-image, for
 * an UPDATE or DELETE of exactly one matching row. Parameters: the before-image, column by column.
 */
function oneMatchingRow(t: TableRef, columns: readonly PgColumn[], first: number): string {
  const cond = columns.map((c, i) => `${ident(c.name)} IS NOT DISTINCT FROM $${first + i}::${paramType(c.type)}`).join(' AND ');
  return `(SELECT ctid FROM ${tableName(t)} WHERE ${cond} LIMIT 1)`;
}

export function deleteOneRow(t: TableRef, columns: readonly PgColumn[]): string {
  return `DELETE FROM ${tableName(t)} WHERE ctid = ${oneMatchingRow(t, columns, 1)}`;
}

/** Parameters: the after-image, then the before-image (both over `columns`). */
export function updateOneRow(t: TableRef, columns: readonly PgColumn[]): string {
  const set = columns.map((c, i) => `${ident(c.name)} = $${i + 1}::${paramType(c.type)}`).join(', ');
  return `UPDATE ${tableName(t)} SET ${set} WHERE ctid = ${oneMatchingRow(t, columns, columns.length + 1)}`;
}

// ---------------------------------------------------------------- the sink's own tables

/** Per sink and stream (Kafka partition or source), the last applied record; written in the same transaction as the data. */
export function createOffsetsTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (
  "sink" text NOT NULL,
  "stream" text NOT NULL,
  "seq" text NOT NULL,
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("sink", "stream")
)`;
}

/** Target tables this sink has prepared (tablePreparation runs once per table, in the transaction of its first rows). */
export function createPreparedTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (
  "sink" text NOT NULL,
  "target_schema" text NOT NULL,
  "target_table" text NOT NULL,
  "prepared_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("sink", "target_schema", "target_table")
)`;
}

/** Parameters: sink. */
export function selectOffsets(t: TableRef): string {
  return `SELECT "stream", "seq" FROM ${tableName(t)} WHERE "sink" = $1`;
}

/**
 * Serialises appliers of the same sink and stream for the length of one write (a rebalance can leave a previous owner
 * finishing a batch): a session-level advisory lock per (sink, stream), taken in stream order, all released by
 * UNLOCK_ALL or when the session ends (a crashed writer's locks go with its connection). Parameters: sink, stream.
 */
export const LOCK_STREAM = `SELECT pg_advisory_lock(hashtextextended('ferry-sink:' || $1 || ':' || $2, 0))`;
export const UNLOCK_ALL = 'SELECT pg_advisory_unlock_all()';

/** Serialises DDL on one target table until the transaction ends (writers of other streams may create or alter it too). Parameters: "schema.table". */
export const LOCK_TABLE_DDL = `SELECT pg_advisory_xact_lock(hashtextextended('ferry-ddl:' || $1, 0))`;

/** Serialises the creation of the sink's own tables (workers starting together). */
export const LOCK_INIT = `SELECT pg_advisory_lock(hashtextextended('ferry-sink-init', 0))`;
export const UNLOCK_INIT = `SELECT pg_advisory_unlock(hashtextextended('ferry-sink-init', 0))`;

/** Moves a stream's position forward, never back. Parameters: sink, stream, seq. */
export function advanceOffset(t: TableRef): string {
  return `INSERT INTO ${tableName(t)} ("sink", "stream", "seq") VALUES ($1, $2, $3)
ON CONFLICT ("sink", "stream") DO UPDATE SET "seq" = EXCLUDED."seq", "updated_at" = now() WHERE ${tableName(t)}."seq" < EXCLUDED."seq"`;
}

/** Parameters: sink, schema, table. */
export function selectPrepared(t: TableRef): string {
  return `SELECT 1 FROM ${tableName(t)} WHERE "sink" = $1 AND "target_schema" = $2 AND "target_table" = $3`;
}

/** Parameters: sink, schema, table. */
export function insertPrepared(t: TableRef): string {
  return `INSERT INTO ${tableName(t)} ("sink", "target_schema", "target_table") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`;
}

/**
 * Secondary indexes of tables this sink created from their definitions with `indexes: after-full-load`, built when the
 * table's full load is over (PostgresSink: runtime/src/relational/full-load-done.ts), then deleted.
 */
export function createPendingIndexesTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (
  "sink" text NOT NULL,
  "target_schema" text NOT NULL,
  "target_table" text NOT NULL,
  "ordinal" integer NOT NULL,
  "statement" text NOT NULL,
  PRIMARY KEY ("sink", "target_schema", "target_table", "ordinal")
)`;
}

/** Parameters: sink, schema, table, ordinal, statement. */
export function insertPendingIndex(t: TableRef): string {
  return `INSERT INTO ${tableName(t)} ("sink", "target_schema", "target_table", "ordinal", "statement") VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`;
}

/** Parameters: sink. */
export function selectPendingIndexes(t: TableRef): string {
  return `SELECT "target_schema", "target_table", "ordinal", "statement" FROM ${tableName(t)} WHERE "sink" = $1 ORDER BY 1, 2, 3`;
}

/** Parameters: sink, schema, table. */
export function deletePendingIndexes(t: TableRef): string {
  return `DELETE FROM ${tableName(t)} WHERE "sink" = $1 AND "target_schema" = $2 AND "target_table" = $3`;
}
