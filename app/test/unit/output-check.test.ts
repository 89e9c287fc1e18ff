// settings.format / settings.flatten refused where nothing reads them (app/src/task/output-check.ts, docs/formats.md):
// direct mode, and `ferry sink` targets that decode the Avro envelope; the kafka target forwards them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutputSettings, nonEnvelopeOutput, passesThrough } from '../../src/task/output-check.ts';
import { settingsSchema } from '../../../runtime/src/config/settings-schema.ts';

const task = (settings: object, o: { kafka?: boolean; targets?: string[]; objectMapping?: boolean } = {}) => ({
  settings: settingsSchema.parse(settings),
  kafka: o.kafka === false ? undefined : { brokers: ['127.0.0.1:9092'] },
  targets: (o.targets ?? []).map((type) => (type === 'kinesis-avro' ? { type: 'kinesis', name: 'k1', format: 'avro' } : type === 'kinesis-tx' ? { type: 'kinesis', name: 'k2', format: 'avro', partitionKeyType: 'transaction-id' } : { type, name: `${type}1` })),
  tableMappings: { rules: o.objectMapping ? [{ 'rule-type': 'object-mapping' }] : [] },
}) as never;

test('the default (Avro envelope) passes everywhere', () => {
  const t = task({}, { kafka: false, targets: ['postgres'] });
  assert.equal(nonEnvelopeOutput(t), null);
  assert.doesNotThrow(() => checkOutputSettings(t, 'run'));
  assert.doesNotThrow(() => checkOutputSettings(task({}, { targets: ['postgres'] }), 'sink'));
});

test('direct mode refuses format and flatten, naming the setting', () => {
  assert.throws(() => checkOutputSettings(task({ format: 'json' }, { kafka: false, targets: ['postgres'] }), 'run'), /settings\.format is json, but the task has no kafka block/);
  assert.throws(() => checkOutputSettings(task({ flatten: { enabled: true } }, { kafka: false }), 'run'), /settings\.flatten is on, but the task has no kafka block/);
  assert.doesNotThrow(() => checkOutputSettings(task({ format: 'json' }), 'run'));
  assert.throws(() => checkOutputSettings(task({ format: 'cloudevents', flatten: { enabled: true } }), 'run'), /cloudevents needs the change-event envelope/);
});

test('ferry sink refuses decoding targets and object-mapping rules; the kafka target passes through', () => {
  assert.throws(() => checkOutputSettings(task({ format: 'protobuf' }, { targets: ['kafka', 's3-lake'] }), 'sink'), /target s3-lake1 \(s3-lake\); only kafka targets, and kinesis targets with format avro/);
  assert.throws(() => checkOutputSettings(task({ flatten: { tables: { 'a.b': { enabled: true } } } }, { targets: ['postgres'] }), 'sink'), /settings\.flatten is on/);
  assert.throws(() => checkOutputSettings(task({ format: 'json' }, { targets: ['kafka'], objectMapping: true }), 'sink'), /object-mapping rules/);
  assert.doesNotThrow(() => checkOutputSettings(task({ format: 'cloudevents' }, { targets: ['kafka'] }), 'sink'));
  assert.doesNotThrow(() => checkOutputSettings(task({ format: 'json' }, { targets: ['kinesis-avro', 'kafka'] }), 'sink'));
  assert.throws(() => checkOutputSettings(task({ format: 'json' }, { targets: ['kinesis'] }), 'sink'), /target kinesis1 \(kinesis\)/);
  assert.throws(() => checkOutputSettings(task({ format: 'json' }, { targets: ['kinesis-tx'] }), 'sink'), /target k2 \(kinesis\)/);
  const kafka = { type: 'kafka' } as never;
  assert.equal(passesThrough(task({ format: 'json' }), kafka), true);
  assert.equal(passesThrough(task({}), kafka), false);
  assert.equal(passesThrough(task({ format: 'json' }), { type: 'kinesis', format: 'json' } as never), false);
});
