// The pure parts of validation: row-by-row comparison (kinds, keys, differing columns, Node-canonicalized families)
// and the load bounds (the semaphore never runs more than its slots; the rate limit spaces ranges by their rows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRows } from '../../../src/validation/row-compare.ts';
import { mapConcurrent, RowRate, Semaphore } from '../../../src/validation/limits.ts';
import { canonicalInNode, rowTextSql } from '../../../src/validation/canonical.ts';
import type { ColumnPair, Family } from '../../../src/validation/model.ts';

const pair = (source: string, family: Family): ColumnPair => {
  const t = { name: source, dataType: 'x', columnType: 'x', unsigned: false, array: false, enumType: false, json: false };
  return { source, target: source.toUpperCase(), family, rtrim: false, sourceType: t, targetType: t };
};

test('compareRows: MISSING_TARGET, MISSING_SOURCE and RECORD_DIFF with the differing source columns, matched by the composite key', () => {
  const plan = { keyCount: 2, pairs: [pair('a', 'int'), pair('b', 'text'), pair('v', 'text'), pair('f', 'float'), pair('j', 'json')] };
  const source = [
    ['1', 'x', 'same', '1e20', '{"b":1,"a":2}'],
    ['1', 'y', 'left', '0.5', null],
    ['2', 'x', 'gone', null, '[]'],
    ['3', 'x', null, '1', '{}'],
  ];
  const target = [
    ['1', 'x', 'same', '1e+20', '{"a": 2, "b": 1}'], // equal once canonicalized: 1e20 = 1e+20, keys sorted
    ['1', 'y', 'right', '0.25', null],
    ['3', 'x', '', '1', '{}'], // '' is not NULL
    ['4', 'x', 'extra', null, null],
  ];
  assert.deepEqual(compareRows(plan, source, target), [
    { type: 'RECORD_DIFF', key: { a: '1', b: 'y' }, columns: ['v', 'f'] },
    { type: 'MISSING_TARGET', key: { a: '2', b: 'x' }, columns: [] },
    { type: 'RECORD_DIFF', key: { a: '3', b: 'x' }, columns: ['v'] },
    { type: 'MISSING_SOURCE', key: { a: '4', b: 'x' }, columns: [] },
  ]);
  assert.deepEqual(compareRows(plan, [], []), []);
});

test('canonicalInNode: floats by value, JSON with sorted keys, NULL stays NULL', () => {
  assert.equal(canonicalInNode('float', '1e20'), canonicalInNode('float', '1e+20'));
  assert.equal(canonicalInNode('float', '0.00000015'), canonicalInNode('float', '1.5e-07'));
  assert.notEqual(canonicalInNode('float', '0.1'), canonicalInNode('float', '0.10000000149011612'));
  assert.equal(canonicalInNode('json', '{"b": [1, {"d": 1, "c": 2}], "a": null}'), '{"a":null,"b":[1,{"c":2,"d":1}]}');
  assert.equal(canonicalInNode('json', null), null);
});

test('rowTextSql: free text is length-prefixed, other families only delimited, NULL is ~', () => {
  assert.equal(rowTextSql('mysql', [{ expr: 'a', family: 'int' }, { expr: 'b', family: 'text' }]), "CONCAT(IFNULL(a, '~'), '|', IFNULL(CONCAT(CHAR_LENGTH(b), ':', b), '~'), '|')");
  assert.equal(rowTextSql('postgres', [{ expr: 'a', family: 'int' }, { expr: 'b', family: 'json' }]), "coalesce(a, '~') || '|' || coalesce(length(b)::text || ':' || b, '~') || '|'");
});

test('Semaphore: never more than its slots at once; mapConcurrent keeps input order', async () => {
  const s = new Semaphore(3);
  let running = 0;
  let peak = 0;
  const out = await mapConcurrent(Array.from({ length: 20 }, (_, i) => i), 8, (i) => s.run(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5 + (i % 3)));
    running--;
    return i * 2;
  }));
  assert.equal(peak, 3);
  assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i * 2));
});

test('RowRate: 3,000 rows at 2,000 rows/s take about half a second past the one-second burst', async () => {
  const rate = new RowRate(2000);
  const t0 = Date.now();
  for (let i = 0; i < 6; i++) {
    await rate.wait();
    rate.charge(500);
  }
  await rate.wait();
  const ms = Date.now() - t0;
  assert.ok(ms >= 400 && ms < 1500, `${ms} ms`);
  const free = new RowRate(undefined);
  const t1 = Date.now();
  free.charge(1e9);
  await free.wait();
  assert.ok(Date.now() - t1 < 50, 'no limit: no wait');
});
