/**
 * `ferry import-dms`: a DMS replication task (as `aws dms describe-replication-tasks` prints it) and its endpoints
 * (`aws dms describe-endpoints`) → a Ferry task document and a report with one entry per leaf of the input. The task
 * settings go into `settings.dms`, judged by the same declared mapping the loader applies
 * (app/src/task-file/dms-task-settings.ts): only the settings Ferry carries or matches are written, the others are
 * reported as not carried over. The document is validated as `ferry validate --offline` would (parseTask and each
 * target's options), with placeholder values for the password variables.
 */
import { FerryError } from '../../../core/src/errors.ts';
import { judgeDmsSettings } from '../task-file/dms-settings-apply.ts';
import { parseTask, ConfigError } from '../task-file/load-task.ts';
import { targetOptionProblems } from '../task/targets.ts';
import { mapEndpoint } from './endpoint-map.ts';
import type { ImportReport, ReportEntry } from './report.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ImportInput {
  /** `describe-replication-tasks` output ({ReplicationTasks: […]}), `create-replication-task` output ({ReplicationTask}), or one task. */
  readonly tasks?: unknown;
  /** `describe-endpoints` output ({Endpoints: […]}), or a list of endpoints. */
  readonly endpoints: unknown;
  /** A table-mapping document, replacing (or standing in for) the task's TableMappings. */
  readonly tableMappings?: unknown;
  /** A task-settings document, replacing (or standing in for) the task's ReplicationTaskSettings. */
  readonly taskSettings?: unknown;
  /** Which task, when the input lists several: its identifier or ARN. */
  readonly taskId?: string;
  /** Without a task document: the migration type and the name. */
  readonly migrationType?: string;
  readonly name?: string;
}

export interface ImportResult {
  readonly document: Record<string, unknown>;
  readonly report: ImportReport;
}

const usage = (message: string) => new FerryError('FERRY_USAGE', message);

