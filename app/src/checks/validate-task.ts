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
import { noTablesSelected, readSourceCatalog, type SourceCatalog } from './source-catalog.ts';
import { COLLISION_FIX, collisionMessage, findCollisions } from '../task/destinations.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { signalSelector } from '../../../runtime/src/signals/signal-channels.ts';
import { checkSignalTable } from './signal-table-check.ts';
import { outboxColumnCheck } from '../../../runtime/src/outbox/outbox-checks.ts';
import { insertOnlyTables } from '../../../runtime/src/config/outbox-settings.ts';
import { checkOutputSettings, nonEnvelopeOutput } from '../task/output-check.ts';
import { taskKafkaConnection, taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import type { KafkaConnectionOptions } from '../../../runtime/src/kafka/kafka-connection.ts';

export interface ValidateOptions {
  readonly timeoutMs?: number;
}

export async function runTaskChecks(task: ResolvedTask, options: ValidateOptions = {}): Promise<CheckResult[]> {
  return (await checkTask(task, options)).checks;
}

export interface TaskCheckReport {
  readonly checks: CheckResult[];
  /** The source catalog read for the table checks; null when the source is unreachable, has no catalog reader, or the read failed. */
  readonly catalog: SourceCatalog | null;
}

/** The checks of `ferry validate`, and the source catalog they read (for `ferry plan`). */
export async function checkTask(task: ResolvedTask, options: ValidateOptions = {}): Promise<TaskCheckReport> {
  const results: CheckResult[] = [];
  // The source's checks cover the signal table too (captured whatever the mapping selects: docs/signals.md).
  results.push(...(await sourcePlugin(task.source.engine).check({ source: task.source, taskName: task.name, selector: signalSelector(createTableSelector(task.tableMappings), task.settings.signals), insertOnlyTables: insertOnlyTables(task.settings.outbox) })));
  let catalog: SourceCatalog | null = null;
  if (!results.some((c) => c.check === 'source.connect' && c.status === 'fail')) {
    const t = await tableChecks(task);
    results.push(...t.checks);
    catalog = t.catalog;
    const signalTable = await checkSignalTable(task);
    if (signalTable) results.push(signalTable);
  }
  if (task.kafka) {
    results.push(await checkKafka(taskKafkaConnection(task.kafka), options.timeoutMs ?? 10000));
    results.push(await checkRegistry(taskRegistryOptions(task.kafka), options.timeoutMs ?? 10000));
  }
  const output = outputCheck(task);
  if (output) results.push(output);
  for (const [i, t] of task.targets.entries()) results.push(await checkTarget(t, i, options.timeoutMs ?? 10000, task.tableMappings));
  return { checks: results, catalog };
}

/**
 * `tables.selected`: the selection rules select at least one table (else the closest existing names);
 * `tables.destinations`: no two selected tables share a topic, target table or folder (app/src/task/destinations.ts).
 */
async function tableChecks(task: ResolvedTask): Promise<{ checks: CheckResult[]; catalog: SourceCatalog | null }> {
  let catalog: SourceCatalog | null;
  try {
    catalog = await readSourceCatalog(task);
  } catch (e: unknown) {
    return { checks: [fail('tables.selected', `cannot read the source catalog: ${errorMessage(e)}`, 'see the source checks above', e instanceof FerryError ? e.code : 'FERRY_SOURCE_ERROR')], catalog: null };
  }
  if (catalog === null) return { checks: [], catalog };
  if (catalog.selected.length === 0) {
    const n = noTablesSelected(task, catalog.listed);
    return { checks: [fail('tables.selected', n.message, n.fix, 'FERRY_NO_TABLES_SELECTED')], catalog };
  }
  const checks = [ok('tables.selected', `${catalog.selected.length} table${catalog.selected.length === 1 ? '' : 's'} selected`)];
  const collisions = findCollisions(task, catalog.tables);
  if (collisions.length > 0) checks.push(fail('tables.destinations', collisions.map(collisionMessage).join('; '), COLLISION_FIX, 'FERRY_DESTINATION_COLLISION'));
  else checks.push(ok('tables.destinations', `every selected table has a destination of its own`));
  const outbox = outboxColumnCheck(task.settings.outbox, catalog.tables);
  if (outbox) checks.push(outbox);
  return { checks, catalog };
}

/** `output.format`: settings.format / settings.flatten refused where nothing can read them (app/src/task/output-check.ts). */
function outputCheck(task: ResolvedTask): CheckResult | null {
  const why = nonEnvelopeOutput(task);
  if (why === null) return null;
  try {
    checkOutputSettings(task, 'run');
    checkOutputSettings(task, 'sink');
    return ok('output.format', `${why}: the Kafka topics are not the Avro envelope; ${task.targets.length > 0 ? 'its targets forward them undecoded (kafka, kinesis with format avro)' : 'read them with a consumer of that format'} (docs/formats.md)`);
  } catch (e: unknown) {
    return fail('output.format', errorMessage(e), 'see docs/formats.md: which sinks read which format', 'FERRY_CONFIG_INVALID');
  }
}

/** A target: its options (the sink's own declaration), then, when the sink has one, its reachability check. */
async function checkTarget(t: ResolvedTask['targets'][number], index: number, timeoutMs: number, tableMappings?: ResolvedTask['tableMappings']): Promise<CheckResult> {
  const name = targetName(t, index);
  const id = `target.${name}`;
  let sink: RecordSink;
  try {
    sink = await createRecordSink(t, index, tableMappings);
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

async function checkKafka(conn: KafkaConnectionOptions, timeoutMs: number): Promise<CheckResult> {
  const { brokers } = conn;
  const admin = createAdmin({ ...conn, timeoutMs });
  try {
    const topics = await withTimeout(admin.listTopics(), timeoutMs, `no Kafka broker answered at ${brokers.join(', ')} within ${timeoutMs} ms`);
    return ok('kafka.connect', `Kafka at ${brokers.join(', ')} answers (${topics.length} topics)`);
  } catch (e: unknown) {
    const security = e instanceof FerryError && e.disposition === 'fatal'; // a TLS or SASL failure: its message names the option
    return fail('kafka.connect', errorMessage(e), security ? 'fix the option the message names (kafka.tls, kafka.sasl)' : 'check kafka.brokers and that the broker runs (npm run services:status)', e instanceof FerryError ? e.code : 'FERRY_KAFKA_UNREACHABLE');
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function checkRegistry(registryOptions: ReturnType<typeof taskRegistryOptions>, timeoutMs: number): Promise<CheckResult> {
  // The client sends user info in the URL as HTTP Basic auth and names the URL without it.
  let shown = registryOptions.url;
  try {
    const registry = new ConfluentRegistryClient({ ...registryOptions, timeoutMs, retries: 0 });
    shown = registry.url;
    await registry.listSubjects();
    return ok('registry.connect', `schema registry at ${shown} answers`);
  } catch (e: unknown) {
    if (e instanceof FerryError && e.code === 'FERRY_REGISTRY_ERROR') return fail('registry.connect', errorMessage(e), 'check kafka.schemaRegistry, kafka.schemaRegistryTls, kafka.schemaRegistryAuth (its credentials, and that it is the base of a Confluent-compatible API; Apicurio: …/apis/ccompat/v7)', 'FERRY_REGISTRY_ERROR');
    return fail('registry.connect', `cannot reach the schema registry at ${shown}: ${errorMessage(e instanceof FerryError && e.code === 'FERRY_REGISTRY_UNREACHABLE' && e.cause !== undefined ? e.cause : e)}`, 'check kafka.schemaRegistry and that the registry runs (npm run services:status)', 'FERRY_REGISTRY_UNREACHABLE');
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
