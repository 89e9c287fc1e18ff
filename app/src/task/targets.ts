/**
 * Task targets → record sinks, built by the sink plugin that serves each target's type (app/src/plugins.ts), which
 * loads its SDK lazily so a task only loads the sink code it uses.
 *
 *   Kafka mode (the task has a kafka block): `ferry sink <task-file>` runs one sink worker per target, each in its
 *     own consumer group `ferry-sink-<task>-<target name>`; more processes with the same task file share partitions.
 *   direct mode (no kafka block): `ferry run` puts each target behind the source (createDirectSinks).
 *
 * Target options are the target's own keys (besides type and name), validated by the plugin's declaration
 * (SinkPlugin.options, e.g. sinks/s3-lake/src/config.ts) when the sink is created.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../../core/src/errors.ts';
import { connectorName, sinkPlugin } from '../plugins.ts';
import type { Logger, MetricsRegistry, Sink } from '../../../core/src/types.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { Secret } from '../../../runtime/src/config/secrets.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { DirectSinkAdapter } from '../../../runtime/src/sink-worker/DirectSinkAdapter.ts';
import { fileDeadLetterQueue } from '../../../runtime/src/sink-worker/dead-letter.ts';
import { runSinkWorker, type SinkWorkerResult } from '../../../runtime/src/sink-worker/SinkWorker.ts';
import type { RecordSink } from '../../../core/src/record-sink.ts';

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
export async function createRecordSink(t: Target, index: number): Promise<RecordSink> {
  const name = targetName(t, index);
  try {
    const plugin = sinkPlugin(t.type);
    const given = targetOptions(t);
    plugin.options(t.type).parse(given);
    return await plugin.create({ name, type: t.type, options: given });
  } catch (e: unknown) {
    return configError(e, index, name);
  }
}

export interface TargetDeps {
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

/** Direct mode: each target as a pipeline Sink behind the source; dead letters go to <stateDir>/dlq/<target>.jsonl. */
export async function createDirectSinks(task: ResolvedTask, deps: TargetDeps): Promise<Sink[]> {
  const out: Sink[] = [];
  for (const [i, t] of task.targets.entries()) {
    const sink = await createRecordSink(t, i);
    out.push(new DirectSinkAdapter({
      sink, connector: connectorName(task.source.engine), topicPrefix: task.kafka?.topicPrefix ?? task.name,
      deadLetters: fileDeadLetterQueue(join(task.settings.stateDir, 'dlq', `${targetName(t, i)}.jsonl`)), log: deps.log.child({ target: targetName(t, i) }), metrics: deps.metrics,
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
}

/** Kafka mode: one sink worker per target until `signal`; resolves with each target's result. */
export async function runTaskSinkWorkers(o: TaskSinkWorkersOptions, signal: AbortSignal): Promise<Record<string, SinkWorkerResult>> {
  const { task } = o;
  const k = task.kafka;
  if (!k) throw new FerryError('FERRY_CONFIG_INVALID', 'ferry sink needs the task’s kafka block (without it, `ferry run` writes the targets in-process)');
  const chosen = task.targets.map((t, i) => ({ t, i, name: targetName(t, i) })).filter((x) => !o.only || o.only.includes(x.name));
  if (chosen.length === 0) throw new FerryError('FERRY_CONFIG_INVALID', o.only ? `no target named ${o.only.join(', ')} in the task` : 'the task has no targets');
  const sinks = await Promise.all(chosen.map(async (x) => ({ ...x, sink: await createRecordSink(x.t, x.i) })));
  const registry = new ConfluentRegistryClient({ url: k.schemaRegistry, log: o.log, signal });
  // One target failing stops the others (the process exits non-zero and can be restarted as a whole).
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  try {
    const results = await Promise.all(sinks.map(async (x) => {
      try {
        return [x.name, await runSinkWorker({
          brokers: k.brokers, clientId: `${k.clientId}-sink-${x.name}`, registry, groupId: o.groupId?.(x.name) ?? `ferry-sink-${task.name}-${x.name}`,
          topicPrefix: k.topicPrefix, sink: x.sink, log: o.log.child({ target: x.name }), metrics: o.metrics,
        }, both)] as const;
      } catch (e: unknown) {
        stop.abort();
        throw e;
      }
    }));
    return Object.fromEntries(results);
  } finally {
    for (const x of sinks) await x.sink.close().catch((e: unknown) => o.log.warn({ err: e }, `error while closing target ${x.name}`));
  }
}
