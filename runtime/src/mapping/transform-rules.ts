/**
 * Compiles a DMS table mapping into a plan per source table (per TableSchema version): the target table id, the
 * target columns and where each value comes from, the target primary key, and the table's source-filter predicate.
 *
 * Precedence (DMS: "one transformation action per object; the lower rule-id wins"): rules are taken in numeric
 * rule-id order, and for each object the first matching rule of each group applies; the others are recorded as
 * shadowed (and logged by the transformer). Groups per object:
 *   schema:  one name action (rename, convert-*, *-prefix, *-suffix);
 *   table:   one name action; one define-primary-key;
 *   column:  one presence action (remove-column / include-column); one name-or-type action (name actions,
 *            change-data-type); one masking action (DMS: masking combines with add-column and change-data-type).
 * Object locators always name SOURCE objects (source schema, table and column names, case-sensitive).
 */
import type { TableMapping, TransformationRule, SelectionRule } from '../config/table-mapping-schema.ts';
import { FerryError } from '../../../core/src/errors.ts';
import type { Column, FieldType, TableId, TableSchema } from '../../../core/src/types.ts';
import { compileConversion, compileExpression, type CompiledExpression } from './expression.ts';
import { isMaskAction, masker, type Masker } from './masking.ts';
import { compileTableFilter, type RowPredicate } from './source-filter.ts';
import { DMS_TYPES, dmsType, dmsTypeOf, isLob } from './sql-values.ts';
import { compileDmsPattern, exactName, type DmsPattern } from './wildcard.ts';
import { indexRules } from './rule-index.ts';

/** Where a target column's value comes from. */
export type ValueSource =
  | { readonly kind: 'copy'; readonly from: string; readonly fromType: FieldType; readonly convert?: CompiledExpression; readonly mask?: Masker; readonly valueType: FieldType }
  | { readonly kind: 'expression'; readonly expr: CompiledExpression; readonly mask?: Masker; readonly valueType: FieldType }
  | { readonly kind: 'before-image'; readonly from: string; readonly fromType: FieldType };

export interface TargetColumn {
  readonly column: Column;
  readonly value: ValueSource;
}

export interface AppliedRule {
  readonly ruleId: string;
  readonly action: string;
  /** 'schema', 'table' or 'column <name>'. */
  readonly object: string;
}

export interface TablePlan {
  readonly source: TableSchema;
  readonly target: TableSchema;
  readonly columns: readonly TargetColumn[];
  /** Rows pass unchanged (same columns, names, types and values): only the table id may differ. */
  readonly rowsUnchanged: boolean;
  readonly filter: RowPredicate | null;
  /** The include rules whose source filters `filter` evaluates (validation translates them to SQL); empty without filters. */
  readonly filterRules: readonly { readonly ruleId: string; readonly filters: SelectionRule['filters'] }[];
  readonly applied: readonly AppliedRule[];
  /** Rules that matched an object another rule (lower rule-id, same group) already transformed. */
  readonly shadowed: readonly (AppliedRule & { readonly by: string })[];
}

interface Rule {
  readonly r: TransformationRule;
  readonly schema: DmsPattern;
  readonly table: DmsPattern | null;
  readonly column: DmsPattern | null;
}

const NAME_ACTIONS: ReadonlySet<string> = new Set(['rename', 'convert-lowercase', 'convert-uppercase', 'add-prefix', 'remove-prefix', 'replace-prefix', 'add-suffix', 'remove-suffix', 'replace-suffix']);

/** A name action applied to a name. */
export function applyNameAction(r: Pick<TransformationRule, 'rule-action' | 'value' | 'old-value'>, name: string): string {
  const v = r.value ?? '';
  const old = r['old-value'] ?? '';
  switch (r['rule-action']) {
    case 'rename': return v;
    case 'convert-lowercase': return name.toLowerCase();
    case 'convert-uppercase': return name.toUpperCase();
    case 'add-prefix': return v + name;
    case 'remove-prefix': return v !== '' && name.startsWith(v) ? name.slice(v.length) : name;
    case 'replace-prefix': return old !== '' && name.startsWith(old) ? v + name.slice(old.length) : name;
    case 'add-suffix': return name + v;
    case 'remove-suffix': return v !== '' && name.endsWith(v) ? name.slice(0, -v.length) : name;
    case 'replace-suffix': return old !== '' && name.endsWith(old) ? name.slice(0, -old.length) + v : name;
    default: return name;
  }
}

