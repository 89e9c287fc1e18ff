/**
 * Tokens of MySQL/MariaDB DDL: words, `quoted` identifiers, 'strings', numbers, b'bit' and x'hex' literals, and
 * punctuation. Comments are dropped, except executable ones (MySQL's /*!50100 ... *\/, MariaDB's /*M!100100 ... *\/),
 * whose content the server runs and so is tokenized.
 */
export interface Token {
  readonly type: 'word' | 'qid' | 'string' | 'number' | 'bits' | 'hex' | 'op';
  /** Unescaped text (identifier, string content, digits, operator). */
  readonly value: string;
  /** Upper-case value for words; '' otherwise. */
  readonly upper: string;
  readonly start: number;
  readonly end: number;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', Z: '\x1a', b: '\b' };

function quoted(sql: string, i: number, q: string): { value: string; end: number } {
  let value = '';
  let j = i + 1;
  for (; j < sql.length; j++) {
    const c = sql[j]!;
    if (c === q) {
      if (sql[j + 1] === q) { value += q; j++; continue; }
      return { value, end: j + 1 };
    }
    if (c === '\\' && q !== '`' && j + 1 < sql.length) {
      const n = sql[j + 1]!;
      value += ESCAPES[n] ?? n;
      j++;
      continue;
    }
    value += c;
  }
  throw new Error(`unterminated ${q === '`' ? 'identifier' : 'string'} at offset ${i}`);
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  const push = (type: Token['type'], value: string, start: number, end: number) => out.push({ type, value, upper: type === 'word' ? value.toUpperCase() : '', start, end });
  let execComments = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      const m = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
      if (m) { execComments++; i += m[0].length; continue; }
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    if (c === '*' && sql[i + 1] === '/' && execComments > 0) { execComments--; i += 2; continue; }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!)))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '`') { const q = quoted(sql, i, '`'); push('qid', q.value, i, q.end); i = q.end; continue; }
    if (c === '\'' || c === '"') { const q = quoted(sql, i, c); push('string', q.value, i, q.end); i = q.end; continue; }
    if ((c === 'b' || c === 'B' || c === 'x' || c === 'X') && sql[i + 1] === '\'') {
      const q = quoted(sql, i + 1, '\'');
      push(c === 'b' || c === 'B' ? 'bits' : 'hex', q.value, i, q.end);
      i = q.end;
      continue;
    }
    if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'b') && /[0-9A-Fa-f]/.test(sql[i + 2] ?? '')) {
      let j = i + 2;
      while (j < sql.length && /[0-9A-Fa-f]/.test(sql[j]!)) j++;
      push(sql[i + 1] === 'b' ? 'bits' : 'hex', sql.slice(i + 2, j), i, j);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d*\.?\d+(?:[eE][-+]?\d+)?|\d+\.)/.exec(sql.slice(i))!;
      const j = i + m[0].length;
      if (j < sql.length && WORD.test(sql[j]!) && !/^\d*\.\d*$/.test(m[0])) {
        let k = j;
        while (k < sql.length && WORD.test(sql[k]!)) k++;
        push('word', sql.slice(i, k), i, k);
        i = k;
        continue;
      }
      push('number', m[0], i, j);
      i = j;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < sql.length && WORD.test(sql[j]!)) j++;
      const word = sql.slice(i, j);
      if (word.startsWith('_') && sql[j] === '\'') { // charset introducer: _utf8mb4'text'
        const q = quoted(sql, j, '\'');
        push('string', q.value, i, q.end);
        i = q.end;
        continue;
      }
      if ((word === 'N' || word === 'n') && sql[j] === '\'') {
        const q = quoted(sql, j, '\'');
        push('string', q.value, i, q.end);
        i = q.end;
        continue;
      }
      push('word', word, i, j);
      i = j;
      continue;
    }
    push('op', c, i, i + 1);
    i++;
  }
  while (out.length > 0 && out[out.length - 1]!.type === 'op' && out[out.length - 1]!.value === ';') out.pop();
  return out;
}

export class TokenStream {
  readonly #t: readonly Token[];
  #i = 0;

  constructor(tokens: readonly Token[]) {
    this.#t = tokens;
  }

  get index(): number {
    return this.#i;
  }

  atEnd(): boolean {
    return this.#i >= this.#t.length;
  }

  peek(offset = 0): Token | undefined {
    return this.#t[this.#i + offset];
  }

  next(): Token | undefined {
    return this.#t[this.#i++];
  }

  back(): void {
    this.#i--;
  }

  peekWord(): string | undefined {
    return this.peekWordAt(0);
  }

  peekWordAt(offset: number): string | undefined {
    const t = this.#t[this.#i + offset];
    return t?.type === 'word' ? t.upper : undefined;
  }

  nextWord(): string {
    const t = this.next();
    if (t?.type !== 'word') throw new Error(`expected a word, found ${t ? JSON.stringify(t.value) : 'the end'}`);
    return t.upper;
  }

  /** Consumes the words if they all come next, in order. */
  acceptWords(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (this.peekWordAt(k) !== words[k]) return false;
    this.#i += words.length;
    return true;
  }

  expectWord(word: string): void {
    if (!this.acceptWords(word)) throw new Error(`expected ${word}, found ${this.peek()?.value ?? 'the end'}`);
  }

  peekOp(op: string): boolean {
    const t = this.peek();
    return t?.type === 'op' && t.value === op;
  }

  acceptOp(op: string): boolean {
    if (!this.peekOp(op)) return false;
    this.#i++;
    return true;
  }

  expectOp(op: string): void {
    if (!this.acceptOp(op)) throw new Error(`expected "${op}", found ${this.peek()?.value ?? 'the end'}`);
  }

  /** An identifier: a word, a `quoted` one, or (leniently) a "double-quoted" one. */
  identifier(): string {
    const t = this.next();
    if (t && (t.type === 'word' || t.type === 'qid' || t.type === 'string')) return t.value;
    throw new Error(`expected an identifier, found ${t ? JSON.stringify(t.value) : 'the end'}`);
  }

  /** At '(': skips to after the matching ')'. */
  skipBalanced(): void {
    if (!this.peekOp('(')) return;
    let depth = 0;
    while (!this.atEnd()) {
      const t = this.next()!;
      if (t.type === 'op' && t.value === '(') depth++;
      else if (t.type === 'op' && t.value === ')' && --depth === 0) return;
    }
  }

  /** Skips to the next ',' or ')' at this nesting level (not consumed), or the end. */
  skipToComma(): void {
    let depth = 0;
    while (!this.atEnd()) {
      const t = this.peek()!;
      if (t.type === 'op') {
        if (t.value === '(') depth++;
        else if (t.value === ')') { if (depth === 0) return; depth--; } else if (t.value === ',' && depth === 0) return;
      }
      this.#i++;
    }
  }

  tokensBetween(a: number, b: number): Token[] {
    return this.#t.slice(a, b);
  }

  textBetween(a: number, b: number): string {
    return this.#t.slice(a, b).map((t) => (t.type === 'string' ? `'${t.value}'` : t.type === 'qid' ? `\`${t.value}\`` : t.value)).join(' ');
  }
}
