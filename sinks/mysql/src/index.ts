/** The MySQL/MariaDB sink (task targets of type `mysql`). */
export { MySqlSink, type MySqlSinkOptions } from './MySqlSink.ts';
export { mysqlConnection } from './connection.ts';
export { mysqlSinkSchema, type MySqlSinkConfig, type MySqlSinkConfigInput } from './config.ts';
export { mysqlType, mysqlColumns, normalizeType, typeChange, holds, serverInfo, type ServerInfo } from './mysql-types.ts';
export { mysqlEncoder, zonedToUtc, type TargetColumn } from './mysql-values.ts';
export * as mysqlSql from './mysql-sql.ts';
