/**
 * The lake's columnar path (Kafka mode, lazily decoded records): one table version's records decoded from their
 * Avro bytes straight into column buffers, appended to a DuckDB staging table with a run number per row, and each
 * run (stream × partition folder, cut at maxFileRows / maxFileBytes) written to its file with COPY … WHERE run = k.
 * Files, names and values are those of the row path (S3LakeSink.runs() + DuckFileWriter.write()).
 */
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import type { Op } from '../../../core/src/types.ts';
import { noteDecoded } from '../../../runtime/src/sink-worker/record-decoder.ts';
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import { EnvelopeDecoder, EnvelopeInfo, NeedsRowPath, PositionWriter, Reader } from './avro-columns.ts';
import { CHUNK, Col } from './column-buffers.ts';
import { BIGINT_CODEC, columnCodec, INSTANT_MICROS, INTEGER_CODEC, ValueRejected, VARCHAR_CODEC, type ColumnCodec } from '../../../runtime/src/columnar/column-types.ts';
import type { LakeConfig } from './config.ts';
import type { DuckFileWriter, FileFormat } from '../../../runtime/src/columnar/DuckFileWriter.ts';

export interface ColumnarRun {
  readonly run: number;
  readonly path: string;
  readonly records: SinkRecord[];
}

export interface ColumnarOutcome {
  /** Runs with at least one row, in the order the row path would write them (by partition folder, then stream). */
  readonly runs: readonly ColumnarRun[];
  readonly rejected: readonly { readonly record: SinkRecord; readonly reason: string }[];
}

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
  readonly #dec: EnvelopeDecoder;
  readonly #cfg: Cfg;
  readonly #columns: { readonly name: string; readonly codec: ColumnCodec }[];
  readonly #types: DuckDBType[];
  readonly #cols: Col[];
  readonly #op = new Col('str', 16);
  readonly #ts = new Col('fixed', 8);
  readonly #pos = new Col('str', 16);
  readonly #event = new Col('fixed', 4);
  readonly #part = new Col('fixed', 4);
  readonly #offset = new Col('fixed', 8);
  readonly #run = new Col('fixed', 4);
  readonly #positions = new PositionWriter();

  /** Throws when the table's schema is not one this path reads (the sink then uses the row path). */
  constructor(table: SinkTable, cfg: Cfg) {
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
  }

  /**
   * Writes `records` (one table version, in log order, each with valueBytes) to files from `tempPath()`, through
   * `writer`. Resolves with the runs written (their temp files: `files`), and the records left out.
   */
  async write(writer: DuckFileWriter, records: readonly SinkRecord[], partitionOfMs: (ms: number) => string, format: FileFormat, tempPath: () => string):
    Promise<ColumnarOutcome & { readonly files: ReadonlyMap<number, string> }> {
    const rejected: { record: SinkRecord; reason: string }[] = [];
    const runs: ColumnarRun[] = [];
    const files = new Map<number, string>();
    const open = new Map<string, { run: ColumnarRun; bytes: number }>();
    const { maxFileRows, maxFileBytes } = this.#cfg;
    const cols = this.#cols;
    const generic = cols.flatMap((c, i) => (c.kind === 'generic' ? [i] : []));
    const r = new Reader();
    const e = new EnvelopeInfo();
    const dec = this.#dec;
    const fill = (append: (chunk: DuckDBDataChunk) => void) => {
      const chunk = DuckDBDataChunk.create(this.#types, CHUNK);
      for (const i of generic) cols[i]!.vec = chunk.getColumnVector(i) as never;
      let n = 0;
      // One chunk for the whole batch: the appender copies its rows, so it is reset and refilled rather than a
      // new one (native vectors, freed only when V8 collects the wrapper) made per 2048 rows.
      const emit = () => {
        for (let i = 0; i < cols.length; i++) cols[i]!.flush(chunk, i, n);
        chunk.rowCount = n;
        append(chunk);
        n = 0;
        chunk.reset();
        for (const i of generic) cols[i]!.vec = chunk.getColumnVector(i) as never;
      };
      for (const rec of records) {
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
          if (err instanceof NeedsRowPath) throw err;
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
        if (cur === undefined || cur.run.records.length >= maxFileRows || cur.bytes + rec.sizeBytes > maxFileBytes) {
          cur = { run: { run: runs.length, path, records: [] }, bytes: 0 };
          runs.push(cur.run);
          open.set(key, cur);
        }
        cur.run.records.push(rec);
        cur.bytes += rec.sizeBytes;
        this.#run.i32[n] = cur.run.run;
        this.#run.valid1(n);
        const op = e.op < 128 ? OP_OF[e.op] : undefined;
        if (op !== undefined) noteDecoded(rec, op, e.tsMs);
        if (++n === CHUNK) emit();
      }
      if (n > 0) emit();
    };
    await writer.writeStaged(this.#columns, fill, () => runs.map((run) => {
      const tmp = tempPath();
      files.set(run.run, tmp);
      return { run: run.run, path: tmp };
    }), format);
    return { runs, rejected, files };
  }
}
