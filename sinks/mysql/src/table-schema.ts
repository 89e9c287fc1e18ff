/**
 * The target table of a captured table, kept in step with its schema versions. MySQL DDL commits implicitly, so this
 * runs before the data transaction of a batch, and every step is safe to repeat after a crash:
 *
 *   first write by this sink   tablePreparation (do-nothing: create if missing; drop-and-create; truncate-before-load),
 *                              recorded in _ferry_sink_tables so a restart never drops or truncates again, with
 *                              whether the sink created the table
 *   a table the sink did not create   its column types are the user's: never changed (a value a column cannot
 *                              hold is dead-lettered); missing columns are added, NOT NULL relaxed as below
 *   a column the source renamed  ALTER TABLE … RENAME COLUMN, when the version names the column's earlier names
 *                              (SinkColumn.renamedFrom: Avro aliases) and the target has one of them but not the new name
 *   a column the source added  ALTER TABLE … ADD COLUMN (nullable), before the batch that carries it
 *   a wider source type        ALTER TABLE … MODIFY COLUMN (int → bigint, decimal(p,s) → more digits, varchar(n) → more, …)
 *   a column the source dropped  droppedColumns drop: ALTER TABLE … DROP COLUMN; keep: made nullable so later rows
 *                              can leave it out. "Dropped" = an earlier version this sink saw had it; any other target
 *                              column the version lacks (the target's own) is only made nullable
 *   a narrower source type     nothing: the target already holds every value
 *   any other type change      FERRY_TARGET_SCHEMA_CHANGE (fatal), naming the column, both types and the fix
 * The sink cuts a batch before a version that renames or drops a column (schema-segments.ts) and commits the rows
 * before it first, so every step here holds for the rows that follow it.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkColumn, SinkTable } from '../../../core/src/record-sink.ts';
import { mysqlColumns, normalizeType, typeChange, type ServerInfo } from './mysql-types.ts';
import type { TargetColumn } from './mysql-values.ts';
import * as sql from './mysql-sql.ts';
import type { VersionOrder } from '../../../runtime/src/relational/version-order.ts';

/** Runs one statement and returns its rows (a narrow view of a mysql2 connection). */
export type Exec = (statement: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export interface TableState {
  /** Column name → the target column, in the target's order. */
  readonly columns: Map<string, TargetColumn & { readonly rawType: string; readonly collation: string | null }>;
  /** The versions already reconciled with the target. */
  readonly seen: Set<SinkTable>;
  /** The sink created the table (it may change column types); false for a table that existed before. */
  owned: boolean;
}

export interface EnsureTableOptions {
  readonly exec: Exec;
  readonly ref: sql.TableRef;
  /** The versions of the batch, oldest first. */
  readonly versions: readonly SinkTable[];
  readonly cache: Map<string, TableState>;
  /** Tables this sink has prepared before ("database.table") → whether it created them. */
  readonly prepared: Map<string, boolean>;
  readonly preparation: 'do-nothing' | 'drop-and-create' | 'truncate-before-load';
  readonly server: ServerInfo;
  readonly collation: string;
  /** Records the preparation (and whether the sink created the table). */
  markPrepared(created: boolean): Promise<void>;
  /** What happens to a target column the source dropped (MySqlSinkConfig.droppedColumns); absent: keep. */
  readonly droppedColumns?: 'drop' | 'keep';
  /**
   * The order of the versions this sink has seen (runtime/src/relational/version-order.ts), to tell a column the source
   * dropped from the target's own, and a lagging partition's older version from a drop.
   */
  readonly versionOrder?: VersionOrder;
  /** Creates the table from the schema conversion's definition (defined-tables.ts); false when the sink has none for it. */
  createFromDefinition?(latest: SinkTable): Promise<boolean>;
  /** Whether a column the sink created from the definition keeps its type for the event column (no MODIFY). */
  keepsType?(column: SinkColumn, have: string, eventType: string): boolean;
}

export async function readState(exec: Exec, ref: sql.TableRef, server: ServerInfo): Promise<TableState | null> {
  const rows = await exec(sql.SELECT_COLUMNS, [ref.database, ref.table]);
  if (rows.length === 0) return null;
  const columns: TableState['columns'] = new Map();
  for (const r of rows) {
    const name = String(r.name);
    const rawType = String(r.type);
    columns.set(name, { name, rawType, type: normalizeType(rawType, server), nullable: r.nullable === 'YES', charset: r.charset === null ? null : String(r.charset), collation: r.collation === null ? null : String(r.collation) });
  }
  return { columns, seen: new Set(), owned: false };
}

export async function ensureTable(o: EnsureTableOptions): Promise<TableState> {
  const { exec, ref } = o;
  const key = `${ref.database}.${ref.table}`;
  let state = o.cache.get(key) ?? null;
  if (state === null) {
    state = await readState(exec, ref, o.server);
    const latest = o.versions.at(-1)!;
    const create = async (): Promise<TableState> => {
      await exec(sql.createDatabase(ref.database));
      if (!(await o.createFromDefinition?.(latest))) await exec(sql.createTable(ref, mysqlColumns(latest, o.server), latest.primaryKey, o.collation));
      return (await readState(exec, ref, o.server))!;
    };
    if (!o.prepared.has(key)) {
      if (o.preparation === 'drop-and-create' && state !== null) {
        await exec(sql.dropTable(ref));
        state = null;
      } else if (o.preparation === 'truncate-before-load' && state !== null) {
        await exec(sql.truncateTable(ref));
      }
      const created = state === null;
      if (state === null) state = await create();
      await o.markPrepared(created);
      o.prepared.set(key, created);
      state.owned = created;
    } else if (state === null) {
      state = await create();
      await o.markPrepared(true);
      o.prepared.set(key, true);
      state.owned = true;
    } else {
      state.owned = o.prepared.get(key) === true;
    }
    o.cache.set(key, state);
  }
  for (const v of o.versions) {
    if (state.seen.has(v)) continue;
    await reconcile(o, state, v);
    state.seen.add(v);
  }
  return state;
}

/**
 * Renames target columns to the version's names where the version says the column had another name and the target
 * has that name and not the new one (the first such earlier name, most recent first). Safe to repeat after a crash:
 * once renamed, the target has the new name. RENAME COLUMN keeps the definition (MySQL 8.0, MariaDB 10.5); older
 * servers get CHANGE COLUMN with the definition restated.
 */
async function renameColumns(o: EnsureTableOptions, state: TableState, v: SinkTable): Promise<boolean> {
  const { exec, ref, server } = o;
  let changed = false;
  for (const c of v.columns) {
    if (c.renamedFrom === undefined || state.columns.has(c.name)) continue;
    const from = c.renamedFrom.find((n) => state.columns.has(n));
    if (from === undefined) continue;
    const have = state.columns.get(from)!;
    const renameSupported = server.mariadb ? server.version[0] > 10 || (server.version[0] === 10 && server.version[1] >= 5) : server.version[0] >= 8;
    await exec(renameSupported
      ? `ALTER TABLE ${sql.tableName(ref)} RENAME COLUMN ${sql.ident(from)} TO ${sql.ident(c.name)}`
      : `ALTER TABLE ${sql.tableName(ref)} CHANGE COLUMN ${sql.ident(from)} ${restate({ ...have, name: c.name }, have.nullable)}`);
    state.columns.delete(from);
    state.columns.set(c.name, { ...have, name: c.name });
    changed = true;
  }
  return changed;
}

/** Drops a column the source dropped; what the server refuses (a foreign key, a generated column using it) stops the table. */
async function dropColumn(o: EnsureTableOptions, name: string, v: SinkTable): Promise<void> {
  try {
    await o.exec(`ALTER TABLE ${sql.tableName(o.ref)} DROP COLUMN ${sql.ident(name)}`);
  } catch (e: unknown) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno !== 'number' || [1040, 1053, 1077, 1152, 1205, 1213, 2006, 2013].includes(errno)) throw e; // connection-level: retry
    throw new FerryError('FERRY_TARGET_SCHEMA_CHANGE', `target table ${o.ref.database}.${o.ref.table}: the source dropped column ${name} (schema version ${v.version}) and the server cannot drop it: ${(e as Error).message}. Fix: drop or change what depends on it (a foreign key, an index, a generated column), or set droppedColumns: keep, then restart the task`, { disposition: 'fatal', cause: e, details: { database: o.ref.database, table: o.ref.table, column: name } });
  }
}

