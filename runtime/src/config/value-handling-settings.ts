/**
 * Debezium's value-handling options as task settings (settings.decimalHandlingMode for decimal.handling.mode, …),
 * declared once here and spread into settingsSchema (settings-schema.ts). Each is optional: absent means the
 * source's default, Debezium's for that connector (core/src/value-handling.ts resolves them; the sources apply them,
 * docs/sources/mysql.md and docs/sources/postgres.md show the representations). tombstonesOnDelete is declared in
 * settings-schema.ts; includeSchemaChanges here, with the mysql/mariadb source option of the same name as its alias.
 */
import { z } from 'zod';
import {
  BIGINT_UNSIGNED_HANDLING_MODES, BINARY_HANDLING_MODES, DECIMAL_HANDLING_MODES, HSTORE_HANDLING_MODES, INTERVAL_HANDLING_MODES, TIME_PRECISION_MODES,
} from '../../../core/src/value-handling.ts';

const regex = z.string().min(1).refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'not a valid regular expression');

export const valueHandlingShape = {
  decimalHandlingMode: z.enum(DECIMAL_HANDLING_MODES).optional().meta({ description: "Debezium's decimal.handling.mode: how DECIMAL/NUMERIC (and PostgreSQL money) values travel. precise (default): Connect Decimal (PostgreSQL numeric without precision: io.debezium.data.VariableScaleDecimal), exact; a PostgreSQL NaN or ±Infinity stops the task, as Debezium fails on it. double: float64 (digits beyond a double's are lost; NaN and ±Infinity carried). string: the exact decimal text, PostgreSQL's NaN, Infinity and -Infinity as those strings. See the type tables of docs/sources/*.md." }),
  timePrecisionMode: z.enum(TIME_PRECISION_MODES).optional().meta({ description: "Debezium's time.precision.mode. adaptive: each column's precision picks io.debezium.time.Date / Time (ms) or MicroTime / Timestamp (ms) or MicroTimestamp. adaptive_time_microseconds: the same, but TIME is always io.debezium.time.MicroTime. connect: Kafka Connect's Date, Time and Timestamp (milliseconds: microseconds are cut). Default: adaptive_time_microseconds for mysql/mariadb (which refuse adaptive, as Debezium's MySQL connector does), adaptive for postgres (Debezium's). Zoned types (TIMESTAMP, timestamptz, timetz) are ISO strings in every mode." }),
  binaryHandlingMode: z.enum(BINARY_HANDLING_MODES).optional().meta({ description: "Debezium's binary.handling.mode for BINARY/VARBINARY/BLOB and bytea: bytes (default), or a string holding base64, base64-url-safe (URL alphabet, padded) or hex (lower case) text. The text modes are for Kafka consumers: database targets (postgres, mysql, redshift) refuse them, as they would write the text into binary columns." }),
  bigintUnsignedHandlingMode: z.enum(BIGINT_UNSIGNED_HANDLING_MODES).optional().meta({ description: "mysql/mariadb: Debezium's bigint.unsigned.handling.mode for BIGINT UNSIGNED. precise (Ferry's default, exact): Connect Decimal(20,0); long: int64, where values above 9223372036854775807 wrap to negative as in Debezium (Debezium's default; database targets refuse it)." }),
  intervalHandlingMode: z.enum(INTERVAL_HANDLING_MODES).optional().meta({ description: "postgres: Debezium's interval.handling.mode. numeric (default): io.debezium.time.MicroDuration, µs with a month counted as 365.25/12 days; string: io.debezium.time.Interval, the ISO 8601 text (P1Y2M3DT4H5M6.78S), exact for months and years." }),
  hstoreHandlingMode: z.enum(HSTORE_HANDLING_MODES).optional().meta({ description: "postgres: Debezium's hstore.handling.mode. json (default): io.debezium.data.Json text ({\"key\":\"value\"}); map: a Connect map of optional strings (Avro map), for Kafka consumers: targets other than kafka and kinesis refuse it." }),
  includeSchemaChanges: z.boolean().optional().meta({ description: "mysql/mariadb: Debezium's include.schema.changes. true (default, as Debezium): each DDL statement that changes captured tables is also written, once per database it changes, to the schema-change topic named by kafka.topicPrefix (docs/event-format.md §1); false: not written. source.includeSchemaChanges is its older alias. PostgreSQL's log has no DDL (Debezium's PostgreSQL connector has no such option either): refused with a postgres source." }),
  columnPropagateSourceType: z.array(regex).optional().meta({ description: "Debezium's column.propagate.source.type: regular expressions matched against whole column names <database or schema>.<table>.<column>; a matching column's field schema gets the parameters __debezium.source.column.type (the type name in upper case), __debezium.source.column.length and __debezium.source.column.scale (when the type has them), and __debezium.source.column.name.", examples: [['shop\\.orders\\..*', '.*\\.price']] }),
};
