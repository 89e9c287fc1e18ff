// The source behind the runtime's Pipeline: sink durable → offset committed → slot acknowledged, and a restart
// from the committed offset that neither loses nor repeats a change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLsnText, parseLsnPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, Sink } from '../../../../core/src/types.ts';
import { Pipeline } from '../../../../runtime/src/pipeline/Pipeline.ts';
import { PgSource } from '../../src/PgSource.ts';
import { createSchema, silentLog, slotRow, sourceOptions, type TestSchema } from './helpers.ts';
import { MemoryOffsets } from '../../../../test/helpers/memory-offsets.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_pipe');
  await s.owner.query('CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL)');
  await s.owner.query('INSERT INTO items SELECT g, g FROM generate_series(1, 3000) g');
});

after(async () => { await s.drop(); });

class MemorySink implements Sink {
  readonly events: ChangeEvent[] = [];
  async write(events: readonly ChangeEvent[]): Promise<void> { this.events.push(...events); }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

async function runUntil(source: PgSource, sink: MemorySink, offsets: MemoryOffsets, done: () => boolean): Promise<void> {
  const ac = new AbortController();
  const pipeline = new Pipeline({ taskName: 't', source, sinks: [sink], offsets, log: silentLog, metrics: sourceOptions(s.schema).metrics, maxBatchEvents: 1000, maxBatchDelayMs: 20 });
  const running = pipeline.run(ac.signal);
  const until = Date.now() + 30000;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  ac.abort();
  await running;
  await source.close();
}

test('through the Pipeline: the slot is acknowledged exactly to the committed offset; a restart repeats and loses nothing', async () => {
  const opts = sourceOptions(s.schema, { statusIntervalMs: 200 });
  const slot = `ferry_${s.schema}`;
  const offsets = new MemoryOffsets();
  const sink1 = new MemorySink();
  let wrote = false;
  await runUntil(new PgSource(opts), sink1, offsets, () => {
    if (!wrote && offsets.value?.snapshotDone) {
      wrote = true;
      void s.owner.query('UPDATE items SET qty = qty + 1 WHERE id <= 10').then(() => s.owner.query('INSERT INTO items VALUES (5000, 1)'));
    }
    return sink1.events.some((e) => e.key?.id === 5000);
  });
  assert.equal(sink1.events.filter((e) => e.op === 'r').length, 3000);
  assert.deepEqual(sink1.events.filter((e) => e.op !== 'r').map((e) => `${e.op}${e.key!.id}`), [...Array.from({ length: 10 }, (_, i) => `u${i + 1}`), 'c5000']);
  const committed = offsets.value!;
  assert.equal(committed.snapshotDone, true);
  const row = await slotRow(s.admin, slot);
  assert.equal(row!.confirmed_flush_lsn, formatLsnText(parseLsnPosition(committed.position)), 'confirmed_flush_lsn = the committed offset');

  // Changes while stopped, then a restart from the committed offset.
  await s.owner.query('DELETE FROM items WHERE id = 3000');
  await s.owner.query('INSERT INTO items VALUES (5001, 2)');
  const sink2 = new MemorySink();
  await runUntil(new PgSource(opts), sink2, offsets, () => sink2.events.some((e) => e.key?.id === 5001));
  assert.deepEqual(sink2.events.map((e) => `${e.op}${e.key!.id}`), ['d3000', 'c5001'], 'exactly the changes after the committed offset');
});
