/** The data-lake sink (task targets `parquet` and `csv`): change events as Parquet or CSV files on S3 or a local directory. */
export { S3LakeSink, lakeColumns, positionFromSource, LAKE_SOURCE_FIELDS, type S3LakeSinkOptions } from './S3LakeSink.ts';
export { lakeSchema, parseLakeConfig, type LakeConfig, type LakeConfigInput } from './config.ts';
export { openObjectStore, parseLocation, LocalObjectStore, S3ObjectStore, type ObjectStore, type S3Options } from '../../../runtime/src/storage/object-store.ts';
export { DuckFileWriter, quoteIdent, type FileColumn, type FileFormat, type CsvFormat, type ParquetFormat } from '../../../runtime/src/columnar/DuckFileWriter.ts';
export { codecOf, columnCodec, zonedToMicros, microsToIso, ValueRejected, type ColumnCodec } from '../../../runtime/src/columnar/column-types.ts';
export { partitioner, fileKey, escapePathPart, HIVE_DEFAULT_PARTITION } from './layout.ts';
