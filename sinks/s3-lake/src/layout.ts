/**
 * Where a record's file goes: <schema>/<table>/<hive partitions>/part-<run>.<ext>
 *
 *   <run>  Kafka mode: <kafka partition>-<first offset>-<last offset> (offsets zero-padded to 19 digits)
 *          direct mode: d-<hash of the first and last identities> (record-identity.ts)
 * The same records always get the same name, so a retry overwrites the file instead of adding one.
 */
import type { SinkRecord } from '../../../core/src/record-sink.ts';
import { runName } from '../../../runtime/src/sink-worker/record-identity.ts';
import type { LakeConfig } from './config.ts';
import { microsToIso, zonedToMicros } from '../../../runtime/src/columnar/column-types.ts';
import { escapePathPart, HIVE_DEFAULT_PARTITION } from './naming.ts';

export { escapePathPart, HIVE_DEFAULT_PARTITION };

const DAY_MS = 86_400_000;

function commitMs(r: SinkRecord): number {
  const ts = r.envelope.source.ts_ms;
  return typeof ts === 'number' ? ts : typeof ts === 'bigint' ? Number(ts) : r.timestampMs;
}

/** The text of a column value as a partition value: dates and timestamps as their date. */
function partitionText(logical: string | undefined, v: unknown): string {
  if (v === null || v === undefined) return HIVE_DEFAULT_PARTITION;
  switch (logical) {
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return new Date(Number(v) * DAY_MS).toISOString().slice(0, 10);
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return new Date(Number(v)).toISOString().slice(0, 10);
    case 'io.debezium.time.MicroTimestamp':
      return microsToIso(BigInt(v as number)).slice(0, 10);
    case 'io.debezium.time.NanoTimestamp':
      return microsToIso(BigInt(v as number) / 1000n).slice(0, 10);
    case 'io.debezium.time.ZonedTimestamp': {
      const us = zonedToMicros(String(v));
      return us === null ? String(v) : microsToIso(us).slice(0, 10);
    }
  }
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

/** For date partitions (and none): the partition path of a commit time in ms, cached per day / hour; null for by=column. */
export function partitionOfMs(cfg: LakeConfig['partitioning']): ((ms: number) => string) | null {
  switch (cfg.by) {
    case 'none':
      return () => '';
    case 'commit-date': {
      let lastDay = NaN;
      let last = '';
      return (ms) => {
        const d = Math.floor(ms / DAY_MS);
        if (d !== lastDay) {
          lastDay = d;
          last = `date=${new Date(d * DAY_MS).toISOString().slice(0, 10)}`;
        }
        return last;
      };
    }
    case 'commit-hour': {
      let lastHour = NaN;
      let last = '';
      return (ms) => {
        const h = Math.floor(ms / 3_600_000);
        if (h !== lastHour) {
          lastHour = h;
          const iso = new Date(h * 3_600_000).toISOString();
          last = `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
        }
        return last;
      };
    }
    default:
      return null;
  }
}

/** A function giving a record's partition path ('' for none, else 'a=b/c=d'), cached per day for date partitions. */
export function partitioner(cfg: LakeConfig['partitioning']): (r: SinkRecord) => string {
  const byMs = partitionOfMs(cfg);
  if (byMs !== null) return (r) => byMs(commitMs(r));
  const name = cfg.column!;
  const logicalOf = new WeakMap<SinkRecord['table'], string | undefined>();
  return (r) => {
    let logical = logicalOf.get(r.table);
    if (logical === undefined && !logicalOf.has(r.table)) {
      logical = r.table.columns.find((c) => c.name === name)?.type.logical;
      logicalOf.set(r.table, logical);
    }
    const row = r.envelope.after ?? r.envelope.before ?? r.key;
    return `${escapePathPart(name)}=${escapePathPart(partitionText(logical, row?.[name]))}`;
  };
}

export function fileExtension(cfg: LakeConfig): string {
  return cfg.format === 'parquet' ? 'parquet' : cfg.csv.gzip ? 'csv.gz' : 'csv';
}

/** The object key of a file holding `run` (records of one stream, one table version, one partition). */
export function fileKey(r: SinkRecord, partitionPath: string, run: readonly SinkRecord[], ext: string): string {
  return fileKeyOf(r.table, partitionPath, runName(run), ext);
}

/** The object key of a file of `table` in a partition folder, from its run's name (runName()). */
export function fileKeyOf(table: Pick<SinkRecord['table'], 'schema' | 'table'>, partitionPath: string, name: string, ext: string): string {
  const parts = [escapePathPart(table.schema), escapePathPart(table.table)];
  if (partitionPath !== '') parts.push(partitionPath);
  parts.push(`part-${name}.${ext}`);
  return parts.join('/');
}
