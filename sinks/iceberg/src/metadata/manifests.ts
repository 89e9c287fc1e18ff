/**
 * Manifests and manifest lists (table spec §Manifests, §Manifest Lists, format version 2): Avro container files
 * with the spec's schemas and field ids. A manifest lists data or delete files with their stats; a manifest list
 * lists a snapshot's manifests.
 */
import { readContainer, writeContainer } from './avro-container.ts';
import type { IcebergSchema, PartitionSpec, PrimitiveType } from './table-metadata.ts';

/** 0 data, 1 position deletes, 2 equality deletes. */
export type FileContent = 0 | 1 | 2;

export interface DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: 'PARQUET';
  /** Partition values by partition field name (null for a null value). */
  readonly partition: Readonly<Record<string, number | string | Buffer | boolean | null>>;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  readonly valueCounts?: ReadonlyMap<number, number>;
  readonly nullValueCounts?: ReadonlyMap<number, number>;
  readonly lowerBounds?: ReadonlyMap<number, Buffer>;
  readonly upperBounds?: ReadonlyMap<number, Buffer>;
  readonly equalityIds?: readonly number[];
}

export interface ManifestEntry {
  /** 0 existing, 1 added, 2 deleted. */
  readonly status: 0 | 1 | 2;
  readonly snapshotId: number | null;
  readonly sequenceNumber: number | null;
  readonly fileSequenceNumber: number | null;
  readonly dataFile: DataFile;
}

/** An entry of a manifest list. */
export interface ManifestFile {
  readonly manifestPath: string;
  readonly manifestLength: number;
  readonly partitionSpecId: number;
  /** 0 data, 1 deletes. */
  readonly content: 0 | 1;
  readonly sequenceNumber: number;
  readonly minSequenceNumber: number;
  readonly addedSnapshotId: number;
  readonly addedFilesCount: number;
  readonly existingFilesCount: number;
  readonly deletedFilesCount: number;
  readonly addedRowsCount: number;
  readonly existingRowsCount: number;
  readonly deletedRowsCount: number;
}

const opt = (type: unknown) => ['null', type];

/** The Avro type of an Iceberg primitive (table spec, Appendix A). */
export function avroTypeOf(t: PrimitiveType, name: string): unknown {
  switch (t) {
    case 'boolean': case 'int': case 'long': case 'float': case 'double': case 'string': return t;
    case 'binary': return 'bytes';
    case 'date': return { type: 'int', logicalType: 'date' };
    case 'time': return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid': return { type: 'fixed', name: `uuid_${name}`, size: 16, logicalType: 'uuid' };
    default: {
      const d = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
      if (d) return { type: 'fixed', name: `decimal_${name}`, size: decimalBytes(Number(d[1])), logicalType: 'decimal', precision: Number(d[1]), scale: Number(d[2]) };
      const f = /^fixed\[(\d+)\]$/.exec(t);
      if (f) return { type: 'fixed', name: `fixed_${name}`, size: Number(f[1]) };
      throw new Error(`no Avro type for Iceberg type ${t}`);
    }
  }
}

/** Bytes of the smallest two's-complement number that holds `precision` decimal digits. */
export function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) <= 10n ** BigInt(precision)) n++;
  return n;
}

/** The Iceberg type of a partition field's values. */
export function partitionFieldType(transform: string, source: PrimitiveType): PrimitiveType {
  if (transform === 'identity' || transform.startsWith('truncate')) return source;
  if (transform === 'day') return 'date';
  return 'int'; // year, month, hour, bucket[N]
}

function partitionStruct(spec: PartitionSpec, schema: IcebergSchema): object {
  return {
    type: 'record', name: 'r102',
    fields: spec.fields.map((f) => {
      const src = schema.fields.find((x) => x.id === f['source-id']);
      if (!src) throw new Error(`partition field ${f.name}: no source column ${f['source-id']}`);
      return { name: f.name, type: opt(avroTypeOf(partitionFieldType(f.transform, src.type as PrimitiveType), `p${f['field-id']}`)), default: null, 'field-id': f['field-id'] };
    }),
  };
}

