// Expressions run on SQLite itself: operators, functions, affinity and NULLs are SQLite's; DMS functions and variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, expressionProblem, expressionVariables } from '../../../src/mapping/expression.ts';

const str = { type: 'string' };

test('SQLite semantics: concatenation, NULL propagation, integer division, CASE, typed results', () => {
  assert.equal(compileExpression("$FIRST_NAME||'_'||$LAST_NAME", str).evaluate({ FIRST_NAME: 'Ada', LAST_NAME: 'Lovelace' }, 'c'), 'Ada_Lovelace');
  assert.equal(compileExpression("$a || ' ' || $b", str).evaluate({ a: 'x', b: null }, 'c'), null);
  assert.equal(compileExpression('7 / 2', { type: 'int4' }).evaluate({}, 'c'), 3);
  assert.equal(compileExpression('7 / 2.0', { type: 'real8' }).evaluate({}, 'c'), 3.5);
  assert.equal(compileExpression('7 / 2.0', str).evaluate({}, 'c'), '3.5');
  assert.equal(compileExpression('1.0 * 2', str).evaluate({}, 'c'), '2.0');
  assert.equal(compileExpression("CASE WHEN round($emp_salary)>=20000 THEN 'SENIOR' ELSE 'JUNIOR' END", str).evaluate({ emp_salary: 19999.5 }, 'c'), 'SENIOR');
  assert.equal(compileExpression("CASE WHEN round($emp_salary)>=20000 THEN 'SENIOR' ELSE 'JUNIOR' END", str).evaluate({ emp_salary: 19999.4 }, 'c'), 'JUNIOR');
  assert.equal(compileExpression('round($emp_salary)', { type: 'int8' }).evaluate({ emp_salary: 12.6 }, 'c'), 13);
  assert.equal(compileExpression("'10' + 5", { type: 'int4' }).evaluate({}, 'c'), 15); // text → number in arithmetic
  assert.equal(compileExpression('9223372036854775807', { type: 'int8' }).evaluate({}, 'c'), 9223372036854775807n);
  assert.equal(compileExpression("substr('abcdef', -3, 2)", str).evaluate({}, 'c'), 'de');
  assert.equal(compileExpression("upper('é') || lower('ABC')", str).evaluate({}, 'c'), 'éabc'); // ASCII-only, as DMS notes
  assert.equal(compileExpression("coalesce($x, $y, 'z')", str).evaluate({ x: null, y: null }, 'c'), 'z');
  assert.equal(compileExpression("nullif('a', 'a')", str).evaluate({}, 'c'), null);
  assert.equal(compileExpression("hex(zeroblob(2))", str).evaluate({}, 'c'), '0000');
  assert.equal(compileExpression("trim('xxhixx', 'x') || ltrim('  a') || rtrim('b  ')", str).evaluate({}, 'c'), 'hiab');
  assert.equal(compileExpression("replace('a-b-c', '-', '+')", str).evaluate({}, 'c'), 'a+b+c');
});

test('DMS functions: operation_indicator, hash_sha256, replaceChars', () => {
  const op = compileExpression("operation_indicator('D', 'U', 'I')", str);
  assert.deepEqual((['c', 'r', 'u', 'd'] as const).map((o) => op.evaluate({}, o)), ['I', 'I', 'U', 'D']);
  assert.equal(compileExpression('hash_sha256($emp_number)', str).evaluate({ emp_number: 'abc' }, 'c'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(compileExpression('hash_sha256($x)', str).evaluate({ x: null }, 'c'), null);
  assert.equal(compileExpression('replaceChars("abcde","abcd","123")'.replace(/"/g, "'"), str).evaluate({}, 'c'), '1231e');
});

test('dates and times: SQLite date functions, typed targets', () => {
  assert.equal(compileExpression("date('2024-03-01', '-1 day')", { type: 'date' }).evaluate({}, 'c'), 19782); // 2024-02-29
  assert.equal(compileExpression("strftime('%Y', $d)", str).evaluate({ d: '2002-01-01 10:00:00' }, 'c'), '2002');
  assert.equal(compileExpression("'2024-01-02 03:04:05.123456'", { type: 'datetime' }).evaluate({}, 'c'), 1704164645123456);
  assert.equal(compileExpression("datetime('2024-01-02 03:04:05', '+1 hour')", { type: 'datetime' }).evaluate({}, 'c'), 1704168245000000);
  assert.equal(compileExpression("2460311.5", { type: 'datetime' }).evaluate({}, 'c'), 1704153600000000); // a julian day number
  assert.equal(compileExpression("'12:30:01.5'", { type: 'time' }).evaluate({}, 'c'), 45001500000);
  assert.deepEqual(compileExpression("'12.345'", { type: 'numeric', precision: 10, scale: 2 }).evaluate({}, 'c'), Buffer.from([0x04, 0xd3])); // 12.35 → 1235
  assert.equal(compileExpression("1 = 1", { type: 'boolean' }).evaluate({}, 'c'), true);
});

test('header and metadata variables are parameters like columns', () => {
  assert.deepEqual(expressionVariables("$AR_H_OPERATION || '$notme' || \"$nor_me\" || $col1 || $col1"), ['AR_H_OPERATION', 'col1']);
  assert.equal(compileExpression("$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME", str).evaluate({ AR_M_SOURCE_SCHEMA: 's', AR_M_SOURCE_TABLE_NAME: 't' }, 'c'), 's.t');
});

test('expression problems are reported at validation', () => {
  assert.equal(expressionProblem("$a || 'x'"), null);
  assert.match(expressionProblem('1; DROP TABLE x')!, /";" is not allowed/);
  assert.match(expressionProblem('1) FROM sqlite_master WHERE (1')!, /unbalanced parentheses/);
  assert.match(expressionProblem('$a +')!, /SQLite cannot compile it: near "\)": syntax error/);
  assert.match(expressionProblem('nosuchfn($a)')!, /no such function: nosuchfn/);
  assert.match(expressionProblem('$AR_H_USER')!, /\$AR_H_USER is not supported: DMS fills it only for SQL Server and Oracle/);
  assert.match(expressionProblem('$AR_H_BOGUS')!, /not a DMS header or metadata variable/);
  assert.throws(() => compileExpression('1', { type: 'tuple' }), /data type "tuple" is not supported/);
});
