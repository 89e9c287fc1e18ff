// Readiness (runtime/src/health): a component's states and the /readyz report built from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readiness, reasonOf } from '../../src/health/readiness.ts';

const states = (r: Readiness) => Object.fromEntries(Object.entries(r.report().components).map(([k, v]) => [k, [v.state, v.reason, v.attempts]]));

test('a report is ready only when every component is, and names the others with their reasons', () => {
  const r = new Readiness();
  assert.deepEqual(r.report().notReady, ['process'], 'no component yet: not ready');
  assert.equal(r.report().ready, false);
  const source = r.component('source', 'connecting');
  const sinks = r.component('sinks', 'not written yet');
  assert.deepEqual(states(r), { source: ['starting', 'connecting', undefined], sinks: ['starting', 'not written yet', undefined] });
  source.ready();
  sinks.ready();
  assert.deepEqual(r.report(), { ready: true, notReady: [], components: r.report().components });
  sinks.retrying('ECONNREFUSED');
  sinks.retrying('ECONNREFUSED again');
  assert.deepEqual(r.report().notReady, ['sinks']);
  assert.deepEqual(states(r).sinks, ['retrying', 'ECONNREFUSED again', 2]);
  sinks.ready();
  assert.equal(r.report().ready, true);
  sinks.retrying('once more');
  assert.deepEqual(states(r).sinks, ['retrying', 'once more', 1], 'attempts count from the last ready');
});

test('stopping is final but for failed; failed is final', () => {
  const r = new Readiness();
  const a = r.component('a');
  const b = r.component('b');
  a.ready();
  b.failed('boom');
  b.ready();
  assert.deepEqual(states(r).b, ['failed', 'boom', undefined]);
  r.stopping();
  a.ready();
  assert.deepEqual(states(r), { a: ['stopping', 'the process is stopping', undefined], b: ['failed', 'boom', undefined] });
  a.failed('late');
  assert.deepEqual(states(r).a, ['failed', 'late', undefined]);
  r.remove('a');
  assert.deepEqual(r.report().notReady, ['b']);
});

test('reasonOf keeps the first line, at most 300 characters', () => {
  assert.equal(reasonOf(new Error('one\ntwo')), 'one');
  assert.equal(reasonOf('x'.repeat(400)).length, 300);
  assert.equal(reasonOf(42), '42');
});
