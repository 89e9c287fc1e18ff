/**
 * `ferry plan`: a dry run against the live source catalog. Reads the selected tables' definitions (no slot,
 * publication, offset or registry writes), applies the table mapping (MappingTransformer) and the LOB policy
 * (runtime/src/lob) to get each target table, builds the Avro key and envelope schemas the Kafka sink would
 * register (schemas/src/envelope-schema.ts), and asks the registry whether each is new, already registered,
 * compatible or incompatible (ccompat POST /compatibility/subjects/{subject}/versions/latest; 404 = new).
 * The prerequisite findings are those of `ferry validate` (app/src/checks/validate-task.ts). For database targets
 * (postgres, mysql) each table also gets the DDL of Ferry's schema conversion and its assessment (target-ddl.ts).
 */
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { CheckResult } from '../../../core/src/check-result.ts';
import { checkTask } from '../checks/validate-task.ts';
import type { FieldType, TableSchema } from '../../../core/src/types.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import { connectorName, sourcePlugin } from '../plugins.ts';
import { buildTableSchemas } from '../../../schemas/src/envelope-schema.ts';
import { routedSchemaDifference, TopicRouter } from '../../../schemas/src/topic-routing.ts';
import { avroSchemaToString } from '../../../schemas/src/avro-mapping.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import { planTargetDdl, type PlannedTableTarget, type PlannedTarget } from './target-ddl.ts';

export type Compatibility = 'new' | 'registered' | 'compatible' | 'incompatible' | 'unknown' | 'not-checked';

export interface PlannedColumn {
  /** Target column name. */
  readonly name: string;
  /** Connect type, with the logical type in parentheses: 'string(io.debezium.data.Json)', 'array<int32>'. */
  readonly type: string;
  readonly nullable: boolean;
  readonly key: boolean;
  /** Where the value comes from: 'column <source name>', 'expression <text>', 'before-image <column>', 'lob-stage'. */
  readonly from: string;
  /** The source column type, when copied from one. */
  readonly sourceType?: string;
}

export interface PlannedSubject {
  readonly subject: string;
  readonly kind: 'key' | 'value';
  readonly compatibility: Compatibility;
  /** The registered version compared with, if any. */
  readonly latestVersion?: number;
  readonly error?: string;
  /** The Avro schema that would be registered. */
  readonly schema: object;
}

export interface PlannedTable {
  readonly source: string;
  readonly target: string;
  readonly topic: string;
  readonly columns: readonly PlannedColumn[];
  /** Source columns that do not reach the target. */
  readonly removed: readonly string[];
  readonly primaryKey: readonly string[];
  /** Transformation rules applied, as '<rule-id> <action> <object>'. */
  readonly rules: readonly string[];
  readonly lob: { readonly mode: string; readonly from: string; readonly columns: readonly string[] } | null;
  readonly subjects: readonly PlannedSubject[];
  /** Only when the task has database targets: this table's DDL and assessment per postgres/mysql target. */
  readonly targets?: readonly PlannedTableTarget[];
}

export interface TaskPlan {
  readonly ok: boolean;
  readonly task: string;
  readonly engine: string;
  readonly checks: readonly CheckResult[];
  readonly tables: readonly PlannedTable[];
  /** Only when the task has database targets: each one's conversion summary and its items not tied to a table. */
  readonly databaseTargets?: readonly PlannedTarget[];
  /** Tables (or columns) Ferry cannot capture as they are, and plan-time failures. */
  readonly problems: readonly { readonly table: string; readonly message: string }[];
}

export interface PlanOptions {
  readonly timeoutMs?: number;
}

export function typeLabel(t: FieldType): string {
  const base = t.type === 'array' ? `array<${t.items ? typeLabel(t.items) : '?'}>` : t.type;
  return t.logical ? `${base}(${t.logical})` : base;
}

/** Reads the selected tables of the task's source: catalog only. */
export async function describeSourceTables(task: ResolvedTask): Promise<{ tables: readonly TableSchema[]; problems: readonly { table: string; message: string }[] }> {
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.describeTables) return { tables: [], problems: [{ table: '*', message: `the ${task.source.engine} source has no catalog reader, so ferry plan cannot list its tables` }] };
  return plugin.describeTables({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) });
}

