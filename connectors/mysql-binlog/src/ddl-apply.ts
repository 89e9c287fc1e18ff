/**
 * What a parsed DDL statement does to the captured tables: new definitions derived from the old ones (pure),
 * tables gone, TRUNCATEs, and the few cases that must be re-read from information_schema because the statement
 * alone does not say what the table looks like (CREATE TABLE ... LIKE an uncaptured table, CREATE ... SELECT,
 * RENAME of an uncaptured table into a captured name, ALTER clauses Ferry does not understand).
 */
import type { TableId } from '../../../core/src/types.ts';
import type { AlterAction, ColumnDefAst, ColumnPosition, DdlStatement, QName } from './ddl-parser.ts';
import { isTextType, type MySqlColumnDef, type MySqlTableDef } from './type-mapping.ts';

export interface DdlContext {
  /** The database the statement ran in (the QUERY event's schema). */
  readonly defaultSchema: string;
  /** lower_case_table_names != 0: table and database names compare in lower case. */
  readonly lowerCaseNames: boolean;
  /** Current definition of a captured table. */
  get(key: string): MySqlTableDef | undefined;
  isSelected(id: TableId): boolean;
  /** Default character set of the database of a CREATE TABLE (when the statement gives none). */
  readonly dbCharset?: string | null;
}

export type DdlEffect =
  | { readonly kind: 'set'; readonly key: string; readonly def: MySqlTableDef }
  | { readonly kind: 'remove'; readonly key: string }
  | { readonly kind: 'truncate'; readonly key: string }
  | { readonly kind: 'refresh'; readonly id: TableId; readonly reason: string };

function resolve(q: QName, ctx: DdlContext): TableId {
  const schema = q.schema ?? ctx.defaultSchema;
  return ctx.lowerCaseNames ? { schema: schema.toLowerCase(), table: q.table.toLowerCase() } : { schema, table: q.table };
}

const keyOf = (id: TableId) => `${id.schema}.${id.table}`;

/** A column from DDL, with the table's charset where the column names none (text columns only). */
export function resolveColumn(ast: ColumnDefAst, tableCharset: string | null): MySqlColumnDef {
  const text = isTextType(ast.columnType) || ast.json === true;
  return {
    name: ast.name,
    columnType: ast.columnType,
    nullable: ast.nullable && !ast.primaryKey,
    charset: text ? (ast.charset ?? tableCharset ?? 'utf8mb4') : null,
    ...(ast.json ? { json: true } : {}),
    ...(ast.defaultText !== undefined ? { defaultText: ast.defaultText } : {}),
  };
}

function indexOfColumn(cols: readonly MySqlColumnDef[], name: string): number {
  const n = name.toLowerCase();
  return cols.findIndex((c) => c.name.toLowerCase() === n);
}

/**
 * The earlier names of a column renamed from `prev` to `name`: `prev`'s own name first, then its earlier names;
 * never `name` itself (a rename back drops it), no repeats. Names compare exactly: a case-only rename is a rename
 * for a target whose names are case-sensitive (PostgreSQL).
 */
export function renamedFrom(prev: MySqlColumnDef, name: string): readonly string[] | undefined {
  const out: string[] = [];
  const seen = new Set([name]);
  for (const n of [prev.name, ...(prev.renamedFrom ?? [])]) {
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
  }
  return out.length > 0 ? out : undefined;
}

function withRenames(col: MySqlColumnDef, names: readonly string[] | undefined): MySqlColumnDef {
  const { renamedFrom: _, ...rest } = col;
  return names === undefined ? rest : { ...rest, renamedFrom: names };
}

/**
 * A definition re-read from information_schema, with the earlier names of the columns `prev` knew (information_schema
 * has none): a column keeps its renames while it keeps its name.
 */
export function keepRenames(prev: MySqlTableDef | undefined, next: MySqlTableDef): MySqlTableDef {
  if (prev === undefined) return next;
  const known = new Map(prev.columns.filter((c) => c.renamedFrom !== undefined).map((c) => [c.name.toLowerCase(), c.renamedFrom]));
  if (known.size === 0) return next;
  return { ...next, columns: next.columns.map((c) => (known.has(c.name.toLowerCase()) ? withRenames(c, known.get(c.name.toLowerCase())) : c)) };
}

