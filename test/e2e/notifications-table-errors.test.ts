// table-errors end to end (docs/notifications.md): a direct-mode MariaDB full load into a Parquet folder, where one
// row's TIME is outside one day (a Parquet TIME cannot hold it), dead-letters that row to <stateDir>/dlq/<target>.jsonl
// and sends a table-errors event naming the table, the target and the reason, read back by a webhook receiver that
// checks the HMAC itself; the full-load-completed event follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { createLogger } from '../../runtime/src/log/logger.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { startWebhookReceiver } from '../helpers/notification-receivers.ts';

const SECRET = 's5b-table-errors-secret-5';

test('a row a target rejects is dead-lettered and sends table-errors', { timeout: 60000 }, async (t) => {
  const db = uniqueName('s5b_tblerr');
  const root = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await root.query(`CREATE DATABASE ${db}`);
  await root.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, alarm TIME NOT NULL)`);
  await root.query(`INSERT INTO ${db}.t VALUES (1, '10:00:00'), (2, '-05:00:00'), (3, '23:59:59')`);
  const receiver = await startWebhookReceiver({ secret: SECRET });
  t.after(async () => { await root.query(`DROP DATABASE ${db}`); await root.end(); await receiver.close(); });

  const dir = mkdtempSync(join(tmpdir(), 'ferry-s5b-tblerr-'));
  process.env['S5B_TBLERR_SECRET'] = SECRET;
  const task = parseTask({
    name: db, migrationType: 'full-load',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    targets: [{ type: 'parquet', name: 'lake', location: join(dir, 'lake') }],
    settings: {
      metrics: { enabled: false }, stateDir: join(dir, 'state'),
      notifications: { subscriptions: [{ name: 'ops', type: 'webhook', url: receiver.url, secret: '${env:S5B_TBLERR_SECRET}', categories: ['table-errors', 'full-load-completed'] }] },
    },
  });
  await runTask({ task, log: createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) }), metrics: new PromMetrics({ collectProcessMetrics: false }) }, new AbortController().signal);

  const dlq = readFileSync(join(dir, 'state', 'dlq', 'lake.jsonl'), 'utf8').trim().split('\n');
  assert.equal(dlq.length, 1, 'one row dead-lettered');
  const got = receiver.delivered().map((r) => r.json as { type: string; subject?: string; data: { details: Record<string, unknown> } });
  assert.deepEqual(got.map((e) => e.type), ['io.ferry.task.table-errors', 'io.ferry.task.full-load-completed']);
  const d = got[0]!.data.details;
  assert.equal(got[0]!.subject, `${db}.t`);
  assert.deepEqual([d['target'], d['records'], d['stage']], ['lake', 1, 'sink']);
  assert.match(String(d['reason']), /outside one day/);
  assert.match(String(d['deadLetters']), /lake\.jsonl/);
  assert.ok(receiver.requests.every((r) => r.verified));
});
