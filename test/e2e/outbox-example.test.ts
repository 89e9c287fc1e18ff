// examples/outbox runs as its README says: the service places orders (order + event in one transaction), Ferry runs
// the example's task file (with this test's schema, task name and topic), and the example consumer reads each event
// once, with the service's event ids, in order per order id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { services, uniqueName } from '../helpers/services.ts';
import { dropPgTaskObjects, ROOT, sleep, startFerry } from '../helpers/ferry-process.ts';
import { readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { createSchema, placeOrder, writeOrderWithEvent, type Order } from '../../examples/outbox/service.ts';
import { consumeOutbox, type OutboxEvent } from '../../examples/outbox/consumer.ts';

test('examples/outbox: the service\'s committed orders reach the consumer once each, through the example task', { timeout: 90000 }, async () => {
  const name = uniqueName('outbox_example');
  const client = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await client.connect();
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await createSchema(client, name);
  const task = parse(readFileSync(join(ROOT, 'examples', 'outbox', 'task.yaml'), 'utf8')) as Record<string, any>;
  const topic = `${name}.Order`;
  task.name = name;
  task.source.password = 'cdc';
  // The services this test run uses (their ports can differ from the example's defaults: test/helpers/services.ts).
  task.source.host = services.postgres.host;
  task.source.port = services.postgres.port;
  task.kafka.brokers = services.brokers;
  task.kafka.schemaRegistry = services.registryUrl;
  task.tableMappings.rules[0]['object-locator']['schema-name'] = name;
  task.kafka.topicPrefix = name;
  task.settings.outbox[0].table = `${name}.outbox`;
  task.settings.outbox[0].topic = `${name}.\${routedByValue}`;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-outbox-example-'));
  task.settings.stateDir = join(dir, 'state');
  const taskFile = join(dir, 'task.json');
  writeFileSync(taskFile, JSON.stringify(task));
  const ferry = startFerry(['run', taskFile], { ...process.env, FERRY_LOG_LEVEL: 'warn' });
  const ac = new AbortController();
  try {
    // Ready once a first order's event is on the topic (cdc starts where the stream is when Ferry starts).
    const warmUp = new Set<string>(); // events placed while Ferry was starting may be before its slot: not expected
    const placed: { order: Order; eventId: string }[] = [];
    const order = (i: number): Order => ({ id: `o-${i}`, customer: `c-${i % 3}`, total: 10 + i, lines: [{ sku: `sku-${i}`, qty: 1 }] });
    for (let i = 0; ; i++) {
      assert.ok(i < 60 && ferry.child.exitCode === null, `Ferry did not stream: ${ferry.stderr()}`);
      warmUp.add(await placeOrder(client, name, { ...order(i), id: `warm-${i}` }));
      await sleep(500);
      if ((await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-outbox-example-test', topic, timeoutMs: 5000 }).catch(() => [])).length > 0) break;
    }
    for (let i = 100; i < 130; i++) {
      const o = { ...order(i), id: `order-${i}` };
      placed.push({ order: o, eventId: await placeOrder(client, name, o) });
    }
    // An order whose transaction rolls back leaves no event.
    await client.query('BEGIN');
    const lost = await writeOrderWithEvent(client, name, { ...order(999), id: 'order-rolled-back' });
    await client.query('ROLLBACK');

    const got: OutboxEvent[] = [];
    const reading = consumeOutbox({
      brokers: services.brokers, topics: [topic], groupId: `${name}-consumer`, signal: ac.signal,
      onEvent: (e) => {
        if (!warmUp.has(e.id)) got.push(e);
        if (got.length >= placed.length) ac.abort();
      },
    });
    const timer = setTimeout(() => ac.abort(), 45000);
    await reading;
    clearTimeout(timer);
    assert.deepEqual(got.map((e) => e.id).sort(), placed.map((p) => p.eventId).sort());
    assert.ok(!got.some((e) => e.id === lost));
    for (const p of placed) {
      const e = got.find((x) => x.id === p.eventId)!;
      assert.equal(e.type, 'OrderPlaced');
      assert.equal(e.aggregateId, p.order.id);
      assert.deepEqual(e.payload, { orderId: p.order.id, customer: p.order.customer, total: p.order.total, lines: p.order.lines });
    }

    // `ferry validate` checks the outbox against the catalog and the rest of the task.
    const validate = (t: unknown) => {
      const file = join(dir, `validate-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(t));
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'validate', file], { encoding: 'utf8', timeout: 60000 });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    const good = validate(task);
    assert.match(good.out, /outbox\.columns.*1 outbox table with the configured columns/);
    const renamed = validate({ ...task, settings: { ...task.settings, outbox: [{ ...task.settings.outbox[0], columns: { payload: 'body' } }] } });
    assert.equal(renamed.status, 3, renamed.out);
    assert.match(renamed.out, /FAIL.*outbox\.columns.*has no column "body"/);
    const { kafka: _kafka, ...noKafka } = task;
    const unselected = validate({ ...noKafka, settings: { ...task.settings, outbox: [{ table: 'elsewhere.outbox' }] } });
    assert.notEqual(unselected.status, 0);
    assert.match(unselected.out, /settings\.outbox.*add a kafka block/s);
    assert.match(unselected.out, /outbox table elsewhere\.outbox is not selected by the table mapping/);
  } finally {
    ac.abort();
    ferry.child.kill('SIGTERM');
    await ferry.exited;
    await client.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
  }
});
