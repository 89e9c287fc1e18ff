/**
 * The data-lake sink: change events as Parquet (or CSV) files on S3 or a local directory, one folder per table,
 * Hive-style partitions, DMS-style change columns. See docs/sinks/s3-lake.md.
 *
 * Columns of every file, in order:
 *   Op                 I (insert, snapshot read), U, D, T (truncate)          (name: opColumn)
 *   _commit_ts         commit time in the source, TIMESTAMPTZ µs               (name: timestampColumn)
 *   _source_position   the source log position (Ferry's position format)
 *   _source_event      direct mode: the event's ordinal at its position (0 = snapshot read); null in Kafka mode
 *   _kafka_partition   Kafka mode: the record's partition; null in direct mode
 *   _kafka_offset      Kafka mode: the record's offset; null in direct mode
 *   <columns>          the row after the change (the row before it for deletes), with faithful Parquet types
 *   BI_<columns>       optional: the row before the change
 *
 * Idempotence: a file holds records of one stream (Kafka partition), one table version and one partition folder,
 * and is named from their identities (layout.ts), so a retried batch overwrites its files. After a crash, the
 * redelivered batch can be cut differently and write other names: readers deduplicate on (_kafka_partition,
 * _kafka_offset) — or (_source_position, _source_event, key) in direct mode — as docs/sinks/s3-lake.md shows.
 */
import { rm, stat } from 'node:fs/promises';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult, StagedBatch } from '../../../core/src/record-sink.ts';
import { BIGINT_CODEC, columnCodec, INSTANT_MICROS, INTEGER_CODEC, VARCHAR_CODEC } from '../../../runtime/src/columnar/column-types.ts';
import { parseLakeConfig, type LakeConfig, type LakeConfigInput } from './config.ts';
import { DuckFileWriter, type FileColumn, type FileFormat } from '../../../runtime/src/columnar/DuckFileWriter.ts';
import { runName } from '../../../runtime/src/sink-worker/record-identity.ts';
import { fileExtension, fileKeyOf, partitioner, partitionOfMs } from './layout.ts';
import { ColumnarTable, stagedRunName } from './columnar-writer.ts';
import { positionFromSource } from './positions.ts';

export { positionFromSource };
import { openObjectStore, type ObjectStore } from '../../../runtime/src/storage/object-store.ts';

const OP_LETTER: Readonly<Record<string, string>> = { c: 'I', r: 'I', u: 'U', d: 'D', t: 'T' };

/** The source-block fields this sink reads (the decoder skips the rest). */
export const LAKE_SOURCE_FIELDS = ['ts_ms', 'ts_us', 'file', 'pos', 'lsn'] as const;

type Row = Record<string, unknown> | null;

export const META_COLUMNS = ['_source_position', '_source_event', '_kafka_partition', '_kafka_offset'] as const;

function commitMicros(r: SinkRecord): bigint | number | null {
  const s = r.envelope.source;
  const us = s.ts_us;
  if (typeof us === 'number' || typeof us === 'bigint') return us;
  const ms = s.ts_ms;
  if (typeof ms === 'number') return ms * 1000;
  if (typeof ms === 'bigint') return ms * 1000n;
  return null;
}

/** The file columns of one table version. */
export function lakeColumns(table: SinkTable, cfg: Pick<LakeConfig, 'opColumn' | 'timestampColumn' | 'beforeImage' | 'beforeImagePrefix'>): FileColumn<SinkRecord, Row>[] {
  const cols: FileColumn<SinkRecord, Row>[] = [
    { name: cfg.opColumn, codec: VARCHAR_CODEC, get: (r) => OP_LETTER[r.envelope.op] },
    { name: cfg.timestampColumn, codec: INSTANT_MICROS, get: commitMicros },
    { name: '_source_position', codec: VARCHAR_CODEC, get: (r) => r.position ?? positionFromSource(r.envelope.source) },
    { name: '_source_event', codec: INTEGER_CODEC, get: (r) => r.event },
    { name: '_kafka_partition', codec: INTEGER_CODEC, get: (r) => r.partition },
    { name: '_kafka_offset', codec: BIGINT_CODEC, get: (r) => r.offset },
  ];
  const taken = new Set(cols.map((c) => c.name));
  for (const c of table.columns) {
    if (taken.has(c.name)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `table ${table.schema}.${table.table} has a column named ${c.name}, which the lake sink uses for change metadata; set opColumn/timestampColumn to other names`);
    }
    const name = c.name;
    cols.push({ name, codec: columnCodec(c), get: (_r, row) => row?.[name] });
  }
  if (cfg.beforeImage) {
    for (const c of table.columns) {
      const name = c.name;
      cols.push({ name: `${cfg.beforeImagePrefix}${name}`, codec: columnCodec(c), get: (r) => r.envelope.before?.[name] });
    }
  }
  return cols;
}

