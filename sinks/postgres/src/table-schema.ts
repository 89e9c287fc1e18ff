/**
 * The target table of a captured table, kept in step with its schema versions, inside the sink's transaction:
 *
 *   first write by this sink   tablePreparation (do-nothing: create if missing; drop-and-create; truncate-before-load),
 *                              recorded in _ferry_sink_tables so a restart never drops or truncates again
 *   a column the source renamed  ALTER TABLE … RENAME COLUMN, when the version names the column's earlier names
 *                              (SinkColumn.renamedFrom: Avro aliases) and the target has one of them but not the new name
 *   a column the source added  ALTER TABLE … ADD COLUMN (nullable), before the first event that carries it
 *   a wider source type        ALTER COLUMN … TYPE (int → bigint, numeric(p,s) → more digits, real → double, …)
 *   a column the source dropped  droppedColumns drop: ALTER TABLE … DROP COLUMN; keep: made nullable so later rows
 *                              can leave it out. "Dropped" = an earlier version this sink saw had it; any other target
 *                              column the version lacks (the target's own) is only made nullable
 *   a narrower source type     nothing: the target already holds every value
 *   any other type change      FERRY_TARGET_SCHEMA_CHANGE (fatal), naming the column, both types and the fix
 */
import type pg from 'pg';
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkColumn, SinkTable } from '../../../core/src/record-sink.ts';
import { pgColumns, typeChange, type TimeType } from './pg-types.ts';
import * as sql from './pg-sql.ts';
import type { VersionOrder } from '../../../runtime/src/relational/version-order.ts';

export interface TableState {
  /** Column name → type (format_type), in the target's order. */
  readonly types: Map<string, string>;
  readonly nullable: Map<string, boolean>;
  /** The versions already reconciled with the target. */
  readonly seen: Set<SinkTable>;
}

export interface EnsureTableOptions {
  readonly client: pg.Client;
  readonly ref: sql.TableRef;
  /** The versions of the run, oldest first. */
  readonly versions: readonly SinkTable[];
  readonly cache: Map<string, TableState>;
  /** Whether this sink has prepared the table before (read under the table's DDL lock). */
  isPrepared(): Promise<boolean>;
  readonly preparation: 'do-nothing' | 'drop-and-create' | 'truncate-before-load';
  readonly timeType: TimeType;
  /** Records the preparation (in the same transaction). */
  markPrepared(): Promise<void>;
  /** What happens to a target column the source dropped (PostgresSinkConfig.droppedColumns); absent: keep. */
  readonly droppedColumns?: 'drop' | 'keep';
  /**
   * The order of the versions this sink has seen (runtime/src/relational/version-order.ts), to tell a column the source
   * dropped from the target's own, and a lagging partition's older version from a drop.
   */
  readonly versionOrder?: VersionOrder;
  /**
   * Creates the table from the schema conversion's definition (table-definition.ts), in this transaction; false when
   * the sink has none for it (the table is then created from the event schema).
   */
  createFromDefinition?(latest: SinkTable): Promise<boolean>;
  /** Whether a target column of type `have` created from the definition already takes the event column's values (no ALTER). */
  keepsType?(column: SinkColumn, have: string, eventType: string): boolean;
}

async function readState(client: pg.Client, ref: sql.TableRef): Promise<TableState | null> {
  const rows = (await client.query(sql.SELECT_COLUMNS, [ref.schema, ref.table])).rows as { name: string; type: string; nullable: boolean }[];
  if (rows.length === 0) return null;
  return { types: new Map(rows.map((r) => [r.name, r.type])), nullable: new Map(rows.map((r) => [r.name, r.nullable])), seen: new Set() };
}

export async function ensureTable(o: EnsureTableOptions): Promise<TableState> {
  const { client, ref } = o;
  const key = `${ref.schema}.${ref.table}`;
  const cached = o.cache.get(key);
  if (cached !== undefined && o.versions.every((v) => cached.seen.has(v))) return cached;
  // Something to create or reconcile: under the table's DDL lock, from the catalog as it is now (another writer of
  // the same table, e.g. a worker on another Kafka partition, may have changed it).
  await client.query(sql.LOCK_TABLE_DDL, [key]);
  let state = await readState(client, ref);
  const latest = o.versions.at(-1)!;
  const create = async (): Promise<TableState> => {
    await client.query(sql.createSchema(ref.schema));
    if (!(await o.createFromDefinition?.(latest))) await client.query(sql.createTable(ref, pgColumns(latest, o.timeType), latest.primaryKey));
    return (await readState(client, ref))!;
  };
  if (cached === undefined && !(await o.isPrepared())) {
    if (o.preparation === 'drop-and-create' && state !== null) {
      await client.query(sql.dropTable(ref));
      state = null;
    } else if (o.preparation === 'truncate-before-load' && state !== null) {
      await client.query(sql.truncate(ref));
    }
    state ??= await create();
    await o.markPrepared();
  }
  state ??= await create(); // prepared before, and dropped since
  for (const v of cached?.seen ?? []) state.seen.add(v);
  o.cache.set(key, state);
  for (const v of o.versions) {
    if (state.seen.has(v)) continue;
    // A column is dropped only when a version known to be older had it (version-order.ts).
    const known = o.versionOrder?.olderColumns(v) ?? new Set<string>();
    await reconcile(client, ref, state, v, o.timeType, { drop: o.droppedColumns === 'drop', known, droppedSince: (name) => o.versionOrder?.droppedSince(v, name) ?? false }, o.keepsType);
    state.seen.add(v);
  }
  return state;
}

