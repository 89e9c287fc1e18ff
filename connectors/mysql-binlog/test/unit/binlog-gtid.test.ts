// Unit tests for binlog/gtid.ts: MySQL GTID sets (text, merging, membership, the COM_BINLOG_DUMP_GTID encoding),
// MariaDB GTID positions, and addGtid. Expected bytes come from small encoders written here, independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addGtid, MariaDbGtidPosition, MySqlGtidSet } from '../../src/binlog/gtid.ts';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '4f2b0c11-0000-4000-8000-00000000000b';
const C = 'c0ffee00-1234-5678-9abc-def012345678';

/** A uint64 as 8 little-endian bytes, built byte by byte. */
function u64(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** The 16 bytes of a dashed UUID. */
function uuidBytes(uuid: string): number[] {
  const hex = uuid.replace(/-/g, '');
  return Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** The COM_BINLOG_DUMP_GTID data for sources given in order, intervals inclusive [first, last]. */
function expectedEncoding(sources: Array<[string, Array<[number, number]>]>): Buffer {
  const bytes = [...u64(sources.length)];
  for (const [uuid, intervals] of sources) {
    bytes.push(...uuidBytes(uuid), ...u64(intervals.length));
    for (const [first, last] of intervals) bytes.push(...u64(first), ...u64(BigInt(last) + 1n));
  }
  return Buffer.from(bytes);
}

/** Reads an encoding back to text (test-side decoder, for round trips). */
function decodeEncoding(b: Buffer): string {
  let pos = 0;
  const n = Number(b.readBigUInt64LE(pos));
  pos += 8;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = b.toString('hex', pos, pos + 16);
    pos += 16;
    const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    const count = Number(b.readBigUInt64LE(pos));
    pos += 8;
    const ivs: string[] = [];
    for (let j = 0; j < count; j++) {
      const start = b.readBigInt64LE(pos);
      const end = b.readBigInt64LE(pos + 8) - 1n;
      pos += 16;
      ivs.push(start === end ? `${start}` : `${start}-${end}`);
    }
    parts.push(`${uuid}:${ivs.join(':')}`);
  }
  assert.equal(pos, b.length, 'no trailing bytes');
  return parts.join(',');
}

test('MySQL GTID set text: canonical form sorts UUIDs, lowercases, merges, and ignores whitespace', () => {
  const text = ` ${B.toUpperCase()}:7-9:1-5,\n  ${A.toUpperCase()}:3 `;
  assert.equal(MySqlGtidSet.parse(text).toString(), `${A}:3,${B}:1-5:7-9`);
  // overlapping, adjacent and out-of-order intervals collapse; n-n prints as n
  assert.equal(MySqlGtidSet.parse(`${A}:10-12:1-3:2-6:7:9:15-15`).toString(), `${A}:1-7:9-12:15`);
  // the same UUID twice is one source
  assert.equal(MySqlGtidSet.parse(`${A}:1-2,${C}:5,${A}:3-4`).toString(), `${A}:1-4,${C}:5`);
  // 32 hex digits without dashes are accepted and printed dashed
  assert.equal(MySqlGtidSet.parse(`${A.replace(/-/g, '')}:1`).toString(), `${A}:1`);
  // parse(toString()) is a fixed point
  const canonical = `${A}:1-7:9-12:15,${B}:1-5:7-9`;
  assert.equal(MySqlGtidSet.parse(canonical).toString(), canonical);
});

test('MySQL GTID set: the empty set', () => {
  for (const text of ['', '   ', '\n\t ']) {
    const set = MySqlGtidSet.parse(text);
    assert.equal(set.toString(), '');
    assert.equal(set.isEmpty(), true);
    assert.deepEqual(set.encode(), Buffer.alloc(8));
    assert.equal(set.contains(`${A}:1`), false);
  }
  const set = MySqlGtidSet.parse('');
  set.add(`${A}:5`);
  assert.equal(set.toString(), `${A}:5`);
  assert.equal(set.isEmpty(), false);
});

test('MySQL GTID set: add merges adjacent and overlapping transactions', () => {
  const set = MySqlGtidSet.parse(`${A}:1-5`);
  set.add(`${A}:6`); // adjacent after: 1-5 + 6 -> 1-6
  assert.equal(set.toString(), `${A}:1-6`);
  set.add(`${A}:8`); // a gap stays
  assert.equal(set.toString(), `${A}:1-6:8`);
  set.add(`${A}:7`); // fills the gap: both sides merge
  assert.equal(set.toString(), `${A}:1-8`);
  set.add(`${A}:3`); // already there
  assert.equal(set.toString(), `${A}:1-8`);
  set.add(`${A}:20`);
  set.add(`${A}:19`); // adjacent before
  assert.equal(set.toString(), `${A}:1-8:19-20`);
  set.add(`${C.toUpperCase()}:1`);
  set.add(` ${B}:2 `);
  assert.equal(set.toString(), `${A}:1-8:19-20,${B}:2,${C}:1`);
  const low = MySqlGtidSet.parse(`${A}:3-5`);
  low.add(`${A}:2`);
  low.add(`${A}:1`);
  assert.equal(low.toString(), `${A}:1-5`);
});

test('MySQL GTID set: add and contains agree with a plain set of numbers', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 30; round++) {
    const set = MySqlGtidSet.parse('');
    const model = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const gno = 1 + Math.floor(random() * 80);
      set.add(`${A}:${gno}`);
      model.add(gno);
    }
    for (let gno = 1; gno <= 82; gno++) assert.equal(set.contains(`${A}:${gno}`), model.has(gno), `gno ${gno}`);
    // the expected text: runs of consecutive numbers
    const sorted = [...model].sort((x, y) => x - y);
    const runs: string[] = [];
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
      runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
      i = j + 1;
    }
    assert.equal(set.toString(), `${A}:${runs.join(':')}`);
    assert.equal(decodeEncoding(set.encode()), set.toString());
  }
});

