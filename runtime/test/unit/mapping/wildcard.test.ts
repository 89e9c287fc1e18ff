// DMS wildcards (Wildcards page): % zero or more, _ exactly one, [_] a literal underscore, [ab] a set, [a-d] a range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDmsPattern, dmsPatternProblem, matchesDmsPattern } from '../../../src/mapping/wildcard.ts';
import { compileMapping } from '../../../src/mapping/transform-rules.ts';
import type { TableMapping } from '../../../src/config/table-mapping-schema.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { createTableSelector } from '../../../src/mapping/table-selection.ts';
import { include, mapping } from './helpers.ts';

test('each wildcard, exactly as DMS documents it', () => {
  const cases: [string, string, boolean][] = [
    ['%', '', true], ['DMS%', 'DMS', true], ['DMS%', 'DMSX_1', true], ['DMS%', 'dms_x', false],
    ['a_c', 'abc', true], ['a_c', 'a_c', true], ['a_c', 'ac', false], ['a_c', 'abbc', false], ['___', 'é€x', true],
    ['TEST[_]T%', 'TEST_T1', true], ['TEST[_]T%', 'TESTxT1', false],
    ['[ab]x', 'ax', true], ['[ab]x', 'bx', true], ['[ab]x', 'cx', false], ['[ab]x', 'abx', false],
    ['t[a-d]', 'ta', true], ['t[a-d]', 'td', true], ['t[a-d]', 'te', false], ['t[a-d]', 't-', false],
    ['v[0-9][0-9]', 'v07', true], ['v[0-9][0-9]', 'v7', false],
    ['a%b%c', 'aXXbYYc', true], ['a%b%c', 'acb', false], ['%.%', 'x.y', true], ['a$b', 'a$b', true], ['a(b)', 'a(b)', true],
  ];
  for (const [p, name, expected] of cases) assert.equal(matchesDmsPattern(p, name), expected, `${p} ~ ${JSON.stringify(name)}`);
});

test('selection: DMS example "all tables except those starting with DMS"; exclusion wins whatever the order', () => {
  const s = createTableSelector(mapping(include('Test', '%'), { ...include('Test', 'DMS%'), 'rule-id': '2', 'rule-name': 'x', 'rule-action': 'exclude' }));
  assert.deepEqual(['Customer', 'DMS_log', 'DMSx', 'dms_lower'].map((t) => s.includes({ schema: 'Test', table: t })), [true, false, false, true]);
  const before = createTableSelector(mapping({ ...include('Test', 'DMS%'), 'rule-action': 'exclude' }, { ...include('Test', '%'), 'rule-id': '2', 'rule-name': 'y' }));
  assert.equal(before.includes({ schema: 'Test', table: 'DMS_log' }), false);
});

test('load-order: higher loads first (DMS example: loadfirst 2, loadsecond 1)', () => {
  const s = createTableSelector(mapping(include('Test', 'loadsecond', { 'load-order': '1' }), { ...include('Test', 'loadfirst', { 'load-order': '2' }), 'rule-id': '2', 'rule-name': 'b' }));
  assert.deepEqual(['loadfirst', 'loadsecond'].map((t) => s.loadOrder({ schema: 'Test', table: t })), [2, 1]);
});

// ---- Linear-time matcher (issue #16: "Patterns with exponential cost") ----

