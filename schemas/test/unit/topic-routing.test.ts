// Topic routing (Debezium's ByLogicalTableRouter): rule evaluation with Java's matches()/replaceFirst semantics and
// replacement syntax, the routed schemas (names after the new topic, the key field appended), the encoder's key,
// the check that shards routed to one topic fit one schema, and the settings' validation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent, Column, TableSchema } from '../../../core/src/types.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import { buildTableSchemas, TableSchemaCache } from '../../src/envelope-schema.ts';
import { decodeWire, EventEncoder } from '../../src/event-encoder.ts';
import { DEFAULT_ROUTING_KEY_FIELD, TopicRouter, topicRoutingRuleProblems } from '../../src/topic-routing.ts';
import { settingsSchema } from '../../../runtime/src/config/settings-schema.ts';

const SHARDS = { topicRegex: '(.*)\\.orders_[0-9]+', topicReplacement: '$1.orders' };

describe('TopicRouter: rule evaluation', () => {
  it('routes a whole-topic match with Debezium\'s defaults: the key field is the original topic', () => {
    const r = new TopicRouter([SHARDS]);
    assert.deepEqual(r.route('shop.sales.orders_007'), {
      topic: 'shop.sales.orders', physicalTopic: 'shop.sales.orders_007', rule: 0,
      keyField: { name: '__dbz__physicalTableIdentifier', value: 'shop.sales.orders_007' },
    });
    assert.equal(DEFAULT_ROUTING_KEY_FIELD, '__dbz__physicalTableIdentifier');
    // The regex must match the whole topic (Matcher.matches()), not a part of it.
    assert.equal(r.route('shop.sales.orders_007_archive'), null);
    assert.equal(r.route('shop.sales.customers'), null);
  });

  it('follows Debezium\'s documented example: key.field.regex / key.field.replacement give the shard number', () => {
    const r = new TopicRouter([{ topicRegex: '(.*)customers_shard(.*)', topicReplacement: '$1customers_all_shards', keyFieldRegex: '(.*)customers_shard(.*)', keyFieldReplacement: '$2', keyFieldName: 'shard_id' }]);
    for (const n of ['1', '2', '3']) {
      assert.deepEqual(r.route(`myserver.mydb.customers_shard${n}`), {
        topic: 'myserver.mydb.customers_all_shards', physicalTopic: `myserver.mydb.customers_shard${n}`, rule: 0, keyField: { name: 'shard_id', value: n },
      });
    }
  });

  it('keeps the original topic as the key value when key.field.regex does not match it', () => {
    const r = new TopicRouter([{ ...SHARDS, keyFieldRegex: 'nomatch(.*)', keyFieldReplacement: '$1' }]);
    assert.equal(r.route('p.db.orders_1')!.keyField!.value, 'p.db.orders_1');
  });

  it('key.enforce.uniqueness false adds no key field', () => {
    assert.equal(new TopicRouter([{ ...SHARDS, keyEnforceUniqueness: false }]).route('p.db.orders_1')!.keyField, null);
  });

  it('replaces the first match only, keeping the rest, as Java\'s replaceFirst does', () => {
    // matches() accepts "axbx" whole; replaceFirst's find() then stops at the lazy "ax".
    assert.equal(new TopicRouter([{ topicRegex: '(.*?)x', topicReplacement: 'Y$1' }]).route('axbx')!.topic, 'Yabx');
  });

  it('reads Java\'s replacement syntax: multi-digit groups only while they exist, ${name}, escapes', () => {
    assert.equal(new TopicRouter([{ topicRegex: '(a)(b)', topicReplacement: '$10' }]).route('ab')!.topic, 'a0');
    const twelve = '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)';
    assert.equal(new TopicRouter([{ topicRegex: twelve, topicReplacement: 'x$12' }]).route('abcdefghijkl')!.topic, 'xl');
    assert.equal(new TopicRouter([{ topicRegex: '(?<db>[a-z]+)\\.t_[0-9]+', topicReplacement: '${db}.t' }]).route('shop.t_9')!.topic, 'shop.t');
    assert.equal(new TopicRouter([{ topicRegex: '(.*)_[0-9]+', topicReplacement: '$1\\-all' }]).route('p.d.t_1')!.topic, 'p.d.t-all');
  });

  it('the first matching rule wins; an empty result leaves the topic alone (Debezium logs and keeps the record\'s topic)', () => {
    const r = new TopicRouter([{ topicRegex: 'p\\.a\\.(.*)', topicReplacement: 'first.$1' }, { topicRegex: 'p\\..*', topicReplacement: 'second' }]);
    assert.deepEqual([r.route('p.a.x')!.topic, r.route('p.a.x')!.rule, r.route('p.b.x')!.topic, r.route('p.b.x')!.rule], ['first.x', 0, 'second', 1]);
    assert.equal(new TopicRouter([{ topicRegex: 'p\\.d\\.(x?)', topicReplacement: '$1' }]).route('p.d.'), null);
  });

  it('refuses a routed topic over Kafka\'s 249 characters at run time, naming the rule and both topics', () => {
    const r = new TopicRouter([{ topicRegex: '(.*)', topicReplacement: '$1$1$1' }]);
    assert.throws(() => r.route('x'.repeat(100)), (e: Error & { code?: string }) => e.code === 'FERRY_CONFIG_INVALID' && /topicRouting\[0\] routes topic "x{100}" to "x{300}"/.test(e.message));
  });

  it('topicPatterns match every topic a rule can produce (how ferry sink finds routed topics)', () => {
    const [re] = new TopicRouter([{ topicRegex: '(.*)customers_shard(.*)', topicReplacement: '$1customers.all-shards' }]).topicPatterns();
    assert.ok(re!.test('myserver.mydb.customers.all-shards'));
    assert.ok(re!.test('customers.all-shards'));
    assert.ok(!re!.test('myserver.mydb.customers_all-shards'));
    assert.ok(!re!.test('myserver.mydb.customers.all-shards.x'));
  });

  it('foreignTopic: only a replacement that starts with its own text names topics ferry sink reads outside the prefix', () => {
    const r = new TopicRouter([{ topicRegex: '(.*)\\.orders_[0-9]+', topicReplacement: '$1.orders' }, { topicRegex: 'p\\.(.*)\\.t_[0-9]+', topicReplacement: 'merged.$1.t' }]);
    assert.equal(r.foreignTopic('other-task.db.orders'), false);
    assert.equal(r.foreignTopic('merged.db.t'), true);
    assert.equal(r.foreignTopic('merged.db.u'), false);
  });
});

