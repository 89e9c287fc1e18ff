/**
 * `ferry tasks list|create|show|start|stop|reload-table|add-tables|remove-tables|stats|status|delete`: the task
 * REST API of a `ferry serve` (app/src/tasks-api) from the command line. `--url` (FERRY_API_URL, default
 * http://127.0.0.1:8470) and `--token` (FERRY_API_TOKEN). Exit codes: docs/cli.md "ferry tasks".
 */
import { isFerryError } from '../../../../core/src/errors.ts';
// Read within the task-file limits (size, depth, aliases); sent as written: ${env:…}/${file:…} references are resolved by the server.
import { readTaskDocument } from '../../task-file/load-task.ts';
import { ApiResponseError, paths, type ApiClient } from '../../tasks-api/api-client.ts';
import { apiClientOf, reportCliError } from './api-connection.ts';
import type { TableStatistics } from '../../tasks-api/task-statistics.ts';
import type { TaskDetail, TaskStatsView, TaskStatusView, TaskSummary } from '../../tasks-api/task-views.ts';
import type { SignalStatus } from '../../../../core/src/types.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8470';

export interface TasksOptions {
  readonly url?: string;
  readonly token?: string;
  /** --ca FILE: the CA that signed an https:// server's certificate. */
  readonly ca?: string;
  readonly json?: boolean;
  readonly start?: boolean;
}

export type TasksAction = 'list' | 'create' | 'show' | 'start' | 'stop' | 'reload-table' | 'add-tables' | 'remove-tables' | 'stats' | 'status' | 'delete';

