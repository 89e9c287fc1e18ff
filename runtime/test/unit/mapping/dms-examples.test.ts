// Issue #16: documents DMS's guide shows must be accepted ("scale": "" in a data-type; lob-settings without a mode,
// which DMS defaults to limited), and malformed wildcard patterns are refused at validate with the rule id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { ConfigError, parseTask } from '../../../../app/src/task-file/load-task.ts';
import { lobSettingsSchema } from '../../../src/config/settings-schema.ts';
import { LobPolicies } from '../../../src/lob/lob-policy.ts';
import { MappingTransformer } from '../../../src/mapping/MappingTransformer.ts';
import { col, event, table } from './helpers.ts';

function parse(doc: unknown, targets: unknown[] = []): { problems: string[]; task?: ReturnType<typeof parseTask> } {
  try {
    const task = parseTask({
      name: 'shop', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'pw' }, migrationType: 'cdc',
      tableMappings: doc, kafka: { brokers: ['127.0.0.1:9092'], schemaRegistry: 'http://127.0.0.1:8081/apis/ccompat/v7' }, targets,
    }, { env: {}, baseDir: tmpdir() });
    return { problems: [], task };
  } catch (e: unknown) {
    assert.ok(e instanceof ConfigError, String(e));
    return { problems: e.problems.map((p) => `${p.path}: ${p.message}`) };
  }
}

test('DMS guide: change-data-type with "scale": "" (an empty size means not given)', () => {
  const doc = JSON.parse(`{
    "rules": [
      { "rule-type": "selection", "rule-id": "1", "rule-name": "1", "object-locator": { "schema-name": "%", "table-name": "%" }, "rule-action": "include" },
      {
        "rule-type": "transformation",
        "rule-id": "2",
        "rule-name": "2",
        "rule-action": "change-data-type",
        "rule-target": "column",
        "object-locator": { "schema-name": "%", "table-name": "%", "column-name": "%", "data-type": "int8" },
        "data-type": { "type": "string", "length": "20", "scale": "" }
      }
    ]
  }`);
  const { problems, task } = parse(doc);
  assert.deepEqual(problems, []);
  const t = table('shop', 'orders', [col('id', 'int64'), col('note')]);
  const m = new MappingTransformer(task!.tableMappings);
  assert.deepEqual(m.transform(event(t, 'c', null, { id: 9007199254740993n, note: 'n' }))!.after, { id: '9007199254740993', note: 'n' });
  assert.deepEqual(m.plan(t).target.columns.map((c) => [c.name, c.type.type, c.sourceType]), [['id', 'string', 'string'], ['note', 'string', 'varchar(50)']]);
  // An empty precision and scale on numeric mean the defaults (scale 0), not 0 > precision.
  const numeric = structuredClone(doc);
  numeric.rules[1]['data-type'] = { type: 'numeric', precision: '', scale: '' };
  assert.deepEqual(parse(numeric).problems, []);
  assert.deepEqual(new MappingTransformer(parse(numeric).task!.tableMappings).transform(event(t, 'c', null, { id: 12n, note: 'n' }))!.after, { id: Buffer.from([12]), note: 'n' });
  // A non-empty size must still be digits.
  numeric.rules[1]['data-type'] = { type: 'numeric', precision: '10', scale: 'x' };
  assert.equal(parse(numeric).problems.length, 1);
});

test('DMS guide: lob-settings with only bulk-max-size loads in limited mode (DMS\'s default)', () => {
  const doc = JSON.parse(`{
   "rules": [{
            "rule-type": "selection",
            "rule-id": "1",
            "rule-name": "1",
            "object-locator": {
                "schema-name": "%",
                "table-name": "%"
            },
            "rule-action": "include"
        },
        {
            "rule-type": "table-settings",
            "rule-id": "2",
            "rule-name": "2",
            "object-locator": {
                "schema-name": "INV",
                "table-name": "ITEMS"
            },
            "lob-settings": {
                "bulk-max-size": "100000"
            }
        }
     ]
}`);
  const { problems, task } = parse(doc);
  assert.deepEqual(problems, []);
  const p = new LobPolicies(lobSettingsSchema.parse({}), task!.tableMappings);
  assert.deepEqual(p.policy({ schema: 'INV', table: 'ITEMS' }), { mode: 'limited', maxBytes: 100_000 * 1024, thresholdBytes: 0, from: 'table-settings rule 2' });
  assert.equal(p.policy({ schema: 'INV', table: 'OTHER' }).from, 'settings.lob');
  // Without bulk-max-size either: limited at settings.lob.maxSizeKb.
  doc.rules[1]['lob-settings'] = {};
  const q = new LobPolicies(lobSettingsSchema.parse({ maxSizeKb: 7 }), parse(doc).task!.tableMappings);
  assert.deepEqual(q.policy({ schema: 'INV', table: 'ITEMS' }), { mode: 'limited', maxBytes: 7 * 1024, thresholdBytes: 0, from: 'table-settings rule 2' });
});

test('validate: a malformed wildcard pattern in any rule type is a problem naming the rule id', () => {
  const loc = { 'schema-name': 'shop', 'table-name': 't[z-a]' };
  const backwards = 'is not a valid DMS pattern: the range "z-a" in "[z-a]" runs backwards ("z" comes after "a"); write it as "a-z"';
  const rules = [
    { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } },
    { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': 'ex', 'rule-action': 'exclude', 'object-locator': loc },
    { 'rule-type': 'transformation', 'rule-id': '3', 'rule-name': 'rn', 'rule-target': 'column', 'rule-action': 'rename', 'object-locator': { 'schema-name': 's[]', 'table-name': '%', 'column-name': 'c[9-0]' }, value: 'x' },
    { 'rule-type': 'table-settings', 'rule-id': '4', 'rule-name': 'ts', 'object-locator': loc, 'lob-settings': { mode: 'none' } },
    { 'rule-type': 'object-mapping', 'rule-id': '5', 'rule-name': 'om', 'rule-action': 'map-record-to-record', 'object-locator': loc },
  ];
  assert.deepEqual(parse({ rules }, [{ type: 'kinesis', name: 'k', streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }]).problems.filter((p) => !p.startsWith('targets')), [
    `tableMappings.rules[1].object-locator.table-name: rule 2 (selection): table-name "t[z-a]" ${backwards}`,
    'tableMappings.rules[2].object-locator.schema-name: rule 3 (rename): schema-name "s[]" is not a valid DMS pattern: "[]" is an empty set, which matches nothing; put the characters to match between the brackets, e.g. [ab]',
    'tableMappings.rules[2].object-locator.column-name: rule 3 (rename): column-name "c[9-0]" is not a valid DMS pattern: the range "9-0" in "[9-0]" runs backwards ("9" comes after "0"); write it as "0-9"',
    `tableMappings.rules[3].object-locator.table-name: rule 4 (table-settings): table-name "t[z-a]" ${backwards}`,
    `tableMappings.rules[4].object-locator.table-name: rule 5 (object-mapping): table-name "t[z-a]" ${backwards}`,
  ]);
});
