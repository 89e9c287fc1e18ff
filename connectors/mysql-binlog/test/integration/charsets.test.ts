/**
 * The binlog text decoder (src/binlog/mysql-text.ts) against the server: every byte of every 8-bit charset and
 * every code of every multi-byte charset decodes to what MariaDB converts it to, which is what a snapshot reads.
 * If this fails after a server upgrade, regenerate the tables: scripts/node connectors/mysql-binlog/test/tools/gen-charset-tables.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { admin } from './helpers.ts';
import { ALL_BYTES, MULTI_BYTE_CODES, SINGLE_BYTE_CHARSETS, serverDecode } from '../tools/charset-codes.ts';
import { textDecoder } from '../../src/binlog/mysql-text.ts';

let conn: mysql.Connection;
before(async () => { conn = await admin(); });
after(async () => { await conn.end(); });

const cp = (s: unknown) => (typeof s === 'string' ? [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join(' ') : String(s));

async function differences(charset: string, codes: readonly Buffer[]): Promise<string[]> {
  const decode = textDecoder(charset);
  assert.ok(decode, `a decoder for ${charset}`);
  const server = await serverDecode(conn, charset, codes);
  const out: string[] = [];
  codes.forEach((code, i) => {
    const want = server[i];
    if (want === null || want === undefined) return;
    // alone, and inside text (so that code boundaries are found in a run of characters)
    const inside = Buffer.concat([Buffer.from('a'), code, Buffer.from('z')]);
    const got = decode!(code, 0, code.length);
    if (got !== want) out.push(`${charset} ${code.toString('hex')}: server ${cp(want)}, Ferry ${cp(got)}`);
    else if (decode!(inside, 0, inside.length) !== `a${want}z`) out.push(`${charset} a${code.toString('hex')}z: ${cp(decode!(inside, 0, inside.length))}`);
  });
  return out;
}

test('every byte of the 8-bit charsets, and latin1, decodes as the server converts it', async () => {
  const diffs: string[] = [];
  for (const cs of ['latin1', ...SINGLE_BYTE_CHARSETS]) diffs.push(...await differences(cs, ALL_BYTES));
  assert.deepEqual(diffs.slice(0, 30), [], `${diffs.length} differences`);
});

test('every code of the multi-byte charsets (sjis, cp932, ujis, eucjpms, gbk, gb2312, big5, euckr) decodes as the server converts it', async () => {
  const diffs: string[] = [];
  for (const [cs, codes] of Object.entries(MULTI_BYTE_CODES)) diffs.push(...await differences(cs, codes));
  assert.deepEqual(diffs.slice(0, 30), [], `${diffs.length} differences`);
});

test('a run of mixed text in sjis and ujis decodes at code boundaries, differing codes included', () => {
  const sjis = textDecoder('sjis')!;
  const bytes = Buffer.from([0x41, 0x81, 0x5f, 0x82, 0xa0, 0x5c, 0x81, 0x60, 0x7e, 0x88, 0x9f]);
  assert.equal(sjis(bytes, 0, bytes.length), 'A\\\u3042\\\u301c~\u4e9c'); // 0x815F is U+005C in MySQL's sjis, 0x8160 U+301C
  const ujis = textDecoder('ujis')!;
  const eu = Buffer.from([0xa1, 0xc0, 0x8f, 0xa2, 0xb7, 0xf5, 0xa1, 0x8f, 0xf5, 0xa1, 0x41]);
  assert.equal(ujis(eu, 0, eu.length), '\\~\ue000\ue3acA');
});
