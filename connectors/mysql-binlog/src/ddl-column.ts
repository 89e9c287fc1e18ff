/**
 * Column definitions in DDL (`name type [attributes]`): the type normalised to information_schema's COLUMN_TYPE
 * spelling, nullability, charset, literal default, inline PRIMARY KEY and MariaDB's JSON check.
 */
import { formatColumnType, parseColumnType } from './type-mapping.ts';
import type { TokenStream } from './ddl-tokens.ts';
import type { ColumnDefAst } from './ddl-parser.ts';

/** CHECK (json_valid(`col`)) → col; any other check → undefined. Consumes the check. */
export function jsonCheck(ts: TokenStream): string | undefined {
  ts.expectWord('CHECK');
  const start = ts.index;
  ts.skipBalanced();
  const toks = ts.tokensBetween(start, ts.index);
  if (toks.length === 6 && toks[1]!.type === 'word' && toks[1]!.upper === 'JSON_VALID' && toks[3]!.type !== 'op') return toks[3]!.value;
  return undefined;
}

/** (col[(len)] [ASC|DESC], ...) → column names. */
const TYPE_ALIASES: Record<string, string> = {
  INTEGER: 'int', INT1: 'tinyint', INT2: 'smallint', INT3: 'mediumint', MIDDLEINT: 'mediumint', INT4: 'int', INT8: 'bigint',
  DEC: 'decimal', NUMERIC: 'decimal', FIXED: 'decimal', REAL: 'double', CHARACTER: 'char', NCHAR: 'char', NVARCHAR: 'varchar', VARCHAR2: 'varchar',
};

/** The data type at the cursor, as canonical COLUMN_TYPE text, plus what the type words imply. */
function dataType(ts: TokenStream, isMariaDb: boolean): { columnType: string; charset?: string; json?: boolean; notNull?: boolean; binary?: boolean } {
  let word = ts.nextWord();
  let charset: string | undefined;
  if (word === 'NATIONAL') { word = ts.nextWord(); charset = 'utf8mb3'; }
  if (word === 'NCHAR' || word === 'NVARCHAR') charset = 'utf8mb3';
  if (word === 'DOUBLE') ts.acceptWords('PRECISION');
  if ((word === 'CHARACTER' || word === 'CHAR' || word === 'NCHAR') && ts.acceptWords('VARYING')) word = 'VARCHAR';
  if (word === 'LONG') {
    if (ts.acceptWords('VARBINARY')) word = 'MEDIUMBLOB';
    else { if (!ts.acceptWords('VARCHAR')) ts.acceptWords('CHARACTER', 'VARYING'); word = 'MEDIUMTEXT'; }
  }
  let base = (TYPE_ALIASES[word] ?? word).toLowerCase();
  let args: string[] = [];
  if (ts.peekOp('(')) {
    ts.next();
    do {
      const t = ts.next();
      if (!t) throw new Error('unterminated type arguments');
      args.push(t.value);
    } while (ts.acceptOp(','));
    ts.expectOp(')');
  }
  let unsigned = false;
  let zerofill = false;
  let notNull: boolean | undefined;
  let json: boolean | undefined;
  for (;;) {
    if (ts.acceptWords('UNSIGNED')) unsigned = true;
    else if (ts.acceptWords('SIGNED')) { /* default */ } else if (ts.acceptWords('ZEROFILL')) { zerofill = true; unsigned = true; } else break;
  }
  switch (base) {
    case 'bool':
    case 'boolean':
      base = 'tinyint'; args = ['1']; break;
    case 'serial':
      base = 'bigint'; args = []; unsigned = true; notNull = true; break;
    case 'decimal':
      if (args.length === 0) args = ['10', '0'];
      else if (args.length === 1) args = [args[0]!, '0'];
      break;
    case 'float':
      if (args.length === 1) { base = Number(args[0]) > 24 ? 'double' : 'float'; args = []; }
      break;
    case 'char':
    case 'binary':
    case 'bit':
      if (args.length === 0) args = ['1'];
      break;
    case 'json':
      if (isMariaDb) { base = 'longtext'; json = true; charset ??= 'utf8mb4'; }
      break;
    case 'text':
    case 'blob':
      if (args.length === 1) {
        const n = Number(args[0]);
        const prefix = n < 256 ? 'tiny' : n < 65536 ? '' : n < 16777216 ? 'medium' : 'long';
        base = `${prefix}${base}`;
      }
      args = [];
      break;
    default:
      break;
  }
  return { columnType: formatColumnType({ base, args, unsigned, zerofill }), ...(charset ? { charset } : {}), ...(json ? { json } : {}), ...(notNull ? { notNull } : {}) };
}

