/**
 * The MySQL/MariaDB sink: Debezium change events into MySQL 8 or MariaDB 10.x tables, created from the event
 * schema, idempotently and exactly once. See docs/sinks/mysql.md.
 *
 *   write(batch)
 *     1. take a named lock per stream of the batch (GET_LOCK, in name order): one writer per Kafka partition at a time,
 *        so several instances of one sink (`consumers`, more `ferry sink` processes) write different streams at once
 *     2. read the applied positions (<stateDatabase>._ferry_sink_offsets) and drop the records already applied
 *     3. prepare, create or alter each target table (table-schema.ts). MySQL DDL commits implicitly, so this runs
 *        before the data transaction; every step is safe to repeat. A table not yet reconciled with every version of
 *        the batch is handled under the table's named lock, from the catalog and _ferry_sink_tables as they are then
 *        (another instance may have created, prepared or altered it)
 *     4. encode every value to a SQL literal checked against its target column (mysql-values.ts); a value the
 *        column cannot hold rejects its record to the dead-letter queue, before anything is written
 *     5. batch-optimized: one transaction for the batch, per table (split at truncates) the net change per key;
 *        transactional: one transaction per source transaction, its table runs in order; consecutive small ones are
 *        sent up to 200 per round trip, each still its own transaction (transaction-groups.ts).
 *        Each transaction re-reads the positions (FOR UPDATE), applies (table-writer.ts), moves the positions, COMMITs
 *
 * A crash at any point leaves the whole data transaction or none of it; the redelivered records at or before the
 * committed positions are dropped in step 2.
 */
