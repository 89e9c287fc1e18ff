/**
 * Reads a task file (YAML or JSON), resolves its secret references, validates it against the declaration in
 * task-schema.ts, and fills in the defaults that depend on other fields. Every problem in the file is reported
 * at once, each naming the exact path, what was expected and what was found.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { FerryError } from '../../../core/src/errors.ts';
import { problemsFromIssues, formatPath, formatProblem, type ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import { resolveSecretReferences, taskFileDir } from '../../../runtime/src/config/secrets.ts';
import type { SourceBlock } from '../../../core/src/plugin.ts';
import { taskSchema, type KafkaConfig, type Settings, type Task } from './task-schema.ts';
import { sourcePlugin } from '../plugins.ts';
import { unsupportedConstructs } from './unsupported.ts';

/** A validated task with every derived default filled in. */
export interface ResolvedTask extends Omit<Task, 'source' | 'kafka' | 'settings'> {
  /** The source block with its port and the source plugin's own defaults filled in. */
  readonly source: SourceBlock;
  readonly kafka: (KafkaConfig & { readonly topicPrefix: string; readonly clientId: string }) | undefined;
  readonly settings: Settings & { readonly stateDir: string; readonly offsetStore: 'kafka' | 'sqlite' };
  /** The file the task was read from, if any. */
  readonly file: string | undefined;
}

export class ConfigError extends FerryError {
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('FERRY_CONFIG_INVALID', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, {
      details: { file, problems },
    });
    this.problems = problems;
  }
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory for the default stateDir. */
  readonly cwd?: string;
}

export function loadTaskFile(file: string, options: LoadOptions = {}): ResolvedTask {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FerryError('FERRY_CONFIG_NOT_FOUND', `cannot read task file ${file}${code === 'ENOENT' ? ': no such file' : ` (${code})`}`, { cause: e });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  - line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new FerryError('FERRY_CONFIG_PARSE', `${file} is not valid YAML/JSON:\n${lines.join('\n')}`);
  }
  return parseTask(doc.toJS(), { ...options, file, baseDir: taskFileDir(file) });
}

export interface ParseOptions extends LoadOptions {
  readonly file?: string;
  readonly baseDir?: string;
}

/** Validates an already-parsed task document. Throws ConfigError listing every problem. */
export function parseTask(raw: unknown, options: ParseOptions = {}): ResolvedTask {
  const label = options.file ?? 'task';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(label, [{ path: '(root)', message: `expected a mapping (key: value) with name, source, migrationType and tableMappings, found ${raw === null || raw === undefined ? 'an empty document' : Array.isArray(raw) ? 'a list' : typeof raw}` }]);
  }
  const { value, problems: secretProblems } = resolveSecretReferences(raw, { baseDir: options.baseDir ?? process.cwd(), env: options.env ?? process.env });
  const problems: ConfigProblem[] = secretProblems.map((p) => ({ path: formatPath(p.path), message: p.message }));
  const result = taskSchema.safeParse(value, { reportInput: true });
  if (!result.success) problems.push(...problemsFromIssues(taskSchema, result.error.issues, value));
  const failed = new Set(problems.map((p) => p.path));
  if (result.success) {
    for (const p of unsupportedConstructs(result.data)) if (!failed.has(p.path)) problems.push(p);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(label, problems);
  return resolveDefaults(result.data, options);
}

function resolveDefaults(task: Task, options: ParseOptions): ResolvedTask {
  const plugin = sourcePlugin(task.source.engine);
  const given = task.source as Task['source'] & Record<string, unknown>;
  const source = { ...given, port: task.source.port ?? plugin.defaultPort, ...plugin.defaults?.(given, task.name) } as SourceBlock;
  const kafka = task.kafka && { ...task.kafka, topicPrefix: task.kafka.topicPrefix ?? task.name, clientId: task.kafka.clientId ?? `ferry-${task.name}` };
  const offsetStore = task.settings.offsetStore === 'auto' ? (kafka ? 'kafka' : 'sqlite') : task.settings.offsetStore;
  if (offsetStore === 'kafka' && !kafka) {
    throw new ConfigError(options.file ?? 'task', [{ path: 'settings.offsetStore', message: 'is "kafka", but the task has no kafka block; add one or use "sqlite"' }]);
  }
  const settings = { ...task.settings, offsetStore, stateDir: task.settings.stateDir ?? join(options.cwd ?? process.cwd(), '.ferry', task.name) };
  return { ...task, source, kafka, settings, file: options.file };
}
