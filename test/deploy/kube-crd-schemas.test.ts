// scripts/kube-crd-schemas.ts: reading a KEDA scaler's trigger-metadata keys from its Go struct tags, and making CRD
// schemas strict. (The whole chain, on KEDA's real sources, is test/deploy/kubernetes-manifests.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataKeys, metadataSchema, strictify } from '../../scripts/kube-crd-schemas.ts';

const GO = `
type fooMetadata struct {
	Servers   []string \`keda:"name=bootstrapServers,order=triggerMetadata;resolvedEnv"\`
	Lag       int64    \`keda:"name=lagThreshold,order=triggerMetadata,default=10"\`
	Policy    string   \`keda:"name=offsetResetPolicy,order=triggerMetadata,default=latest,enum=latest;earliest"\`
	Idle      bool     \`keda:"name=allowIdleConsumers,order=triggerMetadata,default=false"\`
	Threshold float64  \`keda:"name=threshold,           order=triggerMetadata"\`
	Modes     []string \`keda:"name=authModes;authMode, order=triggerMetadata;authParams, enum=basic;tls, optional"\`
	Password  string   \`keda:"name=password,order=authParams,optional"\`
	Auth      *Config  \`keda:"optional"\`
}`;

test('metadata keys: names and aliases, required unless optional/defaulted/from auth, FromEnv, enums, types', () => {
  const keys = metadataKeys(GO);
  assert.deepEqual(keys.map((k) => [k.names.join('|'), k.goType, k.required, k.fromEnv, k.enumValues?.join('|') ?? null]), [
    ['bootstrapServers', '[]string', true, true, null],
    ['lagThreshold', 'int64', false, false, null],
    ['offsetResetPolicy', 'string', false, false, 'latest|earliest'],
    ['allowIdleConsumers', 'bool', false, false, null],
    ['threshold', 'float64', true, false, null],
    ['authModes|authMode', '[]string', false, false, null], // a list: its enum applies to each item, not checked
  ]);
  const schema = metadataSchema(keys) as any;
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties), ['bootstrapServers', 'bootstrapServersFromEnv', 'lagThreshold', 'offsetResetPolicy', 'allowIdleConsumers', 'threshold', 'authModes', 'authMode']);
  assert.deepEqual(schema.properties.lagThreshold, { type: 'string', pattern: '^-?[0-9]+$' });
  assert.deepEqual(schema.properties.offsetResetPolicy.enum, ['latest', 'earliest']);
  assert.ok(schema.properties.allowIdleConsumers.enum.includes('true') && !schema.properties.allowIdleConsumers.enum.includes('yes'));
  assert.ok(new RegExp(schema.properties.threshold.pattern).test('2.5') && !new RegExp(schema.properties.threshold.pattern).test('2,5'));
  assert.deepEqual(schema.allOf, [
    { anyOf: [{ required: ['bootstrapServers'] }, { required: ['bootstrapServersFromEnv'] }] },
    { anyOf: [{ required: ['threshold'] }] },
  ]);
});

test('strict CRD schemas: closed objects unless open by design, nullable as a null type', () => {
  const s: any = { type: 'object', properties: {
    spec: { type: 'object', properties: { a: { type: 'string', nullable: true } } },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { b: { type: 'string' } } },
    map: { type: 'object', additionalProperties: { type: 'string' } },
  } };
  strictify(s);
  assert.equal(s.additionalProperties, false);
  assert.equal(s.properties.spec.additionalProperties, false);
  assert.deepEqual(s.properties.spec.properties.a, { type: ['string', 'null'] });
  assert.equal(s.properties.free.additionalProperties, undefined);
  assert.deepEqual(s.properties.map.additionalProperties, { type: 'string' });
});
