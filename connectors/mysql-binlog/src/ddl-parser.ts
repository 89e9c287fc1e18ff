/**
 * A small parser for the DDL statements that change captured tables, as they appear in binlog QUERY events:
 * ALTER TABLE (ADD/DROP/MODIFY/CHANGE/RENAME COLUMN, ALTER COLUMN defaults, primary keys, RENAME TO, charsets),
 * CREATE TABLE (columns and keys; LIKE and AS SELECT are recognised), DROP TABLE, RENAME TABLE, TRUNCATE.
 * Everything else is either recognised as irrelevant ('ignored': indexes, grants, views, ...) or 'unknown'.
 *
 * Column types come out as canonical information_schema COLUMN_TYPE text (type-mapping.ts), so a column added
 * by DDL is described exactly like one read from information_schema.
 */
import { tokenize, TokenStream, type Token } from './ddl-tokens.ts';
import { columnDef, defaultExpr, jsonCheck } from './ddl-column.ts';

export interface QName { readonly schema?: string; readonly table: string }

export interface ColumnDefAst {
  readonly name: string;
  readonly columnType: string;
  readonly nullable: boolean;
  /** Explicit CHARACTER SET (or the charset of an explicit COLLATE); undefined = the table's. */
  readonly charset?: string;
  readonly defaultText?: string;
  readonly primaryKey?: boolean;
  readonly json?: boolean;
}

export type ColumnPosition = { readonly first: true } | { readonly after: string };

export type AlterAction =
  | { readonly op: 'add'; readonly columns: readonly ColumnDefAst[]; readonly ifNotExists: boolean; readonly position?: ColumnPosition }
  | { readonly op: 'drop'; readonly column: string; readonly ifExists: boolean }
  | { readonly op: 'modify'; readonly column: ColumnDefAst; readonly ifExists: boolean; readonly position?: ColumnPosition }
  | { readonly op: 'change'; readonly old: string; readonly column: ColumnDefAst; readonly ifExists: boolean; readonly position?: ColumnPosition }
  | { readonly op: 'renameColumn'; readonly old: string; readonly name: string }
  | { readonly op: 'renameTable'; readonly to: QName }
  | { readonly op: 'setDefault'; readonly column: string; readonly defaultText: string | undefined }
  | { readonly op: 'addPrimaryKey'; readonly columns: readonly string[] }
  | { readonly op: 'dropPrimaryKey' }
  | { readonly op: 'jsonCheck'; readonly column: string }
  | { readonly op: 'convertCharset'; readonly charset: string }
  | { readonly op: 'tableCharset'; readonly charset: string }
  | { readonly op: 'noop' };

export type DdlStatement =
  | { readonly kind: 'alter'; readonly table: QName; readonly actions: readonly AlterAction[]; readonly unknown: readonly string[] }
  | { readonly kind: 'create'; readonly table: QName; readonly columns: readonly ColumnDefAst[]; readonly primaryKey: readonly string[];
      readonly jsonChecks: readonly string[]; readonly charset?: string; readonly like?: QName; readonly asSelect: boolean;
      /** CREATE TABLE IF NOT EXISTS: a no-op when the table exists (the server logs it anyway). */
      readonly ifNotExists: boolean; readonly orReplace: boolean }
  | { readonly kind: 'drop'; readonly tables: readonly QName[] }
  | { readonly kind: 'rename'; readonly pairs: ReadonlyArray<readonly [QName, QName]> }
  | { readonly kind: 'truncate'; readonly table: QName }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** Statements that never change a captured table's columns. */
