// Every mapped type through both paths — snapshot (COPY text) and streaming (pgoutput) — against literal values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Row } from '../../../../core/src/types.ts';
import { EventEncoder, decodeWire } from '../../../../schemas/src/event-encoder.ts';
import { collect, createSchema, dataEvents, memoryLog, sourceOptions, type TestSchema } from './helpers.ts';
import { createAllTypes, EXPECTED, INSERT_COLUMNS, rowsWithIds } from '../fixtures/all-types.ts';

let s: TestSchema;

before(async () => {
  s = await createSchema('ferry_it_types');
  await createAllTypes(s.admin, s.owner, s.schema);
});

after(async () => { await s.drop(); });

function check(row: Row, want: Row, what: string): void {
  for (const [col, v] of Object.entries(want)) {
    const got = row[col];
    if (typeof v === 'number' && Number.isNaN(v)) assert.ok(Number.isNaN(got as number), `${what} ${col}`);
    else if (Object.is(v, -0) || (v !== null && typeof v === 'object' && 'x' in v && Object.is((v as { x: number }).x, -0))) assert.deepEqual(got, v, `${what} ${col}`);
    else assert.deepEqual(got, v, `${what} ${col}`);
  }
  assert.deepEqual(Object.keys(row).sort(), ['id', ...Object.keys(want)].sort(), `${what}: exactly the mapped columns`);
}

test('every type, snapshot and streaming, equals the literal expected values; generated and unmapped columns are left out', async () => {
  const log = memoryLog();
  const opts = sourceOptions(s.schema, { log });
  let inserted = false;
  const { batches } = await collect(opts, null, (b) => dataEvents(b, 'all_types').filter((e) => e.op === 'c').length >= 3, {
    onBatch: async (b) => {
      if (b.snapshotDone && !inserted) {
        inserted = true;
        await s.owner.query(`INSERT INTO all_types (${INSERT_COLUMNS}) VALUES ${rowsWithIds(10).join(', ')}`);
      }
    },
  });
  const evs = dataEvents(batches, 'all_types');
  const snap = evs.filter((e) => e.op === 'r');
  const stream = evs.filter((e) => e.op === 'c');
  assert.equal(snap.length, 3);
  assert.equal(stream.length, 3);
  for (const e of snap) check(e.after!, { ...EXPECTED[e.after!.id as number]! }, `snapshot row ${e.after!.id}`);
  for (const e of stream) check(e.after!, { ...EXPECTED[(e.after!.id as number) - 10]! }, `streamed row ${e.after!.id}`);
  // One schema version for both paths, without c_gen (generated) and c_circle (unmapped).
  assert.equal(snap[0]!.table.version, stream[0]!.table.version);
  const cols = snap[0]!.table.columns;
  assert.deepEqual(cols.map((c) => c.name).filter((n) => ['c_gen', 'c_circle'].includes(n)), []);
  assert.deepEqual(cols.find((c) => c.name === 'c_arr2d')!.type, { type: 'array', items: { type: 'array', items: { type: 'string' } } });
  assert.equal(cols.find((c) => c.name === 'c_arr2d')!.sourceType, 'text[][]');
  assert.deepEqual(cols.find((c) => c.name === 'c_num')!.type, { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '9', 'connect.decimal.precision': '38' } });
  assert.deepEqual(cols.find((c) => c.name === 'c_mood')!.type.params, { allowed: 'sad,ok,happy' });
  assert.equal(cols.find((c) => c.name === 'id')!.nullable, false);
  assert.equal(cols.find((c) => c.name === 'c_text')!.nullable, true);
  assert.ok(log.lines.some((l) => l.level === 'warn' && /c_circle/.test(l.msg ?? '') && !/c_arr/.test(l.msg ?? '')), 'left-out columns are reported');
  // Every event encodes with the Debezium Avro schemas Ferry registers, and decodes back to the same values.
  const encoder = new EventEncoder({ connector: 'postgresql', topicPrefix: 'it' });
  for (const e of [...snap, ...stream]) {
    const { value } = encoder.encode(e, { key: 1, value: 2 });
    const back = decodeWire(encoder.types(e.table).envelope, value).value as { after: Row; source: Record<string, unknown> };
    assert.deepEqual(back.after.c_int8, e.after!.c_int8);
    assert.deepEqual(back.after.c_num, e.after!.c_num);
    assert.deepEqual(back.after.c_arr2d, e.after!.c_arr2d);
    assert.deepEqual(back.after.c_numarr, e.after!.c_numarr);
    assert.equal(back.source.schema, s.schema);
    assert.equal(back.source.lsn, e.source.extra!.lsn);
  }
});
