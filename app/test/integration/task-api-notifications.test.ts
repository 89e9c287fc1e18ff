// `ferry serve`'s task manager sends the creation, configuration-change and deletion events of a task to its own
// settings.notifications subscriptions (docs/notifications.md), read back by a webhook receiver that checks the HMAC
// itself. The task never runs: these events come from the API, not the pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { TaskManager } from '../../src/tasks-api/task-manager.ts';
import { SqliteTaskStore } from '../../src/tasks-api/task-store.ts';
import { createLogger } from '../../../runtime/src/log/logger.ts';
import { services } from '../../../test/helpers/services.ts';
import { startWebhookReceiver } from '../../../test/helpers/notification-receivers.ts';

const SECRET = 's5b-api-webhook-secret-77';

test('the task API notifies creation, configuration change and deletion', { timeout: 30000 }, async (t) => {
  const receiver = await startWebhookReceiver({ secret: SECRET });
  t.after(() => receiver.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-s5b-api-'));
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const manager = await TaskManager.open({ store: new SqliteTaskStore({ path: join(dataDir, 'tasks.db') }), log, dataDir, env: { FERRY_SECRET_S5B_HOOK: SECRET, FERRY_SECRET_S5B_PW: 'cdc' } });
  const name = 's5b_api_notify';
  await manager.create({
    name, migrationType: 'cdc',
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: '${env:FERRY_SECRET_S5B_PW}' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 's5bapi', 'table-name': 'a' } }] },
    targets: [{ type: 'postgres', host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: '${env:FERRY_SECRET_S5B_PW}', database: 'postgres' }],
    settings: { offsetStore: 'sqlite', metrics: { enabled: false }, notifications: { subscriptions: [{ name: 'ops', type: 'webhook', url: receiver.url, secret: '${env:FERRY_SECRET_S5B_HOOK}' }] } },
  });
  await manager.addTables(name, ['s5bapi.b']);
  await manager.delete(name);
  await manager.shutdown();

  const got = receiver.delivered().map((r) => r.json as { type: string; source: string; data: { task: string; message: string } });
  assert.deepEqual(got.map((e) => e.type), ['io.ferry.task.creation', 'io.ferry.task.configuration-change', 'io.ferry.task.deletion']);
  assert.ok(got.every((e) => e.source === `/ferry/tasks/${name}` && e.data.task === name));
  assert.deepEqual(got.map((e) => e.data.message), [`task ${name} created (cdc)`, `task ${name}: its table selection changed`, `task ${name} deleted`]);
  assert.ok(receiver.requests.every((r) => r.verified));
});