test('MySQL GTID set: contains', () => {
  const set = MySqlGtidSet.parse(`${A}:1-5:10-12,${B}:7`);
  for (const gno of [1, 3, 5, 10, 12]) assert.equal(set.contains(`${A}:${gno}`), true, `${gno}`);
  for (const gno of [6, 9, 13, 100]) assert.equal(set.contains(`${A}:${gno}`), false, `${gno}`);
  assert.equal(set.contains(`${B.toUpperCase()}:7`), true);
  assert.equal(set.contains(`${B}:6`), false);
  assert.equal(set.contains(`${C}:1`), false);
  assert.throws(() => set.contains('nonsense'), /invalid GTID/);
});

test('MySQL GTID set: encode writes the COM_BINLOG_DUMP_GTID layout with exclusive ends, sources sorted', () => {
  const set = MySqlGtidSet.parse(`${C}:9,${A}:1-5:7-9`);
  const expected = expectedEncoding([[A, [[1, 5], [7, 9]]], [C, [[9, 9]]]]);
  assert.deepEqual(set.encode(), expected);
  // spot-check the layout by hand: count, first UUID byte, first interval [1, 6)
  const b = set.encode();
  assert.equal(b.length, 8 + (16 + 8 + 2 * 16) + (16 + 8 + 16));
  assert.equal(b.readBigUInt64LE(0), 2n);
  assert.equal(b[8], 0x3e);
  assert.equal(b.readBigUInt64LE(24), 2n);
  assert.equal(b.readBigInt64LE(32), 1n);
  assert.equal(b.readBigInt64LE(40), 6n);
  assert.equal(decodeEncoding(b), set.toString());
});

test('MySQL GTID set: GNOs up to Number.MAX_SAFE_INTEGER, beyond rejected', () => {
  const max = Number.MAX_SAFE_INTEGER;
  const set = MySqlGtidSet.parse(`${A}:${max - 1}`);
  set.add(`${A}:${max}`);
  assert.equal(set.toString(), `${A}:${max - 1}-${max}`);
  assert.deepEqual(set.encode(), expectedEncoding([[A, [[max - 1, max]]]]));
  assert.equal(set.encode().readBigInt64LE(40), 9007199254740992n);
  assert.throws(() => MySqlGtidSet.parse(`${A}:1-9007199254740992`), /exceeds 9007199254740991/);
  assert.throws(() => set.add(`${A}:9223372036854775807`), /exceeds/);
});

