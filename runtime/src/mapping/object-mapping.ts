/**
 * DMS object-mapping rules (Kinesis, Kafka and DynamoDB targets): a table's rule, the matching rule with the lowest
 * rule-id. Applied to rows by object-mapping-apply.ts (the sinks call it once per table version); the parts no target
 * of the task carries out are refused by object-mapping-checks.ts. docs/table-mapping.md § Object mapping.
 */
import type { ObjectMappingRule, TableMapping } from '../config/table-mapping-schema.ts';
import type { TableId } from '../../../core/src/types.ts';
import { compileDmsPattern } from './wildcard.ts';
import { indexRules, type RuleIndex } from './rule-index.ts';

/** Target types that object-mapping rules shape records for. */
export const OBJECT_MAPPING_TARGETS: ReadonlySet<string> = new Set(['kinesis', 'kafka', 'dynamodb']);

export interface ObjectMapping {
  readonly ruleId: string;
  readonly action: ObjectMappingRule['rule-action'];
  /** DynamoDB/Kinesis target table name, when given. */
  readonly targetTableName?: string;
  /** Kafka: the topic of this table's records, when given. */
  readonly kafkaTopic?: string;
  readonly partitionKeyType?: NonNullable<ObjectMappingRule['mapping-parameters']>['partition-key-type'];
  readonly partitionKeyName?: string;
  readonly sortKeyName?: string;
  /** A constant partition key ("partition-key": { "value" }). */
  readonly partitionKeyValue?: string;
  readonly excludeColumns: readonly string[];
  readonly attributeMappings: NonNullable<NonNullable<ObjectMappingRule['mapping-parameters']>['attribute-mappings']>;
  readonly conditionExpression?: NonNullable<ObjectMappingRule['mapping-parameters']>['condition-expression'];
}

/**
 * A task's object-mapping rules by rule-id, indexed by name (rule-index.ts) once per mapping: a rule per table for
 * thousands of tables must not cost tables x rules pattern compilations and tests.
 */
const indexes = new WeakMap<TableMapping, RuleIndex<ObjectMappingRule>>();

function objectRulesOf(mapping: TableMapping): RuleIndex<ObjectMappingRule> {
  let index = indexes.get(mapping);
  if (!index) {
    const rules = mapping.rules
      .filter((r): r is ObjectMappingRule => r['rule-type'] === 'object-mapping')
      .sort((a, b) => Number(a['rule-id']) - Number(b['rule-id']));
    index = indexRules(rules, (r) => ({ schema: compileDmsPattern(r['object-locator']['schema-name']), table: compileDmsPattern(r['object-locator']['table-name'] || '%') }));
    indexes.set(mapping, index);
  }
  return index;
}

export function objectMappingFor(mapping: TableMapping, id: TableId): ObjectMapping | undefined {
  const rule = objectRulesOf(mapping).matching(id)[0];
  if (!rule) return undefined;
  const mp = rule['mapping-parameters'];
  const pk = rule['partition-key'] ?? mp?.['partition-key'];
  return {
    ruleId: rule['rule-id'],
    action: rule['rule-action'],
    ...(rule['target-table-name'] ? { targetTableName: rule['target-table-name'] } : {}),
    ...(rule['kafka-target-topic'] ? { kafkaTopic: rule['kafka-target-topic'] } : {}),
    ...(mp?.['partition-key-type'] ? { partitionKeyType: mp['partition-key-type'] } : {}),
    ...(mp?.['partition-key-name'] ? { partitionKeyName: mp['partition-key-name'] } : {}),
    ...(mp?.['sort-key-name'] ? { sortKeyName: mp['sort-key-name'] } : {}),
    ...(pk ? { partitionKeyValue: pk.value } : {}),
    excludeColumns: mp?.['exclude-columns'] ?? [],
    attributeMappings: mp?.['attribute-mappings'] ?? [],
    ...(mp?.['condition-expression'] ? { conditionExpression: mp['condition-expression'] } : {}),
  };
}
