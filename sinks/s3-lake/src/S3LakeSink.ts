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
import type { RecordSink, RejectedRecord, SinkRecord, SinkTable, SinkWriteContext, SinkWriteResult } from '../../../core/src/record-sink.ts';
import { BIGINT_CODEC, columnCodec, INSTANT_MICROS, INTEGER_CODEC, VARCHAR_CODEC } from '../../../runtime/src/columnar/column-types.ts';
import { parseLakeConfig, type LakeConfig, type LakeConfigInput } from './config.ts';
import { DuckFileWriter, type FileColumn, type FileFormat } from '../../../runtime/src/columnar/DuckFileWriter.ts';
import { fileExtension, fileKey, partitioner, partitionOfMs } from './layout.ts';
import { ColumnarTable } from './columnar-writer.ts';
import { NeedsRowPath } from './avro-columns.ts';
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
  readonly #format: FileFormat;
  readonly #byMs: ((ms: number) => string) | null;
  readonly #columnar = new WeakMap<SinkTable, ColumnarTable | null>();
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

  /** The columnar writer of a table version, or null when its schema needs the row path. */
  #columnarOf(t: SinkTable, ctx: SinkWriteContext): ColumnarTable | null {
    let c = this.#columnar.get(t);
    if (c === undefined) {
      try {
        c = new ColumnarTable(t, this.config);
      } catch (e: unknown) {
        ctx.log.info({ table: `${t.schema}.${t.table}`, err: e }, `table ${t.schema}.${t.table}: columnar decoding unavailable (${e instanceof Error ? e.message : String(e)}); using rows`);
        c = null;
      }
      this.#columnar.set(t, c);
    }
    return c;
  }

  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<SinkWriteResult> {
    const store = await this.store();
    const writer = await this.#writerInstance();
    const rejected: RejectedRecord[] = [];
    const uploads = new Set<Promise<void>>();
    const temps: string[] = [];
    let failure: unknown;
    const upload = async (first: SinkRecord, path: string, run: readonly SinkRecord[], tmp: string, rows: number) => {
      const key = fileKey(first, path, run, this.#ext);
      const size = (await stat(tmp)).size;
      while (uploads.size >= this.config.uploadConcurrency) await Promise.race(uploads);
      const p: Promise<void> = store.putFile(key, tmp)
        .then(() => {
          ctx.report.file(first.table, size, rows);
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
    try {
      // Per table version (in first-seen order): the columnar path when the records carry their bytes, else rows.
      const byTable = new Map<SinkTable, SinkRecord[]>();
      for (const r of records) {
        let list = byTable.get(r.table);
        if (list === undefined) byTable.set(r.table, (list = []));
        list.push(r);
      }
      for (const [table, list] of byTable) {
        if (failure !== undefined) break;
        const columnar = this.#byMs !== null && list.every((r) => r.valueBytes !== undefined) ? this.#columnarOf(table, ctx) : null;
        if (columnar !== null) {
          try {
            const out = await columnar.write(writer, list, this.#byMs!, this.#format, tempPath);
            for (const x of out.rejected) rejected.push(x);
            for (const run of out.runs) {
              if (failure !== undefined) break;
              await upload(run.records[0]!, run.path, run.records, out.files.get(run.run)!, run.records.length);
            }
            continue;
          } catch (e: unknown) {
            if (!(e instanceof NeedsRowPath)) throw e;
          }
        }
        for (const { path, run } of this.runs(list)) {
          if (failure !== undefined) break;
          const tmp = tempPath();
          const out = await writer.write(run, rowOf, this.#columnsOf(table), tmp, this.#format);
          for (const x of out.rejected) rejected.push({ record: x.row, reason: x.reason });
          if (out.rows === 0) continue;
          await upload(run[0]!, path, run, tmp, out.rows);
        }
      }
      await Promise.all(uploads);
    } finally {
      await Promise.allSettled(uploads);
      await Promise.all(temps.map((t) => rm(t, { force: true })));
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
