/**
 * The source conformance suite: the same proof for every source plugin, driven only through its descriptor
 * (core/src/plugin.ts), the way the runtime drives it. A source's integration folder calls
 * `registerSourceTests(descriptor, fixture)` once per engine it wants proven; the fixture says how to reach the
 * local server and how to make tables there, and the suite does the rest:
 *
 *   snapshot  a full load of a fresh table yields exactly its rows as op 'r' events, then the read ends
 *   stream    cdc: inserts, updates and deletes arrive as c/u/d with exact images, in commit order,
 *             each checkpoint after the one before
 *   resume    a new source started from a committed offset delivers what came after it, nothing before it
 *   types     the engine's type fixture round-trips exact wire values through snapshot and stream
 *   catalog   check() reports no 'fail'; describeTables() lists the fixture table with its primary key
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceBlock, SourceCreateOptions, SourcePlugin } from '../../core/src/plugin.ts';
import type { ChangeBatch, ChangeEvent, Row, StoredOffset } from '../../core/src/types.ts';
import { comparePositions } from '../../core/src/position.ts';
import type { TableMapping } from '../../runtime/src/config/table-mapping-schema.ts';
import { createTableSelector } from '../../runtime/src/mapping/table-selection.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { quietLog } from '../helpers/sink-kit/quiet.ts';

/** What the suite needs to know about one engine's local server. */
export interface SourceFixture {
  /** The `source.engine` under test: one of the descriptor's `engines`. */
  readonly engine: string;
  /** A fresh, empty namespace (MySQL database / PostgreSQL schema) for one test; the suite closes it. */
  open(): Promise<FixtureScope>;
  /** The engine's wide type table, with rows of edge values and their exact wire values. */
  readonly types: TypeFixture;
}

/** One test's namespace on the source server. Every table the suite makes lives in it. */
export interface FixtureScope {
  /** The namespace's name: the selection rule's schema-name and the events' `table.id.schema`. */
  readonly namespace: string;
  /** A validated `source` block (connection keys and plugin keys) for one source; fresh per call. */
  source(): Promise<SourceBlock>;
  /**
   * Runs SQL in the namespace on connection `session` (1 by default, or 2): each session is one connection, so
   * BEGIN ... COMMIT across calls is one transaction, and two sessions can interleave transactions.
   */
  exec(sql: string, session?: 1 | 2): Promise<void>;
  /**
   * Creates table `name` (id int primary key, v varchar(50), n int, both nullable), set up so that updates and
   * deletes carry the whole old row (PostgreSQL: REPLICA IDENTITY FULL).
   */
  createTable(name: string): Promise<void>;
  /** Creates the type table (`types.table`) holding the fixture's rows. */
  createTypes(): Promise<void>;
  /** Drops the namespace and whatever sources left behind for tasks named after it (slots, publications). */
  close(): Promise<void>;
}

export interface TypeFixture {
  readonly table: string;
  /** SQL inserting the fixture's rows again with primary keys shifted by `offset` (ids 1..n become 1+offset..). */
  insert(offset: number): string;
  /** The exact `after` image of each row (all captured columns, `id` included), ids shifted by `offset`. */
  expected(offset: number): Row[];
}


