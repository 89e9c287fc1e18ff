/**
 * The AWS DMS table-mapping document, as DMS documents it (shared/notes/event-format.md §2).
 * This module checks the document's *structure*; runtime/src/mapping decides what Ferry can apply.
 */
import { z } from 'zod';
import { dmsPatternProblem } from '../mapping/wildcard.ts';

const pattern = z.string().min(1).meta({ description: 'Name or DMS wildcard pattern: % (any run), _ (one char), [_] (literal _), [ab] (set), [a-d] (range).' });
const ruleId = z.string().regex(/^\d+$/, 'rule-id must be a string of digits, e.g. "1"');
const ruleName = z.string().min(1);
const intString = z.union([z.string().regex(/^-?\d+$/), z.int()]);
/** DMS writes an absent size as an empty string (its guide's own examples have "scale": ""): empty means not given. */
const optionalSize = z.union([z.literal(''), intString]).optional();

type Locator = Readonly<Record<string, string | undefined>>;
/**
 * Issues for the malformed DMS patterns of a rule's object-locator (a backwards range such as [z-a], an empty set),
 * naming the rule: found at validation, never as a raw regular-expression error at plan or run time.
 */
function patternIssues(ctx: z.RefinementCtx, rule: { 'rule-id': string; 'rule-type': string; 'rule-action'?: string }, loc: Locator, fields: readonly string[]): void {
  const label = rule['rule-type'] === 'transformation' ? rule['rule-action'] : rule['rule-type'];
  for (const f of fields) {
    const pattern = loc[f];
    if (pattern === undefined || pattern === '') continue;
    const problem = dmsPatternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', path: ['object-locator', f], message: `rule ${rule['rule-id']} (${label}): ${f} ${JSON.stringify(pattern)} is not a valid DMS pattern: ${problem}`, input: pattern });
  }
}

const filterCondition = z.discriminatedUnion('filter-operator', [
  z.strictObject({ 'filter-operator': z.enum(['eq', 'noteq', 'lte', 'ste', 'gte']), value: z.union([z.string(), z.number()]) }),
  z.strictObject({ 'filter-operator': z.enum(['between', 'notbetween']), 'start-value': z.union([z.string(), z.number()]), 'end-value': z.union([z.string(), z.number()]) }),
  z.strictObject({ 'filter-operator': z.enum(['null', 'notnull']) }),
]);

const NEGATED_OPERATORS: ReadonlySet<string> = new Set(['noteq', 'notbetween', 'notnull']);

const sourceFilter = z.strictObject({
  'filter-type': z.literal('source'),
  'column-name': z.string().min(1),
  'filter-conditions': z.array(filterCondition).min(1),
}).superRefine((f, ctx) => {
  // DMS: a negated operator must be the only condition of its filter (conditions are ORed; use several filters to AND).
  const negated = f['filter-conditions'].find((c) => NEGATED_OPERATORS.has(c['filter-operator']));
  if (negated && f['filter-conditions'].length > 1) {
    ctx.addIssue({ code: 'custom', path: ['filter-conditions'], message: `"${negated['filter-operator']}" must be the only condition of its filter (conditions within a filter are ORed); put it in a filter of its own, filters are ANDed`, input: f['filter-conditions'] });
  }
});

