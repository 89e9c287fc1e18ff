/**
 * Task targets → record sinks, built by the sink plugin that serves each target's type (app/src/plugins.ts), which
 * loads its SDK lazily so a task only loads the sink code it uses.
 *
 *   Kafka mode (the task has a kafka block): `ferry sink <task-file>` runs per target `consumers` sink workers (default
 *     1, each with its own sink instance) in the target's consumer group `ferry-sink-<task>-<target name>`; more
 *     processes with the same task file share the partitions too.
 *   direct mode (no kafka block): `ferry run` puts each target behind the source (createDirectSinks).
 *
 * Target options are the target's own keys (besides type and name), validated by the plugin's declaration
 * (SinkPlugin.options, e.g. sinks/s3-lake/src/config.ts) when the sink is created.
 */
import { stateCipherOf } from '../../../runtime/src/encryption/state-keyring.ts';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../../core/src/errors.ts';
import { connectorName, sinkPlugin } from '../plugins.ts';
import type { Logger, MetricsRegistry, Sink } from '../../../core/src/types.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { Secret } from '../../../runtime/src/config/secrets.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { DirectSinkAdapter } from '../../../runtime/src/sink-worker/DirectSinkAdapter.ts';
import { fileDeadLetterQueue, kafkaDeadLetterQueue } from '../../../runtime/src/sink-worker/dead-letter.ts';
import { withTableErrorEvents } from '../../../runtime/src/events/dead-letter-events.ts';
import type { TaskEventEmitter } from '../../../runtime/src/events/task-events.ts';
import { createAdmin, createProducer } from '../../../runtime/src/kafka/kafka-client.ts';
import { kafkaSecurityOf } from '../../../runtime/src/kafka/kafka-security.ts';
import { logTaskKafkaSecurity, taskKafkaConnection, taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import { runSinkWorker, type ConsumerTuning, type SinkWorkerResult } from '../../../runtime/src/sink-worker/SinkWorker.ts';
import { targetConsumers } from '../../../runtime/src/sink-worker/target-options.ts';
import type { RecordSink } from '../../../core/src/record-sink.ts';
import { handTableDefinitions } from './table-definitions.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { TopicRouter } from '../../../schemas/src/topic-routing.ts';
import { checkOutputSettings, passesThrough } from './output-check.ts';
import type { Readiness } from '../../../runtime/src/health/readiness.ts';

type Target = ResolvedTask['targets'][number];

export function targetName(t: Target, index: number): string {
  return t.name ?? `${t.type}-${index}`;
}

/** Secrets resolved by the task loader are Secret objects; sinks take plain strings. */
function plain(v: unknown): unknown {
  if (v instanceof Secret) return v.reveal();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** A target's own keys (besides type and name), secrets revealed: what its sink plugin is given. */
export function targetOptions(t: Target): Record<string, unknown> {
  const { type: _type, name: _name, ...rest } = t as Record<string, unknown>;
  return plain(rest) as Record<string, unknown>;
}

function configError(e: unknown, index: number, name: string): never {
  if (e instanceof z.ZodError) {
    const lines = e.issues.map((i) => `  - targets[${index}].${i.path.join('.')}: ${i.message}`);
    throw new FerryError('FERRY_CONFIG_INVALID', `target ${name}: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, { cause: e });
  }
  throw e;
}

/**
 * Every target whose options do not match its sink plugin's declaration, as config problems (path and zod's message,
 * which never quotes the value). The task API refuses such a task when it is created, as `validate` does.
 */
export function targetOptionProblems(task: ResolvedTask): { path: string; message: string }[] {
  return task.targets.flatMap((t, i) => {
    const r = sinkPlugin(t.type).options(t.type).safeParse(targetOptions(t));
    return r.success ? [] : r.error.issues.map((issue) => ({ path: `targets[${i}]${issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}`, message: issue.message }));
  });
}

/** Builds a target's sink through the plugin that serves its type; its options are checked against the plugin's declaration first. */
export async function createRecordSink(t: Target, index: number, tableMappings?: ResolvedTask['tableMappings']): Promise<RecordSink> {
  const name = targetName(t, index);
  try {
    const plugin = sinkPlugin(t.type);
    const given = targetOptions(t);
    plugin.options(t.type).parse(given);
    // The table mapping goes along for the sinks that apply object-mapping rules (runtime/src/mapping/object-mapping-apply.ts).
    return await plugin.create({ name, type: t.type, options: given, ...(tableMappings ? { tableMappings } : {}) });
  } catch (e: unknown) {
    return configError(e, index, name);
  }
}

export interface TargetDeps {
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  /** Task events (docs/notifications.md): table-errors when records are dead-lettered. */
  readonly events?: TaskEventEmitter;
}

/** Direct mode: each target as a pipeline Sink behind the source; dead letters go to <stateDir>/dlq/<target>.jsonl. */
export async function createDirectSinks(task: ResolvedTask, deps: TargetDeps): Promise<Sink[]> {
  const out: Sink[] = [];
  const sinks = [];
  for (const [i, t] of task.targets.entries()) sinks.push({ name: targetName(t, i), sink: await createRecordSink(t, i, task.tableMappings) });
  await handTableDefinitions(task, sinks, deps.log);
  for (const [i, t] of task.targets.entries()) {
    const sink = sinks[i]!.sink;
    out.push(new DirectSinkAdapter({
      sink, connector: connectorName(task.source.engine), topicPrefix: task.kafka?.topicPrefix ?? task.name,
      deadLetters: withTableErrorEvents(fileDeadLetterQueue(join(task.settings.stateDir, 'dlq', `${targetName(t, i)}.jsonl`), stateCipherOf(task.settings.stateDir)), deps.events, { topicPrefix: task.kafka?.topicPrefix ?? task.name }), log: deps.log.child({ target: targetName(t, i) }), metrics: deps.metrics,
    }));
  }
  return out;
}

export interface TaskSinkWorkersOptions extends TargetDeps {
  readonly task: ResolvedTask;
  /** Only these targets (by name); default all. */
  readonly only?: readonly string[];
  /** Consumer group per target; default `ferry-sink-<task>-<target name>`. */
  readonly groupId?: (target: string) => string;
  /** GET /readyz (runtime/src/health): one component per consumer, `target:<name>` (`target:<name>#<n>` with several). */
  readonly readiness?: Readiness;
  /** Consumers per chosen target instead of each target's `consumers` (a cluster sink unit runs one: docs/cluster.md). */
  readonly consumersPerTarget?: number;
  /** Consumer group timing (a cluster sink unit uses the cluster's session timeout, so a dead unit's partitions move as fast as its tasks). */
  readonly consumer?: Pick<ConsumerTuning, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'rebalanceTimeoutMs'>;
}

/** The consumers a target asks for (its `consumers` option, runtime/src/sink-worker/target-options.ts); 1 if its plugin takes none. */
export function consumersOf(t: Target, index: number): number {
  try {
    return targetConsumers(sinkPlugin(t.type).options(t.type).parse(targetOptions(t)));
  } catch (e: unknown) {
    return configError(e, index, targetName(t, index));
  }
}

/** Sums the results of one target's consumers. */
function sumResults(rs: readonly SinkWorkerResult[]): SinkWorkerResult {
  const out = { records: 0, batches: 0, files: 0, bytes: 0, deadLetters: 0, skipped: 0 };
  for (const r of rs) for (const k of Object.keys(out) as (keyof SinkWorkerResult)[]) out[k] += r[k];
  return out;
}

/**
 * Kafka mode: per target, `consumers` sink workers (default 1) in the target's consumer group until `signal`, each
 * with its own sink instance (own connection); Kafka spreads the table topics' partitions among them. Resolves with
 * each target's result (summed over its consumers).
 */
export async function runTaskSinkWorkers(o: TaskSinkWorkersOptions, signal: AbortSignal): Promise<Record<string, SinkWorkerResult>> {
  const { task } = o;
  const k = task.kafka;
  if (!k) throw new FerryError('FERRY_CONFIG_INVALID', 'ferry sink needs the task’s kafka block (without it, `ferry run` writes the targets in-process)');
  checkOutputSettings(task, 'sink'); // settings.format / flatten: the workers decode the Avro envelope (docs/formats.md)
  const chosen = task.targets.map((t, i) => ({ t, i, name: targetName(t, i) })).filter((x) => !o.only || o.only.includes(x.name));
  if (chosen.length === 0) throw new FerryError('FERRY_CONFIG_INVALID', o.only ? `no target named ${o.only.join(', ')} in the task` : 'the task has no targets');
  const members = chosen.flatMap((x) => Array.from({ length: o.consumersPerTarget ?? consumersOf(x.t, x.i) }, (_, member) => ({ ...x, member })));
  const sinks: (typeof members[number] & { sink: RecordSink })[] = [];
  try {
    for (const m of members) sinks.push({ ...m, sink: await createRecordSink(m.t, m.i, task.tableMappings) });
    await handTableDefinitions(task, sinks, o.log);
  } catch (e: unknown) {
    for (const x of sinks) await x.sink.close().catch(() => {});
    throw e;
  }
  const registry = new ConfluentRegistryClient({ ...taskRegistryOptions(k), log: o.log, signal });
  logTaskKafkaSecurity(k, o.log); // a warning at every start when kafka.tls / schemaRegistryTls verification is off
  const names = new MappingTransformer(task.tableMappings);
  const router = task.settings.topicRouting.length > 0 ? new TopicRouter(task.settings.topicRouting) : null;
  const routing = router ? { routedTopic: (topic: string) => router.topicPatterns().some((re) => re.test(topic)), foreignRoutedTopic: (topic: string) => router.foreignTopic(topic) } : {};
  // One consumer failing stops all (the process exits non-zero and can be restarted as a whole).
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  try {
    // Every worker is waited for (the others stop gracefully after a failure) before the sinks are closed.
    const settled = await Promise.allSettled(sinks.map(async (x) => {
      const many = sinks.filter((y) => y.name === x.name).length > 1;
      try {
        return [x.name, await runSinkWorker({
          brokers: k.brokers, security: kafkaSecurityOf(k, 'kafka'), clientId: `${k.clientId}-sink-${x.name}${many ? `-${x.member + 1}` : ''}`, registry, groupId: o.groupId?.(x.name) ?? `ferry-sink-${task.name}-${x.name}`,
          topicPrefix: k.topicPrefix, ...(o.consumer ? { consumer: o.consumer } : {}), sink: x.sink, log: o.log.child(many ? { target: x.name, consumer: x.member + 1 } : { target: x.name }), metrics: o.metrics,
          tableId: (id) => names.targetId(id), // tables named as in direct mode: the rename rules apply
          passThrough: passesThrough(task, x.t), // settings.format / flatten: forwarded undecoded (docs/formats.md)
          ...routing, // settings.topicRouting: each record of a merged topic goes to its own table
          // With task events: the worker's default dead-letter topic (<prefix>.dlq), plus a table-errors event per send.
          ...(o.events ? { deadLetters: withTableErrorEvents(kafkaDeadLetterQueue({ producer: createProducer({ ...taskKafkaConnection(k, `${k.clientId}-sink-${x.name}-dlq`), compression: 'none' }), admin: createAdmin(taskKafkaConnection(k, `${k.clientId}-sink-${x.name}-dlq`)), topic: `${k.topicPrefix}.dlq` }), o.events, { topicPrefix: k.topicPrefix }) } : {}),
          ...(o.readiness ? { health: o.readiness.component(`target:${x.name}${many ? `#${x.member + 1}` : ''}`, 'connecting to Kafka') } : {}),
        }, both)] as const;
      } catch (e: unknown) {
        stop.abort();
        throw e;
      }
    }));
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<readonly [string, SinkWorkerResult]>).value);
    const byTarget = new Map<string, SinkWorkerResult[]>();
    for (const [name, r] of results) byTarget.set(name, [...(byTarget.get(name) ?? []), r]);
    return Object.fromEntries([...byTarget].map(([name, rs]) => [name, sumResults(rs)]));
  } finally {
    for (const x of sinks) await x.sink.close().catch((e: unknown) => o.log.warn({ err: e }, `error while closing target ${x.name}`));
  }
}
