/** The PostgreSQL sink (task targets of type `postgres`). */
export { PostgresSink, pgConnection, type PostgresSinkOptions } from './PostgresSink.ts';
export { postgresSinkSchema, type PostgresSinkConfig, type PostgresSinkConfigInput } from './config.ts';
export { pgType, pgColumns, typeChange, holds } from './pg-types.ts';
export * as postgresSql from './pg-sql.ts';
