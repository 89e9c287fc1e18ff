// The transactional outbox (docs/outbox.md) through the real CLI, on each source: a MariaDB outbox table, a
// PostgreSQL outbox table and PostgreSQL logical-decoding messages. 8 writers run 10k events of 4 aggregate types in
// concurrent transactions, half of them rolled back, while Ferry is killed with kill -9 once mid-stream and started
// again. Read back with the Kafka client (not Ferry's router): exactly the committed events are on their topics, in
// per-aggregate order, keyed by aggregate id, with their ids in the `id` header; the only duplicates are a replay of
// the last records the killed run produced in each partition (after its last committed position).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../helpers/services.ts';
import { dropPgTaskObjects, sleep, startFerry, type FerryProcess } from '../helpers/ferry-process.ts';
import { readTopicToEnd, type IncomingRecord } from '../../runtime/src/kafka/kafka-client.ts';

const TYPES = ['Order', 'Customer', 'Payment', 'Shipment'] as const;
const WRITERS = 8;
const EVENTS = 10000;
const PREFIX = 'ferry_outbox_test';
/** What the killed run produced, per topic (read right after the kill). */
let boundary = new Map<string, IncomingRecord[]>();

interface Written { readonly id: string; readonly type: string; readonly agg: string; readonly seq: number }

/** One source: set-up, a transaction of outbox events, clean-up. */
interface Source {
  readonly engine: Record<string, unknown>;
  readonly outbox: Record<string, unknown>;
  readonly tableMappings: unknown;
  setup(): Promise<void>;
  /** A connection for one writer: runs a transaction with these events, committed or rolled back. */
  writer(): Promise<{ tx(events: readonly Written[], commit: boolean): Promise<void>; close(): Promise<void> }>;
  teardown(): Promise<void>;
}

const contentOf = (e: Written) => ({ id: e.id, aggregatetype: e.type, aggregateid: e.agg, type: `${e.type}Changed`, payload: { agg: e.agg, seq: e.seq, note: `event ${e.seq} of ${e.agg}` } });
const selectAll = (schema: string) => ({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] });

function mariadbTable(name: string): Source {
  let admin: mysql.Connection;
  return {
    engine: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    outbox: { table: `${name}.outbox`, topic: `${name}.\${routedByValue}` },
    tableMappings: selectAll(name),
    async setup() {
      admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root' });
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.query(`CREATE TABLE ${name}.outbox (id VARCHAR(64) PRIMARY KEY, aggregatetype VARCHAR(255) NOT NULL, aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL, payload JSON, created_at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))`);
    },
    async writer() {
      const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', database: name });
      return {
        async tx(events, commit) {
          await c.beginTransaction();
          for (const e of events) {
            const x = contentOf(e);
            await c.query('INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) VALUES (?, ?, ?, ?, ?)', [x.id, x.aggregatetype, x.aggregateid, x.type, JSON.stringify(x.payload)]);
          }
          if (commit) await c.commit(); else await c.rollback();
        },
        async close() { await c.end(); },
      };
    },
    async teardown() { await admin.query(`DROP DATABASE ${name}`); await admin.end(); },
  };
}

function postgresSource(name: string, mode: 'table' | 'message'): Source {
  const connect = (user: string) => new pg.Client({ ...services.postgres, user, password: user, database: 'shop' });
  const admin = connect('postgres');
  return {
    engine: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' },
    outbox: mode === 'table' ? { table: `${name}.outbox`, topic: `${name}.\${routedByValue}` } : { messagePrefix: `${PREFIX}_${name}`, topic: `${name}.\${routedByValue}` },
    tableMappings: selectAll(name),
    async setup() {
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
      const owner = connect('cdc');
      await owner.connect();
      // The outbox table (table mode), or the state table the message writers change with their messages.
      await owner.query(`CREATE TABLE ${name}.outbox (id uuid PRIMARY KEY, aggregatetype varchar(255) NOT NULL, aggregateid varchar(255) NOT NULL, type varchar(255) NOT NULL, payload jsonb)`);
      await owner.query(`CREATE TABLE ${name}.aggregates (id text PRIMARY KEY, seq int NOT NULL)`);
      // An outbox table keeps the default replica identity (it is exempt: docs/outbox.md#postgresql). In message mode
      // the outbox table is an ordinary captured table, and aggregates always is: with TOAST-able columns they need FULL.
      if (mode === 'message') await owner.query(`ALTER TABLE ${name}.outbox REPLICA IDENTITY FULL`);
      await owner.query(`ALTER TABLE ${name}.aggregates REPLICA IDENTITY FULL`);
      await owner.end();
    },
    async writer() {
      const c = connect('cdc');
      await c.connect();
      return {
        async tx(events, commit) {
          await c.query('BEGIN');
          for (const e of events) {
            const x = contentOf(e);
            if (mode === 'table') await c.query(`INSERT INTO ${name}.outbox (id, aggregatetype, aggregateid, type, payload) VALUES ($1, $2, $3, $4, $5)`, [x.id, x.aggregatetype, x.aggregateid, x.type, JSON.stringify(x.payload)]);
            else {
              await c.query(`INSERT INTO ${name}.aggregates VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq`, [e.agg, e.seq]);
              await c.query('SELECT pg_logical_emit_message(true, $1, $2)', [`${PREFIX}_${name}`, JSON.stringify(x)]);
            }
          }
          await c.query(commit ? 'COMMIT' : 'ROLLBACK');
        },
        async close() { await c.end(); },
      };
    },
    async teardown() {
      await dropPgTaskObjects(admin, name);
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await admin.end();
    },
  };
}

