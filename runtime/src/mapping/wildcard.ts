/**
 * DMS name patterns: % matches any run of characters (including none), _ matches exactly one character,
 * [_] is a literal underscore, [ab] a set and [a-d] a range. Matching is case-sensitive, as in DMS. A `[` without a
 * closing `]` is a literal `[`; inside a set every character is literal (no negation, no escapes), and `-` between
 * two characters makes a range. Characters are UTF-16 code units, as JavaScript strings count them.
 *
 * A pattern compiles to a list of one-character tokens and `%` runs (repeated `%` collapse into one), matched by the
 * classic wildcard algorithm that backtracks only to the last `%`: at most O(name length × pattern length) steps,
 * never the exponential blow-up a backtracking regular expression has on patterns like `%a%a%a%a%b`.
 */
import { FerryError } from '../../../core/src/errors.ts';

/** A compiled pattern; `test` has the shape of RegExp's so callers may hold either. */
export interface DmsPattern {
  readonly pattern: string;
  /**
   * What the names it matches look like, for indexing rules by name (rule-index.ts): `steps` are the pattern up to its
   * first %, one per character (a code unit, or null where _ or a set lets other characters in); `open` when a % follows
   * (any rest), else a matching name has exactly steps.length characters. A superset of the matches: `test` decides.
   */
  readonly shape?: { readonly steps: readonly (number | null)[]; readonly open: boolean };
  test(name: string): boolean;
}

/** `any`: a `%` run; `one`: `_`; a number: that code unit; an array: a set as inclusive [low, high] code-unit pairs. */
type Token = 'any' | 'one' | number | readonly number[];

type Parsed = { readonly tokens: readonly Token[] } | { readonly problem: string };

function parse(pattern: string): Parsed {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '%') {
      if (tokens[tokens.length - 1] !== 'any') tokens.push('any');
    } else if (ch === '_') tokens.push('one');
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) { tokens.push(ch.charCodeAt(0)); continue; }
      const body = pattern.slice(i + 1, end);
      if (body === '') return { problem: '"[]" is an empty set, which matches nothing; put the characters to match between the brackets, e.g. [ab]' };
      if (body === '_') tokens.push('_'.charCodeAt(0));
      else {
        const ranges: number[] = [];
        for (let j = 0; j < body.length;) {
          if (body[j + 1] === '-' && j + 2 < body.length) {
            const lo = body.charCodeAt(j);
            const hi = body.charCodeAt(j + 2);
            if (lo > hi) return { problem: `the range "${body[j]}-${body[j + 2]}" in "[${body}]" runs backwards ("${body[j]}" comes after "${body[j + 2]}"); write it as "${body[j + 2]}-${body[j]}"` };
            ranges.push(lo, hi);
            j += 3;
          } else {
            ranges.push(body.charCodeAt(j), body.charCodeAt(j));
            j += 1;
          }
        }
        tokens.push(ranges);
      }
      i = end;
    } else tokens.push(ch.charCodeAt(0));
  }
  return { tokens };
}

/** Why a pattern is malformed, or null when it is a valid DMS pattern. */
export function dmsPatternProblem(pattern: string): string | null {
  const p = parse(pattern);
  return 'problem' in p ? p.problem : null;
}

function matchesToken(t: Token, c: number): boolean {
  if (t === 'one') return true;
  if (typeof t === 'number') return t === c;
  if (t === 'any') return false;
  for (let k = 0; k < t.length; k += 2) if (c >= t[k]! && c <= t[k + 1]!) return true;
  return false;
}

function matchTokens(tokens: readonly Token[], name: string): boolean {
  const m = tokens.length;
  const n = name.length;
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < n) {
    const t = tokens[p];
    if (t === 'any') {
      starP = p++;
      starS = s;
    } else if (t !== undefined && matchesToken(t, name.charCodeAt(s))) {
      p++;
      s++;
    } else if (starP >= 0) {
      // Let the last % take one more character, and retry what follows it.
      p = starP + 1;
      s = ++starS;
    } else return false;
  }
  while (tokens[p] === 'any') p++;
  return p === m;
}

/** A compiled pattern: methods on the prototype (no closures per pattern: a rule per table makes thousands). */
class CompiledPattern implements DmsPattern {
  readonly pattern: string;
  readonly #tokens: readonly Token[];
  /** The one name a pattern without wildcards, sets or ranges matches (`[_]` and an unclosed `[` are literal). */
  readonly #literal: string | undefined;

  constructor(pattern: string, tokens: readonly Token[]) {
    this.pattern = pattern;
    this.#tokens = tokens;
    this.#literal = tokens.every((t) => typeof t === 'number') ? (tokens as readonly number[]).map((c) => String.fromCharCode(c)).join('') : undefined;
  }

  test(name: string): boolean {
    return this.#literal !== undefined ? name === this.#literal : matchTokens(this.#tokens, name);
  }

  /** Computed when asked: only rule indexes ask. */
  get shape(): NonNullable<DmsPattern['shape']> {
    const any = this.#tokens.indexOf('any');
    return { steps: (any === -1 ? this.#tokens : this.#tokens.slice(0, any)).map((t) => (typeof t === 'number' ? t : null)), open: any !== -1 };
  }
}

/** Compiles a DMS pattern; a malformed one (a backwards range, an empty set) throws FERRY_CONFIG_INVALID. */
export function compileDmsPattern(pattern: string): DmsPattern {
  const p = parse(pattern);
  if ('problem' in p) throw new FerryError('FERRY_CONFIG_INVALID', `${JSON.stringify(pattern)} is not a valid DMS pattern: ${p.problem}`);
  return new CompiledPattern(pattern, p.tokens);
}

export function matchesDmsPattern(pattern: string, name: string): boolean {
  return compileDmsPattern(pattern).test(name);
}

/** An exact name (explicit selection rules): no character is a wildcard. */
export function exactName(name: string): DmsPattern {
  return new CompiledPattern(name, Array.from({ length: name.length }, (_, i) => name.charCodeAt(i)));
}