describe('topicRoutingRuleProblems / settings.topicRouting', () => {
  const problems = (rule: Parameters<typeof topicRoutingRuleProblems>[0]) => topicRoutingRuleProblems(rule).map((p) => `${p.path}: ${p.message}`);

  it('accepts Debezium\'s examples', () => {
    assert.deepEqual(problems(SHARDS), []);
    assert.deepEqual(problems({ topicRegex: '(.*)customers_shard(.*)', topicReplacement: '$1customers_all_shards', keyFieldRegex: '(.*)customers_shard(.*)', keyFieldReplacement: '$2' }), []);
  });

  it('refuses a replacement that is not a valid topic name, an unknown group, an invalid regex', () => {
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: '$1/all' }).join(), /topicReplacement: not a valid Kafka topic name: "\/" cannot appear/);
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: 'all orders' }).join(), /topicReplacement: not a valid Kafka topic name: " "/);
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: '..' }).join(), /topicReplacement: not a valid Kafka topic name: "\.\."/);
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: '$2' }).join(), /topicReplacement: no group 2 in the regular expression \(it has 1\)/);
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: 'a$' }).join(), /topicReplacement: illegal group reference/);
    assert.match(problems({ topicRegex: '(.*)', topicReplacement: '${x}' }).join(), /no group named x/);
    assert.match(problems({ topicRegex: '(.*', topicReplacement: 'a' }).join(), /topicRegex: not a valid regular expression/);
    assert.match(problems({ ...SHARDS, keyFieldRegex: '(.*)' }).join(), /keyFieldReplacement: keyFieldReplacement must be non-empty if keyFieldRegex is set/);
    assert.match(problems({ ...SHARDS, keyFieldName: 'shard-id' }).join(), /keyFieldName: "shard-id" is not a valid Avro field name/);
  });

  it('the settings declaration applies the defaults and reports problems with their path', () => {
    const s = settingsSchema.parse({ topicRouting: [SHARDS] });
    assert.deepEqual(s.topicRouting, [{ ...SHARDS, keyEnforceUniqueness: true, keyFieldName: '__dbz__physicalTableIdentifier' }]);
    assert.deepEqual(settingsSchema.parse({}).topicRouting, []);
    const r = settingsSchema.safeParse({ topicRouting: [{ topicRegex: '(.*)', topicReplacement: '$1/x' }] });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues.map((i) => i.path), [['topicRouting', 0, 'topicReplacement']]);
  });
});

