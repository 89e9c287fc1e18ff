/**
 * The fuzz run of task-fuzz.test.ts, in a worker thread (so the test can stop it if a case never returns and can cap
 * its heap): fast-check generates task documents, from valid skeletons mutated with wrong types, odd strings, huge
 * and deep structures, and table-mapping rules with random wildcards, expressions, rule actions and data types,
 * as parsed values and as YAML text. Every case must, within CASE_LIMIT_MS of CPU time:
 *   - end in success or in a FerryError whose code is in ERROR_CODES (never another error);
 *   - report at most TASK_INPUT_LIMITS.maxProblems problems, none showing the planted secret;
 *   - if it succeeds, compile its table mapping and plan two tables with it within the same time.
 * Posts { kind: 'case', index, input } before each case (so a hang names its input) and { kind: 'done', report }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, parseTask } from '../../../src/task-file/load-task.ts';
import { parseTaskText, TASK_INPUT_LIMITS } from '../../../src/task-file/input-limits.ts';
import { ERROR_CODES, FerryError } from '../../../../core/src/errors.ts';
import { ACTION_SPECS, TRANSFORMATION_ACTIONS } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { MappingTransformer } from '../../../../runtime/src/mapping/MappingTransformer.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { col, table } from '../../../../runtime/test/unit/mapping/helpers.ts';

export interface FuzzOptions {
  readonly seed: number;
  readonly numRuns: number;
  /** fast-check stops generating (and shrinking) after this long; what ran so far counts. */
  readonly timeLimitMs: number;
  readonly caseLimitMs: number;
  readonly baseDir: string;
}

/** Planted in the environment; references to it appear at random places. */
export const FUZZ_SECRET = 'Fz"q\\uote-' + 'z9'.repeat(30) + '\n-end';
const ENV = { FERRY_FUZZ_SECRET: FUZZ_SECRET };

const ODD = [
  '', ' ', '%', '%%%%%%%%%%%%%%%%#', '[z-a]', '[', ']', '[]', '[_]', '_', 't x', 't_x', '__proto__', 'constructor', 'toString',
  '${env:FERRY_FUZZ_SECRET}', 'x${env:FERRY_FUZZ_SECRET}y', '${env:FERRY_FUZZ_UNSET}', '${file:missing.txt}', '${vault:a}', '${env:', '$$',
  '\u0000', '\uFFFF', '\uD800', '😀', 'ä', '\r\n', '"', "'", '\\', 'null', 'true', '-1', '1e309', 'NaN', '0x10',
];
const EXPRESSIONS = [
  '$a + 1', 'upper($name)', "$a || ' ' || $b", 'CASE WHEN $a > 1 THEN 1 ELSE 0 END', 'length($x)', '$AR_H_OPERATION', '$AR_H_TIMESTAMP',
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c', "load_extension('x')", 'randomblob(1000000000)',
  '(SELECT 1)', '(((((', "'unterminated", '; DROP TABLE t', 'abs(-9223372036854775808)', 'printf(\'%.*c\', 1000000000, \'x\')',
];
const DATA_TYPES = ['set', 'enum', 'string', 'wstring', 'int1', 'int4', 'int8', 'uint8', 'real4', 'real8', 'numeric', 'boolean', 'date', 'time', 'datetime', 'bytes', 'blob', 'clob', ''];
const SINK_TYPES = ['parquet', 'csv', 'redshift', 'kinesis', 'dynamodb', 'kafka', 'postgres', 'mysql', 's3'];

const oddString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)) },
);
const wildcard = fc.oneof(
  fc.array(fc.constantFrom('%', '%', '_', '[', ']', '-', '!', '^', 'a', 'z', '0', '#', '\\', '.', '*', '$', ' '), { maxLength: 40 }).map((a) => a.join('')),
  oddString,
);
const intString = fc.oneof(fc.integer().map(String), fc.integer({ min: -5, max: 100 }), fc.constantFrom('', '-', '1.5', 'x', '99999999999999999999'), fc.double());
const scalar = fc.oneof(oddString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(oddString, tie('value'), { maxKeys: 4 })),
})).value;
/** Lists nested 1 to 300 levels deep, or a list of up to 5,000 items. */
const bigValue = fc.oneof(
  fc.integer({ min: 1, max: 300 }).map((n) => { let v: unknown = 'deep'; for (let i = 0; i < n; i++) v = i % 2 ? { k: v } : [v]; return v; }),
  fc.integer({ min: 0, max: 5_000 }).map((n) => Array.from({ length: n }, (_, i) => ({ 'rule-type': i % 2 ? 'selection' : 'x' }))),
);
const value = fc.oneof({ weight: 4, arbitrary: anyValue }, { weight: 1, arbitrary: bigValue });

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