export const selectionRule = z.strictObject({
  'rule-type': z.literal('selection'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'rule-action': z.enum(['include', 'exclude', 'explicit']),
  'object-locator': z.strictObject({
    'schema-name': pattern,
    'table-name': pattern,
    'table-type': z.enum(['table', 'view', 'all']).optional(),
  }),
  'load-order': intString.optional(),
  filters: z.array(sourceFilter).optional(),
}).superRefine((r, ctx) => {
  // explicit names are exact (the document check refuses wildcards in them).
  if (r['rule-action'] !== 'explicit') patternIssues(ctx, r, r['object-locator'], ['schema-name', 'table-name']);
});

export const TRANSFORMATION_ACTIONS = [
  'rename', 'convert-lowercase', 'convert-uppercase', 'add-prefix', 'remove-prefix', 'replace-prefix',
  'add-suffix', 'remove-suffix', 'replace-suffix', 'remove-column', 'include-column', 'add-column',
  'change-data-type', 'define-primary-key', 'add-before-image-columns',
  'data-masking-digits-mask', 'data-masking-digits-randomize', 'data-masking-hash-mask',
] as const;

const dataType = z.strictObject({
  type: z.string().min(1),
  precision: optionalSize,
  scale: optionalSize,
  length: optionalSize,
});

type TransformationField = 'value' | 'old-value' | 'data-type' | 'primary-key-def' | 'before-image-def';
type RuleTarget = 'schema' | 'table' | 'column' | 'table-tablespace' | 'index-tablespace';
const NAME_TARGETS: readonly RuleTarget[] = ['schema', 'table', 'column', 'table-tablespace', 'index-tablespace'];
const COLUMN: readonly RuleTarget[] = ['column'];

/** What each rule-action applies to and which fields it needs (DMS "Transformation rules and actions"). */
export const ACTION_SPECS: Readonly<Record<(typeof TRANSFORMATION_ACTIONS)[number], { readonly targets: readonly RuleTarget[]; readonly needs: readonly TransformationField[]; readonly needsColumn?: boolean }>> = {
  'rename': { targets: NAME_TARGETS, needs: ['value'], needsColumn: true },
  'convert-lowercase': { targets: NAME_TARGETS, needs: [], needsColumn: true },
  'convert-uppercase': { targets: NAME_TARGETS, needs: [], needsColumn: true },
  'add-prefix': { targets: NAME_TARGETS, needs: ['value'], needsColumn: true },
  'remove-prefix': { targets: NAME_TARGETS, needs: ['value'], needsColumn: true },
  'replace-prefix': { targets: NAME_TARGETS, needs: ['value', 'old-value'], needsColumn: true },
  'add-suffix': { targets: NAME_TARGETS, needs: ['value'], needsColumn: true },
  'remove-suffix': { targets: NAME_TARGETS, needs: ['value'], needsColumn: true },
  'replace-suffix': { targets: NAME_TARGETS, needs: ['value', 'old-value'], needsColumn: true },
  'remove-column': { targets: COLUMN, needs: [], needsColumn: true },
  'include-column': { targets: COLUMN, needs: [], needsColumn: true },
  'add-column': { targets: COLUMN, needs: ['value', 'data-type'] },
  'change-data-type': { targets: COLUMN, needs: ['data-type'], needsColumn: true },
  'define-primary-key': { targets: ['table'], needs: ['primary-key-def'] },
  'add-before-image-columns': { targets: COLUMN, needs: ['before-image-def'] },
  'data-masking-digits-mask': { targets: COLUMN, needs: ['value'], needsColumn: true },
  'data-masking-digits-randomize': { targets: COLUMN, needs: [], needsColumn: true },
  'data-masking-hash-mask': { targets: COLUMN, needs: [], needsColumn: true },
};

export const transformationRule = z.strictObject({
  'rule-type': z.literal('transformation'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'rule-target': z.enum(['schema', 'table', 'column', 'table-tablespace', 'index-tablespace']),
  'rule-action': z.enum(TRANSFORMATION_ACTIONS),
  'object-locator': z.strictObject({
    'schema-name': pattern,
    'table-name': pattern.optional(),
    'column-name': pattern.optional(),
    'data-type': z.string().optional(),
    'table-tablespace-name': pattern.optional(),
    'index-tablespace-name': pattern.optional(),
  }),
  value: z.string().optional(),
  'old-value': z.string().optional(),
  expression: z.string().optional(),
  'data-type': dataType.optional(),
  'primary-key-def': z.strictObject({
    name: z.string().min(1),
    origin: z.enum(['primary-key', 'unique-index']).optional(),
    columns: z.array(z.string().min(1)).min(1),
  }).optional(),
  'before-image-def': z.strictObject({
    'column-prefix': z.string().optional(),
    'column-suffix': z.string().optional(),
    'column-filter': z.enum(['pk-only', 'non-lob', 'all']),
  }).optional(),
}).superRefine((r, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: r });
  const action = r['rule-action'];
  const spec = ACTION_SPECS[action];
  if (!spec.targets.includes(r['rule-target'])) {
    issue(['rule-target'], `"${action}" applies to rule-target ${spec.targets.map((t) => `"${t}"`).join(' or ')}, not "${r['rule-target']}"`);
  }
  for (const field of spec.needs) {
    if (r[field] === undefined) issue([field], `"${action}" needs "${field}"`);
  }
  const loc = r['object-locator'];
  const target = r['rule-target'];
  if (target !== 'schema' && loc['table-name'] === undefined) issue(['object-locator', 'table-name'], `rule-target "${target}" needs object-locator "table-name"`);
  if (target === 'column' && spec.needsColumn && loc['column-name'] === undefined && loc['data-type'] === undefined) {
    issue(['object-locator', 'column-name'], `"${action}" needs object-locator "column-name" (a name or pattern)`);
  }
  if (target === 'table-tablespace' && loc['table-tablespace-name'] === undefined) issue(['object-locator', 'table-tablespace-name'], 'rule-target "table-tablespace" needs object-locator "table-tablespace-name"');
  if (target === 'index-tablespace' && loc['index-tablespace-name'] === undefined) issue(['object-locator', 'index-tablespace-name'], 'rule-target "index-tablespace" needs object-locator "index-tablespace-name"');
  if (action === 'data-masking-digits-mask' && r.value !== undefined && !/^[!-~]$/.test(r.value)) {
    issue(['value'], `the masking character must be one printable ASCII character other than a space, found ${JSON.stringify(r.value)}`);
  }
  patternIssues(ctx, r, loc, ['schema-name', 'table-name', 'column-name']);
});