const IGNORED_FIRST = new Set(['GRANT', 'REVOKE', 'FLUSH', 'ANALYZE', 'OPTIMIZE', 'REPAIR', 'CHECK', 'SET', 'SAVEPOINT', 'RELEASE', 'INSTALL', 'UNINSTALL', 'LOCK', 'UNLOCK', 'XA', 'BEGIN', 'COMMIT', 'ROLLBACK', 'USE', 'DO', 'CALL', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'LOAD', 'SELECT', 'PURGE', 'RESET', 'KILL', 'SHUTDOWN', 'BACKUP', 'HANDLER']);
const IGNORED_OBJECTS = new Set(['INDEX', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'DATABASE', 'SCHEMA', 'VIEW', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT', 'USER', 'ROLE', 'SEQUENCE', 'SERVER', 'TABLESPACE', 'LOGFILE', 'PACKAGE', 'SYNONYM', 'DEFINER', 'ALGORITHM', 'SQL', 'AGGREGATE', 'RESOURCE', 'SPATIAL']);

/** Parses one statement. `isMariaDb` decides what JSON means (MariaDB: LONGTEXT with a json_valid check). */
export function parseDdl(sql: string, isMariaDb: boolean): DdlStatement {
  let ts: TokenStream;
  try {
    ts = new TokenStream(tokenize(sql));
  } catch (e: unknown) {
    return { kind: 'unknown', reason: (e as Error).message };
  }
  try {
    return statement(ts, isMariaDb);
  } catch (e: unknown) {
    return { kind: 'unknown', reason: (e as Error).message };
  }
}

function statement(ts: TokenStream, isMariaDb: boolean): DdlStatement {
  const first = ts.peekWord();
  if (first === undefined) return { kind: 'unknown', reason: 'empty statement' };
  if (IGNORED_FIRST.has(first)) return { kind: 'ignored' };
  ts.next();
  switch (first) {
    case 'ALTER': {
      ts.acceptWords('ONLINE');
      ts.acceptWords('IGNORE');
      if (!ts.acceptWords('TABLE')) return ignoredObject(ts);
      ts.acceptWords('IF', 'EXISTS');
      const table = qname(ts);
      return alterTable(ts, table, isMariaDb);
    }
    case 'CREATE': {
      const orReplace = ts.acceptWords('OR', 'REPLACE');
      if (ts.acceptWords('TEMPORARY')) return { kind: 'ignored' }; // not logged in ROW format, never captured
      if (!ts.acceptWords('TABLE')) return ignoredObject(ts);
      const ifNotExists = ts.acceptWords('IF', 'NOT', 'EXISTS');
      return { ...createTable(ts, qname(ts), isMariaDb), ifNotExists, orReplace };
    }
    case 'DROP': {
      if (ts.acceptWords('TEMPORARY')) return { kind: 'ignored' };
      if (!ts.acceptWords('TABLE') && !ts.acceptWords('TABLES')) return ignoredObject(ts);
      ts.acceptWords('IF', 'EXISTS');
      const tables = [qname(ts)];
      while (ts.acceptOp(',')) tables.push(qname(ts));
      return { kind: 'drop', tables };
    }
    case 'RENAME': {
      if (!ts.acceptWords('TABLE') && !ts.acceptWords('TABLES')) return ignoredObject(ts);
      ts.acceptWords('IF', 'EXISTS');
      const pairs: Array<readonly [QName, QName]> = [];
      do {
        const from = qname(ts);
        if (ts.acceptWords('WAIT')) ts.next();
        else ts.acceptWords('NOWAIT');
        ts.expectWord('TO');
        pairs.push([from, qname(ts)]);
      } while (ts.acceptOp(','));
      return { kind: 'rename', pairs };
    }
    case 'TRUNCATE': {
      ts.acceptWords('TABLE');
      return { kind: 'truncate', table: qname(ts) };
    }
    default:
      return { kind: 'unknown', reason: `statement ${first} is not DDL Ferry knows` };
  }
}

function ignoredObject(ts: TokenStream): DdlStatement {
  const w = ts.peekWord();
  return w !== undefined && IGNORED_OBJECTS.has(w) ? { kind: 'ignored' } : { kind: 'unknown', reason: `unsupported statement near ${w ?? 'end'}` };
}

function qname(ts: TokenStream): QName {
  const a = ts.identifier();
  if (ts.acceptOp('.')) return { schema: a, table: ts.identifier() };
  return { table: a };
}

function position(ts: TokenStream): ColumnPosition | undefined {
  if (ts.acceptWords('FIRST')) return { first: true };
  if (ts.acceptWords('AFTER')) return { after: ts.identifier() };
  return undefined;
}

function alterTable(ts: TokenStream, table: QName, isMariaDb: boolean): DdlStatement {
  const actions: AlterAction[] = [];
  const unknown: string[] = [];
  if (ts.atEnd()) return { kind: 'alter', table, actions, unknown };
  do {
    const start = ts.index;
    const a = alterSpec(ts, isMariaDb);
    if (a === null) {
      ts.skipToComma();
      unknown.push(ts.textBetween(start, ts.index));
    } else {
      actions.push(a);
      if (!ts.atEnd() && !ts.peekOp(',')) ts.skipToComma(); // trailing options of a spec (ALGORITHM=..., LOCK=...)
    }
  } while (ts.acceptOp(','));
  return { kind: 'alter', table, actions, unknown };
}

const NOOP: AlterAction = { op: 'noop' };
const INDEX_WORDS = new Set(['INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'UNIQUE', 'FOREIGN', 'PERIOD', 'PARTITION', 'PARTITIONS']);

function alterSpec(ts: TokenStream, isMariaDb: boolean): AlterAction | null {
  const w = ts.peekWord();
  if (w === undefined) return null;
  switch (w) {
    case 'ADD': {
      ts.next();
      const k = ts.peekWord();
      if (k !== undefined && INDEX_WORDS.has(k)) return NOOP;
      if (k === 'PRIMARY' || k === 'CONSTRAINT' || k === 'CHECK') return tableConstraint(ts, isMariaDb);
      ts.acceptWords('COLUMN');
      const ifNotExists = ts.acceptWords('IF', 'NOT', 'EXISTS');
      if (ts.acceptOp('(')) {
        const columns = [columnDef(ts, isMariaDb)];
        while (ts.acceptOp(',')) columns.push(columnDef(ts, isMariaDb));
        ts.expectOp(')');
        return { op: 'add', columns, ifNotExists };
      }
      const col = columnDef(ts, isMariaDb);
      const pos = position(ts);
      return { op: 'add', columns: [col], ifNotExists, ...(pos ? { position: pos } : {}) };
    }
    case 'DROP': {
      ts.next();
      if (ts.acceptWords('PRIMARY', 'KEY')) return { op: 'dropPrimaryKey' };
      const k = ts.peekWord();
      if (k !== undefined && (INDEX_WORDS.has(k) || k === 'CONSTRAINT' || k === 'CHECK')) return NOOP;
      ts.acceptWords('COLUMN');
      const ifExists = ts.acceptWords('IF', 'EXISTS');
      const column = ts.identifier();
      if (!ts.acceptWords('RESTRICT')) ts.acceptWords('CASCADE');
      return { op: 'drop', column, ifExists };
    }
    case 'MODIFY': {
      ts.next();
      ts.acceptWords('COLUMN');
      const ifExists = ts.acceptWords('IF', 'EXISTS');
      const column = columnDef(ts, isMariaDb);
      const pos = position(ts);
      return { op: 'modify', column, ifExists, ...(pos ? { position: pos } : {}) };
    }
    case 'CHANGE': {
      ts.next();
      ts.acceptWords('COLUMN');
      const ifExists = ts.acceptWords('IF', 'EXISTS');
      const old = ts.identifier();
      const column = columnDef(ts, isMariaDb);
      const pos = position(ts);
      return { op: 'change', old, column, ifExists, ...(pos ? { position: pos } : {}) };
    }
    case 'RENAME': {
      ts.next();
      if (ts.acceptWords('COLUMN')) {
        const old = ts.identifier();
        ts.expectWord('TO');
        return { op: 'renameColumn', old, name: ts.identifier() };
      }
      if (ts.acceptWords('INDEX') || ts.acceptWords('KEY')) return NOOP;
      if (!ts.acceptWords('TO')) ts.acceptWords('AS');
      return { op: 'renameTable', to: qname(ts) };
    }
    case 'ALTER': {
      ts.next();
      if (ts.peekWord() === 'INDEX' || ts.peekWord() === 'CONSTRAINT' || ts.peekWord() === 'CHECK') return NOOP;
      ts.acceptWords('COLUMN');
      ts.acceptWords('IF', 'EXISTS');
      const column = ts.identifier();
      if (ts.acceptWords('SET', 'DEFAULT')) return { op: 'setDefault', column, defaultText: defaultExpr(ts) };
      if (ts.acceptWords('DROP', 'DEFAULT')) return { op: 'setDefault', column, defaultText: undefined };
      if (ts.acceptWords('SET')) return NOOP; // SET VISIBLE / INVISIBLE
      return null;
    }
    case 'CONVERT': {
      ts.next();
      ts.expectWord('TO');
      if (!ts.acceptWords('CHARACTER', 'SET')) ts.expectWord('CHARSET');
      const charset = ts.identifier().toLowerCase();
      return { op: 'convertCharset', charset };
    }
    case 'DEFAULT':
    case 'CHARACTER':
    case 'CHARSET':
    case 'COLLATE': {
      ts.acceptWords('DEFAULT');
      let charset: string;
      if (ts.acceptWords('COLLATE')) {
        ts.acceptOp('=');
        charset = ts.identifier().toLowerCase().split('_')[0]!;
      } else {
        if (!ts.acceptWords('CHARACTER', 'SET')) ts.expectWord('CHARSET');
        ts.acceptOp('=');
        charset = ts.identifier().toLowerCase();
      }
      return { op: 'tableCharset', charset };
    }
    case 'ENGINE': case 'AUTO_INCREMENT': case 'COMMENT': case 'ROW_FORMAT': case 'ALGORITHM': case 'LOCK': case 'FORCE':
    case 'ORDER': case 'PARTITION': case 'COALESCE': case 'REORGANIZE': case 'EXCHANGE': case 'ANALYZE': case 'CHECK':
    case 'OPTIMIZE': case 'REBUILD': case 'REPAIR': case 'REMOVE': case 'TRUNCATE': case 'ENABLE': case 'DISABLE':
    case 'DISCARD': case 'IMPORT': case 'KEY_BLOCK_SIZE': case 'STATS_PERSISTENT': case 'STATS_AUTO_RECALC': case 'STATS_SAMPLE_PAGES':
    case 'PACK_KEYS': case 'CHECKSUM': case 'DELAY_KEY_WRITE': case 'MAX_ROWS': case 'MIN_ROWS': case 'AVG_ROW_LENGTH':
    case 'COMPRESSION': case 'ENCRYPTION': case 'ENCRYPTED': case 'ENCRYPTION_KEY_ID': case 'PAGE_CHECKSUM': case 'PAGE_COMPRESSED':
    case 'TRANSACTIONAL': case 'WITH': case 'WITHOUT': case 'WAIT': case 'NOWAIT': case 'UNION': case 'INSERT_METHOD':
    case 'DATA': case 'INDEX': case 'TABLESPACE': case 'STORAGE': case 'CONNECTION': case 'SECONDARY_ENGINE':
    case 'SECONDARY_LOAD': case 'SECONDARY_UNLOAD': case 'VALIDATION': case 'UPGRADE': case 'ADD_PARTITION':
      ts.skipToComma();
      return NOOP;
    default:
      return null;
  }
}

/** ADD [CONSTRAINT x] PRIMARY KEY (...) / CHECK (json_valid(`c`)) / anything else as a no-op. */
function tableConstraint(ts: TokenStream, isMariaDb: boolean): AlterAction {
  if (ts.acceptWords('CONSTRAINT')) {
    if (!ts.peekWord() || !['PRIMARY', 'CHECK', 'UNIQUE', 'FOREIGN'].includes(ts.peekWord()!)) ts.identifier();
  }
  if (ts.acceptWords('PRIMARY', 'KEY')) return { op: 'addPrimaryKey', columns: keyColumns(ts) };
  if (ts.peekWord() === 'CHECK') {
    const col = jsonCheck(ts);
    return col !== undefined && isMariaDb ? { op: 'jsonCheck', column: col } : NOOP;
  }
  return NOOP;
}

function keyColumns(ts: TokenStream): string[] {
  if (!ts.acceptWords('USING', 'BTREE')) ts.acceptWords('USING', 'HASH');
  ts.expectOp('(');
  const cols: string[] = [];
  do {
    cols.push(ts.identifier());
    if (ts.peekOp('(')) ts.skipBalanced();
    if (!ts.acceptWords('ASC')) ts.acceptWords('DESC');
  } while (ts.acceptOp(','));
  ts.expectOp(')');
  ts.skipToComma();
  return cols;
}

function createTable(ts: TokenStream, table: QName, isMariaDb: boolean): Omit<Extract<DdlStatement, { kind: 'create' }>, 'ifNotExists' | 'orReplace'> {
  if (ts.acceptWords('LIKE')) return { kind: 'create', table, columns: [], primaryKey: [], jsonChecks: [], like: qname(ts), asSelect: false };
  if (ts.peekOp('(') && ts.peekWordAt(1) === 'LIKE') {
    ts.next();
    ts.next();
    const like = qname(ts);
    return { kind: 'create', table, columns: [], primaryKey: [], jsonChecks: [], like, asSelect: false };
  }
  const columns: ColumnDefAst[] = [];
  let primaryKey: string[] = [];
  const jsonChecks: string[] = [];
  if (ts.acceptOp('(')) {
    do {
      const w = ts.peekWord();
      if (w === 'PRIMARY' || (w === 'CONSTRAINT' && (ts.peekWordAt(1) === 'PRIMARY' || ts.peekWordAt(2) === 'PRIMARY'))) {
        ts.acceptWords('CONSTRAINT');
        if (ts.peekWord() !== 'PRIMARY') ts.identifier();
        ts.expectWord('PRIMARY');
        ts.expectWord('KEY');
        primaryKey = keyColumns(ts);
      } else if (w === 'CHECK' || (w === 'CONSTRAINT' && (ts.peekWordAt(1) === 'CHECK' || ts.peekWordAt(2) === 'CHECK'))) {
        ts.acceptWords('CONSTRAINT');
        if (ts.peekWord() !== 'CHECK') ts.identifier();
        const col = jsonCheck(ts);
        if (col !== undefined && isMariaDb) jsonChecks.push(col);
        ts.skipToComma();
      } else if (w !== undefined && (INDEX_WORDS.has(w) || w === 'CONSTRAINT' || w === 'PERIOD')) {
        ts.skipToComma();
      } else {
        columns.push(columnDef(ts, isMariaDb));
      }
    } while (ts.acceptOp(','));
    ts.expectOp(')');
  }
  let charset: string | undefined;
  let asSelect = false;
  while (!ts.atEnd()) {
    const w = ts.peekWord();
    if (w === 'SELECT' || w === 'AS' || w === 'IGNORE' || w === 'REPLACE' || ts.peekOp('(')) { asSelect = true; break; }
    if (ts.acceptWords('DEFAULT')) continue;
    if (ts.acceptWords('CHARACTER', 'SET') || ts.acceptWords('CHARSET')) {
      ts.acceptOp('=');
      charset = ts.identifier().toLowerCase();
      continue;
    }
    if (ts.acceptWords('COLLATE')) {
      ts.acceptOp('=');
      charset ??= ts.identifier().toLowerCase().split('_')[0];
      continue;
    }
    ts.next();
  }
  for (const c of columns) if (c.primaryKey && primaryKey.length === 0) primaryKey = [c.name];
  return { kind: 'create', table, columns, primaryKey, jsonChecks, ...(charset ? { charset } : {}), asSelect };
}

export type { Token };
