/** The Kinesis sink as a plugin (core/src/plugin.ts): target `kinesis`. The AWS SDK loads lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { kinesisSchema, type KinesisConfigInput } from './config.ts';

export const kinesisSink: SinkPlugin = {
  kind: 'sink',
  types: ['kinesis'],
  summary: 'PutRecords (DMS JSON or Confluent Avro), DMS partition keys, per-key order, KPL aggregation',
  docs: 'docs/sinks/kinesis.md',
  options: () => kinesisSchema,
  prerequisites: ['the stream exists; kinesis:PutRecords and kinesis:DescribeStreamSummary on it'],
  async create(o) {
    const { KinesisSink } = await import('./KinesisSink.ts');
    return new KinesisSink({ name: o.name, config: o.options as KinesisConfigInput });
  },
};