/**
 * Renames target columns to the version's names where the version says the column had another name and the target
 * has that name and not the new one (the first such earlier name, most recent first). Safe to repeat: once renamed,
 * the target has the new name.
 */
async function renameColumns(client: pg.Client, ref: sql.TableRef, state: TableState, v: SinkTable): Promise<void> {
  for (const c of v.columns) {
    if (c.renamedFrom === undefined || state.types.has(c.name)) continue;
    const from = c.renamedFrom.find((n) => state.types.has(n));
    if (from === undefined) continue;
    await client.query(`ALTER TABLE ${sql.tableName(ref)} RENAME COLUMN ${sql.ident(from)} TO ${sql.ident(c.name)}`);
    state.types.set(c.name, state.types.get(from)!);
    state.types.delete(from);
    state.nullable.set(c.name, state.nullable.get(from)!);
    state.nullable.delete(from);
  }
}

/** Drops a column the source dropped; a dependent object (a view, a foreign key of another table) stops the table. */
async function dropColumn(client: pg.Client, ref: sql.TableRef, state: TableState, name: string, v: SinkTable): Promise<void> {
  try {
    await client.query(`ALTER TABLE ${sql.tableName(ref)} DROP COLUMN ${sql.ident(name)}`);
  } catch (e: unknown) {
    if ((e as { code?: unknown }).code !== '2BP01') throw e;
    throw new FerryError('FERRY_TARGET_SCHEMA_CHANGE', `target table ${ref.schema}.${ref.table}: the source dropped column ${name} (schema version ${v.version}) and PostgreSQL cannot drop it: ${(e as Error).message}. Fix: drop or change the objects that depend on it, or set droppedColumns: keep, then restart the task`, { disposition: 'fatal', cause: e, details: { schema: ref.schema, table: ref.table, column: name } });
  }
  state.types.delete(name);
  state.nullable.delete(name);
}

interface DropPolicy {
  /** droppedColumns: drop. */
  readonly drop: boolean;
  /** Column names of the versions known to be older than this one. */
  readonly known: ReadonlySet<string>;
  /** Whether a version known to be newer lacks the column: this (lagging) version's rows must not add it back. */
  readonly droppedSince: (name: string) => boolean;
}

async function reconcile(client: pg.Client, ref: sql.TableRef, state: TableState, v: SinkTable, timeType: TimeType, dropped: DropPolicy, keepsType?: EnsureTableOptions['keepsType']): Promise<void> {
  await renameColumns(client, ref, state, v);
  const wanted = pgColumns(v, timeType);
  const names = new Set(wanted.map((c) => c.name));
  for (const c of wanted) {
    const have = state.types.get(c.name);
    if (have === undefined) {
      if (dropped.droppedSince(c.name)) continue;
      await client.query(sql.addColumn(ref, c));
      state.types.set(c.name, c.type);
      state.nullable.set(c.name, true);
      continue;
    }
    const col = keepsType ? v.columns.find((x) => x.name === c.name) : undefined;
    const change = col !== undefined && keepsType!(col, have, c.type) ? 'same' : typeChange(have, c.type);
    if (change === 'widen') {
      await client.query(sql.alterColumnType(ref, c.name, c.type));
      state.types.set(c.name, c.type);
    } else if (change === 'incompatible') {
      throw new FerryError('FERRY_TARGET_SCHEMA_CHANGE', `target table ${ref.schema}.${ref.table}: column ${c.name} is ${have} and the source now sends ${c.type} (schema version ${v.version}), which PostgreSQL cannot take in place without altering values. Fix: ALTER the target column to a type that holds both (or ${c.type}) by hand, then restart the task`, { disposition: 'fatal', details: { schema: ref.schema, table: ref.table, column: c.name, targetType: have, sourceType: c.type } });
    }
    if (c.nullable && state.nullable.get(c.name) === false && !v.primaryKey.includes(c.name)) {
      await client.query(sql.dropNotNull(ref, c.name));
      state.nullable.set(c.name, true);
    }
  }
  // Columns the source dropped go (droppedColumns: drop) or stay; those that stay must accept rows that leave them out.
  for (const [name, nullable] of [...state.nullable]) {
    if (names.has(name)) continue;
    if (dropped.drop && dropped.known.has(name)) {
      await dropColumn(client, ref, state, name, v);
    } else if (!nullable) {
      await client.query(sql.dropNotNull(ref, name));
      state.nullable.set(name, true);
    }
  }
}
