/**
 * The captured tables' schemas while streaming: loaded from the schema history at the start position, changed by
 * the DDL the binlog carries (ddl-parser.ts → ddl-apply.ts), each change appended to the history before any event
 * that depends on it can be committed. Each change bumps the table's TableSchema.version.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Logger, TableId } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { ddlEffects, keepRenames, type DdlContext } from './ddl-apply.ts';
import { parseDdl } from './ddl-parser.ts';
import { databaseCharset, readTableDefs, sameDef, SYSTEM_SCHEMAS, tableKey } from './mysql-schema.ts';
import { codecFor, type RowCodec } from './row-codec.ts';
import type { HistoryEntry, SchemaHistory } from './schema-history.ts';
import type { MySqlTableDef } from './type-mapping.ts';
import { columnNamesDiffer } from './binlog/table-map-metadata.ts';

export interface DdlResult {
  /** Tables a TRUNCATE emptied (one op 't' event each). */
  readonly truncated: readonly RowCodec[];
  /** Tables whose definition changed or went away (the binlog client's table-map cache must forget them). */
  readonly changed: readonly TableId[];
}

export class SchemaTracker {
  readonly #history: SchemaHistory;
  readonly #selector: TableSelector;
  readonly #control: Connection;
  readonly #isMariaDb: boolean;
  readonly #log: Logger;
  #lowerCaseNames = false;
  readonly #codecs = new Map<string, RowCodec>();
  readonly #selected = new Map<string, Map<string, boolean>>();

  constructor(o: { history: SchemaHistory; selector: TableSelector; control: Connection; isMariaDb: boolean; log: Logger }) {
    this.#history = o.history;
    this.#selector = o.selector;
    this.#control = o.control;
    this.#isMariaDb = o.isMariaDb;
    this.#log = o.log;
  }

