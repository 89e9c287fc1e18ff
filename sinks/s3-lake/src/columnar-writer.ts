/**
 * The lake's columnar path (Kafka mode, lazily decoded records): one table version's records of one batch decoded
 * from their Avro bytes straight into column buffers and appended to a DuckDB staging table, with a run number per
 * row, as the records arrive (the sink worker then drops them: StagedBatch in core/src/record-sink.ts). When the
 * batch is written, each run (stream × partition folder, cut at maxFileRows / maxFileBytes) is copied to its file
 * with COPY … WHERE run = k. Files, names and values are those of the row path (S3LakeSink.runs() +
 * DuckFileWriter.write()).
 */
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import type { Op } from '../../../core/src/types.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { noteDecoded } from '../../../runtime/src/sink-worker/record-decoder.ts';
import { kafkaRunName } from '../../../runtime/src/sink-worker/record-identity.ts';
import type { RejectedRecord, SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import { EnvelopeDecoder, EnvelopeInfo, NeedsRowPath, PositionWriter, Reader } from './avro-columns.ts';
import { CHUNK, Col } from './column-buffers.ts';
import { BIGINT_CODEC, columnCodec, INSTANT_MICROS, INTEGER_CODEC, ValueRejected, VARCHAR_CODEC, type ColumnCodec } from '../../../runtime/src/columnar/column-types.ts';
import type { LakeConfig } from './config.ts';
import type { DuckFileWriter, FileFormat, StagingTable } from '../../../runtime/src/columnar/DuckFileWriter.ts';

/** A run of staged rows: one file. Its name comes from its partition and first and last offsets. */
export interface StagedRun {
  readonly run: number;
  readonly path: string;
  readonly partition: number;
  readonly firstOffset: bigint;
  lastOffset: bigint;
  rows: number;
  bytes: number;
}

/** runName() of a staged run. */
export const stagedRunName = (r: StagedRun): string => kafkaRunName(r.partition, r.firstOffset, r.lastOffset);

// Op byte → letter index in LETTERS (I, U, D, T), and the Op for metrics.
const LETTERS = Buffer.from('IUDT');
const LETTER_OF = new Int8Array(128).fill(-1);
const OP_OF: (Op | undefined)[] = [];
for (const [op, i] of [['c', 0], ['r', 0], ['u', 1], ['d', 2], ['t', 3]] as const) {
  LETTER_OF[op.charCodeAt(0)] = i;
  OP_OF[op.charCodeAt(0)] = op;
}

type Cfg = Pick<LakeConfig, 'opColumn' | 'timestampColumn' | 'beforeImage' | 'beforeImagePrefix' | 'maxFileRows' | 'maxFileBytes'>;

export class ColumnarTable {
  readonly table: SinkTable;
  readonly #dec: EnvelopeDecoder;
  readonly #cfg: Cfg;
  readonly #columns: { readonly name: string; readonly codec: ColumnCodec }[];
  readonly #types: DuckDBType[];
  readonly #cols: Col[];
  readonly #generic: number[];
  readonly #op = new Col('str', 16);
  readonly #ts = new Col('fixed', 8);
  readonly #pos = new Col('str', 16);
  readonly #event = new Col('fixed', 4);
  readonly #part = new Col('fixed', 4);
  readonly #offset = new Col('fixed', 8);
  readonly #run = new Col('fixed', 4);
  readonly #positions = new PositionWriter();
  readonly #r = new Reader();
  readonly #e = new EnvelopeInfo();
  /** Runs with at least one row, in the order they were opened. */
  readonly runs: StagedRun[] = [];
  readonly #open = new Map<string, StagedRun>();
  #staging: StagingTable | null = null;
  #chunk: DuckDBDataChunk | null = null;
  #n = 0;

  /** Throws when the table's schema is not one this path reads (the sink then uses the row path). */
  constructor(table: SinkTable, cfg: Cfg) {
    this.table = table;
    this.#cfg = cfg;
    this.#dec = new EnvelopeDecoder(table, cfg.beforeImage);
    this.#columns = [
      { name: cfg.opColumn, codec: VARCHAR_CODEC }, { name: cfg.timestampColumn, codec: INSTANT_MICROS }, { name: '_source_position', codec: VARCHAR_CODEC },
      { name: '_source_event', codec: INTEGER_CODEC }, { name: '_kafka_partition', codec: INTEGER_CODEC }, { name: '_kafka_offset', codec: BIGINT_CODEC },
      ...table.columns.map((c) => ({ name: c.name, codec: columnCodec(c) })),
      ...(cfg.beforeImage ? table.columns.map((c) => ({ name: `${cfg.beforeImagePrefix}${c.name}`, codec: columnCodec(c) })) : []),
    ];
    this.#types = [...this.#columns.map((c) => c.codec.duckType), INTEGER_CODEC.duckType];
    this.#cols = [this.#op, this.#ts, this.#pos, this.#event, this.#part, this.#offset, ...this.#dec.rowCols, ...this.#dec.beforeCols, this.#run];
    this.#generic = this.#cols.flatMap((c, i) => (c.kind === 'generic' ? [i] : []));
  }

  /** Creates the staging table (before the first add()). */
  async open(writer: DuckFileWriter): Promise<void> {
    this.#staging = await writer.stagingTable(this.#columns);
    // One chunk for the whole batch: the appender copies its rows, so it is reset and refilled rather than a new
    // one (native vectors, freed only when V8 collects the wrapper) made per 2048 rows.
    this.#chunk = DuckDBDataChunk.create(this.#types, CHUNK);
    for (const i of this.#generic) this.#cols[i]!.vec = this.#chunk.getColumnVector(i) as never;
  }

  #emit(): void {
    const chunk = this.#chunk!;
    const cols = this.#cols;
    const n = this.#n;
    for (let i = 0; i < cols.length; i++) cols[i]!.flush(chunk, i, n);
    chunk.rowCount = n;
    this.#staging!.append(chunk);
    this.#n = 0;
    chunk.reset();
    for (const i of this.#generic) cols[i]!.vec = chunk.getColumnVector(i) as never;
  }

  /**
   * Stages `records[from..to)` (this table version, in log order, each with valueBytes). Records it cannot decode
   * or store go to `rejected`. Returns `to`, or the index of the first record that needs the row path (NeedsRowPath):
   * that record and the ones after it are not staged.
   */
  add(records: readonly SinkRecord[], from: number, to: number, partitionOfMs: (ms: number) => string, rejected: RejectedRecord[]): number {
    const { maxFileRows, maxFileBytes } = this.#cfg;
    const r = this.#r;
    const e = this.#e;
    const dec = this.#dec;
    const open = this.#open;
    for (let k = from; k < to; k++) {
      const rec = records[k]!;
      const n = this.#n;
      const buf = rec.valueBytes!;
      r.buf = buf;
      r.pos = 5;
      r.end = buf.length;
      try {
        dec.decode(r, e, n);
        const letter = e.op < 128 ? LETTER_OF[e.op]! : -1;
        if (letter < 0) this.#op.setNull(n);
        else this.#op.putBytes(n, LETTERS, letter, 1);
        if (e.tsUs !== null) this.#ts.putI64(n, e.tsUs);
        else if (e.tsMs !== null) this.#ts.putI64(n, e.tsMs * 1000);
        else this.#ts.setNull(n);
        this.#positions.put(r, e, this.#pos, n);
      } catch (err: unknown) {
        if (err instanceof NeedsRowPath) return k;
        rejected.push({ record: rec, reason: err instanceof ValueRejected ? err.message : `cannot decode the Avro payload: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      this.#event.setNull(n);
      this.#part.i32[n] = rec.partition!;
      this.#part.valid1(n);
      this.#offset.putI64(n, Number(rec.offset!));
      // The run: per partition folder and stream, cut like S3LakeSink.runs().
      const path = partitionOfMs(e.tsMs ?? rec.timestampMs);
      const key = `${path}\u0000${rec.stream}`;
      let cur = open.get(key);
      if (cur === undefined || cur.rows >= maxFileRows || cur.bytes + rec.sizeBytes > maxFileBytes) {
        cur = { run: this.runs.length, path, partition: rec.partition!, firstOffset: rec.offset!, lastOffset: rec.offset!, rows: 0, bytes: 0 };
        this.runs.push(cur);
        open.set(key, cur);
      }
      cur.lastOffset = rec.offset!;
      cur.rows++;
      cur.bytes += rec.sizeBytes;
      this.#run.i32[n] = cur.run;
      this.#run.valid1(n);
      const op = e.op < 128 ? OP_OF[e.op] : undefined;
      if (op !== undefined) noteDecoded(rec, op, e.tsMs);
      if (++this.#n === CHUNK) this.#emit();
    }
    return to;
  }

  /** Appends the rows still in the column buffers and closes the staging table for appends (idempotent). */
  finish(): void {
    if (this.#staging === null) return;
    if (this.#n > 0) this.#emit();
    this.#staging.close();
  }

  /**
   * Writes a run's rows to `path`. Throws (the worker retries the batch) unless the file holds exactly the rows staged
   * for the run: a file must never be uploaded short.
   */
  async copy(run: StagedRun, path: string, format: FileFormat): Promise<void> {
    this.finish();
    const n = await this.#staging!.copy(run.run, path, format);
    if (n !== run.rows) throw new FerryError('FERRY_SINK_ERROR', `staging table ${this.#staging!.name}: run ${run.run} has ${n} rows, ${run.rows} were staged`);
  }

  /** Frees the staging table (idempotent). */
  async drop(): Promise<void> {
    const s = this.#staging;
    this.#chunk = null;
    for (const i of this.#generic) this.#cols[i]!.vec = null;
    await s?.drop();
  }
}