/** A DEFAULT value: the literal text (unquoted), or undefined for NULL and expressions. */
export function defaultExpr(ts: TokenStream): string | undefined {
  const t = ts.next();
  if (!t) return undefined;
  if (t.type === 'string') return t.value;
  if (t.type === 'number') return t.value;
  if (t.type === 'op' && (t.value === '-' || t.value === '+') && ts.peek()?.type === 'number') return `${t.value === '-' ? '-' : ''}${ts.next()!.value}`;
  if (t.type === 'bits') return `b'${t.value}'`;
  if (t.type === 'op' && t.value === '(') { ts.back(); ts.skipBalanced(); return undefined; }
  if (t.type === 'word' && (t.upper === 'CURRENT_TIMESTAMP' || t.upper === 'NOW' || t.upper === 'LOCALTIMESTAMP' || t.upper === 'LOCALTIME') && ts.peekOp('(')) ts.skipBalanced();
  return undefined; // NULL, CURRENT_TIMESTAMP, functions
}

export function columnDef(ts: TokenStream, isMariaDb: boolean): ColumnDefAst {
  const name = ts.identifier();
  const type = dataType(ts, isMariaDb);
  let nullable = true;
  let charset = type.charset;
  let defaultText: string | undefined;
  let primaryKey = false;
  let json = type.json ?? false;
  let binaryCharset = false;
  if (type.notNull) nullable = false;
  while (!ts.atEnd() && !ts.peekOp(',') && !ts.peekOp(')') && ts.peekWord() !== 'FIRST' && ts.peekWord() !== 'AFTER') {
    if (ts.acceptWords('NOT', 'NULL')) nullable = false;
    else if (ts.acceptWords('NULL')) nullable = true;
    else if (ts.acceptWords('DEFAULT')) defaultText = defaultExpr(ts);
    else if (ts.acceptWords('PRIMARY', 'KEY')) { primaryKey = true; nullable = false; }
    else if (ts.acceptWords('CHARACTER', 'SET') || ts.acceptWords('CHARSET')) { const cs = ts.identifier().toLowerCase(); if (cs === 'binary') binaryCharset = true; else charset = cs; }
    else if (ts.acceptWords('COLLATE')) { const coll = ts.identifier().toLowerCase(); if (!charset && coll !== 'binary') charset = coll.split('_')[0]; }
    else if (ts.peekWord() === 'CHECK') { const col = jsonCheck(ts); if (col !== undefined && isMariaDb && col.toLowerCase() === name.toLowerCase()) json = true; }
    else if (ts.peekWord() === 'CONSTRAINT') { ts.next(); if (ts.peekWord() !== 'CHECK') ts.identifier(); }
    else if (ts.peekOp('(')) ts.skipBalanced(); // GENERATED ALWAYS AS (...), ON UPDATE now(), REFERENCES t (...)
    else ts.next();
  }
  let columnType = type.columnType;
  if (binaryCharset) {
    const t = parseColumnType(columnType);
    const map: Record<string, string> = { char: 'binary', varchar: 'varbinary', tinytext: 'tinyblob', text: 'blob', mediumtext: 'mediumblob', longtext: 'longblob' };
    if (map[t.base]) columnType = formatColumnType({ ...t, base: map[t.base]! });
  }
  return { name, columnType, nullable, ...(charset ? { charset } : {}), ...(defaultText !== undefined ? { defaultText } : {}), ...(primaryKey ? { primaryKey } : {}), ...(json ? { json } : {}) };
}

