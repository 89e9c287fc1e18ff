/**
 * The PostgreSQL sink's side of table definitions (RecordSink.useTableDefinitions): which target tables have one,
 * creating a table from it (table-definition.ts) inside the sink's transaction, and the secondary indexes deferred to
 * the end of the table's full load (`indexes: after-full-load`), kept in <stateSchema>._ferry_sink_indexes until built
 * so a restart still builds them.
 */
import type pg from 'pg';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { SinkColumn, SinkRecord, SinkTable, TableDefinitions, TargetTableDefinition } from '../../../core/src/record-sink.ts';
import type { Logger } from '../../../core/src/types.ts';
import { fullLoadsDone } from '../../../runtime/src/relational/full-load-done.ts';
import { adjustFieldName } from '../../../schemas/src/naming.ts';
import type { TimeType } from './pg-types.ts';
import * as sql from './pg-sql.ts';
import { definedTableDdl, formatType, takesEventType } from './table-definition.ts';

export interface DefinedTablesOptions {
  readonly sink: string;
  readonly stateSchema: string;
  readonly indexes: 'with-table' | 'after-full-load';
  readonly timeType: TimeType;
}

const key = (ref: sql.TableRef): string => `${ref.schema}\u0000${ref.table}`;
/** A type name without a schema qualification (format_type qualifies a type only outside the search_path). */
const unqualified = (t: string): string => t.replace(/^(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.(?=\S)/, '');

export class DefinedTables {
  readonly #o: DefinedTablesOptions;
  readonly #table: sql.TableRef;
  #defs: Map<string, TargetTableDefinition> | undefined;
  #unavailable: string | undefined;
  /** Target tables with indexes still to build (read from the state table at connect). */
  #pending = new Set<string>();
  /** Finished tables looked up in the state table since connect (buildDone); #checkedAll: all of them. */
  readonly #checked = new Set<string>();
  #checkedAll = false;
  readonly #logged = new Set<string>();

  constructor(o: DefinedTablesOptions) {
    this.#o = o;
    this.#table = { schema: o.stateSchema, table: '_ferry_sink_indexes' };
  }

  use(d: TableDefinitions): void {
    if ('unavailable' in d) {
      this.#defs = undefined;
      this.#unavailable = d.unavailable;
      return;
    }
    this.#defs = new Map(d.tables.map((t) => [key(t), t]));
  }

  /** The definition of a target table, if the sink was given one. */
  get(ref: sql.TableRef): TargetTableDefinition | undefined {
    return this.#defs?.get(key(ref));
  }

  /** At connect, under the sink's init lock: the state table, and which tables still wait for their indexes. */
  async init(client: pg.Client): Promise<void> {
    await client.query(sql.createPendingIndexesTable(this.#table));
    const rows = (await client.query(sql.selectPendingIndexes(this.#table), [this.#o.sink])).rows as { target_schema: string; target_table: string }[];
    this.#pending = new Set(rows.map((r) => key({ schema: r.target_schema, table: r.target_table })));
  }

  /** Creates `ref` from its definition in the open transaction; false when there is none (the event schema is used). */
  async create(client: pg.Client, ref: sql.TableRef, latest: SinkTable, log: Logger): Promise<boolean> {
    const def = this.get(ref);
    if (def === undefined) {
      if (this.#defs !== undefined && !this.#logged.has(key(ref))) {
        this.#logged.add(key(ref));
        log.info(`postgres sink ${this.#o.sink}: no definition of ${ref.schema}.${ref.table} in the source catalog: created from the event schema`);
      }
      return false;
    }
    const ddl = definedTableDdl(def, ref, latest, this.#o.timeType);
    for (const s of ddl.statements) await client.query(s);
    if (this.#o.indexes === 'with-table') {
      for (const s of ddl.indexes) await client.query(s);
    } else if (ddl.indexes.length > 0) {
      for (const [i, s] of ddl.indexes.entries()) await client.query(sql.insertPendingIndex(this.#table), [this.#o.sink, ref.schema, ref.table, i, s]);
      this.#pending.add(key(ref));
    }
    log.info(`postgres sink ${this.#o.sink}: created ${ref.schema}.${ref.table} from the source catalog (${def.source}): ${def.columns.length} columns, ${def.constraints.length} unique keys and checks, ${ddl.indexes.length} indexes ${this.#o.indexes === 'with-table' || ddl.indexes.length === 0 ? 'created' : 'after its full load'}${ddl.notes.length > 0 ? `; event-schema types for ${ddl.notes.join(', ')}` : ''}`);
    return true;
  }

  /** Whether a column created from the definition takes the event column's values as it is (no ALTER). */
  keepsType(ref: sql.TableRef): (column: SinkColumn, have: string, eventType: string) => boolean {
    return (column, have, eventType) => {
      const c = this.get(ref)?.columns.find((x) => x.name === column.name || (x.name !== column.name && adjustFieldName(x.name) === column.name));
      return c !== undefined && unqualified(formatType(c.type)) === unqualified(have) && takesEventType(have, column, eventType);
    };
  }

  /**
   * After a write: builds the pending indexes of the tables whose full load the records show to be over, each table
   * in its own transaction (CREATE INDEX, then the pending rows deleted). A failure stops the sink with the statement.
   */
  async buildDone(client: pg.Client, records: readonly SinkRecord[], refOf: (t: SinkTable) => sql.TableRef, log: Logger): Promise<void> {
    const done = fullLoadsDone(records);
    // Another instance of this sink (`consumers`, another process) may have created a table, and its pending indexes,
    // after this one read them at connect: a finished table this instance does not know as pending is looked up once.
    const finished = done.all ? null : [...new Set(done.tables.map((r) => key(refOf(r.table))))];
    if (finished === null ? !this.#checkedAll : finished.some((k) => !this.#pending.has(k) && !this.#checked.has(k))) {
      const rows = (await client.query(sql.selectPendingIndexes(this.#table), [this.#o.sink])).rows as { target_schema: string; target_table: string }[];
      this.#pending = new Set(rows.map((r) => key({ schema: r.target_schema, table: r.target_table })));
      for (const k of finished ?? []) this.#checked.add(k);
      if (finished === null) this.#checkedAll = true;
    }
    if (this.#pending.size === 0) return;
    const tables = done.all ? [...this.#pending] : [...new Set(done.tables.map((r) => key(refOf(r.table))))].filter((k) => this.#pending.has(k));
    for (const k of tables) {
      const [schema, table] = k.split('\u0000') as [string, string];
      await client.query('BEGIN');
      try {
        // Under the table's DDL lock: another instance building the same indexes has committed (its rows are gone) first.
        await client.query(sql.LOCK_TABLE_DDL, [`${schema}.${table}`]);
        const rows = (await client.query(sql.selectPendingIndexes(this.#table), [this.#o.sink])).rows as { target_schema: string; target_table: string; statement: string }[];
        const mine = rows.filter((r) => r.target_schema === schema && r.target_table === table);
        const started = Date.now();
        for (const r of mine) {
          try {
            await client.query(r.statement);
          } catch (e: unknown) {
            throw new FerryError('FERRY_SINK_ERROR', `postgres sink ${this.#o.sink}: building an index of ${schema}.${table} after its full load failed: ${errorMessage(e)}. Statement: ${r.statement}. Fix: correct the data or run the statement by hand after changing it, then DELETE its row from ${this.#table.schema}._ferry_sink_indexes and restart`, { disposition: 'fatal', cause: e });
          }
        }
        await client.query(sql.deletePendingIndexes(this.#table), [this.#o.sink, schema, table]);
        await client.query('COMMIT');
        this.#pending.delete(k);
        if (mine.length > 0) log.info(`postgres sink ${this.#o.sink}: full load of ${schema}.${table} done: built ${mine.length} indexes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (e: unknown) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    }
  }

  /** Why there are no definitions, when the runtime said so. */
  get unavailable(): string | undefined {
    return this.#unavailable;
  }
}