const intMap = (name: string, id: number, keyId: number, valueId: number, value: string) => ({
  name, 'field-id': id, default: null,
  type: opt({ type: 'array', logicalType: 'map', items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: value, 'field-id': valueId }] } }),
});

/** The manifest_entry schema of a manifest for one partition spec. */
export function manifestEntrySchema(spec: PartitionSpec, schema: IcebergSchema): object {
  return {
    type: 'record', name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: opt('long'), default: null, 'field-id': 1 },
      { name: 'sequence_number', type: opt('long'), default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: opt('long'), default: null, 'field-id': 4 },
      {
        name: 'data_file', 'field-id': 2,
        type: {
          type: 'record', name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            { name: 'partition', type: partitionStruct(spec, schema), 'field-id': 102 },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intMap('column_sizes', 108, 117, 118, 'long'),
            intMap('value_counts', 109, 119, 120, 'long'),
            intMap('null_value_counts', 110, 121, 122, 'long'),
            intMap('nan_value_counts', 137, 138, 139, 'long'),
            intMap('lower_bounds', 125, 126, 127, 'bytes'),
            intMap('upper_bounds', 128, 129, 130, 'bytes'),
            { name: 'key_metadata', type: opt('bytes'), default: null, 'field-id': 131 },
            { name: 'split_offsets', type: opt({ type: 'array', items: 'long', 'element-id': 133 }), default: null, 'field-id': 132 },
            { name: 'equality_ids', type: opt({ type: 'array', items: 'int', 'element-id': 136 }), default: null, 'field-id': 135 },
            { name: 'sort_order_id', type: opt('int'), default: null, 'field-id': 140 },
          ],
        },
      },
    ],
  };
}

export const MANIFEST_FILE_SCHEMA = {
  type: 'record', name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions', default: null, 'field-id': 507,
      type: opt({
        type: 'array', 'element-id': 508,
        items: {
          type: 'record', name: 'r508',
          fields: [
            { name: 'contains_null', type: 'boolean', 'field-id': 509 },
            { name: 'contains_nan', type: opt('boolean'), default: null, 'field-id': 518 },
            { name: 'lower_bound', type: opt('bytes'), default: null, 'field-id': 510 },
            { name: 'upper_bound', type: opt('bytes'), default: null, 'field-id': 511 },
          ],
        },
      }),
    },
    { name: 'key_metadata', type: opt('bytes'), default: null, 'field-id': 519 },
  ],
};

const mapOut = <V>(m: ReadonlyMap<number, V> | undefined) => (m === undefined ? null : [...m].map(([key, value]) => ({ key, value })));
const mapIn = <V>(a: { key: number; value: V }[] | null | undefined) => (a == null ? undefined : new Map(a.map((x) => [x.key, x.value])));

/** A manifest file's bytes: `entries` (all of one content kind) of one partition spec. */
export function writeManifest(entries: readonly ManifestEntry[], spec: PartitionSpec, schema: IcebergSchema, content: 'data' | 'deletes'): Buffer {
  const records = entries.map((e) => ({
    status: e.status,
    // Written out, not left to inheritance: PyIceberg 0.10's snapshot_id setter overwrites the status of an entry
    // whose snapshot_id it inherits, which then loses its sequence numbers (and its deletes).
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: e.dataFile.content,
      file_path: e.dataFile.filePath,
      file_format: e.dataFile.fileFormat,
      partition: e.dataFile.partition,
      record_count: e.dataFile.recordCount,
      file_size_in_bytes: e.dataFile.fileSizeInBytes,
      column_sizes: null,
      value_counts: mapOut(e.dataFile.valueCounts),
      null_value_counts: mapOut(e.dataFile.nullValueCounts),
      nan_value_counts: null,
      lower_bounds: mapOut(e.dataFile.lowerBounds),
      upper_bounds: mapOut(e.dataFile.upperBounds),
      key_metadata: null,
      split_offsets: null,
      equality_ids: e.dataFile.equalityIds === undefined ? null : [...e.dataFile.equalityIds],
      sort_order_id: null,
    },
  }));
  return writeContainer(manifestEntrySchema(spec, schema), records, {
    schema: JSON.stringify(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': JSON.stringify(spec.fields),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content,
  });
}