/**
 * The arbitraries of a task document. `noise` weighs odd values against sensible ones (10): high noise finds
 * crashes in validation, low noise gets documents through validation to the mapping compiler.
 */
export function taskDocument(noise: number): fc.Arbitrary<unknown> {
  const or = <T>(sensible: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown> = oddString) => fc.oneof({ weight: 10, arbitrary: sensible as fc.Arbitrary<unknown> }, { weight: noise, arbitrary: odd });
  const ruleId = or(fc.nat({ max: 20 }).map(String));
  const ruleName = or(fc.constantFrom('r1', 'r2', 'r3'));
  const name = or(wildcard.filter((w) => w !== ''));
  /** Keys that belong to other rule types' locators, now and then. */
  const strayKeys = fc.record({ 'table-type': maybe(fc.constantFrom('table', 'view', 'all', 'x')), 'data-type': maybe(fc.constantFrom(...DATA_TYPES)) }, { requiredKeys: [] });
  const withStray = <T extends object>(a: fc.Arbitrary<T>) => (noise === 0 ? a : fc.tuple(a, fc.option(strayKeys, { nil: undefined, freq: 5 })).map(([x, y]) => ({ ...x, ...y })));
  const tableLocator = withStray(fc.record({ 'schema-name': name, 'table-name': name }));
  const selectionLocator = withStray(fc.record({ 'schema-name': name, 'table-name': name, 'table-type': maybe(or(fc.constant('table'), fc.constantFrom('view', 'all', 'x'))) }, { requiredKeys: ['schema-name', 'table-name'] }));
  const columnLocator = withStray(fc.record({ 'schema-name': name, 'table-name': name, 'column-name': name, 'data-type': maybe(fc.constantFrom(...DATA_TYPES)) }, { requiredKeys: ['schema-name', 'table-name'] }));
  const dataType = fc.record({ type: or(fc.constantFrom(...DATA_TYPES)), precision: maybe(intString), scale: maybe(intString), length: maybe(intString) }, { requiredKeys: ['type'] });
  const filterValue = or(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), scalar);
  const condition = fc.oneof(
    fc.record({ 'filter-operator': fc.constantFrom('eq', 'noteq', 'lte', 'ste', 'gte'), value: filterValue }),
    fc.record({ 'filter-operator': fc.constantFrom('between', 'notbetween'), 'start-value': filterValue, 'end-value': filterValue }),
    fc.record({ 'filter-operator': fc.constantFrom('null', 'notnull') }),
    ...(noise > 0 ? [fc.record({ 'filter-operator': fc.constantFrom('like', 'eq'), value: maybe(scalar), 'start-value': maybe(scalar) }, { requiredKeys: ['filter-operator'] })] : []),
  );
  const filter = fc.record({
    'filter-type': or(fc.constant('source'), fc.constant('target')), 'column-name': or(fc.constantFrom('id', 'c', 'x y')),
    'filter-conditions': fc.array(condition, { minLength: noise > 0 ? 0 : 1, maxLength: noise > 0 ? 3 : 1 }),
  });
  const selection = fc.record({
    'rule-type': fc.constant('selection'), 'rule-id': ruleId, 'rule-name': ruleName,
    'rule-action': or(fc.constantFrom('include', 'include', 'include', 'exclude'), fc.constantFrom('grab', 'explicit')),
    'object-locator': selectionLocator, 'load-order': maybe(or(fc.integer({ min: -5, max: 100 }), intString)), filters: maybe(fc.array(filter, { maxLength: 2 })),
  }, { requiredKeys: ['rule-type', 'rule-id', 'rule-name', 'rule-action', 'object-locator'] });
  // A transformation: mostly an action with a target and the fields it takes (ACTION_SPECS), now and then anything.
  const transformation = fc.tuple(fc.constantFrom(...TRANSFORMATION_ACTIONS), fc.nat(), fc.boolean()).chain(([action, pick, stray]) => {
    const spec = ACTION_SPECS[action];
    const sensibleTarget = spec.targets[pick % spec.targets.length]!;
    const needs = new Set<string>(spec.needs);
    const field = <T>(key: string, a: fc.Arbitrary<T>) => (needs.has(key) ? a.map((x): T | undefined => x) : noise > 0 && stray ? maybe(a) : fc.constant(undefined));
    return fc.record({
      'rule-type': fc.constant('transformation'), 'rule-id': ruleId, 'rule-name': ruleName,
      'rule-target': or(fc.constant(sensibleTarget), fc.constantFrom('schema', 'table', 'column', 'table-tablespace', 'index-tablespace')),
      'rule-action': or(fc.constant(action), fc.constant('explode')),
      'object-locator': sensibleTarget === 'schema' ? withStray(fc.record({ 'schema-name': name })) : sensibleTarget === 'table' ? tableLocator : columnLocator,
      value: field('value', or(fc.constantFrom('x', 'new_name', '#', 'DMS_', '$a || 1'))),
      'old-value': field('old-value', or(fc.constantFrom('x', 'old_'))),
      expression: action === 'add-column' ? maybe(or(fc.constantFrom(...EXPRESSIONS))) : field('expression', or(fc.constantFrom(...EXPRESSIONS))),
      'data-type': field('data-type', dataType),
      'primary-key-def': field('primary-key-def', fc.record({ name: or(fc.constant('pk')), origin: or(fc.constant('primary-key'), fc.constant('unique-index')), columns: fc.array(or(fc.constantFrom('id', 'c', 'nope')), { minLength: 1, maxLength: 3 }) })),
      'before-image-def': field('before-image-def', fc.record({ 'column-prefix': or(fc.constant('BI_')), 'column-filter': or(fc.constantFrom('pk-only', 'non-lob', 'all'), fc.constant('x')) })),
    }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  });
  const tableSettings = fc.record({
    'rule-type': fc.constant('table-settings'), 'rule-id': ruleId, 'rule-name': ruleName, 'object-locator': tableLocator,
    'parallel-load': maybe(fc.record({ type: fc.constantFrom('partitions-auto', 'ranges', 'none', 'partitions-list'), columns: maybe(fc.array(oddString, { maxLength: 2 })), boundaries: maybe(fc.array(fc.array(oddString, { maxLength: 2 }), { maxLength: 2 })) }, { requiredKeys: ['type'] })),
    'lob-settings': maybe(fc.record({ mode: fc.constantFrom('limited', 'unlimited', 'none', 'x'), 'bulk-max-size': maybe(intString) }, { requiredKeys: [] })),
  }, { requiredKeys: ['rule-type', 'rule-id', 'rule-name', 'object-locator'] });
  const objectMapping = fc.record({
    'rule-type': fc.constant('object-mapping'), 'rule-id': ruleId, 'rule-name': ruleName,
    'rule-action': fc.constantFrom('map-record-to-record', 'map-record-to-document'), 'object-locator': tableLocator,
    'target-table-name': maybe(oddString), 'kafka-target-topic': maybe(oddString),
    'mapping-parameters': maybe(fc.record({
      'partition-key-type': maybe(fc.constantFrom('schema-table', 'primary-key', 'constant', 'attribute-name')),
      'attribute-mappings': maybe(fc.array(fc.record({ 'target-attribute-name': maybe(oddString), 'attribute-name': maybe(oddString), value: fc.oneof(oddString, anyValue) }), { maxLength: 3 })),
    }, { requiredKeys: [] })),
  }, { requiredKeys: ['rule-type', 'rule-id', 'rule-name', 'rule-action', 'object-locator'] });
  const rule = fc.oneof({ weight: 30, arbitrary: selection }, { weight: 40, arbitrary: transformation }, { weight: 10, arbitrary: tableSettings }, { weight: 5, arbitrary: objectMapping }, { weight: noise, arbitrary: anyValue });

  const skeleton = fc.record({
    name: or(fc.constantFrom('shop', 'a.b-c_1')),
    source: fc.record({
      engine: or(fc.constantFrom('mysql', 'mariadb', 'postgres')), host: or(fc.constant('127.0.0.1')),
      user: or(fc.constant('cdc')), password: or(fc.constantFrom('pw-fuzz-literal', '${env:FERRY_FUZZ_SECRET}')),
      port: maybe(or(fc.integer({ min: 1, max: 65535 }), fc.oneof(fc.integer({ min: -1, max: 70_000 }), oddString))), database: or(fc.constant('shop')),
    }, { requiredKeys: ['engine', 'host', 'user', 'password'] }),
    migrationType: or(fc.constantFrom('full-load', 'cdc', 'full-load-and-cdc')),
    tableMappings: fc.record({ rules: fc.tuple(selection, fc.array(rule, { maxLength: 7 })).map(([first, rest]) => [first, ...rest]) }),
    kafka: maybe(fc.record({ brokers: fc.array(or(fc.constant('127.0.0.1:9092')), { minLength: 1, maxLength: 2 }), schemaRegistry: or(fc.constantFrom('http://127.0.0.1:8081/x', 'http://u:${env:FERRY_FUZZ_SECRET}@127.0.0.1:8081/x')) })),
    targets: maybe(fc.array(fc.record({ type: or(fc.constantFrom(...SINK_TYPES)), name: maybe(or(fc.constantFrom('t1', 't2'))), password: maybe(oddString), extra: maybe(anyValue) }, { requiredKeys: ['type'] }), { maxLength: 3 })),
    settings: maybe(or(fc.record({ offsetStore: fc.constantFrom('kafka', 'sqlite', 'auto', 'x'), stateDir: maybe(fc.constant('state')) }, { requiredKeys: [] }), anyValue)),
  }, { requiredKeys: ['name', 'source', 'migrationType', 'tableMappings'] });

  /** A mutation: follow `steps` (indices into keys) from the root, then set or delete a key there. */
  const mutation = fc.record({ steps: fc.array(fc.nat(), { maxLength: 6 }), key: fc.oneof(fc.nat({ max: 8 }), oddString), op: fc.constantFrom('set', 'set', 'delete'), value });
  return fc.tuple(skeleton, fc.array(mutation, { maxLength: noise > 0 ? 4 : 0 }), fc.oneof({ weight: 20, arbitrary: fc.constant(null) }, { weight: noise, arbitrary: anyValue }))
    .map(([doc, mutations, replaceWith]) => {
      if (replaceWith !== null) return replaceWith; // now and then, not a task at all
      const root = structuredClone(doc) as Record<string, unknown>;
      // Mostly sensible documents get rule ids and names of their own (duplicates would stop them at validation).
      const rules = (root.tableMappings as { rules: unknown[] }).rules;
      if (noise < 5) rules.forEach((r, i) => { if (r !== null && typeof r === 'object') Object.assign(r, { 'rule-id': String(i + 1), 'rule-name': `rule-${i + 1}` }); });
      for (const m of mutations) {
        let cur: unknown = root;
        for (const s of m.steps) {
          if (cur === null || typeof cur !== 'object') break;
          const keys = Object.keys(cur);
          if (keys.length === 0) break;
          const next = (cur as Record<string, unknown>)[keys[s % keys.length]!];
          if (next === null || typeof next !== 'object') break;
          cur = next;
        }
        if (cur === null || typeof cur !== 'object') continue;
        const keys = Object.keys(cur);
        // Lists get items only: JSON and YAML cannot give a list a named key (a list with its own "constructor"
        // breaks Array.prototype.map everywhere, and no input Ferry reads can make one).
        const key = Array.isArray(cur) ? String(typeof m.key === 'number' ? m.key % (cur.length + 1) : cur.length)
          : typeof m.key === 'number' && keys.length > 0 ? keys[m.key % keys.length]! : String(m.key);
        if (m.op === 'delete') {
          if (Array.isArray(cur)) cur.splice(Number(key), 1);
          else delete (cur as Record<string, unknown>)[key];
        } else (cur as Record<string, unknown>)[key] = m.value;
      }
      return root;
    });
}

