/**
 * Reads a task file (YAML or JSON), resolves its secret references, validates it against the declaration in
 * task-schema.ts, and fills in the defaults that depend on other fields. Every problem in the file is reported
 * at once (the first TASK_INPUT_LIMITS.maxProblems, then how many more), each naming the exact path, what was
 * expected and what was found, never a secret (problem-echo.ts). Size, depth and aliases are bounded
 * (input-limits.ts).
 */
import { join } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import { problemsFromIssues, problemPathsOf, formatPath, formatProblem, type ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import { resolveSecretReferences, taskFileDir, type ReferencePolicy, type ResolveOptions } from '../../../runtime/src/config/secrets.ts';
import { bindAwsSmSources, fetchAwsSmSecrets } from '../../../runtime/src/config/aws-sm-secrets.ts';
import { awsSmSecretIds, type AwsSmValues } from '../../../runtime/src/config/aws-sm-reference.ts';
import { registerTaskSecrets } from '../task/secret-fields.ts';
import type { SourceBlock } from '../../../core/src/plugin.ts';
import { taskSchema, type KafkaConfig, type Settings, type Task } from './task-schema.ts';
import { sourcePlugin } from '../plugins.ts';
import { crossFieldProblems, unsupportedConstructs, unsupportedInInvalidTask } from './unsupported.ts';
import { includeSchemaChangesOfTask, valueHandlingOfTask } from './value-handling.ts';
import { pathDeeperThanLimit, parseTaskText, readTaskText, TASK_INPUT_LIMITS } from './input-limits.ts';
import { hideEchoedValues, referencedStrings } from './problem-echo.ts';
import { applyDmsTaskSettings } from './dms-settings-apply.ts';

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
  /** The problems reported: the first TASK_INPUT_LIMITS.maxProblems. */
  readonly problems: readonly ConfigProblem[];
  /** How many more problems there were. */
  readonly moreProblems: number;
  /**
   * `moreProblems`: problems found beyond the list given (which is itself cut to the limit); `code`: a limit's code
   * when the problem is the document's size or depth rather than its content.
   */
  constructor(file: string, problems: readonly ConfigProblem[], options: { readonly moreProblems?: number; readonly code?: 'FERRY_CONFIG_INVALID' | 'FERRY_CONFIG_TOO_DEEP' } = {}) {
    const shown = problems.slice(0, TASK_INPUT_LIMITS.maxProblems);
    const more = (options.moreProblems ?? 0) + problems.length - shown.length;
    const total = shown.length + more;
    const lines = shown.map((p) => `  - ${formatProblem(p)}`);
    if (more > 0) lines.push(`  - and ${more} more problem${more === 1 ? '' : 's'}`);
    super(options.code ?? 'FERRY_CONFIG_INVALID', `${file}: ${total} problem${total === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
      details: { file, problems: shown, ...(more > 0 ? { moreProblems: more } : {}) },
    });
    this.problems = shown;
    this.moreProblems = more;
  }
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory for the default stateDir. */
  readonly cwd?: string;
}

/** Reads a task file within the limits of input-limits.ts (size, depth, aliases) and validates it (parseTask). */
export function loadTaskFile(file: string, options: LoadOptions = {}): ResolvedTask {
  return parseTask(readTaskDocument(file), { ...options, file, baseDir: taskFileDir(file) });
}

/**
 * loadTaskFile, with the AWS Secrets Manager secrets its `${aws-sm:…}` references name fetched first (each once);
 * the commands that read a task file use this one.
 */
export async function loadTaskFileAsync(file: string, options: LoadOptions = {}): Promise<ResolvedTask> {
  return parseTaskAsync(readTaskDocument(file), { ...options, file, baseDir: taskFileDir(file) });
}

/** parseTask, with the secrets of its `${aws-sm:…}` references fetched first (the policy's prefix checked before). */
export async function parseTaskAsync(raw: unknown, options: ParseOptions = {}): Promise<ResolvedTask> {
  // Secrets the policy refuses are not fetched: their refusal is reported by parseTask without a call to AWS.
  const prefix = options.referencePolicy ? options.referencePolicy.awsSmPrefix || null : '';
  const ids = prefix === null ? [] : awsSmSecretIds(raw).filter((id) => id.startsWith(prefix));
  const awsSm = await fetchAwsSmSecrets(ids, { env: options.env ?? process.env });
  return parseTask(raw, { ...options, awsSm });
}

/** A task file's document, parsed but not validated (references unresolved), within the limits of input-limits.ts. */
export function readTaskDocument(file: string): unknown {
  return parseTaskText(readTaskText(file), file);
}

export interface ParseOptions extends LoadOptions {
  readonly file?: string;
  readonly baseDir?: string;
  /** Where secret references may resolve, and from what (the task API's policy); default: everywhere. */
  readonly referencePolicy?: ReferencePolicy;
  /** The secrets `${aws-sm:…}` references name, fetched (parseTaskAsync, loadTaskFileAsync do it). */
  readonly awsSm?: AwsSmValues;
}

/** Validates an already-parsed task document. Throws ConfigError listing every problem. */
export function parseTask(raw: unknown, options: ParseOptions = {}): ResolvedTask {
  const label = options.file ?? 'task';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(label, [{ path: '(root)', message: `expected a mapping (key: value) with name, source, migrationType and tableMappings, found ${raw === null || raw === undefined ? 'an empty document' : Array.isArray(raw) ? 'a list' : typeof raw}` }]);
  }
  const tooDeep = pathDeeperThanLimit(raw);
  if (tooDeep !== null) {
    throw new ConfigError(label, [{ path: tooDeep, message: `nests mappings and lists deeper than ${TASK_INPUT_LIMITS.maxDepth} levels, the limit for a task document` }], { code: 'FERRY_CONFIG_TOO_DEEP' });
  }
  const resolveOptions: ResolveOptions = { baseDir: options.baseDir ?? process.cwd(), env: options.env ?? process.env, ...(options.referencePolicy ? { policy: options.referencePolicy } : {}), ...(options.awsSm ? { awsSm: options.awsSm } : {}) };
  const { value: resolved, problems: secretProblems, awsSmStrings } = resolveSecretReferences(raw, resolveOptions);
  // settings.dms: DMS task settings written onto the Ferry settings they map to (dms-settings-apply.ts).
  const { doc: value, problems: dmsProblems } = applyDmsTaskSettings(resolved);
  registerTaskSecrets(value);
  const problems: ConfigProblem[] = [...secretProblems.map((p) => ({ path: formatPath(p.path), message: p.message })), ...dmsProblems];
  const references = referencedStrings(raw, value);
  const result = taskSchema.safeParse(value, { reportInput: true });
  // Only the problems that will be shown get a message; the rest are counted by path. (Problems are appended one by
  // one: spreading 200k of them into push() overflows the stack.)
  const failed = new Set(problems.map((p) => p.path));
  let counted = 0;
  if (!result.success) {
    const issues = result.error.issues;
    let cut = 0;
    for (let room = TASK_INPUT_LIMITS.maxProblems - problems.length; cut < issues.length && room > 0; cut++) room -= problemPathsOf(issues[cut]!).length;
    for (const p of problemsFromIssues(taskSchema, issues.slice(0, cut), value, { referenceAt: (path) => references.rawAt.get(path) })) {
      problems.push(p);
      failed.add(p.path);
    }
    for (let i = cut; i < issues.length; i++) {
      for (const path of problemPathsOf(issues[i]!)) { failed.add(path); counted++; }
    }
  }
  const later = result.success
    ? unsupportedConstructs(result.data)
    : unsupportedInInvalidTask(value as Record<string, unknown>, result.error.issues.map((i) => i.path));
  for (const p of [...later, ...crossFieldProblems(value as Record<string, unknown>)]) {
    if (failed.has(p.path)) continue;
    if (problems.length < TASK_INPUT_LIMITS.maxProblems && counted === 0) problems.push(p);
    else counted++;
  }
  if (problems.length > 0 || !result.success) {
    const shown = hideEchoedValues(problems.slice(0, TASK_INPUT_LIMITS.maxProblems), { references, doc: value });
    throw new ConfigError(label, shown, { moreProblems: counted + problems.length - shown.length });
  }
  const task = resolveDefaults(result.data, options);
  // A secret from ${aws-sm:…} can be fetched again when a database refuses it (runtime/src/config/secret-refresh.ts).
  bindAwsSmSources(task, awsSmStrings, resolveOptions, { env: resolveOptions.env ?? process.env });
  return task;
}

function resolveDefaults(task: Task, options: ParseOptions): ResolvedTask {
  const plugin = sourcePlugin(task.source.engine);
  const given = task.source as Task['source'] & Record<string, unknown>;
  const source = { ...given, port: task.source.port ?? plugin.defaultPort, ...plugin.defaults?.(given, task.name), valueHandling: valueHandlingOfTask(task),
    ...(task.source.engine === 'postgres' ? {} : { includeSchemaChanges: includeSchemaChangesOfTask(task) }) } as SourceBlock;
  const kafka = task.kafka && { ...task.kafka, topicPrefix: task.kafka.topicPrefix ?? task.name, clientId: task.kafka.clientId ?? `ferry-${task.name}` };
  const offsetStore = task.settings.offsetStore === 'auto' ? (kafka ? 'kafka' : 'sqlite') : task.settings.offsetStore;
  if (offsetStore === 'kafka' && !kafka) {
    throw new ConfigError(options.file ?? 'task', [{ path: 'settings.offsetStore', message: 'is "kafka", but the task has no kafka block; add one or use "sqlite"' }]);
  }
  if (task.settings.signals.enabledChannels.includes('kafka') && !kafka) {
    throw new ConfigError(options.file ?? 'task', [{ path: 'settings.signals.enabledChannels', message: 'lists "kafka" (the signal topic), but the task has no kafka block; add one or remove "kafka"' }]);
  }
  const settings = { ...task.settings, offsetStore, stateDir: task.settings.stateDir ?? join(options.cwd ?? process.cwd(), '.ferry', task.name) };
  return { ...task, source, kafka, settings, file: options.file };
}
