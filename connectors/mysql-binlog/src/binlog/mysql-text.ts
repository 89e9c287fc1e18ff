/**
 * Character data of a binlog row image → string, decoded exactly as the server converts it (to utf8mb4 for a
 * client), so that a streamed value equals the snapshot's (which the server converts):
 *  - UTF-8 charsets: as UTF-8;
 *  - latin1: cp1252, with the five bytes cp1252 leaves undefined as the C1 controls U+0081 … U+009D;
 *  - the other 8-bit charsets: MariaDB's own tables (mysql-charset-tables.ts);
 *  - multi-byte charsets: iconv-lite, corrected where MariaDB's mapping differs (sjis and ujis map JIS X 0208's
 *    '＼' to U+005C and '〜' to U+301C, big5 and eucjpms have their own tables, user-defined areas map to the Private
 *    Use Area): the differing codes come from mysql-charset-tables.ts and `privateUseChar`;
 *  - UCS-2 / UTF-16 / UTF-32: iconv-lite, big-endian as MySQL stores them.
 * connectors/mysql-binlog/test/integration/charsets.test.ts checks every code of every charset against the server.
 */
import iconv from 'iconv-lite';
import { MULTI_BYTE_DIFFERENCES, SINGLE_BYTE_HIGH, SINGLE_BYTE_FULL } from './mysql-charset-tables.ts';

export type TextDecoder = (b: Buffer, start: number, end: number) => string;

const UTF8_CHARSETS = new Set(['utf8', 'utf8mb3', 'utf8mb4', 'ascii']);
/** MySQL charset names iconv-lite spells differently (UCS-2/UTF-16/32 are big-endian). */
const ICONV_NAMES: Record<string, string> = {
  ucs2: 'utf16-be', utf16: 'utf16-be', utf16le: 'utf16-le', utf32: 'utf32-be', ujis: 'eucjp', eucjpms: 'eucjp', sjis: 'shiftjis',
};

/** A byte table: bytes below `from` are ASCII (fast path), the others `table[b - from]`. */
function tableDecoder(table: string, from: number): TextDecoder {
  const chars = [...table];
  return (b, s, e) => {
    let i = s;
    while (i < e && b[i]! < from) i++;
    if (i === e) return b.toString('latin1', s, e);
    let out = b.toString('latin1', s, i);
    for (; i < e; i++) {
      const c = b[i]!;
      out += c < from ? String.fromCharCode(c) : chars[c - from]!;
    }
    return out;
  };
}

/** MySQL latin1: cp1252, the five undefined bytes as C1 controls. */
const LATIN1_HIGH = Array.from({ length: 128 }, (_, i) => {
  const ch = iconv.decode(Buffer.from([0x80 + i]), 'cp1252');
  return ch === '\ufffd' ? String.fromCharCode(0x80 + i) : ch;
}).join('');
export const mysqlLatin1: TextDecoder = tableDecoder(LATIN1_HIGH, 0x80);

/** Bytes of the code starting at b[i] in a multi-byte charset (1 for a single byte or a truncated code). */
function codeLength(charset: string, b: Buffer, i: number, e: number): number {
  const c = b[i]!;
  let n: number;
  switch (charset) {
    case 'sjis': case 'cp932':
      n = (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc) ? 2 : 1;
      break;
    case 'ujis': case 'eucjpms':
      n = c === 0x8f ? 3 : c === 0x8e || (c >= 0xa1 && c <= 0xfe) ? 2 : 1;
      break;
    default: // big5, gbk, gb2312, euckr
      n = c >= 0x81 && c <= 0xfe ? 2 : 1;
  }
  return i + n <= e ? n : 1;
}

/**
 * MariaDB's Private Use Area mapping of user-defined codes: ujis/eucjpms rows 0xF5-0xFE (two bytes from U+E000,
 * three bytes after 0x8F from U+E3AC), cp932 leads 0xF0-0xF9 (from U+E000, 188 codes a lead). Undefined elsewhere.
 */
export function privateUseChar(charset: string, code: number, length: number): string | undefined {
  if (charset === 'ujis' || charset === 'eucjpms') {
    const lead = (code >> 8) & 0xff;
    const trail = code & 0xff;
    if (lead < 0xf5 || lead > 0xfe || trail < 0xa1 || trail > 0xfe) return undefined;
    if (length === 2) return String.fromCharCode(0xe000 + (lead - 0xf5) * 94 + (trail - 0xa1));
    if (length === 3 && code >> 16 === 0x8f) return String.fromCharCode(0xe3ac + (lead - 0xf5) * 94 + (trail - 0xa1));
    return undefined;
  }
  if (charset === 'cp932' && length === 2) {
    const lead = code >> 8;
    const trail = code & 0xff;
    if (lead < 0xf0 || lead > 0xf9 || trail < 0x40 || trail > 0xfc || trail === 0x7f) return undefined;
    return String.fromCharCode(0xe000 + (lead - 0xf0) * 188 + (trail - 0x40) - (trail > 0x7f ? 1 : 0));
  }
  return undefined;
}

function multiByteDecoder(charset: string, iconvName: string): TextDecoder {
  const diffs = new Map<number, string>(Object.entries(MULTI_BYTE_DIFFERENCES[charset] ?? {}).map(([hex, ch]) => [parseInt(hex, 16), ch]));
  return (b, s, e) => {
    let out = '';
    let from = s;
    for (let i = s; i < e;) {
      if (b[i]! < 0x80) { i++; continue; }
      const n = codeLength(charset, b, i, e);
      let code = 0;
      for (let k = 0; k < n; k++) code = code * 256 + b[i + k]!;
      const ch = n > 1 ? diffs.get(code) ?? privateUseChar(charset, code, n) : undefined;
      if (ch !== undefined) {
        if (i > from) out += iconv.decode(b.subarray(from, i), iconvName);
        out += ch;
        from = i + n;
      }
      i += n;
    }
    return from === s ? iconv.decode(b.subarray(s, e), iconvName) : out + (from < e ? iconv.decode(b.subarray(from, e), iconvName) : '');
  };
}

/** The decoder of `charset`'s text, or null when Ferry has none (the value is then kept as bytes). */
export function textDecoder(charset: string): TextDecoder | null {
  const cs = charset.toLowerCase();
  if (UTF8_CHARSETS.has(cs)) return (b, s, e) => b.toString('utf8', s, e);
  if (cs === 'latin1') return mysqlLatin1;
  const full = SINGLE_BYTE_FULL[cs];
  if (full !== undefined) return tableDecoder(full, 0);
  const high = SINGLE_BYTE_HIGH[cs];
  if (high !== undefined) return tableDecoder(high, 0x80);
  const name = ICONV_NAMES[cs] ?? cs;
  if (!iconv.encodingExists(name)) return null;
  if (cs in MULTI_BYTE_DIFFERENCES || cs === 'cp932') return multiByteDecoder(cs, name);
  return (b, s, e) => iconv.decode(b.subarray(s, e), name, { stripBOM: false });
}
