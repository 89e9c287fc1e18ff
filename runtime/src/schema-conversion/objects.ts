/**
 * Views, routines and triggers as text: a view's SELECT carried to the target dialect when every token is one
 * Ferry knows means the same in both (identifiers, literals, operators, a fixed list of keywords and functions),
 * and the comment blocks that carry what is not converted.
 */
import type { CatalogEngine, CatalogView } from '../../../core/src/catalog.ts';
import { quoteMy, quotePg, type Dialect } from './quoting.ts';

const KEYWORDS = new Set(['select', 'from', 'where', 'as', 'join', 'inner', 'left', 'right', 'outer', 'cross', 'on', 'and', 'or', 'not', 'in', 'is', 'null',
  'like', 'between', 'group', 'by', 'order', 'having', 'limit', 'offset', 'distinct', 'all', 'union', 'case', 'when', 'then', 'else', 'end', 'asc', 'desc',
  'true', 'false', 'exists']);
const FUNCTIONS = new Set(['count', 'sum', 'min', 'max', 'avg', 'coalesce', 'lower', 'upper', 'abs', 'round', 'nullif']);

/** How PostgreSQL prints an identifier (quote_ident): bare when lower case and plain, else quoted. */
export function pgIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !KEYWORDS.has(name) ? name : quotePg(name);
}

/** The statement as SQL comment lines, for a person to finish. */
export function commentOut(what: string, text: string): string {
  return [`-- manual: ${what}`, ...text.split('\n').map((l) => `--   ${l}`)].join('\n');
}

type Token = { kind: 'ident'; name: string } | { kind: 'word'; text: string } | { kind: 'text'; text: string } | { kind: 'other'; text: string };

function tokenize(sql: string, quoteChar: '`' | '"'): Token[] | null {
  const out: Token[] = [];
  const q = quoteChar === '`' ? '`((?:[^`]|``)+)`' : '"((?:[^"]|"")+)"';
  const re = new RegExp(`\\s+|${q}|('(?:[^'\\\\]|'')*')|(\\d+(?:\\.\\d+)?)|([A-Za-z_][A-Za-z0-9_$]*)|(<=|>=|<>|!=|[<>=+\\-*/%(),.])|([\\s\\S])`, 'y');
  let pos = 0;
  while (pos < sql.length) {
    re.lastIndex = pos;
    const m = re.exec(sql);
    if (!m) return null;
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'ident', name: m[1].replace(quoteChar === '`' ? /``/g : /""/g, quoteChar) });
    else if (m[4] !== undefined) out.push({ kind: 'word', text: m[4] });
    else if (m[6] !== undefined) out.push({ kind: 'other', text: m[6] });
    else if (m[0].trim() === '') out.push({ kind: 'text', text: ' ' });
    else out.push({ kind: 'text', text: m[0] });
  }
  return out;
}

/** The SELECT of a view in the target dialect, or null when it cannot be carried over safely. */
export function viewDefinition(v: CatalogView, source: CatalogEngine, target: Dialect, targetSchema: string): string | null {
  const fromPg = source === 'postgres';
  const toPg = target === 'postgres';
  // PostgreSQL → PostgreSQL: verbatim (printed with search_path = its schema, applied with search_path = the target's)
  if (fromPg && toPg) return v.definition;
  const tokens = tokenize(v.definition, fromPg ? '"' : '`');
  if (!tokens) return null;
  const quote = toPg ? quotePg : quoteMy;
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens.slice(i + 1).find((x) => !(x.kind === 'text' && x.text === ' '));
    if (t.kind === 'ident') {
      // a qualifier naming the view's own schema follows the schema rename
      const isSchema = t.name === v.schema && next?.kind === 'text' && next.text === '.';
      out.push(quote(isSchema ? targetSchema : t.name));
    } else if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      const call = next?.kind === 'text' && next.text === '(';
      if (KEYWORDS.has(w) || (call && FUNCTIONS.has(w))) out.push(t.text);
      else if (fromPg && !call) out.push(quote(t.text === v.schema ? targetSchema : t.text)); // a bare identifier in PostgreSQL's output
      else if (source === target || (!fromPg && !toPg)) out.push(t.text);
      else return null;
    } else if (t.kind === 'other') {
      if (source !== target && !(fromPg === false && toPg === false)) return null;
      out.push(t.text);
    } else out.push(t.text);
  }
  return out.join('').trim();
}
