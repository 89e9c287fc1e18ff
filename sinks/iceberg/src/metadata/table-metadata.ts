/**
 * Apache Iceberg table metadata (format version 2), as the table spec and the REST catalog's OpenAPI define it:
 * https://iceberg.apache.org/spec/#table-metadata-fields. These are the JSON shapes written to `metadata/*.json`
 * and exchanged with a REST catalog, kebab-case keys as on the wire. Plain data: no behaviour here.
 */

export type PrimitiveType =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'time' | 'timestamp' | 'timestamptz'
  | 'string' | 'uuid' | 'binary' | `decimal(${number}, ${number})` | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: PrimitiveType | StructType | ListType | MapType;
  doc?: string;
}

export interface StructType { type: 'struct'; fields: NestedField[] }
export interface ListType { type: 'list'; 'element-id': number; element: NestedField['type']; 'element-required': boolean }
export interface MapType {
  type: 'map'; 'key-id': number; key: NestedField['type']; 'value-id': number; value: NestedField['type']; 'value-required': boolean;
}

export interface IcebergSchema extends StructType {
  'schema-id': number;
  /** Field ids of the row identifier (the primary key): what equality deletes match on in upsert mode. */
  'identifier-field-ids'?: number[];
}

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  /** identity | year | month | day | hour | bucket[N] | truncate[W] | void */
  transform: string;
}

export interface PartitionSpec { 'spec-id': number; fields: PartitionField[] }

export interface SortField { transform: string; 'source-id': number; direction: 'asc' | 'desc'; 'null-order': 'nulls-first' | 'nulls-last' }
export interface SortOrder { 'order-id': number; fields: SortField[] }

export interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  /** `operation` (append | replace | overwrite | delete) plus string properties: Ferry records its source position here. */
  summary: { operation: 'append' | 'replace' | 'overwrite' | 'delete' } & Record<string, string>;
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': number;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface TableMetadataV2 {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: IcebergSchema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties?: Record<string, string>;
  'current-snapshot-id'?: number | null;
  snapshots?: Snapshot[];
  'snapshot-log'?: { 'timestamp-ms': number; 'snapshot-id': number }[];
  'metadata-log'?: { 'timestamp-ms': number; 'metadata-file': string }[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs?: Record<string, SnapshotRef>;
  statistics?: unknown[];
}

/**
 * A change to table metadata, as the REST catalog's CommitTableRequest carries it (OpenAPI `TableUpdate`).
 * Only the actions Ferry sends are listed.
 */
export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': number }
  | { action: 'add-schema'; schema: IcebergSchema; 'last-column-id'?: number }
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': SortOrder }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | { action: 'set-snapshot-ref'; 'ref-name': string; type: 'branch' | 'tag'; 'snapshot-id': number }
  | { action: 'remove-snapshots'; 'snapshot-ids': number[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] };

/**
 * A condition the catalog checks before it applies a commit (OpenAPI `TableRequirement`): the optimistic
 * concurrency of Iceberg. A commit whose requirements fail is refused (HTTP 409 in REST) and is retried on fresh metadata.
 */
export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': number | null }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };
