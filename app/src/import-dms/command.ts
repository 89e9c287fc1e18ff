/**
 * `ferry import-dms --task F --endpoints F [--table-mappings F] [--task-settings F] [--task-id ID] [--out F] [--json]`:
 * writes the Ferry task file (YAML) and prints the report (docs/cli.md, docs/from-dms.md). Exit 0: everything
 * carried over or matched; 3: the file was written, but some settings were not carried over (or it does not
 * validate); 2: bad usage or unreadable input (nothing written).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { FerryError } from '../../../core/src/errors.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { out, outJson, reportError } from '../cli/output.ts';
import { importDmsTask } from './import-task.ts';
import { formatReport } from './report.ts';

export interface ImportDmsOptions {
  readonly task?: string;
  readonly endpoints?: string;
  readonly tableMappings?: string;
  readonly taskSettings?: string;
  readonly taskId?: string;
  readonly migrationType?: string;
  readonly name?: string;
  readonly out?: string;
  readonly json?: boolean;
}

function readJson(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FerryError('FERRY_USAGE', `${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FerryError('FERRY_USAGE', `${flag} ${file}: not JSON (${(e as Error).message}); pass the output of the aws dms command as it printed it`);
  }
}

export async function importDmsCommand(options: ImportDmsOptions): Promise<ExitCode> {
  const json = options.json === true;
  try {
    if (!options.endpoints) throw new FerryError('FERRY_USAGE', '--endpoints is required: the output of aws dms describe-endpoints');
    if (!options.task && !options.tableMappings) throw new FerryError('FERRY_USAGE', 'give --task (aws dms describe-replication-tasks output), or --table-mappings with --migration-type and --name');
    const { document, report } = importDmsTask({
      endpoints: readJson(options.endpoints, '--endpoints'),
      ...(options.task ? { tasks: readJson(options.task, '--task') } : {}),
      ...(options.tableMappings ? { tableMappings: readJson(options.tableMappings, '--table-mappings') } : {}),
      ...(options.taskSettings ? { taskSettings: readJson(options.taskSettings, '--task-settings') } : {}),
      ...(options.taskId ? { taskId: options.taskId } : {}),
      ...(options.migrationType ? { migrationType: options.migrationType } : {}),
      ...(options.name ? { name: options.name } : {}),
    });
    const file = options.out ?? `${report.task}.yaml`;
    const header = `# Imported from AWS DMS task ${report.task} by ferry import-dms (docs/from-dms.md).\n# Set ${report.variables.join(', ') || 'no variables'} before running it.\n`;
    writeFileSync(file, header + stringify(document, { lineWidth: 0 }));
    const full = { ...report, taskFile: file };
    const notCarried = full.entries.filter((e) => e.status === 'not-carried').length;
    if (json) outJson({ ok: notCarried === 0 && full.validation.length === 0, ...full });
    else out(formatReport(full));
    return notCarried > 0 || full.validation.length > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
  } catch (e) {
    const code = reportError(e, json);
    return e instanceof FerryError && e.code === 'FERRY_USAGE' ? EXIT.INVALID : code;
  }
}
