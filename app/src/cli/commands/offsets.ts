/**
 * `ferry offsets show <task-file>` prints the task's committed position; `ferry offsets reset <task-file> --yes`
 * forgets it, so the next run starts over (recovery from a purged binlog or a lost slot: see docs/runbooks.md).
 */
import { openStateKeyring } from '../../../../runtime/src/encryption/state-keyring.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadTaskFileAsync } from '../../task-file/load-task.ts';
import { describeOffsetStore, openOffsetStore } from '../../../../runtime/src/offsets/open-offset-store.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { err, out, outJson, reportError } from '../output.ts';
import { cdcStopReachedOf } from '../../../../runtime/src/pipeline/cdc-stop-point.ts';

/** settings.cdcStopPosition reached: said after the position. */
function stopNote(offset: Parameters<typeof cdcStopReachedOf>[0]): string {
  const r = cdcStopReachedOf(offset);
  return r ? `; stopped at its stop point ${r.point} (${r.at}): a run with the same cdcStopPosition ends at once` : '';
}

export async function offsetsCommand(action: 'show' | 'reset', file: string, options: { json?: boolean; yes?: boolean }): Promise<ExitCode> {
  const json = options.json === true;
  try {
    const task = await loadTaskFileAsync(file);
    await openStateKeyring(task.settings.stateDir, task.settings.stateEncryption); // settings.stateEncryption
    const store = openOffsetStore(task);
    try {
      const offset = await store.read(task.name);
      if (action === 'show') {
        if (json) outJson({ ok: true, task: task.name, store: describeOffsetStore(task), offset });
        else out(offset ? `${task.name}: ${offset.position} (snapshot ${offset.snapshotDone ? 'done' : 'in progress'}) in ${describeOffsetStore(task)}${stopNote(offset)}` : `${task.name}: no committed offset in ${describeOffsetStore(task)} (the next run starts fresh)`);
        return EXIT.OK;
      }
      if (!options.yes) {
        err(`this forgets task ${task.name}'s position ${offset?.position ?? '(none)'}: its next run starts over${task.migrationType === 'cdc' ? ' from the current end of the log' : ' with a new full load'}. Run again with --yes to do it.`);
        return EXIT.INVALID;
      }
      await store.reset(task.name);
      // The schema history belongs to the old position; a new run rebuilds it.
      for (const f of ['mysql-schema-history.jsonl']) rmSync(join(task.settings.stateDir, f), { force: true });
      if (json) outJson({ ok: true, task: task.name, reset: true, previous: offset });
      else out(`${task.name}: offset ${offset?.position ?? '(none)'} forgotten; the next run starts over`);
      return EXIT.OK;
    } finally {
      await store.close();
    }
  } catch (e: unknown) {
    return reportError(e, json);
  }
}
