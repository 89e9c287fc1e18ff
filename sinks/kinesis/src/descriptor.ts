/** The Kinesis sink as a plugin (core/src/plugin.ts): target `kinesis`. The AWS SDK loads lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { kinesisSchema, type KinesisConfigInput } from './config.ts';

// No destinationOf: every table goes to the one stream by design (as with DMS), each record names its table
// (json metadata schema-name/table-name; avro: the envelope of its topic), and the partition key only spreads records
// over shards. Two tables can only be mixed up when their mapped names are equal, and then their topics, which
// validate, plan and run compare for every task, are equal too.
export const kinesisSink: SinkPlugin = {
  kind: 'sink',
  types: ['kinesis'],
  summary: 'PutRecords (DMS JSON or Confluent Avro), DMS partition keys and object mapping, per-key order, KPL aggregation',
  docs: 'docs/sinks/kinesis.md',
  options: () => kinesisSchema,
  prerequisites: ['the stream exists; kinesis:PutRecords and kinesis:DescribeStreamSummary on it'],
  async create(o) {
    const { KinesisSink } = await import('./KinesisSink.ts');
    return new KinesisSink({ name: o.name, config: o.options as KinesisConfigInput, tableMappings: o.tableMappings });
  },
};