  /** Loads the schemas in effect at `posKey`. With no history at all (lost state dir) they come from information_schema, with a warning. */
  async init(posKey: string): Promise<void> {
    const [rows] = await this.#control.query<RowDataPacket[]>('SELECT @@lower_case_table_names AS l');
    this.#lowerCaseNames = Number(rows[0]?.l ?? 0) !== 0;
    this.#codecs.clear();
    if (this.#history.isEmpty) {
      this.#log.warn({ file: this.#history.file },
        'no schema history (the state folder is new or was lost): reading the table definitions from information_schema now. Events between the stored position and now are decoded with today\'s definitions; if a captured table changed in between, restart with full-load-and-cdc');
      const [tabs] = await this.#control.query<RowDataPacket[]>("SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'");
      const ids = tabs.map((r) => ({ schema: String(r.s), table: String(r.t) })).filter((id) => this.isSelected(id.schema, id.table));
      const defs = await readTableDefs(this.#control, ids, this.#isMariaDb);
      const entries: HistoryEntry[] = [];
      for (const def of defs.values()) {
        entries.push({ pos: posKey, key: tableKey(def), version: 1, def, cause: 'recovered' });
        this.#codecs.set(tableKey(def), codecFor(def, 1));
      }
      this.#history.reset(entries);
      return;
    }
    for (const [key, e] of this.#history.stateAt(posKey)) if (e.def) this.#codecs.set(key, codecFor(e.def, e.version));
    await this.#adoptUnknownTables(posKey);
  }

  /**
   * Selected tables the history has never seen (a table added to the task after it was created, while it was not
   * selected): their definitions from information_schema now, recorded at the start position, so that its reload
   * can read it and its rows decode, whether or not the stream meets a change of it first.
   */
  async #adoptUnknownTables(posKey: string): Promise<void> {
    const [tabs] = await this.#control.query<RowDataPacket[]>("SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'");
    const ids = tabs.map((r) => ({ schema: String(r.s), table: String(r.t) }))
      .filter((id) => this.isSelected(id.schema, id.table) && this.#history.maxVersion(tableKey(id)) === 0);
    if (ids.length === 0) return;
    const defs = await readTableDefs(this.#control, ids, this.#isMariaDb);
    const entries: HistoryEntry[] = [];
    for (const def of defs.values()) {
      entries.push({ pos: posKey, key: tableKey(def), version: 1, def, cause: 'recovered' });
      this.#codecs.set(tableKey(def), codecFor(def, 1));
    }
    this.#log.info({ tables: entries.map((e) => e.key), position: posKey }, 'selected tables new to the schema history: their definitions come from information_schema');
    this.#history.append(entries);
  }

  get(key: string): RowCodec | undefined {
    return this.#codecs.get(key);
  }

  get lowerCaseNames(): boolean {
    return this.#lowerCaseNames;
  }

  /** Asked for every TableMap event, so cached per database and table (no string building). */
  isSelected(schema: string, table: string): boolean {
    let tables = this.#selected.get(schema);
    if (!tables) {
      if (this.#selected.size > 10000) this.#selected.clear();
      this.#selected.set(schema, (tables = new Map()));
    }
    let v = tables.get(table);
    if (v === undefined) {
      v = !SYSTEM_SCHEMAS.has(schema.toLowerCase()) && this.#selector.includes({ schema, table });
      tables.set(table, v);
    }
    return v;
  }

  #set(key: string, def: MySqlTableDef, posKey: string, cause: HistoryEntry['cause'], ddl: string | undefined, entries: HistoryEntry[]): boolean {
    const current = this.#codecs.get(key);
    if (current && sameDef(current.def, def)) return false;
    const version = Math.max(this.#history.maxVersion(key), current?.schema.version ?? 0) + 1;
    const codec = codecFor(def, version);
    this.#codecs.set(key, codec);
    entries.push({ pos: posKey, key, version, def, cause, ...(ddl !== undefined ? { ddl } : {}) });
    return true;
  }

  /**
   * Applies the DDL of a QUERY event at `posKey` (the position after it). A DDL met again after a restart is
   * replayed from the history, not re-derived.
   */
  async applyDdl(sql: string, defaultSchema: string, posKey: string): Promise<DdlResult> {
    const stmt = parseDdl(sql, this.#isMariaDb);
    if (stmt.kind === 'unknown') {
      this.#log.warn({ statement: sql.slice(0, 2000), reason: stmt.reason }, 'skipping a statement Ferry does not understand; if it changed a captured table, the next events of that table are checked against information_schema');
      return { truncated: [], changed: [] };
    }
    if (stmt.kind === 'ignored') return { truncated: [], changed: [] };
    const truncated: RowCodec[] = [];
    const changed: TableId[] = [];
    const prior = this.#history.at(posKey);
    if (prior.length > 0) {
      for (const e of prior) {
        if (e.def) this.#codecs.set(e.key, codecFor(e.def, e.version));
        else this.#codecs.delete(e.key);
        changed.push(idOf(e.key, e.def));
      }
      if (stmt.kind !== 'truncate') return { truncated, changed };
    }
    const needsCharset = stmt.kind === 'create' && stmt.charset === undefined;
    const schemaOfCreate = stmt.kind === 'create' ? (stmt.table.schema ?? defaultSchema) : defaultSchema;
    const ctx: DdlContext = {
      defaultSchema, lowerCaseNames: this.#lowerCaseNames,
      get: (key) => this.#codecs.get(key)?.def,
      isSelected: (id) => this.isSelected(id.schema, id.table),
      ...(needsCharset ? { dbCharset: await databaseCharset(this.#control, schemaOfCreate) } : {}),
    };
    const entries: HistoryEntry[] = [];
    for (const eff of ddlEffects(stmt, ctx)) {
      switch (eff.kind) {
        case 'set':
          if (prior.length === 0 && this.#set(eff.key, eff.def, posKey, 'ddl', sql, entries)) changed.push({ schema: eff.def.schema, table: eff.def.table });
          break;
        case 'remove':
          if (prior.length === 0 && this.#codecs.delete(eff.key)) {
            entries.push({ pos: posKey, key: eff.key, version: 0, def: null, cause: 'ddl', ddl: sql });
            changed.push(idOf(eff.key, null));
          }
          break;
        case 'truncate': {
          const codec = this.#codecs.get(eff.key);
          if (codec) truncated.push(codec);
          break;
        }
        case 'refresh': {
          if (prior.length > 0) break;
          this.#log.warn({ table: tableKey(eff.id), statement: sql.slice(0, 2000), reason: eff.reason },
            `re-reading ${tableKey(eff.id)} from information_schema after DDL (${eff.reason}); correct unless the table changed again since`);
          const read = (await readTableDefs(this.#control, [eff.id], this.#isMariaDb)).get(tableKey(eff.id));
          const def = read && keepRenames(this.#codecs.get(tableKey(eff.id))?.def, read);
          if (def) {
            if (this.#set(tableKey(eff.id), def, posKey, 'ddl', sql, entries)) changed.push(eff.id);
          } else if (this.#codecs.delete(tableKey(eff.id))) {
            entries.push({ pos: posKey, key: tableKey(eff.id), version: 0, def: null, cause: 'ddl', ddl: sql });
            changed.push(eff.id);
          }
          break;
        }
      }
    }
    this.#history.append(entries);
    for (const e of entries) this.#log.info({ table: e.key, version: e.version, position: posKey, statement: sql.slice(0, 500) }, e.def ? `schema of ${e.key} is now version ${e.version}` : `${e.key} is gone`);
    return { truncated, changed };
  }

  /**
   * A definition for a captured table the binlog writes rows for but the tracker cannot decode (not in the history,
   * or a different column count): from information_schema, with a warning. undefined when that does not fit either.
   */
  async recover(id: TableId, posKey: string, columnCount: number, reason: string, binlogNames?: readonly string[]): Promise<RowCodec | undefined> {
    const read = (await readTableDefs(this.#control, [id], this.#isMariaDb)).get(tableKey(id));
    if (!read || read.columns.length !== columnCount) return undefined;
    if (columnNamesDiffer(binlogNames, read.columns.map((c) => c.name)) !== null) return undefined;
    const def = keepRenames(this.#codecs.get(tableKey(id))?.def, read);
    this.#log.warn({ table: tableKey(id), position: posKey, reason }, `${reason}: using the definition information_schema has now`);
    const entries: HistoryEntry[] = [];
    this.#set(tableKey(id), def, posKey, 'recovered', undefined, entries);
    this.#history.append(entries);
    return this.#codecs.get(tableKey(id));
  }
}

function idOf(key: string, def: MySqlTableDef | null): TableId {
  if (def) return { schema: def.schema, table: def.table };
  const dot = key.indexOf('.');
  return { schema: key.slice(0, dot), table: key.slice(dot + 1) };
}
