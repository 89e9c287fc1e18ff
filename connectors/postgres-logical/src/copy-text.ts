/**
 * COPY … TO STDOUT in text format, parsed: rows end with '\n', fields are separated by '\t', NULL is '\N', and
 * backslash escapes stand for backslash, newline, carriage return, tab and the other control characters
 * (PostgreSQL docs, COPY, "Text Format"). Literal newlines and tabs never occur inside a field, so rows and
 * fields are found by plain scanning; only fields containing a backslash need unescaping.
 */

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Undoes COPY text escaping of one field (not '\N', which is NULL and handled by the caller). */
export function unescapeCopyField(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('\\'); i >= 0 && i < s.length; i = s.indexOf('\\', from)) {
    out += s.slice(from, i);
    const c = s[i + 1] ?? '';
    const esc = ESCAPES[c];
    if (esc !== undefined) { out += esc; from = i + 2; continue; }
    if (c >= '0' && c <= '7') {
      let j = i + 1;
      while (j < i + 4 && s[j]! >= '0' && s[j]! <= '7') j++;
      out += String.fromCharCode(parseInt(s.slice(i + 1, j), 8));
      from = j;
      continue;
    }
    if (c === 'x' && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      const j = /[0-9a-fA-F]/.test(s[i + 3] ?? '') ? i + 4 : i + 3;
      out += String.fromCharCode(parseInt(s.slice(i + 2, j), 16));
      from = j;
      continue;
    }
    out += c;
    from = i + 2;
  }
  return out + s.slice(from);
}

/** Splits one row (without its '\n') into fields: strings, or null for '\N'. */
export function parseCopyRow(line: string): (string | null)[] {
  const fields = line.split('\t');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length === 0 || f.indexOf('\\') < 0) continue;
    fields[i] = f === '\\N' ? null as unknown as string : unescapeCopyField(f);
  }
  return fields;
}

/**
 * Incremental row splitter over the COPY byte stream: push chunks, get complete rows. UTF-8 sequences split
 * across chunks are safe because only complete lines ('\n' is never part of a multi-byte sequence) are decoded.
 */
export class CopyRowReader {
  #rest: Buffer | null = null;

  push(chunk: Buffer): (string | null)[][] {
    let buf = chunk;
    if (this.#rest !== null) {
      buf = Buffer.concat([this.#rest, chunk]);
      this.#rest = null;
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      this.#rest = Buffer.from(buf);
      return [];
    }
    if (last < buf.length - 1) this.#rest = Buffer.from(buf.subarray(last + 1));
    const text = buf.toString('utf8', 0, last);
    const lines = text.split('\n');
    const rows = new Array<(string | null)[]>(lines.length);
    for (let i = 0; i < lines.length; i++) rows[i] = parseCopyRow(lines[i]!);
    return rows;
  }

  /** Throws if the stream ended inside a row. */
  end(): void {
    if (this.#rest !== null && this.#rest.length > 0) throw new Error(`COPY output ended inside a row (${this.#rest.length} bytes without a newline)`);
  }
}
