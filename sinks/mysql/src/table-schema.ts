/**
 * The target table of a captured table, kept in step with its schema versions. MySQL DDL commits implicitly, so this
 * runs before the data transaction of a batch, and every step is safe to repeat after a crash:
 *
 *   first write by this sink   tablePreparation (do-nothing: create if missing; drop-and-create; truncate-before-load),
 *                              recorded in _ferry_sink_tables so a restart never drops or truncates again, with
 *                              whether the sink created the table
 *   a table the sink did not create   its column types are the user's: never changed (a value a column cannot
 *                              hold is dead-lettered); missing columns are added, NOT NULL relaxed as below
 *   a column the source added  ALTER TABLE … ADD COLUMN (nullable), before the batch that carries it
 *   a wider source type        ALTER TABLE … MODIFY COLUMN (int → bigint, decimal(p,s) → more digits, varchar(n) → more, …)
 *   a column the source dropped  kept; made nullable so later rows can leave it out
 *   a narrower source type     nothing: the target already holds every value
 *   any other type change      FERRY_TARGET_SCHEMA_CHANGE (fatal), naming the column, both types and the fix
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkTable } from '../../../core/src/record-sink.ts';
import { mysqlColumns, normalizeType, typeChange, type ServerInfo } from './mysql-types.ts';
import type { TargetColumn } from './mysql-values.ts';
import * as sql from './mysql-sql.ts';

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
      await exec(sql.createTable(ref, mysqlColumns(latest, o.server), latest.primaryKey, o.collation));
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

/** A column definition restating the current type, character set and collation, with another nullability. */
function restate(c: TableState['columns'] extends Map<string, infer C> ? C : never, nullable: boolean): string {
  const cs = c.charset !== null && c.collation !== null ? ` CHARACTER SET ${c.charset} COLLATE ${c.collation}` : '';
  return `${sql.ident(c.name)} ${c.rawType}${cs} ${nullable ? 'NULL' : 'NOT NULL'}`;
}

async function reconcile(o: EnsureTableOptions, state: TableState, v: SinkTable): Promise<void> {
  const { exec, ref, server } = o;
  const wanted = mysqlColumns(v, server);
  const names = new Set(wanted.map((c) => c.name));
  let changed = false;
  for (const c of wanted) {
    const have = state.columns.get(c.name);
    const want = normalizeType(c.type, server);
    if (have === undefined) {
      await exec(sql.addColumn(ref, c, o.collation));
      changed = true;
      continue;
    }
    // A table the sink did not create keeps its types: the encoders check each value against them.
    const change = state.owned ? typeChange(have.type, want) : 'same';
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
  // Columns the source dropped stay; they must accept rows that leave them out.
  for (const [name, c] of state.columns) {
    if (!c.nullable && !names.has(name)) {
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
