/**
 * The sink conformance suite: the same proof for every sink plugin, driven by its descriptor (core/src/plugin.ts)
 * and a small per-sink fixture that knows how to make a fresh target and read it back independently.
 *
 * A sink gets it with one file, sinks/<name>/test/integration/conformance.test.ts:
 *
 *     registerSinkTests(mySink, { type: 'mine', target: async (name) => ({ options: {...}, read: async () => ... }), poison: ... });
 *
 * Records come from the shared sink kit (test/helpers/sink-kit): the kit's MariaDB table with every kind of column,
 * its workload (inserts, updates, deletes; version 2 adds a column), encoded as Ferry's Kafka sink encodes them and
 * decoded by the worker's decoder, so the sink sees exactly what `ferry sink` hands it in Kafka mode. A sink that
 * declares `rawInput` also gets `ctx.input` (the Kafka records), as the worker gives it.
 *
 * Rows are compared in the kit's canonical text (fixtures.ts: one '|'-joined text per row over COLUMNS_V2, a column
 * the target lacks reading as NULL), value by value.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkCreateOptions, SinkPlugin } from '../../core/src/plugin.ts';
import { DEFAULT_SOURCE_FIELDS, type RecordSink, type SinkRecord, type SinkWriteContext, type SinkWriteResult } from '../../core/src/record-sink.ts';
import type { Row } from '../../core/src/types.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { COLUMNS_V2, expectedRows, fixture, NULL_TEXT, workload, type Workload } from '../helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../helpers/sink-kit/quiet.ts';
import { kafkaRecords, type KafkaLike } from '../helpers/sink-kit/records.ts';
import { uniqueName } from '../helpers/services.ts';

/** The table the suite writes (the kit's table): its schema, name and Kafka topic. */
export interface SuiteTable {
  readonly schema: string;
  readonly table: string;
  /** The source topic, `<prefix>.<schema>.<table>`. */
  readonly topic: string;
}

/** What a fixture's reader returns for one table. */
export interface TargetState {
  /**
   * The table's current rows (deletes applied), each as the kit's canonical text over COLUMNS_V2 (`canonicalRow`,
   * `normalizeRead`; NULL and absent columns as NULL_TEXT). The suite keys them by primary key (`id`): a key
   * present twice is a failure.
   */
  readonly rows: readonly string[];
  /**
   * For change-log targets that promise no repeats of a change (e.g. files deduplicated by name, exactly-once
   * topics): how many stored changes repeat another one. Leave it out where the sink's documented contract is
   * at-least-once with reader-side deduplication (then the reader applies that rule and `rows` shows the result).
   */
  readonly duplicates?: number;
}

/** One fresh target, created for one test. */
export interface FixtureTarget {
  /** The target's own keys (besides type and name), valid for `descriptor.options(type)`. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Reads the table's state back with the target's own tools (not the sink's code). `registry` holds the schemas
   * the records' Avro payloads were framed with (for targets that store Ferry's bytes as they are).
   */
  read(table: SuiteTable, registry: FakeRegistry): Promise<TargetState>;
  /** Drops what `target()` created (optional). */
  cleanup?(): Promise<void>;
}

/** A change the sink can never write, made from a valid insert. */
export interface PoisonCase {
  /** Turns a valid insert's after-image (wire values, docs/event-format.md §5) into one the sink must reject. */
  after(row: Row): Row;
  /** What the rejection reason must say. */
  readonly reason: RegExp;
}

export interface SinkFixture {
  /** The target type under test (one of `descriptor.types`); tests are named `conformance <type>: …`. */
  readonly type: string;
  /** Creates a fresh, uniquely named target (bucket, stream, table, schema, topic) from `name` (unique per test). */
  target(name: string): Promise<FixtureTarget>;
  /**
   * A record this sink really rejects, or `null` with `noPoisonReason` when it has none (the test is then
   * registered as skipped with that reason, never passed).
   */
  readonly poison: PoisonCase | null;
  readonly noPoisonReason?: string;
  /**
   * Builds the sink instead of `descriptor.create` (e.g. to inject a test-only executor). The suite still validates
   * the options with `descriptor.options(type)` first.
   */
  create?(o: SinkCreateOptions): Promise<RecordSink>;
  /** Per-test timeout in ms (default 120000). */
  readonly timeoutMs?: number;
}

