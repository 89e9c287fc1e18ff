/**
 * The PostgreSQL sink: Debezium change events into PostgreSQL tables, created from the event schema, idempotently
 * and exactly once. See docs/sinks/postgres.md.
 *
 *   write(batch)
 *     1. read the applied positions (<stateSchema>._ferry_sink_offsets) and drop the records already applied
 *     2. encode every value to PostgreSQL text (pg-types.ts); a value the target cannot hold rejects its record to
 *        the dead-letter queue, before anything is written
 *     3. batch-optimized: one transaction for the batch, per table (split at truncates) the net change per key;
 *        transactional: one transaction per source transaction, its table runs in order
 *        each transaction: prepare/create/alter the tables (DDL is transactional in PostgreSQL), apply
 *        (table-writer.ts), move the positions, COMMIT; the whole write holds session advisory locks on its
 *        streams, taken before step 1, so no other writer of this sink moves their positions meanwhile
 *
 * A crash at any point leaves either the whole transaction or none of it; the redelivered records at or before the
 * committed positions are dropped in step 1.
 */
import pg from 'pg';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult, TableDefinitions } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { newestPerStream, pendingRecords } from '../../../runtime/src/relational/applied-positions.ts';
import { splitAtTruncates } from '../../../runtime/src/relational/net-changes.ts';
import { splitAtColumnLosses } from '../../../runtime/src/relational/schema-segments.ts';
import { RenamedColumns } from '../../../runtime/src/relational/renamed-columns.ts';
import { sourceTransactions, tableRuns, TRANSACTION_SOURCE_FIELDS } from '../../../runtime/src/relational/source-transactions.ts';
import { RejectedValue } from '../../../runtime/src/relational/wire-values.ts';
import { afterBytesAt, afterImageAt, opOf } from '../../../runtime/src/sink-worker/record-decoder.ts';
import { pgSsl, warnIfTlsUnverified } from '../../../runtime/src/config/tls-settings.ts';
import { explainTlsFailure } from '../../../runtime/src/config/tls-probe.ts';
import { connectWithCredentialRefresh, isPgAuthFailure } from '../../../runtime/src/config/secret-refresh.ts';
import { currentSecretValue, refreshableSecretOf } from '../../../runtime/src/config/secrets.ts';
import { postgresSinkSchema, type PostgresSinkConfig, type PostgresSinkConfigInput } from './config.ts';
import { pgColumns, pgEncoder, type PgEncoder } from './pg-types.ts';
import * as sql from './pg-sql.ts';
import { isDataError, TableWriter, type TargetShape } from './table-writer.ts';
import { DefinedTables } from './defined-tables.ts';
import { ensureTable, type TableState } from './table-schema.ts';
import { VersionOrder } from '../../../runtime/src/relational/version-order.ts';
import { GROUP_STATEMENTS, GROUP_TRANSACTIONS, scriptable, type Grouped } from './transaction-groups.ts';
import { withSourceColumnNames } from '../../../runtime/src/relational/source-column-names.ts';

export interface PostgresSinkOptions {
  readonly name?: string;
  readonly config: PostgresSinkConfigInput;
}

/** Each record's images as PostgreSQL text, aligned with its table version's columns. */
interface Encoded {
  /**
   * undefined: deferred (batch-optimized, keyed table, an insert or update whose after-image bytes the decoder
   * scanned): the writer copies the bytes in binary, or encodes them late (`fastReads.late`), which may reject.
   */
  readonly after: (string | null)[] | null | undefined;
  readonly before: (string | null)[] | null;
  /** `before` holds the key columns only (a keyed table: #encodeKey). */
  readonly beforeKeyOnly: boolean;
}

interface VersionCodec {
  readonly encoders: readonly PgEncoder[];
  readonly index: ReadonlyMap<string, number>;
}

/** The pg connection options of the config. */
export function pgConnection(c: PostgresSinkConfig): pg.ClientConfig {
  const ssl = pgSsl(c.ssl);
  return { host: c.host, port: c.port, user: c.user, password: currentSecretValue(c.password), database: c.database, ssl, connectionTimeoutMillis: c.connectTimeoutMs, application_name: 'ferry-sink' };
}