/** The row a file line shows: after the change, or before it for deletes (the key when that is all there is). */
const rowOf = (r: SinkRecord): Row => (r.envelope.op === 't' ? null : (r.envelope.after ?? r.envelope.before ?? r.key));

export interface S3LakeSinkOptions {
  readonly name?: string;
  readonly config: LakeConfigInput;
  /** Use this store instead of opening config.location (tests). */
  readonly store?: ObjectStore;
  /** Kafka mode: decode records straight into columns (default true; not with partitioning by column). */
  readonly columnar?: boolean;
}

export class S3LakeSink implements RecordSink {
  readonly name: string;
  readonly config: LakeConfig;
  readonly batchPolicy;
  readonly sourceFields = LAKE_SOURCE_FIELDS;
  /** Kafka mode: records come undecoded; the columnar path decodes their bytes (columnar-writer.ts). */
  readonly lazyDecode: boolean;
  /**
   * Kafka mode: 256 KiB fetches and at most 1,000 records read ahead, instead of the worker's 8 MiB and 10,000. The
   * batch is staged in DuckDB, so the records fetched ahead (an 8 MiB lz4 fetch holds roughly 100k change events of
   * 10 columns, an estimate) were the largest part of the peak RSS: each waits in the consumer long enough to be
   * promoted to V8's old space, where it is garbage a moment later. 8 MiB → 1 MiB: 750 → 580 MB at the same CPU per
   * row ("Parquet sink memory, round two"); 1 MiB and 10,000 → 256 KiB and 1,000: a further 45–100 MB less
   * (bench/RESULTS.md, "Parquet sink memory, round three (issue 24)").
   */
  readonly consumerFetch = { maxFetchBytes: 256 * 1024, maxPartitionFetchBytes: 256 * 1024, bufferedRecords: 1000 } as const;
  readonly #format: FileFormat;
  readonly #byMs: ((ms: number) => string) | null;
  /** Per table version: whether the columnar path reads its schema. */
  readonly #columnar = new WeakMap<SinkTable, boolean>();
  readonly #ext: string;
  readonly #partition: (r: SinkRecord) => string;
  readonly #columns = new WeakMap<SinkTable, FileColumn<SinkRecord, Row>[]>();
  #store: ObjectStore | undefined;
  #writer: DuckFileWriter | undefined;

  constructor(options: S3LakeSinkOptions) {
    this.config = parseLakeConfig(options.config);
    const c = this.config;
    this.name = options.name ?? c.format;
    this.batchPolicy = { maxRecords: c.maxFileRows, maxBytes: c.maxFileBytes, maxDelayMs: c.maxFileAgeMs };
    this.#format = c.format === 'parquet'
      ? { kind: 'parquet', compression: c.compression, rowGroupRows: c.rowGroupRows }
      : { kind: 'csv', ...c.csv };
    this.#ext = fileExtension(c);
    this.#partition = partitioner(c.partitioning);
    this.#byMs = partitionOfMs(c.partitioning);
    this.lazyDecode = this.#byMs !== null && options.columnar !== false;
    this.#store = options.store;
  }

  /** The store files go to (opened on first use). */
  async store(): Promise<ObjectStore> {
    this.#store ??= await openObjectStore(this.config.location, this.config.s3);
    return this.#store;
  }

