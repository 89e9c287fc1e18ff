/**
 * A table with every type Ferry maps, rows at the extremes, and the exact wire values Debezium gives for them,
 * written out from the SQL literals (never read back through the driver).
 */
import { decimalToBytes } from '../../src/value-conversion.ts';

export const ALL_TYPES_DDL = `CREATE TABLE all_types (
  id INT PRIMARY KEY,
  c_tinyint TINYINT, c_tinyint_u TINYINT UNSIGNED, c_bool BOOLEAN,
  c_smallint SMALLINT, c_smallint_u SMALLINT UNSIGNED, c_mediumint MEDIUMINT, c_mediumint_u MEDIUMINT UNSIGNED,
  c_int INT, c_int_u INT UNSIGNED, c_bigint BIGINT, c_bigint_u BIGINT UNSIGNED,
  c_decimal DECIMAL(65,30), c_dec2 DECIMAL(10,2), c_float FLOAT, c_double DOUBLE,
  c_bit1 BIT(1), c_bit10 BIT(10), c_bit64 BIT(64),
  c_char CHAR(5), c_varchar VARCHAR(100), c_text TEXT, c_longtext LONGTEXT,
  c_binary BINARY(4), c_varbinary VARBINARY(10), c_blob BLOB,
  c_date DATE, c_datetime DATETIME, c_datetime3 DATETIME(3), c_datetime6 DATETIME(6),
  c_timestamp TIMESTAMP NULL, c_timestamp6 TIMESTAMP(6) NULL, c_time TIME, c_time6 TIME(6), c_year YEAR,
  c_enum ENUM('a','b,c','d''e'), c_set SET('x','y','z'), c_json JSON, c_uuid UUID, c_inet6 INET6,
  c_point POINT, c_geom GEOMETRY
) CHARACTER SET utf8mb4`;

const LONG = 'ü'.repeat(70000);
const JSON_DOC = '{"a": 12345678901234567890, "b": [1, "😀"], "c": "d\\"e"}';

/** SQL VALUES tuples; row 3 is all NULL. `k` shifts the primary key (to insert the same rows again while streaming). */
export function allTypesValues(k = 0): string {
  return [
    `(${1 + k}, 127, 255, 1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
      '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99, 3.1415927, 1.7976931348623157e308,
      b'1', b'1000000001', b'1000000000000000000000000000000000000000000000000000000000000001',
      'abc', '😀 𝄞 ü', 'line1\\nline2', '${LONG}', X'0102', X'00FF00', X'DEADBEEF',
      '9999-12-31', '9999-12-31 23:59:59', '2024-02-29 23:59:59.123', '2024-02-29 23:59:59.123456',
      '2038-01-19 03:14:07', '2024-01-01 00:00:00.123456', '838:59:59', '-838:59:59.000000', 2155,
      'd''e', 'x,z', '${JSON_DOC.replace(/\\/g, '\\\\')}', '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1',
      ST_PointFromText('POINT(1.5 -2.5)'), ST_GeomFromText('LINESTRING(0 0,1 1)', 4326))`,
    `(${2 + k}, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
      '-99999999999999999999999999999999999.999999999999999999999999999999', -0.01, -1.5, 5e-324,
      b'0', b'0', b'0', '', '', '', '', X'', X'', X'',
      '1000-01-01', '1000-01-01 00:00:00', '1969-12-31 23:59:59.999', '1000-01-01 00:00:00.000000',
      '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', '00:00:00', '-00:00:00.000001', 1901,
      'a', '', '[]', '00000000-0000-0000-0000-000000000000', '::', ST_PointFromText('POINT(0 0)'), NULL)`,
    `(${3 + k}, ${Array(41).fill('NULL').join(', ')})`,
  ].join(',\n');
}

function wkbPoint(x: number, y: number): Buffer {
  const b = Buffer.alloc(21);
  b[0] = 1;
  b.writeUInt32LE(1, 1);
  b.writeDoubleLE(x, 5);
  b.writeDoubleLE(y, 13);
  return b;
}

function wkbLine(points: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(9 + 16 * points.length);
  b[0] = 1;
  b.writeUInt32LE(2, 1);
  b.writeUInt32LE(points.length, 5);
  points.forEach(([x, y], i) => { b.writeDoubleLE(x, 9 + 16 * i); b.writeDoubleLE(y, 17 + 16 * i); });
  return b;
}

const hex = (h: string) => Buffer.from(h, 'hex');
const NINES = '99999999999999999999999999999999999.999999999999999999999999999999';

