// Issue #16 "A task that cannot be stopped": an expression's cost is bounded by construction (no subquery, WITH,
// VALUES list or table; allowed functions only; SQLite limits), refused at validate and plan with the rule id, and
// every run-time failure is coded (FERRY_EXPRESSION_FAILED) with the rule id, including the time budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, parseTask } from '../../../../app/src/task-file/load-task.ts';
import { compileExpression, expressionProblem } from '../../../src/mapping/expression.ts';
import { MappingTransformer } from '../../../src/mapping/MappingTransformer.ts';
import { col, event, include, mapping, table } from './helpers.ts';

const sel = { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } };
function problems(rules: unknown[]): string[] {
  try {
    parseTask({
      name: 'shop', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'pw' }, migrationType: 'cdc',
      tableMappings: { rules: [sel, ...rules] }, kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7' }, targets: [],
    }, { env: {}, baseDir: tmpdir() });
    return [];
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}
const addColumn = (expression: string, id = '3') => ({
  'rule-type': 'transformation', 'rule-id': id, 'rule-name': `x${id}`, 'rule-target': 'column', 'rule-action': 'add-column',
  'object-locator': { 'schema-name': 'shop', 'table-name': 't' }, value: 'n', expression, 'data-type': { type: 'string', length: 50 },
});

const SUBQUERY = 'an expression cannot contain a subquery, a WITH clause or a VALUES list: Ferry evaluates it as one SELECT over the row\'s values, which keeps its cost bounded (node:sqlite cannot interrupt a running query)';
const TOO_BIG = 'it fails whatever the row (evaluated with every column NULL): string or blob too big (a value an expression reads or makes is at most 65536 bytes)';

const REFUSED: [string, string][] = [
  ['(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT max(x) FROM c)', SUBQUERY],
  ['(WITH c(x) AS (SELECT 1) SELECT x FROM c)', SUBQUERY],
  ['(SELECT count(*) FROM (VALUES (1),(2),(3)) a, (VALUES (1),(2),(3)) b, (VALUES (1),(2),(3)) c)', SUBQUERY],
  ['(SELECT 1)', SUBQUERY],
  ['$a IN (SELECT 1)', SUBQUERY],
  ['EXISTS (SELECT 1)', SUBQUERY],
  ['(VALUES (1))', SUBQUERY],
  ['(SELECT name FROM sqlite_master)', 'an expression cannot read a table; it sees the row\'s columns as $name'],
  ["load_extension('x')", 'load_extension() is not allowed in an expression: it loads native code into the Ferry process'],
  ['sqlite_version()', 'sqlite_version() is not allowed in an expression: Ferry allows only scalar functions whose cost is bounded (docs/table-mapping.md, "What an expression may contain")'],
  ['count(*)', 'count() is not allowed in an expression: aggregate and window functions have no rows to work on in a one-row expression'],
  ['zeroblob(2e9)', TOO_BIG],
  ['randomblob(1e9)', TOO_BIG],
  ["printf('%.*c', 2000000000, 'x')", TOO_BIG],
  [`'${'x'.repeat(5000)}'`, 'an expression is at most 4096 characters long; this one has 5002'],
];

test('validate: unbounded or unsafe expressions are config problems naming the rule id and the reason', () => {
  for (const [expression, reason] of REFUSED) {
    assert.deepEqual(problems([addColumn(expression)]), [`tableMappings.rules[1].expression: rule 3 (add-column): ${reason}`], expression);
  }
});

test('plan: the same expressions refused when the table plan is built (validation bypassed), coded, with the rule id and table', () => {
  const t = table('shop', 't', [col('id', 'int32'), col('a')]);
  for (const [expression, reason] of REFUSED) {
    const m = new MappingTransformer(mapping(include('shop', '%'), { ...addColumn(expression, '4'), 'rule-name': 'p' }));
    assert.throws(() => m.plan(t), { name: 'FerryError', code: 'FERRY_CONFIG_INVALID', message: `rule 4 (add-column) on shop.t, column n: ${reason}` }, expression);
  }
});

test('run: a value over the length limit fails the row with FERRY_EXPRESSION_FAILED and the rule id, not FERRY_INTERNAL', () => {
  const t = table('shop', 't', [col('id', 'int32'), col('a')]);
  const m = new MappingTransformer(mapping(include('shop', '%'), { ...addColumn('$a || $a', '5'), 'rule-name': 'q' }));
  assert.deepEqual(m.transform(event(t, 'c', null, { id: 1, a: 'xy' }))!.after, { id: 1, a: 'xy', n: 'xyxy' });
  assert.throws(() => m.transform(event(t, 'c', null, { id: 2, a: 'x'.repeat(40_000) })), {
    name: 'FerryError', code: 'FERRY_EXPRESSION_FAILED',
    message: 'rule 5 (add-column) on shop.t, column n: SQLite failed evaluating the expression: string or blob too big (a value an expression reads or makes is at most 65536 bytes)',
  });
  // A column value longer than the limit cannot even be bound.
  assert.throws(() => m.transform(event(t, 'c', null, { id: 3, a: 'x'.repeat(70_000) })), { code: 'FERRY_EXPRESSION_FAILED', message: /^rule 5 \(add-column\) on shop\.t, column n: SQLite failed evaluating the expression: string or blob too big/ });
});