  /** For `ferry validate`: lists under the location, so a missing bucket, wrong credentials or endpoint show. */
  async check(): Promise<void> {
    try {
      await (await this.store()).list('');
    } catch (e: unknown) {
      throw new FerryError(e instanceof FerryError ? e.code : 'FERRY_SINK_ERROR', `cannot list ${this.config.location}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async #writerInstance(): Promise<DuckFileWriter> {
    this.#writer ??= await DuckFileWriter.create({ threads: this.config.duckdbThreads, memoryLimit: this.config.duckdbMemoryLimit });
    return this.#writer;
  }

  #columnsOf(t: SinkTable): FileColumn<SinkRecord, Row>[] {
    let cols = this.#columns.get(t);
    if (cols === undefined) {
      cols = lakeColumns(t, this.config);
      this.#columns.set(t, cols);
    }
    return cols;
  }

  /** Records → runs: per table version, partition folder and stream, in log order, cut at maxFileRows / maxFileBytes. */
  runs(records: readonly SinkRecord[]): { readonly path: string; readonly run: SinkRecord[] }[] {
    const groups = new Map<SinkTable, Map<string, Map<string, SinkRecord[]>>>();
    for (const r of records) {
      let byPath = groups.get(r.table);
      if (byPath === undefined) groups.set(r.table, (byPath = new Map()));
      const path = this.#partition(r);
      let byStream = byPath.get(path);
      if (byStream === undefined) byPath.set(path, (byStream = new Map()));
      let list = byStream.get(r.stream);
      if (list === undefined) byStream.set(r.stream, (list = []));
      list.push(r);
    }
    const out: { path: string; run: SinkRecord[] }[] = [];
    const { maxFileRows, maxFileBytes } = this.config;
    for (const byPath of groups.values()) {
      for (const [path, byStream] of byPath) {
        for (const list of byStream.values()) {
          let run: SinkRecord[] = [];
          let bytes = 0;
          for (const r of list) {
            if (run.length > 0 && (run.length >= maxFileRows || bytes + r.sizeBytes > maxFileBytes)) {
              out.push({ path, run });
              run = [];
              bytes = 0;
            }
            run.push(r);
            bytes += r.sizeBytes;
          }
          if (run.length > 0) out.push({ path, run });
        }
      }
    }
    return out;
  }

  /** A new columnar stage of a table version, or null when its schema needs the row path. */
  #columnarOf(t: SinkTable, log: SinkWriteContext['log']): ColumnarTable | null {
    if (this.#columnar.get(t) === false) return null;
    try {
      const c = new ColumnarTable(t, this.config);
      this.#columnar.set(t, true);
      return c;
    } catch (e: unknown) {
      log.info({ table: `${t.schema}.${t.table}`, err: e }, `table ${t.schema}.${t.table}: columnar decoding unavailable (${e instanceof Error ? e.message : String(e)}); using rows`);
      this.#columnar.set(t, false);
      return null;
    }
  }

  /**
   * Kafka mode: a batch's records are decoded into DuckDB staging tables (one per table version) as they arrive, so
   * the worker holds no record objects for them; records the columnar path cannot take come back as `unstaged`.
   */
  stage(ctx: Pick<SinkWriteContext, 'log'>): StagedBatch {
    return new LakeStage(this, ctx.log);
  }

  /** (LakeStage) */
  async newColumnar(t: SinkTable, log: SinkWriteContext['log']): Promise<ColumnarTable | null> {
    if (!this.lazyDecode) return null; // (partitions by column, or `columnar: false`: the row path)
    const c = this.#columnarOf(t, log);
    if (c === null) return null;
    await c.open(await this.#writerInstance());
    return c;
  }

  /** (LakeStage) */
  get partitionOfMs(): (ms: number) => string {
    return this.#byMs!;
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const store = await this.store();
    const writer = await this.#writerInstance();
    const rejected: RejectedRecord[] = [];
    const uploads = new Set<Promise<void>>();
    const temps: string[] = [];
    let failure: unknown;
    const upload = async (table: SinkTable, path: string, name: string, tmp: string, rows: number) => {
      const key = fileKeyOf(table, path, name, this.#ext);
      const size = (await stat(tmp)).size;
      while (uploads.size >= this.config.uploadConcurrency) await Promise.race(uploads);
      const p: Promise<void> = store.putFile(key, tmp)
        .then(() => {
          ctx.report.file(table, size, rows);
          return rm(tmp, { force: true });
        })
        .catch((e: unknown) => { failure ??= e; })
        .finally(() => uploads.delete(p));
      uploads.add(p);
    };
    const tempPath = () => {
      const tmp = writer.tempPath(this.#ext);
      temps.push(tmp);
      return tmp;
    };
    // Without a staged batch (direct calls): stage the records here, so that both callers share one path.
    const own = ctx.staged === undefined && this.lazyDecode ? this.stage(ctx) : null;
    let list: readonly SinkRecord[] = records;
    try {
      if (own !== null) {
        const added = await own.add(records);
        for (const x of added.rejected) rejected.push(x);
        list = added.unstaged;
      }
      const staged = (ctx.staged ?? own) as LakeStage | null;
      for (const columnar of staged?.tables() ?? []) {
        columnar.finish();
        for (const run of columnar.runs) {
          if (failure !== undefined) break;
          const tmp = tempPath();
          await columnar.copy(run, tmp, this.#format);
          await upload(columnar.table, run.path, stagedRunName(run), tmp, run.rows);
        }
      }
      // The row path: per table version (in first-seen order).
      const byTable = new Map<SinkTable, SinkRecord[]>();
      for (const r of list) {
        let l = byTable.get(r.table);
        if (l === undefined) byTable.set(r.table, (l = []));
        l.push(r);
      }
      for (const [table, l] of byTable) {
        if (failure !== undefined) break;
        for (const { path, run } of this.runs(l)) {
          if (failure !== undefined) break;
          const tmp = tempPath();
          const out = await writer.write(run, rowOf, this.#columnsOf(table), tmp, this.#format);
          for (const x of out.rejected) rejected.push({ record: x.row, reason: x.reason });
          if (out.rows === 0) continue;
          await upload(table, path, runName(run), tmp, out.rows);
        }
      }
      await Promise.all(uploads);
    } finally {
      await Promise.allSettled(uploads);
      await Promise.all(temps.map((t) => rm(t, { force: true })));
      await own?.discard();
    }
    if (failure !== undefined) throw failure;
    return { rejected };
  }

  async close(): Promise<void> {
    await this.#writer?.close();
    this.#writer = undefined;
    await this.#store?.close();
    this.#store = undefined;
  }
}

/**
 * The staged batch of the lake sink: per table version, a columnar stage (a DuckDB staging table) while the records
 * of that version decode on the columnar path; from a record that needs the row path on (or for a version the
 * columnar path cannot read), the version's records of this batch come back unstaged (they then form their own
 * files, after the staged ones: no record is in two files, none is left out).
 */
class LakeStage implements StagedBatch {
  readonly #sink: S3LakeSink;
  readonly #log: SinkWriteContext['log'];
  /** Per table version: its stage, or null when the columnar path cannot read it. */
  readonly #tables = new Map<SinkTable, ColumnarTable | null>();
  /** Table versions whose further records of this batch take the row path (after a NeedsRowPath). */
  readonly #rowsFrom = new Set<SinkTable>();
  #discarded = false;

  constructor(sink: S3LakeSink, log: SinkWriteContext['log']) {
    this.#sink = sink;
    this.#log = log;
  }

  tables(): ColumnarTable[] {
    return [...this.#tables.values()].filter((c): c is ColumnarTable => c !== null);
  }

  async add(records: readonly SinkRecord[]): Promise<{ rejected: RejectedRecord[]; unstaged: SinkRecord[] }> {
    if (this.#discarded) throw new FerryError('FERRY_INTERNAL', 'records added to a discarded lake stage');
    const rejected: RejectedRecord[] = [];
    const unstaged: SinkRecord[] = [];
    const byMs = this.#sink.partitionOfMs;
    // Consecutive records of one table version are staged together.
    for (let i = 0; i < records.length;) {
      const t = records[i]!.table;
      let j = i + 1;
      while (j < records.length && records[j]!.table === t) j++;
      let c = this.#tables.get(t);
      if (c === undefined) {
        c = records[i]!.valueBytes === undefined ? null : await this.#sink.newColumnar(t, this.#log);
        if (this.#discarded) { await c?.drop(); throw new FerryError('FERRY_INTERNAL', 'lake stage discarded while adding'); }
        this.#tables.set(t, c);
      }
      let k = i;
      if (c !== null && !this.#rowsFrom.has(t)) {
        let end = i;
        while (end < j && records[end]!.valueBytes !== undefined) end++;
        k = c.add(records, i, end, byMs, rejected);
        if (k < j) {
          // A record the columnar path cannot write as the row path would (or one without its bytes): the rest of
          // this version's records of the batch take the row path.
          c.finish();
          this.#rowsFrom.add(t);
        }
      }
      for (; k < j; k++) unstaged.push(records[k]!);
      i = j;
    }
    return { rejected, unstaged };
  }

  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    const all = this.tables();
    this.#tables.clear();
    await Promise.all(all.map((c) => c.drop()));
  }
}