/** The `after` image Debezium gives for each row of allTypesValues(k). */
export function allTypesExpected(k = 0): Array<Record<string, unknown>> {
  const nulls: Record<string, unknown> = {};
  for (const c of COLUMNS) nulls[c] = null;
  return [
    {
      id: 1 + k, c_tinyint: 127, c_tinyint_u: 255, c_bool: 1, c_smallint: 32767, c_smallint_u: 65535, c_mediumint: 8388607, c_mediumint_u: 16777215,
      c_int: 2147483647, c_int_u: 4294967295, c_bigint: 9223372036854775807n, c_bigint_u: hex('00ffffffffffffffff'),
      c_decimal: decimalToBytes(NINES, 30), c_dec2: hex('02540be3ff'), c_float: Math.fround(3.1415927), c_double: 1.7976931348623157e308,
      c_bit1: true, c_bit10: hex('0102'), c_bit64: hex('0100000000000080'),
      c_char: 'abc', c_varchar: '😀 𝄞 ü', c_text: 'line1\nline2', c_longtext: LONG, c_binary: hex('01020000'), c_varbinary: hex('00ff00'), c_blob: hex('deadbeef'),
      c_date: 2932896, c_datetime: 253402300799000, c_datetime3: 1709251199123, c_datetime6: 1709251199123456,
      c_timestamp: '2038-01-19T03:14:07Z', c_timestamp6: '2024-01-01T00:00:00.123456Z', c_time: 3020399000000, c_time6: -3020399000000, c_year: 2155,
      c_enum: "d'e", c_set: 'x,z', c_json: JSON_DOC, c_uuid: '123e4567-e89b-12d3-a456-426614174000', c_inet6: '2001:db8::1',
      c_point: { x: 1.5, y: -2.5, wkb: wkbPoint(1.5, -2.5), srid: 0 }, c_geom: { wkb: wkbLine([[0, 0], [1, 1]]), srid: 4326 },
    },
    {
      id: 2 + k, c_tinyint: -128, c_tinyint_u: 0, c_bool: 0, c_smallint: -32768, c_smallint_u: 0, c_mediumint: -8388608, c_mediumint_u: 0,
      c_int: -2147483648, c_int_u: 0, c_bigint: -9223372036854775808n, c_bigint_u: hex('00'),
      c_decimal: decimalToBytes(`-${NINES}`, 30), c_dec2: hex('ff'), c_float: -1.5, c_double: 5e-324,
      c_bit1: false, c_bit10: hex('0000'), c_bit64: hex('0000000000000000'),
      c_char: '', c_varchar: '', c_text: '', c_longtext: '', c_binary: hex('00000000'), c_varbinary: hex(''), c_blob: hex(''),
      c_date: -354285, c_datetime: -30610224000000, c_datetime3: -1, c_datetime6: -30610224000000000n,
      c_timestamp: '1970-01-01T00:00:01Z', c_timestamp6: '1970-01-01T00:00:01.000001Z', c_time: 0, c_time6: -1, c_year: 1901,
      c_enum: 'a', c_set: '', c_json: '[]', c_uuid: '00000000-0000-0000-0000-000000000000', c_inet6: '::',
      c_point: { x: 0, y: 0, wkb: wkbPoint(0, 0), srid: 0 }, c_geom: null,
    },
    { ...nulls, id: 3 + k },
  ];
}

export const COLUMNS = ['id', 'c_tinyint', 'c_tinyint_u', 'c_bool', 'c_smallint', 'c_smallint_u', 'c_mediumint', 'c_mediumint_u', 'c_int', 'c_int_u', 'c_bigint', 'c_bigint_u',
  'c_decimal', 'c_dec2', 'c_float', 'c_double', 'c_bit1', 'c_bit10', 'c_bit64', 'c_char', 'c_varchar', 'c_text', 'c_longtext', 'c_binary', 'c_varbinary', 'c_blob',
  'c_date', 'c_datetime', 'c_datetime3', 'c_datetime6', 'c_timestamp', 'c_timestamp6', 'c_time', 'c_time6', 'c_year', 'c_enum', 'c_set', 'c_json', 'c_uuid', 'c_inet6', 'c_point', 'c_geom'];

export const ZERO_DATES_DDL = `CREATE TABLE zero_dates (id INT PRIMARY KEY, d DATE NOT NULL, dt DATETIME(6) NOT NULL,
  ts TIMESTAMP NOT NULL DEFAULT '0000-00-00 00:00:00', dn DATE NULL, dtn DATETIME NULL)`;
export const ZERO_DATES_INSERT = "INSERT INTO zero_dates VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00', '2020-00-10 00:00:00')";
export const ZERO_DATES_EXPECTED = { id: 1, d: 0, dt: 0, ts: '1970-01-01T00:00:00Z', dn: null, dtn: null };
