// EncodeArena (schemas/src/encode-arena.ts): a batch's records encoded into reused chunks must be byte for byte what
// encodeWire gives without an arena, across chunk boundaries, for records larger than a chunk (encoded alone), after
// an encoding error, and after reset (which must reuse the same memory, or the arena saves nothing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avscType } from '../../src/avro-types.ts';
import { ARENA_CHUNK_BYTES, ARENA_KEPT_CHUNKS, EncodeArena } from '../../src/encode-arena.ts';
import { decodeWire, encodeWire, EventEncoder } from '../../src/event-encoder.ts';
import type { ChangeEvent, TableSchema } from '../../../core/src/types.ts';
import { binlogPosition } from '../../../core/src/position.ts';

const type = avscType({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'long' }, { name: 'text', type: 'string' }] });

let seed = 99;
const random = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };

describe('EncodeArena', () => {
  it('gives the bytes encodeWire gives alone, across chunk boundaries, each record a view that later records do not overwrite', () => {
    const arena = new EncodeArena();
    const values = Array.from({ length: 3000 }, (_, i) => ({ id: i, text: 'x'.repeat(random(700)) }));
    const out = values.map((v, i) => encodeWire(type, 7 + (i % 3), v, 'record', arena));
    assert.ok(arena.used > 2 * ARENA_CHUNK_BYTES, `spans several chunks (${arena.used} bytes)`);
    const chunks = new Set(out.map((b) => b.buffer));
    assert.ok(chunks.size >= 3, 'records lie in several chunks');
    out.forEach((b, i) => assert.ok(b.equals(encodeWire(type, 7 + (i % 3), values[i])), `record ${i} byte for byte`));
    out.forEach((b, i) => assert.deepEqual(decodeWire(type, b), { schemaId: 7 + (i % 3), value: type.clone(values[i]) }));
  });

  it('encodes a record larger than a chunk on its own, and goes on in the arena after it', () => {
    const arena = new EncodeArena();
    const small = encodeWire(type, 1, { id: 1, text: 'a' }, 'record', arena);
    const big = encodeWire(type, 1, { id: 2, text: 'b'.repeat(ARENA_CHUNK_BYTES * 2) }, 'record', arena);
    const after = encodeWire(type, 1, { id: 3, text: 'c' }, 'record', arena);
    assert.notEqual(big.buffer, small.buffer, 'the large record has its own memory');
    assert.equal(after.buffer, small.buffer, 'the next record is in the arena again');
    assert.ok(big.equals(encodeWire(type, 1, { id: 2, text: 'b'.repeat(ARENA_CHUNK_BYTES * 2) })));
    assert.deepEqual(decodeWire(type, after).value, type.clone({ id: 3, text: 'c' }));
    assert.deepEqual(decodeWire(type, small).value, type.clone({ id: 1, text: 'a' }));
    // The arena tries a record larger than a chunk once (its size is known from the first attempt), not again in
    // a fresh chunk.
    let calls = 0;
    const counting = { encode: (...a: Parameters<typeof type.encode>) => { calls++; return type.encode(...a); } } as unknown as typeof type;
    assert.equal(arena.encodeWire(counting, 1, { id: 4, text: 'd'.repeat(ARENA_CHUNK_BYTES) }), null);
    assert.equal(calls, 1);
  });

  it('an encoding error takes nothing: it names the field, and the next record lands where the failed one would have', () => {
    const arena = new EncodeArena();
    const first = encodeWire(type, 1, { id: 1, text: 'ok' }, 'record', arena);
    const used = arena.used;
    assert.throws(() => encodeWire(type, 1, { id: 'not a long', text: 'x' }, 'the value of t', arena), /cannot encode the value of t as Avro: .*id/);
    assert.equal(arena.used, used);
    const next = encodeWire(type, 1, { id: 2, text: 'ok' }, 'record', arena);
    assert.equal(next.byteOffset, first.byteOffset + first.length);
    assert.deepEqual(decodeWire(type, first).value, type.clone({ id: 1, text: 'ok' }));
  });

  it('reset() reuses the same memory for the next batch, and keeps at most ARENA_KEPT_CHUNKS chunks', () => {
    const arena = new EncodeArena();
    const text = 'y'.repeat(1000);
    const firstBatch = Array.from({ length: 400 }, (_, i) => encodeWire(type, 1, { id: i, text }, 'record', arena));
    const firstChunks = [...new Set(firstBatch.map((b) => b.buffer))];
    arena.reset();
    assert.equal(arena.used, 0);
    const second = Array.from({ length: 400 }, (_, i) => encodeWire(type, 1, { id: 1000 + i, text }, 'record', arena));
    assert.deepEqual([...new Set(second.map((b) => b.buffer))], firstChunks, 'the second batch is in the first one\'s chunks');
    assert.deepEqual(decodeWire(type, second[399]!).value, type.clone({ id: 1399, text }));
    // A batch that needed more chunks than are kept: after reset, the arena holds ARENA_KEPT_CHUNKS of them.
    arena.reset();
    const many = (ARENA_KEPT_CHUNKS + 4) * Math.ceil(ARENA_CHUNK_BYTES / 1010);
    const big = Array.from({ length: many }, (_, i) => encodeWire(type, 1, { id: i, text }, 'record', arena));
    assert.ok(new Set(big.map((b) => b.buffer)).size > ARENA_KEPT_CHUNKS);
    arena.reset();
    const again = Array.from({ length: many }, (_, i) => encodeWire(type, 1, { id: i, text }, 'record', arena));
    const kept = new Set(big.map((b) => b.buffer));
    const reused = new Set(again.map((b) => b.buffer).filter((b) => kept.has(b)));
    assert.equal(reused.size, ARENA_KEPT_CHUNKS);
  });

  it('EventEncoder.encode with an arena: key and value byte for byte those without one', () => {
    const table: TableSchema = {
      id: { schema: 'shop', table: 'orders' }, version: 1, primaryKey: ['id'],
      columns: [
        { name: 'id', type: { type: 'int64' }, nullable: false, sourceType: 'bigint' },
        { name: 'note', type: { type: 'string' }, nullable: true, sourceType: 'text' },
      ],
    };
    const event = (i: number): ChangeEvent => ({
      op: 'c', key: { id: i }, before: null, after: { id: i, note: i % 4 === 0 ? null : `note ${i} `.repeat(i % 40) }, tsMs: 1_700_000_000_000 + i, table,
      source: { connector: 'mariadb', name: 'arena', tsMs: 1_700_000_000_000 + i, snapshot: 'false', db: 'shop', table: 'orders', position: binlogPosition({ file: 'mariadb-bin.000001', pos: 4 + i }) },
    });
    const withArena = new EventEncoder({ connector: 'mariadb', topicPrefix: 'arena' });
    const plain = new EventEncoder({ connector: 'mariadb', topicPrefix: 'arena' });
    const arena = new EncodeArena();
    const ids = { key: 3, value: 4 };
    const encoded = Array.from({ length: 2000 }, (_, i) => withArena.encode(event(i), ids, { arena }));
    encoded.forEach((e, i) => {
      const p = plain.encode(event(i), ids);
      assert.ok(e.key!.equals(p.key!), `key ${i}`);
      assert.ok(e.value.equals(p.value), `value ${i}`);
    });
    assert.ok(encoded.every((e) => e.key!.buffer.byteLength === ARENA_CHUNK_BYTES && e.value.buffer.byteLength === ARENA_CHUNK_BYTES), 'every key and value is a view of an arena chunk');
    assert.ok(arena.used > ARENA_CHUNK_BYTES, 'keys and values went into the arena');
  });
});
