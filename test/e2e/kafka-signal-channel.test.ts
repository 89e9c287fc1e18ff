// Debezium's Kafka signalling channel (docs/signals.md): execute-snapshot records on <topicPrefix>-signal drive an
// incremental snapshot of a MariaDB table; records keyed for another connector are skipped; a restart reads the topic
// from the offset stored with the snapshot's state, so the accepted signal is not applied again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../helpers/services.ts';
import { createProducer } from '../../runtime/src/kafka/kafka-client.ts';
import { readDecoded } from '../helpers/topic-reader.ts';
import { sleep, startTask } from '../helpers/signal-scenario.ts';

test('Kafka signal topic: execute-snapshot by topic-prefix key, other keys skipped, refusals logged, no replay after a restart', { timeout: 120000 }, async (t) => {
  const db = uniqueName('signals_kafka');
  const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  t.after(async () => { await c.query(`DROP DATABASE IF EXISTS ${db}`); await c.end(); });
  await c.query(`CREATE DATABASE ${db}`);
  await c.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v INT NOT NULL)`);
  await c.query(`INSERT INTO ${db}.items VALUES ${Array.from({ length: 120 }, (_, i) => `(${i + 1}, ${i * 3})`).join(',')}`);
  const run = await startTask(t, {
    name: db, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'items', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': 'items' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: db },
    settings: { snapshot: { chunkSize: 50 }, signals: { enabledChannels: ['kafka'] } },
  });
  const producer = createProducer({ brokers: services.brokers, clientId: 'ferry-test-signals' });
  t.after(() => producer.close());
  const send = (key: string, value: string) => producer.send([{ topic: `${db}-signal`, key: Buffer.from(key), value: Buffer.from(value) }]);
  const execute = JSON.stringify({ type: 'execute-snapshot', data: { 'data-collections': [`${db}.items`], type: 'INCREMENTAL' } });
  const snapshots = (all: Awaited<ReturnType<typeof run.list>>) => all.filter((s) => s.type === 'execute-snapshot');

  await send('another-connector', execute); // not for this task: skipped
  await send(db, '{not json');
  await send(db, execute);
  const done = await run.waitFor((all) => snapshots(all).find((s) => s.status === 'done'), 'the snapshot from the signal topic');
  assert.equal(done.rowsEmitted, 120);
  assert.equal(done.origin, `${db}-signal:0:2`);
  assert.equal(snapshots(await run.list()).length, 1, 'the record keyed for another connector was skipped');
  assert.ok(run.logs.some((l) => l.includes('"channel":"kafka"') && l.includes('is not JSON')), 'the malformed record was refused in the log');

  // a restart reads on from the stored offset: the accepted signal is not applied again
  await sleep(500);
  await run.restart();
  await sleep(2000);
  assert.deepEqual(snapshots(await run.list()), [], 'no signal replayed after the restart');
  // and new signals still arrive
  await send(db, JSON.stringify({ type: 'execute-snapshot', data: { 'data-collections': [`${db}.items`], 'additional-conditions': [{ 'data-collection': `${db}.items`, filter: 'id <= 10' }] } }));
  const again = await run.waitFor((all) => snapshots(all).find((s) => s.status === 'done'), 'the second snapshot');
  assert.equal(again.rowsEmitted, 10);
  await sleep(1500); // 'done' is when the rows left the snapshotter: let the pipeline write them
  await run.stop();

  const reads = (await readDecoded(`${db}.${db}.items`)).filter((r) => r.value?.op === 'r');
  assert.deepEqual(reads.map((r) => Number(r.value!.after!.id)), [...Array.from({ length: 120 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 1)]);
});
