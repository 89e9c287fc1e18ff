// The task's kafka.tls / sasl / schemaRegistryTls / schemaRegistryAuth (runtime/src/config/kafka-security-settings.ts):
// declared secret where they hold secrets (masked for the task API, registered with the redactor), translated into
// the connection options every client uses, and the Kafka target keeps the same declaration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTask } from '../../../src/task-file/load-task.ts';
import { maskTaskSecrets } from '../../../src/task/secret-fields.ts';
import { taskKafkaConnection, taskRegistryOptions } from '../../../../runtime/src/kafka/task-kafka.ts';
import { redact as redactSecrets } from '../../../../runtime/src/config/secrets.ts';
import { kafkaTargetSchema } from '../../../../sinks/kafka/src/config.ts';
import { saslSchema, tlsSchema } from '../../../../runtime/src/config/kafka-security-settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tlskafka-unit-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const doc = (kafka: Record<string, unknown>) => ({
  name: 'tlskafka_unit', source: { engine: 'mariadb', host: '127.0.0.1', user: 'cdc', password: 'cdc' }, migrationType: 'cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'a', 'rule-action': 'include', 'object-locator': { 'schema-name': 's', 'table-name': '%' } }] },
  kafka: { brokers: ['b:9093'], schemaRegistry: 'https://reg:8081', ...kafka },
});

test('the options parse, translate into connection and registry options, and default to plaintext', () => {
  const t = parseTask(doc({
    tls: { ca: caFile, servername: 'kafka.internal' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'kafka-pass-123' },
    schemaRegistryTls: { ca: caFile }, schemaRegistryAuth: { bearerToken: 'bearer-tok-456' },
  }));
  const c = taskKafkaConnection(t.kafka!);
  assert.deepEqual({ ...c.tls }, { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', servername: 'kafka.internal' });
  assert.deepEqual(c.sasl, { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'kafka-pass-123' });
  assert.equal(c.optionPath, 'kafka');
  const r = taskRegistryOptions(t.kafka!);
  assert.equal(r.bearerToken, 'bearer-tok-456');
  assert.equal(r.tls?.rejectUnauthorized, true);
  const plain = parseTask(doc({ schemaRegistry: 'http://reg:8081' })).kafka!;
  assert.equal(plain.tls, false);
  assert.deepEqual(Object.keys(taskKafkaConnection(plain)).sort(), ['brokers', 'clientId', 'optionPath', 'partitioner']);
  assert.equal(taskKafkaConnection(plain).partitioner, 'murmur2'); // kafka.partitioner's default: Kafka's Java clients' choice
  assert.throws(() => taskKafkaConnection({ ...plain, tls: { ca: join(dir, 'missing.pem'), rejectUnauthorized: true } }), /kafka\.tls\.ca: cannot read .*missing\.pem \(ENOENT\)/);
});

test('secrets are masked for the API and redacted from output', () => {
  const d = doc({ sasl: { mechanism: 'plain', username: 'u', password: 'kafka-pass-789' }, tls: { key: '-----BEGIN PRIVATE KEY-----x', keyPassword: 'key-pass-000' }, schemaRegistryAuth: { username: 'r', password: 'reg-pass-111' } });
  const masked = JSON.stringify(maskTaskSecrets(d));
  for (const s of ['kafka-pass-789', 'key-pass-000', 'reg-pass-111', 'BEGIN PRIVATE KEY']) assert.ok(!masked.includes(s), `${s} masked: ${masked}`);
  parseTask(d);
  assert.equal(redactSecrets('a kafka-pass-789 b reg-pass-111'), 'a *** b ***');
});

test('one declaration: the Kafka target uses the same tls and sasl schemas', () => {
  assert.equal(kafkaTargetSchema.shape.tls.unwrap().def.options[1], tlsSchema);
  assert.equal(kafkaTargetSchema.shape.sasl.unwrap(), saslSchema);
  assert.throws(() => parseTask(doc({ tls: { rejectUnauthorized: 'no' } })), /kafka\.tls/);
});
