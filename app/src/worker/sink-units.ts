/**
 * Sink units (docs/cluster.md#sink-placement): the leader places a running task's Kafka-mode targets as units, beside
 * its source task, with the same sticky, load-balanced assignor (runtime/src/cluster/assignor.ts). A target with
 * `consumers: N` becomes min(N, kafka.partitions) units named `<task>/sink/<target>/<n>` (n from 1; "/" cannot occur
 * in a task name). Each unit runs, on the worker it is assigned to, one sink consumer in the target's consumer group
 * (`ferry-sink-<task>-<target>`, as `ferry sink` uses), so Kafka's group protocol spreads the partitions among the units.
 *
 * Computed from the stored definition (no secret resolved, nothing connected): every leader computes the same units.
 */
import type { StoredTask } from '../tasks-api/task-store.ts';

export interface SinkUnit {
  readonly task: string;
  readonly target: string;
  /** 1-based. */
  readonly n: number;
}

const UNIT_RE = /^([^/]+)\/sink\/([^/]+)\/([1-9][0-9]*)$/;

/** The target's name is percent-encoded in the unit's name. */
export const sinkUnitName = (u: SinkUnit) => `${u.task}/sink/${encodeURIComponent(u.target)}/${u.n}`;

/** The unit a placement name stands for, or null for a source task. */
export function parseSinkUnit(name: string): SinkUnit | null {
  const m = UNIT_RE.exec(name);
  if (!m) return null;
  try { return { task: m[1]!, target: decodeURIComponent(m[2]!), n: Number(m[3]) }; } catch { return null; }
}

/** The sink units of a task: none without a kafka block (its targets are written in-process) or without targets. */
export function sinkUnitsOf(t: StoredTask): SinkUnit[] {
  const d = t.definition as { kafka?: { partitions?: unknown }; targets?: unknown };
  if (!d.kafka || typeof d.kafka !== 'object' || !Array.isArray(d.targets)) return [];
  const partitions = typeof d.kafka.partitions === 'number' && d.kafka.partitions >= 1 ? Math.floor(d.kafka.partitions) : 1;
  const out: SinkUnit[] = [];
  d.targets.forEach((raw: unknown, i: number) => {
    const target = (raw ?? {}) as { type?: unknown; name?: unknown; consumers?: unknown };
    if (typeof target.type !== 'string') return;
    // The same name as targetName (app/src/task/targets.ts): its consumer group is the one `ferry sink` uses.
    const name = typeof target.name === 'string' ? target.name : `${target.type}-${i}`;
    const consumers = typeof target.consumers === 'number' && target.consumers >= 1 ? Math.floor(target.consumers) : 1;
    for (let n = 1; n <= Math.min(consumers, partitions); n++) out.push({ task: t.name, target: name, n });
  });
  return out;
}
