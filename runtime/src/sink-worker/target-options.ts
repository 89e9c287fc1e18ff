/**
 * Sink-worker options a sink plugin may take among its target's keys (declared once here, spread into the plugin's
 * zod declaration, read by `ferry sink`: app/src/task/targets.ts runTaskSinkWorkers).
 */
import { z } from 'zod';

/** Most consumers of one target inside one `ferry sink` process. */
export const MAX_TARGET_CONSUMERS = 32;

export const targetConsumersShape = {
  consumers: z.int().min(1).max(MAX_TARGET_CONSUMERS).default(1).meta({
    description: 'Kafka mode (`ferry sink`): how many consumers of this target run in the process, each with its own connection to the target, in the target’s one consumer group. Kafka assigns the table topics’ partitions among them, so up to this many tables (or partitions) load at once; each partition still has one writer, in offset order. More `ferry sink` processes add to it. Direct mode (`ferry run`) ignores it. With applyMode transactional, a source transaction spanning tables that different consumers hold is applied as one target transaction per consumer.',
  }),
};

/** The consumers a target's parsed options ask for (1 when the plugin does not take the option). */
export function targetConsumers(parsed: unknown): number {
  const n = (parsed as { consumers?: unknown } | null)?.consumers;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}