test('MySQL GTID set: malformed text throws a clear error', () => {
  const cases: Array<[string, RegExp]> = [
    [A, /invalid GTID set entry/],
    [`${A}:`, /invalid GTID transaction number ''/],
    [`${A}:0`, /start at 1/],
    [`${A}:5-3`, /end before start/],
    [`${A}:1-2-3`, /invalid GTID interval/],
    [`${A}:x`, /tagged GTIDs/],
    [`${A}:-3`, /invalid GTID transaction number/],
    [`${A}:1e3`, /invalid GTID transaction number/],
    [`${A}:tag_a:1`, /tagged GTIDs \(MySQL 8\.3\+\) are not supported/],
    ['3e11fa47-71ca-11e1-9e33:1', /invalid GTID source UUID/],
    [`${A}:1,,${B}:1`, /invalid GTID set entry ''/],
    [`${A}:1,`, /invalid GTID set entry/],
  ];
  for (const [text, error] of cases) assert.throws(() => MySqlGtidSet.parse(text), error, text);
  const set = MySqlGtidSet.parse('');
  assert.throws(() => set.add(A), /invalid GTID/);
  assert.throws(() => set.add(`${A}:1-2`), /invalid GTID transaction number/);
  assert.throws(() => set.add(`${A}:tag:1`), /tagged/);
  assert.equal(set.toString(), '');
});

test('MariaDB GTID position: parse, sort by domain, uint64 sequence numbers', () => {
  const p = MariaDbGtidPosition.parse(' 2-1-5,\n0-1-100 , 1-2-18446744073709551615');
  assert.equal(p.toString(), '0-1-100,1-2-18446744073709551615,2-1-5');
  assert.equal(MariaDbGtidPosition.parse('').toString(), '');
  assert.equal(MariaDbGtidPosition.parse('').isEmpty(), true);
  assert.equal(MariaDbGtidPosition.parse('10-1-1,9-1-1').toString(), '9-1-1,10-1-1'); // numeric, not text, order
  assert.equal(MariaDbGtidPosition.parse('4294967295-4294967295-0').toString(), '4294967295-4294967295-0');
});

test('MariaDB GTID position: add replaces the domain entry, the latest GTID wins', () => {
  const p = MariaDbGtidPosition.parse('0-1-100,1-2-5');
  p.add({ domain: 0, server: 1, seq: 101 });
  assert.equal(p.toString(), '0-1-101,1-2-5');
  p.add({ domain: 0, server: 3, seq: 7n }); // after a failover: lower seq, other server, still the latest
  assert.equal(p.toString(), '0-3-7,1-2-5');
  p.add({ domain: 5, server: 1, seq: '18446744073709551615' });
  p.addText(' 3-9-42 ');
  assert.equal(p.toString(), '0-3-7,1-2-5,3-9-42,5-1-18446744073709551615');
  assert.throws(() => p.add({ domain: 0, server: 1, seq: 18446744073709551616n }), /out of range/);
  assert.throws(() => p.add({ domain: 0, server: 1, seq: 2 ** 53 }), /invalid MariaDB GTID sequence number/);
  assert.throws(() => p.add({ domain: 0, server: 1, seq: -1 }), /sequence number -1 out of range/);
  assert.throws(() => p.add({ domain: -1, server: 1, seq: 1 }), /domain id/);
  assert.throws(() => p.add({ domain: 0, server: 2 ** 32, seq: 1 }), /server id/);
  assert.throws(() => p.addText('0-1'), /invalid MariaDB GTID '0-1'/);
  assert.equal(p.toString(), '0-3-7,1-2-5,3-9-42,5-1-18446744073709551615');
});

test('MariaDB GTID position: malformed text throws', () => {
  for (const [text, error] of [
    ['0-1-100,0-2-5', /names domain 0 twice/],
    ['0-1', /invalid MariaDB GTID/],
    ['0-1-x', /invalid MariaDB GTID/],
    ['0-1-1-1', /invalid MariaDB GTID/],
    ['-1-1-1', /invalid MariaDB GTID/],
    ['0-1-18446744073709551616', /out of range/],
    ['4294967296-1-1', /domain id/],
    ['0-1-1,', /invalid MariaDB GTID ''/],
  ] as const) {
    assert.throws(() => MariaDbGtidPosition.parse(text), error, text);
  }
});