function place(cols: MySqlColumnDef[], col: MySqlColumnDef, pos: ColumnPosition | undefined, fallbackIndex: number): void {
  if (pos && 'first' in pos) cols.splice(0, 0, col);
  else if (pos && 'after' in pos) {
    const i = indexOfColumn(cols, pos.after);
    if (i < 0) throw new Error(`AFTER names unknown column ${pos.after}`);
    cols.splice(i + 1, 0, col);
  } else cols.splice(fallbackIndex, 0, col);
}

/** Applies ALTER TABLE actions to a definition. Throws when the statement does not fit the definition. */
export function applyAlter(def: MySqlTableDef, actions: readonly AlterAction[]): MySqlTableDef {
  const cols = [...def.columns];
  let pk = [...def.primaryKey];
  let charset = def.charset;
  const renamePk = (from: string, to: string) => { pk = pk.map((p) => (p.toLowerCase() === from.toLowerCase() ? to : p)); };
  for (const a of actions) {
    switch (a.op) {
      case 'add':
        for (const ast of a.columns) {
          if (indexOfColumn(cols, ast.name) >= 0) {
            if (a.ifNotExists) continue;
            throw new Error(`ADD COLUMN ${ast.name}: the column exists`);
          }
          place(cols, resolveColumn(ast, charset), a.position, cols.length);
          if (ast.primaryKey) pk = [ast.name];
        }
        break;
      case 'drop': {
        const i = indexOfColumn(cols, a.column);
        if (i < 0) { if (a.ifExists) break; throw new Error(`DROP COLUMN ${a.column}: no such column`); }
        cols.splice(i, 1);
        pk = pk.filter((p) => p.toLowerCase() !== a.column.toLowerCase());
        break;
      }
      case 'modify':
      case 'change': {
        const old = a.op === 'change' ? a.old : a.column.name;
        const i = indexOfColumn(cols, old);
        if (i < 0) { if (a.ifExists) break; throw new Error(`${a.op.toUpperCase()} COLUMN ${old}: no such column`); }
        const prev = cols[i]!;
        cols.splice(i, 1);
        const next = resolveColumn(a.column, charset);
        // MODIFY keeps the column's own charset when the statement names none and the type stays textual
        const col = a.column.charset === undefined && prev.charset !== null && next.charset !== null ? { ...next, charset: prev.charset } : next;
        place(cols, withRenames(col, renamedFrom(prev, col.name)), a.position, i);
        renamePk(old, a.column.name);
        if (a.column.primaryKey) pk = [a.column.name];
        break;
      }
      case 'renameColumn': {
        const i = indexOfColumn(cols, a.old);
        if (i < 0) throw new Error(`RENAME COLUMN ${a.old}: no such column`);
        cols[i] = withRenames({ ...cols[i]!, name: a.name }, renamedFrom(cols[i]!, a.name));
        renamePk(a.old, a.name);
        break;
      }
      case 'setDefault': {
        const i = indexOfColumn(cols, a.column);
        if (i < 0) throw new Error(`ALTER COLUMN ${a.column}: no such column`);
        const { defaultText: _, ...rest } = cols[i]!;
        cols[i] = a.defaultText === undefined ? rest : { ...rest, defaultText: a.defaultText };
        break;
      }
      case 'addPrimaryKey':
        pk = a.columns.map((name) => cols[indexOfColumn(cols, name)]?.name ?? name);
        for (const name of pk) {
          const i = indexOfColumn(cols, name);
          if (i >= 0) cols[i] = { ...cols[i]!, nullable: false };
        }
        break;
      case 'dropPrimaryKey':
        pk = [];
        break;
      case 'jsonCheck': {
        const i = indexOfColumn(cols, a.column);
        if (i >= 0) cols[i] = { ...cols[i]!, json: true };
        break;
      }
      case 'convertCharset':
        charset = a.charset;
        for (let i = 0; i < cols.length; i++) if (cols[i]!.charset !== null) cols[i] = { ...cols[i]!, charset: a.charset };
        break;
      case 'tableCharset':
        charset = a.charset;
        break;
      case 'renameTable':
      case 'noop':
        break;
    }
  }
  return { ...def, columns: cols, primaryKey: pk, charset };
}

