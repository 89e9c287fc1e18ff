// The benchmark suite's own arithmetic (bench/vs-debezium.ts W2 and W10): drift slopes, Connect decimals, the
// wide-row comparison. Pure functions, no services.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slope } from '../../bench/lib/process-stats.ts';
import { canonicalJson, decimalText, SCALARS, wideBody, wideDiff, wideDoc, wideScalar } from '../../bench/lib/wide-table.ts';

test('slope: least squares over the points (MB per hour from samples in hours)', () => {
  assert.equal(slope([{ x: 0, y: 100 }, { x: 1, y: 110 }, { x: 2, y: 120 }]), 10);
  assert.equal(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }, { x: 3, y: 4 }]), 0.8);
  assert.ok(Number.isNaN(slope([{ x: 1, y: 1 }])));
});

test('decimalText: Connect Decimal bytes (two\'s complement, big-endian) with the scale', () => {
  assert.equal(decimalText(Buffer.from([0x30, 0x39]), 2), '123.45'); // 12345
  assert.equal(decimalText(Buffer.from([0xcf, 0xc7]), 2), '-123.45');
  assert.equal(decimalText(Buffer.from([0x05]), 2), '0.05');
  assert.equal(decimalText(Buffer.from([0x00, 0x80]), 0), '128');
});

test('canonicalJson: key order and spacing do not count (jsonb reorders), values do', () => {
  assert.equal(canonicalJson('{"b": 1, "a": [1, {"y": 2, "x": 1}]}'), canonicalJson({ a: [1, { x: 1, y: 2 }], b: 1 }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
});

test('wide rows: 60 columns, ~4 KB JSON and 16 KB text; a faithful row has no difference and a changed one is named', () => {
  const id = 12345;
  assert.equal(SCALARS.length + 4, 60);
  assert.equal(wideBody(id).length, 16384);
  const docBytes = JSON.stringify(wideDoc(id)).length;
  assert.ok(docBytes > 3500 && docBytes < 4600, `doc is ${docBytes} bytes`);
  const source: Record<string, unknown> = { id: String(id), doc: wideDoc(id), body: wideBody(id) };
  const after: Record<string, unknown> = { id: BigInt(id), doc: JSON.stringify(wideDoc(id)), body: wideBody(id) };
  SCALARS.forEach((c, k) => {
    const v = wideScalar(id, k);
    source[c.name] = v;
    after[c.name] = c.type === 'decimal' ? decimalBytes(String(v)) : c.type === 'bigint' ? BigInt(v) : c.type === 'int' || c.type === 'smallint' ? Number(v) : v;
  });
  assert.deepEqual(wideDiff(id, after, source), []);
  assert.deepEqual(wideDiff(id, { ...after, body: 'x', c04: decimalBytes('0.01') }, source), ['body', 'c04']);
});

function decimalBytes(text: string): Buffer {
  let n = BigInt(text.replace('.', ''));
  const out: number[] = [];
  do { out.unshift(Number(n & 0xffn)); n >>= 8n; } while (n > 0n);
  if (out[0]! & 0x80) out.unshift(0);
  return Buffer.from(out);
}