export interface CompiledMapping {
  /** False when the mapping has no transformation rule and no source filter: events pass untouched. */
  readonly transforms: boolean;
  plan(source: TableSchema): TablePlan;
  /** The target id of a source table (schema and table name actions only). */
  targetId(id: TableId): TableId;
}

export function compileMapping(mapping: TableMapping): CompiledMapping {
  const rules: Rule[] = mapping.rules
    .filter((r): r is TransformationRule => r['rule-type'] === 'transformation')
    .sort((a, b) => Number(a['rule-id']) - Number(b['rule-id']))
    .map((r) => {
      const loc = r['object-locator'];
      const p = (pattern: string) => rulePattern(pattern, r['rule-id'], r['rule-action']);
      return { r, schema: p(loc['schema-name']), table: loc['table-name'] === undefined ? null : p(loc['table-name']), column: loc['column-name'] === undefined ? null : p(loc['column-name']) };
    });
  const selections = mapping.rules
    .filter((r): r is SelectionRule => r['rule-type'] === 'selection' && r['rule-action'] !== 'exclude')
    .map((r) => ({ r, schema: exactOrPattern(r, 'schema-name'), table: exactOrPattern(r, 'table-name') }));
  const hasFilters = selections.some((s) => (s.r.filters?.length ?? 0) > 0);
  // Indexed by name (rule-index.ts): thousands of per-table rules must not cost tables x rules at start-up.
  const selectionIndex = indexRules(selections, (s) => s);
  const ruleIndex = indexRules(rules, (x) => x);

  function targetId(id: TableId): TableId {
    const schemaRule = rules.find((x) => x.r['rule-target'] === 'schema' && NAME_ACTIONS.has(x.r['rule-action']) && x.schema.test(id.schema));
    const tableRule = ruleIndex.matching(id).find((x) => x.r['rule-target'] === 'table' && NAME_ACTIONS.has(x.r['rule-action']) && x.table !== null);
    return { schema: schemaRule ? applyNameAction(schemaRule.r, id.schema) : id.schema, table: tableRule ? applyNameAction(tableRule.r, id.table) : id.table };
  }

  function plan(source: TableSchema): TablePlan {
    const id = source.id;
    const where = `${id.schema}.${id.table}`;
    const applied: AppliedRule[] = [];
    const shadowed: (AppliedRule & { by: string })[] = [];
    /** The first rule (lowest rule-id) of a group for an object; the rest are shadowed. */
    const pick = (candidates: readonly Rule[], object: string): Rule | undefined => {
      const [first, ...rest] = candidates;
      if (first) applied.push({ ruleId: first.r['rule-id'], action: first.r['rule-action'], object });
      for (const x of rest) shadowed.push({ ruleId: x.r['rule-id'], action: x.r['rule-action'], object, by: first!.r['rule-id'] });
      return first;
    };
    const tableRules = ruleIndex.matching(id);
    const schemaRule = pick(tableRules.filter((x) => x.r['rule-target'] === 'schema' && NAME_ACTIONS.has(x.r['rule-action'])), 'schema');
    const tableNameRule = pick(tableRules.filter((x) => x.r['rule-target'] === 'table' && x.table !== null && NAME_ACTIONS.has(x.r['rule-action'])), 'table');
    const pkRule = pick(tableRules.filter((x) => x.r['rule-action'] === 'define-primary-key' && x.table !== null), 'table (primary key)');
    const target: TableId = { schema: schemaRule ? applyNameAction(schemaRule.r, id.schema) : id.schema, table: tableNameRule ? applyNameAction(tableNameRule.r, id.table) : id.table };

    const columnRules = tableRules.filter((x) => x.r['rule-target'] === 'column' && x.table !== null);
    const matchesColumn = (x: Rule, c: Column) => (x.column === null || x.column.test(c.name)) && (x.r['object-locator']['data-type'] === undefined || x.r['object-locator']['data-type'] === dmsTypeOf(c));
    const hasInclude = columnRules.some((x) => x.r['rule-action'] === 'include-column' && source.columns.some((c) => matchesColumn(x, c)));
    const masks = columnRules.filter((x) => isMaskAction(x.r['rule-action']));
    const maskFor = (name: string, object: string): Masker | undefined => {
      const m = pick(masks.filter((x) => x.column === null || x.column.test(name)), object);
      return m ? masker(m.r['rule-action'] as Parameters<typeof masker>[0], m.r.value) : undefined;
    };

    const out: TargetColumn[] = [];
    const renamed = new Map<string, string>();
    for (const c of source.columns) {
      const object = `column ${c.name}`;
      const mine = columnRules.filter((x) => matchesColumn(x, c));
      const presence = pick(mine.filter((x) => x.r['rule-action'] === 'remove-column' || x.r['rule-action'] === 'include-column'), object);
      const removed = presence ? presence.r['rule-action'] === 'remove-column' : hasInclude;
      const change = pick(mine.filter((x) => NAME_ACTIONS.has(x.r['rule-action']) || x.r['rule-action'] === 'change-data-type'), object);
      if (removed) continue;
      const name = change && NAME_ACTIONS.has(change.r['rule-action']) ? applyNameAction(change.r, c.name) : c.name;
      renamed.set(c.name, name);
      let column: Column = name === c.name ? c : { ...c, name };
      let convert: CompiledExpression | undefined;
      if (change?.r['rule-action'] === 'change-data-type') {
        const dt = dmsType(change.r['data-type']!);
        convert = compileConversion(dt, { label: `rule ${change.r['rule-id']} (change-data-type) on ${where}, column ${c.name}` });
        column = { name, type: DMS_TYPES[dt.type]!.field(dt), nullable: c.nullable, sourceType: dt.type };
      }
      const valueType = column.type;
      const mask = maskFor(c.name, object);
      if (mask) column = { name, type: { type: 'string' }, nullable: c.nullable, sourceType: 'string' };
      // A column the source renamed: its earlier names as the target knew them (through the rule a column of that
      // name would have met), so a database target renames its column (Column.renamedFrom).
      if (c.renamedFrom !== undefined) {
        const earlier = c.renamedFrom.map((a) => {
          const r = columnRules.find((x) => (x.column === null || x.column.test(a)) && (NAME_ACTIONS.has(x.r['rule-action']) || x.r['rule-action'] === 'change-data-type'));
          return r && NAME_ACTIONS.has(r.r['rule-action']) ? applyNameAction(r.r, a) : a;
        }).filter((a, i, all) => a !== name && all.indexOf(a) === i);
        if (earlier.length !== c.renamedFrom.length || earlier.some((a, i) => a !== c.renamedFrom![i]) || column.renamedFrom === undefined) {
          const { renamedFrom: _, ...rest } = column;
          column = earlier.length > 0 ? { ...rest, renamedFrom: earlier } : rest;
        }
      }
      out.push({ column, value: { kind: 'copy', from: c.name, fromType: c.type, valueType, ...(convert ? { convert } : {}), ...(mask ? { mask } : {}) } });
    }

    const taken = (n: string) => out.some((t) => t.column.name === n);
    const adds = new Map<string, Rule[]>();
    for (const x of tableRules.filter((y) => y.r['rule-action'] === 'add-column' && y.table !== null)) adds.set(x.r.value!, [...(adds.get(x.r.value!) ?? []), x]);
    for (const [name, candidates] of adds) {
      const x = pick(candidates, `column ${name} (added)`)!;
      if (taken(name)) throw new FerryError('FERRY_UNSUPPORTED', `transformation rule ${x.r['rule-id']}: add-column "${name}" on ${where} names a column the target table already has; DMS does not support the ambiguous duplicate — pick another name`);
      const dt = dmsType(x.r['data-type']!);
      const expr = compileExpression(x.r.expression ?? 'NULL', dt, { label: `rule ${x.r['rule-id']} (add-column) on ${where}, column ${name}` });
      for (const v of expr.variables) {
        if (!v.startsWith('AR_') && !source.columns.some((c) => c.name === v)) {
          throw new FerryError('FERRY_UNSUPPORTED', `transformation rule ${x.r['rule-id']}: the expression refers to $${v}, which is not a column of ${where} (columns: ${source.columns.map((c) => c.name).join(', ')}); names are case-sensitive`);
        }
      }
      const mask = maskFor(name, `column ${name} (added)`);
      const valueType = DMS_TYPES[dt.type]!.field(dt);
      out.push({ column: { name, type: mask ? { type: 'string' } : valueType, nullable: true, sourceType: dt.type }, value: { kind: 'expression', expr, valueType, ...(mask ? { mask } : {}) } });
    }

    const bi = pick(tableRules.filter((x) => x.r['rule-action'] === 'add-before-image-columns' && x.table !== null), 'table (before-image columns)');
    if (bi) {
      const def = bi.r['before-image-def']!;
      for (const c of source.columns) {
        const f = def['column-filter'];
        if ((f === 'pk-only' && !source.primaryKey.includes(c.name)) || (f === 'non-lob' && isLob(c))) continue;
        const name = `${def['column-prefix'] ?? 'BI_'}${c.name}${def['column-suffix'] ?? ''}`;
        if (taken(name)) throw new FerryError('FERRY_UNSUPPORTED', `transformation rule ${bi.r['rule-id']}: the before-image column "${name}" on ${where} collides with a column of the target table; change column-prefix or column-suffix`);
        out.push({ column: { name, type: c.type, nullable: true, sourceType: c.sourceType }, value: { kind: 'before-image', from: c.name, fromType: c.type } });
      }
    }

    const primaryKey = pkRule ? definedKey(pkRule.r, out, renamed, where) : source.primaryKey.map((k) => {
      const n = renamed.get(k);
      if (n === undefined) throw new FerryError('FERRY_UNSUPPORTED', `${where}: primary-key column "${k}" is removed by a remove-column/include-column rule; keep it, or give the target another key with define-primary-key`);
      return n;
    });
    for (const k of primaryKey) {
      const t = out.find((o) => o.column.name === k)!;
      if (t.value.kind !== 'copy' || (t.value.mask !== undefined && t.value.mask.action !== 'data-masking-hash-mask')) {
        throw new FerryError('FERRY_UNSUPPORTED', `${where}: key column "${k}" must be a source column masked (if at all) with data-masking-hash-mask; a randomised or digit-masked key would break per-key ordering and compaction`);
      }
    }
    const columns = out.map((o) => (pkRule && primaryKey.includes(o.column.name) && o.column.nullable ? { ...o, column: { ...o.column, nullable: false } } : o));
    const rowsUnchanged = columns.length === source.columns.length && columns.every((o, i) => o.value.kind === 'copy' && !o.value.convert && !o.value.mask && o.column === source.columns[i])
      && primaryKey.length === source.primaryKey.length && primaryKey.every((k, i) => k === source.primaryKey[i]);
    const filterRules = selectionIndex.matching(id).map((s) => ({ ruleId: s.r['rule-id'], filters: s.r.filters }));
    const sameId = target.schema === id.schema && target.table === id.table;
    return {
      source, columns, rowsUnchanged, applied, shadowed,
      target: rowsUnchanged && sameId ? source : { id: target, version: source.version, columns: columns.map((o) => o.column), primaryKey },
      filter: hasFilters ? compileTableFilter(filterRules, source) : null,
      filterRules: hasFilters ? filterRules : [],
    };
  }

  return { transforms: rules.length > 0 || hasFilters, plan, targetId };
}

function definedKey(r: TransformationRule, out: readonly TargetColumn[], renamed: ReadonlyMap<string, string>, where: string): string[] {
  return r['primary-key-def']!.columns.map((name) => {
    if (out.some((o) => o.column.name === name)) return name;
    const n = renamed.get(name);
    if (n !== undefined) return n;
    throw new FerryError('FERRY_UNSUPPORTED', `transformation rule ${r['rule-id']}: define-primary-key names "${name}", which is not a column of the target table ${where} (columns: ${out.map((o) => o.column.name).join(', ')})`);
  });
}

function exactOrPattern(r: SelectionRule, field: 'schema-name' | 'table-name'): DmsPattern {
  const name = r['object-locator'][field];
  return r['rule-action'] === 'explicit' ? exactName(name) : rulePattern(name, r['rule-id'], r['rule-action']);
}

/** A rule's pattern; a malformed one (refused by validation already) names the rule. */
function rulePattern(pattern: string, ruleId: string, action: string): DmsPattern {
  try {
    return compileDmsPattern(pattern);
  } catch (e: unknown) {
    if (e instanceof FerryError) throw new FerryError(e.code, `rule ${ruleId} (${action}): ${e.message}`);
    throw e;
  }
}