async function readTopics(name: string): Promise<Map<string, IncomingRecord[]>> {
  const out = new Map<string, IncomingRecord[]>();
  for (const t of TYPES) out.set(t, await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-outbox-test', topic: `${name}.${t}`, timeoutMs: 60000 }).catch(() => []));
  return out;
}

const header = (r: IncomingRecord, k: string) => r.headers.get(k)?.toString('utf8');

for (const [label, make] of [
  ['MariaDB outbox table', (n: string) => mariadbTable(n)],
  ['PostgreSQL outbox table', (n: string) => postgresSource(n, 'table')],
  ['PostgreSQL pg_logical_emit_message outbox', (n: string) => postgresSource(n, 'message')],
] as const) {
  test(`${label}: exactly the committed events, per-aggregate order, ids in headers, through a kill -9`, { timeout: 120000 }, async (t) => {
    const name = uniqueName('outbox_e2e');
    const src = make(name);
    await src.setup();
    const dir = mkdtempSync(join(tmpdir(), 'ferry-outbox-'));
    const taskFile = join(dir, 'task.json');
    writeFileSync(taskFile, JSON.stringify({
      name, source: src.engine, migrationType: 'cdc', tableMappings: src.tableMappings,
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 3 },
      settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), batch: { maxEvents: 500, maxDelayMs: 20 }, offsetCommitIntervalMs: 200, outbox: [src.outbox] },
    }));
    const env = { ...process.env, FERRY_LOG_LEVEL: 'warn' };
    let ferry: FerryProcess | null = null;
    const writers = await Promise.all(Array.from({ length: WRITERS }, () => src.writer()));
    try {
      ferry = startFerry(['run', taskFile], env);
      // Ready: a warm-up event of its own aggregate type reaches its topic (cdc starts where the stream is when Ferry starts).
      const warm = writers[0]!;
      for (let i = 0; ; i++) {
        assert.ok(i < 60 && ferry.child.exitCode === null, `Ferry did not stream within 30 s: ${ferry.stderr()}`);
        await warm.tx([{ id: randomUUID(), type: 'Warmup', agg: 'w', seq: i }], true);
        await sleep(500);
        const r = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-outbox-test', topic: `${name}.Warmup`, timeoutMs: 5000 }).catch(() => []);
        if (r.length > 0) break;
      }

      // The writers: each owns 3 aggregates of each type, so an aggregate's events are ordered by its writer's commits.
      const committed = new Map<string, Written[]>();
      const rolledBack = new Set<string>();
      let written = 0;
      const kill = Promise.withResolvers<void>();
      // The writers go on while the first run is killed, but wait at 70 % until the kill is sent: however fast the
      // stream, the killed run cannot have produced every committed event, so the kill is mid-stream.
      const killed = Promise.withResolvers<void>();
      await Promise.all(writers.map(async (w, wi) => {
        const aggs = TYPES.flatMap((t) => [0, 1, 2].map((k) => ({ type: t, agg: `${t}-${wi}-${k}` })));
        const next = new Map(aggs.map((a) => [a.agg, 1]));
        while (written < EVENTS) {
          const events: Written[] = [];
          const seqs = new Map<string, number>();
          for (let n = 1 + Math.floor(Math.random() * 4); n > 0; n--) {
            const a = aggs[Math.floor(Math.random() * aggs.length)]!;
            const seq = seqs.get(a.agg) ?? next.get(a.agg)!;
            seqs.set(a.agg, seq + 1);
            events.push({ id: randomUUID(), type: a.type, agg: a.agg, seq });
          }
          written += events.length;
          const commit = Math.random() < 0.5;
          await w.tx(events, commit);
          if (commit) {
            for (const [agg, s] of seqs) next.set(agg, s);
            for (const e of events) committed.set(e.agg, [...(committed.get(e.agg) ?? []), e]);
          } else for (const e of events) rolledBack.add(e.id);
          if (written >= EVENTS * 0.4) kill.resolve();
          if (written >= EVENTS * 0.7) await killed.promise;
        }
      }).concat([(async () => {
        // kill -9 mid-stream, note what the killed run produced, and start again while the writers go on.
        await kill.promise;
        // … once the first run has produced some of them (the stream may lag the writers by a few batches)
        for (let i = 0; i < 150 && [...(await readTopics(name)).values()].flat().length === 0; i++) await sleep(200);
        const exited = ferry!.exited;
        ferry!.child.kill('SIGKILL');
        killed.resolve();
        await exited;
        ferry = null;
        boundary = await readTopics(name);
        ferry = startFerry(['run', taskFile], env);
      })()]));

      const expected = [...committed.values()].flat();
      assert.ok(rolledBack.size > EVENTS * 0.4 && expected.length > EVENTS * 0.4, `about half committed: ${expected.length} committed, ${rolledBack.size} rolled back`);
      const byId = new Map(expected.map((e) => [e.id, e]));
      // Wait until every committed event arrived (or time runs out), then check everything read.
      let topics = new Map<string, IncomingRecord[]>();
      for (const deadline = Date.now() + 90000; Date.now() < deadline;) {
        topics = await readTopics(name);
        const ids = new Set([...topics.values()].flat().map((r) => header(r, 'id')));
        if (expected.every((e) => ids.has(e.id))) break;
        await sleep(1000);
      }
      const seenIds = new Set<string>();
      let duplicates = 0;
      const perAggregate = new Map<string, number[]>();
      for (const [type, records] of topics) {
        for (const r of records) {
          const id = header(r, 'id')!;
          assert.ok(!rolledBack.has(id), `rolled-back event ${id} reached ${type}`);
          const e = byId.get(id);
          assert.ok(e, `unknown event id ${id} on ${type}`);
          assert.equal(r.topic, `${name}.${e.type}`);
          assert.equal(r.key?.toString('utf8'), e.agg, 'key = aggregate id');
          assert.equal(header(r, 'type'), `${e.type}Changed`);
          assert.deepEqual(JSON.parse(r.value!.toString('utf8')), contentOf(e).payload, 'the payload passed through');
          if (seenIds.has(id)) { duplicates++; continue; }
          seenIds.add(id);
          perAggregate.set(e.agg, [...(perAggregate.get(e.agg) ?? []), e.seq]);
        }
      }
      assert.equal(seenIds.size, expected.length, `${expected.length - seenIds.size} committed events missing`);
      for (const [agg, events] of committed) assert.deepEqual(perAggregate.get(agg), events.map((e) => e.seq), `order of aggregate ${agg}`);

      // Duplicates: per partition, the records of the killed run that came again are its last ones (a suffix).
      let replayed = 0;
      for (const [type, before] of boundary) {
        const after = topics.get(type)!;
        for (const p of new Set(before.map((r) => r.partition))) {
          const first = before.filter((r) => r.partition === p);
          const second = after.filter((r) => r.partition === p && r.offset >= first.length);
          assert.deepEqual(after.filter((r) => r.partition === p && r.offset < first.length).map((r) => header(r, 'id')), first.map((r) => header(r, 'id')));
          const again = new Set(second.map((r) => header(r, 'id')));
          const flags = first.map((r) => again.has(header(r, 'id')));
          const from = flags.indexOf(true);
          if (from >= 0) assert.ok(flags.slice(from).every(Boolean), `${type} partition ${p}: the replayed records are not the killed run's last ones`);
          replayed += flags.filter(Boolean).length;
        }
      }
      assert.equal(duplicates, replayed, 'every duplicate is a replay of the killed run');
      const before = [...boundary.values()].flat().length;
      t.diagnostic(`${expected.length} committed, ${rolledBack.size} rolled back; the killed run produced ${before} records, ${replayed} of them again after the restart`);
      assert.ok(before > 0 && before < expected.length, 'the kill came mid-stream');
    } finally {
      if (ferry) {
        const f: FerryProcess = ferry;
        f.child.kill('SIGTERM');
        await f.exited;
      }
      for (const w of writers) await w.close().catch(() => undefined);
      await src.teardown();
    }
  });
}
