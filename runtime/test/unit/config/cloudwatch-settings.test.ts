// settings.cloudwatch: defaults, the reserved AWS/ namespace refused, the secret key kept as a Secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsSchema } from '../../../src/config/settings-schema.ts';
import { Secret } from '../../../src/config/secrets.ts';

test('settings.cloudwatch is off when absent, and takes DMS-like defaults when present', () => {
  assert.equal(settingsSchema.parse({}).cloudwatch, undefined);
  const cw = settingsSchema.parse({ cloudwatch: {} }).cloudwatch!;
  assert.deepEqual({ mode: cw.mode, namespace: cw.namespace, intervalSeconds: cw.intervalSeconds, logGroup: cw.logGroup }, { mode: 'put-metric-data', namespace: 'Ferry/DMS', intervalSeconds: 60, logGroup: '/ferry/metrics' });
});

test('settings.cloudwatch refuses a namespace AWS reserves, an unknown mode and a zero interval', () => {
  const issues = (v: unknown) => settingsSchema.safeParse({ cloudwatch: v }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.deepEqual(issues({ namespace: 'AWS/DMS' }), ['cloudwatch.namespace: namespaces starting with "AWS/" are reserved for AWS services: choose your own, e.g. Ferry/DMS']);
  assert.equal(issues({ mode: 'statsd' }).length, 1);
  assert.equal(issues({ intervalSeconds: 0 }).length, 1);
  assert.equal(issues({ bogus: 1 }).length, 1, 'unknown keys are refused');
});

test('settings.cloudwatch.secretAccessKey is a Secret (never printed)', () => {
  const cw = settingsSchema.parse({ cloudwatch: { accessKeyId: 'AKIA', secretAccessKey: 'very-secret-value' } }).cloudwatch!;
  assert.ok(cw.secretAccessKey instanceof Secret);
  assert.ok(!JSON.stringify(cw).includes('very-secret-value'));
});