/** A column definition restating the current type, character set and collation, with another nullability. */
function restate(c: TableState['columns'] extends Map<string, infer C> ? C : never, nullable: boolean): string {
  const cs = c.charset !== null && c.collation !== null ? ` CHARACTER SET ${c.charset} COLLATE ${c.collation}` : '';
  return `${sql.ident(c.name)} ${c.rawType}${cs} ${nullable ? 'NULL' : 'NOT NULL'}`;
}

async function reconcile(o: EnsureTableOptions, state: TableState, v: SinkTable): Promise<void> {
  const { exec, ref, server } = o;
  // A column is dropped only when a version known to be older had it (version-order.ts); one known to be newer lacking
  // a column means `v` is a lagging version whose rows must not add it back.
  const known = o.versionOrder?.olderColumns(v) ?? new Set<string>();
  const wanted = mysqlColumns(v, server);
  const names = new Set(wanted.map((c) => c.name));
  let changed = await renameColumns(o, state, v);
  for (const c of wanted) {
    const have = state.columns.get(c.name);
    const want = normalizeType(c.type, server);
    if (have === undefined) {
      if (o.versionOrder?.droppedSince(v, c.name)) continue;
      await exec(sql.addColumn(ref, c, o.collation));
      changed = true;
      continue;
    }
    // A table the sink did not create keeps its types: the encoders check each value against them.
    const col = o.keepsType && state.owned ? v.columns.find((x) => x.name === c.name) : undefined;
    const change = state.owned && !(col !== undefined && o.keepsType!(col, have.type, want)) ? typeChange(have.type, want) : 'same';
    if (change === 'widen') {
      await exec(sql.modifyColumn(ref, { ...c, nullable: have.nullable }, o.collation));
      changed = true;
    } else if (change === 'incompatible') {
      throw new FerryError('FERRY_TARGET_SCHEMA_CHANGE', `target table ${ref.database}.${ref.table}: column ${c.name} is ${have.rawType} and the source now sends ${c.type} (schema version ${v.version}), which the target cannot take in place without altering values. Fix: ALTER TABLE ${sql.tableName(ref)} MODIFY COLUMN ${sql.ident(c.name)} to a type that holds both (or ${c.type}) by hand, then restart the task`, { disposition: 'fatal', details: { database: ref.database, table: ref.table, column: c.name, targetType: have.rawType, sourceType: c.type } });
    }
    if (c.nullable && !have.nullable && !v.primaryKey.includes(c.name) && change !== 'widen') {
      await exec(`ALTER TABLE ${sql.tableName(ref)} MODIFY COLUMN ${restate(have, true)}`);
      changed = true;
    }
  }
  // Columns the source dropped go (droppedColumns: drop) or stay; those that stay must accept rows that leave them out.
  for (const [name, c] of state.columns) {
    if (names.has(name)) continue;
    if (o.droppedColumns === 'drop' && known.has(name)) {
      await dropColumn(o, name, v);
      changed = true;
    } else if (!c.nullable) {
      await exec(`ALTER TABLE ${sql.tableName(ref)} MODIFY COLUMN ${restate(c, true)}`);
      changed = true;
    }
  }
  if (changed) {
    const fresh = (await readState(exec, ref, server))!;
    state.columns.clear();
    for (const [k, c] of fresh.columns) state.columns.set(k, c);
  }
}
