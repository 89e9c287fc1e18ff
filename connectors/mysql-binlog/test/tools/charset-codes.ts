/**
 * Every code of MariaDB's 8-bit and multi-byte charsets, and the server's own decoding of them: shared by the
 * generator of src/binlog/mysql-charset-tables.ts (gen-charset-tables.ts) and the test that checks the binlog text
 * decoder against the server (test/integration/charsets.test.ts).
 */
import type mysql from 'mysql2/promise';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const two = (leads: number[], trails: number[]) => leads.flatMap((l) => trails.map((t) => Buffer.from([l, t])));

/** The 8-bit charsets (latin1 has its own decoder; ascii is read as UTF-8). */
export const SINGLE_BYTE_CHARSETS = [
  'latin2', 'latin5', 'latin7', 'cp1250', 'cp1251', 'cp1256', 'cp1257', 'cp850', 'cp852', 'cp866', 'koi8r', 'koi8u', 'greek', 'hebrew',
  'armscii8', 'keybcs2', 'macce', 'macroman', 'swe7', 'tis620', 'hp8', 'dec8', 'geostd8',
] as const;

const SJIS = two([...range(0x81, 0x9f), ...range(0xe0, 0xfc)], range(0x40, 0xfc));
const EUCJP = [
  ...two(range(0xa1, 0xfe), range(0xa1, 0xfe)), ...range(0xa1, 0xdf).map((b) => Buffer.from([0x8e, b])),
  ...range(0xa1, 0xfe).flatMap((a) => range(0xa1, 0xfe).map((b) => Buffer.from([0x8f, a, b]))),
];

/** Candidate codes of each multi-byte charset (a superset: the server says which are valid). */
export const MULTI_BYTE_CODES: Readonly<Record<string, readonly Buffer[]>> = {
  sjis: SJIS, cp932: SJIS, ujis: EUCJP, eucjpms: EUCJP,
  gbk: two(range(0x81, 0xfe), range(0x40, 0xfe)), gb2312: two(range(0xa1, 0xf7), range(0xa1, 0xfe)),
  big5: two(range(0xa1, 0xf9), [...range(0x40, 0x7e), ...range(0xa1, 0xfe)]), euckr: two(range(0x81, 0xfe), range(0x41, 0xfe)),
};

export const ALL_BYTES: readonly Buffer[] = range(0, 255).map((b) => Buffer.from([b]));

/**
 * The server's decoding of each code in `charset` (CONVERT … USING utf8mb4), or null where the code is not a
 * character of the charset (the server converts it to '?').
 */
export async function serverDecode(conn: mysql.Connection, charset: string, codes: readonly Buffer[]): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (let k = 0; k < codes.length; k += 400) {
    const part = codes.slice(k, k + 400);
    const sql = `SELECT ${part.map((c, i) => `HEX(CONVERT(CONVERT(X'${c.toString('hex')}' USING ${charset}) USING utf8mb4)) AS c${i}`).join(', ')}`;
    const [rows] = await conn.query<mysql.RowDataPacket[]>(sql);
    part.forEach((code, i) => {
      const hex = rows[0]![`c${i}`] as string | null;
      const text = hex === null ? null : Buffer.from(hex, 'hex').toString('utf8');
      out.push(text === null || (text.includes('?') && !code.includes(0x3f)) ? null : text);
    });
  }
  return out;
}
