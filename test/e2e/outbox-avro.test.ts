// payloadFormat avro with additional fields (docs/outbox.md#avro-payloads), on a MariaDB outbox table: payloads of
// three shapes widen the derived value schema; read back through the registry with avsc (test/helpers/topic-reader.ts,
// not Ferry's router): the values, the key, the headers, the envelope field, and an update skipped, a delete ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../helpers/services.ts';
import { sleep, startFerry } from '../helpers/ferry-process.ts';
import { readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { decodeWire } from '../helpers/topic-reader.ts';

test('Avro outbox payloads: a schema derived from the payloads and widened, envelope and header fields', { timeout: 90000 }, async () => {
  const name = uniqueName('outbox_avro');
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`CREATE TABLE ${name}.events (event_id VARCHAR(64) PRIMARY KEY, kind VARCHAR(64) NOT NULL, entity VARCHAR(64), event_type VARCHAR(64), body LONGTEXT, tenant VARCHAR(32), version INT)`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-outbox-avro-'));
  const taskFile = join(dir, 'task.json');
  writeFileSync(taskFile, JSON.stringify({
    name, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: {
      metrics: { enabled: false }, stateDir: join(dir, 'state'),
      outbox: [{
        table: `${name}.events`, topic: `${name}.events.\${routedByValue}`, payloadFormat: 'avro',
        columns: { id: 'event_id', aggregateType: 'kind', aggregateId: 'entity', type: 'event_type', payload: 'body' },
        additionalFields: [{ column: 'tenant', placement: 'header' }, { column: 'version', placement: 'envelope', alias: 'v' }],
      }],
    },
  }));
  const ferry = startFerry(['run', taskFile], { ...process.env, FERRY_LOG_LEVEL: 'warn' });
  const topic = `${name}.events.Invoice`;
  const insert = (id: string, entity: string, body: unknown, version: number) => admin.query(`INSERT INTO ${name}.events VALUES (?, 'Invoice', ?, 'InvoiceIssued', ?, 't1', ?)`, [id, entity, JSON.stringify(body), version]);
  try {
    // Ready: the first event is on the topic (cdc starts where the binlog is when Ferry starts).
    for (let i = 0; ; i++) {
      assert.ok(i < 60 && ferry.child.exitCode === null, `Ferry did not stream: ${ferry.stderr()}`);
      await insert(`warm-${i}`, 'w', { n: i }, 0);
      await sleep(500);
      if ((await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-outbox-avro-test', topic, timeoutMs: 5000 }).catch(() => [])).length > 0) break;
    }
    let records: Awaited<ReturnType<typeof readTopicToEnd>> = [];
    // One event at a time, each awaited on the topic, so each is written with the schema its own batch needed.
    const waitFor = async (n: number) => {
      for (let i = 0; i < 60; i++) {
        records = (await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-outbox-avro-test', topic, timeoutMs: 5000 })).filter((r) => !r.headers.get('id')!.toString().startsWith('warm-'));
        if (records.length >= n) return;
        await sleep(300);
      }
    };
    await insert('e1', 'inv-1', { n: 1, amount: 10 }, 1);
    await waitFor(1);
    await insert('e2', 'inv-1', { n: 2, amount: 10.5, lines: [{ sku: 'a', qty: 2 }] }, 2); // amount widens to double, lines added
    await waitFor(2);
    await insert('e3', 'inv-2', { n: 'three' }, 3); // n gains a string branch; amount and lines missing (null)
    await waitFor(3);
    await admin.query(`UPDATE ${name}.events SET tenant = 't2' WHERE event_id = 'e1'`); // skipped with a warning
    await admin.query(`DELETE FROM ${name}.events WHERE event_id = 'e2'`); // ignored
    await insert('e4', 'inv-2', { n: 4 }, 4);
    await waitFor(4);
    await sleep(1500);
    await waitFor(4); // read again after a while: nothing more came (the update and the delete made no record)
    const decoded = [];
    for (const r of records) {
      const k = await decodeWire(r.key!);
      const v = await decodeWire(r.value!);
      decoded.push({ id: r.headers.get('id')!.toString(), type: r.headers.get('type')!.toString(), tenant: r.headers.get('tenant')!.toString(), key: k.value, value: v.value, schemaId: v.schemaId });
    }
    assert.deepEqual(decoded.map(({ schemaId: _s, ...d }) => d), [
      // (the reader decodes Avro longs as bigints)
      { id: 'e1', type: 'InvoiceIssued', tenant: 't1', key: 'inv-1', value: { payload: { n: 1n, amount: 10n }, v: 1n } },
      { id: 'e2', type: 'InvoiceIssued', tenant: 't1', key: 'inv-1', value: { payload: { n: 2n, amount: 10.5, lines: [{ sku: 'a', qty: 2n }] }, v: 2n } },
      { id: 'e3', type: 'InvoiceIssued', tenant: 't1', key: 'inv-2', value: { payload: { n: 'three', amount: null, lines: null }, v: 3n } },
      { id: 'e4', type: 'InvoiceIssued', tenant: 't1', key: 'inv-2', value: { payload: { n: 4n, amount: null, lines: null }, v: 4n } },
    ]);
    assert.ok(new Set(decoded.map((d) => d.schemaId)).size >= 2, 'the value schema was widened (new registered versions)');
    // The latest registered schema reads all four (it is the subject's last version, from the registry directly).
    const latest = await (await fetch(`${services.registryUrl}/subjects/${topic}-value/versions/latest`)).json() as { schema: string };
    const payload = (JSON.parse(latest.schema) as { fields: { name: string; type: unknown }[] }).fields.find((f) => f.name === 'payload')!;
    const fields = Object.fromEntries(((payload.type as unknown[])[1] as { fields: { name: string; type: unknown }[] }).fields.map((f) => [f.name, f.type]));
    assert.deepEqual(fields.n, ['null', 'long', 'string']);
    assert.deepEqual(fields.amount, ['null', 'double']);
  } finally {
    ferry.child.kill('SIGTERM');
    await ferry.exited;
    await admin.query(`DROP DATABASE ${name}`);
    await admin.end();
  }
});
