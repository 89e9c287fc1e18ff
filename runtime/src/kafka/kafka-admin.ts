/** Topic administration: create, describe, configs, offsets, groups. */
import { Admin } from '@platformatic/kafka';
import { securityOf, brokersOf, wrap, collectMessages, type KafkaConnectionOptions } from './kafka-connection.ts';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

export interface KafkaAdmin {
  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Partition count of a topic, or undefined when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** The topic's configuration values that are set (e.g. cleanup.policy). */
  topicConfig(topic: string): Promise<Record<string, string>>;
  /** Node id of a consumer group's coordinator. */
  groupCoordinator(groupId: string): Promise<number>;
  /**
   * Each group's committed offset for one topic partition (-1 = none), with require_stable: an offset still pending
   * in an open transaction makes the broker answer "unstable" until the transaction ends (retried here).
   */
  committedOffsets(groupIds: readonly string[], topic: string, partition: number): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export function createAdmin(options: KafkaConnectionOptions): KafkaAdmin {
  const admin = new Admin({ clientId: options.clientId, bootstrapBrokers: brokersOf(options), ...securityOf(options), timeout: options.timeoutMs ?? 30000, retries: 2 });
  const metadata = async (topics: string[]) => {
    try {
      return await admin.metadata({ topics, forceUpdate: true });
    } catch (e: unknown) {
      throw wrap(e, 'metadata', options);
    }
  };
  return {
    async ensureTopics(topics) {
      const existing = new Set(await this.listTopics());
      for (const t of topics) {
        if (existing.has(t.name)) continue;
        try {
          await admin.createTopics({
            topics: [t.name], partitions: t.partitions, replicas: t.replicationFactor,
            ...(t.config ? { configs: Object.entries(t.config).map(([name, value]) => ({ name, value })) } : {}),
          });
        } catch (e: unknown) {
          if (/already exists/i.test(collectMessages(e))) continue;
          throw wrap(e, `create topic ${t.name}`, options);
        }
      }
    },
    async listTopics() {
      try {
        return await admin.listTopics({ includeInternals: false });
      } catch (e: unknown) {
        throw wrap(e, 'list topics', options);
      }
    },
    async partitionCount(topic) {
      const md = await metadata([topic]).catch((e: unknown) => {
        if (/UNKNOWN_TOPIC|Unknown topic|does not exist/i.test(collectMessages(e))) return undefined;
        throw e;
      });
      return md?.topics.get(topic)?.partitionsCount;
    },
    async deleteTopics(topics) {
      try {
        await admin.deleteTopics({ topics: [...topics] });
      } catch (e: unknown) {
        throw wrap(e, 'delete topics', options);
      }
    },
    async topicConfig(topic) {
      try {
        const [d] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic }] });
        const out: Record<string, string> = {};
        for (const c of d?.configs ?? []) if (c.value !== null && c.value !== undefined) out[c.name] = c.value;
        return out;
      } catch (e: unknown) {
        throw wrap(e, `describe topic ${topic}`, options);
      }
    },
    async groupCoordinator(groupId) {
      try {
        const [c] = await admin.findCoordinator({ keyType: 0, keys: [groupId] });
        if (!c) throw new Error(`no coordinator for group ${groupId}`);
        return c.nodeId;
      } catch (e: unknown) {
        throw wrap(e, `find the coordinator of group ${groupId}`, options);
      }
    },
    async committedOffsets(groupIds, topic, partition) {
      const out = new Map<string, bigint>();
      if (groupIds.length === 0) return out;
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await admin.listConsumerGroupOffsets({ groups: groupIds.map((groupId) => ({ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] })) as never, requireStable: true });
          for (const g of res as unknown as { groupId: string; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[] }[]) {
            const p = g.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
            out.set(g.groupId, p?.committedOffset ?? -1n);
          }
          return out;
        } catch (e: unknown) {
          if (attempt < 30 && /UNSTABLE_OFFSET_COMMIT|unstable/i.test(collectMessages(e))) {
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          throw wrap(e, `list committed offsets of ${groupIds.length} groups`, options);
        }
      }
    },
    async close() {
      await admin.close();
    },
  };
}
