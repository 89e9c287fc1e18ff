/**
 * The wire representation of Kafka Connect's Decimal (and of VariableScaleDecimal's `value`): the unscaled
 * value as big-endian two's complement in the fewest bytes, as Java's BigInteger#toByteArray writes it
 * (0 → [0x00], 255 → [0x00, 0xff], -1 → [0xff], 2^64-1 → [0x00, 0xff × 8]).
 */
import { FerryError } from '../../core/src/errors.ts';

/** BigInteger#toByteArray. */
export function unscaledToBytes(unscaled: bigint): Buffer {
  // Smallest n with -2^(8n-1) <= v < 2^(8n-1).
  let n = 1;
  while (unscaled >= 1n << BigInt(8 * n - 1) || unscaled < -(1n << BigInt(8 * n - 1))) n++;
  const out = Buffer.allocUnsafe(n);
  let v = BigInt.asUintN(8 * n, unscaled);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** new BigInteger(bytes). */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return BigInt.asIntN(8 * bytes.length, v);
}

/**
 * A decimal string ('-12.34', '1e3' not accepted) at a fixed scale → wire bytes. Refuses to round:
 * a string with more fractional digits than `scale` (other than trailing zeros) is an error.
 */
export function decimalToBytes(text: string, scale: number): Buffer {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new FerryError('FERRY_INTERNAL', `not a decimal number: ${JSON.stringify(text)}`);
  let frac = m[3] ?? '';
  if (frac.length > scale) {
    if (!/^0*$/.test(frac.slice(scale))) throw new FerryError('FERRY_INTERNAL', `${text} has more than ${scale} decimal places`);
    frac = frac.slice(0, scale);
  }
  const digits = `${m[2] ?? ''}${frac.padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '') || '0';
  const v = BigInt(digits);
  return unscaledToBytes(m[1] === '-' ? -v : v);
}

/** Wire bytes at a scale → decimal string (no exponent). */
export function bytesToDecimal(bytes: Uint8Array, scale: number): string {
  return unscaledToDecimal(bytesToUnscaled(bytes), scale);
}

/** An unscaled value (an integer number or a bigint) at a scale → decimal string with exactly `scale` fraction digits. */
export function unscaledToDecimal(v: bigint | number, scale: number): string {
  const neg = v < 0;
  const s = String(neg ? -v : v).padStart(scale + 1, '0');
  const int = scale === 0 ? s : s.slice(0, -scale);
  return `${neg ? '-' : ''}${int}${scale === 0 ? '' : `.${s.slice(-scale)}`}`;
}
