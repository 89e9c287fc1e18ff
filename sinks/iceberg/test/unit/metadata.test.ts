// The Iceberg sink's metadata pieces without services: applying REST-style commits to table metadata (requirements
// checked, updates applied), manifests and manifest lists written and read back with the spec's field ids, and
// schema evolution by field id (rename, promotion, drop, add, an incompatible change).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkColumn, SinkTable } from '../../../../core/src/record-sink.ts';
import { CommitConflictError } from '../../src/catalog/catalog.ts';
import { applyUpdates, checkRequirements } from '../../src/metadata/apply-updates.ts';
import { readContainer } from '../../src/metadata/avro-container.ts';
import { readManifest, readManifestList, writeManifest, writeManifestList, type ManifestEntry } from '../../src/metadata/manifests.ts';
import type { IcebergSchema, TableMetadataV2 } from '../../src/metadata/table-metadata.ts';
import { planSchema } from '../../src/schema-mapping.ts';
import { bucketOf, icebergHash } from '../../src/writer/bucket.ts';

const schema0: IcebergSchema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'n', required: false, type: 'int' }], 'identifier-field-ids': [1] };
const base: TableMetadataV2 = {
  'format-version': 2, 'table-uuid': '00000000-0000-4000-8000-000000000001', location: '/w/t', 'last-sequence-number': 0, 'last-updated-ms': 1, 'last-column-id': 2,
  schemas: [schema0], 'current-schema-id': 0, 'partition-specs': [{ 'spec-id': 0, fields: [] }], 'default-spec-id': 0, 'last-partition-id': 999,
  'sort-orders': [{ 'order-id': 0, fields: [] }], 'default-sort-order-id': 0, snapshots: [], refs: {}, 'current-snapshot-id': null,
};
const snapshot = (id: number, seq: number) => ({ 'snapshot-id': id, 'sequence-number': seq, 'timestamp-ms': 5, 'manifest-list': `/w/t/metadata/snap-${id}.avro`, summary: { operation: 'append' as const, 'ferry.positions': '{}' } });

test('applyUpdates: a schema added and made current (-1), a snapshot added and made main, properties; base untouched', () => {
  const s1: IcebergSchema = { ...schema0, 'schema-id': 1, fields: [...schema0.fields, { id: 3, name: 'added', required: false, type: 'string' }] };
  const m = applyUpdates(base, [
    { action: 'add-schema', schema: s1, 'last-column-id': 3 }, { action: 'set-current-schema', 'schema-id': -1 },
    { action: 'add-snapshot', snapshot: snapshot(11, 1) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 11 },
    { action: 'set-properties', updates: { a: '1', b: '2' } }, { action: 'remove-properties', removals: ['a'] },
  ], 99);
  assert.equal(m['current-schema-id'], 1);
  assert.equal(m['last-column-id'], 3);
  assert.equal(m['current-snapshot-id'], 11);
  assert.equal(m['last-sequence-number'], 1);
  assert.deepEqual(m.refs, { main: { 'snapshot-id': 11, type: 'branch' } });
  assert.deepEqual(m['snapshot-log'], [{ 'timestamp-ms': 5, 'snapshot-id': 11 }]);
  assert.deepEqual(m.properties, { b: '2' });
  assert.equal(m['last-updated-ms'], 99);
  assert.equal(base.schemas.length, 1, 'the base is not changed');
  // A schema id already taken is reassigned.
  const m2 = applyUpdates(m, [{ action: 'add-schema', schema: { ...s1, 'schema-id': 0 } }, { action: 'set-current-schema', 'schema-id': -1 }]);
  assert.equal(m2['current-schema-id'], 2);
  // Removing the current snapshot clears main.
  const m3 = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [11] }]);
  assert.equal(m3['current-snapshot-id'], null);
  assert.deepEqual(m3.refs, {});
  assert.throws(() => applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(12, 1) }]), CommitConflictError, 'a sequence number not above the last');
});

test('checkRequirements: the table uuid, the main ref, schema and field ids; assert-create', () => {
  const m = applyUpdates(base, [{ action: 'add-snapshot', snapshot: snapshot(11, 1) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 11 }]);
  checkRequirements(m, [{ type: 'assert-table-uuid', uuid: base['table-uuid'] }, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 11 }, { type: 'assert-current-schema-id', 'current-schema-id': 0 }]);
  checkRequirements(base, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }]);
  assert.throws(() => checkRequirements(m, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }]), /ref main is 11, the commit expects null/);
  assert.throws(() => checkRequirements(m, [{ type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 5 }]), CommitConflictError);
  assert.throws(() => checkRequirements(m, [{ type: 'assert-create' }]), /already exists/);
  checkRequirements(undefined, [{ type: 'assert-create' }]);
});

