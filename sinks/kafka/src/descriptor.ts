/** The Kafka/MSK target sink as a plugin (core/src/plugin.ts): target `kafka`. The Kafka client loads lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { kafkaTargetSchema, type KafkaTargetConfigInput } from './config.ts';

export const kafkaSink: SinkPlugin = {
  kind: 'sink',
  types: ['kafka'],
  summary: 'another Kafka/MSK cluster: TLS, SCRAM, MSK IAM; topic templates; bytes and headers unchanged; exactly-once',
  docs: 'docs/sinks/kafka.md',
  options: () => kafkaTargetSchema,
  prerequisites: ['the target cluster reachable; topics created (or auto-creation allowed); transactional writes allowed for exactly-once'],
  async create(o) {
    const { KafkaTargetSink } = await import('./KafkaTargetSink.ts');
    return new KafkaTargetSink({ name: o.name, config: o.options as KafkaTargetConfigInput });
  },
};
