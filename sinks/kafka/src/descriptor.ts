/** The Kafka/MSK target sink as a plugin (core/src/plugin.ts): target `kafka`. The Kafka client loads lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { kafkaTargetSchema, type KafkaTargetConfigInput } from './config.ts';
import { TopicRouter } from './routing.ts';
import { kafkaTopicKey } from '../../../runtime/src/pipeline/destination-guard.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof kafkaTargetSchema.parse>>();

export const kafkaSink: SinkPlugin = {
  kind: 'sink',
  types: ['kafka'],
  summary: 'another Kafka/MSK cluster: TLS, SCRAM, MSK IAM; topic templates; bytes and headers unchanged (DMS JSON for tables an object-mapping rule shapes); exactly-once',
  docs: 'docs/sinks/kafka.md',
  options: () => kafkaTargetSchema,
  prerequisites: ['the target cluster reachable; topics created (or auto-creation allowed); transactional writes allowed for exactly-once'],
  async create(o) {
    const { KafkaTargetSink } = await import('./KafkaTargetSink.ts');
    return new KafkaTargetSink({ name: o.name, config: o.options as KafkaTargetConfigInput, tableMappings: o.tableMappings });
  },
  // The target topic by the explicit renames, else the template (routing.ts); Kafka treats '.' and '_' as one. The
  // sink also routes, and keeps its offsets and transactional ids, by the source topic (in direct mode: the topic the
  // table would have), so that must be the table's own too.
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = kafkaTargetSchema.parse(o.options)));
    const name = new TopicRouter(c.topic, c.topics).route(t.topic, t);
    return [{ kind: 'source topic', name: t.topic, compareAs: kafkaTopicKey(t.topic) }, { kind: 'topic', name, compareAs: kafkaTopicKey(name) }];
  },
};