export class PostgresSink implements RecordSink {
  readonly name: string;
  readonly config: PostgresSinkConfig;
  readonly batchPolicy;
  readonly sourceFields = ['ts_ms', ...TRANSACTION_SOURCE_FIELDS];
  /** Kafka mode: snapshot reads stay Avro bytes, copied by the full load's binary path (pg-copy-binary.ts). */
  readonly lazyDecode = 'snapshot-reads' as const;
  /** The rejections of the write in progress (records the writer encodes late). */
  #rejected: RejectedRecord[] = [];
  /** The records rejected in the write in progress (a late encoding can meet one again: rejected once). */
  readonly #refused = new Set<SinkRecord>();
  readonly #offsets: sql.TableRef;
  readonly #prepared: sql.TableRef;
  readonly #codecs = new WeakMap<SinkTable, VersionCodec>();
  /** The images of the write in progress (a Map cleared per write: a WeakMap of 50k entries costs the GC more). */
  readonly #encoded = new Map<SinkRecord, Encoded>();
  readonly #tables = new Map<string, TableState>();
  /** Per target table, the column names of every schema version reconciled (table-schema.ts: dropped columns). */
  readonly #versions = new VersionOrder();
  /** Records from before a column rename that arrive after it (another partition's): rewritten (renamed-columns.ts). */
  readonly #renamed = new RenamedColumns();
  /** Tables created from the schema conversion of the source catalog, and their deferred indexes (defined-tables.ts). */
  readonly #defined: DefinedTables;
  readonly tableDefinitions;
  #log: Logger | undefined;
  #client: pg.Client | undefined;
  #tlsWarned = false;
  /** Prepared statements of #client (table-writer.ts). */
  #statements = new Map<string, string>();
  #stage = 0;

  constructor(options: PostgresSinkOptions) {
    this.config = postgresSinkSchema.parse(options.config);
    const c = this.config;
    this.name = options.name ?? 'postgres';
    this.batchPolicy = { maxRecords: c.maxBatchRecords, maxBytes: c.maxBatchBytes, maxDelayMs: c.maxBatchDelayMs };
    this.#offsets = { schema: c.stateSchema, table: '_ferry_sink_offsets' };
    this.#prepared = { schema: c.stateSchema, table: '_ferry_sink_tables' };
    this.#defined = new DefinedTables({ sink: this.name, stateSchema: c.stateSchema, indexes: c.indexes, timeType: c.timeType });
    this.tableDefinitions = c.createTablesFrom === 'event-schema' ? undefined : { dialect: 'postgres' as const, ...(c.schema !== undefined ? { schema: c.schema } : {}) };
  }

