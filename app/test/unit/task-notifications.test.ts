// The events runTask emits through TaskNotifications (app/src/task/task-notifications.ts): state changes, failures
// (a cancelled start is a stop), and validation mismatches only when the confirmed count grows, keyed so a restart
// reporting the same count gives the same id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseTask } from '../../src/task-file/load-task.ts';
import { TaskNotifications } from '../../src/task/task-notifications.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { TaskEvent } from '../../../runtime/src/events/task-events.ts';

const task = () => parseTask({
  name: 's5b-unit', migrationType: 'full-load-and-cdc',
  source: { engine: 'postgres', host: '127.0.0.1', user: 'u', password: 'p4ssw0rd-unit', database: 'd' },
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 'public', 'table-name': '%' } }] },
  targets: [{ type: 'postgres', host: '127.0.0.1', user: 'u', password: 'p4ssw0rd-unit', database: 'd' }],
  settings: { stateDir: mkdtempSync(join(tmpdir(), 'ferry-s5b-tn-')) },
});

async function events(body: (n: TaskNotifications) => void): Promise<TaskEvent[]> {
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const n = await TaskNotifications.open(task(), { log, metrics: new PromMetrics({ collectProcessMetrics: false }) });
  const seen: TaskEvent[] = [];
  n.bus.subscribe((e) => seen.push(e));
  body(n);
  await n.close();
  return seen;
}

test('state change, failure, and a cancelled start reported as a stop', async () => {
  const seen = await events((n) => {
    n.started();
    n.stopped({ events: 12, lastCommitted: 'pg:0000000001000000', snapshotDone: true });
    n.failed(new FerryError('FERRY_SOURCE_AUTH', 'password authentication failed for user "u"'));
    n.failed(new FerryError('FERRY_ABORTED', 'cancelled'));
  });
  assert.deepEqual(seen.map((e) => [e.category, e.details['state']]), [['state-change', 'running'], ['state-change', 'stopped'], ['failure', 'failed'], ['state-change', 'stopped']]);
  assert.deepEqual(seen[1]!.details, { state: 'stopped', events: 12, lastCommitted: 'pg:0000000001000000', fullLoadDone: true });
  assert.deepEqual(seen[2]!.details, { state: 'failed', code: 'FERRY_SOURCE_AUTH', disposition: 'fatal', error: 'password authentication failed for user "u"' });
  assert.equal(seen[2]!.message, 'task s5b-unit failed: password authentication failed for user "u"');
});

test('validation mismatch: only when the confirmed count of a table grows', async () => {
  const first = await events((n) => {
    n.validation('public.a', 0);
    n.validation('public.a', 3);
    n.validation('public.a', 3);
    n.validation('public.b', 1);
    n.validation('public.a', 5);
  });
  assert.deepEqual(first.map((e) => [e.table, e.details['failedRecords'], e.details['newFailedRecords']]), [['public.a', 3, 3], ['public.b', 1, 1], ['public.a', 5, 2]]);
  const again = await events((n) => n.validation('public.a', 3)); // a restart reporting the same count
  assert.equal(again[0]!.id, first[0]!.id);
});

test('a kafka subscription without brokers is refused in a task without a kafka block, naming the path', () => {
  const base = { name: 's5b-unit', migrationType: 'cdc', source: { engine: 'postgres', host: '127.0.0.1', user: 'u', password: 'p4ssw0rd-unit', database: 'd' }, tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 'public', 'table-name': '%' } }] }, targets: [{ type: 'postgres', host: '127.0.0.1', user: 'u', password: 'p4ssw0rd-unit', database: 'd' }] };
  assert.throws(() => parseTask({ ...base, settings: { notifications: { subscriptions: [{ name: 'k', type: 'kafka', topic: 'ferry.events' }] } } }),
    (e: Error) => /settings\.notifications\.subscriptions\[0\]\.brokers: kafka subscription k needs brokers/.test(e.message));
  assert.doesNotThrow(() => parseTask({ ...base, settings: { notifications: { subscriptions: [{ name: 'k', type: 'kafka', topic: 'ferry.events', brokers: ['127.0.0.1:9092'] }] } } }));
});