export async function planTask(task: ResolvedTask, options: PlanOptions = {}): Promise<TaskPlan> {
  // The checks read the catalog once (tables.selected, tables.destinations); the plan describes the same tables.
  const report = await checkTask(task, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  const checks = report.checks;
  const problems: { table: string; message: string }[] = [];
  let sources: readonly TableSchema[] = [];
  if (report.catalog) {
    sources = report.catalog.tables;
    problems.push(...report.catalog.problems);
  } else if (!checks.some((c) => (c.check === 'source.connect' || c.check === 'tables.selected') && c.status === 'fail')) {
    try {
      const d = await describeSourceTables(task);
      sources = d.tables;
      problems.push(...d.problems);
    } catch (e: unknown) {
      problems.push({ table: '*', message: `cannot read the source catalog: ${errorMessage(e)}` });
    }
  }
  // Database targets: the conversion catalog is read once for all of them; the Connect types are those read above.
  const ddl = await planTargetDdl(task, sources);
  problems.push(...ddl.problems);
  const hasDatabaseTargets = ddl.targets.length > 0 || ddl.problems.length > 0;
  const transformer = new MappingTransformer(task.tableMappings);
  const lob = new LobPolicies(task.settings.lob, task.tableMappings);
  const prefix = task.kafka?.topicPrefix ?? task.name;
  const connector = connectorName(task.source.engine);
  const registryUp = task.kafka !== undefined && !checks.some((c) => c.check === 'registry.connect' && c.status === 'fail');
  const registry = registryUp ? new ConfluentRegistryClient({ ...taskRegistryOptions(task.kafka!), retries: 1, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }) : null;
  // settings.topicRouting: the routed topic, its subjects and the key with the routing field (docs/topic-routing.md).
  const router = task.kafka && task.settings.topicRouting.length > 0 ? new TopicRouter(task.settings.topicRouting) : undefined;
  const routedFirst = new Map<string, { readonly table: string; readonly schemas: ReturnType<typeof buildTableSchemas> }>();
  const tables: PlannedTable[] = [];
  for (const source of sources) {
    const key = `${source.id.schema}.${source.id.table}`;
    try {
      const p = transformer.plan(source);
      const lp = lob.plan(p.target, source.id);
      const target = lp.output;
      const fromOf = new Map<string, { from: string; sourceType?: string }>();
      for (const tc of p.columns) {
        const v = tc.value;
        if (v.kind === 'copy') {
          const sc = source.columns.find((c) => c.name === v.from);
          fromOf.set(tc.column.name, { from: `column ${v.from}${v.convert ? ' (converted)' : ''}${v.mask ? ' (masked)' : ''}`, ...(sc ? { sourceType: sc.sourceType } : {}) });
        } else if (v.kind === 'expression') fromOf.set(tc.column.name, { from: `expression ${v.expr.expression}` });
        else fromOf.set(tc.column.name, { from: `before-image ${v.from}` });
      }
      const copied = new Set(p.columns.flatMap((tc) => (tc.value.kind === 'copy' ? [tc.value.from] : [])));
      const columns: PlannedColumn[] = target.columns.map((c) => {
        const f = fromOf.get(c.name) ?? { from: 'lob-stage' };
        return { name: c.name, type: typeLabel(c.type), nullable: c.nullable, key: target.primaryKey.includes(c.name), ...f };
      });
      const schemas = buildTableSchemas(target, { connector, topicPrefix: prefix, router });
      if (schemas.routed) {
        // Shards routed to one topic must fit one schema (the run stops on the first that does not: envelope-schema.ts).
        const first = routedFirst.get(schemas.topic);
        const diff = first ? routedSchemaDifference(first.schemas, schemas) : null;
        if (first && diff) problems.push({ table: key, message: `settings.topicRouting[${schemas.routed.rule}] routes ${first.table} and ${key} to topic ${schemas.topic}, but their schemas differ: ${diff}` });
        else if (!first) routedFirst.set(schemas.topic, { table: key, schemas });
        if (task.targets.length > 0 && !schemas.topic.startsWith(`${prefix}.`) && !router!.foreignTopic(schemas.topic)) {
          problems.push({ table: key, message: `settings.topicRouting[${schemas.routed.rule}] routes it to topic ${schemas.topic}, outside the prefix ${prefix}, with a replacement that starts with a group: \`ferry sink\` does not read such topics (they could be another task's). Fix: keep the prefix in the topic, or start the replacement with fixed text` });
        }
      }
      const subjects: PlannedSubject[] = [];
      if (schemas.key) subjects.push(await subjectPlan(registry, schemas.keySubject, 'key', schemas.key));
      subjects.push(await subjectPlan(registry, schemas.valueSubject, 'value', schemas.envelope));
      tables.push({
        source: key, target: `${target.id.schema}.${target.id.table}`, topic: schemas.topic, columns,
        removed: source.columns.filter((c) => !copied.has(c.name)).map((c) => c.name), primaryKey: [...target.primaryKey],
        rules: p.applied.map((a) => `${a.ruleId} ${a.action} ${a.object}`),
        lob: lp.lobColumns.length > 0 ? { mode: lp.policy.mode, from: lp.policy.from, columns: [...lp.lobColumns] } : null,
        subjects,
        ...(hasDatabaseTargets ? { targets: ddl.tables.get(key) ?? [] } : {}),
      });
    } catch (e: unknown) {
      problems.push({ table: key, message: errorMessage(e) });
    }
  }
  const ok = !checks.some((c) => c.status === 'fail') && problems.length === 0 && !tables.some((t) => t.subjects.some((s) => s.compatibility === 'incompatible'));
  return { ok, task: task.name, engine: task.source.engine, checks, tables, ...(hasDatabaseTargets ? { databaseTargets: ddl.targets } : {}), problems };
}

async function subjectPlan(registry: ConfluentRegistryClient | null, subject: string, kind: 'key' | 'value', schema: object): Promise<PlannedSubject> {
  if (!registry) return { subject, kind, compatibility: 'not-checked', schema };
  try {
    const latest = await registry.latestVersion(subject);
    if (!latest) return { subject, kind, compatibility: 'new', schema };
    if (avroSchemaToString(latest.schema) === avroSchemaToString(schema)) return { subject, kind, compatibility: 'registered', latestVersion: latest.version, schema };
    const compatible = await registry.isCompatible(subject, schema);
    return { subject, kind, compatibility: compatible ? 'compatible' : 'incompatible', latestVersion: latest.version, schema };
  } catch (e: unknown) {
    return { subject, kind, compatibility: 'unknown', error: errorMessage(e), schema };
  }
}
