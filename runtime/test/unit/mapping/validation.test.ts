// Validation of table mappings: structure (per-action requirements, filters, table-settings, object-mapping) and
// what Ferry rejects as unsupported — with exact messages, never silently ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { ConfigError, parseTask } from '../../../../app/src/task-file/load-task.ts';
import { objectMappingFor } from '../../../src/mapping/object-mapping.ts';
import { tableMappingSchema } from '../../../src/config/table-mapping-schema.ts';

const sel = { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } };
const task = (rules: unknown[], targets: unknown[] = []) => ({
  name: 'shop', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'pw' }, migrationType: 'cdc',
  tableMappings: { rules: [sel, ...rules] }, kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7' }, targets,
});
function problems(rules: unknown[], targets: unknown[] = []): string[] {
  try {
    parseTask(task(rules, targets), { env: {}, baseDir: tmpdir() });
    return [];
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}
const t = (action: string, target: string, extra: Record<string, unknown> = {}, locator: Record<string, string> = { 'schema-name': 'shop', 'table-name': 't', 'column-name': 'c' }) =>
  ({ 'rule-type': 'transformation', 'rule-id': '2', 'rule-name': 'x', 'rule-action': action, 'rule-target': target, 'object-locator': locator, ...extra });

test('every transformation action Ferry applies validates', () => {
  const ok: [string, string, Record<string, unknown>][] = [
    ['rename', 'schema', { value: 'a' }], ['rename', 'table', { value: 'a' }], ['rename', 'column', { value: 'a' }],
    ['convert-lowercase', 'table', {}], ['convert-uppercase', 'column', {}], ['add-prefix', 'schema', { value: 'p_' }],
    ['remove-prefix', 'table', { value: 'p_' }], ['replace-prefix', 'column', { value: 'n_', 'old-value': 'o_' }],
    ['add-suffix', 'table', { value: '_s' }], ['remove-suffix', 'column', { value: '_s' }], ['replace-suffix', 'schema', { value: '_n', 'old-value': '_o' }],
    ['remove-column', 'column', {}], ['include-column', 'column', {}],
    ['add-column', 'column', { value: 'n', expression: "$a || 'x'", 'data-type': { type: 'string', length: 10 } }],
    ['change-data-type', 'column', { 'data-type': { type: 'numeric', precision: 10, scale: 2 } }],
    ['define-primary-key', 'table', { 'primary-key-def': { name: 'pk', columns: ['a'] } }],
    ['add-before-image-columns', 'column', { 'before-image-def': { 'column-prefix': 'BI_', 'column-filter': 'pk-only' } }],
    ['data-masking-digits-mask', 'column', { value: '#' }], ['data-masking-digits-randomize', 'column', {}], ['data-masking-hash-mask', 'column', {}],
  ];
  for (const [action, target, extra] of ok) assert.deepEqual(problems([t(action, target, extra)]), [], `${action} on ${target}`);
});

test('structural problems: missing fields, wrong rule-target, locators, masking character', () => {
  assert.deepEqual(problems([t('rename', 'table')]), ['tableMappings.rules[1].value: "rename" needs "value"']);
  assert.deepEqual(problems([t('replace-prefix', 'column', { value: 'x' })]), ['tableMappings.rules[1].old-value: "replace-prefix" needs "old-value"']);
  assert.deepEqual(problems([t('remove-column', 'table')]), ['tableMappings.rules[1].rule-target: "remove-column" applies to rule-target "column", not "table"']);
  assert.deepEqual(problems([t('add-column', 'column', { value: 'x' })]), ['tableMappings.rules[1].data-type: "add-column" needs "data-type"']);
  assert.deepEqual(problems([t('rename', 'column', { value: 'x' }, { 'schema-name': 's', 'table-name': 't' })]), ['tableMappings.rules[1].object-locator.column-name: "rename" needs object-locator "column-name" (a name or pattern)']);
  assert.deepEqual(problems([t('rename', 'table', { value: 'x' }, { 'schema-name': 's' })]), ['tableMappings.rules[1].object-locator.table-name: rule-target "table" needs object-locator "table-name"']);
  assert.deepEqual(problems([t('data-masking-digits-mask', 'column', { value: ' ' })]), ['tableMappings.rules[1].value: the masking character must be one printable ASCII character other than a space, found " "']);
});

test('filters: negated operators stand alone; filters only on include rules', () => {
  const filt = (conds: unknown[]) => ({ ...sel, 'rule-id': '5', 'rule-name': 'f', filters: [{ 'filter-type': 'source', 'column-name': 'id', 'filter-conditions': conds }] });
  assert.deepEqual(problems([filt([{ 'filter-operator': 'gte', value: '1' }, { 'filter-operator': 'null' }])]), []);
  assert.deepEqual(problems([filt([{ 'filter-operator': 'noteq', value: '1' }, { 'filter-operator': 'eq', value: '2' }])]), ['tableMappings.rules[1].filters[0].filter-conditions: "noteq" must be the only condition of its filter (conditions within a filter are ORed); put it in a filter of its own, filters are ANDed']);
  assert.deepEqual(problems([{ ...filt([{ 'filter-operator': 'null' }]), 'rule-action': 'exclude' }]), ['tableMappings.rules[1].filters: source filters are only allowed on "include" selection rules']);
});

test('unsupported constructs are rejected with the reason', () => {
  assert.deepEqual(problems([t('rename', 'index-tablespace', { value: 'x' }, { 'schema-name': 's', 'table-name': 't', 'index-tablespace-name': 'i' })]), ['tableMappings.rules[1].rule-target: rule-target "index-tablespace" is not supported: tablespaces exist only on Oracle targets, and Ferry\'s targets (Kafka topics, lake files, Redshift) have none; remove the rule']);
  assert.deepEqual(problems([t('rename', 'column', { value: 'x', expression: '1' })]), ['tableMappings.rules[1].expression: "expression" is applied only by "add-column" rules in Ferry; "rename" would ignore it — remove it, or add a column with the expression']);
  assert.deepEqual(problems([t('add-column', 'column', { value: 'x', expression: '$AR_H_USER', 'data-type': { type: 'string' } })]), ['tableMappings.rules[1].expression: rule 2 (add-column): $AR_H_USER is not supported: DMS fills it only for SQL Server and Oracle sources; MySQL, MariaDB and PostgreSQL logs do not carry the user who made a change']);
  assert.deepEqual(problems([t('add-column', 'column', { value: 'x', expression: '1 +', 'data-type': { type: 'string' } })]), ['tableMappings.rules[1].expression: rule 2 (add-column): SQLite cannot compile it: near ")": syntax error']);
  assert.deepEqual(problems([t('change-data-type', 'column', { 'data-type': { type: 'map' } })]), ['tableMappings.rules[1].data-type.type: data type "map" is not supported; use one of string, wstring, clob, nclob, int1, int2, int4, int8, uint1, uint2, uint4, uint8, real4, real8, numeric, boolean, date, time, datetime, bytes, blob']);
  assert.deepEqual(problems([t('define-primary-key', 'table', { 'primary-key-def': { name: 'u', origin: 'unique-index', columns: ['a'] } })]), ['tableMappings.rules[1].primary-key-def.origin: origin "unique-index" is not supported: Ferry\'s targets have no indexes to create; use origin "primary-key" to key the events by these columns']);
  assert.deepEqual(problems([{ ...sel, 'rule-id': '3', 'rule-name': 'v', 'object-locator': { 'schema-name': 's', 'table-name': 'v%', 'table-type': 'view' } }]), ['tableMappings.rules[1].object-locator.table-type: table-type "view" is not supported yet; only "table" (Ferry captures tables from the change log, and views have none)']);
});

test('table-settings: structure validated; parallel-load and lob-settings rejected as not applied', () => {
  const ts = (extra: Record<string, unknown>) => ({ 'rule-type': 'table-settings', 'rule-id': '8', 'rule-name': 'pl', 'object-locator': { 'schema-name': 'crm', 'table-name': 'orders' }, ...extra });
  assert.deepEqual(problems([ts({ 'parallel-load': { type: 'none' } })]), []);
  assert.deepEqual(problems([ts({ 'parallel-load': { type: 'ranges', columns: ['id'], boundaries: [['1000000'], ['2000000', 'x']] } })]), ['tableMappings.rules[1].parallel-load.boundaries: every boundary needs one value per column (1); found one with 2']);
  assert.deepEqual(problems([ts({ 'parallel-load': { type: 'partitions-list' } })]), ['tableMappings.rules[1].parallel-load.partitions: parallel-load "partitions-list" needs "partitions": the partition names']);
  assert.deepEqual(problems([ts({ 'parallel-load': { type: 'ranges', columns: ['id'], boundaries: [['1000000'], ['2000000']] } })]), ['tableMappings.rules[1].parallel-load.type: parallel-load "ranges" is not supported: Ferry\'s full load reads each table in primary-key chunks, in parallel (settings.snapshot.chunkSize and parallelism); remove "parallel-load" or use type "none"']);
  assert.deepEqual(problems([ts({ 'lob-settings': { mode: 'limited', 'bulk-max-size': '0' } })]), ['tableMappings.rules[1].lob-settings.bulk-max-size: "bulk-max-size" is a size in KB and must be above 0']);
});

test('object-mapping: validated, needs a kinesis/kafka/dynamodb target, exposed per table', () => {
  const om = { 'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'TransformToDDB', 'rule-action': 'map-record-to-record', 'object-locator': { 'schema-name': 'test', 'table-name': 'customer' }, 'target-table-name': 'customer_t',
    'mapping-parameters': { 'partition-key-name': 'CustomerName', 'exclude-columns': ['FirstName', 'LastName'], 'attribute-mappings': [{ 'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${FirstName},${LastName}' }] } };
  assert.deepEqual(problems([om]), ['tableMappings.rules[1].rule-type: object-mapping rules shape records for kinesis, kafka and dynamodb targets, and this task has none; remove the rule (Ferry\'s own Kafka topics use the Debezium format)']);
  assert.deepEqual(problems([{ ...om, 'mapping-parameters': { 'partition-key-type': 'attribute-name' } }], [{ type: 'dynamodb' }]).filter((p) => p.includes('partition-key-name')), ['tableMappings.rules[1].mapping-parameters.partition-key-name: "partition-key-type": "attribute-name" needs "partition-key-name"']);
  const parsed = tableMappingSchema.parse({ rules: [sel, om] });
  const m = objectMappingFor(parsed, { schema: 'test', table: 'customer' })!;
  assert.deepEqual([m.ruleId, m.action, m.targetTableName, m.partitionKeyName, m.excludeColumns, m.attributeMappings.length], ['2', 'map-record-to-record', 'customer_t', 'CustomerName', ['FirstName', 'LastName'], 1]);
  assert.equal(objectMappingFor(parsed, { schema: 'test', table: 'other' }), undefined);
});
