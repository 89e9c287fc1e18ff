/**
 * settings.signals: Debezium's signalling channels (docs/signals.md), declared once here with Debezium's names and
 * defaults: signal.enabled.channels, signal.data.collection and signal.kafka.topic. The channels are
 * runtime/src/signals/ (the signal table in the incremental snapshotter, the Kafka topic in kafka-signal-channel.ts).
 */
import { z } from 'zod';

export const SIGNAL_CHANNELS = ['source', 'kafka'] as const;

export const signalSettingsSchema = z.strictObject({
  enabledChannels: z.array(z.enum(SIGNAL_CHANNELS)).min(1).default(['source'])
    .refine((a) => new Set(a).size === a.length, 'a channel is listed twice')
    .meta({ description: 'Debezium signal.enabled.channels: where signals (execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot) are read from. source: rows inserted into the signal table (dataCollection), read from the change stream in order with the data; kafka: records on kafkaTopic (needs the kafka block). POST /signals (`ferry snapshot`) always works.' }),
  dataCollection: z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected "<db>.<table>" (MySQL/MariaDB) or "<schema>.<table>" (PostgreSQL)').optional()
    .meta({ description: 'Debezium signal.data.collection: the signal table, with Debezium\'s debezium_signal layout (columns id, type, data, strings). Ferry captures it from the log whether or not the table mapping selects it (PostgreSQL: it is added to the managed publication); its rows reach a topic or target only if the mapping selects it. Unset: no signal table.', examples: ['inventory.debezium_signal'] }),
  kafkaTopic: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, ".", "_" or "-"').max(249).optional()
    .meta({ description: 'Debezium signal.kafka.topic: the topic of the kafka channel (one partition; the record key must be the topic prefix, the value {"type": ..., "data": ...}). Default: <topicPrefix>-signal.' }),
}).prefault({}).meta({ description: 'Signals that drive incremental snapshots, as Debezium\'s signalling table and Kafka signal topic (docs/signals.md).' });

export type SignalSettings = z.output<typeof signalSettingsSchema>;

/** The kafka channel's topic: settings.signals.kafkaTopic, else Debezium's default <topicPrefix>-signal. */
export function signalTopicOf(s: SignalSettings, topicPrefix: string): string {
  return s.kafkaTopic ?? `${topicPrefix}-signal`;
}

/** The signal table the source channel reads ('<schema>.<table>'), or null when that channel is off. */
export function signalTableOf(s: { readonly enabledChannels: readonly string[]; readonly dataCollection?: string | undefined } | undefined): string | null {
  return s?.dataCollection !== undefined && s.enabledChannels.includes('source') ? s.dataCollection : null;
}