test('manifests: entries with stats, partition values and equality ids read back; the header carries the spec’s field ids', () => {
  const spec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'n', transform: 'identity' }] };
  const entries: ManifestEntry[] = [
    { status: 1, snapshotId: 7, sequenceNumber: 3, fileSequenceNumber: 3, dataFile: {
      content: 0, filePath: 's3://b/t/data/a.parquet', fileFormat: 'PARQUET', partition: { n: 5 }, recordCount: 10, fileSizeInBytes: 1234,
      valueCounts: new Map([[1, 10], [2, 10]]), nullValueCounts: new Map([[1, 0], [2, 3]]), lowerBounds: new Map([[1, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])]]), upperBounds: new Map([[1, Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])]]),
    } },
    { status: 1, snapshotId: 7, sequenceNumber: 3, fileSequenceNumber: 3, dataFile: { content: 2, filePath: 's3://b/t/data/d.parquet', fileFormat: 'PARQUET', partition: { n: null }, recordCount: 2, fileSizeInBytes: 99, equalityIds: [1] } },
  ];
  const buf = writeManifest(entries, spec, schema0, 'data');
  const back = readManifest(buf, { sequenceNumber: 3, snapshotId: 7 });
  assert.deepEqual(back[0], { ...entries[0], dataFile: { ...entries[0]!.dataFile } });
  assert.deepEqual(back[1]!.dataFile.equalityIds, [1]);
  assert.equal(back[1]!.dataFile.partition.n, null);
  const c = readContainer(buf);
  assert.equal(c.metadata['format-version'], '2');
  assert.equal(c.metadata['partition-spec-id'], '0');
  assert.deepEqual(JSON.parse(c.metadata.schema!), schema0);
  const text = JSON.stringify(c.schema);
  for (const id of [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 109, 110, 125, 128, 134, 135, 1000]) assert.ok(text.includes(`"field-id":${id}`), `field-id ${id}`);
  assert.match(text, /"logicalType":"map","items":\{"type":"record","name":"k126_v127"/);

  const list = writeManifestList([{ manifestPath: '/m.avro', manifestLength: buf.length, partitionSpecId: 0, content: 0, sequenceNumber: 3, minSequenceNumber: 3, addedSnapshotId: 7,
    addedFilesCount: 2, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 12, existingRowsCount: 0, deletedRowsCount: 0 }], { snapshotId: 7, parentSnapshotId: null, sequenceNumber: 3 });
  assert.deepEqual(readManifestList(list)[0], { manifestPath: '/m.avro', manifestLength: buf.length, partitionSpecId: 0, content: 0, sequenceNumber: 3, minSequenceNumber: 3, addedSnapshotId: 7,
    addedFilesCount: 2, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 12, existingRowsCount: 0, deletedRowsCount: 0 });
  assert.equal(readContainer(list).metadata['parent-snapshot-id'], 'null');
});

const col = (name: string, connect: SinkColumn['type']['connect'], renamedFrom?: string[]): SinkColumn => ({ name, type: { connect }, optional: name !== 'id', ...(renamedFrom ? { renamedFrom } : {}) });
const sinkTable = (columns: SinkColumn[]): SinkTable => ({ topic: 't', schema: 's', table: 't', columns, primaryKey: ['id'], version: 'v', valueSchema: {} as never, keySchema: null });
const O = { mode: 'upsert' as const, opColumn: 'Op', timestampColumn: '_commit_ts' };

test('planSchema: field ids kept by name and through a rename; int→long promoted; a dropped id retired; an incompatible type gets a new id', () => {
  const v1 = planSchema(sinkTable([col('id', 'int64'), col('n', 'int32'), col('x', 'string'), col('gone', 'string')]), undefined, O);
  assert.deepEqual(v1.schema.fields.map((f) => `${f.id}:${f.name}:${String(f.type)}:${f.required}`), ['1:id:long:true', '2:n:int:false', '3:x:string:false', '4:gone:string:false']);
  assert.deepEqual(v1.schema['identifier-field-ids'], [1]);
  const cur = { schema: v1.schema, lastColumnId: v1.lastColumnId };
  assert.equal(planSchema(sinkTable([col('id', 'int64'), col('n', 'int32'), col('x', 'string'), col('gone', 'string')]), cur, O).changed, false, 'the same columns: no new schema');
  const v2 = planSchema(sinkTable([col('id', 'int64'), col('n', 'int64'), col('y', 'string', ['x']), col('added', 'string')]), cur, O);
  assert.ok(v2.changed);
  assert.deepEqual(v2.schema.fields.map((f) => `${f.id}:${f.name}:${String(f.type)}`), ['1:id:long', '2:n:long', '3:y:string', '5:added:string']);
  assert.equal(v2.lastColumnId, 5);
  const v3 = planSchema(sinkTable([col('id', 'int64'), col('n', 'string'), col('y', 'string')]), { schema: v2.schema, lastColumnId: 5 }, O);
  assert.deepEqual(v3.schema.fields.map((f) => `${f.id}:${f.name}:${String(f.type)}`), ['1:id:long', '6:n:string', '3:y:string'], 'long → string is no promotion: a new column');
  const narrower = planSchema(sinkTable([col('id', 'int32'), col('n', 'int32'), col('y', 'string')]), { schema: v2.schema, lastColumnId: 5 }, O);
  assert.deepEqual(narrower.schema.fields.map((f) => `${f.id}:${String(f.type)}`), ['1:long', '2:long', '3:string'], 'a narrower source type keeps the wider column');
});

test('bucket transform: the table spec’s Murmur3 test vectors (int, long, string, date, binary), and null stays null', () => {
  assert.equal(icebergHash('int', 34), 2017239379);
  assert.equal(icebergHash('long', 34n), 2017239379);
  assert.equal(icebergHash('string', 'iceberg'), 1210000089);
  assert.equal(icebergHash('date', 17486), -653330422); // 2017-11-16
  assert.equal(icebergHash('binary', Buffer.from([0, 1, 2, 3])), -188683207);
  assert.equal(bucketOf('int', 16, 34), 2017239379 % 16);
  assert.equal(bucketOf('string', 4, null), null);
});