/** Noisy documents, mostly sensible ones, and ones with no noise at all. */
const document = fc.oneof({ weight: 1, arbitrary: taskDocument(10) }, { weight: 1, arbitrary: taskDocument(2) }, { weight: 2, arbitrary: taskDocument(0) });

/** YAML text: a document written out (then maybe cut or spliced), aliases and anchors, or YAML-ish noise. */
const yamlText = fc.oneof(
  fc.tuple(document, fc.nat(), fc.string({ maxLength: 8 })).map(([d, at, insert]) => {
    const text = stringify(d ?? null);
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + insert + text.slice(i);
  }),
  fc.array(fc.constantFrom('[', ']', '{', '}', ':', ' ', '\n', '- ', '&a ', '*a', '&b ', '*b', '<<: ', '!!str ', '!!binary ', '"', "'", '#', '|', '>', 'k', '?', ',', '%YAML 1.1\n', '---\n', '...\n', '\t'), { maxLength: 200 }).map((a) => a.join('')),
  fc.integer({ min: 1, max: 12 }).map((n) => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    return lines.join('\n');
  }),
);

const input = fc.oneof({ weight: 3, arbitrary: document.map((doc) => ({ doc })) }, { weight: 1, arbitrary: yamlText.map((text) => ({ text })) });

