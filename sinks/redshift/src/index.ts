/** The Redshift sink (task targets of type `redshift`): S3 staging, COPY, and MERGE (or DELETE + INSERT) per batch. */
export { RedshiftSink, type RedshiftSinkOptions } from './RedshiftSink.ts';
export { redshiftSchema, type RedshiftConfig, type RedshiftConfigInput } from './config.ts';
export { PgSqlExecutor, classifySqlError, type SqlExecutor, type SqlResult, type PgConnectionOptions } from './sql-executor.ts';
export * as redshiftSql from './redshift-dialect.ts';
