// decimalHandlingMode double into the PostgreSQL sink: an unconstrained numeric column takes every double (finite
// values as their shortest round-trip text, NaN and ±Infinity as themselves), so a numeric column stays numeric; a
// numeric(p,s) one does not (it would round, and holds no infinity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holds, pgEncoder, typeChange } from '../../src/pg-types.ts';

const col = { name: 'n', type: { connect: 'float64' as const }, optional: true };

test('numeric holds double precision and real; numeric(p,s) does not', () => {
  assert.equal(holds('numeric', 'double precision'), true);
  assert.equal(holds('numeric', 'real'), true);
  assert.equal(holds('numeric(10,2)', 'double precision'), false);
  assert.equal(holds('double precision', 'numeric'), false);
  assert.equal(typeChange('numeric', 'double precision'), 'same');
});

test('doubles are written into numeric as text PostgreSQL reads back to the same double', () => {
  const enc = pgEncoder(col as never, 'numeric');
  assert.deepEqual([NaN, Infinity, -Infinity, 1.5, -1e29, 0.1, -0].map(enc), ['NaN', 'Infinity', '-Infinity', '1.5', '-1e+29', '0.1', '-0']);
});