test('addGtid: MariaDB positions and MySQL sets, undefined and malformed inputs', () => {
  assert.equal(addGtid('0-1-41,1-2-7', '0-1-42', true), '0-1-42,1-2-7');
  assert.equal(addGtid('0-1-41', '2-3-1', true), '0-1-41,2-3-1');
  assert.equal(addGtid('', '0-1-1', true), '0-1-1');
  assert.equal(addGtid('1-1-5', '0-1-18446744073709551615', true), '0-1-18446744073709551615,1-1-5');
  assert.equal(addGtid(undefined, '0-1-42', true), undefined);
  assert.equal(addGtid('0-1-41', undefined, true), '0-1-41');
  assert.equal(addGtid('1-1-1,0-1-41', 'garbage', true), '1-1-1,0-1-41'); // unchanged, not even re-sorted
  assert.equal(addGtid('0-1-41', `${A}:5`, true), '0-1-41');
  assert.equal(addGtid(`${A}:1-41`, `${A}:42`, false), `${A}:1-42`);
  assert.equal(addGtid(`${B}:1-3,\n${A}:1-41`, `${C}:1`, false), `${A}:1-41,${B}:1-3,${C}:1`);
  assert.equal(addGtid('', `${A}:1`, false), `${A}:1`);
  assert.equal(addGtid(undefined, `${A}:42`, false), undefined);
  assert.equal(addGtid(`${A}:1-41`, undefined, false), `${A}:1-41`);
  assert.throws(() => addGtid(`${A}:1-41`, 'garbage', false), /invalid GTID/);
});

test('addGtid: the state it returned last is reused, and interleaved streams, repeats and failures give the parsed result', () => {
  // Oracle: the state parsed from its text every time (what addGtid did before it kept its last result).
  const mariaDb = (state: string, gtid: string) => {
    const p = MariaDbGtidPosition.parse(state);
    p.addText(gtid);
    return p.toString();
  };
  const mySql = (state: string, gtid: string) => {
    const s = MySqlGtidSet.parse(state);
    s.add(gtid);
    return s.toString();
  };
  let a = '0-1-1';
  let b = '0-1-1,3-2-9';
  for (let i = 2; i < 40; i++) {
    const ga = `0-1-${i}`;
    const gb = i % 3 === 0 ? `3-2-${i * 10}` : `0-${i}-${i}`;
    const wantA = mariaDb(a, ga);
    const wantB = mariaDb(b, gb);
    assert.equal(addGtid(a, ga, true), wantA);
    assert.equal(addGtid(b, gb, true), wantB);
    assert.equal(addGtid(b, gb, true), wantB); // the same transaction again: same state
    a = wantA;
    b = wantB;
  }
  assert.equal(a, '0-1-39');
  assert.equal(b, '0-38-38,3-2-390');
  assert.equal(addGtid(a, '0-1-18446744073709551616', true), a); // malformed (out of range): unchanged
  assert.equal(addGtid(a, '0-1-40', true), '0-1-40');

  let s = `${A}:1-5`;
  let t = `${B}:1,${A}:1-2`;
  for (let i = 6; i < 30; i++) {
    const gs = i % 4 === 0 ? `${C}:${i}` : `${A}:${i}`;
    const gt = `${B}:${i}`;
    const wantS = mySql(s, gs);
    const wantT = mySql(t, gt);
    assert.equal(addGtid(s, gs, false), wantS);
    assert.equal(addGtid(t, gt, false), wantT);
    s = wantS;
    t = wantT;
  }
  assert.equal(s, `${A}:1-7:9-11:13-15:17-19:21-23:25-27:29,${C}:8:12:16:20:24:28`);
  assert.throws(() => addGtid(s, 'garbage', false), /invalid GTID/);
  assert.equal(addGtid(s, `${A}:8`, false), `${A}:1-11:13-15:17-19:21-23:25-27:29,${C}:8:12:16:20:24:28`);
});
