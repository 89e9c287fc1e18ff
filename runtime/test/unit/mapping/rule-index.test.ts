// Rule indexing by name (issue 24: a task selecting 2,000 tables by name): the indexed matchers must select exactly
// what testing every rule against every table selects. The oracles below are the straightforward algorithms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { indexRules } from '../../../src/mapping/rule-index.ts';
import { compileDmsPattern, exactName, type DmsPattern } from '../../../src/mapping/wildcard.ts';
import { createTableSelector } from '../../../src/mapping/table-selection.ts';
import { compileMapping } from '../../../src/mapping/transform-rules.ts';
import type { SelectionRule, TableMapping } from '../../../src/config/table-mapping-schema.ts';
import type { TableId } from '../../../../core/src/types.ts';
import { col, mapping, table } from './helpers.ts';

// Small alphabets so that wildcards, literals and names collide often.
const nameArb = fc.array(fc.constantFrom('a', 'b', 'x', '_', '['), { maxLength: 4 }).map((cs) => cs.join(''));
const patternArb = fc.array(fc.constantFrom('a', 'b', 'x', '%', '_', '[_]', '[ab]', '[a-b]', '['), { maxLength: 4 }).map((ts) => ts.join(''));
const idArb = fc.record({ schema: nameArb, table: nameArb });

/** The old selector: every rule tested against the table. */
function bruteSelector(m: TableMapping) {
  const rules = m.rules.filter((r): r is SelectionRule => r['rule-type'] === 'selection').map((r) => {
    const loc = r['object-locator'];
    const exact = r['rule-action'] === 'explicit';
    return { action: r['rule-action'], schema: exact ? exactName(loc['schema-name']) : compileDmsPattern(loc['schema-name']), table: exact ? exactName(loc['table-name']) : compileDmsPattern(loc['table-name']), loadOrder: Number(r['load-order'] ?? 0) };
  });
  const matches = (r: (typeof rules)[number], id: TableId) => r.schema.test(id.schema) && r.table.test(id.table);
  return {
    includes: (id: TableId) => rules.some((r) => r.action !== 'exclude' && matches(r, id)) && !rules.some((r) => r.action === 'exclude' && matches(r, id)),
    loadOrder: (id: TableId) => Math.max(0, ...rules.filter((r) => r.action !== 'exclude' && matches(r, id)).map((r) => r.loadOrder)),
  };
}

const selection = (id: number, action: string, schema: string, tbl: string, extra: Record<string, unknown> = {}) => ({
  'rule-type': 'selection', 'rule-id': String(id), 'rule-name': `s${id}`, 'rule-action': action, 'object-locator': { 'schema-name': schema, 'table-name': tbl }, ...extra,
});

test('indexRules gives the rules a full scan matches, in the given order (random patterns, null tables)', () => {
  const locatorArb = fc.record({ schema: patternArb, table: fc.option(patternArb, { nil: null }), exact: fc.boolean() });
  fc.assert(fc.property(fc.array(locatorArb, { maxLength: 40 }), fc.array(idArb, { minLength: 1, maxLength: 20 }), (locs, ids) => {
    const rules = locs.map((l, i) => {
      const p = (s: string): DmsPattern => (l.exact ? exactName(s) : compileDmsPattern(s));
      return { i, schema: p(l.schema), table: l.table === null ? null : p(l.table) };
    });
    const index = indexRules(rules, (r) => r);
    for (const id of ids) {
      const expected = rules.filter((r) => r.schema.test(id.schema) && (r.table === null || r.table.test(id.table))).map((r) => r.i);
      assert.deepEqual(index.matching(id).map((r) => r.i), expected, JSON.stringify(id));
    }
  }), { numRuns: 300 });
});

