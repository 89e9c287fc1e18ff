// The console's history ring buffer (task-history.ts): events/s from the durable counts between samples, a reload's
// drop counted as 0, latencies only while running, the hour's capacity, failures with their code and its meaning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../../../core/src/errors.ts';
import { TaskHistory } from '../../../src/tasks-api/task-history.ts';
import type { LatencyView, TableStatistics } from '../../../src/tasks-api/task-statistics.ts';

const latency: LatencyView = { sourceMs: 120, targetMs: 340, lastChangeSourceTime: null, lastChangeWrittenTime: null };
const table = (counts: Partial<TableStatistics>): TableStatistics => ({
  schemaName: 's', tableName: 't', inserts: 0, updates: 0, deletes: 0, ddls: 0, fullLoadRows: 0, fullLoadReloaded: false,
  fullLoadStartTime: null, fullLoadEndTime: null, lastUpdateTime: null, tableState: 'Full load', validationState: 'Not enabled',
  validationValidatedRecords: 0, validationPendingRecords: 0, validationFailedRecords: 0, validationSuspendedRecords: 0, validationStateDetails: null, ...counts,
});

test('history: events/s between samples, a falling total as 0, latencies only while running, an hour kept', () => {
  const h = new TaskHistory(1000);
  const t0 = Date.parse('2026-12-07T00:00:00Z');
  let s = h.sample('a', 'running', latency, [table({ fullLoadRows: 100 })], true, t0);
  assert.equal(s.eventsPerSecond, null);
  assert.equal(s.eventsTotal, 100);
  s = h.sample('a', 'running', latency, [table({ fullLoadRows: 600, inserts: 3, updates: 2, deletes: 1, ddls: 1 }), table({ tableName: 'u', fullLoadRows: 43 })], true, t0 + 2000);
  assert.equal(s.eventsTotal, 650);
  assert.equal(s.eventsPerSecond, 275); // (650 - 100) / 2 s
  assert.deepEqual([s.sourceLatencyMs, s.targetLatencyMs], [120, 340]);
  s = h.sample('a', 'running', latency, [table({ fullLoadRows: 10 })], true, t0 + 3000); // a reload started the rows over
  assert.equal(s.eventsPerSecond, 0);
  s = h.sample('a', 'stopped', latency, [table({ fullLoadRows: 11 })], false, t0 + 6000);
  assert.equal(s.eventsPerSecond, 0.3); // 1 event in 3 s, one decimal
  assert.deepEqual([s.sourceLatencyMs, s.targetLatencyMs], [null, null]);
  assert.equal(h.eventsPerSecond('a'), 0.3);
  assert.equal(h.eventsPerSecond('nosuch'), null);
  for (let i = 1; i <= 4000; i++) h.sample('a', 'stopped', latency, [], false, t0 + 6000 + i * 1000);
  const v = h.view('a');
  assert.equal(v.samples.length, 3600);
  assert.equal(v.samples.at(-1)!.time, new Date(t0 + 6000 + 4000 * 1000).toISOString());
  h.forget('a');
  assert.deepEqual(h.view('a'), { name: 'a', sampleMs: 1000, samples: [], events: [] });
});

test('history: state changes, a failure with its code, meaning and disposition; the last 50 kept', () => {
  const h = new TaskHistory();
  h.event('a', 'running', null, null, '2026-12-07T00:00:00.000Z');
  h.event('a', 'failed', 'the source database rejected the login', 'FERRY_SOURCE_AUTH', '2026-12-07T00:00:01.000Z');
  const v = h.view('a');
  assert.deepEqual(v.events, [
    { time: '2026-12-07T00:00:00.000Z', state: 'running', reason: null, code: null, meaning: null, disposition: null },
    { time: '2026-12-07T00:00:01.000Z', state: 'failed', reason: 'the source database rejected the login', code: 'FERRY_SOURCE_AUTH', meaning: ERROR_CODES.FERRY_SOURCE_AUTH.meaning, disposition: 'fatal' },
  ]);
  for (let i = 0; i < 60; i++) h.event('a', 'running', `run ${i}`);
  assert.equal(h.view('a').events.length, 50);
  assert.equal(h.view('a').events[0]!.reason, 'run 10');
});
