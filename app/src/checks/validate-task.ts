/**
 * The checks behind `ferry validate`: after the task file itself is valid, can Ferry reach everything it names,
 * and is the source set up for change capture?
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import { createAdmin } from '../../../runtime/src/kafka/kafka-client.ts';
import { errorMessage, FerryError } from '../../../core/src/errors.ts';
import { fail, ok, type CheckResult } from '../../../core/src/check-result.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { createRecordSink, targetName } from '../task/targets.ts';
import { sinkPlugin, sourcePlugin } from '../plugins.ts';
import type { RecordSink } from '../../../core/src/record-sink.ts';

export interface ValidateOptions {
  readonly timeoutMs?: number;
}

export async function runTaskChecks(task: ResolvedTask, options: ValidateOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(...(await sourcePlugin(task.source.engine).check({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) })));
  if (task.kafka) {
    results.push(await checkKafka(task.kafka.brokers, task.kafka.clientId, options.timeoutMs ?? 10000));
    results.push(await checkRegistry(task.kafka.schemaRegistry, options.timeoutMs ?? 10000));
  }
  for (const [i, t] of task.targets.entries()) results.push(await checkTarget(t, i, options.timeoutMs ?? 10000));
  return results;
}

/** A target: its options (the sink's own declaration), then, when the sink has one, its reachability check. */
async function checkTarget(t: ResolvedTask['targets'][number], index: number, timeoutMs: number): Promise<CheckResult> {
  const name = targetName(t, index);
  const id = `target.${name}`;
  let sink: RecordSink;
  try {
    sink = await createRecordSink(t, index);
  } catch (e: unknown) {
    // The sink's declaration lists each problem on its own line; a check result is one line.
    const oneLine = errorMessage(e).replace(/:\n\s+- /, ': ').replace(/\n\s+- /g, '; ');
    return fail(id, oneLine, `fix the options of targets[${index}] (${sinkPlugin(t.type).docs}; every option: docs/configuration.md)`, e instanceof FerryError ? e.code : undefined);
  }
  try {
    if (!sink.check) return ok(id, `${t.type} target ${name}: options valid (this sink has no reachability check)`);
    await withTimeout(sink.check(), timeoutMs, `${t.type} target ${name} did not answer within ${timeoutMs} ms`, 'FERRY_SINK_ERROR');
    return ok(id, `${t.type} target ${name} is reachable`);
  } catch (e: unknown) {
    return fail(id, `${t.type} target ${name}: ${errorMessage(e)}`, `check the address and credentials of targets[${index}] (${sinkPlugin(t.type).docs})`, e instanceof FerryError ? e.code : 'FERRY_SINK_ERROR');
  } finally {
    await sink.close().catch(() => undefined);
  }
}

async function checkKafka(brokers: readonly string[], clientId: string, timeoutMs: number): Promise<CheckResult> {
  const admin = createAdmin({ brokers, clientId, timeoutMs });
  try {
    const topics = await withTimeout(admin.listTopics(), timeoutMs, `no Kafka broker answered at ${brokers.join(', ')} within ${timeoutMs} ms`);
    return ok('kafka.connect', `Kafka at ${brokers.join(', ')} answers (${topics.length} topics)`);
  } catch (e: unknown) {
    return fail('kafka.connect', errorMessage(e), 'check kafka.brokers and that the broker runs (npm run services:status)', e instanceof FerryError ? e.code : 'FERRY_KAFKA_UNREACHABLE');
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function checkRegistry(url: string, timeoutMs: number): Promise<CheckResult> {
  const target = `${url.replace(/\/$/, '')}/subjects`;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return fail('registry.connect', `schema registry at ${url} answered HTTP ${res.status} to GET /subjects`, 'check kafka.schemaRegistry: it must be the base of a Confluent-compatible API (Apicurio: …/apis/ccompat/v7)', 'FERRY_REGISTRY_ERROR');
    return ok('registry.connect', `schema registry at ${url} answers`);
  } catch (e: unknown) {
    return fail('registry.connect', `cannot reach the schema registry at ${url}: ${errorMessage(e)}`, 'check kafka.schemaRegistry and that the registry runs (npm run services:status)', 'FERRY_REGISTRY_UNREACHABLE');
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string, code: 'FERRY_KAFKA_UNREACHABLE' | 'FERRY_SINK_ERROR' = 'FERRY_KAFKA_UNREACHABLE'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new FerryError(code, message)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