import type { Readable } from 'node:stream';
import type { Connection, ConnectionOptions, ResultSetHeader } from 'mysql2/promise';
import { warnIfTlsUnverified } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { connectWithCredentialRefresh, isMySqlAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';
import { refreshableSecretOf } from '../../../runtime/src/config/secrets.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult, TableDefinitions } from '../../../core/src/record-sink.ts';
import { DefinedTables } from './defined-tables.ts';
import type { Logger, Row } from '../../../core/src/types.ts';
import { newestPerStream, pendingRecords } from '../../../runtime/src/relational/applied-positions.ts';
import { keyOf, splitAtTruncates } from '../../../runtime/src/relational/net-changes.ts';
import { splitAtColumnLosses } from '../../../runtime/src/relational/schema-segments.ts';
import { RenamedColumns } from '../../../runtime/src/relational/renamed-columns.ts';
import { sourceTransactions, tableRuns, TRANSACTION_SOURCE_FIELDS } from '../../../runtime/src/relational/source-transactions.ts';
import { RejectedValue } from '../../../runtime/src/relational/wire-values.ts';
import { mysqlSinkSchema, stateDatabaseOf, type MySqlSinkConfig, type MySqlSinkConfigInput } from './config.ts';
import { serverInfo, textCollation, upsertAlias, type ServerInfo } from './mysql-types.ts';
import { mysqlEncoder, type MySqlEncoder } from './mysql-values.ts';
import * as sql from './mysql-sql.ts';
import { ensureTable, type Exec, type TableState } from './table-schema.ts';
import { TableWriter } from './table-writer.ts';
import { VersionOrder } from '../../../runtime/src/relational/version-order.ts';
import { GROUP_MAX_CHANGES, TransactionGroup, transactionScript } from './transaction-groups.ts';
import { withSourceColumnNames } from '../../../runtime/src/relational/source-column-names.ts';
import { connectionLost, lockName, mysqlConnection } from './connection.ts';

export interface MySqlSinkOptions {
  readonly name?: string;
  readonly config: MySqlSinkConfigInput;
}

/** How long a named lock is waited for before the batch is retried, in seconds. */
const LOCK_WAIT_SECONDS = 60;

interface Codec {
  /** Per column of the version: its encoder into the current target column (null: the target lacks it). */
  readonly encoders: (MySqlEncoder | null)[];
  /** The table preparation it was built after. */
  readonly generation: number;
  readonly index: ReadonlyMap<string, number>;
}

export class MySqlSink implements RecordSink {
  readonly name: string;
  readonly config: MySqlSinkConfig;
  readonly batchPolicy;
  readonly sourceFields = ['ts_ms', ...TRANSACTION_SOURCE_FIELDS];
  readonly #offsets: sql.TableRef;
  readonly #prepared: sql.TableRef;
  readonly #codecs = new WeakMap<SinkTable, Codec>();
  readonly #tables = new Map<string, TableState>();
  /** Tables created from the schema conversion of the source catalog, and their deferred indexes (defined-tables.ts). */
  readonly #defined: DefinedTables;
  readonly tableDefinitions;
  #log: Logger | undefined;
  #tlsWarned = false;
  /** Per target table, the column names of every schema version reconciled (table-schema.ts: dropped columns). */
  readonly #versions = new VersionOrder();
  /** Records from before a column rename that arrive after it (another partition's): rewritten (renamed-columns.ts). */
  readonly #renamed = new RenamedColumns();
  #conn: Connection | undefined;
  #server: ServerInfo = { mariadb: true, version: [0, 0, 0] };
  #maxStatement = 0;
  /** LOAD DATA LOCAL INFILE for full loads (bulkLoad auto and the server's local_infile on). */
  #loadData = false;
  #generation = 0;
  /** Encoded images of the batch being written: row image → literals aligned with its version's columns. */
  #current = new Map<Row, string[]>();
  /** mysql2's escaping of `?` values (the positions written into a grouped script). */
  #format: (statement: string, values: string[]) => string = () => { throw new Error('not connected'); };

  constructor(options: MySqlSinkOptions) {
    this.config = mysqlSinkSchema.parse(options.config);
    const c = this.config;
    this.name = options.name ?? 'mysql';
    this.batchPolicy = { maxRecords: c.maxBatchRecords, maxBytes: c.maxBatchBytes, maxDelayMs: c.maxBatchDelayMs };
    const state = stateDatabaseOf(c);
    this.#offsets = { database: state, table: '_ferry_sink_offsets' };
    this.#prepared = { database: state, table: '_ferry_sink_tables' };
    this.#defined = new DefinedTables({ sink: this.name, stateDatabase: state, indexes: c.indexes });
    this.tableDefinitions = c.createTablesFrom === 'event-schema' ? undefined : { dialect: 'mysql' as const, ...(c.database !== undefined ? { schema: c.database } : {}) };
  }

  get server(): ServerInfo {
    return this.#server;
  }

  #exec: Exec = async (statement, params) => {
    const [rows] = params === undefined ? await this.#conn!.query(statement) : await this.#conn!.query(statement, params as unknown[]);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  };

  async #open(): Promise<Connection> {
    const { createConnection, format } = await import('mysql2/promise');
    // Statements without values go out as they are: mysql2 would otherwise scan every multi-megabyte statement for
    // placeholders. The few with values (positions, locks) use mysql2's own escaping.
    const queryFormat = (statement: string, values: unknown): string => (Array.isArray(values) && values.length > 0 ? format(statement, values) : statement);
    this.#format = (statement, values) => format(statement, values);
    // Several statements per query: transactional apply's groups (transaction-groups.ts). Every value the sink sends
    // is a checked literal (mysql-values.ts) or escaped by mysql2.
    const conn = await createConnection({ ...mysqlConnection(this.config), multipleStatements: true, queryFormat: queryFormat as unknown as ConnectionOptions['queryFormat'] });
    conn.on('error', () => {}); // a dropped connection surfaces on the next query
    return conn;
  }

  /** A TLS failure of a connection to the target as its FerryError (runtime/src/config/tls-errors.ts), or null. */
  #tlsError(e: unknown): Promise<FerryError | null> {
    const c = this.config;
    return explainTlsFailure(e, { protocol: 'mysql', endpoint: `mysql target ${this.name} at ${c.host}:${c.port}`, connection: 'sink connection', option: `targets[${this.name}].ssl`, host: c.host, port: c.port });
  }

  async #connect(log?: Logger): Promise<void> {
    if (this.#conn) return;
    if (!this.#tlsWarned && log) {
      this.#tlsWarned = true;
      warnIfTlsUnverified(this.config.ssl, `mysql target ${this.name} at ${this.config.host}:${this.config.port}`, `targets[${this.name}].ssl`, log);
    }
    let conn: Connection;
    try {
      // A refused password from ${aws-sm:…} is fetched again once (runtime/src/config/secret-refresh.ts).
      conn = await connectWithCredentialRefresh({ connect: () => this.#open(), isAuthFailure: isMySqlAuthFailure, secrets: [refreshableSecretOf(this.config.password)] });
    } catch (e: unknown) {
      const tls = await this.#tlsError(e);
      if (tls) throw tls;
      throw new FerryError('FERRY_SINK_ERROR', `cannot connect to MySQL at ${this.config.host}:${this.config.port} as ${this.config.user}: ${errorMessage(e)}`, { cause: e });
    }
    this.#conn = conn;
    try {
      const [[v]] = await conn.query('SELECT VERSION() AS v, @@max_allowed_packet AS p, @@local_infile AS li') as unknown as [[{ v: string; p: string | number; li: string | number }]];
      this.#server = serverInfo(v.v);
      this.#loadData = this.config.bulkLoad === 'auto' && Number(v.li) === 1;
      this.#maxStatement = Math.min(this.config.maxStatementBytes, Math.floor(Number(v.p) * 0.9));
      await conn.query(sql.sessionSetup(this.config.disableForeignKeyChecks));
      await conn.query(sql.createDatabase(this.#offsets.database));
      await conn.query(sql.createOffsetsTable(this.#offsets));
      await conn.query(sql.createPreparedTable(this.#prepared));
      await this.#defined.init(this.#exec);
    } catch (e: unknown) {
      this.#conn = undefined;
      await conn.end().catch(() => {});
      throw e;
    }
  }

  async #applied(): Promise<Map<string, string>> {
    const rows = await this.#exec(sql.selectOffsets(this.#offsets), [this.name]);
    return new Map(rows.map((r) => [String(r.stream), String(r.seq)]));
  }

  #ref(t: SinkTable): sql.TableRef {
    return { database: this.config.database ?? t.schema, table: t.table };
  }

  /** The codec of a version against the target's current columns (rebuilt after the tables were prepared again). */
  #codec(t: SinkTable): Codec {
    let c = this.#codecs.get(t);
    if (c === undefined || c.generation !== this.#generation) {
      const ref = this.#ref(t);
      const state = this.#tables.get(`${ref.database}.${ref.table}`);
      const encoders = t.columns.map((col) => {
        const target = state?.columns.get(col.name);
        return target === undefined ? null : mysqlEncoder(col.type, target, this.#server);
      });
      c = { encoders, generation: this.#generation, index: new Map(t.columns.map((col, i) => [col.name, i])) };
      this.#codecs.set(t, c);
    }
    return c;
  }

  #encodeImage(t: SinkTable, row: Row): string[] {
    const { encoders } = this.#codec(t);
    const cols = t.columns;
    const out = new Array<string>(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const v = row[cols[i]!.name];
      const enc = encoders[i];
      out[i] = v === null || v === undefined || enc === null || enc === undefined ? 'NULL' : enc(v);
    }
    return out;
  }

  /** Encodes every record's images; records with a value the target cannot hold are rejected. */
  #encodeAll(records: readonly SinkRecord[], rejected: RejectedRecord[]): SinkRecord[] {
    const ok: SinkRecord[] = [];
    for (const r of records) {
      if (r.envelope.op === 't') {
        ok.push(r);
        continue;
      }
      try {
        const { op, after, before } = r.envelope;
        // An insert or read is written from its after-image only (which holds the key): its key is not encoded again.
        const b = before ?? (op === 'c' || op === 'r' ? null : r.key);
        const ea = after ? this.#encodeImage(r.table, after) : null;
        // With a primary key only the before-image's key is written (deletes, key changes): a value elsewhere in it
        // that the target cannot hold does not reject the change.
        const pk = r.table.primaryKey;
        const eb = b ? this.#encodeImage(r.table, pk.length > 0 ? keyOf(pk, b) : b) : null;
        if (after && ea) this.#current.set(after, ea);
        if (b && eb) this.#current.set(b, eb);
        ok.push(r);
      } catch (e: unknown) {
        if (!(e instanceof RejectedValue)) throw e;
        rejected.push({ record: r, reason: `${this.#ref(r.table).database}.${r.table.table}: ${e.message}` });
      }
    }
    return ok;
  }

  /** The writer's view of an encoded image: the literals of `columns` (by name). */
  #rowEncoder = (table: SinkTable, row: Row, columns: readonly string[]): string[] => {
    const { index } = this.#codec(table);
    const enc = this.#current.get(row) ?? this.#encodeImage(table, row);
    if (enc.length === columns.length && columns.every((c, i) => table.columns[i]!.name === c)) return enc; // the version's own columns
    return columns.map((c) => {
      const i = index.get(c);
      return i === undefined ? 'NULL' : (enc[i] ?? 'NULL');
    });
  };

  async write(input: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const records = withSourceColumnNames(input); // every column under its source name (source-column-names.ts)
    this.#versions.observe(records);
    await this.#connect(ctx.log);
    this.#log = ctx.log;
    const rejected: RejectedRecord[] = [];
    let locked = false;
    try {
      // Positions are read under the locks of the batch's streams; only this write moves them until it unlocks.
      locked = true;
      for (const stream of [...new Set(records.map((r) => r.stream))].sort()) await this.#lock(lockName('stream', this.name, stream), `stream ${stream} of sink ${this.name}`);
      const applied = await this.#applied();
      const pending = pendingRecords(records, applied);
      // Direct mode: snapshot reads at the applied position are applied again (they share one sequence), so a batch
      // of only such reads has work to do although no position moves.
      if (pending.records.length === 0 && pending.advance.length === 0) {
        await this.#defined.buildDone(this.#exec, records, (t) => this.#ref(t), ctx.log);
        return { rejected };
      }
      // A version that renames or drops a column starts a new part: the rows before it are committed first, then the
      // target is altered (MySQL DDL commits on its own), then the rest (schema-segments.ts). Usually one part.
      const renamed = this.#renamed.rewrite(pending.records, (t, column) => { const r = this.#ref(t); return this.#tables.get(`${r.database}.${r.table}`)?.columns.has(column); });
      const parts = splitAtColumnLosses(renamed, (t) => { const r = this.#ref(t); return `${r.database}\u0000${r.table}`; });
      let expected: ReadonlyMap<string, string> = applied;
      let first = true;
      let count = 0;
      for (const [i, part] of parts.entries()) {
        await this.#prepareTables(part);
        this.#current = new Map();
        const todo = this.#encodeAll(part, rejected);
        count += todo.length;
        // Records at the end of the batch (or part) that were all rejected still move the positions.
        const moves = (i === parts.length - 1 ? pending.advance : newestPerStream(part)).filter(([s, seq]) => (expected.get(s) ?? '') < seq);
        if (this.config.applyMode === 'transactional') {
          // Consecutive small transactions go several per round trip, each its own transaction (#sendGroup); the
          // batch's first one checks the positions again (#transaction) and goes alone.
          const group = new TransactionGroup(this.#maxStatement);
          for (const tx of sourceTransactions(todo)) {
            const advance = newestPerStream(tx).filter(([s, seq]) => (expected.get(s) ?? '') < seq);
            const runs = tableRuns(tx);
            const script = !first && advance.length > 0 && tx.length <= GROUP_MAX_CHANGES ? await this.#script(advance, runs) : null;
            if (script !== null && group.fitsAlone(script)) {
              if (!group.fits(script)) await this.#sendGroup(group);
              group.add({ advance, runs }, script);
              if (group.full) await this.#sendGroup(group);
            } else {
              await this.#sendGroup(group);
              await this.#transaction(expected, advance, runs, first);
            }
            first = false;
            expected = new Map([...expected, ...advance]);
          }
          await this.#sendGroup(group);
          const rest = moves.filter(([s, seq]) => (expected.get(s) ?? '') < seq);
          if (rest.length > 0) await this.#transaction(expected, rest, [], first);
          first = false;
          expected = new Map([...expected, ...rest]);
        } else {
          await this.#transaction(expected, moves, byTable(todo), first);
          first = false;
          expected = new Map([...expected, ...moves]);
        }
      }
      ctx.log.debug(`mysql sink ${this.name}: applied ${count} changes, rejected ${rejected.length}`);
      await this.#defined.buildDone(this.#exec, records, (t) => this.#ref(t), ctx.log);
      return { rejected };
    } catch (e: unknown) {
      throw this.#failure(e);
    } finally {
      this.#current = new Map();
      if (locked && this.#conn) await this.#exec('SELECT RELEASE_ALL_LOCKS()').catch(() => {});
    }
  }

  /** Takes a named lock of this session (held until RELEASE_ALL_LOCKS / RELEASE_LOCK or the session's end). */
  async #lock(name: string, what: string): Promise<void> {
    const got = await this.#exec(`SELECT GET_LOCK(?, ${LOCK_WAIT_SECONDS}) AS ok`, [name]);
    if (Number(got[0]?.ok) !== 1) throw new FerryError('FERRY_SINK_ERROR', `another writer holds the lock of ${what} (${name}) for over ${LOCK_WAIT_SECONDS} s; retrying`);
  }

  /**
   * One LOAD DATA LOCAL INFILE from `content` (whatever file name the server asks for, only this stream is sent).
   * With LOCAL the server reports data errors as warnings and goes on, so any warning stops the sink.
   */
  #runLoadData = async (statement: string, content: Readable): Promise<void> => {
    const [res] = await this.#conn!.query({ sql: statement, infileStreamFactory: () => content });
    const warnings = (res as ResultSetHeader).warningStatus;
    if (warnings > 0) {
      const shown = (await this.#exec('SHOW WARNINGS LIMIT 3')).map((w) => `${String(w.Code)} ${String(w.Message)}`).join('; ');
      throw new FerryError('FERRY_SINK_ERROR', `LOAD DATA LOCAL INFILE produced ${warnings} warning(s), values the server would alter or skip: ${shown}. Nothing of the batch is committed; set bulkLoad: insert to have strict mode name the row`, { disposition: 'fatal' });
    }
  };

  /** Prepares, creates and alters the batch's target tables (DDL: outside the data transaction). */
  async #prepareTables(records: readonly SinkRecord[]): Promise<void> {
    const versions = new Map<string, SinkTable[]>();
    for (const r of records) {
      const ref = this.#ref(r.table);
      const k = `${ref.database}\u0000${ref.table}`;
      let vs = versions.get(k);
      if (vs === undefined) versions.set(k, (vs = []));
      if (!vs.includes(r.table)) vs.push(r.table);
    }
    const collation = textCollation(this.#server);
    this.#generation++;
    for (const vs of versions.values()) {
      const ref = this.#ref(vs.at(-1)!);
      const key = `${ref.database}.${ref.table}`;
      const cached = this.#tables.get(key);
      if (cached !== undefined && vs.every((v) => cached.seen.has(v))) continue;
      // Something to create, prepare or reconcile: under the table's lock, from the catalog and the prepared tables as
      // they are now (another instance of this sink, on another partition, may have changed them since this one looked).
      const ddlLock = lockName('ddl', ref.database, ref.table);
      await this.#lock(ddlLock, `table ${key}`);
      try {
        this.#tables.delete(key);
        const prepared = new Map((await this.#exec(sql.selectPrepared(this.#prepared), [this.name])).map((r) => [`${String(r.target_database)}.${String(r.target_table)}`, Number(r.created) === 1]));
        await this.#ensureTable(ref, vs, prepared, collation);
      } finally {
        await this.#exec('SELECT RELEASE_LOCK(?)', [ddlLock]).catch(() => {});
      }
    }
  }

  async #ensureTable(ref: sql.TableRef, vs: SinkTable[], prepared: Map<string, boolean>, collation: string): Promise<void> {
    await ensureTable({
      exec: this.#exec, ref, versions: vs, cache: this.#tables, prepared, preparation: this.config.tablePreparation, server: this.#server, collation,
      droppedColumns: this.config.droppedColumns, versionOrder: this.#versions,
      createFromDefinition: (latest) => this.#defined.create(this.#exec, ref, latest, this.#server, collation, this.#log),
      keepsType: this.#defined.keepsType(ref, this.#server),
      markPrepared: async (created) => {
        await this.#exec(sql.insertPrepared(this.#prepared), [this.name, ref.database, ref.table, created ? 1 : 0]);
      },
    });
  }

  /** One target transaction: the runs (each of one table, in order), then the positions. */
  async #transaction(expected: ReadonlyMap<string, string>, advance: readonly (readonly [string, string])[], runs: readonly SinkRecord[][], first = true): Promise<void> {
    await this.#exec('START TRANSACTION');
    try {
      // The positions were read under the streams' locks, which this session still holds (a lost connection loses the
      // locks and fails this transaction too); the first transaction of a batch checks them again, cheaply, with a
      // plain (non-locking) read: a locking read of the sink's rows would make its other instances wait for this commit.
      if (first) {
        const now = await this.#applied();
        for (const [stream] of advance) {
          if (now.get(stream) !== expected.get(stream)) {
            throw new FerryError('FERRY_SINK_ERROR', `another writer applied stream ${stream} meanwhile (now at ${now.get(stream)}); retrying the batch from the new position`);
          }
        }
      }
      await this.#applyRuns(this.#exec, runs, true);
      for (const [stream, seq] of advance) await this.#exec(sql.advanceOffset(this.#offsets, upsertAlias(this.#server)), [this.name, stream, seq]);
      await this.#exec('COMMIT');
    } catch (e: unknown) {
      await this.#exec('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  /** The runs' statements (each of one table, in order), sent through `exec`. */
  async #applyRuns(exec: Exec, runs: readonly SinkRecord[][], loadData: boolean): Promise<void> {
    const writer = new TableWriter({
      exec, encode: this.#rowEncoder, server: this.#server, upsertAlias: upsertAlias(this.#server), maxStatementBytes: this.#maxStatement,
      loadData: loadData && this.#loadData ? this.#runLoadData : null,
    });
    for (const run of runs) {
      const latest = run.at(-1)!.table;
      const ref = this.#ref(latest);
      const state = this.#tables.get(`${ref.database}.${ref.table}`)!;
      const types = new Map([...state.columns].map(([k, c]) => [k, c.type]));
      for (const seg of splitAtTruncates(run, { keylessPassRestarts: this.config.tablePreparation !== 'do-nothing' })) {
        if (seg.kind === 'truncate') await exec(sql.deleteAll(ref));
        else await writer.apply({ ref, types, primaryKey: latest.primaryKey }, seg.records);
      }
    }
  }

  /** A source transaction as a script (START TRANSACTION, its statements, its positions, COMMIT), not sent. */
  async #script(advance: readonly (readonly [string, string])[], runs: readonly SinkRecord[][]): Promise<string> {
    const statements: string[] = [];
    await this.#applyRuns(async (statement) => { statements.push(statement); return []; }, runs, false);
    const offset = sql.advanceOffset(this.#offsets, upsertAlias(this.#server));
    for (const [stream, seq] of advance) statements.push(this.#format(offset, [this.name, stream, seq]));
    return transactionScript(statements);
  }

  /**
   * Sends a group's script in one round trip. If the server stops at an error, the transactions committed before it
   * stay committed; the open one is rolled back and every transaction the positions (read again) do not show as
   * committed is applied again alone (#transaction), which fails the write as it would have without the group. A lost
   * connection fails the write (it is retried; the positions show what was committed).
   */
  async #sendGroup(group: TransactionGroup): Promise<void> {
    if (group.size === 0) return;
    const { script, txs } = group.take();
    try {
      await this.#conn!.query(script);
    } catch (e: unknown) {
      if (connectionLost(e)) throw e;
      await this.#exec('ROLLBACK');
      const now = await this.#applied();
      for (const tx of txs) {
        if (tx.advance.every(([s, seq]) => (now.get(s) ?? '') >= seq)) continue; // committed in the group
        await this.#transaction(now, tx.advance, tx.runs, false);
      }
    }
  }

  /** A mysql2 error as a FerryError: data the target refuses stops the sink (retrying cannot help); the rest retries. */
  #failure(e: unknown): unknown {
    this.#tables.clear(); // read the table shapes again on the retry
    if (e instanceof FerryError) return e;
    if (e instanceof RejectedValue) {
      return new FerryError('FERRY_SINK_ERROR', `a value could not be written although it was checked before the transaction: ${e.message}`, { disposition: 'fatal', cause: e });
    }
    const err = e as { code?: string; errno?: number; sqlState?: string; fatal?: boolean; message?: string };
    const state = typeof err.sqlState === 'string' ? err.sqlState : '';
    if (connectionLost(e)) {
      const c = this.#conn;
      this.#conn = undefined;
      void c?.end().catch(() => {});
      return new FerryError('FERRY_SINK_ERROR', `MySQL connection failed: ${errorMessage(e)}`, { cause: e });
    }
    if (err.errno === 1148 || err.errno === 3948 || err.errno === 3950 || err.errno === 2068) {
      this.#loadData = false; // the server or the client refused LOCAL INFILE: use INSERT from now on
      return new FerryError('FERRY_SINK_ERROR', `LOAD DATA LOCAL INFILE refused (${errorMessage(e)}); retrying the batch with INSERT`, { cause: e });
    }
    if (err.errno === 1205 || err.errno === 1213 || state === '40001') {
      return new FerryError('FERRY_SINK_ERROR', `MySQL write conflicted (${err.code}): ${errorMessage(e)}; retrying`, { cause: e });
    }
    if (state.startsWith('22') || state.startsWith('23') || state.startsWith('42') || state === 'HY000') {
      return new FerryError('FERRY_SINK_ERROR', `MySQL refused the batch: ${errorMessage(e)} [${err.code} SQLSTATE ${state}]; fix the target table or the data and restart`, { disposition: 'fatal', cause: e });
    }
    return new FerryError('FERRY_SINK_ERROR', `MySQL write failed: ${errorMessage(e)} [${err.code} SQLSTATE ${state}]`, { cause: e });
  }

  /** The schema conversion's tables (app/src/task/table-definitions.ts), or why there are none. */
  useTableDefinitions(d: TableDefinitions): void {
    this.#defined.use(d);
  }

  async check(): Promise<void> {
    let conn: Connection | undefined;
    try {
      conn = await this.#open();
      await conn.query('SELECT 1');
    } catch (e: unknown) {
      const tls = await this.#tlsError(e);
      if (tls) throw tls;
      throw new FerryError('FERRY_SINK_ERROR', `cannot reach MySQL at ${this.config.host}:${this.config.port} as ${this.config.user}: ${errorMessage(e)}`, { disposition: 'fatal', cause: e });
    } finally {
      await conn?.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = undefined;
    await c?.end().catch(() => {});
  }
}

/** Records grouped by target table (schema, table), in order of first appearance: the batch-optimized runs. */
function byTable(records: readonly SinkRecord[]): SinkRecord[][] {
  const out = new Map<string, SinkRecord[]>();
  for (const r of records) {
    const k = `${r.table.schema}\u0000${r.table.table}`;
    let g = out.get(k);
    if (g === undefined) out.set(k, (g = []));
    g.push(r);
  }
  return [...out.values()];
}
