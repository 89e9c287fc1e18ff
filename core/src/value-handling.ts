/**
 * Debezium's value-handling modes (decimal.handling.mode, time.precision.mode, binary.handling.mode,
 * bigint.unsigned.handling.mode, interval.handling.mode, hstore.handling.mode, column.propagate.source.type), as
 * the task's settings give them (runtime/src/config/value-handling-settings.ts declares them) and as the sources
 * apply them. A mode left out takes the source's default, which is Debezium's for that connector (they differ:
 * time.precision.mode is adaptive_time_microseconds for MySQL/MariaDB, adaptive for PostgreSQL), except
 * bigint.unsigned.handling.mode, whose default stays precise (see BIGINT_UNSIGNED_DEFAULT).
 */

export const DECIMAL_HANDLING_MODES = ['precise', 'double', 'string'] as const;
export const TIME_PRECISION_MODES = ['adaptive', 'adaptive_time_microseconds', 'connect'] as const;
export const BINARY_HANDLING_MODES = ['bytes', 'base64', 'base64-url-safe', 'hex'] as const;
export const BIGINT_UNSIGNED_HANDLING_MODES = ['long', 'precise'] as const;
export const INTERVAL_HANDLING_MODES = ['numeric', 'string'] as const;
export const HSTORE_HANDLING_MODES = ['json', 'map'] as const;

export type DecimalHandlingMode = typeof DECIMAL_HANDLING_MODES[number];
export type TimePrecisionMode = typeof TIME_PRECISION_MODES[number];
export type BinaryHandlingMode = typeof BINARY_HANDLING_MODES[number];
export type BigintUnsignedHandlingMode = typeof BIGINT_UNSIGNED_HANDLING_MODES[number];
export type IntervalHandlingMode = typeof INTERVAL_HANDLING_MODES[number];
export type HstoreHandlingMode = typeof HSTORE_HANDLING_MODES[number];

/** The modes as the settings block gives them (each optional: absent = the source's default). */
export interface ValueHandlingSettings {
  readonly decimalHandlingMode?: DecimalHandlingMode | undefined;
  readonly timePrecisionMode?: TimePrecisionMode | undefined;
  readonly binaryHandlingMode?: BinaryHandlingMode | undefined;
  readonly bigintUnsignedHandlingMode?: BigintUnsignedHandlingMode | undefined;
  readonly intervalHandlingMode?: IntervalHandlingMode | undefined;
  readonly hstoreHandlingMode?: HstoreHandlingMode | undefined;
  readonly columnPropagateSourceType?: readonly string[] | undefined;
}

/** The modes in effect for one source, every one resolved. */
export interface ValueHandling {
  readonly decimal: DecimalHandlingMode;
  readonly time: TimePrecisionMode;
  readonly binary: BinaryHandlingMode;
  readonly bigintUnsigned: BigintUnsignedHandlingMode;
  readonly interval: IntervalHandlingMode;
  readonly hstore: HstoreHandlingMode;
  /** column.propagate.source.type: regular expressions over `<db-or-schema>.<table>.<column>` (whole-name match). */
  readonly propagateSourceType: readonly string[];
}

export type ValueHandlingConnector = 'mysql' | 'postgresql';

/**
 * Ferry keeps bigint.unsigned.handling.mode=precise as its default (Debezium's is long): long carries values above
 * 9223372036854775807 as their two's complement (negative), which a database target would store as such.
 */
export const BIGINT_UNSIGNED_DEFAULT: BigintUnsignedHandlingMode = 'precise';

/** Each connector's defaults (Debezium's, but for bigint.unsigned.handling.mode). */
export function defaultValueHandling(connector: ValueHandlingConnector): ValueHandling {
  return {
    decimal: 'precise',
    time: connector === 'mysql' ? 'adaptive_time_microseconds' : 'adaptive',
    binary: 'bytes',
    bigintUnsigned: BIGINT_UNSIGNED_DEFAULT,
    interval: 'numeric',
    hstore: 'json',
    propagateSourceType: [],
  };
}

/** The modes in effect: the settings' where given, else the connector's defaults. */
export function resolveValueHandling(connector: ValueHandlingConnector, s: ValueHandlingSettings = {}): ValueHandling {
  const d = defaultValueHandling(connector);
  return {
    decimal: s.decimalHandlingMode ?? d.decimal,
    time: s.timePrecisionMode ?? d.time,
    binary: s.binaryHandlingMode ?? d.binary,
    bigintUnsigned: s.bigintUnsignedHandlingMode ?? d.bigintUnsigned,
    interval: s.intervalHandlingMode ?? d.interval,
    hstore: s.hstoreHandlingMode ?? d.hstore,
    propagateSourceType: s.columnPropagateSourceType ?? d.propagateSourceType,
  };
}

/** Bytes as text under binary.handling.mode base64 / base64-url-safe / hex (Debezium: java.util.Base64, padded; hex lower case). */
export function binaryToText(mode: Exclude<BinaryHandlingMode, 'bytes'>): (b: Buffer) => string {
  if (mode === 'base64') return (b) => b.toString('base64');
  if (mode === 'hex') return (b) => b.toString('hex');
  return (b) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
