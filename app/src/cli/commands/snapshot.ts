/**
 * `ferry snapshot <task-file> --table db.t [--table db.u]` asks the running task (its control API on
 * settings.metrics.host:port, runtime/src/control) to re-snapshot tables incrementally while it streams;
 * `ferry snapshot <task-file> --status` lists the incremental snapshots and their progress.
 * Both send the run's control token, read from `<stateDir>/control-token` (runtime/src/control/control-token.ts).
 */
import { loadTaskFile } from '../../task-file/load-task.ts';
import { errorMessage, FerryError } from '../../../../core/src/errors.ts';
import type { SignalStatus } from '../../../../core/src/types.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';
import { controlTokenPath, readControlToken } from '../../../../runtime/src/control/control-token.ts';

export interface SnapshotOptions {
  readonly table?: readonly string[];
  readonly status?: boolean;
  readonly json?: boolean;
  readonly timeoutMs?: number;
}

function describe(s: SignalStatus): string {
  const where = s.status === 'running' && s.table ? ` at ${s.table}` : '';
  const err = s.error ? `: ${s.error}` : '';
  return `${s.id}  ${s.status}${where}  tables ${s.tablesDone}/${s.tables.length} (${s.tables.join(', ')})  ${s.rowsEmitted} rows in ${s.chunks} chunks${err}`;
}

export async function snapshotCommand(file: string, options: SnapshotOptions): Promise<ExitCode> {
  const json = options.json === true;
  try {
    const task = loadTaskFile(file);
    const tables = options.table ?? [];
    if (!options.status && tables.length === 0) {
      err('error: name the tables to re-snapshot with --table <db>.<table> (repeatable), or use --status');
      return EXIT.INVALID;
    }
    const m = task.settings.metrics;
    if (!m.enabled) {
      throw new FerryError('FERRY_CONFIG_INVALID', `task ${task.name} has settings.metrics.enabled false: the control API (POST /signals) is served by the metrics server, so enable it and restart the task with \`ferry run ${file}\``);
    }
    const host = m.host === '0.0.0.0' || m.host === '::' ? '127.0.0.1' : m.host.includes(':') ? `[${m.host}]` : m.host;
    const url = `http://${host}:${m.port}/signals`;
    const tokenFile = controlTokenPath(task.settings.stateDir);
    const token = readControlToken(task.settings.stateDir);
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    let res: Response;
    try {
      res = await fetch(url, {
        method: options.status ? 'GET' : 'POST',
        headers: options.status ? headers : { ...headers, 'content-type': 'application/json' },
        ...(options.status ? {} : { body: JSON.stringify({ type: 'execute-snapshot', tables }) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30000),
      });
    } catch (e: unknown) {
      const cause = errorMessage((e as { cause?: unknown }).cause ?? e);
      throw new FerryError('FERRY_SOURCE_UNREACHABLE', `task ${task.name} is not running: nothing answers at ${url} (${cause}). Start it with \`ferry run ${file}\` (it serves the control API on settings.metrics.host:port)`, { cause: e });
    }
    const body = await res.json().catch(() => ({})) as { error?: string; id?: string; signal?: SignalStatus; signals?: SignalStatus[] };
    if (!res.ok) {
      if (res.status === 401 && token === undefined) body.error = `no control token at ${tokenFile}: \`ferry run ${file}\` writes one there when it starts (is the task running with this task file's settings.stateDir?)`;
      if (json) outJson({ ok: false, task: task.name, status: res.status, error: { message: body.error ?? res.statusText } });
      else err(`error: task ${task.name} refused the request (HTTP ${res.status}): ${body.error ?? res.statusText}`);
      return res.status === 400 ? EXIT.INVALID : EXIT.FAILED;
    }
    if (options.status) {
      const list = body.signals ?? [];
      if (json) outJson({ ok: true, task: task.name, signals: list });
      else if (list.length === 0) out(`${task.name}: no incremental snapshots since the task started`);
      else for (const s of list) out(describe(s));
      return EXIT.OK;
    }
    if (json) outJson({ ok: true, task: task.name, id: body.id, signal: body.signal });
    else out(`${body.id}  (incremental snapshot of ${tables.join(', ')} queued; watch it with \`ferry snapshot ${file} --status\`)`);
    return EXIT.OK;
  } catch (e: unknown) {
    return reportError(e, json);
  }
}
