/**
 * settings.topicRouting: Debezium's topic routing SMT (ByLogicalTableRouter) as a list of rules, declared once here
 * (hooked into settings-schema.ts). The evaluation is schemas/src/topic-routing.ts; docs/topic-routing.md.
 */
import { z } from 'zod';
import { DEFAULT_ROUTING_KEY_FIELD, topicRoutingRuleProblems } from '../../../schemas/src/topic-routing.ts';

export const topicRoutingRuleSchema = z.strictObject({
  topicRegex: z.string().min(1).meta({ description: 'Debezium topic.regex: a regular expression matched against the whole data topic of each table (<prefix>.<db>.<table>, after the table mapping), e.g. (.*)\\.orders_[0-9]+. The first rule that matches routes the table.', examples: ['(.*)\\.orders_[0-9]+'] }),
  topicReplacement: z.string().min(1).meta({ description: 'Debezium topic.replacement: the new topic, with Java\'s group references $1, ${name} (\\$ for a literal $). Its own characters must be valid in a topic name (letters, digits, ".", "_", "-").', examples: ['$1.orders'] }),
  keyEnforceUniqueness: z.boolean().default(true).meta({ description: 'Debezium key.enforce.uniqueness: append the field keyFieldName to the key of every routed table, valued with the table\'s own topic (or keyFieldRegex/keyFieldReplacement of it), so the same key in two shards stays two keys. false keeps the keys as they are (tables whose keys are unique across all of them).' }),
  keyFieldName: z.string().default(DEFAULT_ROUTING_KEY_FIELD).meta({ description: 'Debezium key.field.name: the name of the key field that identifies the physical table. Must not be a key column of a routed table.' }),
  keyFieldRegex: z.string().optional().meta({ description: 'Debezium key.field.regex: a regular expression matched against the whole original topic; when it matches, the key field is keyFieldReplacement instead of the original topic.', examples: ['.*\\.orders_([0-9]+)'] }),
  keyFieldReplacement: z.string().optional().meta({ description: 'Debezium key.field.replacement: the key field\'s value, with group references of keyFieldRegex ($1, ${name}). Required with keyFieldRegex.', examples: ['$1'] }),
}).superRefine((rule, ctx) => {
  for (const p of topicRoutingRuleProblems(rule)) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message, input: undefined });
});

export const topicRoutingSettingsSchema = z.array(topicRoutingRuleSchema).default([]).meta({
  description: 'Topic routing (Debezium\'s ByLogicalTableRouter SMT, docs/topic-routing.md): tables whose data topic matches a rule go to the rule\'s topic instead, e.g. sharded tables orders_001 … orders_128 into one topic; their keys get a field naming the physical table, and the key and value schemas are named after the new topic. Kafka mode only; heartbeat, transaction and schema-change topics are never routed. Sink workers still write each record to its own table.',
});

export type TopicRoutingSettings = z.output<typeof topicRoutingSettingsSchema>;