/** A JSON document that may come as a string (the AWS CLI prints TableMappings and settings as JSON strings). */
function jsonValue(v: unknown, what: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw usage(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function pickTask(doc: unknown, taskId: string | undefined): Record<string, unknown> {
  const list = isRecord(doc) && Array.isArray(doc.ReplicationTasks) ? doc.ReplicationTasks
    : isRecord(doc) && isRecord(doc.ReplicationTask) ? [doc.ReplicationTask] : Array.isArray(doc) ? doc : [doc];
  const tasks = list.filter(isRecord);
  if (tasks.length === 0) throw usage('--task holds no replication task (expected the output of aws dms describe-replication-tasks)');
  if (taskId !== undefined) {
    const t = tasks.find((x) => x.ReplicationTaskIdentifier === taskId || x.ReplicationTaskArn === taskId);
    if (!t) throw usage(`no task "${taskId}" in --task (it lists ${tasks.map((x) => String(x.ReplicationTaskIdentifier)).join(', ')})`);
    return t;
  }
  if (tasks.length > 1) throw usage(`--task lists ${tasks.length} tasks (${tasks.map((x) => String(x.ReplicationTaskIdentifier)).join(', ')}); choose one with --task-id`);
  return tasks[0]!;
}

function endpointList(doc: unknown): Record<string, unknown>[] {
  const list = isRecord(doc) && Array.isArray(doc.Endpoints) ? doc.Endpoints : isRecord(doc) && isRecord(doc.Endpoint) ? [doc.Endpoint] : Array.isArray(doc) ? doc : [];
  return list.filter(isRecord);
}

/** Every leaf of a JSON value, as dotted paths (list items as [i]). */
export function leaves(v: unknown, path: string, out: { path: string; value: unknown }[] = []): { path: string; value: unknown }[] {
  if (isRecord(v) && Object.keys(v).length > 0) for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else out.push({ path, value: v });
  return out;
}

const TASK_INFO: Readonly<Record<string, string>> = {
  ReplicationTaskArn: 'the DMS task\'s identity', ReplicationInstanceArn: 'Ferry runs where you start it (`ferry run`, `ferry serve`): there is no replication instance',
  TargetReplicationInstanceArn: 'Ferry runs where you start it: there is no replication instance', Status: 'DMS state', StopReason: 'DMS state', LastFailureMessage: 'DMS state',
  ReplicationTaskCreationDate: 'DMS state', ReplicationTaskStartDate: 'DMS state', RecoveryCheckpoint: 'a DMS checkpoint; Ferry keeps its own committed position (ferry offsets show)',
  ReplicationTaskStats: 'DMS run statistics; Ferry\'s are in `ferry tasks stats` and /metrics',
};
const MIGRATION_TYPES = ['full-load', 'cdc', 'full-load-and-cdc'];

export function importDmsTask(input: ImportInput): ImportResult {
  const task = input.tasks === undefined ? undefined : pickTask(input.tasks, input.taskId);
  const endpoints = endpointList(input.endpoints);
  const taskName = String(task?.ReplicationTaskIdentifier ?? input.name ?? '');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(taskName)) throw usage(task ? `the task identifier ${JSON.stringify(taskName)} is not a Ferry task name` : '--name is required without --task (1-100 letters, digits, ".", "_" or "-")');
  const label = `task ${taskName}`;
  const find = (arn: unknown, type: 'SOURCE' | 'TARGET') => {
    if (typeof arn === 'string') {
      const e = endpoints.find((x) => x.EndpointArn === arn);
      if (!e) throw usage(`--endpoints has no endpoint ${arn} (the task's ${type.toLowerCase()}); pass the output of aws dms describe-endpoints`);
      return e;
    }
    const of = endpoints.filter((x) => String(x.EndpointType).toUpperCase() === type);
    if (of.length !== 1) throw usage(`--endpoints must hold exactly one ${type} endpoint without --task (found ${of.length})`);
    return of[0]!;
  };
  const srcEndpoint = find(task?.SourceEndpointArn, 'SOURCE');
  const tgtEndpoint = find(task?.TargetEndpointArn, 'TARGET');
  const source = mapEndpoint(srcEndpoint, 'source');
  const target = mapEndpoint(tgtEndpoint, 'target');
  const { '(settings)': srcSettings, ...sourceBlock } = source.block;
  const { '(settings)': tgtSettings, ...targetBlock } = target.block;

  const entries: ReportEntry[] = [];
  const settings: Record<string, unknown> = { ...(srcSettings as object | undefined), ...(tgtSettings as object | undefined) };
  const migrationType = String(task?.MigrationType ?? input.migrationType ?? '');
  if (!MIGRATION_TYPES.includes(migrationType)) throw usage(`migration type ${JSON.stringify(migrationType)}: expected ${MIGRATION_TYPES.join(', ')}${task ? '' : ' (--migration-type)'}`);
  const tableMappings = jsonValue(input.tableMappings ?? task?.TableMappings, 'the table mappings');
  if (!isRecord(tableMappings)) throw usage('no table mappings: the task has no TableMappings; pass --table-mappings');
  const taskSettings = jsonValue(input.taskSettings ?? task?.ReplicationTaskSettings ?? {}, 'the task settings');
  if (!isRecord(taskSettings)) throw usage('the task settings are not a JSON object');

  const targetTypes = [String(targetBlock.type)];
  const dmsOutcomes = judgeDmsSettings(taskSettings, { targetTypes, migrationType, lobClaimCheck: false });
  const kept: Record<string, unknown> = {};
  const settingsInput = input.taskSettings !== undefined ? 'task settings' : label;
  const settingsPrefix = input.taskSettings !== undefined ? '' : 'ReplicationTaskSettings.';
  for (const o of dmsOutcomes) {
    const path = `${settingsPrefix}${o.path}`;
    if (o.status === 'carried' || o.status === 'same') {
      setDotted(kept, o.path, o.value);
      entries.push({ input: settingsInput, path, value: o.value, status: o.status, reason: o.reason, ...(o.status === 'carried' ? { ferry: o.sets.map((s) => `${s.at}: ${JSON.stringify(s.value)}`).join(', ') } : {}) });
    } else entries.push({ input: settingsInput, path, value: o.value, status: 'not-carried', reason: o.reason });
  }
  if (task !== undefined && input.taskSettings === undefined && task.ReplicationTaskSettings === undefined) {
    entries.push({ input: label, path: 'ReplicationTaskSettings', value: null, status: 'not-carried', reason: 'absent from the input (describe-replication-tasks --without-settings, or an example that omitted them): the task ran with its DMS settings, Ferry\'s defaults apply instead; pass them with --task-settings' });
  }
  if (Object.keys(kept).length > 0) settings.dms = kept;

  if (input.tableMappings !== undefined) entries.push({ input: 'table mappings', path: '(document)', value: '(rules)', status: 'carried', ferry: 'tableMappings', reason: 'accepted verbatim (docs/table-mapping.md)' });
  for (const [k, raw] of Object.entries(task ?? {})) {
    const e = (status: ReportEntry['status'], reason: string, ferry?: string, value: unknown = raw) => entries.push({ input: label, path: k, value, status, reason, ...(ferry ? { ferry } : {}) });
    if (k === 'ReplicationTaskSettings') continue;
    if (k === 'TableMappings') { e('carried', input.tableMappings !== undefined ? 'replaced by --table-mappings' : 'accepted verbatim (docs/table-mapping.md)', 'tableMappings', '(rules)'); continue; }
    if (k === 'ReplicationTaskIdentifier') { e('carried', '', 'name'); continue; }
    if (k === 'MigrationType') { e('carried', '', 'migrationType'); continue; }
    if (k === 'SourceEndpointArn') { e('carried', `endpoint ${String(srcEndpoint.EndpointIdentifier)}`, 'source'); continue; }
    if (k === 'TargetEndpointArn') { e('carried', `endpoint ${String(tgtEndpoint.EndpointIdentifier)}`, 'targets[0]'); continue; }
    if (k === 'CdcStartPosition' || k === 'CdcStartTime' || k === 'CdcStopPosition') { cdcPoint(k, raw, migrationType, settings, e); continue; }
    if (TASK_INFO[k] !== undefined) { for (const l of leaves(raw, k)) entries.push({ input: label, path: l.path, value: l.value, status: 'informational', reason: TASK_INFO[k] }); continue; }
    if (k === 'TaskData') { e('not-carried', 'DMS task data (for DocumentDB and Babelfish sources and targets) has no Ferry counterpart'); continue; }
    for (const l of leaves(raw, k)) entries.push({ input: label, path: l.path, value: l.value, status: 'not-carried', reason: 'a task field the importer does not know' });
  }
  entries.push(...source.entries, ...target.entries);
  for (const x of endpoints) {
    if (x === srcEndpoint || x === tgtEndpoint) continue;
    entries.push({ input: `endpoint ${String(x.EndpointIdentifier)}`, path: '(endpoint)', value: x.EndpointArn, status: 'informational', reason: 'not used by this task' });
  }

  const document: Record<string, unknown> = { name: taskName, source: sourceBlock, migrationType, tableMappings, targets: [targetBlock], ...(Object.keys(settings).length > 0 ? { settings } : {}) };
  const variables = [...new Set([...source.variables, ...target.variables])];
  return { document, report: { taskFile: null, task: taskName, entries, variables, validation: validateImported(document, variables) } };
}

function cdcPoint(k: string, raw: unknown, migrationType: string, settings: Record<string, unknown>, e: (status: ReportEntry['status'], reason: string, ferry?: string) => void): void {
  const v = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (v === '') { e('same', 'not set'); return; }
  if (k !== 'CdcStopPosition' && migrationType !== 'cdc') { e('not-carried', `a CDC start point applies to migrationType cdc (this task is ${migrationType}): a full load starts streaming at its snapshot`); return; }
  if (/^checkpoint:/i.test(v)) { e('not-carried', 'a DMS checkpoint (checkpoint:V1#…) names a DMS-internal position; give the native position (binlog file:position, GTID set or LSN) as settings.cdcStartPosition'); return; }
  const dmsDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v);
  if (k === 'CdcStartTime' || (k === 'CdcStartPosition' && dmsDate)) { settings.cdcStartTime = dmsDate ? `${v}Z` : v; e('carried', 'a time: the first transaction committed at or after it (DMS times are UTC)', 'settings.cdcStartTime'); return; }
  if (k === 'CdcStartPosition') { settings.cdcStartPosition = v; e('carried', 'a native position', 'settings.cdcStartPosition'); return; }
  settings.cdcStopPosition = v;
  e('carried', '', 'settings.cdcStopPosition');
}

function setDotted(o: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) cur = (isRecord(cur[k]) ? cur[k] : (cur[k] = {})) as Record<string, unknown>;
  cur[keys[keys.length - 1]!] = value;
}

/** The problems `ferry validate --offline` would find in the document, with placeholder password values. */
export function validateImported(document: unknown, variables: readonly string[]): { path: string; message: string }[] {
  const env = Object.fromEntries(variables.map((v) => [v, 'placeholder']));
  try {
    const task = parseTask(structuredClone(document), { env, cwd: '/nonexistent' });
    return targetOptionProblems(task);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => ({ path: p.path, message: p.message }));
    throw e;
  }
}
