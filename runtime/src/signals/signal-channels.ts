/**
 * The signalling channels around a task's source (settings.signals, docs/signals.md), composed in
 * app/src/task/sources.ts:
 *
 *   source  the signal table is captured from the log whatever the table mapping selects (signalSelector), so its
 *           inserts reach the incremental snapshotter in stream order (runtime/src/snapshot/signal-table.ts); its
 *           events then go no further unless the mapping selects the table (withSignalChannels), as in Debezium,
 *           where the signal table's changes reach a topic only when it is in table.include.list.
 *   kafka   a consumer of the signal topic runs while the source is read (kafka-signal-channel.ts).
 */
import type { ChangeBatch, Logger, SourceConnector, SourceContext, TableId } from '../../../core/src/types.ts';
import type { TableSelector } from '../../../core/src/table-selector.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { signalTableOf, signalTopicOf, type SignalSettings } from '../config/signal-settings.ts';
import { readChannelOffset } from '../snapshot/signal-table.ts';
import type { KafkaSecuritySettings } from '../config/kafka-security-settings.ts';
import { kafkaSecurityOf } from '../kafka/kafka-security.ts';

/** '<schema>.<table>' as a TableId (the settings' regex guarantees exactly one dot). */
export function signalTableId(name: string): TableId {
  const dot = name.indexOf('.');
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** The task's selector, plus the signal table when the source channel is on. */
export function signalSelector(selector: TableSelector, settings: SignalSettings | undefined): TableSelector {
  const name = signalTableOf(settings);
  if (name === null) return selector;
  const id = signalTableId(name);
  const isSignal = (t: TableId) => t.schema === id.schema && t.table === id.table;
  return {
    includes: (t) => isSignal(t) || selector.includes(t),
    schemaPatterns: () => [...new Set([...selector.schemaPatterns(), id.schema])],
    loadOrder: (t) => selector.loadOrder(t),
  };
}

export interface SignalChannelOptions {
  readonly settings: SignalSettings;
  /** The task's own selector (without the signal table): whether the signal table's events go on. */
  readonly selector: TableSelector;
  /** The task's kafka block (the kafka channel needs it). */
  readonly kafka?: ({ readonly brokers: readonly string[]; readonly clientId: string; readonly topicPrefix: string; readonly replicationFactor: number } & Partial<KafkaSecuritySettings>) | undefined;
  readonly log: Logger;
}

/** The source with the signal table's events left out (unless selected) and the kafka channel running while it is read. */
export function withSignalChannels(source: SourceConnector, o: SignalChannelOptions): SourceConnector {
  const table = signalTableOf(o.settings);
  const drop = table !== null && !o.selector.includes(signalTableId(table)) ? signalTableId(table) : null;
  const kafka = o.settings.enabledChannels.includes('kafka');
  if (drop === null && !kafka) return source;
  if (kafka && !o.kafka) {
    throw new FerryError('FERRY_CONFIG_INVALID', 'settings.signals.enabledChannels lists "kafka", but the task has no kafka block: add one, or remove "kafka" from the channels');
  }
  if (kafka && !source.signal) {
    throw new FerryError('FERRY_CONFIG_INVALID', 'settings.signals.enabledChannels lists "kafka", but this source takes no signals: remove "kafka" from the channels');
  }
  const wrapped: SourceConnector = {
    async *read(ctx: SourceContext): AsyncGenerator<ChangeBatch> {
      const stop = new AbortController();
      const abort = () => stop.abort();
      ctx.signal.addEventListener('abort', abort, { once: true });
      let channel: Promise<void> | null = null;
      if (kafka && o.kafka && source.signal) {
        const k = o.kafka;
        const deliver = source.signal.bind(source);
        // Loaded only here: the Kafka client is not needed by tasks without the kafka channel (direct mode among them).
        channel = import('./kafka-signal-channel.ts').then(({ runKafkaSignalChannel }) => runKafkaSignalChannel({
          brokers: k.brokers, clientId: k.clientId, ...kafkaSecurityOf({ tls: k.tls ?? false, sasl: k.sasl }, 'kafka'), topic: signalTopicOf(o.settings, k.topicPrefix), topicPrefix: k.topicPrefix, replicationFactor: k.replicationFactor,
          start: readChannelOffset(ctx.resumeFrom?.state), deliver, log: o.log,
        }, stop.signal));
      }
      try {
        for await (const b of source.read(ctx)) {
          if (drop === null) { yield b; continue; }
          const events = b.events.filter((e) => e.table.id.table !== drop.table || e.table.id.schema !== drop.schema);
          yield events.length === b.events.length ? b : { ...b, events };
        }
      } finally {
        stop.abort();
        ctx.signal.removeEventListener('abort', abort);
        await channel;
      }
    },
    acknowledge: (position) => source.acknowledge(position),
    close: () => source.close(),
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}
