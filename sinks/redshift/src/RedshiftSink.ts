/**
 * The Redshift sink: each batch is staged to S3 (Parquet or CSV, written by DuckDB like the lake), loaded with COPY
 * into a session temp table, and applied in one transaction. See docs/sinks/redshift.md.
 *
 *   per table, in log order, split at truncates:
 *     only snapshot reads + fullLoad=copy  →  COPY straight into the table
 *     otherwise                           →  last change per key (in log order) staged → COPY into a temp table →
 *                                             DELETE the deleted keys → MERGE the rest (or DELETE + INSERT)
 *   a truncate                            →  DELETE FROM the table (TRUNCATE would commit the transaction)
 *
 * Exactly-once: the table `<stateSchema>._ferry_sink_offsets` holds, per sink and stream (Kafka partition or
 * source), the last applied record; it is read before staging, re-checked under LOCK, and moved forward in the same
 * transaction as the data. Records at or before it are skipped, so redelivery after a crash (however the batch is
 * cut) and a previous owner finishing a batch after a rebalance change nothing.
 */
import { rm, stat } from 'node:fs/promises';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { stableKey } from '../../../runtime/src/sink-worker/record-identity.ts';
import { pendingRecords } from '../../../runtime/src/relational/applied-positions.ts';
import type { RecordSink, RejectedRecord, SinkColumn, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import { codecOf, ValueRejected, type ColumnCodec } from '../../../runtime/src/columnar/column-types.ts';
import { DuckFileWriter, type FileColumn, type FileFormat } from '../../../runtime/src/columnar/DuckFileWriter.ts';
import { openObjectStore, parseLocation, type ObjectStore } from '../../../runtime/src/storage/object-store.ts';
import { BIGINT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, INTEGER, SMALLINT, TIME, TIMESTAMP, TIMESTAMPTZ, VARCHAR } from '@duckdb/node-api';
import { redshiftSchema, type RedshiftConfig, type RedshiftConfigInput } from './config.ts';
import * as sql from './redshift-dialect.ts';
import { PgSqlExecutor, type SqlExecutor } from './sql-executor.ts';
import { targetTableRef } from './naming.ts';

const OP_LETTER: Readonly<Record<string, string>> = { c: 'I', r: 'I', u: 'U', d: 'D' };
const SOURCE_FIELDS = ['ts_ms', 'db', 'schema', 'table'] as const;

export interface RedshiftSinkOptions {
  readonly name?: string;
  readonly config: RedshiftConfigInput;
  /** Use this SQL session instead of connecting to config.connection (tests, other transports). */
  readonly executor?: SqlExecutor;
  /** Use this staging store instead of opening config.staging.location. */
  readonly store?: ObjectStore;
}

interface TargetTable {
  readonly ref: sql.TableRef;
  /** Columns in the target's order. */
  columns: sql.RsColumn[];
}

interface Segment {
  readonly kind: 'changes' | 'truncate';
  readonly records: SinkRecord[];
}

const ts = { micros: 0n };
const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** A staging codec for a target column the batch has no source type for (e.g. a column the source dropped). */
function codecForTargetType(dataType: string): ColumnCodec {
  const t = dataType.toLowerCase();
  const c = (duckType: ColumnCodec['duckType'], s: string): ColumnCodec => ({ duckType, sql: s, note: t, put: (vec, i, v) => vec.setItem(i, v) });
  if (t === 'smallint') return c(SMALLINT, 'SMALLINT');
  if (t === 'integer') return c(INTEGER, 'INTEGER');
  if (t === 'bigint') return c(BIGINT, 'BIGINT');
  if (t === 'boolean') return c(BOOLEAN, 'BOOLEAN');
  if (t === 'real') return c(FLOAT, 'FLOAT');
  if (t === 'double precision') return c(DOUBLE, 'DOUBLE');
  if (t === 'date') return c(DATE, 'DATE');
  if (t.startsWith('time without')) return c(TIME, 'TIME');
  if (t.startsWith('timestamp with ')) return c(TIMESTAMPTZ, 'TIMESTAMPTZ');
  if (t.startsWith('timestamp')) return c(TIMESTAMP, 'TIMESTAMP');
  if (t === 'numeric') return c(DECIMAL(38, 10), 'DECIMAL(38,10)');
  if (t === 'bytea' || t.includes('binary') || t === 'varbyte') return c(BLOB, 'BLOB');
  return c(VARCHAR, 'VARCHAR');
}

/** A codec that checks each value the inner codec stores. */
function limited(base: ColumnCodec, check: (stored: unknown) => void): ColumnCodec {
  return {
    ...base,
    put: (vec, i, v) => base.put({ setItem: (idx, x) => { check(x); vec.setItem(idx, x); }, flush: () => vec.flush() }, i, v),
  };
}

/** The lake's codec for a column, adjusted to what Redshift loads, with Redshift's length limits. */
function stagingCodec(col: SinkColumn, cfg: RedshiftConfig): ColumnCodec {
  let base = codecOf(col.type);
  if (base.sql === 'TINYINT') base = { ...base, duckType: SMALLINT, sql: 'SMALLINT' };
  if (base.sql === 'TIMESTAMP_NS') {
    base = { duckType: TIMESTAMP, sql: 'TIMESTAMP', note: 'timestamp, µs (ns truncated)', put: (vec, i, v) => { const n = toBig(v); ts.micros = n / 1000n - (n % 1000n < 0n ? 1n : 0n); vec.setItem(i, ts); } };
  }
  if (base.sql === 'VARCHAR') {
    const max = cfg.varcharLength;
    return limited(base, (x) => {
      if (typeof x === 'string' && x.length * 3 > max && Buffer.byteLength(x) > max) throw new ValueRejected(`a ${Buffer.byteLength(x)}-byte string does not fit VARCHAR(${max})`);
    });
  }
  if (base.sql === 'BLOB') {
    const max = cfg.varbyteLength;
    return limited(base, (x) => {
      const n = (x as { bytes: Uint8Array }).bytes.length;
      if (n > max) throw new ValueRejected(`${n} bytes do not fit VARBYTE(${max})`);
    });
  }
  return base;
}

export class RedshiftSink implements RecordSink {
  readonly name: string;
  readonly config: RedshiftConfig;
  readonly batchPolicy;
  readonly sourceFields = SOURCE_FIELDS;
  readonly #exec: SqlExecutor;
  readonly #offsets: sql.TableRef;
  readonly #staging: { readonly bucket: string; readonly prefix: string };
  readonly #tables = new Map<string, TargetTable>();
  readonly #format: FileFormat;
  #store: ObjectStore | undefined;
  #writer: DuckFileWriter | undefined;
  #ready = false;
  #n = 0;

  constructor(options: RedshiftSinkOptions) {
    this.config = redshiftSchema.parse(options.config);
    const c = this.config;
    this.name = options.name ?? 'redshift';
    this.batchPolicy = { maxRecords: c.maxBatchRecords, maxBytes: c.maxBatchBytes, maxDelayMs: c.maxBatchDelayMs };
    this.#exec = options.executor ?? new PgSqlExecutor({ ...c.connection });
    this.#store = options.store;
    this.#offsets = { schema: c.stateSchema, table: '_ferry_sink_offsets' };
    const loc = parseLocation(c.staging.location);
    if (loc.kind !== 's3') throw new FerryError('FERRY_CONFIG_INVALID', 'redshift staging.location must be s3://bucket/prefix');
    this.#staging = { bucket: loc.bucket, prefix: loc.prefix };
    this.#format = c.staging.format === 'parquet'
      ? { kind: 'parquet', compression: 'zstd', rowGroupRows: 1_000_000 }
      : { kind: 'csv', delimiter: ',', quote: '"', quoteAll: false, header: false, nullValue: '\\N', gzip: true };
  }

  get executor(): SqlExecutor {
    return this.#exec;
  }

  async #run(statement: string): Promise<readonly Record<string, unknown>[]> {
    return (await this.#exec.execute(statement)).rows;
  }

  async #init(): Promise<void> {
    if (this.#ready) return;
    await this.#run(sql.createSchema(this.#offsets.schema));
    await this.#run(sql.createOffsetsTable(this.#offsets));
    this.#store ??= await openObjectStore(`s3://${this.#staging.bucket}`, this.config.staging.s3);
    this.#writer ??= await DuckFileWriter.create({ threads: 2 });
    this.#ready = true;
  }

  #ref(t: SinkTable): sql.TableRef {
    return targetTableRef(this.config.targetSchema, t);
  }

  async #readColumns(ref: sql.TableRef): Promise<sql.RsColumn[]> {
    const rows = await this.#run(sql.selectColumns(ref));
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.data_type), nullable: true }));
  }

  /** Creates the table, or adds the columns a newer source version has; returns the target's columns in order. */
  async #ensureTable(versions: readonly SinkTable[]): Promise<TargetTable> {
    const latest = versions[versions.length - 1]!;
    const ref = this.#ref(latest);
    const key = `${ref.schema}.${ref.table}`;
    let t = this.#tables.get(key);
    if (t === undefined) {
      let columns = await this.#readColumns(ref);
      if (columns.length === 0) {
        if (!this.config.createTables) throw new FerryError('FERRY_SINK_ERROR', `target table ${key} does not exist and createTables is off`, { disposition: 'fatal' });
        await this.#run(sql.createSchema(ref.schema));
        await this.#run(sql.createTable(ref, sql.redshiftColumns(latest.columns, this.config), latest.primaryKey.map((k) => k.toLowerCase()), this.config));
        columns = await this.#readColumns(ref);
      }
      t = { ref, columns };
      this.#tables.set(key, t);
    }
    const have = new Set(t.columns.map((c) => c.name));
    for (const v of versions) {
      for (const c of sql.redshiftColumns(v.columns, this.config)) {
        if (have.has(c.name)) continue;
        if (!this.config.createTables) throw new FerryError('FERRY_SINK_ERROR', `target table ${key} lacks column ${c.name} and createTables is off`, { disposition: 'fatal' });
        await this.#run(sql.addColumn(ref, c));
        have.add(c.name);
      }
    }
    if (have.size !== t.columns.length) t.columns = await this.#readColumns(ref);
    return t;
  }

  async #applied(): Promise<Map<string, string>> {
    const rows = await this.#run(sql.selectOffsets(this.#offsets, this.name));
    return new Map(rows.map((r) => [String(r.stream), String(r.seq)]));
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    await this.#init();
    const applied = await this.#applied();
    const rejected: RejectedRecord[] = [];
    // Records at or before the applied positions are dropped; `advance` is where the positions move (empty for
    // direct-mode snapshot reads at the applied position, which are still applied: they share one position).
    const { records: pending, advance } = pendingRecords(records, applied);
    if (pending.length === 0) return { rejected };
    const byTable = new Map<string, { versions: SinkTable[]; records: SinkRecord[] }>();
    for (const r of pending) {
      const k = `${r.table.schema}\u0000${r.table.table}`;
      let g = byTable.get(k);
      if (g === undefined) byTable.set(k, (g = { versions: [], records: [] }));
      if (!g.versions.includes(r.table)) g.versions.push(r.table);
      g.records.push(r);
    }

    // DDL and staging happen before the transaction, which then only loads and applies.
    const plan: { target: TargetTable; segment: Segment; file?: { key: string; direct: boolean; columns: string[] } }[] = [];
    const staged: string[] = [];
    const batchId = `${Date.now().toString(36)}-${process.pid}-${++this.#n}`;
    try {
      for (const g of byTable.values()) {
        const target = await this.#ensureTable(g.versions);
        for (const segment of this.#segments(g.records)) {
          if (segment.kind === 'truncate') {
            plan.push({ target, segment });
            continue;
          }
          // Snapshot reads that come before any change in their stream are a full load: COPY them straight in
          // (fullLoad=copy, and only in Kafka mode, where every read has its own identity). The rest is merged after.
          const parts: { direct: boolean; records: SinkRecord[] }[] = [];
          if (this.config.fullLoad === 'copy') {
            const changed = new Set<string>();
            const reads: SinkRecord[] = [];
            const rest: SinkRecord[] = [];
            for (const r of segment.records) {
              if (r.envelope.op === 'r' && r.offset !== null && !changed.has(r.stream)) reads.push(r);
              else {
                changed.add(r.stream);
                rest.push(r);
              }
            }
            parts.push({ direct: true, records: reads }, { direct: false, records: rest });
          } else {
            parts.push({ direct: false, records: segment.records });
          }
          for (const part of parts) {
            if (part.records.length === 0) continue;
            const { direct } = part;
            const rows = direct ? part.records : this.#lastPerKey(part.records, rejected);
            if (rows.length === 0) continue;
            const i = plan.length;
            const ext = this.#format.kind === 'parquet' ? 'parquet' : 'csv.gz';
            const key = [this.#staging.prefix, this.name, batchId, `${target.ref.schema}.${target.ref.table}.${i}.${ext}`].filter((p) => p !== '').join('/');
            const { columns, written } = await this.#stage(target, rows, direct, key, rejected, ctx);
            if (written === 0) continue;
            staged.push(key);
            plan.push({ target, segment: { kind: 'changes', records: part.records }, file: { key, direct, columns } });
          }
        }
      }
      await this.#apply(plan, applied, advance);
    } finally {
      if (!this.config.staging.keepFiles && staged.length > 0) {
        await this.#store!.delete(staged).catch((e: unknown) => ctx.log.warn({ err: e }, `could not delete staged files (${errorMessage(e)})`));
      }
    }
    return { rejected };
  }

  /** Records of one table split at truncates, in order. */
  #segments(records: readonly SinkRecord[]): Segment[] {
    const out: Segment[] = [];
    let cur: SinkRecord[] = [];
    for (const r of records) {
      if (r.envelope.op === 't') {
        if (cur.length > 0) out.push({ kind: 'changes', records: cur });
        out.push({ kind: 'truncate', records: [r] });
        cur = [];
      } else {
        cur.push(r);
      }
    }
    if (cur.length > 0) out.push({ kind: 'changes', records: cur });
    return out;
  }

  /** The last change per key, in log order (keys never span streams). Keyless tables accept inserts only. */
  #lastPerKey(records: readonly SinkRecord[], rejected: RejectedRecord[]): SinkRecord[] {
    const pk = records[0]!.table.primaryKey;
    if (pk.length === 0) {
      const out: SinkRecord[] = [];
      for (const r of records) {
        if (r.envelope.op === 'c' || r.envelope.op === 'r') out.push(r);
        else rejected.push({ record: r, reason: `table ${r.table.schema}.${r.table.table} has no primary key: its updates and deletes cannot be applied in Redshift` });
      }
      return out;
    }
    const last = new Map<unknown, SinkRecord>();
    const single = pk.length === 1 ? pk[0]! : null;
    for (const r of records) {
      const row = r.key ?? r.envelope.after ?? r.envelope.before;
      const v = single !== null ? row?.[single] : stableKey(row);
      const k = typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v;
      last.delete(k);
      last.set(k, r);
    }
    return [...last.values()];
  }

  /** Writes the staged file (target columns in target order, plus the operation unless COPYing straight in) and uploads it. */
  async #stage(target: TargetTable, rows: readonly SinkRecord[], direct: boolean, key: string, rejected: RejectedRecord[], ctx: SinkWriteContext): Promise<{ columns: string[]; written: number }> {
    const fieldOf = new Map<SinkTable, Map<string, SinkColumn>>();
    const byLower = (t: SinkTable): Map<string, SinkColumn> => {
      let m = fieldOf.get(t);
      if (m === undefined) fieldOf.set(t, (m = new Map(t.columns.map((c) => [c.name.toLowerCase(), c]))));
      return m;
    };
    const latestOf = new Map<string, SinkColumn>();
    for (const r of rows) for (const [n, c] of byLower(r.table)) latestOf.set(n, c);
    const cols: FileColumn<SinkRecord, Record<string, unknown> | null>[] = target.columns.map((tc) => {
      const src = latestOf.get(tc.name);
      const codec = src ? stagingCodec(src, this.config) : codecForTargetType(tc.type);
      return { name: tc.name, codec, get: (r, row) => { const c = byLower(r.table).get(tc.name); return c ? row?.[c.name] : null; } };
    });
    if (!direct) cols.push({ name: sql.OP_COLUMN, codec: { ...codecForTargetType('varchar') }, get: (r) => OP_LETTER[r.envelope.op] });
    const writer = this.#writer!;
    const tmp = writer.tempPath(this.#format.kind === 'parquet' ? 'parquet' : 'csv.gz');
    const prepare = (r: SinkRecord) => (r.envelope.op === 'd' ? (r.envelope.before ?? r.key) : r.envelope.after);
    const out = await writer.write(rows, prepare, cols, tmp, this.#format);
    for (const x of out.rejected) rejected.push({ record: x.row, reason: x.reason });
    if (out.rows > 0) {
      const { size } = await stat(tmp);
      await this.#store!.putFile(key, tmp);
      ctx.report.file(rows[0]!.table, size, out.rows);
    }
    await rm(tmp, { force: true });
    return { columns: cols.map((c) => c.name), written: out.rows };
  }

  #copyOptions(into: sql.CopyOptions['into'], key: string, columns: readonly string[]): sql.CopyOptions {
    const c = this.config;
    return {
      into, columns, from: `s3://${this.#staging.bucket}/${key}`, auth: c.copyAuth,
      format: c.staging.format === 'parquet' ? { kind: 'parquet' } : { kind: 'csv', delimiter: ',', quote: '"', nullAs: '\\N', gzip: true },
      ...(c.copyRegion ? { region: c.copyRegion } : {}),
    };
  }

  async #apply(plan: readonly { target: TargetTable; segment: Segment; file?: { key: string; direct: boolean; columns: string[] } }[], seen: ReadonlyMap<string, string>, advance: readonly (readonly [string, string])[]): Promise<void> {
    await this.#run(sql.BEGIN);
    try {
      await this.#run(sql.lockOffsets(this.#offsets));
      const now = await this.#applied();
      for (const [stream] of advance) {
        if (now.get(stream) !== seen.get(stream)) {
          throw new FerryError('FERRY_SINK_ERROR', `another writer applied stream ${stream} meanwhile (at ${now.get(stream)}); retrying the batch from the new position`);
        }
      }
      for (const p of plan) {
        const t = p.target.ref;
        if (p.segment.kind === 'truncate') {
          await this.#run(sql.deleteAll(t));
          continue;
        }
        const f = p.file!;
        if (f.direct) {
          await this.#run(sql.copy(this.#copyOptions(t, f.key, f.columns)));
          continue;
        }
        const stage = `ferry_stage_${++this.#n}`;
        const data = f.columns.filter((c) => c !== sql.OP_COLUMN);
        const pk = p.segment.records[0]!.table.primaryKey.map((k) => k.toLowerCase());
        await this.#run(sql.createStagingTable(stage, p.target.columns));
        await this.#run(sql.copy(this.#copyOptions({ temp: stage }, f.key, f.columns)));
        if (pk.length === 0) {
          await this.#run(sql.insertFromStage(t, stage, data));
        } else if (this.config.applyMode === 'merge') {
          await this.#run(sql.deleteStagedDeletes(t, stage, pk));
          await this.#run(sql.dropDeletesFromStage(stage));
          await this.#run(sql.merge(t, stage, data, pk));
        } else {
          await this.#run(sql.deleteStagedKeys(t, stage, pk));
          await this.#run(sql.insertFromStage(t, stage, data));
        }
        await this.#run(sql.dropStagingTable(stage));
      }
      for (const [stream, seq] of advance) for (const s of sql.advanceOffset(this.#offsets, this.name, stream, seq)) await this.#run(s);
      await this.#run(sql.COMMIT);
    } catch (e: unknown) {
      await this.#exec.execute(sql.ROLLBACK).catch(() => {});
      // A failed statement may have left temp tables; the table cache may be stale after a rollback of DDL.
      this.#tables.clear();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#writer?.close();
    this.#writer = undefined;
    await this.#store?.close();
    this.#store = undefined;
    await this.#exec.close();
    this.#ready = false;
  }
}
