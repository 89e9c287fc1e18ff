/** The SQL the MySQL sink sends (one dialect for MySQL 8 and MariaDB 10.x, with the few differences named). */
import { isTextType, type MySqlColumn, type ServerInfo } from './mysql-types.ts';

export interface TableRef {
  readonly database: string;
  readonly table: string;
}

/** A column of the target as a statement needs it: its name and, for row matching, its type. */
export interface ColumnRef {
  readonly name: string;
  readonly type: string;
}

export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export function tableName(t: TableRef): string {
  return `${ident(t.database)}.${ident(t.table)}`;
}

/** The session the sink works in (docs/sinks/mysql.md#session). */
export const SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';

export function sessionSetup(disableForeignKeyChecks: boolean): string {
  return `SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = '${SQL_MODE}'${disableForeignKeyChecks ? ', foreign_key_checks = 0' : ''}`;
}

export function createDatabase(name: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${ident(name)} CHARACTER SET utf8mb4`;
}

export function columnDef(c: MySqlColumn, collation: string): string {
  const cs = isTextType(c.type) ? ` CHARACTER SET utf8mb4 COLLATE ${collation}` : c.type === 'char(36)' ? ' CHARACTER SET ascii COLLATE ascii_bin' : '';
  return `${ident(c.name)} ${c.type}${cs} ${c.nullable ? 'NULL' : 'NOT NULL'}`;
}

export function createTable(t: TableRef, cols: readonly MySqlColumn[], pk: readonly string[], collation: string): string {
  const defs = cols.map((c) => columnDef(c, collation));
  if (pk.length > 0) defs.push(`PRIMARY KEY (${pk.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (\n  ${defs.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`;
}

export function dropTable(t: TableRef): string {
  return `DROP TABLE IF EXISTS ${tableName(t)}`;
}

/** DDL: TRUNCATE TABLE commits implicitly; used only for table preparation, outside the data transaction. */
export function truncateTable(t: TableRef): string {
  return `TRUNCATE TABLE ${tableName(t)}`;
}

/** A source TRUNCATE inside the data transaction: DELETE, which rolls back with it. */
export function deleteAll(t: TableRef): string {
  return `DELETE FROM ${tableName(t)}`;
}

export function addColumn(t: TableRef, c: MySqlColumn, collation: string): string {
  return `ALTER TABLE ${tableName(t)} ADD COLUMN ${columnDef({ ...c, nullable: true }, collation)}`;
}

export function modifyColumn(t: TableRef, c: MySqlColumn, collation: string): string {
  return `ALTER TABLE ${tableName(t)} MODIFY COLUMN ${columnDef(c, collation)}`;
}

export const SELECT_COLUMNS = 'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION';

// ---------------------------------------------------------------- the sink's own tables

export function createOffsetsTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (sink VARCHAR(191) NOT NULL, stream VARCHAR(500) NOT NULL, seq VARCHAR(255) NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (sink, stream)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export function selectOffsets(t: TableRef): string {
  return `SELECT stream, seq FROM ${tableName(t)} WHERE sink = ?`;
}

export function advanceOffset(t: TableRef, alias: boolean): string {
  return `INSERT INTO ${tableName(t)} (sink, stream, seq, updated_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))${upsertTail(['sink', 'stream', 'seq', 'updated_at'], ['sink', 'stream'], alias)}`;
}

export function createPreparedTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (sink VARCHAR(191) NOT NULL, target_database VARCHAR(64) NOT NULL, target_table VARCHAR(64) NOT NULL, created TINYINT(1) NOT NULL DEFAULT 0, prepared_at DATETIME(6) NOT NULL, PRIMARY KEY (sink, target_database, target_table)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export function selectPrepared(t: TableRef): string {
  return `SELECT target_database, target_table, created FROM ${tableName(t)} WHERE sink = ?`;
}

export function insertPrepared(t: TableRef): string {
  return `INSERT INTO ${tableName(t)} (sink, target_database, target_table, created, prepared_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE created = GREATEST(created, VALUES(created))`;
}

// ---------------------------------------------------------------- data

/** `INSERT INTO t (cols) VALUES ` — rows are appended as '(…),(…)'. */
export function insertHead(t: TableRef, cols: readonly string[]): string {
  return `INSERT INTO ${tableName(t)} (${cols.map(ident).join(', ')}) VALUES `;
}

/** The tail that turns the insert into an upsert on the primary key (MySQL ≥ 8.0.19: row alias; else VALUES()). */
export function upsertTail(cols: readonly string[], pk: readonly string[], alias: boolean): string {
  const rest = cols.filter((c) => !pk.includes(c));
  const set = rest.length === 0 ? [`${ident(pk[0]!)} = ${ident(pk[0]!)}`] : rest.map((c) => `${ident(c)} = ${alias ? `_ferry_new.${ident(c)}` : `VALUES(${ident(c)})`}`);
  return `${alias ? ' AS _ferry_new' : ''} ON DUPLICATE KEY UPDATE ${set.join(', ')}`;
}

/** `DELETE FROM t WHERE (k1, k2) IN (` — key tuples are appended as '(…),(…)' then ')'. */
export function deleteHead(t: TableRef, pk: readonly string[]): string {
  return pk.length === 1 ? `DELETE FROM ${tableName(t)} WHERE ${ident(pk[0]!)} IN (` : `DELETE FROM ${tableName(t)} WHERE (${pk.map(ident).join(', ')}) IN (`;
}

/** The comparison of one column with a literal for full-row matching (tables without a primary key). */
function matches(c: ColumnRef, literal: string, server: ServerInfo): string {
  const col = ident(c.name);
  if (literal === 'NULL') return `${col} IS NULL`;
  if (c.type === 'float') return `${col} <=> CAST(${literal} AS FLOAT)`;
  if (c.type === 'json' && !server.mariadb) return `${col} <=> CAST(${literal} AS JSON)`;
  return `${col} <=> ${literal}`;
}

function whereRow(cols: readonly ColumnRef[], before: readonly string[], server: ServerInfo): string {
  return cols.map((c, i) => matches(c, before[i]!, server)).join(' AND ');
}

/** Deletes one row equal to the before-image (every column), for a table without a primary key. */
export function deleteOneRow(t: TableRef, cols: readonly ColumnRef[], before: readonly string[], server: ServerInfo): string {
  return `DELETE FROM ${tableName(t)} WHERE ${whereRow(cols, before, server)} LIMIT 1`;
}

/** Updates one row equal to the before-image to the after-image, for a table without a primary key. */
export function updateOneRow(t: TableRef, cols: readonly ColumnRef[], after: readonly string[], before: readonly string[], server: ServerInfo): string {
  const set = cols.map((c, i) => `${ident(c.name)} = ${after[i]!}`).join(', ');
  return `UPDATE ${tableName(t)} SET ${set} WHERE ${whereRow(cols, before, server)} LIMIT 1`;
}

/**
 * LOAD DATA LOCAL INFILE of tab-separated fields (backslash escapes, \\N for NULL); binary columns come as hex
 * through a user variable. `replace`: rows with an existing primary key replace it (a snapshot row is the whole row).
 */
export function loadData(t: TableRef, cols: readonly { readonly name: string; readonly hex: boolean }[], replace: boolean): string {
  const list = cols.map((c, i) => (c.hex ? `@_ferry_${i}` : ident(c.name))).join(', ');
  const set = cols.map((c, i) => (c.hex ? `${ident(c.name)} = UNHEX(@_ferry_${i})` : null)).filter((x) => x !== null);
  return `LOAD DATA LOCAL INFILE 'ferry-stream' ${replace ? 'REPLACE ' : ''}INTO TABLE ${tableName(t)} CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${list})${set.length > 0 ? ` SET ${set.join(', ')}` : ''}`;
}

/**
 * Secondary indexes of tables this sink created from their definitions with `indexes: after-full-load`, built when the
 * table's full load is over (defined-tables.ts), then deleted.
 */
export function createPendingIndexesTable(t: TableRef): string {
  return `CREATE TABLE IF NOT EXISTS ${tableName(t)} (sink VARCHAR(191) NOT NULL, target_database VARCHAR(64) NOT NULL, target_table VARCHAR(64) NOT NULL, ordinal INT NOT NULL, statement LONGTEXT NOT NULL, PRIMARY KEY (sink, target_database, target_table, ordinal)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export function insertPendingIndex(t: TableRef): string {
  return `INSERT IGNORE INTO ${tableName(t)} (sink, target_database, target_table, ordinal, statement) VALUES (?, ?, ?, ?, ?)`;
}

export function selectPendingIndexes(t: TableRef): string {
  return `SELECT target_database, target_table, ordinal, statement FROM ${tableName(t)} WHERE sink = ? ORDER BY target_database, target_table, ordinal`;
}

export function deletePendingIndex(t: TableRef): string {
  return `DELETE FROM ${tableName(t)} WHERE sink = ? AND target_database = ? AND target_table = ? AND ordinal = ?`;
}
