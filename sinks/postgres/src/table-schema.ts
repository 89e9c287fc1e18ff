/**
 * The target table of a captured table, kept in step with its schema versions, inside the sink's transaction:
 *
 *   first write by this sink   tablePreparation (do-nothing: create if missing; drop-and-create; truncate-before-load),
 *                              recorded in _ferry_sink_tables so a restart never drops or truncates again
 *   a column the source added  ALTER TABLE … ADD COLUMN (nullable), before the first event that carries it
 *   a wider source type        ALTER COLUMN … TYPE (int → bigint, numeric(p,s) → more digits, real → double, …)
 *   a column the source dropped  kept; made nullable so later rows can leave it out
 *   a narrower source type     nothing: the target already holds every value
 *   any other type change      FERRY_TARGET_SCHEMA_CHANGE (fatal), naming the column, both types and the fix
 */
import type pg from 'pg';
import { FerryError } from '../../../core/src/errors.ts';
import type { SinkTable } from '../../../core/src/record-sink.ts';
import { pgColumns, typeChange, type TimeType } from './pg-types.ts';
import * as sql from './pg-sql.ts';

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
    await client.query(sql.createTable(ref, pgColumns(latest, o.timeType), latest.primaryKey));
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
    await reconcile(client, ref, state, v, o.timeType);
    state.seen.add(v);
  }
  return state;
}

async function reconcile(client: pg.Client, ref: sql.TableRef, state: TableState, v: SinkTable, timeType: TimeType): Promise<void> {
  const wanted = pgColumns(v, timeType);
  const names = new Set(wanted.map((c) => c.name));
  for (const c of wanted) {
    const have = state.types.get(c.name);
    if (have === undefined) {
      await client.query(sql.addColumn(ref, c));
      state.types.set(c.name, c.type);
      state.nullable.set(c.name, true);
      continue;
    }
    const change = typeChange(have, c.type);
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
  // Columns the source dropped stay; they must accept rows that leave them out.
  for (const [name, nullable] of state.nullable) {
    if (!nullable && !names.has(name)) {
      await client.query(sql.dropNotNull(ref, name));
      state.nullable.set(name, true);
    }
  }
}