  /** A TLS failure of a connection to the target as its FerryError (runtime/src/config/tls-errors.ts), or null. */
  #tlsError(e: unknown): Promise<FerryError | null> {
    const c = this.config;
    return explainTlsFailure(e, { protocol: 'postgres', endpoint: `postgres target ${this.name} at ${c.host}:${c.port}`, connection: 'sink connection', option: `targets[${this.name}].ssl`, host: c.host, port: c.port });
  }

  async #openClient(): Promise<pg.Client> {
    const client = new pg.Client(pgConnection(this.config));
    client.on('error', () => {}); // a dropped connection surfaces on the next query
    try {
      await client.connect();
      return client;
    } catch (e: unknown) {
      await client.end().catch(() => {});
      throw e;
    }
  }

  async #connect(log: Logger): Promise<pg.Client> {
    if (this.#client) return this.#client;
    if (!this.#tlsWarned) {
      this.#tlsWarned = true;
      warnIfTlsUnverified(this.config.ssl, `postgres target ${this.name} at ${this.config.host}:${this.config.port}`, `targets[${this.name}].ssl`, log);
    }
    let client: pg.Client;
    try {
      // A refused password from ${aws-sm:…} is fetched again once (runtime/src/config/secret-refresh.ts).
      client = await connectWithCredentialRefresh({ connect: () => this.#openClient(), isAuthFailure: isPgAuthFailure, secrets: [refreshableSecretOf(this.config.password)] });
    } catch (e: unknown) {
      const tls = await this.#tlsError(e);
      if (tls) throw tls;
      throw new FerryError('FERRY_SINK_ERROR', `cannot connect to PostgreSQL at ${this.config.host}:${this.config.port} database ${this.config.database} as ${this.config.user}: ${errorMessage(e)}`, { cause: e });
    }
    try {
      await client.query("SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3");
      if (this.config.disableTriggersAndForeignKeys !== 'no') {
        try {
          await client.query('SET session_replication_role = replica');
        } catch (e: unknown) {
          if (this.config.disableTriggersAndForeignKeys === 'required') {
            throw new FerryError('FERRY_SINK_ERROR', `user ${this.config.user} may not SET session_replication_role (${errorMessage(e)}): make it a superuser, or GRANT SET ON PARAMETER session_replication_role TO ${this.config.user} (PostgreSQL 15+), or set disableTriggersAndForeignKeys: if-permitted`, { disposition: 'fatal', cause: e });
          }
          log.warn(`postgres sink ${this.name}: triggers and foreign keys stay on: user ${this.config.user} may not SET session_replication_role (${errorMessage(e)}). Grant it (superuser, or GRANT SET ON PARAMETER session_replication_role) or set disableTriggersAndForeignKeys: no to silence this.`);
        }
      }
      await client.query(sql.LOCK_INIT);
      await client.query(sql.createSchema(this.config.stateSchema));
      await client.query(sql.createOffsetsTable(this.#offsets));
      await client.query(sql.createPreparedTable(this.#prepared));
      await this.#defined.init(client);
      await client.query(sql.UNLOCK_INIT);
    } catch (e: unknown) {
      await client.end().catch(() => {});
      throw e;
    }
    this.#client = client;
    this.#statements = new Map();
    return client;
  }

  async #applied(client: pg.Client): Promise<Map<string, string>> {
    const rows = (await client.query(sql.selectOffsets(this.#offsets), [this.name])).rows as { stream: string; seq: string }[];
    return new Map(rows.map((r) => [r.stream, r.seq]));
  }

  #ref(t: SinkTable): sql.TableRef {
    return { schema: this.config.schema ?? t.schema, table: t.table };
  }

  #codec(t: SinkTable): VersionCodec {
    let c = this.#codecs.get(t);
    if (c === undefined) {
      const cols = pgColumns(t, this.config.timeType);
      c = { encoders: t.columns.map((col, i) => pgEncoder(col, cols[i]!.type)), index: new Map(t.columns.map((col, i) => [col.name, i])) };
      this.#codecs.set(t, c);
    }
    return c;
  }

  #encodeImage(t: SinkTable, row: Row | null): (string | null)[] | null {
    if (row === null) return null;
    const { encoders } = this.#codec(t);
    const cols = t.columns;
    const out = new Array<string | null>(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const v = row[cols[i]!.name];
      out[i] = v === null || v === undefined ? null : encoders[i]!(v);
    }
    return out;
  }

  /**
   * A keyed table's before-image (or key): only its key columns are encoded (checked), the rest stay null. The writer
   * reads a keyed record's before-image only through the key row net-changes builds; a keyless apply of the record
   * (its table lost its key later in the run) encodes the whole image then (#rowEncoder).
   */
  #encodeKey(t: SinkTable, row: Row | null): (string | null)[] | null {
    if (row === null) return null;
    const { encoders, index } = this.#codec(t);
    const out = new Array<string | null>(t.columns.length).fill(null);
    for (const k of t.primaryKey) {
      const i = index.get(k);
      const v = row[k];
      if (i !== undefined && v !== null && v !== undefined) out[i] = encoders[i]!(v);
    }
    return out;
  }

  /** Encodes every record's images; records with a value the target cannot hold are rejected. */
  #encodeAll(records: readonly SinkRecord[], rejected: RejectedRecord[], late = false): SinkRecord[] {
    const ok: SinkRecord[] = [];
    for (const r of records) {
      // A snapshot read left as Avro bytes: the writer copies it in binary, or encodes it late (late = true).
      const done = late ? this.#encoded.get(r) : undefined;
      if (late ? done !== undefined && done.after !== undefined : afterImageAt(r) >= 0) {
        ok.push(r);
        continue;
      }
      if (r.envelope.op === 't') {
        ok.push(r);
        continue;
      }
      try {
        const env = r.envelope;
        const keyed = r.table.primaryKey.length > 0;
        if (done !== undefined) {
          this.#encoded.set(r, { ...done, after: this.#encodeImage(r.table, env.after) }); // a deferred after-image
          ok.push(r);
          continue;
        }
        const before = env.before ?? r.key;
        const defer = !late && keyed && this.config.applyMode === 'batch-optimized' && env.after !== null && afterBytesAt(r) >= 0;
        this.#encoded.set(r, { after: defer ? undefined : this.#encodeImage(r.table, env.after), before: keyed ? this.#encodeKey(r.table, before) : this.#encodeImage(r.table, before), beforeKeyOnly: keyed });
        ok.push(r);
      } catch (e: unknown) {
        if (!(e instanceof RejectedValue)) throw e;
        if (this.#refused.has(r)) continue; // rejected by an earlier attempt of this write (late encoding)
        this.#refused.add(r);
        rejected.push({ record: r, reason: `${r.table.schema}.${r.table.table}: ${e.message}` });
      }
    }
    return ok;
  }

  /** Column positions in a table version of a column list (by the list's identity; see RowEncoder). */
  readonly #positions = new WeakMap<readonly string[], Int32Array>();

  /** The writer's view of the encoded images (encoded once, in #encodeAll). */
  #rowEncoder = (r: SinkRecord, image: 'after' | 'before' | Row, columns: readonly string[]): (string | null)[] => {
    const { encoders, index } = this.#codec(r.table);
    if (typeof image === 'object') {
      // A key row built from an image by net-changes: encode just its values (already checked as part of the image).
      return columns.map((c) => {
        const i = index.get(c);
        const v = image[c];
        return i === undefined || v === null || v === undefined ? null : encoders[i]!(v);
      });
    }
    let pos = this.#positions.get(columns);
    if (pos === undefined) this.#positions.set(columns, (pos = Int32Array.from(columns, (c) => index.get(c) ?? -1)));
    let enc = this.#encoded.get(r)!;
    // (the writer has encoded deferred after-images late; a keyed record's full before-image only a keyless apply reads)
    if (image === 'after' && enc.after === undefined) this.#encoded.set(r, (enc = { ...enc, after: this.#encodeImage(r.table, r.envelope.after) }));
    if (image === 'before' && enc.beforeKeyOnly) this.#encoded.set(r, (enc = { ...enc, before: this.#encodeImage(r.table, r.envelope.before ?? r.key), beforeKeyOnly: false }));
    const arr = image === 'after' ? enc.after! : enc.before!;
    if (arr.length === pos.length && identity(pos)) return arr; // the version's own columns, in order: no copy
    const out = new Array<string | null>(pos.length);
    for (let i = 0; i < pos.length; i++) out[i] = pos[i]! < 0 ? null : (arr[pos[i]!] ?? null);
    return out;
  };

  async write(input: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const records = withSourceColumnNames(input); // every column under its source name (source-column-names.ts)
    this.#versions.observe(records);
    const client = await this.#connect(ctx.log);
    this.#log = ctx.log;
    const rejected: RejectedRecord[] = [];
    this.#rejected = rejected;
    let locked = false;
    try {
      // Positions are read under the locks of the batch's streams; only this write moves them until it unlocks.
      locked = true;
      for (const stream of [...new Set(records.map((r) => r.stream))].sort()) await client.query(sql.LOCK_STREAM, [this.name, stream]);
      const applied = await this.#applied(client);
      const pending = pendingRecords(records, applied);
      // Nothing new: every record is at or before the applied positions. (Snapshot reads in direct mode share the
      // applied position and are still pending while the position stays.)
      if (pending.records.length === 0 && pending.advance.length === 0) {
        await this.#defined.buildDone(client, records, (t) => this.#ref(t), ctx.log);
        return { rejected };
      }
      const renamed = this.#renamed.rewrite(pending.records, (t, column) => { const ref = this.#ref(t); return this.#tables.get(`${ref.schema}.${ref.table}`)?.types.has(column); });
      const todo = this.#encodeAll(renamed, rejected);
      if (this.config.applyMode === 'transactional') {
        let expected = applied;
        const txs = sourceTransactions(todo);
        // Consecutive small transactions of tables already prepared are sent together: each its own BEGIN … COMMIT
        // (positions included), several per round trip (#sendGroup).
        const group: Grouped = { script: [], txs: [] };
        for (const tx of txs) {
          const advance = newestPerStream(tx).filter(([s, seq]) => (expected.get(s) ?? '') < seq);
          const runs = tableRuns(tx);
          if (this.#groupable(advance, runs)) {
            group.txs.push({ advance, runs });
            try {
              await this.#transactionOnce(client, advance, runs, undefined, group.script);
            } catch (e: unknown) {
              await this.#redoGroup(client, group, e, rejected);
            }
            if (group.txs.length >= GROUP_TRANSACTIONS || group.script.length >= GROUP_STATEMENTS) await this.#sendGroup(client, group, rejected);
          } else {
            await this.#sendGroup(client, group, rejected);
            await this.#transaction(client, advance, runs, rejected);
          }
          expected = new Map([...expected, ...advance]);
        }
        await this.#sendGroup(client, group, rejected);
        // Records at the end of the batch that were all rejected still move the positions.
        const rest = pending.advance.filter(([s, seq]) => (expected.get(s) ?? '') < seq);
        if (rest.length > 0) await this.#transaction(client, rest, [], rejected);
      } else {
        await this.#transaction(client, pending.advance, byTable(todo), rejected);
      }
      await this.#defined.buildDone(client, records, (t) => this.#ref(t), ctx.log);
      return { rejected };
    } catch (e: unknown) {
      throw this.#failure(e);
    } finally {
      this.#encoded.clear();
      this.#refused.clear();
      if (locked && this.#client === client) await client.query(sql.UNLOCK_ALL).catch(() => {});
    }
  }

  /** One target transaction: the runs (each of one table, in order), then the positions. */
  /**
   * One target transaction. If PostgreSQL refuses a value or row in bulk (SQLSTATE class 22/23: a value a
   * user-made column cannot hold, a constraint), it is applied again row by row and the refused changes are rejected
   * (dead-lettered) with PostgreSQL's reason.
   */
  async #transaction(client: pg.Client, advance: readonly (readonly [string, string])[], runs: readonly SinkRecord[][], rejected: RejectedRecord[]): Promise<void> {
    try {
      await this.#transactionOnce(client, advance, runs);
    } catch (e: unknown) {
      if (!isDataError(e)) throw e;
      const refused: RejectedRecord[] = [];
      runs = runs.map((run) => this.#encodeAll(run, rejected, true)); // row by row encodes every record as text
      await this.#transactionOnce(client, advance, runs, (record, reason) => refused.push({ record, reason: `${record.table.schema}.${record.table.table}: ${reason}` }));
      rejected.push(...refused);
    }
  }

  /** Whether a source transaction can join a group (#sendGroup): it moves a position, needs no DDL and no COPY. */
  #groupable(advance: readonly (readonly [string, string])[], runs: readonly SinkRecord[][]): boolean {
    if (advance.length === 0 || `${this.config.schema ?? ''}${this.config.stateSchema}`.includes('$')) return false;
    for (const run of runs) {
      if (run.length >= this.config.copyThreshold || !scriptable(run)) return false;
      const ref = this.#ref(run[0]!.table);
      const cached = this.#tables.get(`${ref.schema}.${ref.table}`);
      if (cached === undefined) return false;
      for (const r of run) {
        const op = opOf(r);
        if ((op !== 'c' && op !== 'u' && op !== 'd') || !cached.seen.has(r.table) || this.#ref(r.table).table !== ref.table) return false;
      }
    }
    return true;
  }

  /** Sends the grouped transactions' script; if it fails, those not committed are applied again one by one. */
  async #sendGroup(client: pg.Client, group: Grouped, rejected: RejectedRecord[]): Promise<void> {
    if (group.script.length > 0) {
      try {
        await client.query(group.script.splice(0).join(';\n'));
      } catch (e: unknown) {
        await this.#redoGroup(client, group, e, rejected);
      }
    }
    group.txs.length = 0;
  }

  /**
   * A grouped script failed: the transactions before the failing one are committed (each with its positions), the
   * rest are not. Those not committed (as the positions read again show) are applied again one at a time, with the
   * single transaction's handling of refused data (#transaction). A lost connection fails the write (it is retried).
   */
  async #redoGroup(client: pg.Client, group: Grouped, e: unknown, rejected: RejectedRecord[]): Promise<void> {
    const txs = group.txs.splice(0);
    group.script.length = 0;
    await client.query('ROLLBACK').catch(() => {});
    this.#tables.clear();
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || code === '' || code.startsWith('08') || code === '57P01') throw e;
    const now = await this.#applied(client);
    for (const tx of txs) {
      if (tx.advance.every(([s, seq]) => (now.get(s) ?? '') >= seq)) continue; // committed in the group
      await this.#transaction(client, tx.advance, tx.runs, rejected);
    }
  }

  /**
   * `group`: a grouped transaction's statements are appended to this script (BEGIN … COMMIT), not sent; a statement
   * that must be sent now (DDL, COPY) sends what is pending first.
   */
  async #transactionOnce(client: pg.Client, advance: readonly (readonly [string, string])[], runs: readonly SinkRecord[][], onRefused?: (record: SinkRecord, reason: string) => void, group?: string[]): Promise<void> {
    // Transactional apply of small transactions sends each transaction's BEGIN, statements and COMMIT in one round trip.
    const script = group !== undefined ? group : this.config.applyMode === 'transactional' && !onRefused && !`${this.config.schema ?? ''}${this.config.stateSchema}`.includes('$') && runs.every((run) => scriptable(run)) ? [] as string[] : undefined;
    script?.push('BEGIN');
    if (script === undefined) await client.query('BEGIN');
    try {
      const writer = new TableWriter({ client, encode: this.#rowEncoder, copyThreshold: this.config.copyThreshold, nextStage: () => `_ferry_stage_${++this.#stage}`, prepared: this.#statements, ...(onRefused ? { onRefused } : {}), ...(script ? { script } : {}),
        fastReads: { afterAt: afterBytesAt, late: (rs) => this.#encodeAll(rs, this.#rejected, true) } });
      // A version that renames or drops a column starts a new run: the rows before it are written first.
      for (const run of runs.flatMap((r) => splitAtColumnLosses(r))) {
        const versions = [...new Set(run.map((r) => r.table))];
        const ref = this.#ref(versions.at(-1)!);
        const cached = this.#tables.get(`${ref.schema}.${ref.table}`);
        if (cached === undefined || versions.some((v) => !cached.seen.has(v))) await writer.flushScript(); // DDL follows
        const state = await ensureTable({
          client, ref, versions, cache: this.#tables, preparation: this.config.tablePreparation, timeType: this.config.timeType,
          droppedColumns: this.config.droppedColumns, versionOrder: this.#versions,
          createFromDefinition: (latest) => this.#defined.create(client, ref, latest, this.#log!), keepsType: this.#defined.keepsType(ref),
          isPrepared: async () => ((await client.query(sql.selectPrepared(this.#prepared), [this.name, ref.schema, ref.table])).rowCount ?? 0) > 0,
          markPrepared: async () => { await client.query(sql.insertPrepared(this.#prepared), [this.name, ref.schema, ref.table]); },
        });
        const shape: TargetShape = { ref, types: state.types, primaryKey: versions.at(-1)!.primaryKey };
        for (const seg of splitAtTruncates(run, { keylessPassRestarts: this.config.tablePreparation !== 'do-nothing' })) {
          if (seg.kind === 'truncate') await writer.exec(sql.truncate(ref));
          else await writer.apply(shape, seg.records);
        }
      }
      if (script) {
        for (const [stream, seq] of advance) script.push(sql.inline(sql.advanceOffset(this.#offsets), [this.name, stream, seq]));
        script.push('COMMIT');
        if (group === undefined) await writer.flushScript();
      } else {
        for (const [stream, seq] of advance) await client.query(sql.advanceOffset(this.#offsets), [this.name, stream, seq]);
        await client.query('COMMIT');
      }
    } catch (e: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      this.#tables.clear(); // DDL of the transaction is undone: read the shapes again
      throw e;
    }
  }

  /** A pg error as a FerryError: data the target refuses stops the sink (retrying cannot help); the rest retries. */
  #failure(e: unknown): unknown {
    if (e instanceof FerryError) return e;
    const err = e as { code?: string; table?: string; column?: string; message?: string };
    const code = typeof err.code === 'string' ? err.code : '';
    if (code === '' || code.startsWith('08') || code === '57P01') {
      // The connection is gone (or never was): reconnect on the next attempt.
      const c = this.#client;
      this.#client = undefined;
      void c?.end().catch(() => {});
      return new FerryError('FERRY_SINK_ERROR', `PostgreSQL connection failed: ${errorMessage(e)}`, { cause: e });
    }
    const where = [err.table ? `table ${err.table}` : '', err.column ? `column ${err.column}` : ''].filter(Boolean).join(' ');
    if (code.startsWith('22') || code.startsWith('23') || code.startsWith('42')) {
      return new FerryError('FERRY_SINK_ERROR', `PostgreSQL refused the batch${where ? ` (${where})` : ''}: ${errorMessage(e)} [SQLSTATE ${code}]; fix the target table or the data and restart`, { disposition: 'fatal', cause: e });
    }
    return new FerryError('FERRY_SINK_ERROR', `PostgreSQL write failed: ${errorMessage(e)} [SQLSTATE ${code}]`, { cause: e });
  }

  /** The schema conversion's tables (app/src/task/table-definitions.ts), or why there are none. */
  useTableDefinitions(d: TableDefinitions): void {
    this.#defined.use(d);
  }

  async check(): Promise<void> {
    const client = new pg.Client(pgConnection(this.config));
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (e: unknown) {
      const tls = await this.#tlsError(e);
      if (tls) throw tls;
      throw new FerryError('FERRY_SINK_ERROR', `cannot reach PostgreSQL at ${this.config.host}:${this.config.port} database ${this.config.database} as ${this.config.user}: ${errorMessage(e)}`, { disposition: 'fatal', cause: e });
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => {});
  }
}

/** Whether column positions are 0, 1, 2, … */
function identity(pos: Int32Array): boolean {
  for (let i = 0; i < pos.length; i++) if (pos[i] !== i) return false;
  return true;
}

/** Records grouped by target table (schema, table), in order of first appearance: the batch-optimized runs. */
function byTable(records: readonly SinkRecord[]): SinkRecord[][] {
  const out = new Map<string, SinkRecord[]>();
  let last: SinkTable | undefined;
  let g: SinkRecord[] = [];
  for (const r of records) {
    if (r.table !== last) { // (consecutive records mostly share their table version)
      last = r.table;
      const k = `${r.table.schema}\u0000${r.table.table}`;
      const found = out.get(k);
      if (found === undefined) out.set(k, (g = []));
      else g = found;
    }
    g.push(r);
  }
  return [...out.values()];
}