const fragments = (() => {
  const out: string[] = [];
  for (const form of [FUZZ_SECRET, JSON.stringify(FUZZ_SECRET).slice(1, -1)]) for (let i = 0; i + 8 <= form.length; i++) out.push(form.slice(i, i + 8));
  return out;
})();

function summary(v: unknown): string {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' && x.length > 200 ? `${x.slice(0, 200)}…(${x.length} chars)` : x));
    return s === undefined ? String(v) : s.length > 4000 ? `${s.slice(0, 4000)}…(${s.length} chars)` : s;
  } catch (e: unknown) {
    return `(not serialisable: ${String(e)})`;
  }
}

/** Checks one case; throws (a plain Error, for fast-check) with what went wrong. */
function checkCase(c: { doc?: unknown; text?: string }, o: FuzzOptions): string {
  // CPU time of this thread, not wall time: on a busy machine the thread may wait for a core (a hang is caught by
  // the test's wall-clock limit on the whole run).
  const cpu = () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; };
  const started = cpu();
  let result: unknown;
  try {
    const doc = c.text !== undefined ? parseTaskText(c.text, 'fuzz.yaml') : c.doc;
    const task = parseTask(doc, { env: ENV, baseDir: o.baseDir, cwd: o.baseDir });
    // A task that passes: compile its mapping and plan two tables with it, as `ferry plan` would.
    const selector = createTableSelector(task.tableMappings);
    const transformer = new MappingTransformer(task.tableMappings);
    for (const t of [table('shop', 't x', [col('id', 'int32'), col('c')]), table('s'.repeat(300), `${'a'.repeat(2000)}#`, [col('id', 'int32'), col('_x'), col('%')])]) {
      if (selector.includes(t.id)) transformer.plan(t);
    }
    result = 'ok';
  } catch (e: unknown) {
    if (!(e instanceof FerryError) || !Object.hasOwn(ERROR_CODES, e.code)) {
      throw new Error(`uncoded error: ${e instanceof Error ? e.stack : String(e)}`, { cause: e });
    }
    if (e instanceof ConfigError && e.problems.length > TASK_INPUT_LIMITS.maxProblems) throw new Error(`${e.problems.length} problems listed`, { cause: e });
    result = e;
  }
  const ms = cpu() - started;
  if (ms > o.caseLimitMs) throw new Error(`took ${Math.round(ms)} ms of CPU (limit ${o.caseLimitMs} ms)`);
  if (result instanceof FerryError) {
    const shown = `${result.message}\n${JSON.stringify(result.details ?? {})}`;
    const leak = fragments.find((f) => shown.includes(f));
    if (leak !== undefined) throw new Error(`the error shows part of the planted secret (${JSON.stringify(leak)}): ${result.message.slice(0, 2000)}`);
    return result.code;
  }
  return 'success';
}

