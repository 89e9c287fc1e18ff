/**
 * The MySQL/MariaDB sink's side of table definitions (RecordSink.useTableDefinitions): a target table created from
 * the schema conversion of the source catalog instead of the event schema — converted column types, nullability,
 * defaults, AUTO_INCREMENT, ON UPDATE, the primary key, checks, secondary unique keys as plain indexes
 * (runtime/src/schema-conversion/mysql-unique-keys.ts says why) — and its secondary indexes, built with
 * the table or when its full load is over (`indexes: after-full-load`, kept in <stateDatabase>._ferry_sink_indexes
 * until built, so a restart still builds them).
 *
 * The sink's value writers check every value against the target column (mysql-values.ts) and dead-letter what it
 * cannot hold, so a converted type is kept as it is, with these exceptions, where the column gets the event
 * schema's type (mysql-types.ts) and a log line says so:
 *   - PostgreSQL timetz (Debezium ZonedTime, '07:04:56.789Z'): MySQL TIME cannot hold the zone → varchar(32);
 *   - text columns of a cross-engine conversion get the sink's NO PAD binary collation (utf8mb4_nopad_bin on
 *     MariaDB, utf8mb4_0900_bin on MySQL 8) instead of utf8mb4_bin: PostgreSQL's 'a' and 'a ' are distinct keys;
 *   - a generated column whose values the events carry is created as a plain column (MySQL refuses values for it).
 */
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { SinkColumn, SinkRecord, SinkTable, TableDefinitions, TargetTableDefinition } from '../../../core/src/record-sink.ts';
import type { Logger } from '../../../core/src/types.ts';
import { fullLoadsDone } from '../../../runtime/src/relational/full-load-done.ts';
import { alignToEvents } from '../../../runtime/src/schema-conversion/table-definitions.ts';
import { uniqueAsPlainIndex } from '../../../runtime/src/schema-conversion/mysql-unique-keys.ts';
import { adjustFieldName } from '../../../schemas/src/naming.ts';
import { mysqlColumns, normalizeType, type ServerInfo } from './mysql-types.ts';
import * as sql from './mysql-sql.ts';