const kit = fixture();
const TABLE = { schema: kit.v1.id.schema, table: kit.v1.id.table };
const ID = COLUMNS_V2.findIndex((c) => c.name === 'id');

function context(sink: RecordSink, batch: KafkaLike, records: readonly SinkRecord[]): SinkWriteContext {
  const base = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };
  if (!sink.rawInput) return base;
  // As the worker does for rawInput sinks: the batch's Kafka records in poll order with what each decoded to.
  const wanted = new Set(records);
  const input = batch.raws.map((raw, i) => ({ raw, record: batch.records[i]! })).filter((x) => wanted.has(x.record));
  return { ...base, input };
}

/** Keys canonical rows by primary key; a key seen twice fails. */
function keyed(rows: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    const id = r.split('|')[ID]!;
    assert.ok(!out.has(id), `${what}: primary key ${id} is present twice`);
    out.set(id, r);
  }
  return out;
}

/** Exact comparison, value by value, with a readable first difference. */
function assertRows(got: TargetState, want: readonly string[], what: string): void {
  const g = keyed(got.rows, what);
  const w = keyed(want, 'expected');
  assert.deepEqual([...g.keys()].sort(), [...w.keys()].sort(), `${what}: the same primary keys as the source`);
  for (const [id, row] of w) {
    if (g.get(id) === row) continue;
    const a = g.get(id)!.split('|');
    const b = row.split('|');
    const diffs = COLUMNS_V2.map((c, i) => (a[i] === b[i] ? null : `${c.name}: got ${a[i]} want ${b[i]}`)).filter(Boolean);
    assert.fail(`${what}: id ${id} differs: ${diffs.join('; ')}`);
  }
  if (got.duplicates !== undefined) assert.equal(got.duplicates, 0, `${what}: no change stored twice`);
}

interface Run {
  readonly name: string;
  readonly sink: RecordSink;
  readonly target: FixtureTarget;
  readonly registry: FakeRegistry;
  readonly table: SuiteTable;
  records(w: Workload, events?: Workload['events']): Promise<KafkaLike>;
  write(batch: KafkaLike, records?: readonly SinkRecord[]): Promise<SinkWriteResult>;
  read(): Promise<TargetState>;
}

/**
 * Registers the conformance tests of one sink type: write, redelivery, poison record, schema change, close and
 * option validation. Call it once per type the fixture covers.
 */