const parallelLoad = z.strictObject({
  type: z.enum(['partitions-auto', 'subpartitions-auto', 'partitions-list', 'ranges', 'none']),
  partitions: z.array(z.string()).optional(),
  subpartitions: z.array(z.string()).optional(),
  columns: z.array(z.string().min(1)).optional(),
  boundaries: z.array(z.array(z.string())).optional(),
  'number-of-partitions': intString.optional(),
  'collection-count-from-metadata': z.boolean().optional(),
  'max-records-skip-per-page': intString.optional(),
  'batch-size': intString.optional(),
}).superRefine((p, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message, input: p });
  if (p.type === 'ranges') {
    if (!p.columns || p.columns.length === 0) issue('columns', 'parallel-load "ranges" needs "columns": the columns the boundaries are given for');
    if (!p.boundaries || p.boundaries.length === 0) issue('boundaries', 'parallel-load "ranges" needs "boundaries": a list of value lists, one value per column');
    p.boundaries?.forEach((b) => {
      if (p.columns && b.length !== p.columns.length) issue('boundaries', `every boundary needs one value per column (${p.columns.length}); found one with ${b.length}`);
    });
  } else if (p.columns || p.boundaries) {
    issue(p.columns ? 'columns' : 'boundaries', `"columns" and "boundaries" belong to parallel-load type "ranges", not "${p.type}"`);
  }
  if (p.type === 'partitions-list' && (!p.partitions || p.partitions.length === 0)) issue('partitions', 'parallel-load "partitions-list" needs "partitions": the partition names');
  if (p.type !== 'partitions-list' && p.partitions) issue('partitions', `"partitions" belongs to parallel-load type "partitions-list", not "${p.type}"`);
  if (p.subpartitions && p.type !== 'partitions-list') issue('subpartitions', `"subpartitions" belongs to parallel-load type "partitions-list", not "${p.type}"`);
});

const lobSettings = z.strictObject({
  // DMS: "limited" is the default mode (its guide loads a table "using limited LOB mode (the default)" with only bulk-max-size).
  mode: z.enum(['limited', 'unlimited', 'none']).default('limited'),
  'bulk-max-size': intString.optional(),
}).superRefine((l, ctx) => {
  // DMS: with mode "unlimited", bulk-max-size 0 means full LOB mode (runtime/src/lob/lob-policy.ts).
  if (l['bulk-max-size'] !== undefined && Number(l['bulk-max-size']) <= 0 && !(l.mode === 'unlimited' && Number(l['bulk-max-size']) === 0)) {
    ctx.addIssue({ code: 'custom', path: ['bulk-max-size'], message: l.mode === 'unlimited' ? '"bulk-max-size" is a size in KB: 0 (full LOB mode) or above' : '"bulk-max-size" is a size in KB and must be above 0', input: l['bulk-max-size'] });
  }
});

