/** Age flags (`--expire-older-than 7d`): a whole number and a unit, ms s m h d; anything else is a usage error naming the flag. */
import { UsageError } from './arg-parsers.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseAgeFlag(flag: string, value: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected an age such as 7d, 12h, 30m, 90s or 0s (a whole number and one of ms, s, m, h, d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}