/** The effects of one statement on the captured tables (nothing for uncaptured ones). */
export function ddlEffects(stmt: DdlStatement, ctx: DdlContext): DdlEffect[] {
  switch (stmt.kind) {
    case 'alter': {
      const id = resolve(stmt.table, ctx);
      const key = keyOf(id);
      const rename = stmt.actions.find((a): a is Extract<AlterAction, { op: 'renameTable' }> => a.op === 'renameTable');
      const target = rename ? resolve(rename.to.schema === undefined ? { ...rename.to, schema: id.schema } : rename.to, ctx) : id;
      const selected = ctx.isSelected(id);
      const targetSelected = ctx.isSelected(target);
      if (!selected && !targetSelected) return [];
      const def = ctx.get(key);
      const out: DdlEffect[] = [];
      if (rename && keyOf(target) !== key && def) out.push({ kind: 'remove', key });
      if (!targetSelected) return out;
      if (!def) return [...out, { kind: 'refresh', id: target, reason: `ALTER TABLE of ${key}, whose definition Ferry does not have` }];
      if (stmt.unknown.length > 0) return [...out, { kind: 'refresh', id: target, reason: `ALTER TABLE clauses Ferry does not understand: ${stmt.unknown.join('; ')}` }];
      let next: MySqlTableDef;
      try {
        next = applyAlter(def, stmt.actions);
      } catch (e: unknown) {
        return [...out, { kind: 'refresh', id: target, reason: `ALTER TABLE does not fit the definition Ferry has (${(e as Error).message})` }];
      }
      return [...out, { kind: 'set', key: keyOf(target), def: { ...next, schema: target.schema, table: target.table } }];
    }
    case 'create': {
      const id = resolve(stmt.table, ctx);
      if (!ctx.isSelected(id)) return [];
      const key = keyOf(id);
      if (stmt.ifNotExists && !stmt.orReplace && ctx.get(key)) return [];
      if (stmt.like) {
        const src = ctx.get(keyOf(resolve(stmt.like, ctx)));
        return src ? [{ kind: 'set', key, def: { ...src, schema: id.schema, table: id.table } }] : [{ kind: 'refresh', id, reason: 'CREATE TABLE ... LIKE a table Ferry does not capture' }];
      }
      if (stmt.asSelect || stmt.columns.length === 0) return [{ kind: 'refresh', id, reason: 'CREATE TABLE ... SELECT' }];
      const charset = stmt.charset ?? ctx.dbCharset ?? 'utf8mb4';
      const json = new Set(stmt.jsonChecks.map((c) => c.toLowerCase()));
      const pk = stmt.primaryKey.map((p) => stmt.columns.find((c) => c.name.toLowerCase() === p.toLowerCase())?.name ?? p);
      const pkSet = new Set(pk.map((p) => p.toLowerCase()));
      const columns = stmt.columns.map((c) => {
        const col = resolveColumn(json.has(c.name.toLowerCase()) ? { ...c, json: true } : c, charset);
        return pkSet.has(c.name.toLowerCase()) ? { ...col, nullable: false } : col;
      });
      return [{ kind: 'set', key, def: { schema: id.schema, table: id.table, columns, primaryKey: pk, charset } }];
    }
    case 'drop':
      return stmt.tables.map((q) => resolve(q, ctx)).filter((id) => ctx.isSelected(id) && ctx.get(keyOf(id))).map((id) => ({ kind: 'remove', key: keyOf(id) }));
    case 'rename': {
      const work = new Map<string, MySqlTableDef | undefined>();
      const get = (k: string) => (work.has(k) ? work.get(k) : ctx.get(k));
      const out: DdlEffect[] = [];
      for (const [fromQ, toQ] of stmt.pairs) {
        const from = resolve(fromQ, ctx);
        const to = resolve(toQ, ctx);
        // definitions travel through uncaptured names too (a swap via a temporary name keeps them)
        const def = get(keyOf(from));
        work.set(keyOf(from), undefined);
        if (def && ctx.isSelected(from)) out.push({ kind: 'remove', key: keyOf(from) });
        const moved = def ? { ...def, schema: to.schema, table: to.table } : undefined;
        work.set(keyOf(to), moved);
        if (!ctx.isSelected(to)) continue;
        out.push(moved ? { kind: 'set', key: keyOf(to), def: moved }
          : { kind: 'refresh', id: to, reason: `RENAME TABLE of ${keyOf(from)}, which Ferry does not capture, to a captured name` });
      }
      return out;
    }
    case 'truncate': {
      const id = resolve(stmt.table, ctx);
      return ctx.isSelected(id) && ctx.get(keyOf(id)) ? [{ kind: 'truncate', key: keyOf(id) }] : [];
    }
    case 'ignored':
    case 'unknown':
      return [];
  }
}