export const tableSettingsRule = z.strictObject({
  'rule-type': z.literal('table-settings'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'object-locator': z.strictObject({ 'schema-name': pattern, 'table-name': pattern }),
  'parallel-load': parallelLoad.optional(),
  'lob-settings': lobSettings.optional(),
}).superRefine((r, ctx) => patternIssues(ctx, r, r['object-locator'], ['schema-name', 'table-name']));

const attributeMapping = z.looseObject({
  'target-attribute-name': z.string().min(1).optional(),
  'attribute-name': z.string().min(1).optional(),
  'attribute-type': z.enum(['scalar', 'document']).optional(),
  'attribute-sub-type': z.enum(['string', 'number', 'json', 'dynamodb-map', 'dynamodb-list']).optional(),
  value: z.union([z.string(), z.record(z.string(), z.unknown())]),
}).superRefine((a, ctx) => {
  if (a['target-attribute-name'] === undefined && a['attribute-name'] === undefined) {
    ctx.addIssue({ code: 'custom', path: ['target-attribute-name'], message: 'an attribute mapping needs "target-attribute-name" (DynamoDB) or "attribute-name" (Kinesis, Kafka)', input: a });
  }
});

export const objectMappingRule = z.strictObject({
  'rule-type': z.literal('object-mapping'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'rule-action': z.enum(['map-record-to-record', 'map-record-to-document']),
  'object-locator': z.strictObject({ 'schema-name': pattern, 'table-name': z.string() }),
  'target-table-name': z.string().min(1).optional(),
  'kafka-target-topic': z.string().min(1).optional(),
  'partition-key': z.strictObject({ value: z.string().min(1) }).optional(),
  'mapping-parameters': z.strictObject({
    'partition-key-type': z.enum(['schema-table', 'transaction-id', 'primary-key', 'constant', 'attribute-name', 'task-id']).optional(),
    'partition-key-name': z.string().min(1).optional(),
    'sort-key-name': z.string().min(1).optional(),
    'partition-key': z.strictObject({ value: z.string().min(1) }).optional(),
    'exclude-columns': z.array(z.string().min(1)).optional(),
    'attribute-mappings': z.array(attributeMapping).optional(),
    'condition-expression': z.strictObject({
      expression: z.string().min(1),
      'expression-attribute-values': z.array(z.strictObject({ name: z.string().min(1), value: z.unknown() })).optional(),
      'apply-during-cdc': z.boolean().optional(),
      'apply-during-full-load': z.boolean().optional(),
    }).optional(),
  }).optional(),
}).superRefine((r, ctx) => {
  patternIssues(ctx, r, r['object-locator'], ['schema-name', 'table-name']);
  const mp = r['mapping-parameters'];
  if (mp?.['partition-key-type'] === 'attribute-name' && !mp['partition-key-name']) {
    ctx.addIssue({ code: 'custom', path: ['mapping-parameters', 'partition-key-name'], message: '"partition-key-type": "attribute-name" needs "partition-key-name"', input: mp });
  }
  if (mp?.['partition-key-type'] === 'constant' && !mp['partition-key'] && !r['partition-key']) {
    ctx.addIssue({ code: 'custom', path: ['mapping-parameters', 'partition-key'], message: '"partition-key-type": "constant" needs "partition-key": { "value": ... }', input: mp });
  }
});

export const tableMappingRule = z.discriminatedUnion('rule-type', [selectionRule, transformationRule, tableSettingsRule, objectMappingRule]);

export const tableMappingSchema = z.strictObject({
  rules: z.array(tableMappingRule).min(1),
}).superRefine((doc, ctx) => {
  const ids = new Map<string, number>();
  const names = new Map<string, number>();
  doc.rules.forEach((r, i) => {
    const id = ids.get(r['rule-id']);
    if (id !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'rule-id'], message: `duplicate rule-id "${r['rule-id']}" (also used by rules[${id}]); every rule needs its own rule-id`, input: r['rule-id'] });
    else ids.set(r['rule-id'], i);
    const nm = names.get(r['rule-name']);
    if (nm !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'rule-name'], message: `duplicate rule-name "${r['rule-name']}" (also used by rules[${nm}]); every rule needs its own rule-name`, input: r['rule-name'] });
    else names.set(r['rule-name'], i);
    if (r['rule-type'] === 'selection' && r['rule-action'] === 'explicit') {
      const loc = r['object-locator'];
      if (/[%_[]/.test(loc['schema-name']) || /[%_[]/.test(loc['table-name'])) {
        // DMS: explicit selection takes exact names only. '_' is a wildcard, so names with '_' must use include.
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'object-locator'], message: 'an "explicit" selection takes exact schema and table names without wildcards (%, _, [ ]); use "include" for patterns', input: loc });
      }
    }
    if (r['rule-type'] === 'selection' && r.filters && r['rule-action'] !== 'include') {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'filters'], message: 'source filters are only allowed on "include" selection rules', input: r.filters });
    }
  });
  if (doc.rules.length > 0 && !doc.rules.some((r) => r['rule-type'] === 'selection' && r['rule-action'] !== 'exclude')) {
    ctx.addIssue({ code: 'custom', path: ['rules'], message: 'the table mapping needs at least one selection rule with rule-action "include" or "explicit", or no table is captured', input: doc.rules });
  }
});

export type TableMapping = z.infer<typeof tableMappingSchema>;
export type SelectionRule = z.infer<typeof selectionRule>;
export type TransformationRule = z.infer<typeof transformationRule>;
export type TableSettingsRule = z.infer<typeof tableSettingsRule>;
export type ObjectMappingRule = z.infer<typeof objectMappingRule>;
export type FilterCondition = z.infer<typeof filterCondition>;