test('a selector with 2,000 per-table rules plus wildcard include/exclude rules selects what a full scan selects', () => {
  // Per-table names as W6 has them: `_` in an include/exclude rule is a wildcard (t_0042 matches tx0042 too);
  // explicit rules take exact names without wildcards, so they name tNNNN.
  const schemas = ['app', 'appx', 'crm'];
  const nameOf = (k: number, how: number) => `${['t_', 't', 'tx'][how]}${String(k).padStart(4, '0')}`;
  const extraArb = fc.oneof(
    fc.record({
      action: fc.constantFrom('include', 'exclude'),
      schema: fc.constantFrom('app', 'appx', 'app%', 'app_', 'app[_]x', '%', 'a_p', 'crm'),
      table: fc.constantFrom('%', 't[_]00%', 't_1%', 't_0001', 't_19[0-9][0-9]', 't[_]0042', 'x%', 'tx%', '%1'),
      loadOrder: fc.integer({ min: 0, max: 9 }),
    }),
    fc.record({ action: fc.constant('explicit'), schema: fc.constantFrom('app', 'crm'), table: fc.constantFrom('t0001', 't0002', 'x1'), loadOrder: fc.integer({ min: 0, max: 9 }) }),
  );
  const perTableArb = fc.record({ action: fc.constantFrom('include', 'include', 'explicit', 'exclude'), schema: fc.constantFrom(...schemas), loadOrder: fc.integer({ min: 0, max: 3 }) });
  fc.assert(fc.property(fc.array(perTableArb, { minLength: 2000, maxLength: 2000 }), fc.array(extraArb, { maxLength: 8 }), fc.array(fc.tuple(fc.nat(2099), fc.nat(2), fc.constantFrom(...schemas)), { minLength: 50, maxLength: 200 }), (perTable, extra, picks) => {
    let ruleId = 0;
    const rules = [
      ...extra.map((e) => selection(++ruleId, e.action, e.schema, e.table, { 'load-order': String(e.loadOrder) })),
      ...perTable.map((p, k) => selection(++ruleId, p.action, p.schema, nameOf(k, p.action === 'explicit' ? 1 : 0), { 'load-order': String(p.loadOrder) })),
    ];
    const m = mapping(...rules);
    const indexed = createTableSelector(m);
    const brute = bruteSelector(m);
    // Tables named by a rule, names a `_` matches, and names no rule names (numbers past 1999).
    for (const [k, how, schema] of picks) {
      const id = { schema, table: nameOf(k, how) };
      assert.equal(indexed.includes(id), brute.includes(id), `includes ${JSON.stringify(id)}`);
      assert.equal(indexed.loadOrder(id), brute.loadOrder(id), `loadOrder ${JSON.stringify(id)}`);
    }
  }), { numRuns: 15 });
});

test('compileMapping with 2,000 per-table rename and filtered selection rules: target ids and filter rules match a full scan', () => {
  const names = Array.from({ length: 2000 }, (_, k) => `t_${String(k).padStart(4, '0')}`);
  const filter = [{ 'filter-type': 'source', 'column-name': 'id', 'filter-conditions': [{ 'filter-operator': 'gte', value: '1' }] }];
  fc.assert(fc.property(fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }), fc.constantFrom('t[_]00%', 't_1%', '%'), fc.array(fc.tuple(fc.nat(2099), fc.boolean()), { minLength: 20, maxLength: 60 }), (renamed, wild, picks) => {
    let ruleId = 0;
    const selections = [
      selection(++ruleId, 'include', 'app', wild, { filters: filter }),
      ...names.map((t) => selection(++ruleId, 'include', 'app', t, { filters: filter })),
      selection(++ruleId, 'include', 'a%', '%'),
    ];
    const transformations = [
      { 'rule-type': 'transformation', 'rule-id': String(++ruleId), 'rule-name': 'wild', 'rule-target': 'table', 'rule-action': 'add-suffix', value: '_w', 'object-locator': { 'schema-name': 'app', 'table-name': wild } },
      ...names.flatMap((t, k) => (renamed[k] ? [{ 'rule-type': 'transformation', 'rule-id': String(++ruleId), 'rule-name': `r${k}`, 'rule-target': 'table', 'rule-action': 'rename', value: `${t}_new`, 'object-locator': { 'schema-name': 'app', 'table-name': t } }] : [])),
    ];
    const m = mapping(...selections, ...transformations);
    const compiled = compileMapping(m);
    for (const [k, x] of picks) {
      const id = { schema: 'app', table: `t${x ? 'x' : '_'}${String(k).padStart(4, '0')}` };
      // Oracle: the lowest rule-id table rename/suffix rule matching the table; every include/explicit rule matching it.
      const tableRule = transformations.find((r) => compileDmsPattern(r['object-locator']['table-name']).test(id.table));
      const expectedTable = tableRule === undefined ? id.table : tableRule['rule-action'] === 'rename' ? tableRule.value : id.table + tableRule.value;
      assert.deepEqual(compiled.targetId(id), { schema: 'app', table: expectedTable });
      const expectedFilterRules = selections.filter((s) => {
        const loc = s['object-locator'];
        return compileDmsPattern(loc['schema-name']).test('app') && compileDmsPattern(loc['table-name']).test(id.table);
      }).map((s) => s['rule-id']);
      const p = compiled.plan(table(id.schema, id.table, [col('id', 'int32')]));
      assert.deepEqual(p.filterRules.map((f) => f.ruleId), expectedFilterRules);
      assert.deepEqual(p.target.id, { schema: 'app', table: expectedTable });
    }
  }), { numRuns: 10 });
});

test('indexRules: past its schema cache (hundreds of schemas) the answers stay those of a full scan', () => {
  const rules = [['%', 't1'], ['s5', '%'], ['s1%', 't_'], ['s__', 't2']].map(([schema, tbl], i) => ({ i, schema: compileDmsPattern(schema!), table: compileDmsPattern(tbl!) }));
  const index = indexRules(rules, (r) => r);
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < 600; k++) {
      for (const tbl of ['t1', 't2', 'tx']) {
        const id = { schema: `s${k}`, table: tbl };
        assert.deepEqual(index.matching(id).map((r) => r.i), rules.filter((r) => r.schema.test(id.schema) && r.table.test(id.table)).map((r) => r.i), JSON.stringify(id));
      }
    }
  }
});
