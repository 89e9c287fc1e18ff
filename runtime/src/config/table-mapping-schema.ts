/**
 * The AWS DMS table-mapping document, as DMS documents it (shared/notes/event-format.md §2).
 * This module checks the document's *structure*; runtime/src/mapping decides what Ferry can apply.
 */
import { z } from 'zod';

const pattern = z.string().min(1).meta({ description: 'Name or DMS wildcard pattern: % (any run), _ (one char), [_] (literal _), [ab] (set), [a-d] (range).' });
const ruleId = z.string().regex(/^\d+$/, 'rule-id must be a string of digits, e.g. "1"');
const ruleName = z.string().min(1);
const intString = z.union([z.string().regex(/^-?\d+$/), z.int()]);

const filterCondition = z.discriminatedUnion('filter-operator', [
  z.strictObject({ 'filter-operator': z.enum(['eq', 'noteq', 'lte', 'ste', 'gte']), value: z.union([z.string(), z.number()]) }),
  z.strictObject({ 'filter-operator': z.enum(['between', 'notbetween']), 'start-value': z.union([z.string(), z.number()]), 'end-value': z.union([z.string(), z.number()]) }),
  z.strictObject({ 'filter-operator': z.enum(['null', 'notnull']) }),
]);

const sourceFilter = z.strictObject({
  'filter-type': z.literal('source'),
  'column-name': z.string().min(1),
  'filter-conditions': z.array(filterCondition).min(1),
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
});

export const TRANSFORMATION_ACTIONS = [
  'rename', 'convert-lowercase', 'convert-uppercase', 'add-prefix', 'remove-prefix', 'replace-prefix',
  'add-suffix', 'remove-suffix', 'replace-suffix', 'remove-column', 'include-column', 'add-column',
  'change-data-type', 'define-primary-key', 'add-before-image-columns',
  'data-masking-digits-mask', 'data-masking-digits-randomize', 'data-masking-hash-mask',
] as const;

const dataType = z.strictObject({
  type: z.string().min(1),
  precision: intString.optional(),
  scale: intString.optional(),
  length: intString.optional(),
});

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
});

export const tableSettingsRule = z.strictObject({
  'rule-type': z.literal('table-settings'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'object-locator': z.strictObject({ 'schema-name': pattern, 'table-name': pattern }),
  'parallel-load': z.strictObject({
    type: z.enum(['partitions-auto', 'subpartitions-auto', 'partitions-list', 'ranges', 'none']),
    partitions: z.array(z.string()).optional(),
    subpartitions: z.array(z.string()).optional(),
    columns: z.array(z.string()).optional(),
    boundaries: z.array(z.array(z.string())).optional(),
  }).optional(),
  'lob-settings': z.strictObject({
    mode: z.enum(['limited', 'unlimited', 'none']),
    'bulk-max-size': intString.optional(),
  }).optional(),
});

export const objectMappingRule = z.strictObject({
  'rule-type': z.literal('object-mapping'),
  'rule-id': ruleId,
  'rule-name': ruleName,
  'rule-action': z.enum(['map-record-to-record', 'map-record-to-document']),
  'object-locator': z.strictObject({ 'schema-name': pattern, 'table-name': pattern }),
  'target-table-name': z.string().optional(),
  'mapping-parameters': z.looseObject({
    'partition-key-type': z.enum(['schema-table', 'transaction-id', 'primary-key', 'constant', 'attribute-name']).optional(),
  }).optional(),
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
