/**
 * `ferry assess`: the premigration assessment of a task (docs/assessment.md). Two profiles:
 *
 *   full  (`ferry assess`) every check: `ferry validate`'s checks (source prerequisites, table selection,
 *         destinations, Kafka, registry, target reachability), table sizes and the full-load estimate, log retention,
 *         replication slots, long-running transactions, tables without a key, tables the source cannot capture, rules
 *         that select nothing, LOB sizes against the LOB settings, lossy and unsupported types, and for postgres/mysql
 *         targets the existing tables' compatibility and free space.
 *   run   (`ferry run` before it starts) only what can be an error and is cheap: the source prerequisites, log
 *         retention, free replication slots and the existing target tables. What `ferry run` already reports in its
 *         own way is left to it: an unreachable source or target (retried), a selection that matches nothing
 *         (FERRY_NO_TABLES_SELECTED) and colliding destinations (FERRY_DESTINATION_COLLISION), and events too large
 *         for Kafka (FERRY_EVENT_TOO_LARGE, before anything of the batch is committed).
 *
 * Read-only on the source; on a postgres/mysql target it only reads the catalog and creates a temporary probe table
 * (target-tables.ts).
 */
import type { CheckResult } from '../../../core/src/check-result.ts';
import { errorMessage } from '../../../core/src/errors.ts';
import type { TableSchema } from '../../../core/src/types.ts';
import { createTableSelector } from '../../../runtime/src/mapping/table-selection.ts';
import type { SourceCatalog } from '../checks/source-catalog.ts';
import { checkTask } from '../checks/validate-task.ts';
import { readTaskCatalog } from '../convert-schema/convert-schema.ts';
import { databaseTargets } from '../plan/target-ddl.ts';
import { sourcePlugin } from '../plugins.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { checkFindings } from './check-findings.ts';
import { bySeverity, finding, summarize, type AssessmentReport, type Finding, type TableEstimate } from './finding.ts';
import { assessLobs, DEFAULT_LOB_SAMPLE_ROWS, type LobMeasure } from './lob-sizes.ts';
import { insertOnlyTables } from '../../../runtime/src/config/outbox-settings.ts';
import { DEFAULT_ROWS_PER_SECOND, fullLoadSeconds, longTransactions, mysqlRetention, pgSlots, tableEstimates } from './source-server.ts';
import { openSourceSession, type SqlSession } from './sql-session.ts';
import { emptyRuleFindings, tableFindings } from './table-findings.ts';
import { assessTargets } from './target-tables.ts';

export interface AssessOptions {
  readonly profile?: 'full' | 'run';
  /** The full-load rate of the estimate (rows/s). */
  readonly rowsPerSecond?: number;
  /** Rows read per table to measure LOB sizes. */
  readonly lobSampleRows?: number;
  /** Only these source tables ('schema.table'); default: every selected table. */
  readonly tables?: readonly string[];
  readonly timeoutMs?: number;
}

type Scope = { area: string; checked: string }[];