const line = (t: TaskSummary) => `${t.name.padEnd(24)} ${t.status.padEnd(9)} ${(t.engine ?? '-').padEnd(8)} ${(t.migrationType ?? '-').padEnd(18)} ${t.reason ?? ''}`;
const ms = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(1)}s`);

function printStatus(s: TaskStatusView): void {
  out(`${s.name}: ${s.status}${s.reason ? ` (${s.reason})` : ''} since ${s.since}; desired ${s.desired}`);
  const f = s.fullLoad;
  out(`full load: ${f.state}, ${f.rows} rows${f.rowsTotalEstimate !== null ? ` of ~${f.rowsTotalEstimate}` : ''}${f.percent !== null ? ` (${f.percent}%)` : ''}${f.etaSeconds !== null && f.state === 'running' ? `, ETA ${f.etaSeconds}s` : ''}`);
  out(`CDC latency: source ${ms(s.latency.sourceMs)}, target ${ms(s.latency.targetMs)}`);
  out(`tables: ${s.tables.total} (${s.tables.completed} completed, ${s.tables.fullLoad} loading, ${s.tables.beforeLoad} before load, ${s.tables.error} error, ${s.tables.cancelled} cancelled)`);
}

function printStats(tables: readonly TableStatistics[]): void {
  out(`${'table'.padEnd(32)} ${'state'.padEnd(16)} ${'full load'.padStart(10)} ${'inserts'.padStart(8)} ${'updates'.padStart(8)} ${'deletes'.padStart(8)} ${'ddls'.padStart(5)}  validation`);
  for (const t of tables) {
    const v = t.validationState === 'Not enabled' ? '' : `  ${t.validationState} (validated ${t.validationValidatedRecords}${t.validationPendingRecords + t.validationFailedRecords + t.validationSuspendedRecords > 0 ? `, pending ${t.validationPendingRecords}, failed ${t.validationFailedRecords}, suspended ${t.validationSuspendedRecords}` : ''})`;
    out(`${`${t.schemaName}.${t.tableName}`.padEnd(32)} ${t.tableState.padEnd(16)} ${String(t.fullLoadRows).padStart(10)} ${String(t.inserts).padStart(8)} ${String(t.updates).padStart(8)} ${String(t.deletes).padStart(8)} ${String(t.ddls).padStart(5)}${v}`);
  }
}

function exitFor(e: ApiResponseError): ExitCode {
  return e.status === 400 || e.status === 401 || e.status === 403 || e.status === 413 ? EXIT.INVALID : EXIT.FAILED;
}

export async function tasksCommand(action: TasksAction, args: readonly string[], options: TasksOptions): Promise<ExitCode> {
  const json = options.json === true;
  const token = options.token ?? process.env.FERRY_API_TOKEN;
  if (!token) {
    if (json) outJson({ ok: false, error: { code: 'unauthorized', message: 'no API token: pass --token or set FERRY_API_TOKEN' } });
    else err('error: no API token: pass --token or set FERRY_API_TOKEN');
    return EXIT.INVALID;
  }
  let api: ApiClient;
  try {
    api = apiClientOf({ ...options, token });
  } catch (e: unknown) {
    return reportCliError(e, json);
  }
  const [name = '', ...tables] = args;
  try {
    switch (action) {
      case 'list': {
        const r = await api.request<{ tasks: TaskSummary[] }>('GET', paths.tasks());
        if (json) outJson({ ok: true, tasks: r.tasks });
        else if (r.tasks.length === 0) out('no tasks (create one with `ferry tasks create <task-file>`)');
        else for (const t of r.tasks) out(line(t));
        return EXIT.OK;
      }
      case 'create': {
        const r = await api.request<{ task: TaskDetail }>('POST', `${paths.tasks()}${options.start ? '?start=true' : ''}`, readTaskDocument(name));
        if (json) outJson({ ok: true, task: r.task });
        else out(`task ${r.task.name} created (${r.task.status}); start it with \`ferry tasks start ${r.task.name}\``);
        return EXIT.OK;
      }
      case 'show': {
        const r = await api.request<{ task: TaskDetail }>('GET', paths.task(name));
        outJson(json ? { ok: true, task: r.task } : r.task);
        return EXIT.OK;
      }
      case 'start':
      case 'stop': {
        const r = await api.request<{ task: TaskSummary }>('POST', paths.action(name, action));
        if (json) outJson({ ok: true, task: r.task });
        else out(`task ${name}: ${r.task.status}`);
        return EXIT.OK;
      }
      case 'delete': {
        await api.request('DELETE', paths.task(name));
        if (json) outJson({ ok: true, deleted: name });
        else out(`task ${name} deleted`);
        return EXIT.OK;
      }
      case 'reload-table': {
        const r = await api.request<{ signal: SignalStatus }>('POST', paths.action(name, 'reload-table'), { tables });
        if (json) outJson({ ok: true, signal: r.signal });
        else out(`${r.signal.id}: reload of ${r.signal.tables.join(', ')} queued; follow it with \`ferry tasks stats ${name}\``);
        return EXIT.OK;
      }
      case 'add-tables':
      case 'remove-tables': {
        const r = await api.request<{ task: TaskSummary; added?: string[]; removed?: string[]; reloads?: string[] }>(action === 'add-tables' ? 'POST' : 'DELETE', paths.action(name, 'tables'), { tables });
        if (json) outJson({ ok: true, ...r });
        else out(action === 'add-tables' ? `task ${name}: added ${r.added?.join(', ')}${r.reloads?.length ? ` (their rows are copied by a reload)` : ''}` : `task ${name}: removed ${r.removed?.join(', ')}`);
        return EXIT.OK;
      }
      case 'stats': {
        const r = await api.request<TaskStatsView>('GET', paths.action(name, 'stats'));
        if (json) outJson({ ok: true, ...r });
        else printStats(r.tables);
        return EXIT.OK;
      }
      case 'status': {
        const r = await api.request<TaskStatusView>('GET', paths.action(name, 'status'));
        if (json) outJson({ ok: true, ...r });
        else printStatus(r);
        return EXIT.OK;
      }
    }
  } catch (e: unknown) {
    if (e instanceof ApiResponseError) {
      if (json) outJson({ ok: false, status: e.status, error: { code: e.code, message: e.message, ...(e.problems.length ? { problems: e.problems } : {}) } });
      else {
        err(`error (HTTP ${e.status} ${e.code}): ${e.message.split('\n')[0]}`);
        for (const p of e.problems) err(`  - ${p.path}: ${p.message}`);
      }
      return exitFor(e);
    }
    if (isFerryError(e) && e.code === 'FERRY_SOURCE_UNREACHABLE') {
      reportError(e, json);
      return EXIT.CHECK_FAILED;
    }
    return reportCliError(e, json);
  }
}
