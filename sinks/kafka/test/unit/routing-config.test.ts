/** Topic routing, config defaults, stored-offset parsing and error messages (no services). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaTargetSchema } from '../../src/config.ts';
import { offsetsGroupId } from '../../src/offsets.ts';
import { TopicRouter, isLegalTopic, partsOf } from '../../src/routing.ts';
import { explainTargetError, redact } from '../../src/security.ts';
import { KafkaTargetSink } from '../../src/KafkaTargetSink.ts';

const table = { schema: 'shop', table: 'orders' };

test('template placeholders, renames by topic and by schema.table, tombstone-only topics', () => {
  const r = new TopicRouter('{prefix}.mirror.{schema}.{table}', { 'ferry.shop.customers': 'crm.customers', 'shop.items': 'catalog.items' });
  assert.equal(r.route('ferry.shop.orders', table), 'ferry.mirror.shop.orders');
  assert.equal(r.route('ferry.shop.customers', { schema: 'shop', table: 'customers' }), 'crm.customers');
  assert.equal(r.route('ferry.shop.items', { schema: 'shop', table: 'items' }), 'catalog.items');
  assert.equal(r.route('a.b.shop.items'), 'catalog.items');
  assert.equal(new TopicRouter('{topic}', {}).route('x.y.z'), 'x.y.z');
  assert.deepEqual(partsOf('my.pre.fix.db.t'), { topic: 'my.pre.fix.db.t', prefix: 'my.pre.fix', schema: 'db', table: 't' });
  assert.deepEqual(partsOf('p.db.with.dot', { schema: 'db.with', table: 'dot' }), { topic: 'p.db.with.dot', prefix: 'p', schema: 'db.with', table: 'dot' });
  assert.ok(isLegalTopic('a.b-c_d'));
  assert.ok(!isLegalTopic('a b'));
  assert.ok(!isLegalTopic('..'));
});

test('config defaults and validation', () => {
  const c = kafkaTargetSchema.parse({ brokers: ['b:9092'] });
  assert.equal(c.delivery, 'exactly-once');
  assert.equal(c.topic, '{topic}');
  assert.equal(c.tls, false);
  assert.equal(c.createTopics.enabled, true);
  assert.throws(() => kafkaTargetSchema.parse({ brokers: ['nohost'] }));
  assert.throws(() => kafkaTargetSchema.parse({ brokers: ['b:1'], sasl: { mechanism: 'scram-sha-512', username: 'u' } }));
  const m = kafkaTargetSchema.parse({ brokers: ['b:9098'], tls: true, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } });
  assert.equal(m.sasl?.mechanism, 'aws-msk-iam');
  const s = new KafkaTargetSink({ name: 'mirror', config: { brokers: ['b:9092'] } });
  assert.equal(s.idPrefix, 'ferry-mirror-');
  assert.equal(s.rawInput, true);
});

test('stored offsets: one target group per source partition, named after the transactional id', () => {
  assert.equal(offsetsGroupId('ferry-mirror-', 'shop.shop.orders', 2), 'ferry-mirror-shop.shop.orders-2');
});

test('error messages name the problem and the fix, never the password', () => {
  const c = kafkaTargetSchema.parse({ brokers: ['h:9096'], tls: true, sasl: { mechanism: 'scram-sha-512', username: 'ferry', password: 'hunter2-secret' } });
  const auth = explainTargetError(new Error('SASL authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (hunter2-secret)'), c, 'list topics');
  assert.match(auth.message, /rejected the SASL credentials/);
  assert.match(auth.message, /sasl\.password/);
  assert.doesNotMatch(auth.message, /hunter2/);
  assert.equal(auth.disposition, 'fatal');
  assert.equal(redact('x hunter2-secret y', c), 'x *** y');
  const noSasl = explainTargetError(new Error('Connection closed'), kafkaTargetSchema.parse({ brokers: ['h:9096'], tls: true }), 'list topics');
  assert.match(noSasl.message, /set sasl/);
  const tls = explainTargetError(new Error('Connection to h:9096 failed.: self-signed certificate in certificate chain'), c, 'list topics');
  assert.match(tls.message, /tls\.ca/);
  assert.equal(tls.disposition, 'fatal');
});
