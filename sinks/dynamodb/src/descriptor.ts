/** The DynamoDB sink as a plugin (core/src/plugin.ts): target `dynamodb`. The AWS SDK loads lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { dynamoSchema, type DynamoConfigInput } from './config.ts';
import { targetTableName } from './naming.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof dynamoSchema.parse>>();

export const dynamoDbSink: SinkPlugin = {
  kind: 'sink',
  types: ['dynamodb'],
  summary: 'one item per primary key (or per the key of a DMS object-mapping rule), exact types, conditional writes on the source position, tombstones, LOB rule',
  docs: 'docs/sinks/dynamodb.md',
  options: () => dynamoSchema,
  prerequisites: ['dynamodb:CreateTable/DescribeTable (or the tables created beforehand), BatchWriteItem, PutItem, DeleteItem'],
  async create(o) {
    const { DynamoDbSink } = await import('./DynamoDbSink.ts');
    return new DynamoDbSink({ name: o.name, config: o.options as DynamoConfigInput, tableMappings: o.tableMappings });
  },
  // DynamoDB table names are case-sensitive; characters it does not allow become '_' (naming.ts).
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = dynamoSchema.parse(o.options)));
    return { kind: 'table', name: targetTableName(c.tableName, c.tables, t) };
  },
};
