/**
 * The parts of a (structurally valid) object-mapping rule that the task's targets cannot carry out, as validation
 * problems naming the rule id and the part. What is applied, and how: docs/table-mapping.md § Object mapping.
 */
import type { ObjectMappingRule } from '../config/table-mapping-schema.ts';

export interface RuleProblem {
  /** Below the rule, e.g. `.mapping-parameters.sort-key-name`. */
  readonly path: string;
  readonly message: string;
}

const STREAM_TARGETS = ['kinesis', 'kafka'];

export function objectMappingRuleProblems(r: ObjectMappingRule, targetTypes: readonly string[]): RuleProblem[] {
  const out: RuleProblem[] = [];
  const id = r['rule-id'];
  const add = (path: string, message: string) => out.push({ path, message: `object-mapping rule ${id}: ${message}` });
  const mp = r['mapping-parameters'];
  const dynamo = targetTypes.includes('dynamodb');
  const streams = STREAM_TARGETS.filter((t) => targetTypes.includes(t));
  const pkValue = mp?.['partition-key'] ?? r['partition-key'];
  const pkPath = mp?.['partition-key'] ? '.mapping-parameters.partition-key' : '.partition-key';

  if (mp?.['condition-expression']) {
    add('.mapping-parameters.condition-expression', '"condition-expression" is not supported: every DynamoDB write of Ferry is already conditional on the change\'s source position (_ferry_pos), and a second condition would drop changes silently; remove it');
  }
  if (mp?.['partition-key-type'] === 'task-id') {
    add('.mapping-parameters.partition-key-type', '"partition-key-type": "task-id" is not supported (Ferry has no DMS task resource id); use "schema-table", "primary-key", "transaction-id", "constant" or "attribute-name"');
  }
  if (r['kafka-target-topic'] !== undefined && !targetTypes.includes('kafka')) {
    add('.kafka-target-topic', '"kafka-target-topic" names the topic of a kafka target, and this task has none; remove it');
  }
  if (dynamo) {
    if (r['target-table-name'] !== undefined && /[%[]/.test(r['object-locator']['table-name'])) {
      add('.target-table-name', `"target-table-name" with the table pattern "${r['object-locator']['table-name']}" would write every matching table into one DynamoDB table; name one table in the object locator`);
    }
    if (mp?.['partition-key-type'] !== undefined) add('.mapping-parameters.partition-key-type', '"partition-key-type" keys Kinesis and Kafka records; a dynamodb target takes its item key from "partition-key-name" and "sort-key-name" (or the source primary key); remove it, or give the dynamodb target a task of its own');
    if (pkValue) add(pkPath, '"partition-key" (a constant key) keys Kinesis and Kafka records; a dynamodb target cannot give every item one key; remove it');
    if (mp?.['sort-key-name'] !== undefined && mp['partition-key-name'] === undefined) add('.mapping-parameters.sort-key-name', '"sort-key-name" needs "partition-key-name": the sort key is the second part of a key the rule defines');
    if (mp?.['partition-key-name'] !== undefined && mp['partition-key-name'] === mp['sort-key-name']) add('.mapping-parameters.sort-key-name', '"sort-key-name" is the partition key attribute too; name two attributes');
  }
  for (const t of streams) {
    const type = mp?.['partition-key-type'];
    if (pkValue && type !== undefined && type !== 'constant') add(pkPath, `"partition-key" (a constant key) is used only with "partition-key-type": "constant" (or none), and the rule says "${type}"; remove one`);
    if (mp?.['sort-key-name'] !== undefined) add('.mapping-parameters.sort-key-name', `"sort-key-name" is a DynamoDB sort key; a ${t} target has none, so it would be ignored; remove it, or give the ${t} target a task of its own`);
    if (mp?.['partition-key-name'] !== undefined && mp['partition-key-type'] !== 'attribute-name') {
      add('.mapping-parameters.partition-key-name', `"partition-key-name" keys a ${t} target's records only with "partition-key-type": "attribute-name"; add that, or remove the name`);
    }
    (mp?.['attribute-mappings'] ?? []).forEach((a, n) => {
      const sub = a['attribute-sub-type'];
      if (sub === 'dynamodb-map' || sub === 'dynamodb-list') add(`.mapping-parameters.attribute-mappings[${n}].attribute-sub-type`, `"attribute-sub-type": "${sub}" is DynamoDB JSON, for dynamodb targets; a ${t} target writes JSON: use "attribute-type": "document" with "attribute-sub-type": "json"`);
    });
  }
  (mp?.['attribute-mappings'] ?? []).forEach((a, n) => {
    const at = `.mapping-parameters.attribute-mappings[${n}]`;
    const sub = a['attribute-sub-type'];
    const name = a['target-attribute-name'] ?? a['attribute-name'];
    if (a['target-attribute-name'] !== undefined && a['attribute-name'] !== undefined && a['target-attribute-name'] !== a['attribute-name']) add(at, 'an attribute mapping has both "target-attribute-name" and "attribute-name", with different names; give one');
    if (a['attribute-type'] === 'document' && (sub === 'string' || sub === 'number')) add(`${at}.attribute-sub-type`, `a document attribute takes sub-type "json", "dynamodb-map" or "dynamodb-list", not "${sub}"`);
    if (a['attribute-type'] !== 'document' && (sub === 'json' || sub === 'dynamodb-map' || sub === 'dynamodb-list')) add(`${at}.attribute-type`, `sub-type "${sub}" needs "attribute-type": "document"`);
    if (typeof a.value !== 'string' && a['attribute-type'] === 'scalar') add(`${at}.value`, 'a scalar attribute takes a template string as its value');
    if (r['rule-action'] === 'map-record-to-document' && name === '_doc') add(at, 'the attribute "_doc" holds the record in map-record-to-document; name the mapping otherwise');
    const extra = Object.keys(a).filter((k) => !['target-attribute-name', 'attribute-name', 'attribute-type', 'attribute-sub-type', 'value'].includes(k));
    for (const k of extra) add(`${at}.${k}`, `"${k}" is not an attribute-mapping field Ferry knows; it would be ignored, so remove it`);
  });
  return out;
}

/** Two object-mapping rules that send their tables to one DynamoDB table (target-table-name), by rule index. */
export function sharedTargetTables(rules: readonly { readonly index: number; readonly rule: ObjectMappingRule }[], targetTypes: readonly string[]): { index: number; problem: RuleProblem }[] {
  if (!targetTypes.includes('dynamodb')) return [];
  const seen = new Map<string, string>();
  const out: { index: number; problem: RuleProblem }[] = [];
  for (const { index, rule } of rules) {
    const t = rule['target-table-name'];
    if (t === undefined) continue;
    const first = seen.get(t);
    if (first !== undefined) out.push({ index, problem: { path: '.target-table-name', message: `object-mapping rule ${rule['rule-id']}: "target-table-name" "${t}" is also the target of rule ${first}; two source tables would share one DynamoDB table` } });
    else seen.set(t, rule['rule-id']);
  }
  return out;
}