const col = (name: string, type: Column['type'], nullable: boolean): Column => ({ name, type, nullable, sourceType: '' });
const shard = (n: string, extra: readonly Column[] = [], version = 1): TableSchema => ({
  id: { schema: 'sales', table: `orders_${n}` }, version, primaryKey: ['id'],
  columns: [col('id', { type: 'int64' }, false), col('amount', { type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', version: 1, params: { scale: '2', 'connect.decimal.precision': '10' } }, false), col('note', { type: 'string' }, true), ...extra],
});
const OPTS = { connector: 'mariadb' as const, topicPrefix: 'shop', router: new TopicRouter([SHARDS]) };

describe('routed schemas', () => {
  it('names the key, value and envelope after the new topic and appends the key field (a required string)', () => {
    const s = buildTableSchemas(shard('001'), OPTS);
    assert.equal(s.topic, 'shop.sales.orders');
    assert.deepEqual([s.keySubject, s.valueSubject], ['shop.sales.orders-key', 'shop.sales.orders-value']);
    assert.deepEqual(s.key, { type: 'record', name: 'Key', namespace: 'shop.sales.orders', fields: [{ name: 'id', type: 'long' }, { name: '__dbz__physicalTableIdentifier', type: 'string' }], 'connect.name': 'shop.sales.orders.Key' });
    assert.equal((s.envelope as unknown as { 'connect.name': string })['connect.name'], 'shop.sales.orders.Envelope');
    assert.equal((s.value as unknown as { 'connect.name': string })['connect.name'], 'shop.sales.orders.Value');
    // Every shard registers the same text: one schema id per subject for all of them.
    const t = buildTableSchemas(shard('002'), OPTS);
    assert.deepEqual([JSON.stringify(t.key), JSON.stringify(t.envelope)], [JSON.stringify(s.key), JSON.stringify(s.envelope)]);
    // A table no rule matches is untouched.
    assert.equal(buildTableSchemas({ ...shard('001'), id: { schema: 'sales', table: 'customers' } }, OPTS).key!.fields.length, 1);
  });

  it('a keyless table keeps a null key; a key column named like the key field is refused', () => {
    assert.equal(buildTableSchemas({ ...shard('001'), primaryKey: [] }, OPTS).key, null);
    const clash: TableSchema = { ...shard('001'), columns: [...shard('001').columns, col('__dbz__physicalTableIdentifier', { type: 'string' }, false)], primaryKey: ['id', '__dbz__physicalTableIdentifier'] };
    assert.throws(() => buildTableSchemas(clash, OPTS), (e: Error & { code?: string }) => e.code === 'FERRY_CONFIG_INVALID' && /already has a field __dbz__physicalTableIdentifier.*keyFieldName/.test(e.message));
  });

  it('the encoder writes the physical table\'s topic into the key', () => {
    const enc = new EventEncoder({ connector: 'mariadb', topicPrefix: 'shop', router: OPTS.router });
    const table = shard('042');
    const source = { connector: 'mariadb' as const, name: 'shop', tsMs: 1, snapshot: 'false' as const, db: 'sales', table: 'orders_042', position: binlogPosition({ file: 'mysql-bin.000001', pos: 4 }) };
    const event: ChangeEvent = { op: 'c', key: null, before: null, after: { id: 7, amount: Buffer.from([1]), note: null }, source, tsMs: 1, table };
    const out = enc.encode(event, { key: 1, value: 2 });
    assert.equal(out.topic, 'shop.sales.orders');
    assert.deepEqual({ ...(decodeWire(enc.types(table).key!, out.key!).value as object) }, { id: 7, __dbz__physicalTableIdentifier: 'shop.sales.orders_042' });
  });
});

describe('shards routed to one topic must fit one schema', () => {
  const refused = (a: TableSchema, b: TableSchema, pattern: RegExp) => {
    const cache = new TableSchemaCache(OPTS);
    cache.get(a);
    assert.throws(() => cache.get(b), (e: Error & { code?: string; details?: unknown }) => {
      assert.equal(e.code, 'FERRY_SCHEMA_INCOMPATIBLE');
      assert.match(e.message, /settings\.topicRouting\[0\] routes tables "sales\.orders_001" and "sales\.orders_002" to topic "shop\.sales\.orders", but their schemas differ: /);
      assert.match(e.message, pattern);
      assert.match(e.message, /Fix: /);
      return true;
    });
  };

  it('refuses a column of another type, a NOT NULL column one shard lacks, another key', () => {
    const other = shard('002');
    refused(shard('001'), { ...other, columns: other.columns.map((c) => (c.name === 'amount' ? col('amount', { type: 'string' }, false) : c)) },
      /column amount is org\.apache\.kafka\.connect\.data\.Decimal, not null in the first and string, not null in the second/);
    refused(shard('001'), shard('002', [col('region', { type: 'int32' }, false)]), /column region \(int, not null\) of the second is missing from the first and is neither nullable nor has a default/);
    refused(shard('001'), { ...other, primaryKey: ['id', 'note'], columns: other.columns.map((c) => (c.name === 'note' ? col('note', { type: 'string' }, false) : c)) }, /their primary keys differ/);
    refused(shard('001'), { ...other, primaryKey: [] }, /one has a primary key and the other has none/);
  });

  it('accepts a nullable column (or one with a default) in some shards: an ALTER rolled out shard by shard', () => {
    const cache = new TableSchemaCache(OPTS);
    cache.get(shard('001'));
    cache.get(shard('002', [col('region', { type: 'int32' }, true)], 2));
    cache.get(shard('003', [{ ...col('flag', { type: 'int32' }, false), defaultValue: 0 }]));
    assert.deepEqual(cache.tablesRoutedTo('shop.sales.orders'), ['sales.orders_001', 'sales.orders_002', 'sales.orders_003']);
  });
});