function selector(namespace: string) {
  return createTableSelector({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': namespace, 'table-name': '%' } }] } as unknown as TableMapping);
}

interface Run {
  readonly batches: ChangeBatch[];
  /** The offset the pipeline would have committed last. */
  readonly offset: StoredOffset | null;
  /** Whether read() ended by itself (rather than by `until` or the timeout). */
  readonly ended: boolean;
}

/**
 * Builds a source from the descriptor and reads it like the pipeline does: each checkpointed batch is "committed"
 * then acknowledged. Stops when `until` holds, the read ends, or `timeoutMs` passes; `onBatch` runs after each batch.
 */
async function run(
  d: SourcePlugin, scope: FixtureScope, o: { task: string; migrationType: SourceCreateOptions['migrationType']; resumeFrom?: StoredOffset | null },
  until: (b: ChangeBatch[]) => boolean, onBatch?: (b: ChangeBatch) => Promise<void>, timeoutMs = 30000,
): Promise<Run> {
  const log = quietLog();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-conformance-'));
  const source = await d.create({
    source: await scope.source(), taskName: o.task, migrationType: o.migrationType, selector: selector(scope.namespace), topicPrefix: 'conf',
    settings: { snapshot: { chunkSize: 1000, parallelism: 2 }, batch: { maxEvents: 500 }, heartbeatIntervalMs: 1000 },
    stateDir, log, metrics,
  });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const batches: ChangeBatch[] = [];
  let offset = o.resumeFrom ?? null;
  let ended: boolean;
  try {
    for await (const b of source.read({ signal: ac.signal, log, metrics, resumeFrom: offset })) {
      batches.push(b);
      if (b.checkpoint !== null) {
        offset = { position: b.checkpoint, snapshotDone: (offset?.snapshotDone ?? false) || (b.snapshotDone ?? false), formatVersion: 1, ...(b.state ? { state: b.state } : {}) };
        await source.acknowledge(b.checkpoint);
      }
      await onBatch?.(b);
      if (until(batches)) break;
    }
    ended = !ac.signal.aborted && !until(batches);
  } finally {
    clearTimeout(timer);
    ac.abort();
    await source.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return { batches, offset, ended };
}

const tableEvents = (batches: readonly ChangeBatch[], table: string): ChangeEvent[] => batches.flatMap((b) => b.events).filter((e) => e.table.id.table === table);

/** Every non-null checkpoint sorts strictly after the one before it. */
function assertCheckpointsAscend(batches: readonly ChangeBatch[]): void {
  const cps = batches.map((b) => b.checkpoint).filter((c) => c !== null);
  for (let i = 1; i < cps.length; i++) assert.ok(comparePositions(cps[i - 1]!, cps[i]!) < 0, `checkpoint ${i} (${cps[i]}) sorts after ${cps[i - 1]}`);
}

/** The exact row, column by column (with the column in the message), and no column more or less. */
function assertRow(got: Row | null, want: Row, what: string): void {
  assert.ok(got, `${what}: an image`);
  for (const [col, v] of Object.entries(want)) assert.deepEqual(got[col], v, `${what} column ${col}`);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: exactly the captured columns`);
}

/** Opens a scope for one test and always closes it. */
async function inScope(fixture: SourceFixture, body: (scope: FixtureScope) => Promise<void>): Promise<void> {
  const scope = await fixture.open();
  try { await body(scope); } finally { await scope.close(); }
}

/** Starts `actions` once, after the first batch (the source has taken its start position), and awaits them at the end. */
function afterStart(actions: () => Promise<void>) {
  let started: Promise<void> | null = null;
  return { onBatch: async () => { started ??= actions(); }, done: async () => { await started; } };
}

export function registerSourceTests(descriptor: SourcePlugin, fixture: SourceFixture): void {
  const engine = fixture.engine;
  assert.ok(descriptor.engines.includes(engine), `${engine} is one of the descriptor's engines`);
  const name = (what: string) => `conformance ${engine}: ${what}`;
  const task = (scope: FixtureScope, what: string) => `${scope.namespace}_${what}`;

  test(name('snapshot: a full load yields exactly the table\'s rows as op r, then ends'), async () => {
    await inScope(fixture, async (scope) => {
      await scope.createTable('kv');
      await scope.exec("INSERT INTO kv (id, v, n) VALUES (1, 'one', 1), (2, NULL, 2), (3, 'three', NULL), (40, '', 0), (5, 'ü😀', -5)");
      const { batches, ended, offset } = await run(descriptor, scope, { task: task(scope, 'snap'), migrationType: 'full-load' }, () => false);
      assert.ok(ended, 'a full load ends by itself');
      const evs = tableEvents(batches, 'kv');
      assert.ok(evs.every((e) => e.op === 'r' && e.before === null && e.source.snapshot !== 'false'), 'snapshot reads only');
      const byId = [...evs].sort((a, b) => (a.key!.id as number) - (b.key!.id as number));
      assert.deepEqual(byId.map((e) => e.key), [1, 2, 3, 5, 40].map((id) => ({ id })));
      assert.deepEqual(byId.map((e) => e.after), [
        { id: 1, v: 'one', n: 1 }, { id: 2, v: null, n: 2 }, { id: 3, v: 'three', n: null }, { id: 5, v: 'ü😀', n: -5 }, { id: 40, v: '', n: 0 },
      ]);
      assert.ok(evs.every((e) => e.table.id.schema === scope.namespace && e.source.connector === descriptor.connectorName(engine)));
      assert.deepEqual(evs[0]!.table.primaryKey, ['id']);
      assert.equal(batches.filter((b) => b.snapshotDone).length, 1, 'one batch ends the snapshot');
      assert.ok(batches.findIndex((b) => b.snapshotDone) >= batches.findLastIndex((b) => b.events.some((e) => e.op === 'r')), 'no read after the snapshot ended');
      assert.equal(offset?.snapshotDone, true);
      assertCheckpointsAscend(batches);
    });
  });

  test(name('stream: inserts, updates, deletes as c/u/d with exact images, in commit order, checkpoints ascending'), async () => {
    await inScope(fixture, async (scope) => {
      await scope.createTable('kv');
      const a = afterStart(async () => {
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (1, 'one', 1)");
        await scope.exec('BEGIN');
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (2, 'two', NULL)");
        await scope.exec("UPDATE kv SET v = 'uno', n = 11 WHERE id = 1");
        await scope.exec('COMMIT');
        await scope.exec('UPDATE kv SET v = NULL, n = 22 WHERE id = 2');
        await scope.exec('DELETE FROM kv WHERE id = 1');
        // Commit order, not statement order: 10 is written first but committed after 11.
        await scope.exec('BEGIN', 2);
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (10, 'ten', 10)", 2);
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (11, 'eleven', 11)");
        await scope.exec('COMMIT', 2);
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (3, 'last', 3)");
      });
      const { batches } = await run(descriptor, scope, { task: task(scope, 'stream'), migrationType: 'cdc' },
        (b) => tableEvents(b, 'kv').some((e) => e.op === 'c' && e.key?.id === 3), a.onBatch);
      await a.done();
      assert.equal(batches[0]!.snapshotDone, true, 'cdc: the first batch ends an empty snapshot');
      const evs = tableEvents(batches, 'kv');
      assert.deepEqual(evs.map((e) => `${e.op}${e.key?.id}`), ['c1', 'c2', 'u1', 'u2', 'd1', 'c11', 'c10', 'c3'], 'commit order');
      const want: Array<[Row | null, Row | null]> = [
        [null, { id: 1, v: 'one', n: 1 }], [null, { id: 2, v: 'two', n: null }], [{ id: 1, v: 'one', n: 1 }, { id: 1, v: 'uno', n: 11 }],
        [{ id: 2, v: 'two', n: null }, { id: 2, v: null, n: 22 }], [{ id: 1, v: 'uno', n: 11 }, null],
        [null, { id: 11, v: 'eleven', n: 11 }], [null, { id: 10, v: 'ten', n: 10 }], [null, { id: 3, v: 'last', n: 3 }],
      ];
      evs.forEach((e, i) => {
        assert.deepEqual([e.before, e.after], want[i], `event ${i} (${e.op}) images`);
        assert.equal(e.source.snapshot, 'false');
      });
      assert.equal(evs[1]!.source.txId, evs[2]!.source.txId, 'one transaction, one txId');
      assert.ok(evs.every((e) => e.source.tsMs > 0 && Math.abs(e.source.tsMs - Date.now()) < 120000), 'commit times');
      // The batch holding the last event ends a transaction, so it is checkpointed.
      assert.notEqual(batches.findLast((b) => b.events.length > 0)!.checkpoint, null);
      assertCheckpointsAscend(batches);
    });
  });

  test(name('resume: a new source from a committed offset delivers what came after it and nothing before it'), async () => {
    await inScope(fixture, async (scope) => {
      await scope.createTable('kv');
      const t = task(scope, 'resume');
      const a = afterStart(async () => {
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (1, 'one', 1)");
        await scope.exec("INSERT INTO kv (id, v, n) VALUES (2, 'two', 2)");
      });
      const first = await run(descriptor, scope, { task: t, migrationType: 'cdc' }, (b) => tableEvents(b, 'kv').length >= 2, a.onBatch);
      await a.done();
      assert.deepEqual(tableEvents(first.batches, 'kv').map((e) => `${e.op}${e.key?.id}`), ['c1', 'c2']);
      const committed = first.offset!;
      assert.ok(committed.snapshotDone);
      assert.equal(committed.position, first.batches.findLast((b) => b.checkpoint !== null)!.checkpoint, 'the offset is the last checkpoint');

      // While no source runs: more changes.
      await scope.exec("UPDATE kv SET v = 'uno' WHERE id = 1");
      await scope.exec('DELETE FROM kv WHERE id = 2');
      await scope.exec("INSERT INTO kv (id, v, n) VALUES (3, 'three', 3)");
      const second = await run(descriptor, scope, { task: t, migrationType: 'cdc', resumeFrom: committed }, (b) => tableEvents(b, 'kv').some((e) => e.key?.id === 3));
      // Both sources promise exactly-after resumption: a checkpoint is the end of a transaction already delivered,
      // so nothing committed at or before it comes again (the MySQL source resumes at the binlog byte after it;
      // PostgreSQL's slot skips transactions whose commit LSN is at or before the acknowledged one).
      const evs = tableEvents(second.batches, 'kv');
      assert.deepEqual(evs.map((e) => `${e.op}${e.key?.id}`), ['u1', 'd2', 'c3'], 'exactly the changes after the offset');
      assert.deepEqual(evs[0]!.after, { id: 1, v: 'uno', n: 1 });
      assert.deepEqual(evs[1]!.before, { id: 2, v: 'two', n: 2 });
      assert.ok(second.batches.every((b) => b.events.every((e) => e.op !== 'r')), 'no snapshot again');
      // An event's source.position never sorts before the offset. (MySQL stamps each event with its transaction's
      // start, which for the first transaction after the offset is the offset itself; PostgreSQL with the change's LSN.)
      assert.ok(evs.every((e) => comparePositions(e.source.position, committed.position) >= 0), `no event before the offset ${committed.position}: ${evs.map((e) => e.source.position).join(' ')}`);
      assertCheckpointsAscend([{ events: [], checkpoint: committed.position }, ...second.batches]);
    });
  });

  test(name('types: the type fixture round-trips exact values through snapshot and stream'), async () => {
    await inScope(fixture, async (scope) => {
      const { table } = fixture.types;
      await scope.createTypes();
      const snapRows = fixture.types.expected(0);
      const streamRows = fixture.types.expected(100);
      let inserted = false;
      const { batches } = await run(descriptor, scope, { task: task(scope, 'types'), migrationType: 'full-load-and-cdc' },
        (b) => tableEvents(b, table).filter((e) => e.op === 'c').length >= streamRows.length,
        async (b) => {
          if (b.snapshotDone && !inserted) { inserted = true; await scope.exec(fixture.types.insert(100)); }
        });
      const evs = tableEvents(batches, table);
      const byId = (es: ChangeEvent[]) => [...es].sort((x, y) => Number(x.after!.id) - Number(y.after!.id));
      const snap = byId(evs.filter((e) => e.op === 'r'));
      const stream = byId(evs.filter((e) => e.op === 'c'));
      assert.equal(snap.length, snapRows.length);
      assert.equal(stream.length, streamRows.length);
      snap.forEach((e, i) => assertRow(e.after, snapRows[i]!, `snapshot row ${snapRows[i]!.id}`));
      stream.forEach((e, i) => assertRow(e.after, streamRows[i]!, `streamed row ${streamRows[i]!.id}`));
      assert.deepEqual(snap[0]!.table.columns.map((c) => c.name), stream[0]!.table.columns.map((c) => c.name), 'one shape on both paths');
    });
  });

  test(name('check and catalog: check() has no fail; describeTables() lists the table with its primary key'), async () => {
    await inScope(fixture, async (scope) => {
      await scope.createTable('kv');
      const o = { source: await scope.source(), taskName: task(scope, 'check'), selector: selector(scope.namespace) };
      const results = await descriptor.check(o);
      assert.ok(results.length > 0, 'check() reports something');
      assert.deepEqual(results.filter((r) => r.status === 'fail'), [], 'no failed check on the local server');
      assert.ok(descriptor.describeTables, 'the source has a catalog reader');
      const described = await descriptor.describeTables(o);
      const kv = described.tables.filter((t) => t.id.schema === scope.namespace && t.id.table === 'kv');
      assert.equal(kv.length, 1);
      assert.deepEqual(kv[0]!.primaryKey, ['id']);
      assert.deepEqual(kv[0]!.columns.map((c) => c.name), ['id', 'v', 'n']);
      assert.equal(kv[0]!.columns[0]!.nullable, false);
      assert.deepEqual(described.problems.filter((p) => p.table.endsWith('kv')), []);
    });
  });
}
