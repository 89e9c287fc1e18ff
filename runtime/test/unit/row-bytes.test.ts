// The row-size walk and its profiles (runtime/src/pipeline/row-bytes.ts): one walk counts what a row holds, each
// profile prices the counts; a batch is walked once (first, middle, last event) for every profile of the same walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENCODED, MEMORY, PAYLOAD, eventBytes, eventsBytes, sampleEvents, valueBytes } from '../../src/pipeline/row-bytes.ts';
import type { ChangeEvent, Row } from '../../../core/src/types.ts';

const ev = (after: Row, key: Row | null = { id: after.id }, before: Row | null = null): ChangeEvent =>
  ({ op: 'u', key, before, after, tsMs: 0, source: { tsMs: 0 } }) as unknown as ChangeEvent;
const row = { id: 1, name: 'héllo', data: Buffer.alloc(10), ok: true, n: 12n };

test('one event under each profile: memory held, row-image payload, encoded bound', () => {
  const e = ev(row);
  // 128 envelope + 8 per key field + 32 row + 5 × 8 fields + (16 + 5) string + 8 number + 24 bigint + 0 boolean + (96 + 10) buffer
  assert.equal(eventBytes(e, MEMORY), 367);
  // 5 characters + 8 + 8 + 1 + 10 bytes
  assert.equal(eventBytes(e, PAYLOAD), 32);
  // 2048 envelope + 6 fields (row and key) × 12 + 6 UTF-8 bytes + 2 numbers × 10 + bigint 10 + boolean 10 + 10 bytes
  assert.equal(eventBytes(e, ENCODED), 2176);
  // a before image counts as much again, the key's values only where the walk takes them
  assert.equal(eventBytes(ev(row, { id: 1 }, row), MEMORY), 367 + 231);
  assert.equal(eventBytes(ev(row, null), ENCODED), 2176 - 22);
});

test('nested values: arrays, objects and dates per profile; deeper than 4 levels a flat price', () => {
  const doc = { a: [1, 'xy'], d: new Date(0) };
  assert.equal(valueBytes(doc, MEMORY), 32 + 2 * 8 + 16 + 2 * 8 + 8 + 18 + 40);
  assert.equal(valueBytes(doc, PAYLOAD), 8 + 2 + 8);
  assert.equal(valueBytes(doc, ENCODED), 2 + 2 * 12 + 2 + 5 + 2 + 10 + 2 + 26);
  const deep = [[[[[1]]]]];
  assert.equal(valueBytes(deep, MEMORY), 4 * (16 + 8) + 64);
  assert.equal(valueBytes(deep, PAYLOAD), 64);
  assert.equal(valueBytes(deep, ENCODED), 5 * (5 + 1) + 10, 'the encoded bound walks deeper');
  assert.equal(valueBytes('é', ENCODED), 2);
  assert.equal(valueBytes('é', PAYLOAD), 1);
  assert.equal(valueBytes(null, MEMORY), 0);
});

test('a batch is walked once for memory and payload: first, middle and last event times its length', () => {
  const small = ev({ id: 1, s: '' });
  const wide = ev({ id: 2, s: 'x'.repeat(300) });
  const events = [wide, small, small, small, small, small, wide];
  const sample = sampleEvents(events);
  assert.equal(sample.sampled, 3);
  assert.equal(sampleEvents(events), sample, 'the second profile reuses the walk');
  assert.equal(eventsBytes(events, PAYLOAD), Math.round(((2 * eventBytes(wide, PAYLOAD) + eventBytes(small, PAYLOAD)) / 3) * 7));
  assert.equal(eventsBytes(events, PAYLOAD), Math.round(((2 * 308 + 8) / 3) * 7));
  assert.equal(eventsBytes(events, MEMORY), Math.round(((2 * eventBytes(wide, MEMORY) + eventBytes(small, MEMORY)) / 3) * 7));
  assert.equal(sampleEvents(events), sample);
  assert.notEqual(sampleEvents(events, ENCODED.walk), sample, 'another walk (UTF-8, keys) walks again');
  // a batch of up to three events is walked whole: exact
  assert.equal(eventsBytes([small, wide], PAYLOAD), 8 + 308);
  assert.equal(eventsBytes([], MEMORY), 0);
  // an events array that grew is walked again
  events.push(small);
  assert.equal(eventsBytes(events, PAYLOAD), Math.round(((308 + 2 * 8) / 3) * 8));
});
