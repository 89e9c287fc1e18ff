export { IcebergSink, tableIdentifier, type IcebergSinkOptions } from './IcebergSink.ts';
export { icebergSink } from './descriptor.ts';
export { icebergSchema, parseIcebergConfig, type IcebergConfig, type IcebergConfigInput } from './config.ts';
export { SqlCatalog, openSqlDriver, type SqlDriver } from './catalog/sql-catalog.ts';
export { FileIO } from './io.ts';
export { applyUpdates, checkRequirements } from './metadata/apply-updates.ts';
