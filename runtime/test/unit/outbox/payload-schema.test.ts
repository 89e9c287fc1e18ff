// The Avro schema derived from outbox payloads (runtime/src/outbox/payload-schema.ts): shapes, widening, and that a
// widened schema still reads what the narrower one wrote (checked with avsc's schema resolution, not Ferry's code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { avroName, covers, fromAvro, mergeShapes, shapeOf, toAvro } from '../../../src/outbox/payload-schema.ts';

test('an object payload becomes a record of optional fields; nested objects and arrays follow', () => {
  assert.deepEqual(toAvro(shapeOf({ id: 1, item: 'book', price: 9.5, tags: ['a'], customer: { vip: true } }), 'outbox_event_Order'), {
    type: 'record', name: 'outbox_event_Order', fields: [
      { name: 'id', type: ['null', 'long'], default: null },
      { name: 'item', type: ['null', 'string'], default: null },
      { name: 'price', type: ['null', 'double'], default: null },
      { name: 'tags', type: ['null', { type: 'array', items: 'string' }], default: null },
      { name: 'customer', type: ['null', { type: 'record', name: 'outbox_event_Order_customer', fields: [{ name: 'vip', type: ['null', 'boolean'], default: null }] }], default: null },
    ],
  });
});

test('widening: new fields are added, long widens to double, another kind adds a union branch', () => {
  const a = shapeOf({ id: 1, n: 2 });
  const b = mergeShapes(a, shapeOf({ id: 2, n: 2.5, note: 'x' }));
  const c = mergeShapes(b, shapeOf({ id: 'A-3' }));
  assert.deepEqual(toAvro(c, 'R'), {
    type: 'record', name: 'R', fields: [
      { name: 'id', type: ['null', 'long', 'string'], default: null },
      { name: 'n', type: ['null', 'double'], default: null },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  });
  assert.equal(covers(c, shapeOf({ id: 7 })), true);
  assert.equal(covers(a, shapeOf({ id: 7, extra: true })), false);
  // Every older schema's records are readable with the newer one (the registry's BACKWARD rule), by avsc's resolver.
  for (const [older, value] of [[a, { id: 1, n: 2 }], [b, { id: 2, n: 2.5, note: 'x' }]] as const) {
    const writer = avro.Type.forSchema(toAvro(older, 'R') as avro.Schema);
    const reader = avro.Type.forSchema(toAvro(c, 'R') as avro.Schema);
    const read = reader.fromBuffer(writer.toBuffer(value), reader.createResolver(writer)) as Record<string, unknown>;
    assert.deepEqual({ ...read }, { note: null, ...value });
  }
});

test('objects with keys that are not Avro names become maps; primitives, null and bytes payloads', () => {
  assert.deepEqual(toAvro(shapeOf({ 'order-id': 1, b: 2 }), 'R'), { type: 'map', values: 'long' });
  assert.deepEqual(toAvro(mergeShapes(shapeOf({ a: 1 }), shapeOf({ 'x y': 'z' })), 'R'), { type: 'map', values: ['long', 'string'] });
  assert.equal(toAvro(shapeOf('text'), 'R'), 'string');
  assert.deepEqual(toAvro(mergeShapes(shapeOf(null), shapeOf(Buffer.from('x'))), 'R'), ['null', 'bytes']);
  assert.deepEqual(toAvro(shapeOf([]), 'R'), { type: 'array', items: 'null' });
});

test('fromAvro inverts toAvro (a restart continues from the registered schema); foreign schemas give null', () => {
  const s = mergeShapes(shapeOf({ a: [1, 'x'], m: { 'k-1': 1.5 }, r: { b: null } }), shapeOf({ c: Buffer.alloc(1) }));
  const schema = toAvro(s, 'outbox_event_X');
  assert.deepEqual(toAvro(fromAvro(schema)!, 'outbox_event_X'), schema);
  assert.equal(fromAvro({ type: 'enum', name: 'E', symbols: ['A'] }), null);
  assert.equal(fromAvro({ type: 'fixed', name: 'F', size: 2 }), null);
});

test('avroName makes a valid Avro name from a topic', () => {
  assert.equal(avroName('outbox.event.Order-Line'), 'outbox_event_Order_Line');
  assert.equal(avroName('1st.topic'), '_1st_topic');
});
