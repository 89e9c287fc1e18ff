/** Seeded value generators for the migration kit's shops (on top of random-values.ts): text, times, JSON documents. */
import { testString, type Random } from '../random-values.ts';

/** Text of up to `max` characters of every kind, without NUL (PostgreSQL text cannot hold U+0000; a shop has none). */
export function text(r: Random, max: number): string {
  return testString(r, max).replaceAll(String.fromCharCode(0), '');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD' in [lo, hi] years, sometimes the extremes. */
export function date(r: Random, lo = 1000, hi = 9999): string {
  if (r.chance(0.03)) return r.pick([`${lo}-01-01`, `${hi}-12-31`, '2000-02-29', '1970-01-01']);
  return `${r.int(lo, hi)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.f…]' with `digits` fraction digits, sometimes the last microsecond of a year. */
export function datetime(r: Random, digits: number, lo = 1000, hi = 9999): string {
  const frac = digits === 0 ? '' : `.${String(r.int(0, 10 ** digits - 1)).padStart(digits, '0')}`;
  if (r.chance(0.03)) return `${hi}-12-31 23:59:59${digits === 0 ? '' : `.${'9'.repeat(digits)}`}`;
  return `${date(r, lo, hi)} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${frac}`;
}

/** A MariaDB TIME(3): negative, beyond 24 h, the extremes. */
export function clock(r: Random): string {
  if (r.chance(0.1)) return r.pick(['-838:59:59.000', '838:59:59.000', '00:00:00.000', '-00:00:00.001', '24:00:00.000']);
  return `${r.chance(0.2) ? '-' : ''}${r.int(0, 200)}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}.${pad(r.int(0, 999), 3)}`;
}

/** A JSON document: nested objects and arrays, unicode and escapes, exact decimals, a big integer as a string. */
export function document(r: Random, id: number): string {
  return JSON.stringify({
    id, name: text(r, 12), tags: [text(r, 4), null, r.int(-5, 5)], nested: { z: r.chance(0.5), a: [1, 2.5, { deep: text(r, 6) }] },
    big: (2n ** 63n + BigInt(id)).toString(), price: Number(`${r.int(0, 9999)}.${pad(r.int(1, 99))}`),
  });
}