export interface FuzzResult {
  readonly failed: boolean;
  readonly report: string;
  readonly numRuns: number;
  /** How the cases ended: 'success' or an error code → count. */
  readonly outcomes: Readonly<Record<string, number>>;
}

export function runFuzz(o: FuzzOptions, onCase: (index: number, input: string) => void): FuzzResult {
  let index = 0;
  const outcomes: Record<string, number> = {};
  const details = fc.check(fc.property(input, (c) => {
    onCase(index++, summary(c));
    const outcome = checkCase(c, o);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }), { seed: o.seed, numRuns: o.numRuns, interruptAfterTimeLimit: o.timeLimitMs, markInterruptAsFailure: false });
  const error = details.errorInstance instanceof Error ? `\nError: ${details.errorInstance.message}` : details.errorInstance !== null && details.errorInstance !== undefined ? `\nError: ${String(details.errorInstance)}` : '';
  return { failed: details.failed, report: `${fc.defaultReportMessage(details) ?? ''}${error}`, numRuns: details.numRuns, outcomes };
}

if (parentPort && workerData) {
  const port = parentPort;
  const o = workerData as FuzzOptions;
  const result = runFuzz(o, (index, text) => port.postMessage({ kind: 'case', index, input: text }));
  port.postMessage({ kind: 'done', ...result });
}
