/** Shared test fixtures: a MySQL table with every kind of column, as the MySQL connector describes it. */
import type { Column, FieldType, TableSchema } from '../../../core/src/types.ts';

const DEC = 'org.apache.kafka.connect.data.Decimal';
const col = (name: string, type: FieldType, nullable: boolean, sourceType: string, defaultValue?: unknown): Column =>
  defaultValue === undefined ? { name, type, nullable, sourceType } : { name, type, nullable, sourceType, defaultValue };

/** inventory.all_types: one column per Debezium MySQL mapping (time.precision.mode=adaptive_time_microseconds, bigint.unsigned.handling.mode=precise). */
export const MYSQL_ALL_TYPES: TableSchema = {
  id: { schema: 'inventory', table: 'all_types' },
  version: 1,
  primaryKey: ['id', 'code'],
  columns: [
    col('id', { type: 'int32' }, false, 'int'),
    col('code', { type: 'string' }, false, 'varchar(10)'),
    col('tiny', { type: 'int16' }, true, 'tinyint'),
    col('flag', { type: 'boolean' }, false, 'bit(1)', false),
    col('qty', { type: 'int64' }, false, 'int unsigned', 0),
    col('big', { type: 'int64' }, true, 'bigint'),
    col('ubig', { type: 'bytes', logical: DEC, version: 1, params: { scale: '0', 'connect.decimal.precision': '20' } }, true, 'bigint unsigned'),
    col('price', { type: 'bytes', logical: DEC, version: 1, params: { scale: '2', 'connect.decimal.precision': '10' } }, false, 'decimal(10,2)', Buffer.from([0])),
    col('ratio', { type: 'float32' }, true, 'float'),
    col('score', { type: 'float64' }, true, 'double'),
    col('bits', { type: 'bytes', logical: 'io.debezium.data.Bits', version: 1, params: { length: '10' } }, true, 'bit(10)'),
    col('name', { type: 'string' }, false, 'varchar(255)', 'n/a'),
    col('notes', { type: 'string' }, true, 'text'),
    col('blob', { type: 'bytes' }, true, 'blob'),
    col('born', { type: 'int32', logical: 'io.debezium.time.Date', version: 1 }, true, 'date'),
    col('alarm', { type: 'int64', logical: 'io.debezium.time.MicroTime', version: 1 }, true, 'time(3)'),
    col('created', { type: 'int64', logical: 'io.debezium.time.Timestamp', version: 1 }, false, 'datetime'),
    col('updated', { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', version: 1 }, true, 'datetime(6)'),
    col('seen', { type: 'string', logical: 'io.debezium.time.ZonedTimestamp', version: 1 }, false, 'timestamp', '1970-01-01T00:00:00Z'),
    col('yr', { type: 'int32', logical: 'io.debezium.time.Year', version: 1 }, true, 'year'),
    col('color', { type: 'string', logical: 'io.debezium.data.Enum', version: 1, params: { allowed: 'red,green' } }, true, "enum('red','green')"),
    col('tags', { type: 'string', logical: 'io.debezium.data.EnumSet', version: 1, params: { allowed: 'a,b,c' } }, true, "set('a','b','c')"),
    col('doc', { type: 'string', logical: 'io.debezium.data.Json', version: 1 }, true, 'json'),
    col('shape', { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry', version: 2 }, true, 'geometry'),
    col('loc', { type: 'bytes', logical: 'io.debezium.data.geometry.Point', version: 1 }, true, 'point'),
    col('area', { type: 'bytes', logical: 'io.debezium.data.geometry.Geometry', version: 2 }, false, 'polygon'),
    col('my-col', { type: 'string' }, true, 'varchar(20)'),
    col('2nd', { type: 'int32' }, true, 'int'),
  ],
};