/** Runs one statement and returns its rows. */
type Exec = (statement: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

export interface DefinedTablesOptions {
  readonly sink: string;
  readonly stateDatabase: string;
  readonly indexes: 'with-table' | 'after-full-load';
}

const key = (ref: sql.TableRef): string => `${ref.database}\u0000${ref.table}`;

/** The CREATE TABLE of a definition for the event columns of `latest`, and the columns that got the event schema's type. */
export function definedCreateTable(def: TargetTableDefinition, ref: sql.TableRef, latest: SinkTable, server: ServerInfo, collation: string): { create: string; notes: string[] } {
  def = alignToEvents(def, new Set(latest.columns.map((c) => c.name)), 'mysql');
  const eventTypes = new Map(mysqlColumns(latest, server).map((c) => [c.name, c.type]));
  const events = new Map(latest.columns.map((c) => [c.name, c]));
  const lines: string[] = [];
  const notes: string[] = [];
  for (const c of def.columns) {
    const ev = events.get(c.name);
    let line: string;
    if (ev !== undefined && ev.type.logical === 'io.debezium.time.ZonedTime' && !/char|text/i.test(c.type)) {
      const t = eventTypes.get(c.name)!;
      notes.push(`${c.name} ${t} (converted: ${c.type})`);
      line = `${sql.ident(c.name)} ${t} CHARACTER SET utf8mb4 COLLATE ${collation}`;
    } else {
      line = `${sql.ident(c.name)} ${c.type}${(c.collation ?? '').replace(/^ COLLATE utf8mb4_bin$/, ` COLLATE ${collation}`)}`;
      if (c.generated !== undefined && ev === undefined) line += c.generated;
      if (c.identity !== undefined) line += c.identity;
      if (c.default !== undefined) line += ` DEFAULT ${c.default}`;
      if (c.onUpdate !== undefined) line += ` ON UPDATE ${c.onUpdate}`;
      if (c.check !== undefined) line += ` CHECK (${c.check})`;
    }
    // A column the events never carry must take rows without it.
    const notNull = !c.nullable && (ev !== undefined || c.default !== undefined || c.identity !== undefined || c.generated !== undefined || def.primaryKey.includes(c.name));
    // (MariaDB takes no NULL / NOT NULL on a generated column)
    lines.push(c.generated !== undefined && ev === undefined ? line : `${line}${notNull ? ' NOT NULL' : ' NULL'}`);
  }
  if (def.primaryKey.length > 0) lines.push(`PRIMARY KEY (${def.primaryKey.map(sql.ident).join(', ')})`);
  for (const k of def.constraints) lines.push(uniqueAsPlainIndex(k.sql)); // mysql-unique-keys.ts: why
  const options = def.tableOptions.replace(/ COLLATE=utf8mb4_bin\b/, ` COLLATE=${collation}`);
  return { create: `CREATE TABLE IF NOT EXISTS ${sql.tableName(ref)} (\n  ${lines.join(',\n  ')}\n)${options}`, notes };
}

export class DefinedTables {
  readonly #o: DefinedTablesOptions;
  readonly #table: sql.TableRef;
  #defs: Map<string, TargetTableDefinition> | undefined;
  #pending = new Set<string>();
  /** Finished tables looked up in the state table since connect (buildDone); #checkedAll: all of them. */
  readonly #checked = new Set<string>();
  #checkedAll = false;
  readonly #logged = new Set<string>();
  /** Per "database\0table\0column": the event type a column created from its definition was first seen with. */
  readonly #baseline = new Map<string, string>();

  constructor(o: DefinedTablesOptions) {
    this.#o = o;
    this.#table = { database: o.stateDatabase, table: '_ferry_sink_indexes' };
  }

  use(d: TableDefinitions): void {
    this.#defs = 'unavailable' in d ? undefined : new Map(d.tables.map((t) => [`${t.schema}\u0000${t.table}`, t]));
  }

  get(ref: sql.TableRef): TargetTableDefinition | undefined {
    return this.#defs?.get(key(ref));
  }

  async init(exec: Exec): Promise<void> {
    await exec(sql.createPendingIndexesTable(this.#table));
    const rows = await exec(sql.selectPendingIndexes(this.#table), [this.#o.sink]);
    this.#pending = new Set(rows.map((r) => key({ database: String(r.target_database), table: String(r.target_table) })));
  }

  /** Creates `ref` from its definition (DDL, outside the data transaction); false when there is none. */
  async create(exec: Exec, ref: sql.TableRef, latest: SinkTable, server: ServerInfo, collation: string, log: Logger | undefined): Promise<boolean> {
    const def = this.get(ref);
    if (def === undefined) {
      if (this.#defs !== undefined && !this.#logged.has(key(ref))) {
        this.#logged.add(key(ref));
        log?.info(`mysql sink ${this.#o.sink}: no definition of ${ref.database}.${ref.table} in the source catalog: created from the event schema`);
      }
      return false;
    }
    for (const s of def.before) await exec(s);
    // Recorded first: a crash after CREATE TABLE still leaves them to build.
    if (this.#o.indexes === 'after-full-load' && def.indexes.length > 0) {
      const indexes = alignToEvents(def, new Set(latest.columns.map((c) => c.name)), 'mysql').indexes;
      for (const [i, s] of indexes.entries()) await exec(sql.insertPendingIndex(this.#table), [this.#o.sink, ref.database, ref.table, i, uniqueAsPlainIndex(s)]);
      this.#pending.add(key(ref));
    }
    const { create, notes } = definedCreateTable(def, ref, latest, server, collation);
    const aligned = alignToEvents(def, new Set(latest.columns.map((c) => c.name)), 'mysql');
    await exec(create);
    for (const s of aligned.after) await exec(s);
    if (this.#o.indexes === 'with-table') for (const s of aligned.indexes) await this.#index(exec, uniqueAsPlainIndex(s));
    log?.info(`mysql sink ${this.#o.sink}: created ${ref.database}.${ref.table} from the source catalog (${def.source}): ${def.columns.length} columns, ${def.constraints.length} unique keys and checks, ${def.indexes.length} indexes ${this.#o.indexes === 'with-table' || def.indexes.length === 0 ? 'created' : 'after its full load'}${notes.length > 0 ? `; event-schema types for ${notes.join(', ')}` : ''}`);
    return true;
  }

  /** CREATE INDEX; an index of that name already there (built before a crash) counts as built. */
  async #index(exec: Exec, statement: string): Promise<void> {
    try {
      await exec(statement);
    } catch (e: unknown) {
      if ((e as { errno?: number }).errno !== 1061) throw e;
    }
  }

  /**
   * Whether a column created from the definition keeps its type for the event column: its type is the definition's,
   * and the event type is the one it was first seen with (a later change of the event type, e.g. int32 → int64 after
   * a source ALTER, is a widening as for any table the sink created).
   */
  keepsType(ref: sql.TableRef, server: ServerInfo): (column: SinkColumn, have: string, eventType: string) => boolean {
    return (column, have, eventType) => {
      const c = this.get(ref)?.columns.find((x) => x.name === column.name || (x.name !== column.name && adjustFieldName(x.name) === column.name));
      if (c === undefined || normalizeType(c.type, server) !== have) return false;
      const k = `${key(ref)}\u0000${column.name}`;
      const first = this.#baseline.get(k);
      if (first === undefined) this.#baseline.set(k, eventType);
      return first === undefined || first === eventType;
    };
  }

  /** After a write: builds the pending indexes of the tables whose full load the records show to be over. */
  async buildDone(exec: Exec, records: readonly SinkRecord[], refOf: (t: SinkTable) => sql.TableRef, log: Logger): Promise<void> {
    const done = fullLoadsDone(records);
    // Another instance of this sink (`consumers`, another process) may have created a table, and its pending indexes,
    // after this one read them at connect: a finished table this instance does not know as pending is looked up once.
    const finished = done.all ? null : [...new Set(done.tables.map((r) => key(refOf(r.table))))];
    if (finished === null ? !this.#checkedAll : finished.some((k) => !this.#pending.has(k) && !this.#checked.has(k))) {
      const rows = await exec(sql.selectPendingIndexes(this.#table), [this.#o.sink]);
      this.#pending = new Set(rows.map((r) => key({ database: String(r.target_database), table: String(r.target_table) })));
      for (const k of finished ?? []) this.#checked.add(k);
      if (finished === null) this.#checkedAll = true;
    }
    if (this.#pending.size === 0) return;
    const tables = done.all ? [...this.#pending] : [...new Set(done.tables.map((r) => key(refOf(r.table))))].filter((k) => this.#pending.has(k));
    if (tables.length === 0) return;
    const rows = await exec(sql.selectPendingIndexes(this.#table), [this.#o.sink]);
    for (const k of tables) {
      const [database, table] = k.split('\u0000') as [string, string];
      const mine = rows.filter((r) => String(r.target_database) === database && String(r.target_table) === table);
      const started = Date.now();
      for (const r of mine) {
        try {
          await this.#index(exec, String(r.statement));
        } catch (e: unknown) {
          throw new FerryError('FERRY_SINK_ERROR', `mysql sink ${this.#o.sink}: building an index of ${database}.${table} after its full load failed: ${errorMessage(e)}. Statement: ${String(r.statement)}. Fix: correct the data or run the statement by hand, then DELETE its row from ${this.#table.database}._ferry_sink_indexes and restart`, { disposition: 'fatal', cause: e });
        }
        await exec(sql.deletePendingIndex(this.#table), [this.#o.sink, database, table, r.ordinal]);
      }
      this.#pending.delete(k);
      if (mine.length > 0) log.info(`mysql sink ${this.#o.sink}: full load of ${database}.${table} done: built ${mine.length} indexes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
}
