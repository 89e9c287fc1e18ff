/**
 * `ferry snapshot <task-file> --table db.t [--table db.u]` asks the running task (its control API on
 * settings.metrics.host:port, runtime/src/control) to re-snapshot tables incrementally while it streams;
 * `ferry snapshot <task-file> --status` lists the incremental snapshots and their progress.
 * Both send the run's control token, read from `<stateDir>/control-token` (runtime/src/control/control-token.ts).
 */
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import type { SignalStatus } from '../../../../core/src/types.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';
import { ControlClient, ControlRefusal } from '../../task/control-client.ts';

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
    const task = await loadTaskFileAsync(file);
    const tables = options.table ?? [];
    if (!options.status && tables.length === 0) {
      err('error: name the tables to re-snapshot with --table <db>.<table> (repeatable), or use --status');
      return EXIT.INVALID;
    }
    const client = new ControlClient(task, { file, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
    let result: { id: string; signal: SignalStatus } | SignalStatus[];
    try {
      result = options.status ? await client.list() : await client.send({ type: 'execute-snapshot', tables });
    } catch (e: unknown) {
      if (!(e instanceof ControlRefusal)) throw e;
      if (json) outJson({ ok: false, task: task.name, status: e.status, error: { message: e.message } });
      else err(`error: task ${task.name} refused the request (HTTP ${e.status}): ${e.message}`);
      return e.status === 400 ? EXIT.INVALID : EXIT.FAILED;
    }
    if (Array.isArray(result)) {
      const list = result;
      if (json) outJson({ ok: true, task: task.name, signals: list });
      else if (list.length === 0) out(`${task.name}: no incremental snapshots since the task started`);
      else for (const s of list) out(describe(s));
      return EXIT.OK;
    }
    if (json) outJson({ ok: true, task: task.name, id: result.id, signal: result.signal });
    else out(`${result.id}  (incremental snapshot of ${tables.join(', ')} queued; watch it with \`ferry snapshot ${file} --status\`)`);
    return EXIT.OK;
  } catch (e: unknown) {
    return reportError(e, json);
  }
}