test('run: an evaluation over the time budget fails the task with FERRY_EXPRESSION_FAILED naming the rule', () => {
  // replace() of a 60,000-character value with a 30,001-character pattern compares ~10^9 bytes: well over 1 ms.
  const slow = "length(replace(printf('%.*c', 60000, 'a'), printf('%.*c', 30000, 'a') || 'b', ''))";
  const e = compileExpression(slow, { type: 'int4' }, { label: 'rule 9 (add-column) on s.t, column n', budgetMs: 1 });
  assert.throws(() => e.evaluate({}, 'c'), { name: 'FerryError', code: 'FERRY_EXPRESSION_FAILED', message: /^rule 9 \(add-column\) on s\.t, column n: one evaluation of the expression took \d+ ms, over the 1 ms budget; simplify it$/ });
  // With the default budget (1 s) the same expression passes.
  assert.equal(compileExpression(slow, { type: 'int4' }).evaluate({}, 'c'), 60000);
});

test('run: a value that does not fit the data type is coded with the rule id', () => {
  const t = table('shop', 't', [col('id', 'int32'), col('a')]);
  const m = new MappingTransformer(mapping(include('shop', '%'), { ...addColumn("'x'", '6'), 'rule-name': 'r', 'data-type': { type: 'time' } }));
  assert.throws(() => m.transform(event(t, 'c', null, { id: 1, a: 'a' })), { code: 'FERRY_UNSUPPORTED', message: 'rule 6 (add-column) on shop.t, column n: expression "\'x\'" gave "x", which is not a time of day (HH:MM:SS) (data-type "time")' });
});

test('trim with a character set is linear, and gives what SQLite\'s own trim gives', () => {
  const str = { type: 'string' };
  const t0 = performance.now();
  assert.equal(compileExpression("length(trim(printf('%.*c', 60000, 'a'), printf('%.*c', 30000, 'b') || 'a'))", str).evaluate({}, 'c'), '0');
  const ms = performance.now() - t0;
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`); // SQLite's trim takes seconds here
  const plain = new DatabaseSync(':memory:');
  const args = ["'xxhixx'", "'x'", "'  a  '", "' '", '2.0', "'0'", '100', '1e20', "'aé€€'", "'€'", "''", 'NULL', "x'41422020'", "'.0'", '-0.5', "'-'"];
  for (const fn of ['trim', 'ltrim', 'rtrim']) {
    for (const x of args) {
      for (const y of args) {
        const sql = `${fn}(${x}, ${y})`;
        const expected = (plain.prepare(`SELECT ${sql} AS v`).get() as { v: unknown }).v;
        assert.equal(compileExpression(sql, str).evaluate({}, 'c'), expected, sql);
      }
    }
  }
});

test('DMS\'s example expressions and the ones docs/table-mapping.md shows still validate and evaluate', () => {
  const docs = readFileSync(new URL('../../../../docs/table-mapping.md', import.meta.url), 'utf8');
  const fromDocs = [...docs.matchAll(/"expression": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  assert.ok(fromDocs.length >= 1);
  const dms = [
    "$FIRST_NAME||'_'||$LAST_NAME", "operation_indicator('D', 'U', 'I')", '$AR_H_STREAM_POSITION', '$AR_H_CHANGE_SEQ',
    "CASE WHEN round($emp_salary)>=20000 THEN 'SENIOR' ELSE 'JUNIOR' END", 'hash_sha256($emp_number)', "replaceChars($emp_name, 'abcd', '123')",
    "date('2024-03-01', '-1 day')", "strftime('%Y', $d)", "$a -> '$.x'", "coalesce($x, $y, 'z')", '$x IN (1, 2, 3)', 'CURRENT_TIMESTAMP',
  ];
  for (const e of [...fromDocs, ...dms]) assert.equal(expressionProblem(e), null, e);
  assert.equal(compileExpression(fromDocs[0]!, { type: 'string' }).evaluate({ FIRST_NAME: 'Ada', LAST_NAME: 'Lovelace' }, 'c'), 'Ada_Lovelace');
  assert.equal(compileExpression("replaceChars($x, 'abcd', '123')", { type: 'string' }).evaluate({ x: 'abcde' }, 'c'), '1231e');
});