interface RawEntry {
  status: 0 | 1 | 2; snapshot_id: number | null; sequence_number: number | null; file_sequence_number: number | null;
  data_file: {
    content: FileContent; file_path: string; file_format: string; partition: Record<string, number | string | Buffer | boolean | null>;
    record_count: number; file_size_in_bytes: number; value_counts?: { key: number; value: number }[] | null; null_value_counts?: { key: number; value: number }[] | null;
    lower_bounds?: { key: number; value: Buffer }[] | null; upper_bounds?: { key: number; value: Buffer }[] | null; equality_ids?: number[] | null;
  };
}

/**
 * A manifest's entries. Sequence numbers left null by the writer (inherited) are those of the manifest
 * (`inherit`: the manifest list entry's sequence number) for added files.
 */
export function readManifest(buf: Buffer, inherit: { sequenceNumber: number; snapshotId: number }): ManifestEntry[] {
  return (readContainer(buf).records as RawEntry[]).map((r) => {
    const d = r.data_file;
    const inh = r.status === 1 || r.sequence_number === null;
    return {
      status: r.status,
      snapshotId: r.snapshot_id ?? inherit.snapshotId,
      sequenceNumber: r.sequence_number ?? (inh ? inherit.sequenceNumber : null),
      fileSequenceNumber: r.file_sequence_number ?? (inh ? inherit.sequenceNumber : null),
      dataFile: {
        content: d.content ?? 0, filePath: d.file_path, fileFormat: 'PARQUET', partition: { ...d.partition }, recordCount: d.record_count, fileSizeInBytes: d.file_size_in_bytes,
        valueCounts: mapIn(d.value_counts), nullValueCounts: mapIn(d.null_value_counts), lowerBounds: mapIn(d.lower_bounds), upperBounds: mapIn(d.upper_bounds),
        ...(d.equality_ids == null ? {} : { equalityIds: d.equality_ids }),
      },
    };
  });
}

/** A manifest list's bytes. */
export function writeManifestList(files: readonly ManifestFile[], o: { snapshotId: number; parentSnapshotId: number | null; sequenceNumber: number }): Buffer {
  const records = files.map((f) => ({
    manifest_path: f.manifestPath, manifest_length: f.manifestLength, partition_spec_id: f.partitionSpecId, content: f.content,
    sequence_number: f.sequenceNumber, min_sequence_number: f.minSequenceNumber, added_snapshot_id: f.addedSnapshotId,
    added_files_count: f.addedFilesCount, existing_files_count: f.existingFilesCount, deleted_files_count: f.deletedFilesCount,
    added_rows_count: f.addedRowsCount, existing_rows_count: f.existingRowsCount, deleted_rows_count: f.deletedRowsCount,
    partitions: null, key_metadata: null,
  }));
  return writeContainer(MANIFEST_FILE_SCHEMA, records, {
    'snapshot-id': String(o.snapshotId),
    'parent-snapshot-id': o.parentSnapshotId === null ? 'null' : String(o.parentSnapshotId),
    'sequence-number': String(o.sequenceNumber),
    'format-version': '2',
  });
}

/** A manifest list's entries (v2 field names, and v1's added_data_files_count spellings). */
export function readManifestList(buf: Buffer): ManifestFile[] {
  return (readContainer(buf).records as Record<string, unknown>[]).map((r) => {
    const n = (a: string, b?: string) => Number(r[a] ?? (b === undefined ? 0 : r[b]) ?? 0);
    return {
      manifestPath: String(r.manifest_path), manifestLength: n('manifest_length'), partitionSpecId: n('partition_spec_id'),
      content: n('content') as 0 | 1, sequenceNumber: n('sequence_number'), minSequenceNumber: n('min_sequence_number'),
      addedSnapshotId: n('added_snapshot_id'),
      addedFilesCount: n('added_files_count', 'added_data_files_count'), existingFilesCount: n('existing_files_count', 'existing_data_files_count'),
      deletedFilesCount: n('deleted_files_count', 'deleted_data_files_count'),
      addedRowsCount: n('added_rows_count'), existingRowsCount: n('existing_rows_count'), deletedRowsCount: n('deleted_rows_count'),
    };
  });
}