export function registerSinkTests(descriptor: SinkPlugin, fx: SinkFixture): void {
  const type = fx.type;
  const timeout = fx.timeoutMs ?? 120000;

  async function withRun(label: string, body: (r: Run) => Promise<void>): Promise<void> {
    const name = uniqueName(`conf_${label}`);
    const target = await fx.target(name);
    const parsed = descriptor.options(type).safeParse(target.options);
    assert.ok(parsed.success, `the fixture's options are valid: ${parsed.success ? '' : parsed.error.message}`);
    const create = { name: 'conformance', type, options: target.options };
    const sink = await (fx.create ? fx.create(create) : descriptor.create(create));
    const registry = new FakeRegistry();
    const table: SuiteTable = { ...TABLE, topic: `${name}.${TABLE.schema}.${TABLE.table}` };
    const run: Run = {
      name, sink, target, registry, table,
      records: (w, events = w.events) => kafkaRecords(events, { prefix: name, partitions: 2, registry, sourceFields: sink.sourceFields ?? DEFAULT_SOURCE_FIELDS }),
      write: async (batch, records = batch.records) => (await sink.write(records, context(sink, batch, records))) ?? {},
      read: () => target.read(table, registry),
    };
    try {
      await body(run);
    } finally {
      await sink.close().catch(() => {});
      await target.cleanup?.();
    }
  }

  describe(`sink conformance ${type}: ${descriptor.summary}`, () => {
    test(`conformance ${type}: the descriptor serves this type`, () => {
      assert.ok(descriptor.types.includes(type), `${type} is one of ${descriptor.types.join(', ')}`);
    });

    test(`conformance ${type}: write — inserts, updates and deletes reach the target exactly`, { timeout }, () => withRun('w', async (r) => {
      const w = workload(kit, { prefix: r.name, rows: 60, changesV1: 120, changesV2: 0, snapshotRows: 20 });
      assert.ok(w.counts.u > 0 && w.counts.d > 0, 'the batch holds updates and deletes');
      const batch = await r.records(w);
      assert.deepEqual((await r.write(batch)).rejected ?? [], [], 'nothing rejected');
      assertRows(await r.read(), expectedRows(w), 'after the write');
    }));

    test(`conformance ${type}: redeliver the same batch — nothing changes`, { timeout }, () => withRun('r', async (r) => {
      const w = workload(kit, { prefix: r.name, rows: 40, changesV1: 80, changesV2: 0, seed: 7 });
      const batch = await r.records(w);
      assert.deepEqual((await r.write(batch)).rejected ?? [], []);
      const first = await r.read();
      assertRows(first, expectedRows(w), 'after the first delivery');
      assert.deepEqual((await r.write(batch)).rejected ?? [], [], 'nothing rejected on redelivery');
      const second = await r.read();
      assertRows(second, expectedRows(w), 'after the redelivery');
      assert.deepEqual([...second.rows].sort(), [...first.rows].sort(), 'the state is unchanged');
      if (first.duplicates !== undefined) assert.equal(second.duplicates, first.duplicates, 'no change is stored twice');
    }));

    const poison = fx.poison;
    const poisonName = `conformance ${type}: poison record — rejected with a reason, the rest of the batch written`;
    if (poison === null) {
      assert.ok(fx.noPoisonReason, `the ${type} fixture has no poison record and must say why (noPoisonReason)`);
      test(poisonName, { skip: fx.noPoisonReason });
    } else {
      test(poisonName, { timeout }, () => withRun('p', async (r) => {
        const w = workload(kit, { prefix: r.name, rows: 12, changesV1: 0, changesV2: 0, seed: 11 });
        const bad = 4;
        const events = w.events.map((e, i) => (i === bad ? { ...e, after: poison.after(e.after!) } : e));
        const batch = await r.records(w, events);
        const res = await r.write(batch);
        const rejected = res.rejected ?? [];
        assert.equal(rejected.length, 1, `exactly one record rejected (${rejected.map((x) => x.reason).join('; ')})`);
        assert.equal(rejected[0]!.record, batch.records[bad], 'the poison record is the one rejected');
        assert.match(rejected[0]!.reason, poison.reason);
        const badId = String(events[bad]!.key!.id);
        const want = expectedRows(w).filter((row) => row.split('|')[ID] !== badId);
        assertRows(await r.read(), want, 'the rest of the batch');
      }));
    }

    test(`conformance ${type}: schema change — an added column is written after the old version`, { timeout }, () => withRun('s', async (r) => {
      const w = workload(kit, { prefix: r.name, rows: 40, changesV1: 60, changesV2: 80, seed: 5 });
      const split = w.events.findIndex((e) => e.table === kit.v2);
      assert.ok(split > 0);
      const batch = await r.records(w);
      assert.equal(batch.records[split]!.table.columns.at(-1)!.name, 'added');
      assert.notEqual(batch.records[0]!.table.version, batch.records[split]!.table.version, 'two table versions');
      assert.deepEqual((await r.write(batch, batch.records.slice(0, split))).rejected ?? [], [], 'version 1 written');
      assert.deepEqual((await r.write(batch, batch.records.slice(split))).rejected ?? [], [], 'version 2 written');
      const state = await r.read();
      assertRows(state, expectedRows(w), 'after the schema change');
      const added = COLUMNS_V2.findIndex((c) => c.name === 'added');
      assert.ok(state.rows.some((row) => row.split('|')[added] !== NULL_TEXT), 'the target shows values of the new column');
    }));

    test(`conformance ${type}: close — resolves, a second close does not throw; unknown option keys are refused`, { timeout }, () => withRun('c', async (r) => {
      const w = workload(kit, { prefix: r.name, rows: 5, changesV1: 0, changesV2: 0 });
      assert.deepEqual((await r.write(await r.records(w))).rejected ?? [], []);
      await r.sink.close();
      await r.sink.close();
      const schema = descriptor.options(type);
      assert.equal(schema.safeParse(r.target.options).success, true, 'the fixture options are valid');
      assert.equal(schema.safeParse({ ...r.target.options, bogusKey: 1 }).success, false, 'an unknown key is refused');
    }));
  });
}
