/**
 * settings.outbox: the transactional outbox event router (docs/outbox.md), declared once here with Debezium's
 * outbox event router defaults; the router is runtime/src/outbox/. Each entry is an outbox table (both sources) or a
 * PostgreSQL logical-decoding message prefix (pg_logical_emit_message, no table).
 */
import { z } from 'zod';

const columnName = z.string().min(1).max(128);

export const outboxColumnsSchema = z.strictObject({
  id: columnName.default('id').meta({ description: 'Column with the unique event id (Debezium table.field.event.id): sent in the record header `id`, for consumer-side de-duplication.' }),
  aggregateType: columnName.default('aggregatetype').meta({ description: 'Column the topic is routed by (Debezium route.by.field): its value replaces ${routedByValue} in `topic`.' }),
  aggregateId: columnName.default('aggregateid').meta({ description: 'Column with the record key (Debezium table.field.event.key): events of one aggregate share a key, hence a partition and their order.' }),
  type: columnName.nullable().default('type').meta({ description: 'Column with the event type, sent in the record header `type` (Debezium 2.x needs table.fields.additional.placement=type:header:type for this). null: no type column.' }),
  payload: columnName.default('payload').meta({ description: 'Column with the event payload (Debezium table.field.event.payload): JSON text in a string, json or jsonb column.' }),
}).prefault({});

export const outboxFieldSchema = z.strictObject({
  column: columnName.meta({ description: 'Outbox column (or message content field) whose value is added.' }),
  placement: z.enum(['header', 'envelope']).meta({ description: 'header: a record header (the value as UTF-8 text); envelope: a field next to `payload` in the record value, which then becomes {payload, <fields>}.' }),
  alias: columnName.optional().meta({ description: 'Name of the header or envelope field. Default: the column name.' }),
});

export const outboxEntrySchema = z.strictObject({
  table: z.string().regex(/^[^.\s]+\.[^\s]+$/, 'expected "<db>.<table>" (MySQL/MariaDB) or "<schema>.<table>" (PostgreSQL)').optional()
    .meta({ description: 'The outbox table, "<db>.<table>" or "<schema>.<table>" as the table mapping selects it (it must be selected). Its own change events go to no table topic. Give `table` or `messagePrefix`.', examples: ['shop.outbox'] }),
  messagePrefix: z.string().min(1).max(256).optional()
    .meta({ description: 'PostgreSQL only: route the logical-decoding messages written with pg_logical_emit_message(transactional, <prefix>, <content>) instead of a table; content is a JSON object with the fields named by `columns` (docs/outbox.md). Give `table` or `messagePrefix`.' }),
  columns: outboxColumnsSchema.meta({ description: 'The outbox columns (message content fields), by role.' }),
  topic: z.string().min(1).max(249).default('outbox.event.${routedByValue}')
    .meta({ description: 'Topic template (Debezium route.topic.replacement): ${routedByValue} is the aggregate type. Not prefixed with kafka.topicPrefix. Characters a topic name cannot hold become "_".' }),
  additionalFields: z.array(outboxFieldSchema).max(64).default([])
    .meta({ description: 'Extra columns placed as headers or envelope fields (Debezium table.fields.additional.placement).' }),
  payloadFormat: z.enum(['json', 'avro']).default('json')
    .meta({ description: 'json: the payload JSON passed through as the record value (UTF-8), key = the aggregate id as UTF-8 text. avro: key and value in Avro (Confluent wire format), the value schema derived from the payloads and registered under <topic>-value (docs/outbox.md#avro-payloads).' }),
  onUpdate: z.enum(['warn', 'error', 'fatal']).default('warn')
    .meta({ description: 'An UPDATE of an outbox row (Debezium table.op.invalid.behavior): warn or error = logged at that level and skipped; fatal = the task stops. Deletes are always skipped silently (the usual clean-up).' }),
  tombstoneOnEmptyPayload: z.boolean().default(false)
    .meta({ description: 'A null payload becomes a tombstone (key, null value) instead of a record with a null value (Debezium route.tombstone.on.empty.payload).' }),
}).superRefine((o, ctx) => {
  if ((o.table === undefined) === (o.messagePrefix === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['table'], message: 'give exactly one of `table` (an outbox table) or `messagePrefix` (PostgreSQL logical-decoding messages)', input: o.table });
  }
  const names = new Set<string>();
  for (const [i, f] of o.additionalFields.entries()) {
    const name = `${f.placement}:${f.alias ?? f.column}`;
    if (f.placement === 'envelope' && (f.alias ?? f.column) === 'payload') ctx.addIssue({ code: 'custom', path: ['additionalFields', i, 'alias'], message: 'the envelope field "payload" holds the payload: give this field another alias', input: f.alias });
    if (f.placement === 'header' && (f.alias ?? f.column) === 'id') ctx.addIssue({ code: 'custom', path: ['additionalFields', i, 'alias'], message: 'the header "id" holds the event id: give this field another alias', input: f.alias });
    if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['additionalFields', i], message: `two additional fields named "${f.alias ?? f.column}" in the ${f.placement}`, input: f });
    names.add(name);
  }
});

export const outboxSettingsSchema = z.array(outboxEntrySchema).max(64).default([]).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, o] of list.entries()) {
    const key = o.table !== undefined ? `table ${o.table}` : `message prefix ${o.messagePrefix}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `${key} is configured twice`, input: o });
    seen.add(key);
  }
}).meta({ description: 'Transactional outbox event router (docs/outbox.md): outbox tables (and PostgreSQL message prefixes) whose inserts become events on a topic per aggregate type, keyed by aggregate id, with the event id in a header. Needs a kafka block.' });

export type OutboxSettings = z.output<typeof outboxSettingsSchema>;
export type OutboxEntry = OutboxSettings[number];

/** The outbox tables of settings.outbox, whose updates and deletes Ferry does not carry (SourceCatalogOptions.insertOnlyTables). */
export function insertOnlyTables(outbox: OutboxSettings): string[] {
  return outbox.flatMap((o) => (o.table !== undefined ? [o.table] : []));
}
