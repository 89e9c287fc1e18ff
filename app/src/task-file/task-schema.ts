/**
 * The task file: every option Ferry reads is declared once, with its type, default and description. This module
 * assembles the whole declaration from its parts: the engine's (runtime/src/config: kafka, settings, the shared
 * source connection keys, the DMS table mapping) and the plugins' (app/src/plugins.ts: source engines and their own
 * keys, target types). Validation (load-task.ts) and the reference documentation (docs/configuration.md, generated
 * by `npm run docs:config`) both come from it.
 */
import { z } from 'zod';
import { kafkaSchema, MIGRATION_TYPES, settingsSchema, type KafkaConfig, type Settings } from '../../../runtime/src/config/settings-schema.ts';
import { sourceConnectionShape } from '../../../runtime/src/config/source-schema.ts';
import { tableMappingSchema } from '../../../runtime/src/config/table-mapping-schema.ts';
import { outboxProblems } from '../../../runtime/src/outbox/outbox-checks.ts';
import { cdcWindowProblems } from '../../../runtime/src/config/cdc-window-settings.ts';
import { notificationProblems } from '../../../runtime/src/config/notification-settings.ts';
import { SINK_TYPES, SOURCE_ENGINES, SOURCE_PLUGINS } from '../plugins.ts';

export type { KafkaConfig, Settings };

/**
 * DMS target kinds that Ferry knows of but ships no sink for yet: accepted by the grammar and refused by
 * unsupported.ts with a clear message, never silently. A sink plugin serving one of them makes it available.
 */
const PLANNED_TARGET_TYPES: readonly string[] = [];
export const TARGET_TYPES: readonly string[] = [...SINK_TYPES, ...PLANNED_TARGET_TYPES.filter((t) => !SINK_TYPES.includes(t))];

/** Each plugin's own source keys, with the engines that read them. */
const pluginKeys = new Map<string, { readonly engines: readonly string[]; readonly schema: z.ZodType }>();
for (const p of SOURCE_PLUGINS) {
  for (const [key, schema] of Object.entries(p.options)) pluginKeys.set(key, { engines: p.engines, schema: schema.optional() });
}

export const sourceSchema = z.strictObject({
  engine: z.enum(SOURCE_ENGINES as [string, ...string[]]).meta({ description: 'Source database engine.' }),
  ...sourceConnectionShape,
  ...Object.fromEntries([...pluginKeys].map(([k, v]) => [k, v.schema])),
}).superRefine((block, ctx) => {
  const s = block as typeof block & Record<string, unknown>;
  const plugin = SOURCE_PLUGINS.find((p) => p.engines.includes(s.engine));
  for (const [key, owner] of pluginKeys) {
    if (s[key] !== undefined && !owner.engines.includes(s.engine)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `only applies to engine ${owner.engines.join('/')} (this source is ${s.engine})`, input: s[key] });
    }
  }
  plugin?.refine?.(s, (path, message) => ctx.addIssue({ code: 'custom', path: [path], message, input: s[path] }));
});

export const targetSchema = z.looseObject({
  type: z.enum(TARGET_TYPES as [string, ...string[]]).meta({ description: 'Sink type; its own keys are listed under "Target options" below.' }),
  name: z.string().min(1).optional().meta({ description: 'Name of this target in logs and metrics. Default: its type and index.' }),
});

export const taskSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'expected 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit')
    .meta({ description: 'Task name: names offsets, state and metrics. Changing it starts the task over.', examples: ['shop'] }),
  source: sourceSchema.meta({ description: 'The database to capture.' }),
  migrationType: z.enum(MIGRATION_TYPES).meta({ description: 'full-load: copy the selected tables, then stop. cdc: stream changes from now (or the stored position). full-load-and-cdc: copy, then stream from the snapshot’s position with no gap.' }),
  tableMappings: tableMappingSchema.meta({ description: 'An AWS DMS table-mapping document, accepted verbatim (selection, transformation, table-settings and object-mapping rules).' }),
  kafka: kafkaSchema.optional().meta({ description: 'Ferry’s Kafka cluster and schema registry. Without it, targets run in-process behind the source (direct mode).' }),
  targets: z.array(targetSchema).default([]).meta({ description: 'Sinks that receive the change events.' }),
  settings: settingsSchema.meta({ description: 'Runtime settings.' }),
}).superRefine((t, ctx) => {
  for (const p of outboxProblems(t)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message, input: undefined }); // settings.outbox (docs/outbox.md)
  for (const p of cdcWindowProblems(t)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message, input: undefined }); // CDC start and stop points
  for (const p of notificationProblems(t)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message, input: undefined }); // settings.notifications (docs/notifications.md)
  // Continuous validation waits on the task's committed position, which only direct mode ties to the targets' writes.
  if (!t.settings.validation.enabled) return;
  const path = ['settings', 'validation', 'enabled'];
  if (t.kafka) ctx.addIssue({ code: 'custom', path, message: 'validation during the task runs in direct mode (no kafka block): with Kafka, `ferry sink` workers write the targets; validate them with `ferry validate-data <task-file>`', input: true });
  else if (!t.targets.some((x) => x.type === 'postgres' || x.type === 'mysql')) ctx.addIssue({ code: 'custom', path, message: 'validation compares the source with postgres and mysql targets, and this task has none', input: true });
});

export type TaskInput = z.input<typeof taskSchema>;
export type Task = z.output<typeof taskSchema>;
