/**
 * Binlog column values decoded straight to their wire value, for the column types whose text round trip
 * (row-values.ts text, then value-conversion.ts makeConverter) costs the most: DATETIME2, TIMESTAMP2, DATE and
 * binary DECIMAL. The binary image already holds the numbers, so a DATETIME(6) becomes its epoch µs and a
 * DECIMAL its unscaled two's complement bytes without a string in between.
 *
 * Each decoder returns exactly what makeConverter's converter returns for the text row-values.ts decodes from
 * the same bytes (zero dates: null, or Debezium's fallback for NOT NULL columns), over the values MySQL and
 * MariaDB can store (years 0..9999); test/unit/binlog-wire-values.test.ts checks that over random and edge
 * inputs. A column decoded here is already converted: the dispatcher (binlog-dispatch.ts) tells the codec
 * (RowCodec.binlogConverter) to skip its converter for binlog rows. Snapshot rows keep the text path.
 */
import type { ColumnMapping } from '../type-mapping.ts';
import { daysFromCivil, civilFromDays } from '../../../../core/src/civil-days.ts';
import { bigintToTwosComplement, epochMicros, EPOCH_ZONED, numberToTwosComplement } from '../value-conversion.ts';
import { binaryDecimalReader } from './json-binary.ts';
import { dateText, FRAC_BYTES, POW10, readMicros, T, timeOfDay, type BinlogColumnMeta, type ValueDecoder } from './row-values.ts';

/** What a decoder returns for a zero (or partly zero) date: null, or the fallback of a NOT NULL column. */
type Zero<V> = V | null;

/** DATE (3 bytes: day 5 bits, month 4, year 15) → days since the epoch (io.debezium.time.Date). */
function dateWire(zero: Zero<number>): ValueDecoder {
  return (c) => {
    const v = c.buf.readUIntLE(c.pos, 3);
    c.pos += 3;
    const month = (v >>> 5) & 15;
    const day = v & 31;
    return month === 0 || day === 0 ? zero : daysFromCivil(v >>> 9, month, day);
  };
}

/**
 * DATETIME2 → ms (io.debezium.time.Timestamp) or µs (io.debezium.time.MicroTimestamp) since the epoch, read as
 * UTC. The fraction is cut to the column's fsp as the text is.
 */
function datetime2Wire(fsp: number, micros: boolean, zero: Zero<number>): ValueDecoder {
  const fb = FRAC_BYTES[fsp]!;
  const div = POW10[6 - fsp]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + 5 + fb;
    // 40 bits: sign (1 = non-negative), year*13+month (17), day (5), hour (5), minute (6), second (6); read
    // byte by byte so that every intermediate is a small integer
    const b2 = b[p + 2]!;
    const ymd = ((b[p]! & 0x7f) << 15) | (b[p + 1]! << 7) | (b2 >>> 1);
    const ym = ymd >>> 5;
    const month = ym % 13;
    const day = ymd & 31;
    if (month === 0 || day === 0) return zero;
    const hms = ((b2 & 1) << 16) | (b[p + 3]! << 8) | b[p + 4]!;
    const secs = daysFromCivil(Math.floor(ym / 13), month, day) * 86400 + (hms >>> 12) * 3600 + ((hms >>> 6) & 63) * 60 + (hms & 63);
    const frac = fsp === 0 ? 0 : Math.floor(readMicros(b, p + 5, fb) / div) * div;
    return micros ? epochMicros(secs, frac) : secs * 1000 + Math.floor(frac / 1000);
  };
}

/**
 * TIMESTAMP2 (big-endian seconds since the epoch, then the fraction) → io.debezium.time.ZonedTimestamp
 * ('2024-01-01T00:00:00.123456Z') with exactly `digits` fraction digits (the column's fsp); the zero timestamp
 * (0 seconds, no fraction) → `zero`.
 */
function timestamp2Wire(fsp: number, digits: number, zero: Zero<string>): ValueDecoder {
  const fb = FRAC_BYTES[fsp]!;
  const div = POW10[6 - fsp]!;
  const out = POW10[6 - digits]!;
  return (c) => {
    const { buf: b, pos: p } = c;
    c.pos = p + 4 + fb;
    const secs = b.readUInt32BE(p);
    const frac = fsp === 0 ? 0 : Math.floor(readMicros(b, p + 4, fb) / div);
    if (secs === 0 && frac === 0) return zero;
    const days = Math.floor(secs / 86400);
    const sod = secs - days * 86400;
    const [year, month, day] = civilFromDays(days);
    const base = `${dateText(year, month, day)}T${timeOfDay(Math.floor(sod / 3600), Math.floor(sod / 60) % 60, sod % 60)}`;
    if (digits === 0) return `${base}Z`;
    return `${base}.${String(Math.floor((frac * div) / out)).padStart(digits, '0')}Z`;
  };
}

/** Binary DECIMAL(precision, scale) → Connect Decimal bytes: the unscaled value's minimal two's complement. */
function decimalWire(precision: number, scale: number): ValueDecoder {
  const { length, read } = binaryDecimalReader(precision, scale);
  return (c) => {
    const v = read(c.buf, c.pos);
    c.pos += length;
    return typeof v === 'number' ? numberToTwosComplement(v) : bigintToTwosComplement(v);
  };
}

/**
 * The direct decoder of one column, or null when the column keeps the text decoder and its converter: other
 * types, the pre-5.6 temporal formats, and a DECIMAL whose binlog scale is not the column's (never seen; the
 * text path pads or cuts it).
 */
export function makeWireDecoder(col: BinlogColumnMeta, mapping: ColumnMapping, nullable: boolean): ValueDecoder | null {
  switch (col.type) {
    case T.DATE:
      return mapping.kind === 'date' ? dateWire(nullable ? null : 0) : null;
    case T.DATETIME2:
      if (mapping.kind !== 'datetime-ms' && mapping.kind !== 'datetime-us') return null;
      return datetime2Wire(Math.min(col.meta, 6), mapping.kind === 'datetime-us', nullable ? null : 0);
    case T.TIMESTAMP2:
      if (mapping.kind !== 'timestamp' || !(mapping.size >= 0 && mapping.size <= 6)) return null;
      return timestamp2Wire(Math.min(col.meta, 6), mapping.size, nullable ? null : EPOCH_ZONED);
    case T.NEWDECIMAL:
      return mapping.kind === 'decimal' && mapping.scale === col.meta2 ? decimalWire(col.meta, col.meta2) : null;
    default:
      return null;
  }
}
