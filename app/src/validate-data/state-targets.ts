/**
 * `ferry validate-data` against targets without canonical SQL (docs/validation.md#kafka-topics-lakes-and-redshift):
 * Ferry's own Kafka topics (a task with a `kafka` block), each `kafka` target's topics, Parquet lakes (`parquet`
 * targets) and Redshift tables. Each table's latest state per key is rebuilt in Ferry as canonical texts — from the
 * topic (runtime/src/validation/topic-state.ts), from the lake's files read with DuckDB (lake-state.ts), or from the
 * Redshift table's rows (redshift-state.ts) — and compared with the source's rows (state-compare.ts). Tables are done
 * one after the other, so at most one table's state is in memory. Mismatches go to the report (and --json) only.
 */
import { isFerryError, errorMessage } from '../../../core/src/errors.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { ConfluentRegistryClient } from '../../../schemas/src/ConfluentRegistryClient.ts';
import { dataTopic } from '../../../schemas/src/naming.ts';
import type { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import type { MappingTransformer } from '../../../runtime/src/mapping/MappingTransformer.ts';
import { objectMappingFor } from '../../../runtime/src/mapping/object-mapping.ts';
import type { RowRate } from '../../../runtime/src/validation/limits.ts';
import type { SqlClient, TableValidationResult } from '../../../runtime/src/validation/model.ts';
import { compareWithState, planSourceState, type StatePlan, type TargetState } from '../../../runtime/src/validation/state-compare.ts';
import { readTopicState } from '../../../runtime/src/validation/topic-state.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import type { KafkaTargetConfig } from '../../../sinks/kafka/src/config.ts';
import { connectionOf } from '../../../sinks/kafka/src/security.ts';
import { taskKafkaConnection, taskRegistryOptions } from '../../../runtime/src/kafka/task-kafka.ts';
import { tableFolder } from '../../../sinks/s3-lake/src/naming.ts';
import { sinkPlugin } from '../plugins.ts';
import { targetName, targetOptions } from '../task/targets.ts';
import { readLakeState } from './lake-state.ts';
import { readRedshiftState, redshiftTable, type RedshiftStateOptions } from './redshift-state.ts';
import { sourceEngineOf, tableJob, tableName } from './task-tables.ts';
import type { TableReport, TargetReport } from './validate-data.ts';

const LAKE_TYPES = new Set(['parquet', 'csv']);
/** A transactional target topic's read ends after this long without records (topic-state.ts endByQuietMs). */
const TRANSACTIONAL_QUIET_MS = 5000;
const STATE_TYPES = new Set([...LAKE_TYPES, 'redshift', 'kafka']);

export interface StateContext {
  readonly task: ResolvedTask;
  readonly tables: readonly TableSchema[];
  readonly transformer: MappingTransformer;
  readonly lob: LobPolicies;
  readonly source: SqlClient;
  readonly rate: RowRate;
  readonly chunkRows?: number;
  readonly maxFailures?: number;
  readonly maxStateRows?: number;
  readonly signal?: AbortSignal;
  readonly onRows: (n: number) => void;
  readonly onTableDone: () => void;
}

/** How many state targets the task has: its Kafka topics (a kafka block) and each parquet, csv and redshift target. */
export function stateTargetCount(task: ResolvedTask): number {
  return (task.kafka ? 1 : 0) + task.targets.filter((t) => STATE_TYPES.has(t.type)).length;
}

/** Validates the Kafka topics and every lake target of the task; one report per target. */
export async function validateStateTargets(ctx: StateContext): Promise<TargetReport[]> {
  const reports: TargetReport[] = [];
  const k = ctx.task.kafka;
  if (k) {
    const registry = new ConfluentRegistryClient({ ...taskRegistryOptions(k), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    const tables = await eachTable(ctx, 'topic-state', undefined, (job) => dataTopic(k.topicPrefix, job), (plan, topic) =>
      readTopicState(plan, { ...taskKafkaConnection(k, `${k.clientId}-validate`), topic, registry, ...(ctx.maxStateRows ? { maxRows: ctx.maxStateRows } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }));
    reports.push({ target: `kafka (${k.topicPrefix}.*)`, type: 'kafka', tables });
    // `kafka` targets: the topics the sink forwards to on another cluster (bytes unchanged: the same registry ids).
    for (const [index, t] of ctx.task.targets.entries()) {
      if (t.type !== 'kafka') continue;
      const plugin = sinkPlugin(t.type);
      const options = targetOptions(t);
      const c = plugin.options(t.type).parse(options) as KafkaTargetConfig;
      const conn = connectionOf(c, `${c.clientId}-validate`);
      const topicOf = (id: { schema: string; table: string }): string => {
        const d = plugin.destinationOf!({ topic: dataTopic(k.topicPrefix, id), schema: id.schema, table: id.table }, { type: t.type, options });
        return (Array.isArray(d) ? d : [d]).find((x: { kind: string }) => x.kind === 'topic')!.name;
      };
      // A table an object-mapping rule shapes reaches this target as DMS-style JSON, not as the change events.
      const mapped = (s: TableSchema, id: { schema: string; table: string }): string | undefined =>
        objectMappingFor(ctx.task.tableMappings, s.id) ?? objectMappingFor(ctx.task.tableMappings, id)
          ? 'an object-mapping rule shapes this table for the kafka target (JSON records, not change events): its topic is not validated'
          : undefined;
      const tables = await eachTable(ctx, 'topic-state', mapped, topicOf, (plan, topic) =>
        readTopicState(plan, { ...conn, topic, registry, ...(c.delivery === 'exactly-once' ? { endByQuietMs: TRANSACTIONAL_QUIET_MS } : {}), ...(ctx.maxStateRows ? { maxRows: ctx.maxStateRows } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }));
      reports.push({ target: targetName(t, index), type: 'kafka', tables });
    }
  }
  for (const [index, t] of ctx.task.targets.entries()) {
    if (t.type === 'redshift') {
      const o = sinkPlugin(t.type).options(t.type).parse(targetOptions(t)) as RedshiftStateOptions;
      const tables = await eachTable(ctx, 'table-state', undefined, (id) => { const r = redshiftTable(id, o.targetSchema); return `${r.schema}.${r.table}`; }, (plan) =>
        readRedshiftState(plan, { connection: o.connection, ...(o.targetSchema ? { targetSchema: o.targetSchema } : {}), ...(ctx.maxStateRows ? { maxRows: ctx.maxStateRows } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }));
      reports.push({ target: targetName(t, index), type: 'redshift', tables });
      continue;
    }
    if (!LAKE_TYPES.has(t.type)) continue;
    const o = sinkPlugin(t.type).options(t.type).parse(targetOptions(t)) as { location: string; s3?: Record<string, unknown>; opColumn: string };
    const unsupported = t.type === 'csv' ? 'CSV lakes are not validated yet (their files carry no column names or types to read back); use format parquet' : undefined;
    const tables = await eachTable(ctx, 'lake-state', unsupported, (id) => tableFolder(o.location, id), (plan) =>
      readLakeState(plan, { location: o.location, ...(o.s3 ? { s3: o.s3 } : {}), opColumn: o.opColumn, ...(ctx.maxStateRows ? { maxRows: ctx.maxStateRows } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }));
    reports.push({ target: targetName(t, index), type: t.type as 'parquet' | 'csv', tables });
  }
  return reports;
}

/** Each selected table against one target: plan the source side, read the target's state, compare. */
async function eachTable(ctx: StateContext, method: 'topic-state' | 'lake-state' | 'table-state', notSupported: string | undefined | ((s: TableSchema, target: { schema: string; table: string }) => string | undefined), where: (id: { schema: string; table: string }) => string, read: (plan: StatePlan, where: string) => Promise<TargetState>): Promise<TableReport[]> {
  const out: TableReport[] = [];
  for (const s of ctx.tables) {
    const t0 = Date.now();
    const job = tableJob(ctx.transformer, ctx.lob, s, undefined, sourceEngineOf(ctx.task));
    const src = tableName(s.id);
    const target = job.input ? where(job.input.target) : '';
    const unsupported = typeof notSupported === 'function' ? (job.input ? notSupported(s, job.input.target) : undefined) : notSupported;
    try {
      if (unsupported) { out.push({ source: src, target, state: 'Not supported', sourceRows: 0, targetRows: 0, failures: 0, skippedColumns: [], mismatches: [], message: unsupported, durationMs: 0 }); continue; }
      if (job.unsupported || !job.input) { out.push({ source: src, target, state: job.unsupported!.state, sourceRows: 0, targetRows: 0, failures: 0, skippedColumns: [], mismatches: [], message: job.unsupported!.message, durationMs: 0 }); continue; }
      const plan = await planSourceState(ctx.source, job.input);
      const state = await read(plan, target);
      const r: TableValidationResult = await compareWithState(plan, state, method, {
        source: ctx.source, rate: ctx.rate, onRows: ctx.onRows,
        ...(ctx.chunkRows ? { chunkRows: ctx.chunkRows } : {}), ...(ctx.maxFailures ? { maxFailures: ctx.maxFailures } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      out.push({
        source: src, target, state: r.failures > 0 ? 'Mismatched records' : 'Validated', method, sourceRows: r.sourceRows, targetRows: r.targetRows, failures: r.failures,
        ranges: r.ranges, mismatchedRanges: 0, rowsCompared: r.rowsCompared, columns: r.columns.length, skippedColumns: r.skippedColumns, mismatches: r.mismatches,
        message: `${state.records.toLocaleString('en-US')} ${method === 'topic-state' ? 'records' : method === 'lake-state' ? 'lake rows' : 'rows'} read`, durationMs: Date.now() - t0,
      });
    } catch (e: unknown) {
      if (isFerryError(e) && e.code === 'FERRY_ABORTED') throw e;
      const state = isFerryError(e) && e.code === 'FERRY_UNSUPPORTED' ? 'Not supported' : 'Error';
      out.push({ source: src, target, state, sourceRows: 0, targetRows: 0, failures: 0, skippedColumns: job.input?.skipped ?? [], mismatches: [], message: isFerryError(e) ? `${e.code}: ${e.message}` : errorMessage(e), durationMs: Date.now() - t0 });
    } finally {
      ctx.onTableDone();
    }
  }
  return out;
}