export async function assessTask(task: ResolvedTask, options: AssessOptions = {}): Promise<AssessmentReport> {
  const profile = options.profile ?? 'full';
  const only = options.tables && options.tables.length > 0 ? narrowed(task, options.tables) : task;
  const scope: Scope = [];
  const findings: Finding[] = [];
  const rate = options.rowsPerSecond ?? DEFAULT_ROWS_PER_SECOND;
  let estimate: AssessmentReport['estimate'] = null;

  let checks: CheckResult[];
  let catalog: SourceCatalog | null = null;
  if (profile === 'full') {
    const r = await checkTask(only, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    checks = r.checks;
    catalog = r.catalog;
    scope.push({ area: 'ferry validate checks', checked: `${checks.length} checks (source prerequisites, table selection, destinations${only.kafka ? ', Kafka, schema registry' : ''}, target reachability): ${checks.filter((c) => c.status === 'ok').length} passed` });
  } else {
    checks = (await sourcePlugin(only.source.engine).check({ source: only.source, taskName: only.name, selector: createTableSelector(only.tableMappings), insertOnlyTables: insertOnlyTables(only.settings.outbox) }))
      .filter((c) => !(c.check === 'source.connect' && c.status === 'fail'));
    scope.push({ area: 'source prerequisites', checked: `${checks.length} checks: ${checks.filter((c) => c.status === 'ok').length} passed` });
  }
  findings.push(...checkFindings(checks, only.migrationType));
  const connected = checks.some((c) => c.check === 'source.connect' && c.status === 'ok');
  if (!connected) {
    scope.push({ area: 'source', checked: 'not checked further: the source is not reachable' });
    return report(only, profile, scope, estimate, findings);
  }

  let s: SqlSession | undefined;
  try {
    s = await openSourceSession(only);
  } catch (e: unknown) {
    scope.push({ area: 'source', checked: `not checked further: ${errorMessage(e)}` });
  }
  let estimates: TableEstimate[] | null = null;
  let lobMeasures: readonly LobMeasure[] = [];
  if (s) {
    try {
      estimates = await tableEstimates(s, only);
      const seconds = fullLoadSeconds(estimates, rate);
      estimate = { rowsPerSecond: rate, rows: estimates.reduce((n, t) => n + t.rows, 0), bytes: estimates.reduce((n, t) => n + t.bytes, 0), fullLoadSeconds: seconds, tables: estimates };
      await guarded(scope, 'log retention and replication slots', async () => {
        findings.push(...(only.source.engine === 'postgres' ? await pgSlots(s!, only, seconds) : await mysqlRetention(s!, only, seconds)));
        return only.migrationType === 'full-load' ? 'not applicable to a full-load task' : `against the estimated full load of ${seconds} s at ${rate} rows/s`;
      });
      if (profile === 'full') {
        await guarded(scope, 'long-running transactions', async () => {
          const lt = await longTransactions(s!, only);
          findings.push(...lt.findings);
          return lt.checked;
        });
        if (catalog) {
          const identity = new Set(findings.filter((f) => f.code === 'POSTGRES_TABLE_IDENTITY').flatMap((f) => f.objects.map((o) => o.table ?? '')));
          findings.push(...tableFindings(catalog, only.tableMappings, identity), ...emptyRuleFindings(catalog, only.tableMappings));
          scope.push({ area: 'tables', checked: `${catalog.tables.length} selected tables: primary keys, tables the source cannot capture, selection rules that select nothing` });
          await guarded(scope, 'LOB columns', async () => {
            const lobs = await assessLobs(s!, only, catalog.tables, { sampleRows: options.lobSampleRows ?? DEFAULT_LOB_SAMPLE_ROWS, estimates });
            findings.push(...lobs.findings);
            lobMeasures = lobs.measures;
            return lobs.checked;
          });
        }
      }
    } finally {
      await s.close();
    }
  }

  if (databaseTargets(only).length > 0) {
    await guarded(scope, 'database targets', async () => {
      const conversion = await readTaskCatalog(only);
      const described = catalog ? catalog.tables : await describe(only);
      const t = await assessTargets(only, { catalog: conversion, described, estimates, types: profile === 'full', lobMeasures });
      findings.push(...t.findings);
      scope.push(...t.scope);
      return `${conversion.tables.length} tables converted for the postgres/mysql targets`;
    });
  } else {
    for (const [i, t] of only.targets.entries()) scope.push({ area: `target ${t.name ?? `${t.type}-${i}`} (${t.type})`, checked: 'existing tables, column compatibility and free space: not applicable to this target type' });
  }
  if (estimate && profile === 'full') {
    findings.push(finding({
      code: 'FULL_LOAD_ESTIMATE', severity: 'info', category: 'source', objects: [],
      message: `${estimate.tables.length} selected tables hold about ${estimate.rows} rows (${(estimate.bytes / 1048576).toFixed(1)} MiB with indexes, from the catalog statistics): a full load of about ${estimate.fullLoadSeconds} s at ${rate} rows/s`,
      details: { rows: estimate.rows, bytes: estimate.bytes, fullLoadSeconds: estimate.fullLoadSeconds, rowsPerSecond: rate },
    }));
  }
  return report(only, profile, scope, estimate, findings);
}

/** Runs one area's checks; a failure is noted in the scope instead of ending the assessment. */
async function guarded(scope: Scope, area: string, fn: () => Promise<string>): Promise<void> {
  try {
    scope.push({ area, checked: await fn() });
  } catch (e: unknown) {
    scope.push({ area, checked: `check failed: ${errorMessage(e)}` });
  }
}

async function describe(task: ResolvedTask): Promise<readonly TableSchema[]> {
  const plugin = sourcePlugin(task.source.engine);
  if (!plugin.describeTables) return [];
  return (await plugin.describeTables({ source: task.source, taskName: task.name, selector: createTableSelector(task.tableMappings) })).tables;
}

/** The task with its selection narrowed to the given tables (an explicit rule each, after the task's own rules). */
function narrowed(task: ResolvedTask, tables: readonly string[]): ResolvedTask {
  const inner = createTableSelector(task.tableMappings);
  const wanted = new Set(tables);
  const rules = task.tableMappings.rules.filter((r) => r['rule-type'] !== 'selection');
  const explicit = tables.map((t, i) => {
    const dot = t.indexOf('.');
    return { 'rule-type': 'selection', 'rule-id': `assess-${i + 1}`, 'rule-name': `assess-${i + 1}`, 'rule-action': 'explicit', 'object-locator': { 'schema-name': t.slice(0, dot), 'table-name': t.slice(dot + 1) } };
  }).filter((r) => wanted.has(`${r['object-locator']['schema-name']}.${r['object-locator']['table-name']}`) && inner.includes({ schema: r['object-locator']['schema-name'], table: r['object-locator']['table-name'] }));
  return { ...task, tableMappings: { ...task.tableMappings, rules: [...explicit, ...rules] as never } };
}

function report(task: ResolvedTask, profile: 'full' | 'run', scope: Scope, estimate: AssessmentReport['estimate'], findings: readonly Finding[]): AssessmentReport {
  const sorted = bySeverity(findings);
  return {
    version: 1, task: task.name, sourceEngine: task.source.engine, migrationType: task.migrationType, profile, assessedAt: new Date().toISOString(),
    summary: summarize(sorted), scope, estimate, findings: sorted,
  };
}
