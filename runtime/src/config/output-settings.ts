/**
 * The task's Kafka output shape (docs/formats.md), declared once: `settings.format` (how keys and values are
 * serialized) and `settings.flatten` (Debezium's ExtractNewRecordState: the row state instead of the envelope, per task
 * with per-table overrides). Hooked into settings-schema.ts; the writer is schemas/src/formats/.
 */
import { z } from 'zod';
import type { DeleteHandlingMode, FlattenOptions } from '../../../schemas/src/flatten.ts';

/** Output formats of the Kafka event sink. */
export const OUTPUT_FORMATS = ['avro', 'json', 'json-schemaless', 'json-schema', 'protobuf', 'cloudevents'] as const;
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];

/** ExtractNewRecordState's delete.tombstone.handling.mode values; Debezium's default is tombstone. */
export const DELETE_HANDLING_MODES = ['tombstone', 'delete-to-tombstone', 'rewrite', 'rewrite-with-tombstone', 'drop'] as const satisfies readonly DeleteHandlingMode[];

/**
 * The add.fields Ferry supports: envelope fields (op, ts_ms, ts_us, ts_ns), source-block fields (source.<name>, or the
 * bare name as Debezium resolves it) and the transaction block (transaction.id, total_order, data_collection_order).
 */
const ADD_FIELD = /^(op|ts_ms|ts_us|ts_ns|(source\.)?[A-Za-z_][A-Za-z0-9_]*|transaction\.(id|total_order|data_collection_order)|id|total_order|data_collection_order)(:[A-Za-z_][A-Za-z0-9_]*)?$/;

const flattenFields = {
  deleteHandling: z.enum(DELETE_HANDLING_MODES).meta({ description: 'Debezium’s delete.tombstone.handling.mode. tombstone (default) and delete-to-tombstone: each delete becomes one tombstone (key, null value); rewrite: the row before the delete with __deleted "true" (inserts and updates carry __deleted "false"), no tombstone; rewrite-with-tombstone: rewrite, then a tombstone; drop: deletes and their tombstones are left out.' }),
  addFields: z.array(z.string().regex(ADD_FIELD, 'expected a field such as op, table, source.ts_ms, ts_ms or transaction.id, optionally renamed with :NAME')).meta({ description: 'Debezium’s add.fields: envelope, source and transaction fields appended to the row, each named <addFieldsPrefix><field> (source.ts_ms → __source_ts_ms; a bare source field such as table → __table), or <addFieldsPrefix><NAME> with field:NAME. Optional fields of the original’s type.' }),
  addFieldsPrefix: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).meta({ description: 'Debezium’s add.fields.prefix.' }),
};

export const flattenTableSchema = z.strictObject({
  enabled: z.boolean().optional().meta({ description: 'Flatten this table (overrides flatten.enabled).' }),
  deleteHandling: flattenFields.deleteHandling.optional(),
  addFields: flattenFields.addFields.optional(),
  addFieldsPrefix: flattenFields.addFieldsPrefix.optional(),
});

export const flattenSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false).meta({ description: 'Emit only the row state (Debezium’s ExtractNewRecordState): after for inserts, updates and reads; deletes as deleteHandling says. Value schemas are the table’s <topic>.Value record (plus added fields), registered under <topic>-value.' }),
  deleteHandling: flattenFields.deleteHandling.default('tombstone'),
  addFields: flattenFields.addFields.default([]),
  addFieldsPrefix: flattenFields.addFieldsPrefix.default('__'),
  tables: z.record(z.string().regex(/^[^.]+\.[^.]+$/, 'expected "<schema or database>.<table>"'), flattenTableSchema).default({})
    .meta({ description: 'Per-table overrides, keyed by "<schema or database>.<table>" as the source names it: any of enabled, deleteHandling, addFields, addFieldsPrefix.' }),
}).meta({ description: 'Flattened events (Debezium’s ExtractNewRecordState transform), per task with per-table overrides (docs/formats.md).' });

export const formatSettingsSchema = z.enum(OUTPUT_FORMATS).default('avro').meta({ description: 'How keys and values are written to Kafka (docs/formats.md): avro (Confluent Avro through the registry, the default; the only format `ferry sink` decodes, other formats are forwarded by kafka targets only), json (Kafka Connect JsonConverter with embedded schema: {"schema", "payload"}), json-schemaless (JsonConverter with schemas.enable=false), json-schema (JSON Schema through the registry, Confluent framing), protobuf (Protobuf through the registry, Confluent framing with message indexes), cloudevents (CloudEvents structured JSON with Debezium’s field names; keys as json). Without a kafka block the setting is refused unless it is avro.' });

export type FlattenSettings = z.output<typeof flattenSettingsSchema>;
export type FlattenTableSettings = z.output<typeof flattenTableSchema>;

/** The effective flattening of `schema.table` (per-table overrides on the task's settings); null when off. */
export function flattenFor(settings: FlattenSettings, schema: string, table: string): FlattenOptions | null {
  const t = settings.tables[`${schema}.${table}`];
  if (!(t?.enabled ?? settings.enabled)) return null;
  return {
    deleteHandling: t?.deleteHandling ?? settings.deleteHandling,
    addFields: t?.addFields ?? settings.addFields,
    addFieldsPrefix: t?.addFieldsPrefix ?? settings.addFieldsPrefix,
  };
}

/** Whether any table may be flattened. */
export function anyFlattening(settings: FlattenSettings): boolean {
  return settings.enabled || Object.values(settings.tables).some((t) => t.enabled === true);
}

/** The Kafka event sink's output options of a task; undefined for the default (Avro envelope, nothing flattened). */
export function kafkaOutputOf(settings: { readonly format: OutputFormatName; readonly flatten: FlattenSettings }): { readonly format: OutputFormatName; readonly flatten: (t: { readonly schema: string; readonly table: string }) => FlattenOptions | null } | undefined {
  if (settings.format === 'avro' && !anyFlattening(settings.flatten)) return undefined;
  return { format: settings.format, flatten: (t) => flattenFor(settings.flatten, t.schema, t.table) };
}

/** Whether a task's topics hold something other than the Avro envelope (what `ferry sink` decodes). */
export function writesNonEnvelope(settings: { readonly format: OutputFormatName; readonly flatten: FlattenSettings }): boolean {
  return kafkaOutputOf(settings) !== undefined;
}
