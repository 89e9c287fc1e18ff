/**
 * Several tables loaded in parallel by one database target with `consumers` (app/src/task/targets.ts): the workloads
 * (one sink-kit fixture per table, one single-partition topic each, so the target's consumers split the tables), the
 * task that `ferry sink` runs for them, and the wait until the target's consumer group has committed every event.
 */
import { parseTask } from '../../../app/src/task-file/load-task.ts';
import type { ResolvedTask } from '../../../app/src/task-file/load-task.ts';
import { kafkaStream } from '../../../runtime/src/sink-worker/record-identity.ts';
import { fixture, workload, type Workload } from './fixtures.ts';
import { addGroupCommits, caughtUp, endOffsets, produceEvents, services } from './services.ts';

export interface TableLoad {
  readonly table: string;
  readonly topic: string;
  /** The sink's stream of the topic's one partition (`_ferry_sink_offsets.stream`). */
  readonly stream: string;
  readonly w: Workload;
}

/** `tables` tables shop.t1… of `rows` snapshot reads each, then `changes` inserts, updates and deletes (half after an added column). */
export function tableLoads(prefix: string, o: { tables: number; rows: number; changes: number }): TableLoad[] {
  return Array.from({ length: o.tables }, (_, i) => {
    const table = `t${i + 1}`;
    const topic = `${prefix}.shop.${table}`;
    const w = workload(fixture('shop', table), { prefix, rows: o.rows, snapshotRows: o.rows, changesV1: Math.ceil(o.changes / 2), changesV2: Math.floor(o.changes / 2), seed: 42 + i });
    return { table, topic, stream: kafkaStream(topic, 0), w };
  });
}

export async function produceLoads(prefix: string, loads: readonly TableLoad[]): Promise<void> {
  for (const l of loads) await produceEvents(l.w.events, { prefix, partitions: 1 });
}

/** The task `ferry sink` runs: one target of `target` options (its type included), Kafka mode. */
export function sinkTask(prefix: string, target: Record<string, unknown>): ResolvedTask {
  return parseTask(sinkTaskDocument(prefix, target));
}

export function sinkTaskDocument(prefix: string, target: Record<string, unknown>): Record<string, unknown> {
  return {
    name: prefix, source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: prefix, partitions: 1 },
    targets: [{ name: 'db', createTablesFrom: 'event-schema', ...target }],
    settings: { metrics: { enabled: false } },
  };
}

/** The consumer group of the task's target (runTaskSinkWorkers' default). */
export const groupOf = (prefix: string): string => `ferry-sink-${prefix}-db`;

/** Waits until the group has committed every topic's end offset; false on timeout or when `failed()` says so. */
export async function waitCommitted(prefix: string, loads: readonly TableLoad[], timeoutMs: number, failed: () => boolean = () => false): Promise<boolean> {
  const ends = new Map<string, bigint>();
  for (const l of loads) for (const [k, v] of await endOffsets(l.topic)) ends.set(k, v);
  const committed = new Map<string, bigint>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !failed()) {
    await addGroupCommits(groupOf(prefix), committed, ends);
    if (caughtUp(committed, ends)) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}