/** The RegExp compile the matcher replaced, kept as the reference for valid patterns. */
function regexpCompile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) { re += '\\['; continue; }
      const body = pattern.slice(i + 1, end);
      re += body === '_' ? '_' : `[${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.*+?^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A seeded generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('property: for every valid pattern the matcher agrees with the RegExp it replaced; invalid ones are refused, not thrown raw', () => {
  const rnd = random(16);
  const pick = (s: readonly string[]) => s[Math.floor(rnd() * s.length)]!;
  const patternChars = ['%', '%', '_', '[', ']', '-', 'a', 'b', 'c', 'z', '\\', '^', '.', '*', '$', '(', 'é', '😀', '\n'];
  const nameChars = ['a', 'b', 'c', 'z', '-', '_', '[', ']', '.', '\\', '^', 'é', '😀', '\n', '%'];
  let compared = 0;
  let refused = 0;
  for (let i = 0; i < 20_000; i++) {
    const chars = () => Array.from({ length: Math.floor(rnd() * 4) }, () => pick(patternChars)).join('');
    // One pattern in four holds a range between two random characters, half of them backwards.
    const pattern = i % 4 === 0 ? `${chars()}[${pick(patternChars)}-${pick(patternChars)}]${chars()}` : Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(patternChars)).join('');
    let old: RegExp | undefined;
    try { old = regexpCompile(pattern); } catch { old = undefined; }
    const problem = dmsPatternProblem(pattern);
    const names = Array.from({ length: 12 }, () => Array.from({ length: Math.floor(rnd() * 7) }, () => pick(nameChars)).join(''));
    if (old === undefined) {
      // The RegExp threw (a backwards range): the pattern is reported as a problem and compiles to a coded error.
      assert.notEqual(problem, null, pattern);
      assert.throws(() => compileDmsPattern(pattern), (e: unknown) => e instanceof FerryError && e.code === 'FERRY_CONFIG_INVALID', pattern);
      refused++;
    } else if (problem !== null) {
      // Refused but compiled before: only the empty set "[]", which matched nothing.
      assert.match(pattern, /\[\]/, pattern);
      for (const n of names) assert.equal(old.test(n), false, `${pattern} ~ ${JSON.stringify(n)}`);
    } else {
      const mine = compileDmsPattern(pattern);
      for (const n of [...names, pattern]) assert.equal(mine.test(n), old.test(n), `${JSON.stringify(pattern)} ~ ${JSON.stringify(n)}`);
      compared++;
    }
  }
  assert.ok(compared > 10_000 && refused > 1_000, `compared ${compared}, refused ${refused}`);
});

test('repeated % and many % runs match in linear time (a loose guard; timings belong in bench/)', () => {
  const long = 'a'.repeat(200);
  const cases: [string, string, boolean][] = [['%%%%%%%%%%%%%%%%%%%%%%%%#', long, false], ['%a%a%a%a%a%a%a%a%b', long, false], ['%a%a%a%a%a%a%a%a%b', `${long}b`, true]];
  for (const [p, name, expected] of cases) {
    const m = compileDmsPattern(p);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) assert.equal(m.test(name), expected);
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `${p}: 1000 matches took ${ms.toFixed(1)} ms`);
  }
});

test('malformed patterns: a backwards range and an empty set are config problems naming the pattern', () => {
  assert.equal(dmsPatternProblem('t[z-a]'), 'the range "z-a" in "[z-a]" runs backwards ("z" comes after "a"); write it as "a-z"');
  assert.equal(dmsPatternProblem('t[]'), '"[]" is an empty set, which matches nothing; put the characters to match between the brackets, e.g. [ab]');
  assert.equal(dmsPatternProblem('t[a-z]'), null);
  assert.equal(dmsPatternProblem('t[a-'), null); // no closing ]: a literal [
  assert.throws(() => compileDmsPattern('[z-a]%'), { name: 'FerryError', code: 'FERRY_CONFIG_INVALID', message: '"[z-a]%" is not a valid DMS pattern: the range "z-a" in "[z-a]" runs backwards ("z" comes after "a"); write it as "a-z"' });
});

test('malformed patterns reaching plan (validation bypassed) fail coded with the rule id, not with a raw RegExp error', () => {
  const raw = { rules: [include('s', '%'), { 'rule-type': 'transformation', 'rule-id': '7', 'rule-name': 'r', 'rule-target': 'table', 'rule-action': 'rename', 'object-locator': { 'schema-name': 's', 'table-name': '[z-a]' }, value: 'x' }] } as unknown as TableMapping;
  assert.throws(() => compileMapping(raw), { name: 'FerryError', code: 'FERRY_CONFIG_INVALID', message: 'rule 7 (rename): "[z-a]" is not a valid DMS pattern: the range "z-a" in "[z-a]" runs backwards ("z" comes after "a"); write it as "a-z"' });
});
