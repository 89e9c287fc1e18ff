/**
 * The task's value-handling settings (runtime/src/config/value-handling-settings.ts) resolved for its source, and
 * the combinations validation refuses: a mode for another engine, a source option that contradicts its setting,
 * and modes whose representation a target would write wrongly (text into binary columns, wrapped unsigned values,
 * Avro maps into typed columns).
 *
 * The PostgreSQL source options decimalHandlingMode and intervalHandlingMode (from before these settings) stay
 * accepted as aliases of the settings of the same names; giving both with different values is refused.
 */
import type { ConfigProblem } from '../../../runtime/src/config/config-problems.ts';
import { resolveValueHandling, type ValueHandling, type ValueHandlingSettings } from '../../../core/src/value-handling.ts';

interface TaskLike {
  readonly source: { readonly engine: string } & Readonly<Record<string, unknown>>;
  readonly settings: ValueHandlingSettings;
  readonly targets: readonly { readonly type: string }[];
}

const SOURCE_ALIASES = ['decimalHandlingMode', 'intervalHandlingMode'] as const;
const ONLY: Readonly<Record<string, 'postgres' | 'mysql/mariadb'>> = {
  intervalHandlingMode: 'postgres', hstoreHandlingMode: 'postgres', bigintUnsignedHandlingMode: 'mysql/mariadb',
};
/** Targets that write typed columns from the events' schemas. */
const DATABASE_TARGETS = new Set(['postgres', 'mysql', 'redshift']);
/** Targets that pass events through as they are. */
const PASS_THROUGH_TARGETS = new Set(['kafka', 'kinesis']);

const isPostgres = (engine: string) => engine === 'postgres';

/** settings.includeSchemaChanges, else the mysql/mariadb source option of the same name (its alias); undefined: the default (true). */
export function includeSchemaChangesOfTask(task: Pick<TaskLike, 'source' | 'settings'>): boolean | undefined {
  const s = (task.settings as { readonly includeSchemaChanges?: boolean | undefined }).includeSchemaChanges;
  return s ?? (task.source.includeSchemaChanges as boolean | undefined);
}

/** The modes the task's source applies: each setting, else the source's alias option, else the connector's default. */
export function valueHandlingOfTask(task: Pick<TaskLike, 'source' | 'settings'>): ValueHandling {
  const s = task.settings;
  const alias = (k: typeof SOURCE_ALIASES[number]) => (isPostgres(task.source.engine) ? task.source[k] : undefined);
  return resolveValueHandling(isPostgres(task.source.engine) ? 'postgresql' : 'mysql', {
    ...s,
    decimalHandlingMode: s.decimalHandlingMode ?? (alias('decimalHandlingMode') as ValueHandlingSettings['decimalHandlingMode']),
    intervalHandlingMode: s.intervalHandlingMode ?? (alias('intervalHandlingMode') as ValueHandlingSettings['intervalHandlingMode']),
  });
}

/** What validation refuses about the value-handling settings of a (schema-valid) task. */
export function valueHandlingProblems(task: TaskLike): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const s = task.settings as Readonly<Record<string, unknown>>;
  const engine = task.source.engine;
  for (const [key, only] of Object.entries(ONLY)) {
    if (s[key] === undefined) continue;
    const applies = only === 'postgres' ? isPostgres(engine) : !isPostgres(engine);
    if (!applies) out.push({ path: `settings.${key}`, message: `only applies to a ${only} source (this source is ${engine}); remove it` });
  }
  if (s.timePrecisionMode === 'adaptive' && !isPostgres(engine)) {
    out.push({ path: 'settings.timePrecisionMode', message: `"adaptive" is not supported for a ${engine} source (Debezium's MySQL connector refuses it too: a TIME beyond ±596 hours overflows its 32-bit milliseconds); use adaptive_time_microseconds (the default) or connect` });
  }
  if (s.includeSchemaChanges !== undefined && isPostgres(engine)) {
    out.push({ path: 'settings.includeSchemaChanges', message: 'only applies to a mysql/mariadb source: PostgreSQL\'s log carries no DDL (Debezium\'s PostgreSQL connector has no include.schema.changes); remove it' });
  }
  if (s.includeSchemaChanges !== undefined && task.source.includeSchemaChanges !== undefined && s.includeSchemaChanges !== task.source.includeSchemaChanges) {
    out.push({ path: 'source.includeSchemaChanges', message: `is ${String(task.source.includeSchemaChanges)} but settings.includeSchemaChanges is ${String(s.includeSchemaChanges)}: keep one, settings.includeSchemaChanges (source.includeSchemaChanges is its older alias)` });
  }
  for (const k of SOURCE_ALIASES) {
    const given = task.source[k];
    if (given !== undefined && s[k] !== undefined && given !== s[k]) {
      out.push({ path: `source.${k}`, message: `is "${String(given)}" but settings.${k} is "${String(s[k])}": keep one, settings.${k} (source.${k} is its older alias)` });
    }
  }
  const modes = valueHandlingOfTask(task);
  task.targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (DATABASE_TARGETS.has(t.type) && modes.binary !== 'bytes') {
      out.push({ path: 'settings.binaryHandlingMode', message: `is "${modes.binary}", which carries binary values as text: the ${t.type} target (${at}) would write that text into binary columns. Use bytes (the default) with database targets, or write the text form in a task of its own for Kafka consumers` });
    }
    if (DATABASE_TARGETS.has(t.type) && !isPostgres(engine) && modes.bigintUnsigned === 'long') {
      out.push({ path: 'settings.bigintUnsignedHandlingMode', message: `is "long", which wraps BIGINT UNSIGNED values above 9223372036854775807 to negative numbers: the ${t.type} target (${at}) would store them so. Use precise (the default) with database targets` });
    }
    if (!PASS_THROUGH_TARGETS.has(t.type) && isPostgres(engine) && modes.hstore === 'map') {
      out.push({ path: 'settings.hstoreHandlingMode', message: `is "map" (an Avro map per hstore value), which the ${t.type} target (${at}) does not write; use json (the default) with it` });
    }
  });
  return out;
}
